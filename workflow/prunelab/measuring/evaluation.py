"""Test metrics of a (pruned) network, and its sparsity bookkeeping.

The loss is plain cross-entropy (no regularization penalty), from a float64
log-softmax of the logits: the numpy forward pass's for the chain models, ONNX Runtime's (one
thread) for graph models (:func:`predict`).
"""

from __future__ import annotations

import numpy as np

from ..models.graph_network import GraphNetwork
from ..models.network import Network, logits


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


EVALUATION_BATCH = 500
"""Images per ONNX Runtime call when a graph model is evaluated."""


def predict(network: Network | GraphNetwork, x: np.ndarray) -> np.ndarray:
    """The logits the test metrics are computed from. A graph model (ResNet, VGG, your own) runs
    as its ONNX export in ONNX Runtime on one thread: the numpy forward pass of
    :mod:`prunelab.models.graph` computes the same logits (to float rounding, tested per layer
    type) but its im2col convolutions are bound by memory at a ResNet's 16-64 channels: 4x slower
    on ResNet-20 (benchmarks/graph_prune.md). One thread keeps the results identical whatever
    ``--cores`` says."""
    if not isinstance(network, GraphNetwork):
        return logits(network, x)
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
