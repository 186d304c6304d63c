"""Keras's LayerNormalization over the last axis (a transformer's): each position's features
normalized by their own mean and variance, then scaled and shifted per feature. It mixes the
features it normalizes, so a removed (zeroed) feature would change every other: the features it
reads are kept whole (it is not zero at zero)."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


def layer_norm(x: np.ndarray, weights: dict, epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The normalized ``x`` as Keras computes it, x·s + (β − μ·s) with s = γ / sqrt(σ² + ε) over
    the last axis; and the standardized x̂ and 1 / sqrt(σ² + ε), which the gradient reads."""
    mean = x.mean(axis=-1, keepdims=True)
    inverse = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=-1, keepdims=True) + np.asarray(epsilon, x.dtype))
    scale = inverse * weights["gamma"] if "gamma" in weights else inverse
    shift = -mean * scale + weights["beta"] if "beta" in weights else -mean * scale
    return (x * scale + shift).astype(x.dtype), (x - mean) * inverse, inverse


class LayerNormalization(LayerType):
    name = "LayerNormalization"
    description = "layer normalization over the last axis"
    weights = ("gamma", "beta")

    def problem(self, node, input_shape):
        rank = len(input_shape)
        if node.config.get("axis", -1) not in (-1, rank, [-1], [rank]):
            return f"axis {node.config['axis']}; only the last axis (-1) is supported"
        if node.config.get("rms_scaling"):
            return "rms_scaling is not supported"
        if rank == 3:
            return "over an image's channels it is not supported (on sequences and feature vectors it is)"
        return ""

    def zero_at_zero(self, node):
        return False

    def forward(self, node, weights, values):
        return layer_norm(values[0], weights, node.config.get("epsilon", 1e-3))[0]

    def backward(self, node, weights, values, output, upstream):
        """∂x = s·(g − mean(g) − x̂·mean(g·x̂)), g = γ·upstream, over the last axis."""
        _, standardized, inverse = layer_norm(values[0], weights, node.config.get("epsilon", 1e-3))
        scaled = upstream * weights["gamma"] if "gamma" in weights else upstream
        centered = scaled - scaled.mean(axis=-1, keepdims=True)
        return [inverse * (centered - standardized * (scaled * standardized).mean(axis=-1, keepdims=True))], None

    def onnx(self, node, weights, sources, onnx):
        features = onnx.shapes[node.inputs[0]][-1]
        scale = weights.get("gamma", np.ones(features, np.float32))
        shift = weights.get("beta", np.zeros(features, np.float32))
        return onnx.add("LayerNormalization", [sources[0], onnx.constant(f"{node.name}/gamma", scale),
                                               onnx.constant(f"{node.name}/beta", shift)],
                        node.name, axis=-1, epsilon=float(node.config.get("epsilon", 1e-3)))


LAYER_TYPES = (LayerNormalization(),)
