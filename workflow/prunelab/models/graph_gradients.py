"""Exact gradients of a graph model's prunable kernels by backpropagation in numpy (float64).

The forward pass is :func:`prunelab.models.graph.run`'s, so saliency, SNIP and SynFlow get the
gradients of any supported model without TensorFlow. Batch normalization is differentiated in
inference mode (its moving statistics, a per-channel affine map): the mode a trained model is
evaluated in, and the one SynFlow's code scores in (it calls ``model.eval()``), where SNIP's
code, which scores a network at initialization on one batch, normalizes by that batch's
statistics; at initialization the moving statistics are 0 and 1, so inference mode is the
identity there. Max-pooling routes a window's gradient to its first maximum (row-major), as
TensorFlow does; overlapping windows add up.
"""

from __future__ import annotations

import numpy as np

from .graph import PRUNABLE, Graph, Node, Sliding, activation, apply, pool_counts, sliding, zero_padding


def _activation_backward(name: str, x: np.ndarray, out: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """∂/∂x of the activation ``name`` at its input ``x`` (``out`` its output), times ``upstream``."""
    if name == "relu":
        return upstream * (out > 0)
    if name == "tanh":
        return upstream * (1.0 - out * out)
    if name == "sigmoid":
        return upstream * out * (1.0 - out)
    if name == "softmax":
        return out * (upstream - (upstream * out).sum(axis=-1, keepdims=True))
    if name == "silu":  # s + x·s·(1 − s), s = sigmoid(x)
        sigmoid = 1.0 / (1.0 + np.exp(-x))
        return upstream * (sigmoid + x * sigmoid * (1.0 - sigmoid))
    if name == "hard_sigmoid":  # 1/6 where it is not clipped
        return upstream * (np.abs(x) < 3.0) / 6.0
    if name == "hard_silu":  # x/3 + 1/2 where the hard sigmoid is not clipped, 1 above, 0 below
        return upstream * np.where(np.abs(x) < 3.0, x / 3.0 + 0.5, (x >= 3.0).astype(x.dtype))
    return upstream


def _spread(padded_shape, out_shape, slide: Sliding, piece) -> np.ndarray:
    """Σ over window offsets (i, j) of ``piece(i, j)`` placed where that offset reads the input."""
    gradient = np.zeros(padded_shape)
    (ho, wo), strides = out_shape[1:3], slide.strides
    for i in range(slide.window[0]):
        for j in range(slide.window[1]):
            gradient[:, i: i + (ho - 1) * strides[0] + 1: strides[0], j: j + (wo - 1) * strides[1] + 1: strides[1]] += \
                piece(i, j)
    return gradient


def _conv_backward(node: Node, kernel: np.ndarray, x: np.ndarray, upstream: np.ndarray):
    kh, kw, channels, filters = kernel.shape
    slide = sliding(node)
    rows = slide.rows(x)
    flat = upstream.reshape(-1, filters)
    kernel_gradient = (rows.reshape(-1, rows.shape[-1]).T @ flat).reshape(kernel.shape)
    row_gradients = (flat @ kernel.reshape(-1, filters).T).reshape(*upstream.shape[:3], kh, kw, channels)
    padded_gradient = _spread(slide.pad(x).shape, upstream.shape, slide, lambda i, j: row_gradients[:, :, :, i, j, :])
    return kernel_gradient, slide.crop(padded_gradient, x.shape)


def _depthwise_backward(node: Node, kernel: np.ndarray, x: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """∂/∂input of a depthwise convolution: each window offset's kernel weight times the
    upstream gradient, placed where that offset reads the input (its own kernel is no prunable
    layer's: not differentiated)."""
    slide = sliding(node)
    padded_gradient = _spread(slide.pad(x).shape, upstream.shape, slide, lambda i, j: upstream * kernel[i, j, :, 0])
    return slide.crop(padded_gradient, x.shape)


def _pool_backward(node: Node, x: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    slide = sliding(node)
    if node.op == "MaxPooling2D":
        view = slide.windows(slide.pad(x, -np.inf))
        first = view.reshape(*view.shape[:4], -1).argmax(axis=-1)
        piece = lambda i, j: upstream * (first == i * slide.window[1] + j)  # noqa: E731
    else:
        count = pool_counts(x, slide)
        piece = lambda i, j: upstream / count  # noqa: E731
    return slide.crop(_spread(slide.pad(x).shape, upstream.shape, slide, piece), x.shape)


def kernel_gradients(graph: Graph, weights: dict, x: np.ndarray, output_gradient) -> dict[str, np.ndarray]:
    """∂objective/∂kernel of every Dense and Conv2D layer, by name, where ``output_gradient(logits)``
    gives ∂objective/∂logits (the model's output without a final softmax); float64 throughout."""
    weights = {name: {key: np.asarray(value, np.float64) for key, value in arrays.items() if value is not None}
               for name, arrays in weights.items()}
    values, pre = {}, {}
    for node in graph.nodes:
        if not node.inputs:
            values[node.name] = np.asarray(x, np.float64)
            continue
        inputs = [values[source] for source in node.inputs]
        last = node.name == graph.output
        if node.op in (*PRUNABLE, "DepthwiseConv2D"):
            layer = Node(node.name, node.op, {**node.config, "activation": "linear"}, node.inputs)
            pre[node.name] = apply(layer, weights.get(node.name, {}), inputs)
            name = node.config.get("activation", "linear")
            values[node.name] = pre[node.name] if last and name == "softmax" else activation(pre[node.name], name)
        else:
            values[node.name] = apply(node, weights.get(node.name, {}), inputs, last=last)
            if node.op == "Activation":
                pre[node.name] = inputs[0]
    gradients: dict[str, np.ndarray] = {}
    upstream = {graph.output: output_gradient(values[graph.output])}
    for node in reversed(graph.nodes[1:]):
        if node.name not in upstream:
            continue  # nothing downstream depends on it
        grad, config = upstream.pop(node.name), node.config
        x_in = values[node.inputs[0]]
        last = node.name == graph.output
        name = config.get("activation", "linear")
        if node.op in (*PRUNABLE, "DepthwiseConv2D", "Activation"):
            if not (last and name == "softmax"):
                grad = _activation_backward(name, pre[node.name], values[node.name], grad)
        if node.op == "Dense":
            kernel = weights[node.name]["kernel"]
            gradients[node.name] = x_in.reshape(-1, kernel.shape[0]).T @ grad.reshape(-1, kernel.shape[1])
            grad = grad @ kernel.T
        elif node.op == "Conv2D":
            gradients[node.name], grad = _conv_backward(node, weights[node.name]["kernel"], x_in, grad)
        elif node.op == "DepthwiseConv2D":
            grad = _depthwise_backward(node, weights[node.name]["kernel"], x_in, grad)
        elif node.op == "ReLU":  # TensorFlow's: zero at 0, and at the ceiling where there is one
            ceiling = config.get("max_value")
            grad = grad * ((values[node.name] > 0) & (True if ceiling is None else values[node.name] < ceiling))
        elif node.op == "BatchNormalization":
            arrays = weights[node.name]
            scale = 1.0 / np.sqrt(arrays["moving_variance"] + config.get("epsilon", 1e-3))
            grad = grad * (scale * arrays["gamma"] if "gamma" in arrays else scale)
        elif node.op in ("MaxPooling2D", "AveragePooling2D"):
            grad = _pool_backward(node, x_in, grad)
        elif node.op == "GlobalAveragePooling2D":
            grad = np.broadcast_to(grad.reshape(len(grad), 1, 1, -1), x_in.shape) / (x_in.shape[1] * x_in.shape[2])
        elif node.op == "Flatten":
            grad = grad.reshape(x_in.shape)
        elif node.op == "ZeroPadding2D":
            (top, _), (left, _) = zero_padding(node)
            grad = grad[:, top:top + x_in.shape[1], left:left + x_in.shape[2]]
        for source in node.inputs if node.op == "Add" else node.inputs[:1]:
            if values.get(source) is not None and graph.node(source).inputs:
                upstream[source] = upstream[source] + grad if source in upstream else grad
    return gradients
