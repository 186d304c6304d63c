"""Results follow the code and the data's identity, not file times or locations: on a finished
smoke run, copied with a copy of the project (so the repository is never edited), dry runs
after each change schedule exactly the jobs that change can affect."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SMOKE, extra_config, planned_jobs, planned_outputs

pytestmark = pytest.mark.integration

SUMMARIES = {"aggregate", "plot_sweep", "report", "all"}


@pytest.fixture(scope="module")
def moved(smoke, tmp_path_factory):
    """The project and the finished smoke run, both copied elsewhere."""
    root = tmp_path_factory.mktemp("moved")
    project = root / "project"
    top_level = {".git", ".venv", "results", ".snakemake", "test-artifacts", ".pytest_cache", ".hypothesis"}

    def outputs_and_caches(folder, names):  # the package's own results/ subpackage is code: kept
        return [n for n in names if n == "__pycache__" or (Path(folder) == REPO and n in top_level)]

    shutil.copytree(REPO, project, ignore=outputs_and_caches)
    work = root / "work"
    for name in ("results", ".snakemake"):
        shutil.copytree(smoke / name, work / name, symlinks=True)
    return project, work


def dry_run_listing(project, work, *configfiles):
    command = [sys.executable, "-m", "snakemake", "-s", str(project / "Snakefile"), "--directory", str(work),
               "--dry-run", "--configfile", str(SMOKE), *map(str, configfiles)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def dry_run(project, work, *configfiles):
    return planned_jobs(dry_run_listing(project, work, *configfiles))


@pytest.fixture
def edit(moved):
    """Edit a module of the copied package for one test; restored afterwards."""
    project, _ = moved
    originals = {}

    def change(module, old, new):
        path = project / "workflow" / "prunelab" / module
        originals.setdefault(path, path.read_text())
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))

    yield change
    for path, text in originals.items():
        path.write_text(text)


def test_a_moved_project_reruns_nothing(moved):
    assert dry_run(*moved) == {}


def test_comments_docstrings_and_formatting_rerun_nothing(moved, edit):
    edit("measuring/evaluation.py", '"""Accuracy (as a correct count', '"""The accuracy (as a correct count')
    edit("measuring/evaluation.py", "    predictions = np.argmax(logits, axis=1)\n",
         "    # the predicted class\n    predictions = np.argmax(  logits, axis=1 )\n")
    edit("models/training.py", "import logging\n", "import logging  # per-epoch progress\n")
    assert dry_run(*moved) == {}


def test_an_edit_to_evaluation_code_reruns_pruning_and_summaries_but_no_training(moved, edit):
    edit("measuring/evaluation.py", "def log_softmax(", "def unused_helper():\n    return 1\n\n\ndef log_softmax(")
    jobs = dry_run(*moved)
    assert "train" not in jobs and "fetch_data" not in jobs and "plot_training" not in jobs
    assert jobs["prune"] == 2 * 2 * 2 * 2 and jobs["evaluate_unpruned"] == 4 and jobs["finetune"] == 2 * 2 * 2 * 2
    assert set(jobs) - {"prune", "evaluate_unpruned", "finetune", "latency"} <= SUMMARIES | {"plot_distributions"}


def test_an_edit_to_plotting_reruns_figures_and_the_report_only(moved, edit):
    edit("results/plotting.py", "def _removed_scale(", "def unused_helper():\n    return 1\n\n\ndef _removed_scale(")
    jobs = dry_run(*moved)
    assert set(jobs) == {"plot_sweep", "plot_distributions", "plot_training", "report", "all"}


def test_an_edit_to_training_code_retrains(moved, edit):
    edit("models/training.py", "def train_model(", "def unused_helper():\n    return 1\n\n\ndef train_model(")
    jobs = dry_run(*moved)
    assert jobs["train"] == 2 * 2 and jobs["prune"] == 2 * 2 * 2 * 2 and jobs["evaluate_unpruned"] == 4
    assert "fetch_data" not in jobs


def test_an_edit_to_code_the_fetch_shares_with_training_retrains_in_one_run_and_refetches_nothing(moved, edit):
    # the job runtime (logging, threads) is every script's, the fetch's too; the data is its
    # checksums, so it stays, and the trainings are not left for a second run
    edit("plumbing/runtime.py", "def script_logger(", "def unused_helper():\n    return 1\n\n\ndef script_logger(")
    jobs = dry_run(*moved)
    assert "fetch_data" not in jobs and jobs["train"] == 2 * 2 and jobs["prune"] == 2 * 2 * 2 * 2


def test_an_edit_to_a_methods_scoring_reruns_nothing_where_it_is_not_configured(moved, edit):
    # the smoke config prunes by weight and unit only: SynFlow's scoring and the loss gradients
    # (SNIP's, saliency's) are none of its results' code
    edit("methods/synflow.py", "scores = np.concatenate([(gradients[i] * kernels[i]).ravel() for i in layers])",
         "scores = np.concatenate([np.abs(gradients[i] * kernels[i]).ravel() for i in layers])")
    edit("models/gradients.py", "return probabilities / len(labels)", "return probabilities / float(len(labels))")
    assert dry_run(*moved) == {}


@pytest.mark.parametrize("module, old, new", [
    # unit's channel score, its own: nothing trained reads it
    ("methods/unit.py", "(unit_norms(weights[producer]).reshape(group.channels, -1).sum(axis=1)\n"
                        "                     for producer in group.producers)",
     "(unit_norms(weights[index]).reshape(group.channels, -1).sum(axis=1)\n"
     "                     for index in group.producers)"),
    # the groups it asks for: the code of the methods that ask for them alone
    ("models/channel_groups.py", "masks = [np.ones(kernel.shape, dtype=bool) for kernel in weights]",
     "masks = [np.ones(w.shape, dtype=bool) for w in weights]")], ids=["score", "groups"])
def test_an_edit_to_one_method_reruns_its_results_and_what_summarizes_them(moved, edit, module, old, new):
    edit(module, old, new)
    listing = dry_run_listing(*moved)
    jobs = planned_jobs(listing)
    # unit's own results alone: 4 models x 2 k above 0 pruned (k = 0 is no method's), 4 models x 2
    # fine-tunings at k = 0.9
    assert {rule: jobs.pop(rule) for rule in ("prune", "finetune")} == {"prune": 4 * 2, "finetune": 4 * 2}
    assert all("/unit/" in path for rule in ("prune", "finetune") for path in planned_outputs(listing, rule))
    assert set(jobs) <= SUMMARIES | {"latency", "plot_distributions"}


def test_touched_or_refetched_data_reruns_nothing(moved, tmp_path):
    project, work = moved
    for path in (work / "results" / "data").rglob("*"):
        os.utime(path)  # touch: same bytes, newer time
    assert dry_run(project, work) == {}
    # fetch digits again (from a folder holding the same files): only the fetch runs
    mirror = tmp_path / "mirror"
    shutil.copytree(work / "results" / "data" / "digits", mirror)
    sources = extra_config(tmp_path, f"data: {{sources: {{digits: [{{kind: directory, path: '{mirror}'}}]}}}}\n")
    command = [sys.executable, "-m", "snakemake", "-s", str(project / "Snakefile"), "--directory", str(work),
               "--cores", "1", "results/data/digits/provenance.json", "--forcerun", "fetch_data",
               "--configfile", str(SMOKE), str(sources)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_jobs(result.stdout or result.stderr) == {"fetch_data": 1}
    assert "directory" in (work / "results" / "data" / "digits" / "provenance.json").read_text()
    assert dry_run(project, work) == {}
