"""Any supported Keras model as a graph of plain layers, and its exact forward pass in numpy.

A :class:`Graph` is the model's structure as Keras itself serializes it (``model.get_config()``,
the ``config.json`` of a ``.keras`` file): one :class:`Node` per layer with the layer's class,
its Keras config and the names of the layers it reads. It is JSON, so it is saved beside the
weights and read back by jobs that never import TensorFlow, and it rebuilds the model in
plain Keras (:func:`prunelab.models.keras_models.model_of_graph`). The weights stay apart, as
``{layer name: {"kernel": ..., "bias": ..., "gamma": ..., ...}}``.

What the engine knows of each Keras layer class is that class's layer type, one module each
(:mod:`prunelab.models.layers`): this module keeps what is common to every layer. A model with
any other layer, or a supported layer with a setting the forward pass does not compute
(dilation, groups, channels-first data), is refused by name before it is trained or pruned
(:func:`check_supported`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace

import numpy as np

from .layers import LAYER_TYPES
from .layers.activations import ACTIVATIONS, activation


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
        return [node.name for node in self.nodes
                if LAYER_TYPES[node.op].prunable and node.config.get("trainable", True)]

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
        return LAYER_TYPES[node.op].kernel_shape(node, self.shapes[node.inputs[0]])

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
        nodes, read_as = [], {}  # a layer read as several nodes (an attention) is read as its last
        for layer in layers:
            calls = layer.get("inbound_nodes", [])
            if len(calls) > 1:
                raise UnsupportedModel(f"layer {layer['config']['name']!r} ({layer['class_name']}) is called "
                                       f"{len(calls)} times: shared layers are not supported")
            arguments = _flat_history(calls[0]["args"]) if calls else []
            node = _node(layer, tuple(name for name, _, _ in arguments))
            layer_type = LAYER_TYPES.get(node.op)
            parts = layer_type.expand(node, _width(calls[0]["args"])) if layer_type and arguments else (node,)
            read_as[node.name] = parts[-1].name
            nodes += parts
        nodes = [replace(node, inputs=tuple(read_as.get(source, source) for source in node.inputs)) for node in nodes]
        output = _flat_history(outputs)[0][0]
        return cls(tuple(_in_order(nodes, _flat_history(inputs)[0][0])), read_as.get(output, output))


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


def _width(value) -> int | None:
    """The last axis of the first Keras tensor in a serialized call's arguments."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return value["config"]["shape"][-1]
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return next((width for item in value if (width := _width(item)) is not None), None)
    return None


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
    if graph.nodes[0].op != "InputLayer":
        raise UnsupportedModel(f"the model's first layer is {graph.nodes[0].op}, not its input")
    for node in graph.nodes:
        if node.op not in LAYER_TYPES:
            supported = "; ".join(f"{name} ({layer.description})" for name, layer in LAYER_TYPES.items())
            raise UnsupportedModel(f"layer {node.name!r} ({node.op}) is not supported. Supported layers: {supported}")
    shapes = graph.shapes
    for node in graph.nodes:
        layer, config = LAYER_TYPES[node.op], node.config
        where = f"layer {node.name!r} ({node.op})"
        if config.get("data_format", "channels_last") != "channels_last":
            raise UnsupportedModel(f"{where}: data_format {config['data_format']!r}; only channels_last is supported")
        if config.get("activation", "linear") not in ACTIVATIONS:
            raise UnsupportedModel(f"{where}: activation {config['activation']!r}; supported: {', '.join(ACTIVATIONS)}")
        input_shapes = [shapes[source] for source in node.inputs]
        if input_shapes and (problem := layer.problem(node, *input_shapes)):
            raise UnsupportedModel(f"{where}: {problem}")
        expected = "at least 2" if layer.reads is None else str(layer.reads)
        if layer.reads is None and len(node.inputs) < 2 or layer.reads is not None and len(node.inputs) != layer.reads:
            raise UnsupportedModel(f"{where} reads {len(node.inputs)} layers, where it should read {expected}")
        if layer.images and len(input_shapes[0]) != 3:
            raise UnsupportedModel(f"{where} takes images (height, width, channels), not shape {input_shapes[0]}")


def output_shapes(graph: Graph) -> dict[str, tuple[int, ...]]:
    """Each layer's output shape for one input (no batch axis), from the configs alone; a layer
    given a shape it cannot take keeps its input's, for :func:`check_supported` to refuse."""
    shapes = {graph.nodes[0].name: graph.input_shape}
    for node in graph.nodes[1:]:
        input_shapes = [shapes[source] for source in node.inputs] or [()]
        layer, shape = LAYER_TYPES.get(node.op), input_shapes[0]
        if layer is not None and (not layer.images or len(shape) == 3) and not layer.problem(node, *input_shapes):
            shape = layer.shape(node, *input_shapes)
        shapes[node.name] = tuple(shape)
    return shapes


# --- the forward pass -------------------------------------------------------------------------------

def apply(node: Node, weights: dict, values: list[np.ndarray], last: bool = False) -> np.ndarray:
    """One layer's output for its inputs ``values``, its config's activation applied; ``last``
    leaves out a final softmax (logits)."""
    out = LAYER_TYPES[node.op].forward(node, weights, values)
    name = node.config.get("activation", "linear")
    return out if last and name == "softmax" else activation(out, name)


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
