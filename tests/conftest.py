import contextlib
import functools
import hashlib
import http.server
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from prunelab.plumbing import warm as warm_interpreter

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def tensorflow():
    """TensorFlow imported once per test session, with one pinned thread."""
    from prunelab.models.backend import import_tensorflow

    return import_tensorflow(1, False)


# The fixtures that run the workflow, each in the family of fixtures that builds on its run: the
# tests of one family go to one pytest-xdist worker (`make test` runs two), so no run is made twice.
WORKFLOW_RUNS = {"smoke": "smoke", "cnn_smoke": "cnn", "methods_smoke": "methods", "jax_smoke": "methods",
                 "resnet_smoke": "resnet", "imported_smoke": "imported", "own_dataset_smoke": "own-dataset",
                 "cifar10_smoke": "cifar10", "attention_smoke": "attention"}

# The jobs each fixture's workflow runs plan from an empty folder (snakemake -n), at most:
# tests/test_budget.py fails when a change makes a fixture plan more, so the suite's growth is seen.
JOB_BUDGETS = {"smoke": 59, "cnn_smoke": 27, "methods_smoke": 50, "jax_smoke": 17, "resnet_smoke": 47,
               "imported_smoke": 20, "own_dataset_smoke": 51, "cifar10_smoke": 26, "attention_smoke": 27}


def pytest_collection_modifyitems(config, items):
    """Marks from what a test uses: TensorFlow training is slow, a finished workflow run is an
    integration test (``make unit`` runs the rest in seconds), grouped by its fixtures' family."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "tensorflow" in fixtures:
            item.add_marker(pytest.mark.slow)
        families = {WORKFLOW_RUNS[name] for name in fixtures & set(WORKFLOW_RUNS)}
        if families:
            assert len(families) == 1, f"{item.nodeid} uses the runs of several families: {families}"
            item.add_marker(pytest.mark.integration)
            keep_on_one_worker(config, item, families.pop())


def keep_on_one_worker(config, item, group):
    """Send the test to its group's worker under ``--dist loadgroup``. pytest-xdist (3.8) does so by
    appending '@group' to the item's ``_nodeid``, which pytest 9 no longer reads (a node's id is its
    ``_id``), so that its groups are silently ignored: the suffix is added here, the same way."""
    item.add_marker(pytest.mark.xdist_group(group))
    if getattr(config.option, "loadgroup", False):  # set in pytest-xdist's workers
        item._id = type(item._id).parse(f"{item.nodeid}@{group}")


SMOKE = REPO / "tests" / "smoke.yaml"
CNN_SMOKE = REPO / "tests" / "smoke-cnn.yaml"
METHODS_SMOKE = REPO / "tests" / "smoke-methods.yaml"
JAX_SMOKE = REPO / "tests" / "smoke-jax.yaml"
RESNET_SMOKE = REPO / "tests" / "smoke-resnet.yaml"
IMPORTED_SMOKE = REPO / "tests" / "smoke-imported.yaml"
OWN_DATASET_SMOKE = REPO / "tests" / "smoke-own-dataset.yaml"
CIFAR10_SMOKE = REPO / "tests" / "smoke-cifar10.yaml"
APPLICATIONS_SMOKE = REPO / "tests" / "smoke-applications.yaml"
ATTENTION_SMOKE = REPO / "tests" / "smoke-attention.yaml"


_SNAKEMAKE_FORKS = multiprocessing.get_context("forkserver")
_SNAKEMAKE_FORKS.set_forkserver_preload(["snakemake.cli", "forked_snakemake"])


def snakemake(workdir, *args, configfiles=(SMOKE,), warm=True, timeout=1800):
    """A Snakemake run, as `python -m snakemake` would make it, in a fork of a process that has
    imported Snakemake (tests/forked_snakemake.py); ``warm=False``: every job in its own process
    (no warm interpreter)."""
    import forked_snakemake

    arguments = ["-s", str(REPO / "Snakefile"), "--directory", str(workdir), *args,
                 "--configfile", *map(str, configfiles)]
    environment = {**os.environ, warm_interpreter.SWITCH_VARIABLE: "1" if warm else "0"}
    with tempfile.TemporaryDirectory(prefix="snakemake-output-") as folder:
        stdout, stderr = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
        process = _SNAKEMAKE_FORKS.Process(target=forked_snakemake.run, args=(arguments, environment, stdout, stderr))
        process.start()
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(["snakemake", *arguments], timeout)
        return subprocess.CompletedProcess(["snakemake", *arguments], process.exitcode,
                                           Path(stdout).read_text(), Path(stderr).read_text())


def planned_jobs(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run, as {rule: count}."""
    if "Nothing to be done" in output:
        return {}
    table = output.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def planned_outputs(output: str, rule: str) -> list[str]:
    """The output files of a rule's jobs in a dry run's job listing."""
    return re.findall(rf"^(?:local)?rule {rule}:\n(?:    .*\n)*?    output: (.+)$", output, re.M)


def run_to_completion(workdir, *configfiles, cores=4, arguments=(), warm=True):
    """A workflow run to its end (``arguments``: targets, or options such as ``--until``)."""
    result = snakemake(workdir, "--cores", str(cores), *arguments, configfiles=configfiles, warm=warm)
    assert result.returncode == 0, result.stderr[-5000:]
    return workdir


def metrics_rows(workdir, **match):
    """metrics.csv's rows as written (every cell a string), of the models matching ``match``
    (dataset="digits", regularizer="none"): one model's rows of a run, to compare exactly with
    a run of that model alone."""
    import pandas as pd

    table = pd.read_csv(workdir / "results" / "metrics.csv", dtype=str, keep_default_na=False)
    for column, value in match.items():
        table = table[table[column] == value]
    return table.reset_index(drop=True)


# One model of the smoke config (digits, no regularizer): its rows of the smoke run must come out
# the same from a run of it alone, however that run is scheduled.
ONE_SMOKE_MODEL = {"dataset": "digits", "regularizer": "none"}
ONE_SMOKE_MODEL_CONFIG = "datasets: [digits]\nregularizers: [none]\n"


def extra_config(directory, text, name="extra.yaml"):
    path = directory / name
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    return run_to_completion(tmp_path_factory.mktemp("smoke"), SMOKE)


@pytest.fixture(scope="session")
def cnn_smoke(tmp_path_factory):
    return run_to_completion(tmp_path_factory.mktemp("cnn-smoke"), CNN_SMOKE)


@pytest.fixture(scope="session")
def methods_smoke(tmp_path_factory):
    return run_to_completion(tmp_path_factory.mktemp("methods-smoke"), METHODS_SMOKE)


@pytest.fixture(scope="session")
def resnet_smoke(tmp_path_factory):
    return run_to_completion(tmp_path_factory.mktemp("resnet-smoke"), RESNET_SMOKE)


@pytest.fixture(scope="session")
def attention_smoke(tmp_path_factory):
    return run_to_completion(tmp_path_factory.mktemp("attention-smoke"), ATTENTION_SMOKE)


@pytest.fixture(scope="session")
def fashion_files(tmp_path_factory):
    """Fashion-MNIST's files as a run fetches them (the ResNet run's config, its data only): the
    real images the runs below are made from, each its own family, so that pytest-xdist can spread
    them over the workers (fetched once per worker: seconds)."""
    workdir = tmp_path_factory.mktemp("fashion")
    run_to_completion(workdir, RESNET_SMOKE, arguments=("results/data/fashion/provenance.json",))
    return workdir / "results" / "data" / "fashion"


@pytest.fixture(scope="session")
def imported_smoke(fashion_files, tmp_path_factory):
    """A model trained outside the workflow (tests/train_elsewhere.py, plain Keras on Fashion-MNIST's
    files) saved as trained.keras, then pruned by the workflow; the Keras
    test metrics of the saved model are in keras_metrics.json beside it."""
    workdir = tmp_path_factory.mktemp("imported-smoke")
    trained = subprocess.run([sys.executable, str(REPO / "tests" / "train_elsewhere.py"),
                              str(fashion_files), str(workdir / "trained.keras")],
                             capture_output=True, text=True, check=True)
    (workdir / "keras_metrics.json").write_text(trained.stdout.strip().splitlines()[-1])
    return run_to_completion(workdir, IMPORTED_SMOKE)


@contextlib.contextmanager
def loopback(folder):
    """An HTTP server on 127.0.0.1 serving ``folder``; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def cifar10_smoke(fashion_files, tmp_path_factory):
    """Both CIFAR-10 presets run (tests/smoke-cifar10.yaml on top of each: their methods but
    SNIP and SynFlow; VGG-16 by weight and unit only, one-shot: ResNet-20's run takes every
    other method's code path) in one folder on an
    archive in CIFAR-10's layout served on a loopback HTTP server: Fashion-MNIST's first 400
    training and 100 test images (``fashion_files``) zero-padded to 32x32 and
    repeated over 3 channels; the test passes the archive's checksum as the source's."""
    import numpy as np
    from prunelab.data.cifar10 import write_archive
    from prunelab.data.loading import load_split

    workdir, served = tmp_path_factory.mktemp("cifar10-smoke"), tmp_path_factory.mktemp("cifar10-served")
    data = fashion_files

    def padded(images, labels, count):
        images = np.pad(images[:count], ((0, 0), (2, 2), (2, 2)))
        return np.repeat(images[..., np.newaxis], 3, axis=-1), labels[:count]

    splits = {split: padded(*load_split(data, "fashion", split), count)
              for split, count in (("train", 400), ("test", 100))}
    write_archive(served / "cifar-10-binary.tar.gz", splits)
    digest = hashlib.sha256((served / "cifar-10-binary.tar.gz").read_bytes()).hexdigest()
    with loopback(served) as base:
        for configfiles in cifar10_runs(workdir, base, digest):
            run_to_completion(workdir, *configfiles)
    return workdir


def cifar10_runs(workdir, base, digest):
    """The CIFAR-10 fixture's two runs in one folder (their config files), on the archive of
    SHA-256 ``digest`` served at ``base``."""
    sources = extra_config(workdir, f"data: {{sources: {{cifar10: [{{kind: url, base: '{base}/', "
                                    f"sha256: {digest}}}]}}}}\n")
    one_shot = extra_config(workdir, "pruning: {methods: [weight, unit]}\n"
                                     "finetune: {epochs: [0]}\n", "one-shot.yaml")
    return [(REPO / "presets" / "cifar10-resnet20.yaml", CIFAR10_SMOKE, sources),
            (REPO / "presets" / "cifar10-vgg16.yaml", CIFAR10_SMOKE, sources, one_shot)]


@pytest.fixture(scope="session")
def own_dataset_smoke(fashion_files, tmp_path_factory):
    """A researcher's own datasets from real images (Fashion-MNIST: ``fashion_files``):
    ``small``, its first 6,000 training and 2,000 test images as an .npz served on a loopback HTTP
    server; ``padded``, those of its first 5 classes zero-padded to 32x32, repeated over 3
    channels, float32, by file; run through the workflow (tests/smoke-own-dataset.yaml), then
    keras.applications' MobileNetV2 on ``padded`` in the same folder (tests/smoke-applications.yaml,
    its own experiment: results/applications/)."""
    from prunelab.data.loading import load_split

    workdir, served = tmp_path_factory.mktemp("own-dataset-smoke"), tmp_path_factory.mktemp("served")
    data = fashion_files
    write_own_datasets(workdir, served, *(load_split(data, "fashion", split) for split in ("train", "test")))
    with loopback(served) as base:
        for configfiles, arguments in own_dataset_runs(workdir, served, base):
            run_to_completion(workdir, *configfiles, arguments=arguments)
    return workdir


def write_own_datasets(workdir, served, train, test):
    """The own-dataset fixture's files from Fashion-MNIST's ``train`` and ``test`` (images, labels)."""
    import numpy as np

    (x_train, y_train), (x_test, y_test) = (train[0][:6000], train[1][:6000]), (test[0][:2000], test[1][:2000])
    np.savez_compressed(served / "fashion-small.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

    def padded(images, labels):
        chosen = labels < 5
        images = np.pad(images[chosen], ((0, 0), (2, 2), (2, 2))).astype(np.float32) / 255
        return np.repeat(images[..., np.newaxis], 3, axis=-1), labels[chosen]

    (px_train, py_train), (px_test, py_test) = padded(x_train, y_train), padded(x_test, y_test)
    np.savez_compressed(workdir / "padded.npz", x_train=px_train, y_train=py_train, x_test=px_test, y_test=py_test)


# What the MobileNetV2 run's test reads: its metrics and unit's exported model (no figures, no
# report, no export of the unpruned model: the trained model.keras is the one it loads).
UNTIL_EXPORTS = ("--until", "aggregate", "export_pruned")


def own_dataset_runs(workdir, served, base):
    """The own-dataset fixture's two runs (their config files and further arguments): ``small``
    by URL (``served`` at ``base``) and ``padded`` by file in ``workdir``, then MobileNetV2 on
    ``padded`` up to its metrics and exports."""
    digest = {name: hashlib.sha256(path.read_bytes()).hexdigest()
              for name, path in (("small", served / "fashion-small.npz"), ("padded", workdir / "padded.npz"))}
    entries = (f"custom_datasets:\n  small: {{url: '{base}/fashion-small.npz', sha256: {digest['small']}}}\n"
               f"  padded: {{file: padded.npz, sha256: {digest['padded']}}}\n")
    datasets = extra_config(workdir, entries)
    return [((OWN_DATASET_SMOKE, datasets), ()), ((APPLICATIONS_SMOKE, datasets), UNTIL_EXPORTS)]


@pytest.fixture(scope="session")
def jax_smoke(tmp_path_factory):
    return run_to_completion(tmp_path_factory.mktemp("jax-smoke"), METHODS_SMOKE, JAX_SMOKE)


# Loads each (model file, inputs) pair named on its command line and saves the predictions.
PLAIN_KERAS = """import sys, numpy as np, keras
for model, inputs, predictions in zip(*[iter(sys.argv[1:])] * 3):
    np.save(predictions, keras.saving.load_model(model).predict(np.load(inputs), verbose=0))
"""


def load_in_plain_keras(workdir, models, folder, dataset="fashion", backend="jax"):
    """Load the trained and the exported unit-pruned (k = 0.5) ``model.keras`` of each of a run's
    ``models`` (on ``dataset``) in plain Keras (no prunelab; on JAX, not the backend they were
    trained on, unless ``backend`` says; one process for all, as Keras's import is most of the
    time) and compare their predictions with the workflow's own engine; returns each model's two files."""
    import numpy as np

    from prunelab.data.loading import features, load_split
    from prunelab.measuring.export import load
    from prunelab.models.network import Network
    from prunelab.plumbing.fileio import read_json

    images, _ = load_split(workdir / "results" / "data" / dataset, dataset, "test")
    files, expected, arguments = {}, [], []
    for model in models:
        [trained] = (workdir / "results" / "models").glob(f"{dataset}/{model}-*/seed0/model.keras")
        [exported] = (workdir / "results" / "exported").glob(f"{dataset}/{model}-*/seed0/*/unit/k0.5.keras")
        record = read_json(trained.parent / "train.json")
        x, inputs = features(record["spec"]["architecture"], images[:200]), folder / f"{model}-x.npy"
        np.save(inputs, x)
        for form, path, network in (
                ("trained", trained, Network.load(trained.parent / "weights.npz", record["spec"]["architecture"])),
                ("exported", exported, load(exported.with_suffix(".npz")))):
            predictions = folder / f"{model}-{form}.npy"
            arguments += [str(path), str(inputs), str(predictions)]
            expected.append((predictions, network.logits(x)))
        files[model] = trained, exported
    subprocess.run([sys.executable, "-c", PLAIN_KERAS, *arguments], check=True, capture_output=True,
                   env={"PATH": "/usr/bin:/bin", "KERAS_BACKEND": backend})
    for predictions, logit in expected:
        probabilities = np.exp(logit - logit.max(1, keepdims=True))
        probabilities /= probabilities.sum(1, keepdims=True)
        np.testing.assert_allclose(np.load(predictions), probabilities, rtol=1e-3, atol=1e-5, err_msg=predictions)
    return files
