"""Keras's Reshape between C features and a 1x1 image of C channels, either way (a
squeeze-and-excitation block's, between its pooling and its 1x1 convolutions): channel c stays
channel c. Any other reshape is refused: it would move channels to other positions."""

from __future__ import annotations

from .layer_type import LayerType


class Reshape(LayerType):
    name = "Reshape"
    description = "reshape between C features and a 1x1 image of C channels (squeeze-and-excitation)"

    def problem(self, node, input_shape):
        target = tuple(node.config["target_shape"])
        channels = input_shape[-1] if input_shape else None
        if sorted([tuple(input_shape), target]) != sorted([(channels,), (1, 1, channels)]):
            return (f"target_shape {target} from {tuple(input_shape)}: only between C features and a 1x1 image "
                    "of C channels is supported")
        return ""

    def shape(self, node, input_shape):
        return tuple(node.config["target_shape"])

    def forward(self, node, weights, values):
        x = values[0]
        return x.reshape(len(x), -1) if x.ndim == 4 else x.reshape(len(x), 1, 1, -1)

    def backward(self, node, weights, values, output, upstream):
        return [upstream.reshape(values[0].shape)], None

    def onnx(self, node, weights, sources, onnx):
        """To C features: ONNX's Flatten of (N, C, 1, 1); to an image: (N, C, 1, 1), C inferred
        (a compacted model's C is its kernels')."""
        if len(onnx.shapes[node.inputs[0]]) == 3:
            return onnx.add("Flatten", sources, node.name, axis=1)
        return onnx.add("Reshape", [sources[0], onnx.integers(f"{node.name}/shape", [0, -1, 1, 1])], node.name)

    def keras_config(self, config: dict, arrays: dict) -> dict:
        """Its width is inferred (-1): a compacted model's C is its kernels', not the saved config's."""
        return {**config, "target_shape": [-1 if size > 1 else size for size in config["target_shape"]]}


LAYER_TYPES = (Reshape(),)
