"""Faults on the real workflow: interrupted and diverging training, corrupt data, reruns."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import (CNN_SMOKE, ONE_SMOKE_MODEL, ONE_SMOKE_MODEL_CONFIG, REPO, SMOKE, extra_config, metrics_rows,
                      run_to_completion, snakemake)

pytestmark = pytest.mark.integration

SMALL_DIGITS = "datasets: [digits]\nregularizers: [none]\n"
# Epochs of the training that is interrupted after its first: about a second each, so that even on
# a busy machine the interruption lands mid-run (with 4, a loaded machine saw the job finish first).
EPOCHS = 16


def copy_data(smoke, workdir):
    shutil.copytree(smoke / "results" / "data", workdir / "results" / "data")


def test_a_run_from_scratch_with_1_core_gives_the_same_metrics_as_with_4(smoke, tmp_path):
    """One model of the smoke config, from scratch with --cores 1 (the fixture used 4 on two
    cores, so jobs ran side by side), each job in its own process (the fixture's ran in forks
    of the warm interpreter): the same rows, to the last digit. Up to its metrics table,
    untimed: the figures, the report and the timings are no row of it; fine-tuned in one round
    (the smoke run's two-round fine-tunings train the same way, twice)."""
    extra = extra_config(tmp_path, ONE_SMOKE_MODEL_CONFIG + "efficiency: {latency_batch_sizes: []}\n"
                                                            "finetune: {rounds: [1]}\n")
    again = run_to_completion(tmp_path / "work", SMOKE, extra, cores=1, arguments=("results/metrics.csv",), warm=False)
    assert len(metrics_rows(again)) == 8  # two methods at three k, and two fine-tuned
    expected = metrics_rows(smoke, **ONE_SMOKE_MODEL)
    pd.testing.assert_frame_equal(metrics_rows(again), expected[expected["finetune_rounds"] != "2"].reset_index(drop=True))


def test_a_cnn_trained_on_two_threads_gives_the_same_metrics_with_1_core(cnn_smoke, tmp_path):
    """The CNN trains on 2 threads with oneDNN (its architecture's default, part of its id): with
    --cores 1, where Snakemake gives its training job one core, TensorFlow still runs the spec's 2
    threads, so seed 0's rows are those of the fixture (--cores 4: two 2-thread trainings side by
    side on two cores), to the last digit, each job in its own process."""
    again = run_to_completion(tmp_path / "work", CNN_SMOKE, extra_config(tmp_path, "seeds: [0]\n"), cores=1,
                              arguments=("results/metrics.csv",), warm=False)
    record = next((tmp_path / "work" / "results" / "models").glob("fashion/cnn-*/seed0/train.json")).read_text()
    assert '"threads": 2' in record and '"onednn": true' in record
    expected = metrics_rows(cnn_smoke, seed="0")
    assert len(expected) == 14  # seven methods at k = 0 and 0.5
    pd.testing.assert_frame_equal(metrics_rows(again), expected)


def heed_ctrl_c():
    """SIGINT handled as a terminal's Ctrl-C is: a test run started in the background (`cmd &`,
    nohup) inherits it ignored, one started by a supervisor may inherit it blocked (CI did), and
    the run it interrupts would inherit the same and finish. Both survive exec, so undo both."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def start_training_until_first_epoch(smoke, tmp_path):
    """A Snakemake run of one slow-ish training job, returned once its first epoch is logged."""
    workdir = tmp_path / "work"
    copy_data(smoke, workdir)
    extra = extra_config(tmp_path, SMALL_DIGITS + f"training: {{epochs: {EPOCHS}, train_size: 30000, "
                                                   "validation_size: 1000}\n")
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               "--cores", "1", "--until", "train", "--configfile", str(SMOKE), str(extra)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               preexec_fn=heed_ctrl_c)
    deadline = time.monotonic() + 300
    while not any(f"epoch 1/{EPOCHS}" in log.read_text() for log in workdir.glob("results/logs/train/digits/*/seed0.log")):
        assert time.monotonic() < deadline and process.poll() is None, "training never reached its first epoch"
        time.sleep(0.5)
    return workdir, extra, process


def assert_nothing_looks_complete_then_rerun(workdir, extra):
    model_dir = next(workdir.glob("results/models/digits/*/seed0"), None)
    assert model_dir is None or not {"weights.npz", "train.json"} & {p.name for p in model_dir.iterdir()}
    result = snakemake(workdir, "--cores", "1", "--until", "train", configfiles=(SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    model_dir = next(workdir.glob("results/models/digits/*/seed0"))
    assert {"weights.npz", "train.json", "history.csv"} <= {p.name for p in model_dir.iterdir()}
    assert f"epoch {EPOCHS}/{EPOCHS}" in next(workdir.glob("results/logs/train/digits/*/seed0.log")).read_text()


def test_a_training_job_killed_mid_run_leaves_nothing_complete_and_reruns(smoke, tmp_path):
    import psutil

    workdir, extra, process = start_training_until_first_epoch(smoke, tmp_path)
    job = next(p for p in psutil.Process(process.pid).children(recursive=True)
               if any(part.endswith(".train.py") for part in p.cmdline()))
    job.kill()  # as the kernel's OOM killer would
    assert process.wait(timeout=120) != 0
    assert_nothing_looks_complete_then_rerun(workdir, extra)


def epochs_logged(workdir):
    return sum(log.read_text().count(" INFO epoch ") for log in workdir.glob("results/logs/train/digits/*/seed0.log"))


def press_ctrl_c(process, workdir, presses=3):
    """Ctrl-C on the run, pressed again (as a person would) while its training goes on logging
    epochs: once, under load (the suite, 2026-12-07), the training job ran on to its 16th epoch
    and wrote complete outputs after the run's only Ctrl-C, Snakemake waiting for it; why the
    interrupt did not stop it is not known. Returns the run's exit status."""
    deadline = time.monotonic() + 120
    for _ in range(presses):
        pressed_at = epochs_logged(workdir)
        os.killpg(process.pid, signal.SIGINT)
        while process.poll() is None and epochs_logged(workdir) < pressed_at + 2:
            assert time.monotonic() < deadline, "the run neither ended nor trained on after Ctrl-C"
            time.sleep(0.2)
        if process.poll() is not None:
            return process.returncode
    return process.wait(timeout=120)


def test_an_interrupted_run_leaves_nothing_complete_and_reruns(smoke, tmp_path):
    workdir, extra, process = start_training_until_first_epoch(smoke, tmp_path)
    assert press_ctrl_c(process, workdir) != 0, "the run finished: the interruption never reached it"
    assert_nothing_looks_complete_then_rerun(workdir, extra)


def test_a_diverging_training_fails_loudly_and_writes_no_weights(smoke, tmp_path):
    workdir = tmp_path / "work"
    copy_data(smoke, workdir)
    extra = extra_config(tmp_path, SMALL_DIGITS + "training: {learning_rate: 1.0e+30, epochs: 2, train_size: 2000}\n")
    result = snakemake(workdir, "--cores", "1", "--until", "train", configfiles=(SMOKE, extra))
    assert result.returncode != 0
    log = next(workdir.glob("results/logs/train/digits/*/seed0.log")).read_text()
    assert "DivergedError: epoch 1: non-finite loss" in log
    assert not list(workdir.glob("results/models/digits/*/seed0/weights.npz"))


def test_a_corrupt_dataset_file_is_rejected_with_no_partial_output(smoke, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(smoke / "results" / "data" / "digits", mirror)
    labels = bytearray((mirror / "train-labels-idx1-ubyte").read_bytes())
    labels[1000] = (labels[1000] + 1) % 10
    (mirror / "train-labels-idx1-ubyte").write_bytes(bytes(labels))
    extra = extra_config(tmp_path, f"data: {{sources: {{digits: [{{kind: directory, path: '{mirror}'}}]}}}}\n")
    workdir = tmp_path / "work"
    result = snakemake(workdir, "--cores", "1", "results/data/digits/provenance.json", configfiles=(SMOKE, extra))
    assert result.returncode != 0
    assert "could not obtain dataset 'digits'" in result.stderr
    assert "train-labels-idx1-ubyte: checksum mismatch" in result.stderr
    assert not [p for p in (workdir / "results" / "data" / "digits").rglob("*") if p.is_file()]
