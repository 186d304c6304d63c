"""The quantizations a config can name (``quantization.methods``), each a function from a pruned
model to its quantized form: what is evaluated, the file that runs it, and what it costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..measuring.compaction import compact
from ..measuring.evaluation import EVALUATION_BATCH, predict
from ..measuring.onnx_export import to_onnx
from ..models.network import Network
from . import int8, litert, storage, weight_sharing


@dataclass
class Quantized:
    """A quantized model: its logits on images, the file that runs it (ONNX, or LiteRT's
    flatbuffer), and its sizes."""

    logits: Callable[[np.ndarray], np.ndarray]
    file: bytes
    sizes: dict
    details: dict


def layer_kind(network: Network, index: int) -> str:
    """The kind whose settings a prunable layer takes: ``conv`` or ``dense`` (any matrix)."""
    return "conv" if network.is_conv(index) else "dense"


def kmeans(network: Network, *, settings: dict, images: np.ndarray, labels: np.ndarray, calibration: np.ndarray,
           seed: int, log) -> Quantized:
    """Deep Compression's weight sharing of every prunable layer, centroids fine-tuned on the
    training images (:mod:`prunelab.quantizing.weight_sharing`), sized as the paper sizes it
    (:mod:`prunelab.quantizing.storage`)."""
    kinds = [layer_kind(network, index) for index in range(network.num_layers)]
    bits = [settings["bits"][kind] for kind in kinds]
    layers = weight_sharing.share_weights(network, bits)
    history = weight_sharing.fine_tune_centroids(
        network, layers, images, labels, epochs=settings["epochs"], learning_rate=settings["learning_rate"],
        batch_size=settings["batch_size"], seed=seed, log=log)
    shared = weight_sharing.with_shared(network, layers)
    sizes = storage.model_storage(shared, layers, bits, [settings["index_bits"][kind] for kind in kinds])
    return Quantized(lambda x: predict(shared, x), to_onnx(compact(shared)), sizes,
                     {"bits": bits, "centroid_history": history})


def int8_onnx(network: Network, *, settings: dict, images: np.ndarray, labels: np.ndarray, calibration: np.ndarray,
              seed: int, log) -> Quantized:
    """ONNX Runtime's static int8 quantization (:mod:`prunelab.quantizing.int8`), calibrated on
    the calibration images; its size is its file's (Deep Compression's counts are kmeans's)."""
    model = int8.quantized_onnx(network, calibration)
    predict = int8.int8_predictor(model)

    def logits(x):
        return np.concatenate([predict(x[i:i + EVALUATION_BATCH]) for i in range(0, len(x), EVALUATION_BATCH)])

    return Quantized(logits, model, storage.file_storage(network, model), {"calibration_images": len(calibration)})


def litert_int8(network: Network, *, settings: dict, images: np.ndarray, labels: np.ndarray,
                calibration: np.ndarray, seed: int, log) -> Quantized:
    """LiteRT's full-integer quantization (:mod:`prunelab.quantizing.litert`), calibrated on the
    calibration images, evaluated in LiteRT's interpreter; its size is its file's."""
    model = litert.litert_model(network, calibration)
    return Quantized(litert.litert_predictor(model), model, storage.file_storage(network, model),
                     {"calibration_images": len(calibration)})


QUANTIZERS = {"kmeans": kmeans, "int8": int8_onnx, "litert": litert_int8}
"""Every quantization by the name ``quantization.methods`` gives it."""
