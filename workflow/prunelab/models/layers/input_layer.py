"""The model's input: it reads no layer; the engine feeds it the images (its shape is the graph's)."""

from .layer_type import LayerType


class InputLayer(LayerType):
    name = "InputLayer"
    description = "the model's input"
    reads = 0


LAYER_TYPES = (InputLayer(),)
