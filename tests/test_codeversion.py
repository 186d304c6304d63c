from prunelab.plumbing.codeversion import PACKAGE, code_files, code_version


def test_digest_follows_edits_in_one_process_and_ignores_comments(tmp_path):
    script = tmp_path / "job.py"
    script.write_text("from prunelab.plumbing.fileio import write_json\nwrite_json('x', 1)\n")
    first = code_version(script)
    assert PACKAGE / "plumbing" / "fileio.py" in code_files(script)
    script.write_text("# a comment\nfrom prunelab.plumbing.fileio import write_json\n\nwrite_json('x', 1)\n")
    assert code_version(script) == first
    script.write_text("from prunelab.plumbing.fileio import write_json\nwrite_json('x', 2)\n")
    assert code_version(script) != first
    script.write_text("from prunelab.plumbing.plan import training_id\ntraining_id({})\n")
    assert PACKAGE / "models" / "keras_models.py" in code_files(script)  # reached through plan, transitively
    assert PACKAGE / "models" / "__init__.py" in code_files(script)  # what Python runs to import it
