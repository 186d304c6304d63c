"""The interface of a layer type: what the graph engine asks of every Keras layer class it supports.

A layer type is one object (a subclass of :class:`LayerType`, instantiated in its module's
``LAYER_TYPES``) named by the Keras class it computes. Its class attributes state facts (which
variables it holds, how many layers it reads, its channel rule); its methods compute: the
problem with a setting it does not compute, its output shape, its forward pass, its gradient and
its ONNX nodes. A layer whose Keras config has an ``activation`` applies it after what
:meth:`LayerType.forward` computes; the engine does that, for every such layer alike
(:mod:`~prunelab.models.layers.activations`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..graph import Node


ONNX_IMAGE_AXES = {1: 2, 2: 3, 3: 1}
"""Where Keras's axes of an image (height, width, channels; the batch is 0) lie in the ONNX graph,
whose images are NCHW."""


class LayerType:
    """A Keras layer class as the engine computes it; the defaults are an identity's."""

    name: str = ""
    """The Keras class name, as a saved config holds it."""
    description: str = ""
    """What it is and which of its settings are supported, for the refusal of another layer."""
    weights: tuple[str, ...] = ()
    """The variables it holds, by Keras's names, in Keras's order."""
    reads: int | None = 1
    """How many layers it reads (0: the input; ``None``: two or more)."""
    images: bool = False
    """Whether it reads images (height, width, channels) only."""
    prunable: bool = False
    """Whether methods prune its kernel (remove weights or units from it)."""
    im2col: bool = False
    """Whether its forward pass lays every window of its input out as a row (its memory per image:
    output positions times kernel rows, which bounds the batch a forward pass takes)."""
    channel_rule: str = "carries"
    """What it does to the channel space of its input (:mod:`prunelab.models.dependency`):
    ``creates`` a space of its own (its units; it reads the input's channels through its kernel),
    ``carries`` channel c to channel c, ``joins`` its inputs' spaces into one (a sum), ``gates``
    them (joins them as a product: a channel zero in any input is zero in the output),
    ``concatenates`` them (each at its offset), ``flattens`` each channel over positions of
    its input (:meth:`spread` of them, channels last: channel c at c, c + C, ...), or (an
    attention's) computes ``heads``: its inputs' spaces and its output's are one group whose
    channel is a head, several entries of each (:meth:`head_widths`)."""
    channel_role: str = ""
    """Its part in the group of the channels it carries: ``normalizer`` (a batch norm over them)
    or ``carrier`` (a depthwise convolution: channel c from channel c alone, its own kernel slice
    and bias going with the channel); empty for none."""

    channel_axes: dict[str, int] = {}
    """As a member of a channel group (its producer, normalizer or carrier): its arrays that shrink
    with a removed channel, and the axis each holds the channels on."""
    channel_values: tuple[str, ...] = ()
    """Of those, the ones that give a removed channel a value besides a pruned kernel (a bias, a
    batch norm's scale and shift): zeroed with it in the masked model, held at zero in retraining."""

    recalibrates: bool = False
    """Whether it holds statistics of its inputs that :meth:`recalibrated` re-estimates after
    pruning (a batch norm's moving mean and variance)."""

    def recalibrated(self, node: Node, weights: dict, values: list[np.ndarray]) -> dict:
        """Its variables with the statistics re-estimated from ``values``, its inputs over the
        recalibration images (:mod:`prunelab.models.recalibration`)."""
        raise NotImplementedError(f"{self.name} holds no statistics to recalibrate")

    def spread(self, node: Node, input_shape: tuple[int, ...]) -> int:
        """For a layer that ``flattens``: over how many positions of its input each channel is
        spread in its output's last axis."""
        return 1

    def head_widths(self, node: Node) -> tuple[int, ...]:
        """For a layer of ``heads``: how many entries of each input's last axis one head is, then
        of its output's."""
        raise NotImplementedError

    def masked_channels(self, arrays: dict, keep: np.ndarray) -> dict:
        """Its arrays with the channels not in ``keep`` zeroed where they give the channel a value
        (a member of a group: so the channel carries exact zeros)."""
        return {variable: array * keep.astype(array.dtype) if variable in self.channel_values and array is not None
                else array
                for variable, array in arrays.items()}

    def live_channels(self, node: Node, arrays: dict) -> np.ndarray | bool:
        """Which of its group's channels it gives a value for an all-zero input (False: none)."""
        return False

    def flops(self, node: Node, arrays: dict, output_shape: tuple[int, ...], nonzero: bool) -> int:
        """Its multiply-accumulates per image if methods do not prune its kernel (a pruned kernel's
        are counted from the kernel: :mod:`prunelab.measuring.efficiency`), its non-zero weights
        only if ``nonzero``; none for a layer without weights to multiply by."""
        return 0

    def expand(self, node: Node, width: int) -> tuple[Node, ...]:
        """The nodes the engine reads the Keras layer ``node`` as, given its input's ``width`` (its
        last axis): itself, or (an attention) a node per part, the one its readers read last."""
        return (node,)

    def node_arrays(self, name: str, arrays: dict) -> dict:
        """Its Keras variables (:meth:`keras_variables`, by our names) as the arrays of the nodes
        it is read as (:meth:`expand`), by node name."""
        return {name: arrays}

    def keras_layer(self, graph, node: Node, weights: dict) -> tuple | None:
        """The Keras layer a rebuilt model holds for it: its class name, config, the nodes it reads
        and its variables' arrays (by :meth:`keras_variables`' names, any shape of their size);
        ``None`` for a part of a layer that its last part builds (:meth:`expand`)."""
        return node.op, dict(node.config), node.inputs, weights.get(node.name, {})

    def variables_in(self, model, node: Node) -> dict:
        """The Keras variables that hold its arrays in ``model`` (a model built with its layer),
        by the arrays' names; each array is its variable reshaped."""
        return self.keras_variables(model.get_layer(node.name))

    def problem(self, node: Node, input_shape: tuple[int, ...], *other_shapes: tuple[int, ...]) -> str:
        """Why the layer's settings are not computed exactly for inputs of these shapes (no batch
        axis; a layer reading several gets them all); empty if they are."""
        return ""

    def shape(self, node: Node, input_shape: tuple[int, ...], *other_shapes: tuple[int, ...]) -> tuple[int, ...]:
        """Its output shape (no batch axis) for the shapes of its inputs."""
        return input_shape

    def zero_at_zero(self, node: Node) -> bool:
        """Whether a channel that is zero in its input stays zero in its output (before any
        activation in its config): otherwise a removed channel would carry a value, and its
        group is kept whole (:mod:`prunelab.models.dependency`)."""
        return True

    def forward(self, node: Node, weights: dict, values: list[np.ndarray]) -> np.ndarray:
        """Its output for its inputs ``values`` (batch first), before any activation in its config."""
        return values[0]

    def backward(self, node: Node, weights: dict, values: list[np.ndarray], output: np.ndarray,
                 upstream: np.ndarray) -> tuple[list[np.ndarray], np.ndarray | None]:
        """The gradients of its inputs and of its kernel (``None`` if it has none) from the gradient
        ``upstream`` of its ``output`` (what :meth:`forward` gave for ``values``), float64."""
        return [upstream], None

    def keras_variables(self, layer) -> dict:
        """The Keras ``layer``'s variables by the names of :attr:`weights` (``None`` where it has
        none): what :func:`~prunelab.models.keras_models.graph_of` reads and a rebuilt model is given."""
        return {name: getattr(layer, name, None) for name in self.weights}

    def call(self, layer, sources: list):
        """The rebuilt Keras ``layer`` called on the tensors of the layers it reads."""
        return layer(sources if self.reads is None else sources[0])

    def keras_config(self, config: dict, arrays: dict) -> dict:
        """Its Keras config for the rebuilt model (:func:`prunelab.models.keras_models.model_of_graph`)
        with weights ``arrays``, which a compacted model holds fewer channels of."""
        return config

    def assigned(self, layer) -> None:
        """What the rebuilt Keras ``layer`` needs once its weights are assigned (nothing, mostly)."""

    def onnx(self, node: Node, weights: dict, sources: list[str], onnx) -> str:
        """Adds its ONNX nodes (before any activation) to the builder ``onnx``
        (:class:`prunelab.measuring.onnx_export.OnnxGraph`), reading the tensors ``sources``
        (images in NCHW); returns its output tensor's name."""
        return sources[0]


def with_bias(out: np.ndarray, weights: dict) -> np.ndarray:
    """A layer's product with its kernel plus its bias, where it has one."""
    return out if weights.get("bias") is None else out + weights["bias"]


class UnitLayer(LayerType):
    """A layer whose output units are a channel space of its own (Dense, Conv2D): methods prune its
    kernel, whose last axis (with the bias) is its units, and a removed unit takes its kernel
    column and bias. A subclass names the config key of its width (``width``) and says how its
    kernel is shaped and what it multiplies."""

    weights = ("kernel", "bias")
    prunable = True
    channel_rule = "creates"
    channel_axes = {"kernel": -1, "bias": 0}
    channel_values = ("bias",)
    width = ""
    """The config key of its number of units (``units``, ``filters``)."""

    def masked_channels(self, arrays, keep):
        """A removed unit loses its kernel column and bias."""
        return {variable: array * keep.astype(array.dtype) if variable in self.channel_axes and array is not None
                else array for variable, array in arrays.items()}

    def live_channels(self, node, arrays):
        kernel, bias = arrays["kernel"], arrays.get("bias")
        return kernel.reshape(-1, kernel.shape[-1]).any(axis=0) | (bias is not None and bias != 0)

    def keras_config(self, config, arrays):
        """Its width is its kernel's (a compacted model's is smaller than the saved config's)."""
        return {**config, self.width: int(arrays["kernel"].shape[-1])}

    def kernel_shape(self, node: Node, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Its kernel's shape, from its config and input shape alone (as Keras builds it)."""
        raise NotImplementedError

    def kernel_rows(self, node: Node, x: np.ndarray) -> np.ndarray:
        """What it multiplies its kernel (as a matrix) with, for its input ``x``."""
        raise NotImplementedError
