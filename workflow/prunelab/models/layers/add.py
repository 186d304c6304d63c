"""Keras's Add: the element-wise sum of two or more layers (residual connections), whose channel
spaces it joins into one."""

from .layer_type import LayerType


class Add(LayerType):
    name = "Add"
    description = "element-wise sum of its inputs (residual connections)"
    reads = None
    channel_rule = "joins"

    def forward(self, node, weights, values):
        out = values[0]
        for other in values[1:]:
            out = out + other
        return out

    def backward(self, node, weights, values, output, upstream):
        return [upstream] * len(values), None

    def onnx(self, node, weights, sources, onnx):
        return onnx.add("Sum", sources, node.name)


LAYER_TYPES = (Add(),)
