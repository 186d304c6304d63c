"""Keras's MultiHeadAttention as a vision transformer uses it: self-attention (query, value and key
the same tensor) over the positions of a sequence, in inference (dropout the identity).

Keras holds four projections in it, EinsumDense kernels: query and key (features, heads, key_dim),
value (features, heads, value_dim), output (heads, value_dim, features), each with a bias where
``use_bias`` (the output's over the features). The engine reads one attention layer as five nodes
(:meth:`MultiHeadAttention.expand`), so that each projection is a prunable dense layer over the
sequence's last axis like any other: ``{name}/query``, ``{name}/key`` and ``{name}/value`` (each
kernel as the matrix features x heads·dim, what it multiplies the tokens by), ``{name}/heads``
(softmax(q·kᵀ / sqrt(key_dim)) per head, weighing the values; no weights) and
``{name}/attention_output`` (heads·value_dim x features), which the attention's readers read. The
names are Keras's own variable paths (``block1_attention/query/kernel``), and a model rebuilt from
the graph holds one MultiHeadAttention again (:meth:`AttentionProjection.keras_layer`), of as many
heads as its query projection holds. The heads are a channel group (a head is key_dim units of the
query and key projections, value_dim of the value projection, and value_dim rows of the output
projection): ``unit`` removes whole heads and compaction leaves an attention of fewer heads. Masks,
causal attention, gates, sliding windows, another ``output_shape`` and attention axes other than
the sequence's are refused by name."""

from __future__ import annotations

import math

import numpy as np

from .activations import softmax, softmax_backward
from .dense import Dense
from .layer_type import LayerType

PROJECTIONS = ("query", "key", "value", "attention_output")
"""The attention's projections, by Keras's names of its sublayers (and of their variables' paths)."""
SUBLAYERS = {"query": "_query_dense", "key": "_key_dense", "value": "_value_dense", "attention_output": "_output_dense"}
"""Where a Keras MultiHeadAttention keeps each projection."""
HEADS = "heads"
"""The name (after the attention's own and a slash) of the node that weighs the values per head."""


class MultiHeadAttention(LayerType):
    """The Keras layer as a model's config holds it: read into five nodes when supported, kept as
    one (and refused by :meth:`problem`) when not."""

    name = "MultiHeadAttention"
    description = "multi-head self-attention over a sequence (no masks)"
    reads = None

    def refusal(self, node) -> str:
        """Why its settings are not computed, whatever its input; empty if they are."""
        config = node.config
        if len(set(node.inputs)) != 1 or len(node.inputs) > 3:
            return "only self-attention (query, value and key the same tensor) is supported"
        unsupported = [key for key in ("output_shape", "sliding_window", "use_gate") if config.get(key)]
        if config.get("attention_axes") not in (None, 1, [1], (1,)):  # Keras records the sequence's axis, 1
            unsupported.append(f"attention_axes {config['attention_axes']}")
        return f"{', '.join(unsupported)} not supported" if unsupported else ""

    def problem(self, node, *input_shapes):
        return self.refusal(node) or "not read into its projections"

    def expand(self, node, width: int) -> tuple:
        """Its five nodes, the output projection last (what the layer's readers read), for an input
        of ``width`` features (what it gives back); itself where refused."""
        from ..graph import Node  # the graph module imports this package

        if self.refusal(node):
            return (node,)
        config, name, source = node.config, node.name, node.inputs[0]
        heads, key_dim = config["num_heads"], config["key_dim"]
        value_dim = config.get("value_dim") or key_dim
        use_bias = config.get("use_bias", True)

        def projection(part, units, inputs):
            return Node(f"{name}/{part}", AttentionProjection.name,
                        {"name": f"{name}/{part}", "attention": name, "part": part, "units": units,
                         "use_bias": use_bias}, inputs)

        return (projection("query", heads * key_dim, (source,)), projection("key", heads * key_dim, (source,)),
                projection("value", heads * value_dim, (source,)),
                Node(f"{name}/{HEADS}", AttentionHeads.name, {"name": f"{name}/{HEADS}", "attention": name,
                                                              "layer": config},
                     (f"{name}/query", f"{name}/key", f"{name}/value")),
                projection("attention_output", width, (f"{name}/{HEADS}",)))

    def call(self, layer, sources):
        return layer(sources[0], sources[1], key=sources[2] if len(sources) > 2 else None)

    def keras_config(self, config, arrays):
        """As many heads as its query kernel holds (fewer in a compacted model)."""
        return {**config, "num_heads": arrays["query_kernel"].shape[-1] // config["key_dim"]}

    def node_arrays(self, name: str, arrays: dict) -> dict:
        """Its Keras variables as its projections' kernels and biases, each kernel a matrix (what
        multiplies, x what is produced)."""
        nodes = {}
        for part in PROJECTIONS:
            kernel, bias = arrays[f"{part}_kernel"], arrays.get(f"{part}_bias")
            matrix = kernel.reshape(-1, kernel.shape[-1]) if part == "attention_output" else \
                kernel.reshape(kernel.shape[0], -1)
            nodes[f"{name}/{part}"] = {"kernel": matrix, **({} if bias is None else {"bias": bias.reshape(-1)})}
        return nodes

    def keras_variables(self, layer) -> dict:
        """Its sublayers' variables, by our names: ``query_kernel`` is ``layer._query_dense.kernel``."""
        return {f"{part}_{variable}": getattr(getattr(layer, sublayer, None), variable, None)
                for part, sublayer in SUBLAYERS.items() for variable in ("kernel", "bias")}


class AttentionProjection(Dense):
    """One of an attention's four projections: a dense layer over the sequence's last axis whose
    kernel (a matrix here) and bias are Keras's, reshaped; its config's ``units`` are heads·dim
    (the output projection's: the attention's input width)."""

    name = "MultiHeadAttention.projection"
    description = "a projection of a MultiHeadAttention (read from one)"

    def keras_layer(self, graph, node, weights):
        """The attention layer, built at its output projection from the Keras config its heads hold
        and its four projections' arrays, reading what its query reads (as query and value)."""
        if node.config["part"] != "attention_output":
            return None
        name = node.config["attention"]
        source = graph.node(f"{name}/query").inputs[0]
        arrays = {f"{part}_{variable}": array for part in PROJECTIONS
                  for variable, array in weights.get(f"{name}/{part}", {}).items()}
        config = dict(graph.node(f"{name}/{HEADS}").config["layer"])
        # as many heads as its query projection's units hold (a narrowed graph's: fewer)
        config["num_heads"] = graph.node(f"{name}/query").config["units"] // config["key_dim"]
        return MultiHeadAttention.name, config, (source, source), arrays

    def variables_in(self, model, node) -> dict:
        """Its sublayer's kernel and bias in the Keras attention layer of ``model``."""
        sublayer = getattr(model.get_layer(node.config["attention"]), SUBLAYERS[node.config["part"]])
        return {"kernel": sublayer.kernel, "bias": getattr(sublayer, "bias", None)}


class AttentionHeads(LayerType):
    """An attention's heads: the scaled dot products of queries and keys, softmax over the source
    positions, the values weighed by them, the heads side by side (batch, target, heads·value_dim).
    Its config holds the Keras layer's (``layer``); its number of heads is what its inputs hold
    (key_dim entries of the query each), so a compacted attention computes with fewer."""

    name = "MultiHeadAttention.heads"
    description = "the heads of a MultiHeadAttention (read from one)"
    reads = 3
    channel_rule = "heads"

    def head_widths(self, node):
        key_dim, value_dim = self.dims(node)
        return key_dim, key_dim, value_dim, value_dim

    @staticmethod
    def dims(node) -> tuple[int, int]:
        """Its key_dim and value_dim."""
        config = node.config["layer"]
        return config["key_dim"], config.get("value_dim") or config["key_dim"]

    def problem(self, node, query_shape, key_shape, value_shape):
        if len(query_shape) != 2:
            return f"takes a sequence (positions, features), not shape {tuple(query_shape)}"
        return ""

    def shape(self, node, query_shape, key_shape, value_shape):
        key_dim, value_dim = self.dims(node)
        return (*query_shape[:-1], query_shape[-1] // key_dim * value_dim)

    def zero_at_zero(self, node):
        """A head whose query, key and value are zero gives zero: the softmax of its zero scores
        weighs zero values (a removed head is zero in all three, its group's)."""
        return True

    def keras_layer(self, graph, node, weights):
        return None

    def flops(self, node, arrays, output_shape, nonzero):
        """Per head, the scores and the weighted sum at every (target, source) pair of positions."""
        key_dim, value_dim = self.dims(node)
        heads = output_shape[-1] // value_dim
        return heads * output_shape[0] ** 2 * (key_dim + value_dim)

    def _heads(self, node, values):
        """The scaled queries, keys and values per head, and the attention weights (batch, heads,
        target, source)."""
        key_dim, _ = self.dims(node)
        heads = values[0].shape[-1] // key_dim
        query, key, value = (v.reshape(*v.shape[:-1], heads, -1) for v in values)
        scale = 1.0 / math.sqrt(key_dim)
        query = query * np.asarray(scale, query.dtype)
        return query, key, value, softmax(np.einsum("bshk,bthk->bhts", key, query)), scale

    def forward(self, node, weights, values):
        _, _, value, attention, _ = self._heads(node, values)
        out = np.einsum("bhts,bshv->bthv", attention, value)
        return out.reshape(*out.shape[:2], -1).astype(values[0].dtype)

    def backward(self, node, weights, values, output, upstream):
        query, key, value, attention, scale = self._heads(node, values)
        heads_gradient = upstream.reshape(value.shape[0], -1, *value.shape[2:])
        attention_gradient = np.einsum("bthv,bshv->bhts", heads_gradient, value)
        value_gradient = np.einsum("bhts,bthv->bshv", attention, heads_gradient)
        scores_gradient = softmax_backward(attention, attention_gradient)
        query_gradient = np.einsum("bhts,bshk->bthk", scores_gradient, key) * scale
        key_gradient = np.einsum("bhts,bthk->bshk", scores_gradient, query)
        return [g.reshape(*g.shape[:2], -1) for g in (query_gradient, key_gradient, value_gradient)], None

    def onnx(self, node, weights, sources, onnx):
        """Each projection split into heads by a Reshape and a Transpose; the scores a MatMul per
        head, softmax over the sources, the values weighed by a MatMul, the heads merged back."""
        key_dim, value_dim = self.dims(node)
        name = node.name

        def split(source, part, width, perm):
            out = onnx.add("Reshape", [source, onnx.integers(f"{name}/{part}/shape", [0, 0, -1, width])],
                           f"{name}/{part}/split")
            return onnx.add("Transpose", [out], f"{name}/{part}/transposed", perm=perm)

        query = split(sources[0], "query", key_dim, [0, 2, 1, 3])  # (batch, heads, target, key_dim)
        query = onnx.add("Mul", [query, onnx.scalar(f"{name}/scale", 1.0 / math.sqrt(key_dim))], f"{name}/scaled")
        key = split(sources[1], "key", key_dim, [0, 2, 3, 1])  # (batch, heads, key_dim, source)
        value = split(sources[2], "value", value_dim, [0, 2, 1, 3])  # (batch, heads, source, value_dim)
        attention = onnx.add("Softmax", [onnx.add("MatMul", [query, key], f"{name}/scores")], f"{name}/weights",
                             axis=-1)
        out = onnx.add("Transpose", [onnx.add("MatMul", [attention, value], f"{name}/weighted")], f"{name}/merged",
                       perm=[0, 2, 1, 3])
        return onnx.add("Reshape", [out, onnx.integers(f"{name}/shape", [0, 0, -1])], name)


LAYER_TYPES = (MultiHeadAttention(), AttentionProjection(), AttentionHeads())
