"""The workflow, unchanged, on a real single-node SLURM cluster (Debian's slurm-wlm and munge,
started by this test): one model of the smoke config gives the same metrics as the local run.
Up to its metrics table, without its fine-tuning: those jobs, the figures and the report go
through sbatch as the jobs it runs do (a training, numpy jobs, the latency job that claims a
whole allocation, the aggregate), and took a third of the test's time (72 of 230 s on 2 cores,
where the cluster runs two jobs at a time)."""

import subprocess

import pandas as pd
import pytest

from conftest import (ONE_SMOKE_MODEL, ONE_SMOKE_MODEL_CONFIG, REPO, SMOKE, extra_config, metrics_rows,
                      planned_jobs, snakemake)

pytestmark = [pytest.mark.integration, pytest.mark.needs_root]

CLUSTER = REPO / "tests" / "slurm" / "cluster.sh"


@pytest.fixture
def slurm_cluster(tmp_path):
    state = tmp_path / "slurm"
    started = subprocess.run([str(CLUSTER), "start", str(state)], capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, f"the single-node SLURM cluster did not start:\n{started.stdout}{started.stderr}"
    try:
        yield state
    finally:
        subprocess.run([str(CLUSTER), "stop", str(state)], capture_output=True, timeout=60)


def test_smoke_config_through_slurm_gives_the_local_metrics(smoke, slurm_cluster, tmp_path):
    workdir = tmp_path / "work"
    configfiles = (SMOKE, extra_config(tmp_path, ONE_SMOKE_MODEL_CONFIG + "finetune: {epochs: [0]}\n"))
    metrics = "results/metrics.csv"
    planned = planned_jobs(snakemake(workdir, "--dry-run", metrics, configfiles=configfiles).stdout)
    result = snakemake(workdir, metrics, "--workflow-profile", str(REPO / "profiles" / "slurm"),
                       # this test cluster keeps no accounting database, so sacct cannot answer;
                       # finished jobs stay visible to squeue (MinJobAge=600)
                       "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
                       configfiles=configfiles)
    assert result.returncode == 0, result.stderr[-5000:]
    submitted = result.stderr.count("has been submitted with SLURM jobid")
    assert submitted == sum(planned.values()) and "latency" in planned, result.stderr[-3000:]  # all through sbatch
    pd.testing.assert_frame_equal(metrics_rows(workdir), metrics_rows(smoke, **ONE_SMOKE_MODEL, finetune_epochs="0"))
