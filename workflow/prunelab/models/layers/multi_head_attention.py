"""Keras's MultiHeadAttention as a vision transformer uses it: self-attention (query, value and key
the same tensor) over the positions of a sequence, in inference (dropout the identity).

Its four projections are Keras's EinsumDense kernels: query and key (features, heads, key_dim),
value (features, heads, value_dim), output (heads, value_dim, features), each with a bias where
``use_bias`` (the output's over the features). The attention is softmax(q·kᵀ / sqrt(key_dim))
per head. Masks, causal attention, gates, sliding windows, another ``output_shape`` and attention
axes other than the sequence's are refused by name. Methods do not prune it yet; the features it
reads stay whole (compaction cannot narrow its projections)."""

from __future__ import annotations

import math

import numpy as np

from .activations import softmax, softmax_backward
from .layer_type import LayerType

PROJECTIONS = ("query", "key", "value", "output")


def _projections(weights: dict) -> dict:
    """Each projection's kernel and bias (zeros where it has none)."""
    found = {}
    for name in PROJECTIONS:
        kernel = weights[f"{name}_kernel"]
        bias_shape = kernel.shape[-1:] if name == "output" else kernel.shape[1:]
        found[name] = kernel, weights.get(f"{name}_bias", np.zeros(bias_shape, kernel.dtype))
    return found


def _attention(weights: dict, query_input, value_input, key_input):
    """The scaled queries, keys, values and attention weights (batch, heads, target, source)."""
    projections = _projections(weights)
    (wq, bq), (wk, bk), (wv, bv) = projections["query"], projections["key"], projections["value"]
    scale = 1.0 / math.sqrt(wq.shape[-1])
    query = (np.einsum("btd,dhk->bthk", query_input, wq) + bq) * np.asarray(scale, query_input.dtype)
    key = np.einsum("bsd,dhk->bshk", key_input, wk) + bk
    value = np.einsum("bsd,dhv->bshv", value_input, wv) + bv
    return query, key, value, softmax(np.einsum("bshk,bthk->bhts", key, query)), scale


class MultiHeadAttention(LayerType):
    name = "MultiHeadAttention"
    description = "multi-head self-attention over a sequence (no masks)"
    weights = tuple(f"{name}_{variable}" for name in PROJECTIONS for variable in ("kernel", "bias"))
    reads = None
    channel_rule = "creates"
    reads_whole = True

    def keras_variables(self, layer) -> dict:
        """Its sublayers' variables, by our names: ``query_kernel`` is ``layer.query_dense.kernel``."""
        return {f"{name}_{variable}": getattr(getattr(layer, f"_{name}_dense", None), variable, None)
                for name in PROJECTIONS for variable in ("kernel", "bias")}

    def call(self, layer, sources):
        return layer(sources[0], sources[1], key=sources[2] if len(sources) > 2 else None)

    def problem(self, node, *input_shapes):
        config = node.config
        if len(set(node.inputs)) != 1 or len(node.inputs) > 3:
            return "only self-attention (query, value and key the same tensor) is supported"
        if len(input_shapes[0]) != 2:
            return f"takes a sequence (positions, features), not shape {tuple(input_shapes[0])}"
        unsupported = [key for key in ("output_shape", "sliding_window", "use_gate") if config.get(key)]
        if config.get("attention_axes") not in (None, 1, [1], (1,)):  # Keras records the sequence's axis, 1
            unsupported.append(f"attention_axes {config['attention_axes']}")
        return f"{', '.join(unsupported)} not supported" if unsupported else ""

    def shape(self, node, *input_shapes):
        return input_shapes[0]

    def zero_at_zero(self, node):
        return False

    def flops(self, arrays, output_shape, nonzero):
        """The four projections at every position, and per head the scores and the weighted sum."""
        positions = output_shape[0]
        count = np.count_nonzero if nonzero else np.size
        projections = sum(int(count(arrays[f"{name}_kernel"])) for name in PROJECTIONS)
        heads, key_dim = arrays["query_kernel"].shape[1:]
        value_dim = arrays["value_kernel"].shape[2]
        return positions * projections + heads * positions * positions * (key_dim + value_dim)

    def forward(self, node, weights, values):
        query_input, value_input = values[0], values[1]
        _, _, value, attention, _ = _attention(weights, query_input, value_input,
                                               values[2] if len(values) > 2 else value_input)
        wo, bo = _projections(weights)["output"]
        heads = np.einsum("bhts,bshv->bthv", attention, value)
        return (np.einsum("bthv,hvd->btd", heads, wo) + bo).astype(query_input.dtype)

    def backward(self, node, weights, values, output, upstream):
        query_input, value_input = values[0], values[1]
        key_input = values[2] if len(values) > 2 else value_input
        query, key, value, attention, scale = _attention(weights, query_input, value_input, key_input)
        projections = _projections(weights)
        heads_gradient = np.einsum("btd,hvd->bthv", upstream, projections["output"][0])
        attention_gradient = np.einsum("bthv,bshv->bhts", heads_gradient, value)
        value_gradient = np.einsum("bhts,bthv->bshv", attention, heads_gradient)
        scores_gradient = softmax_backward(attention, attention_gradient)
        query_gradient = np.einsum("bhts,bshk->bthk", scores_gradient, key) * scale
        key_gradient = np.einsum("bhts,bthk->bshk", scores_gradient, query)
        gradients = [np.einsum("bthk,dhk->btd", query_gradient, projections["query"][0]),
                     np.einsum("bshv,dhv->bsd", value_gradient, projections["value"][0])]
        key_part = np.einsum("bshk,dhk->bsd", key_gradient, projections["key"][0])
        if len(values) > 2:
            gradients.append(key_part)
        else:
            gradients[1] = gradients[1] + key_part
        return gradients, None

    def onnx(self, node, weights, sources, onnx):
        """Each projection a MatMul on the features (its kernel as a matrix) and its bias, split into
        heads by a Reshape and a Transpose; the scores a MatMul per head, softmax over the sources."""
        projections, name = _projections(weights), node.name
        key_source = sources[2] if len(sources) > 2 else sources[1]

        def heads(projection, source, perm):
            kernel, bias = projections[projection]
            features, count, width = kernel.shape
            out = onnx.add("MatMul", [source, onnx.constant(f"{name}/{projection}/kernel",
                                                            kernel.reshape(features, count * width))],
                           f"{name}/{projection}/matmul")
            out = onnx.add("Add", [out, onnx.constant(f"{name}/{projection}/bias", bias.reshape(-1))],
                           f"{name}/{projection}/add")
            out = onnx.add("Reshape", [out, onnx.integers(f"{name}/{projection}/shape", [0, 0, count, width])],
                           f"{name}/{projection}/heads")
            return onnx.add("Transpose", [out], f"{name}/{projection}/transposed", perm=perm)

        query = heads("query", sources[0], [0, 2, 1, 3])  # (batch, heads, target, key_dim)
        query = onnx.add("Mul", [query, onnx.scalar(f"{name}/scale", 1.0 / math.sqrt(projections["query"][0].shape[-1]))],
                         f"{name}/query/scaled")
        key = heads("key", key_source, [0, 2, 3, 1])  # (batch, heads, key_dim, source)
        value = heads("value", sources[1], [0, 2, 1, 3])  # (batch, heads, source, value_dim)
        scores = onnx.add("MatMul", [query, key], f"{name}/scores")
        attention = onnx.add("Softmax", [scores], f"{name}/attention", axis=-1)
        out = onnx.add("Transpose", [onnx.add("MatMul", [attention, value], f"{name}/weighted")], f"{name}/merged",
                       perm=[0, 2, 1, 3])
        kernel, bias = projections["output"]
        count, width, features = kernel.shape
        out = onnx.add("Reshape", [out, onnx.integers(f"{name}/output/shape", [0, 0, count * width])],
                       f"{name}/output/flat")
        out = onnx.add("MatMul", [out, onnx.constant(f"{name}/output/kernel", kernel.reshape(count * width, features))],
                       f"{name}/output/matmul")
        return onnx.add("Add", [out, onnx.constant(f"{name}/output/bias", bias)], name)


LAYER_TYPES = (MultiHeadAttention(),)
