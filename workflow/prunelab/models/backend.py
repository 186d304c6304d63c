"""The Keras backend a training job runs on, imported with its threads pinned.

``training.backend``: ``tensorflow`` (the default, the backend this project is specified with)
or ``jax`` (Keras 3 on JAX: XLA-compiled steps, faster per core here, and the GPU path). Runs are
bit-identical across processes only when the thread count (and, on TensorFlow, the oneDNN
setting) is fixed before the backend is imported, so each job pins them first; all three are
part of the configuration and of every result's provenance.
"""

from __future__ import annotations

import contextlib
import os
import sys

from ..plumbing.runtime import claim_cpus, cpus_seen_at_start, pin_threads
from ..plumbing.warm import decline

BACKENDS = ("tensorflow", "jax")
DEFAULT_BACKEND = "tensorflow"

ONE_THREAD = {"threads": 1, "onednn": False}
"""What every training ran with before the per-architecture defaults: an MLP's fastest setting that
leaves the other cores to other trainings, and the setting of every model trained elsewhere
(their ids hold it)."""
PLAIN_KERAS = {"threads": 2, "onednn": True}
"""TensorFlow's own setting on this 2-core machine: a convolutional model's epoch 1.7x (the
``cnn``) to 6.2x (VGG-11) faster on one thread with oneDNN than without, and a lone training on
both cores 1.3x to 1.8x faster again (benchmarks/onednn.md)."""
TENSORFLOW_DEFAULTS = {"dense": ONE_THREAD, "imported": ONE_THREAD, "cnn": PLAIN_KERAS, "resnet": PLAIN_KERAS,
                       "vgg": PLAIN_KERAS, "vit": PLAIN_KERAS, "custom": PLAIN_KERAS}
"""``training.threads`` and ``training.onednn`` where the config leaves them null, by architecture
type, on TensorFlow (docs/performance.md has the measurements and the choice)."""


def engine_settings(training: dict, architecture_type: str) -> dict:
    """The threads and oneDNN setting a model of ``architecture_type`` trains with: the config's
    where it gives them, else the type's default. Both are part of the train id: TensorFlow's
    results depend on them, so neither may follow how many cores a run has. On JAX, whose results
    depend on its thread count too (XLA splits a convolution's sums by it), one thread."""
    defaults = (TENSORFLOW_DEFAULTS[architecture_type] if training.get("backend", DEFAULT_BACKEND) == "tensorflow"
                else ONE_THREAD)
    return {key: default if training.get(key) is None else training[key] for key, default in defaults.items()}

_PINNED: dict = {}
# Per backend, packages that TensorFlow and Keras import whenever they are installed, for
# features no job here uses: JAX for TFLite's converter, matplotlib for Keras's image-gallery
# plots (on JAX, JAX is the backend itself). They are marked missing while the backend is imported
# (both libraries then leave those features off) and import normally afterwards: TensorFlow's
# import took 6.3 s with them and 4.9 s without, Keras on JAX 3.2 s and 2.5 s.
UNUSED_BY = {"tensorflow": ("jax", "matplotlib"), "jax": ("matplotlib",)}


@contextlib.contextmanager
def _hidden(names):
    """``names`` count as not installed inside the block, unless already imported."""
    hidden = [name for name in names if name not in sys.modules]
    sys.modules.update(dict.fromkeys(hidden))
    try:
        yield
    finally:
        for name in hidden:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]


def import_tensorflow(threads: int, onednn: bool):
    """Import TensorFlow with pinned threads and oneDNN setting; returns the module.

    A second call with the same settings returns the module; TensorFlow imported
    elsewhere first, or other settings, cannot be pinned any more and raise.
    """
    if "tensorflow" in sys.modules:
        if _PINNED != {"threads": threads, "onednn": onednn}:
            _refuse(f"TensorFlow was already imported with {_PINNED or 'unpinned threads'}; "
                    f"cannot pin threads={threads}, onednn={onednn}")
        _pin_tensorflow_environment(threads, onednn)  # the warm interpreter's jobs set it themselves
        return sys.modules["tensorflow"]
    _pin_tensorflow_environment(threads, onednn)
    with _hidden(UNUSED_BY["tensorflow"]):
        import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    _PINNED.update(threads=threads, onednn=onednn)
    return tf


def _pin_tensorflow_environment(threads: int, onednn: bool) -> None:
    pin_threads(threads)
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _refuse(reason: str):
    """A backend or setting this process can no longer give: in a job forked from the warm
    interpreter, the job runs in its own process instead; elsewhere an error."""
    decline(reason)
    raise RuntimeError(reason)


def xla_flags(threads: int) -> str:
    """XLA's CPU threading for ``threads`` threads: one thread means no Eigen thread pool."""
    return f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} intra_op_parallelism_threads={threads}"


def import_jax_keras(threads: int):
    """Import Keras on its JAX backend with ``threads`` CPU threads; returns the keras module.
    XLA's flags bound its Eigen pool only, so the process is also bound to ``threads`` free CPUs
    (``claim_cpus``) before JAX starts its threads, which inherit the binding; where too few are
    free, XLA still starts seeing ``threads`` of them, so its results do not follow how busy the
    machine was (``cpus_seen_at_start``). On a machine with
    a GPU and JAX's CUDA build installed, JAX runs the steps there."""
    settings = {"backend": "jax", "threads": threads}
    if "keras" in sys.modules:
        if _PINNED != settings:
            _refuse(f"Keras was already imported with {_PINNED or 'another backend'}; cannot run it "
                    f"on JAX with threads={threads}")
        return sys.modules["keras"]
    pin_threads(threads)
    claim_cpus(threads)
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_FLAGS"] = " ".join(filter(None, [os.environ.get("XLA_FLAGS"), xla_flags(threads)]))
    # TensorFlow stays out: Keras would import it (seconds, and a second thread pool) only to
    # seed it too; marked missing, it counts as not installed
    sys.modules.setdefault("tensorflow", None)
    with _hidden(UNUSED_BY["jax"]), cpus_seen_at_start(threads):
        import jax
        import keras

        jax.devices()  # XLA's CPU client starts here, seeing ``threads`` CPUs however many are free

    _PINNED.update(settings)
    return keras


def import_keras_for_files():
    """Keras for writing and reading ``.keras`` files, which load on any backend: the one this
    process already has (a fork of the warm interpreter has TensorFlow's), else JAX on one
    thread, which keeps TensorFlow's import out of a numpy job."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    return import_jax_keras(1)


def import_keras(spec: dict):
    """The keras module for a training ``spec``, on its backend (``spec["backend"]``, default
    TensorFlow), with its threads pinned."""
    if spec.get("backend", DEFAULT_BACKEND) == "jax":
        return import_jax_keras(spec["threads"])
    return import_tensorflow(spec["threads"], spec["onednn"]).keras


def synchronize(model) -> None:
    """Make ``model``'s variables hold the current training state in the middle of an epoch: on
    JAX the compiled steps thread the state and write it back only at an epoch's end (or when
    asked, as here); on TensorFlow the variables are always current."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def recompile(model) -> None:
    """Have the next training step see masks changed in the middle of training: JAX compiles a
    mask held outside the model's state into the step as a constant; TensorFlow reads it anew."""
    if hasattr(model, "jax_state_sync"):
        model.make_train_function(force=True)
