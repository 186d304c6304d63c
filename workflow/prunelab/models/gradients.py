"""Exact gradients of a :class:`Network`'s kernels by backpropagation in numpy (float64).

Saliency scores (|w · ∂L/∂w|, SNIP) and SynFlow's synaptic flow need gradients but no
training, so pruning jobs get them here without TensorFlow. The forward pass is the one
of :func:`prunelab.models.network.logits` (ReLU after every layer but the last, 2x2 max-pooling
where the architecture says, NHWC flattening); gradients match TensorFlow's (tested).
"""

from __future__ import annotations

import numpy as np

from . import graph_gradients
from .graph_network import GraphNetwork
from .layers.pooling import max_pool
from .network import POOL_2X2, Network, im2col, pools_of


def _forward(network: Network, x: np.ndarray) -> tuple[np.ndarray, list[dict]]:
    """Logits and, per layer, what the backward pass needs."""
    pools, cache = pools_of(network), []
    for index in range(network.num_layers):
        kernel = np.asarray(network.kernels[index], dtype=np.float64)
        step = {"input_shape": x.shape}
        if network.is_conv(index):
            patches, (n, ho, wo) = im2col(x, kernel.shape[:2])
            step["patches"] = patches
            out = (patches @ kernel.reshape(-1, kernel.shape[-1])).reshape(n, ho, wo, -1)
        else:
            x = x.reshape(len(x), -1)
            step["input"] = x
            out = x @ kernel
        if network.biases is not None:
            out = out + network.biases[index]
        if index < network.num_layers - 1:
            step["active"] = out > 0
            out = np.where(step["active"], out, 0.0)
            if network.is_conv(index) and pools[index]:
                step["before_pool"] = out
                out = max_pool(out, POOL_2X2)
        cache.append(step)
        x = out
    return x, cache


def _col2im(patch_gradients: np.ndarray, input_shape: tuple, kernel_shape: tuple) -> np.ndarray:
    """The input gradient of a 'valid' stride-1 convolution from its patches' gradients."""
    n, h, w, channels = input_shape
    kh, kw = kernel_shape
    ho, wo = h - kh + 1, w - kw + 1
    grouped = patch_gradients.reshape(n, ho, wo, kh, kw, channels)
    gradient = np.zeros(input_shape)
    for i in range(kh):
        for j in range(kw):
            gradient[:, i:i + ho, j:j + wo, :] += grouped[:, :, :, i, j, :]
    return gradient


def _max_pool_backward(before: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """Route each pooled gradient to the first maximum of its 2x2 window (row-major)."""
    n, h, w, c = before.shape
    cropped = before[:, : h - h % 2, : w - w % 2]
    windows = cropped.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, w // 2, c, 4)
    first = np.argmax(windows, axis=-1)
    routed = np.zeros(windows.shape)
    np.put_along_axis(routed, first[..., None], gradient[..., None], axis=-1)
    routed = routed.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(cropped.shape)
    full = np.zeros(before.shape)
    full[:, : h - h % 2, : w - w % 2] = routed
    return full


def kernel_gradients(network: Network | GraphNetwork, x: np.ndarray, output_gradient) -> list[np.ndarray]:
    """∂objective/∂kernel for every layer, where ``output_gradient(logits)`` gives
    ∂objective/∂logits (float64 throughout). A graph model is differentiated through its graph
    (:mod:`prunelab.models.graph_gradients`)."""
    if isinstance(network, GraphNetwork):
        gradients = graph_gradients.kernel_gradients(network.graph, network.weights, x, output_gradient)
        return [gradients[name] for name in network.layer_names]
    logits, cache = _forward(network, x.astype(np.float64))
    upstream = output_gradient(logits)
    gradients: list[np.ndarray] = [None] * network.num_layers
    for index in reversed(range(network.num_layers)):
        step, kernel = cache[index], np.asarray(network.kernels[index], dtype=np.float64)
        if index < network.num_layers - 1:
            if "before_pool" in step:
                upstream = _max_pool_backward(step["before_pool"], upstream)
            upstream = upstream * step["active"]
        if network.is_conv(index):
            flat = upstream.reshape(-1, kernel.shape[-1])
            gradients[index] = (step["patches"].T @ flat).reshape(kernel.shape)
            if index:
                patch_gradients = flat @ kernel.reshape(-1, kernel.shape[-1]).T
                upstream = _col2im(patch_gradients, step["input_shape"], kernel.shape[:2])
        else:
            gradients[index] = step["input"].T @ upstream
            if index:
                upstream = (upstream @ kernel.T).reshape(step["input_shape"])
    return gradients


def loss_gradients(network: Network, x: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Gradients of the mean cross-entropy of softmax(logits) over the images ``x``."""

    def cross_entropy_gradient(logits):
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(labels)), labels] -= 1.0
        return probabilities / len(labels)

    return kernel_gradients(network, x, cross_entropy_gradient)

