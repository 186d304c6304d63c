"""Keras's BatchNormalization over the channel axis, in inference mode (its moving statistics):
a per-channel affine map, the normalizer of the channels it reads."""

from __future__ import annotations

import numpy as np

from .layer_type import LayerType


def batch_norm(x: np.ndarray, weights: dict, epsilon: float) -> np.ndarray:
    """Inference-mode batch normalization, computed as TensorFlow does: x·s + (β − μ·s) with
    s = γ / sqrt(σ² + ε)."""
    scale = 1.0 / np.sqrt(weights["moving_variance"] + np.float32(epsilon))
    if "gamma" in weights:
        scale = scale * weights["gamma"]
    shift = -weights["moving_mean"] * scale
    if "beta" in weights:
        shift = shift + weights["beta"]
    return x * scale.astype(x.dtype) + shift.astype(x.dtype)


class BatchNormalization(LayerType):
    name = "BatchNormalization"
    description = "batch normalization over the channel axis"
    weights = ("gamma", "beta", "moving_mean", "moving_variance")
    channel_role = "normalizer"

    channel_axes = {"gamma": 0, "beta": 0, "moving_mean": 0, "moving_variance": 0}
    channel_values = ("gamma", "beta")

    def masked_channels(self, arrays, keep):
        """A removed channel loses its scale, shift and mean, so that a batch norm without scale or
        center outputs zero there too."""
        masked = super().masked_channels(arrays, keep)
        return {**masked, "moving_mean": np.where(keep, arrays["moving_mean"], 0).astype(np.float32)}

    def live_channels(self, node, arrays):
        channels = arrays["moving_variance"].shape[0]
        return batch_norm(np.zeros((1, channels), np.float32), arrays, node.config.get("epsilon", 1e-3))[0] != 0

    recalibrates = True

    def recalibrated(self, node, weights, values):
        """The moving mean and variance replaced by the mean and (biased, as Keras's training step
        computes it) variance of each channel of its input over every image and position; a
        removed channel's input is zero, so its statistics stay zero."""
        channels = values[0].reshape(-1, values[0].shape[-1]).astype(np.float64)
        return {**weights, "moving_mean": channels.mean(axis=0).astype(np.float32),
                "moving_variance": channels.var(axis=0).astype(np.float32)}

    def problem(self, node, input_shape):
        rank = len(input_shape)
        if node.config.get("axis", -1) not in (-1, rank, [-1], [rank]):
            return f"axis {node.config['axis']}; only the channel axis (-1) is supported"
        return ""

    def forward(self, node, weights, values):
        return batch_norm(values[0], weights, node.config.get("epsilon", 1e-3))

    def backward(self, node, weights, values, output, upstream):
        scale = 1.0 / np.sqrt(weights["moving_variance"] + node.config.get("epsilon", 1e-3))
        return [upstream * (scale * weights["gamma"] if "gamma" in weights else scale)], None

    def onnx(self, node, weights, sources, onnx):
        channels = weights["moving_mean"].shape[0]
        scale = weights.get("gamma", np.ones(channels, np.float32))
        shift = weights.get("beta", np.zeros(channels, np.float32))
        name = node.name
        return onnx.add("BatchNormalization", [sources[0], onnx.constant(f"{name}/gamma", scale),
                                               onnx.constant(f"{name}/beta", shift),
                                               onnx.constant(f"{name}/mean", weights["moving_mean"]),
                                               onnx.constant(f"{name}/variance", weights["moving_variance"])],
                        name, epsilon=float(node.config.get("epsilon", 1e-3)))


LAYER_TYPES = (BatchNormalization(),)
