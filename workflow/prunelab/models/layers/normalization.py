"""Keras's Normalization over the last axis with fixed statistics: (x − mean) / max(√variance, ε),
ε Keras's 1e-7; the statistics are its weights (adapted, or set by training code) or its config's
``mean`` and ``variance``. A removed channel would get −mean / √variance: it is not zero at zero
where the mean is not."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType

EPSILON = 1e-7
"""keras.backend.epsilon(), the floor of the standard deviation."""


def statistics(node, weights: dict) -> tuple[np.ndarray, np.ndarray]:
    """The mean and variance it normalizes with, one per channel (or one for all)."""
    if "adapt_mean" in weights:
        return weights["adapt_mean"], weights["adapt_variance"]
    return np.asarray(node.config["mean"], np.float32), np.asarray(node.config["variance"], np.float32)


class Normalization(LayerType):
    name = "Normalization"
    description = "normalization by fixed statistics over the last axis (not inverted)"
    weights = ("adapt_mean", "adapt_variance")

    def problem(self, node, input_shape):
        axis = node.config.get("axis", -1)
        axis = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if node.config.get("invert") or axis not in ([-1], [len(input_shape)]):
            return "only the last axis (channels), not inverted, is supported"
        return ""

    def zero_at_zero(self, node) -> bool:
        return False  # unless its mean is zero, which its weights, not its config, say

    def forward(self, node, weights, values):
        mean, variance = statistics(node, weights)
        return (values[0] - mean) / np.maximum(np.sqrt(variance), np.float32(EPSILON))

    def backward(self, node, weights, values, output, upstream):
        _, variance = statistics(node, weights)
        return [upstream / np.maximum(np.sqrt(variance), EPSILON)], None

    def onnx(self, node, weights, sources, onnx):
        mean, variance = statistics(node, weights)
        deviation = np.maximum(np.sqrt(variance), np.float32(EPSILON))
        out = onnx.add("Sub", [sources[0], onnx.constant(f"{node.name}/mean", onnx.per_channel(node, mean))],
                       f"{node.name}/centered")
        return onnx.add("Div", [out, onnx.constant(f"{node.name}/deviation", onnx.per_channel(node, deviation))],
                        node.name)

    def assigned(self, layer) -> None:
        """Keras's layer divides by statistics it derives from its variables when it is built:
        derived again once they are assigned (as Keras does after loading them)."""
        layer.finalize_state()


LAYER_TYPES = (Normalization(),)
