"""The suite's size kept by a test, not by a clock: each fixture's workflow runs, planned from an
empty folder (snakemake -n), may plan at most the jobs conftest.JOB_BUDGETS writes down for it. A
change that grows a fixture fails here, saying by how much; raise its budget only on purpose."""

import subprocess
import sys

import numpy as np
import pytest

from conftest import (ATTENTION_SMOKE, CIFAR10_SMOKE, CNN_SMOKE, IMPORTED_SMOKE, JAX_SMOKE, JOB_BUDGETS, METHODS_SMOKE, REPO,
                      RESNET_SMOKE, SMOKE, cifar10_runs, own_dataset_runs, planned_jobs, snakemake,
                      write_own_datasets)


def fixture_runs(fixture, workdir):
    """The config files and further arguments of each run a fixture makes, with stand-ins for the
    files it makes from real data: random images of the same shapes, an untrained model (job
    counts do not depend on them)."""
    if fixture == "cifar10_smoke":  # a dry run fetches nothing
        return [(configfiles, ()) for configfiles in cifar10_runs(workdir, "http://127.0.0.1:9", "ab" * 32)]
    if fixture == "own_dataset_smoke":
        rng = np.random.default_rng(0)
        split = [(rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), np.arange(count) % 10)
                 for count in (2400, 400)]
        write_own_datasets(workdir, workdir, *split)
        return own_dataset_runs(workdir, workdir, "http://127.0.0.1:9")
    if fixture == "imported_smoke":
        subprocess.run([sys.executable, str(REPO / "tests" / "train_elsewhere.py"), "--untrained",
                        str(workdir / "trained.keras")], check=True, capture_output=True)
    return [({"smoke": (SMOKE,), "cnn_smoke": (CNN_SMOKE,), "methods_smoke": (METHODS_SMOKE,),
              "jax_smoke": (METHODS_SMOKE, JAX_SMOKE), "resnet_smoke": (RESNET_SMOKE,),
              "imported_smoke": (IMPORTED_SMOKE,), "attention_smoke": (ATTENTION_SMOKE,)}[fixture], ())]


@pytest.mark.parametrize("fixture", JOB_BUDGETS)
def test_each_fixture_plans_no_more_jobs_than_its_budget(fixture, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    planned = {}
    for configfiles, arguments in fixture_runs(fixture, workdir):
        result = snakemake(workdir, "--dry-run", *arguments, configfiles=configfiles)
        assert result.returncode == 0, result.stderr[-3000:]
        for rule, count in planned_jobs(result.stdout).items():
            planned[rule] = planned.get(rule, 0) + count
    total = sum(planned.values())
    assert total <= JOB_BUDGETS[fixture], f"{fixture} plans {total} jobs, over its budget of {JOB_BUDGETS[fixture]}: {planned}"
