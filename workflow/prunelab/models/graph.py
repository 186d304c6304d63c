"""Any supported Keras model as a graph of plain layers, and its exact forward pass in numpy.

A :class:`Graph` is the model's structure as Keras itself serializes it (``model.get_config()``,
the ``config.json`` of a ``.keras`` file): one :class:`Node` per layer with the layer's class,
its Keras config and the names of the layers it reads. It is JSON, so it is saved beside the
weights and read back by jobs that never import TensorFlow, and it rebuilds the model in
plain Keras (:func:`prunelab.models.keras_models.model_of_graph`). The weights stay apart, as
``{layer name: {"kernel": ..., "bias": ..., "gamma": ..., ...}}``.

Supported are the layers of the field's benchmarks (residual networks and VGGs with batch
normalization) and of the built-in MLP and CNN; a model with any other layer, or a supported
layer with a setting the forward pass does not compute (dilation, groups, channels-first
data), is refused by name before it is trained or pruned (:func:`check_supported`).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

PRUNABLE = ("Dense", "Conv2D")
"""The layers whose kernels pruning removes weights or units from."""

SUPPORTED = {
    "InputLayer": "the model's input",
    "Dense": "fully connected layer",
    "Conv2D": "2-D convolution (any kernel size and stride, 'valid' or 'same' padding, with or without bias)",
    "DepthwiseConv2D": "2-D depthwise convolution (depth multiplier 1; each channel convolved alone)",
    "BatchNormalization": "batch normalization over the channel axis",
    "Activation": "activation: linear, relu, softmax, sigmoid, tanh, silu (swish), hard_sigmoid or hard_silu (hard_swish)",
    "ReLU": "ReLU, with or without a ceiling (max_value: ReLU6), without threshold or slope",
    "MaxPooling2D": "max-pooling",
    "AveragePooling2D": "average pooling",
    "GlobalAveragePooling2D": "global average pooling",
    "ZeroPadding2D": "zero rows and columns around an image (keras.applications' ResNet50 pads before its strided convs)",
    "Flatten": "flattening (channels last)",
    "Dropout": "dropout (the identity when evaluating)",
    "Add": "element-wise sum of its inputs (residual connections)",
}
ACTIVATIONS = ("linear", "relu", "softmax", "sigmoid", "tanh", "silu", "hard_sigmoid", "hard_silu")
"""Keras's names as a saved config holds them: ``silu`` is also called swish, ``hard_silu`` hard_swish."""
WEIGHT_NAMES = {"Dense": ("kernel", "bias"), "Conv2D": ("kernel", "bias"), "DepthwiseConv2D": ("kernel", "bias"),
                "BatchNormalization": ("gamma", "beta", "moving_mean", "moving_variance")}
"""The variables each layer with weights holds, by the names Keras gives them."""


class UnsupportedModel(ValueError):
    """A model the graph engine cannot evaluate exactly; the message names the layer."""


@dataclass(frozen=True)
class Node:
    """One layer: its unique ``name``, Keras class (``op``), Keras config, and the layers it reads."""

    name: str
    op: str
    config: dict
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class Graph:
    """A model's layers in an order where every layer comes after those it reads; the first
    node is the input, ``output`` the layer whose result is the model's output."""

    nodes: tuple[Node, ...]
    output: str

    def __post_init__(self):
        check_supported(self)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One input without the batch axis: (height, width, channels) for images, (features,) flat."""
        return tuple(self.nodes[0].config["batch_shape"][1:])

    def node(self, name: str) -> Node:
        return self._by_name[name]

    @functools.cached_property
    def _by_name(self) -> dict[str, Node]:
        return {node.name: node for node in self.nodes}

    @functools.cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Each layer's output shape for one input (:func:`output_shapes`), computed once."""
        return output_shapes(self)

    @functools.cached_property
    def groups(self) -> tuple:
        """Which channels move together (:func:`prunelab.models.dependency.dependency_groups`),
        computed once per graph: a unit prune, its compaction and its counts all read them."""
        from .dependency import dependency_groups  # which reads graphs: imported when first asked

        return tuple(dependency_groups(self))

    def prunable(self) -> list[str]:
        """The trainable Dense and Conv2D layers in the model's order: the layers ``pruning.layers``
        counts. A frozen layer (a fixed shortcut projection) is never pruned."""
        return [node.name for node in self.nodes if node.op in PRUNABLE and node.config.get("trainable", True)]

    def consumers(self) -> dict[str, list[str]]:
        """For each layer, the layers that read its output."""
        readers = {node.name: [] for node in self.nodes}
        for node in self.nodes:
            for source in node.inputs:
                readers[source].append(node.name)
        return readers

    def ends_in_softmax(self) -> bool:
        """Whether the model outputs probabilities (its last layer's activation is a softmax)."""
        return self.node(self.output).config.get("activation") == "softmax"

    def kernel_shape(self, name: str) -> tuple[int, ...]:
        """The kernel shape of the prunable layer ``name``, from the configs alone (as Keras
        builds it: (height, width, in, out) for a Conv2D, (in, out) for a Dense)."""
        node = self.node(name)
        fan_in = self.shapes[node.inputs[0]][-1]
        if node.op == "Conv2D":
            return (*pair(node.config["kernel_size"]), fan_in, node.config["filters"])
        return fan_in, node.config["units"]

    def interface_problems(self, input_shape: tuple[int, ...], num_classes: int) -> list[str]:
        """Why the model cannot be fed a dataset's images of ``input_shape`` (height, width,
        channels) or predict its ``num_classes`` classes as probabilities; empty if it can."""
        problems = []
        if self.input_shape != tuple(input_shape):
            problems.append(f"the model takes inputs of shape {self.input_shape}; the dataset's images are "
                            f"{tuple(input_shape)} (height, width, channels)")
        outputs = self.shapes[self.output]
        if outputs != (num_classes,) or not self.ends_in_softmax():
            problems.append(f"the model must end in a softmax over the {num_classes} classes; its output layer "
                            f"{self.output!r} gives shape {outputs}"
                            + ("" if self.ends_in_softmax() else " without a softmax"))
        return problems

    def to_json(self) -> str:
        return json.dumps({"nodes": [[n.name, n.op, n.config, list(n.inputs)] for n in self.nodes],
                           "output": self.output}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Graph":
        data = json.loads(text)
        return cls(tuple(Node(name, op, config, tuple(inputs)) for name, op, config, inputs in data["nodes"]),
                   data["output"])

    @classmethod
    def from_keras_config(cls, model_config: dict) -> "Graph":
        """The graph of a model's ``get_config()`` (a Sequential or a Functional model)."""
        layers = model_config["layers"]
        if "input_layers" not in model_config:  # Sequential: a chain, its input first
            if (not layers or layers[0]["class_name"] != "InputLayer") and model_config.get("build_input_shape"):
                shape = list(model_config["build_input_shape"])
                layers = [{"class_name": "InputLayer", "config": {"name": "input", "batch_shape": shape}}, *layers]
            if not layers or layers[0]["class_name"] != "InputLayer":
                raise UnsupportedModel("a Sequential model that was never built: its input shape is unknown")
            nodes, previous = [], None
            for layer in layers:
                nodes.append(_node(layer, () if previous is None else (previous,)))
                previous = nodes[-1].name
            return cls(tuple(nodes), previous)
        inputs, outputs = model_config["input_layers"], model_config["output_layers"]
        if len(_flat_history(inputs)) != 1 or len(_flat_history(outputs)) != 1:
            raise UnsupportedModel("a model with several inputs or outputs: one image in, one prediction out")
        nodes = []
        for layer in layers:
            calls = layer.get("inbound_nodes", [])
            if len(calls) > 1:
                raise UnsupportedModel(f"layer {layer['config']['name']!r} ({layer['class_name']}) is called "
                                       f"{len(calls)} times: shared layers are not supported")
            sources = tuple(name for name, _, _ in _flat_history(calls[0]["args"])) if calls else ()
            nodes.append(_node(layer, sources))
        return cls(tuple(_in_order(nodes, _flat_history(inputs)[0][0])), _flat_history(outputs)[0][0])


def _node(layer: dict, inputs: tuple[str, ...]) -> Node:
    config = json.loads(json.dumps(layer["config"]))  # as saved: tuples become lists
    if layer["class_name"] == "InputLayer" and "batch_shape" not in config:
        config = {**config, "batch_shape": [None, *config["batch_input_shape"][1:]]}
    return Node(config["name"], layer["class_name"], config, inputs)


def _flat_history(value) -> list[tuple[str, int, int]]:
    """The (layer, call, output) of every Keras tensor in a serialized call's arguments."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [tuple(value["config"]["keras_history"])]
        return [h for item in value.values() for h in _flat_history(item)]
    if isinstance(value, (list, tuple)):
        if len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], int):
            return [tuple(value)]  # input_layers / output_layers entries: [name, call, output]
        return [h for item in value for h in _flat_history(item)]
    return []


def _in_order(nodes: list[Node], first: str) -> list[Node]:
    """The nodes in an order where each follows those it reads, the input first."""
    placed, ordered, pending = {first}, [n for n in nodes if n.name == first], [n for n in nodes if n.name != first]
    while pending:
        ready = [n for n in pending if all(source in placed for source in n.inputs) and n.inputs]
        if not ready:
            names = ", ".join(n.name for n in pending)
            raise UnsupportedModel(f"layers {names} are not reached from the model's input")
        for node in ready:
            ordered.append(node)
            placed.add(node.name)
        pending = [n for n in pending if n.name not in placed]
    return ordered


def check_supported(graph: Graph) -> None:
    """Refuse, naming the layer, its class and what is supported, any layer the forward pass
    does not compute exactly."""
    supported = "; ".join(f"{op} ({what})" for op, what in SUPPORTED.items())
    if graph.nodes[0].op != "InputLayer":
        raise UnsupportedModel(f"the model's first layer is {graph.nodes[0].op}, not its input")
    for node in graph.nodes:
        if node.op not in SUPPORTED:
            raise UnsupportedModel(f"layer {node.name!r} ({node.op}) is not supported. Supported layers: {supported}")
    shapes = graph.shapes
    for node in graph.nodes:
        where = f"layer {node.name!r} ({node.op})"
        config = node.config
        if config.get("data_format", "channels_last") != "channels_last":
            raise UnsupportedModel(f"{where}: data_format {config['data_format']!r}; only channels_last is supported")
        dilated = tuple(config.get("dilation_rate", (1, 1))) != (1, 1)
        if node.op == "Conv2D" and (dilated or config.get("groups", 1) != 1):
            raise UnsupportedModel(f"{where}: dilation and groups are not supported")
        if node.op == "DepthwiseConv2D" and (dilated or config.get("depth_multiplier", 1) != 1):
            raise UnsupportedModel(f"{where}: dilation and a depth multiplier other than 1 are not supported")
        if config.get("activation", "linear") not in ACTIVATIONS:
            raise UnsupportedModel(f"{where}: activation {config['activation']!r}; supported: {', '.join(ACTIVATIONS)}")
        if node.op == "ReLU" and (config.get("negative_slope", 0) or config.get("threshold", 0)):
            raise UnsupportedModel(f"{where}: only the ReLU without negative_slope or threshold (a max_value is supported)")
        rank = len(shapes[node.inputs[0]]) if node.inputs else 0
        if node.op == "BatchNormalization" and config.get("axis", -1) not in (-1, rank, [-1], [rank]):
            raise UnsupportedModel(f"{where}: axis {config['axis']}; only the channel axis (-1) is supported")
        expected = "at least 2" if node.op == "Add" else "0" if node is graph.nodes[0] else "1"
        if node.op == "Add" and len(node.inputs) < 2 or node.op != "Add" and len(node.inputs) != int(expected):
            raise UnsupportedModel(f"{where} reads {len(node.inputs)} layers, where it should read {expected}")
        if node.op in ("Conv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
                       "ZeroPadding2D") and rank != 3:
            raise UnsupportedModel(f"{where} takes images (height, width, channels), "
                                   f"not shape {shapes[node.inputs[0]]}")


def output_shapes(graph: Graph) -> dict[str, tuple[int, ...]]:
    """Each layer's output shape for one input (no batch axis), from the configs alone."""
    shapes = {}
    for node in graph.nodes:
        config = node.config
        if node is graph.nodes[0]:
            shapes[node.name] = graph.input_shape
            continue
        shape = shapes[node.inputs[0]]
        if node.op == "Dense":
            shape = (*shape[:-1], config["units"])
        elif node.op in SLIDING and len(shape) == 3:
            window, strides, padding = sliding(node)
            sides = [_side(size, k, s, padding) for size, k, s in zip(shape[:2], window, strides)]
            shape = (*sides, config["filters"] if node.op == "Conv2D" else shape[2])
        elif node.op == "GlobalAveragePooling2D":
            shape = (1, 1, shape[-1]) if config.get("keepdims") else (shape[-1],)
        elif node.op == "ZeroPadding2D" and len(shape) == 3:
            (top, bottom), (left, right) = zero_padding(node)
            shape = (shape[0] + top + bottom, shape[1] + left + right, shape[2])
        elif node.op == "Flatten":
            shape = (math.prod(shape),)
        shapes[node.name] = tuple(shape)
    return shapes


def _side(size: int, window: int, stride: int, padding: str) -> int:
    return math.ceil(size / stride) if padding == "same" else (size - window) // stride + 1


# --- the forward pass -------------------------------------------------------------------------------

def pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def zero_padding(node: Node) -> tuple[tuple[int, int], tuple[int, int]]:
    """A ZeroPadding2D's ((top, bottom), (left, right)) from its config's padding: one int for
    every side, a (rows, columns) pair, or the pairs themselves (what Keras saves)."""
    padding = node.config.get("padding", 1)
    if isinstance(padding, int):
        return (padding, padding), (padding, padding)
    return tuple((side, side) if isinstance(side, int) else (int(side[0]), int(side[1])) for side in padding)


SLIDING = ("Conv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D")
"""The layers that slide a window over the image."""


class Sliding(NamedTuple):
    """How a Conv2D or pooling layer slides over the image: its window, strides and padding."""

    window: tuple[int, int]
    strides: tuple[int, int]
    padding: str

    def pad(self, x: np.ndarray, fill=0.0) -> np.ndarray:
        """``x`` padded as TensorFlow pads 'same' (with ``fill``), unchanged for 'valid'."""
        if self.padding == "valid":
            return x
        return np.pad(x, [(0, 0), *same_padding(x.shape[1:3], self.window, self.strides), (0, 0)], constant_values=fill)

    def windows(self, padded: np.ndarray) -> np.ndarray:
        """Every window of the padded images: (n, ho, wo, c, kh, kw)."""
        return windows(padded, self.window, self.strides)

    def rows(self, x: np.ndarray) -> np.ndarray:
        """im2col of the images ``x`` as the layer reads them (padded): (n, ho, wo, kh * kw * c)."""
        return patches(self.pad(x), self.window, self.strides)

    def crop(self, padded_gradient: np.ndarray, shape: tuple) -> np.ndarray:
        """The gradient of the unpadded input ``shape`` from that of its padded copy."""
        if self.padding == "valid":
            return padded_gradient[:, : shape[1], : shape[2]]
        top, left = (before for before, _ in same_padding(shape[1:3], self.window, self.strides))
        return padded_gradient[:, top: top + shape[1], left: left + shape[2]]


def sliding(node: Node) -> Sliding:
    """A Conv2D's or pooling layer's window, strides and padding, Keras's defaults filled in."""
    config = node.config
    convolution = node.op in ("Conv2D", "DepthwiseConv2D")
    window = pair(config["kernel_size"] if convolution else config.get("pool_size", 2))
    strides = pair(config.get("strides") or (1 if convolution else window))
    return Sliding(window, strides, config.get("padding", "valid"))


def same_padding(sides, window, strides) -> list[tuple[int, int]]:
    """(before, after) for each spatial side under TensorFlow's 'same' padding: the odd pixel after."""
    pads = []
    for size, k, s in zip(sides, window, strides):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def windows(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Every (height x width) window of the NHWC images ``x`` at the strides: (n, ho, wo, c, kh, kw)."""
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=(1, 2))
    return view[:, :: strides[0], :: strides[1]]


def patches(x: np.ndarray, window: tuple[int, int], strides: tuple[int, int] = (1, 1)) -> np.ndarray:
    """im2col: every window as one row, in the order of a Keras kernel's flattened rows
    (height, width, channels); shape (n, ho, wo, kh * kw * c)."""
    view = windows(x, window, strides)
    n, ho, wo, channels, kh, kw = view.shape
    return view.transpose(0, 1, 2, 4, 5, 3).reshape(n, ho, wo, kh * kw * channels)


def conv2d(x: np.ndarray, kernel, slide: Sliding) -> np.ndarray:
    """Keras Conv2D's cross-correlation by im2col and one matrix product. ``kernel`` is a 4-D
    array, or anything with that ``shape`` whose ``as_matrix()`` gives the ``(height * width *
    in, filters)`` matrix (a sparse kernel, say)."""
    kh, kw, channels, filters = kernel.shape
    rows = slide.rows(x)
    matrix = kernel.reshape(kh * kw * channels, filters) if isinstance(kernel, np.ndarray) else kernel.as_matrix()
    return (rows.reshape(-1, rows.shape[-1]) @ matrix).reshape(*rows.shape[:3], filters)


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, slide: Sliding) -> np.ndarray:
    """Keras DepthwiseConv2D's cross-correlation (depth multiplier 1): channel c of the output is
    channel c of the input correlated with ``kernel[:, :, c, 0]``."""
    return np.einsum("nhwcij,ijc->nhwc", slide.windows(slide.pad(x)), kernel[..., 0])


def relu(x: np.ndarray, config: dict) -> np.ndarray:
    """Keras's ReLU layer: max(x, 0), capped at ``max_value`` where it has one (ReLU6)."""
    out = np.maximum(x, 0.0)
    ceiling = config.get("max_value")
    return out if ceiling is None else np.minimum(out, np.asarray(ceiling, out.dtype))


def pool_counts(x: np.ndarray, slide: Sliding) -> np.ndarray:
    """How many pixels inside the image each window of ``x`` covers: what 'same' average pooling
    divides by, as TensorFlow (the padding is not counted)."""
    return slide.windows(slide.pad(np.ones((1, *x.shape[1:3], 1), x.dtype))).sum(axis=(4, 5))


def _pool(x: np.ndarray, slide: Sliding, reduce) -> np.ndarray:
    if reduce == "max":
        return slide.windows(slide.pad(x, -np.inf)).max(axis=(4, 5))
    return slide.windows(slide.pad(x)).sum(axis=(4, 5)) / pool_counts(x, slide)


def activation(x: np.ndarray, name: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "softmax":
        shifted = np.exp(x - x.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "silu":  # swish: x · sigmoid(x)
        return x / (1.0 + np.exp(-x))
    if name == "hard_sigmoid":
        return hard_sigmoid(x)
    if name == "hard_silu":  # hard swish
        return x * hard_sigmoid(x)
    return x


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """Keras's: x / 6 + 1/2, clipped to [0, 1]."""
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


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


def pre_activation(node: Node, weights: dict, x: np.ndarray) -> np.ndarray:
    """A Dense, Conv2D or DepthwiseConv2D layer's output before its activation."""
    if node.op == "Conv2D":
        out = conv2d(x, weights["kernel"], sliding(node))
    elif node.op == "DepthwiseConv2D":
        out = depthwise_conv2d(x, weights["kernel"], sliding(node))
    else:
        out = x @ weights["kernel"]
    if weights.get("bias") is not None:
        out = out + weights["bias"]
    return out


def apply(node: Node, weights: dict, values: list[np.ndarray], last: bool = False) -> np.ndarray:
    """One layer's output for its inputs ``values``; ``last`` leaves out a final softmax (logits)."""
    x, config = values[0], node.config
    if node.op in PRUNABLE or node.op == "DepthwiseConv2D":
        out = pre_activation(node, weights, x)
        name = config.get("activation", "linear")
        return out if last and name == "softmax" else activation(out, name)
    if node.op == "Activation":
        return x if last and config["activation"] == "softmax" else activation(x, config["activation"])
    if node.op == "ReLU":
        return relu(x, config)
    if node.op == "BatchNormalization":
        return batch_norm(x, weights, config.get("epsilon", 1e-3))
    if node.op == "MaxPooling2D":
        return _pool(x, sliding(node), "max")
    if node.op == "AveragePooling2D":
        return _pool(x, sliding(node), "mean")
    if node.op == "GlobalAveragePooling2D":
        return x.mean(axis=(1, 2), keepdims=bool(config.get("keepdims", False)))
    if node.op == "Flatten":
        return x.reshape(len(x), -1)
    if node.op == "ZeroPadding2D":
        return np.pad(x, ((0, 0), *zero_padding(node), (0, 0)))
    if node.op == "Add":
        out = values[0]
        for other in values[1:]:
            out = out + other
        return out
    return x  # InputLayer, Dropout


def run(graph: Graph, weights: dict, x: np.ndarray, until: str | None = None, logits: bool = True) -> np.ndarray:
    """The output of layer ``until`` (the model's output by default) for the inputs ``x``, each
    intermediate result dropped once its last reader has run. ``logits``: the model's output
    without a final softmax."""
    target = until or graph.output
    readers = graph.consumers()
    remaining = {name: len(names) for name, names in readers.items()}
    values: dict[str, np.ndarray] = {}
    for node in graph.nodes:
        if node is graph.nodes[0]:
            values[node.name] = np.asarray(x, dtype=np.float32)
        else:
            values[node.name] = apply(node, weights.get(node.name, {}), [values[s] for s in node.inputs],
                                      last=logits and node.name == graph.output)
            for source in node.inputs:
                remaining[source] -= 1
                if remaining[source] == 0 and source != target:
                    del values[source]
        if node.name == target:
            return values[target]
    raise KeyError(f"no layer {target!r} in the model")


def inputs_of(graph: Graph, weights: dict, name: str, x: np.ndarray) -> np.ndarray:
    """What layer ``name`` reads for the model inputs ``x``."""
    node = graph.node(name)
    return run(graph, weights, x, until=node.inputs[0], logits=False) if node.inputs else np.asarray(x, np.float32)
