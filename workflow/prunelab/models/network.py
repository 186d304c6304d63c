"""A trained model (the built-in MLP and CNN, ResNet, VGG, any supported Keras model) as its
graph and plain numpy arrays: one engine evaluates, differentiates, compacts and exports them all.

What methods and measurements see: ``kernels`` are the prunable (trainable Dense and Conv2D)
kernels in the model's order, ``num_layers``, ``is_conv(i)`` and ``output_positions()`` describe
them, ``with_weights`` replaces them. Everything else the model holds (biases, batch-norm
parameters and statistics, frozen kernels) travels along unchanged in ``weights``. The file
(``weights.npz``) holds the graph's JSON beside ``layer/variable`` arrays, so prune jobs read it
without TensorFlow; a built-in ``dense`` or ``cnn``'s holds its weighted layers' ``W{i}`` and
``b{i}`` alone, its graph following from its architecture (:mod:`prunelab.models.chains`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace

import numpy as np

from ..data.datasets import IMAGE_SHAPE, NUM_CLASSES
from ..plumbing.fileio import load_arrays, save_arrays
from .chains import (CHAIN_TYPES, chain_file_architecture, chain_graph, chain_kernel_shapes, chain_weights,
                     layer_name)
from .dependency import pruned_groups
from .graph import Graph, run
from .imported import imported_graph
from .layers import LAYER_TYPES
from .layers.multi_head_attention import PROJECTIONS as ATTENTION_PROJECTIONS

GRAPH_KEY = "graph"
"""The array of a weights file holding the graph's JSON (a unicode string, loaded without pickle)."""
ARCHITECTURE_TYPES = (*CHAIN_TYPES, "resnet", "vgg", "vit", "custom", "imported")
"""Every architecture type a config may name: the built-ins (:mod:`prunelab.models.keras_models`) and a
researcher's own models (``custom_models``): ``custom`` built by their code, whose layers are known
only once built, and ``imported``, trained elsewhere, whose layers its file's config says."""
WITHOUT_BATCH_NORMS = (*CHAIN_TYPES, "vit")
"""The built-ins that hold no batch norm (a ResNet's and a VGG's follow every convolution):
``pruning.recalibrate`` is refused for them before any job."""
NARROWED = "narrowed"
"""The architecture type of a graph model narrowed by unit pruning, as ``scratch`` trains it anew:
``{"type": "narrowed", "graph": its graph's JSON}`` (:meth:`Network.narrowed_architecture`);
never a config's."""
VGG_PLANS = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
    19: [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512],
}
"""Filters of each 3x3 conv-BN-ReLU block of a ``vgg``, "M" a 2x2 max-pooling (OpenLTH's ``cifar_vgg``)."""
RESNET_FILTERS = (16, 32, 64)
"""The filters of a ``resnet``'s three stages (He et al. 2016's CIFAR ResNet)."""
PATCH_BYTES = 64 * 2**20
"""About how much memory one convolution's windows (im2col rows) may take in a forward batch."""


@dataclass(frozen=True)
class Network:
    architecture: dict
    graph: Graph
    weights: dict = field(repr=False)

    @property
    def layer_names(self) -> list[str]:
        """The prunable layers' names, in the order of ``kernels`` (what ``pruning.layers`` indices count)."""
        return self.graph.prunable()

    @property
    def kernels(self) -> list[np.ndarray]:
        return [self.weights[name]["kernel"] for name in self.layer_names]

    @property
    def num_layers(self) -> int:
        return len(self.layer_names)

    def is_conv(self, index: int) -> bool:
        return self.kernels[index].ndim == 4

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.graph.input_shape

    def output_positions(self) -> list[int]:
        """Per prunable layer, how many times its kernel is applied per image (conv: output pixels)."""
        shapes = self.graph.shapes
        return [math.prod(shapes[name][:-1]) for name in self.layer_names]

    def other_flops(self, nonzero: bool) -> int:
        """Multiply-accumulates per image of the layers whose weights methods do not prune
        (depthwise convolutions: each layer type counts its own), their non-zero weights only if
        ``nonzero``."""
        shapes = self.graph.shapes
        return sum(LAYER_TYPES[node.op].flops(node, self.weights.get(node.name, {}), shapes[node.name], nonzero)
                   for node in self.graph.nodes if not LAYER_TYPES[node.op].prunable)

    def with_weights(self, kernels: list) -> "Network":
        weights = {name: dict(arrays) for name, arrays in self.weights.items()}
        for name, kernel in zip(self.layer_names, kernels, strict=True):
            weights.setdefault(name, {})["kernel"] = kernel
        return replace(self, weights=weights)

    @property
    def biases(self) -> list[np.ndarray | None] | None:
        """The prunable layers' biases in the order of ``kernels`` (``None`` for a layer without
        one), or ``None`` where no prunable layer has one."""
        biases = [self.layer_bias(index) for index in range(self.num_layers)]
        return None if all(bias is None for bias in biases) else biases

    def layer_bias(self, index: int) -> np.ndarray | None:
        """Prunable layer ``index``'s bias (``None`` if it has none)."""
        return self.weights[self.layer_names[index]].get("bias")

    def with_layer(self, index: int, kernel: np.ndarray, bias: np.ndarray | None) -> "Network":
        """The model with prunable layer ``index``'s kernel and bias (if it has one) replaced."""
        name = self.layer_names[index]
        arrays = {**self.weights[name], "kernel": kernel}
        if bias is not None:
            arrays["bias"] = bias
        return replace(self, weights={**self.weights, name: arrays})

    def sole_reader(self, index: int) -> tuple[int | None, str]:
        """The prunable layer that alone reads prunable layer ``index``'s channels, and reads them
        as they are: their group has no other producer, consumer, depthwise convolution or
        concatenation (batch norms, activations, pooling, padding and flattening may lie between).
        ``None`` and why (naming the layer) where there is none: a residual sum's channels, say."""
        name = self.layer_names[index]
        group = next(group for group in self.graph.groups if name in group.producers)
        others = [producer for producer in group.producers if producer != name]
        reason = (group.reason or (group.widths and f"its units are an attention's heads, with those of {others[0]!r}")
                  or (others and f"its channels are summed with those of {others[0]!r}")
                  or (len(group.consumers) != 1 and f"its channels are read by {len(group.consumers)} layers")
                  or (group.carriers and f"its channels pass through the depthwise {group.carriers[0]!r}")
                  or (group.offsets and "its channels are concatenated with others"))
        if not reason and group.consumers[0][0] not in self.layer_names:
            reason = f"its channels are read by {group.consumers[0][0]!r}, whose kernel is frozen"
        return (None, f"{name}: {reason}") if reason else (self.layer_names.index(group.consumers[0][0]), "")

    @property
    def is_chain(self) -> bool:
        """Whether this is a built-in ``dense`` or ``cnn``, whose graph follows from its
        architecture (:mod:`prunelab.models.chains`): its files hold no graph."""
        return self.architecture["type"] in CHAIN_TYPES

    def file_architecture(self) -> dict:
        """The architecture its files record: a chain's with its layers' widths (a compacted
        chain's narrower than configured), any other model's as given."""
        return chain_file_architecture(self.architecture, self.kernels) if self.is_chain else self.architecture

    def narrowed_architecture(self) -> dict:
        """The architecture of the model these weights describe, to build and train anew: the
        graph with each layer's width its kernel's (a compacted model's: fewer channels than the
        saved configs say); a chain's own architecture with its widths."""
        if self.is_chain:
            return self.file_architecture()
        nodes = tuple(replace(node, config=LAYER_TYPES[node.op].keras_config(dict(node.config),
                                                                              self.weights.get(node.name, {})))
                      for node in self.graph.nodes)
        return {"type": NARROWED, "graph": Graph(nodes, self.graph.output).to_json()}

    def with_all_weights(self, weights: dict) -> "Network":
        return replace(self, weights=weights)

    def absolute(self) -> "Network":
        """Every array replaced by its absolute value (SynFlow's linearized network: its code takes
        the absolute value of every entry of the state, batch-norm statistics included)."""
        return replace(self, weights={name: {variable: np.abs(value) for variable, value in arrays.items()}
                                      for name, arrays in self.weights.items()})

    def parameters(self) -> list[np.ndarray]:
        """Every array the model holds (kernels, biases, batch-norm parameters and statistics)."""
        return [array for arrays in self.weights.values() for array in arrays.values()]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The model's outputs without its final softmax, in batches that bound the memory of
        a convolution's windows to about :data:`PATCH_BYTES`."""
        batch = self.forward_batch()
        return np.concatenate([run(self.graph, self.weights, x[i:i + batch]) for i in range(0, len(x), batch)])

    def forward_batch(self) -> int:
        shapes, graph = self.graph.shapes, self.graph
        per_image = [math.prod(shapes[n.name][:-1]) * math.prod(self.weights[n.name]["kernel"].shape[:-1]) * 4
                     for n in graph.nodes if LAYER_TYPES[n.op].im2col]
        return max(1, min(1024, PATCH_BYTES // max(per_image, default=1)))

    def zero_removed_channels(self) -> "Network":
        """Channels every producer of a group has lost entirely (kernel columns all zero) also
        lose their biases and batch-norm scale, shift and mean, so they carry exact zeros and
        compaction removes them (unit-level pruning; see :mod:`prunelab.measuring.channel_compaction`)."""
        from ..measuring.channel_compaction import masked

        kept = [(group, keep) for group, keep in self.dead_channels() if not keep.all()]
        return replace(self, weights=masked(self.graph, self.weights, kept)) if kept else self

    def channel_masks(self) -> dict[tuple[int, str], np.ndarray]:
        """What retraining a unit-pruned graph model holds at zero besides its kernels, by (the
        layer's position in the graph, variable): the biases and batch-norm scale and shift of its
        removed channels. Positions, not names: a custom model's automatic names differ between builds."""
        from ..measuring.channel_compaction import member_keeps

        position = {node.name: index for index, node in enumerate(self.graph.nodes)}
        kept = [(group, alive) for group, alive in self.dead_channels() if not alive.all()]
        return {(position[name], variable): keep for name, keep in member_keeps(self.graph, kept).items()
                for variable in LAYER_TYPES[self.graph.node(name).op].channel_values
                if self.weights[name].get(variable) is not None}

    def dead_channels(self) -> list:
        """Per prunable group, which channels some trainable producer still computes (False:
        every pruned producer's kernel column is zero; a frozen producer, the option-A shortcut,
        goes with them)."""
        kept = []
        for group, producers in pruned_groups(self.graph):
            alive = np.zeros(group.channels, dtype=bool)
            for name in producers:
                kernel = self.weights[name]["kernel"]
                alive |= group.by_channel(name, kernel.reshape(-1, kernel.shape[-1]).any(axis=0)).any(axis=1)
            kept.append((group, alive))
        return kept

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array ('layer/variable'), and the graph as JSON, as its file holds them (:meth:`save`);
        a chain's as ``W{i}`` and ``b{i}`` (:mod:`prunelab.models.chains`)."""
        if self.is_chain:
            arrays = {f"W{i}": kernel for i, kernel in enumerate(self.kernels)}
            arrays.update({f"b{i}": bias for i, bias in enumerate(self.biases or [])})
            return arrays
        arrays = {f"{name}/{variable}": value for name, variables in self.weights.items()
                  for variable, value in variables.items()}
        arrays[GRAPH_KEY] = np.array(self.graph.to_json())
        return arrays

    def save(self, path: str | os.PathLike) -> None:
        save_arrays(path, self.arrays())

    @classmethod
    def load(cls, path: str | os.PathLike, architecture: dict) -> "Network":
        """The model a training or pruning job wrote (:meth:`save`)."""
        return cls.from_arrays(load_arrays(path), architecture)

    @classmethod
    def of_chain(cls, architecture: dict, kernels: list[np.ndarray],
                 biases: list[np.ndarray] | None = None) -> "Network":
        """A ``dense`` or ``cnn`` with these weighted layers' kernels (and biases, one per layer)."""
        return cls(architecture, chain_graph(architecture, [k.shape for k in kernels]), chain_weights(kernels, biases))

    @classmethod
    def from_arrays(cls, arrays: dict, architecture: dict) -> "Network":
        """The model whose :meth:`arrays` these are."""
        if GRAPH_KEY not in arrays:
            count = sum(name.startswith("W") for name in arrays)
            biases = [arrays[f"b{i}"] for i in range(count)] if "b0" in arrays else None
            return cls.of_chain(architecture, [arrays[f"W{i}"] for i in range(count)], biases)
        graph = Graph.from_json(str(arrays[GRAPH_KEY]))
        weights: dict[str, dict] = {}
        for key, value in arrays.items():
            if key == GRAPH_KEY:
                continue
            name, variable = key.rsplit("/", 1)
            weights.setdefault(name, {})[variable] = value
        return cls(architecture, graph, weights)


def vit_shape_problem(architecture: dict, image_shape: tuple[int, ...]) -> str | None:
    """Why a ``vit`` cannot take images of ``image_shape`` (its patches must tile them), or ``None``."""
    patch = architecture["patch"]
    if image_shape[0] % patch == 0 and image_shape[1] % patch == 0:
        return None
    return f"a vit of patch {patch} takes images whose height and width it divides, not {tuple(image_shape)}"


def graph_layers(architecture: dict, input_shape: tuple[int, int, int] = (*IMAGE_SHAPE, 1),
                 num_classes: int = NUM_CLASSES) -> list[tuple[str, tuple[int, ...]]] | None:
    """The prunable layers of a built-in architecture, name and kernel shape, in the model's
    order, from the architecture alone (for config checks that run before any job; equal to the
    built model's, tested), or a model trained elsewhere from its file's config; ``None`` for a
    custom model, whose layers are known only once it is built."""
    if architecture["type"] in CHAIN_TYPES:
        shapes = chain_kernel_shapes(architecture, input_shape, num_classes)
        return [(layer_name(index, shape), shape) for index, shape in enumerate(shapes)]
    if architecture["type"] == "custom":
        return None
    if architecture["type"] == "imported":
        graph = imported_graph(architecture["file"])
        return [(name, graph.kernel_shape(name)) for name in graph.prunable()]
    if architecture["type"] == "vit":
        patch, dim = architecture["patch"], architecture["dim"]
        layers = [("embedding", (patch * patch * input_shape[-1], dim))]
        for block in range(1, architecture["depth"] + 1):  # heads · key_dim = dim
            layers += [(f"block{block}_attention/{part}", (dim, dim)) for part in ATTENTION_PROJECTIONS]
            layers += [(f"block{block}_fc1", (dim, architecture["mlp"])), (f"block{block}_fc2", (architecture["mlp"], dim))]
        return layers + [("output", (dim, num_classes))]
    if architecture["type"] == "vgg":
        layers, stage, block, previous = [], 1, 0, input_shape[-1]
        for step in VGG_PLANS[architecture["depth"]]:
            if step == "M":
                stage, block = stage + 1, 0
                continue
            block += 1
            layers.append((f"s{stage}c{block}_conv", (3, 3, previous, step)))
            previous = step
        return layers + [("output", (previous, num_classes))]
    layers, previous = [("conv", (3, 3, input_shape[-1], RESNET_FILTERS[0]))], RESNET_FILTERS[0]
    projection = architecture.get("shortcut", "projection") == "projection"
    for stage, filters in enumerate(RESNET_FILTERS, start=1):
        for block in range(1, (architecture["depth"] - 2) // 6 + 1):
            name = f"s{stage}b{block}"
            layers.append((f"{name}_conv1", (3, 3, previous, filters)))
            if stage > 1 and block == 1 and projection:
                layers.append((f"{name}_shortcut", (1, 1, previous, filters)))
            layers.append((f"{name}_conv2", (3, 3, filters, filters)))
            previous = filters
    return layers + [("output", (previous, num_classes))]


def kernel_shapes(architecture: dict, input_shape: tuple[int, int, int] = (*IMAGE_SHAPE, 1),
                  num_classes: int = NUM_CLASSES) -> list[tuple[int, ...]] | None:
    """The prunable kernels' shapes of an architecture known before it is built (:func:`graph_layers`;
    ``None`` for a custom model)."""
    layers = graph_layers(architecture, input_shape, num_classes)
    return None if layers is None else [shape for _, shape in layers]
