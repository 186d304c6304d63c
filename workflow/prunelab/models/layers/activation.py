"""Keras's Activation layer: only the activation its config names, which the engine applies to
every layer with one (:mod:`~prunelab.models.layers.activations`)."""

from .activations import ACTIVATIONS
from .layer_type import LayerType


class Activation(LayerType):
    name = "Activation"
    description = (f"activation: {', '.join(ACTIVATIONS[:-3])} (exact), silu (swish), hard_sigmoid or hard_silu "
                   "(hard_swish)")


LAYER_TYPES = (Activation(),)
