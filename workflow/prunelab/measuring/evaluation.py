"""Test metrics of a (pruned) network, and its sparsity bookkeeping.

The loss is plain cross-entropy (no regularization penalty), from a float64
log-softmax of the logits ONNX Runtime computes on one thread (:func:`predict`).
"""

from __future__ import annotations

import numpy as np

from ..models.network import Network


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


EVALUATION_BATCH = 500
"""Images per ONNX Runtime call when a model is evaluated."""


def predict(network: Network, x: np.ndarray) -> np.ndarray:
    """The logits the test metrics are computed from: every model runs as its ONNX export in ONNX
    Runtime on one thread, one runtime for all, chosen by measurement (benchmarks/evaluation_runtime.md,
    10,000 images, one thread): 2.3x faster than numpy on the default ``cnn`` (0.75 against 1.75 s),
    3.4x on ResNet-20 (5.9 against 19.9 s), as fast on VGG-11, slower only on the default MLP
    (0.48 against 0.28 s). The numpy forward pass computes the same logits to float rounding (the
    loss moves in its tenth digit there). One thread keeps the results identical whatever
    ``--cores`` says."""
    from .onnx_export import run, session

    runtime = session(network)
    return np.concatenate([run(runtime, x[i:i + EVALUATION_BATCH]) for i in range(0, len(x), EVALUATION_BATCH)])


def classification_metrics(logits: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy (as a correct count, too: float accuracies hide ties) and cross-entropy."""
    predictions = np.argmax(logits, axis=1)
    correct = int(np.sum(predictions == labels))
    loss = float(-np.mean(log_softmax(logits)[np.arange(len(labels)), labels]))
    return {"correct": correct, "total": int(len(labels)), "accuracy": correct / len(labels), "loss": loss}


def sparsity_stats(network: Network, masks: list[np.ndarray | None]) -> dict:
    """Zero fraction among prunable weights, and non-zero counts over the whole model."""
    arrays = network.parameters()
    prunable = [w for w, m in zip(network.kernels, masks) if m is not None]
    prunable_params = int(sum(w.size for w in prunable))
    prunable_zeros = int(sum(np.count_nonzero(w == 0) for w in prunable))
    return {
        "sparsity": prunable_zeros / prunable_params if prunable_params else 0.0,
        "prunable_params": prunable_params,
        "total_params": int(sum(w.size for w in arrays)),
        "nonzero_params": int(sum(np.count_nonzero(w) for w in arrays)),
    }
