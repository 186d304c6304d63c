from prunelab.plumbing.codeversion import PACKAGE, CodeSnapshot, code_files, code_version


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


def test_a_snapshot_reads_each_file_once_and_gives_the_versions_read_afresh(tmp_path):
    """What a plan uses (one snapshot for Snakemake's whole start) digests as reading every file anew does,
    and a file edited after the snapshot read it is not read again."""
    scripts = sorted((PACKAGE.parent / "scripts").glob("*.py"))
    snapshot = CodeSnapshot()
    assert [snapshot.code_version(script) for script in scripts] == [code_version(script) for script in scripts]
    script = tmp_path / "job.py"
    script.write_text("from prunelab.plumbing.fileio import write_json\nwrite_json('x', 1)\n")
    first = snapshot.code_version(script)
    script.write_text("from prunelab.plumbing.fileio import write_json\nwrite_json('x', 2)\n")
    assert snapshot.code_version(script) == first != code_version(script)
