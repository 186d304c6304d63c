"""The Keras backend, imported with its threads and oneDNN setting pinned: both must be fixed
before TensorFlow is imported for runs to be bit-identical across processes, so both are part
of the configuration and of every result's provenance."""

from __future__ import annotations

import os
import sys

from ..plumbing.runtime import pin_threads

_PINNED: dict = {}


def import_tensorflow(threads: int, onednn: bool):
    """Import TensorFlow with pinned threads and oneDNN setting; returns the module.

    A second call with the same settings returns the module; TensorFlow imported
    elsewhere first, or other settings, cannot be pinned any more and raise.
    """
    if "tensorflow" in sys.modules:
        if _PINNED != {"threads": threads, "onednn": onednn}:
            raise RuntimeError(f"TensorFlow was already imported with {_PINNED or 'unpinned threads'}; "
                               f"cannot pin threads={threads}, onednn={onednn}")
        return sys.modules["tensorflow"]
    pin_threads(threads)
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    _PINNED.update(threads=threads, onednn=onednn)
    return tf
