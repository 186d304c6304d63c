"""Exact numpy evaluation of dense models, and the sparsity bookkeeping.

A float32 numpy forward pass reproduces Keras's predictions, and costs a fraction
of a TensorFlow start-up, so prune jobs never import TensorFlow. The loss is
plain cross-entropy (no regularization penalty), from a float64 log-softmax.
"""

from __future__ import annotations

import numpy as np


def dense_logits(kernels: list[np.ndarray], features: np.ndarray) -> np.ndarray:
    """Logits of a bias-free ReLU MLP: ReLU between layers, none on the output."""
    activations = features
    for kernel in kernels[:-1]:
        activations = np.maximum(activations @ kernel, 0.0, dtype=np.float32)
    return activations @ kernels[-1]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def classification_metrics(logits: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy (as a correct count, too: float accuracies hide ties) and cross-entropy."""
    predictions = np.argmax(logits, axis=1)
    correct = int(np.sum(predictions == labels))
    loss = float(-np.mean(log_softmax(logits)[np.arange(len(labels)), labels]))
    return {"correct": correct, "total": int(len(labels)), "accuracy": correct / len(labels), "loss": loss}


def sparsity_stats(kernels: list[np.ndarray], masks: list[np.ndarray | None]) -> dict:
    """Zero fraction among prunable weights, and non-zero counts over the whole model."""
    prunable = [w for w, m in zip(kernels, masks) if m is not None]
    prunable_params = int(sum(w.size for w in prunable))
    prunable_zeros = int(sum(np.count_nonzero(w == 0) for w in prunable))
    return {
        "sparsity": prunable_zeros / prunable_params if prunable_params else 0.0,
        "prunable_params": prunable_params,
        "total_params": int(sum(w.size for w in kernels)),
        "nonzero_params": int(sum(np.count_nonzero(w) for w in kernels)),
    }
