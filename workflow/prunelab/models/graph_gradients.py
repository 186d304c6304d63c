"""Exact gradients of a graph model's prunable kernels by backpropagation in numpy (float64).

The forward pass is :func:`prunelab.models.graph.run`'s, so saliency, SNIP and SynFlow get the
gradients of any supported model without TensorFlow. Batch normalization is differentiated in
inference mode (its moving statistics, a per-channel affine map): the mode a trained model is
evaluated in, and the one SynFlow's code scores in (it calls ``model.eval()``), where SNIP's
code, which scores a network at initialization on one batch, normalizes by that batch's
statistics; at initialization the moving statistics are 0 and 1, so inference mode is the
identity there.
"""

from __future__ import annotations

import numpy as np

from .graph import Graph
from .layers import LAYER_TYPES
from .layers.activations import activation, activation_backward


def kernel_gradients(graph: Graph, weights: dict, x: np.ndarray, output_gradient) -> dict[str, np.ndarray]:
    """∂objective/∂kernel of every prunable layer (Dense, Conv2D), by name, where
    ``output_gradient(logits)`` gives ∂objective/∂logits (the model's output without a final
    softmax); float64 throughout. Each layer type differentiates itself
    (:meth:`~prunelab.models.layers.layer_type.LayerType.backward`); its config's activation is
    differentiated here, from the activation's input."""
    weights = {name: {key: np.asarray(value, np.float64) for key, value in arrays.items() if value is not None}
               for name, arrays in weights.items()}
    values, pre = {}, {}  # each layer's output, and its output before its activation
    for node in graph.nodes:
        if not node.inputs:
            values[node.name] = np.asarray(x, np.float64)
            continue
        pre[node.name] = LAYER_TYPES[node.op].forward(node, weights.get(node.name, {}),
                                                      [values[source] for source in node.inputs])
        name = node.config.get("activation", "linear")
        last = node.name == graph.output
        values[node.name] = pre[node.name] if last and name == "softmax" else activation(pre[node.name], name)
    gradients: dict[str, np.ndarray] = {}
    upstream = {graph.output: output_gradient(values[graph.output])}
    for node in reversed(graph.nodes[1:]):
        if node.name not in upstream:
            continue  # nothing downstream depends on it
        grad = upstream.pop(node.name)
        name = node.config.get("activation", "linear")
        if not (node.name == graph.output and name == "softmax"):
            grad = activation_backward(name, pre[node.name], values[node.name], grad)
        layer = LAYER_TYPES[node.op]
        input_gradients, kernel_gradient = layer.backward(node, weights.get(node.name, {}),
                                                          [values[source] for source in node.inputs],
                                                          pre[node.name], grad)
        if kernel_gradient is not None and layer.prunable:
            gradients[node.name] = kernel_gradient
        for source, gradient in zip(node.inputs, input_gradients):
            if graph.node(source).inputs:
                upstream[source] = upstream[source] + gradient if source in upstream else gradient
    return gradients
