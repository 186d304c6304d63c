"""Keras's Dropout: the identity when evaluating (training is Keras's)."""

from .layer_type import LayerType


class Dropout(LayerType):
    name = "Dropout"
    description = "dropout (the identity when evaluating)"


LAYER_TYPES = (Dropout(),)
