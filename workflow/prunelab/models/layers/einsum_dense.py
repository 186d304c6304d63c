"""Keras's EinsumDense for the equations that are a dense layer over the last axis,
``"...c,cd->...d"`` (a vision transformer's patch projection, ``"abc,cd->abd"``), with a bias over
the output features (``bias_axes="d"``) or over the positions and the features (``"bd"``: a learned
position embedding folded into the projection). Its units are a channel space of its own, as a
Dense's; any other equation is refused by name."""

from __future__ import annotations

import numpy as np

from .dense import Dense


def equation_parts(config: dict) -> tuple[str, str, str]:
    """The input's, the kernel's and the output's letters of the layer's equation."""
    sources, output = config["equation"].replace(" ", "").split("->")
    inputs, kernel = sources.split(",")
    return inputs, kernel, output


class EinsumDense(Dense):
    name = "EinsumDense"
    description = ("EinsumDense as a dense layer over the last axis ('...c,cd->...d'), with a bias over the "
                   "features or over the positions and the features")
    width = "output_shape"
    channel_axes = {"kernel": -1, "bias": -1}

    def problem(self, node, input_shape):
        inputs, kernel, output = equation_parts(node.config)
        if not (len(kernel) == 2 and len(inputs) == len(input_shape) + 1 and kernel[0] == inputs[-1]
                and output == inputs[:-1] + kernel[1] and kernel[1] not in inputs):
            return (f"equation {node.config['equation']!r}: only a dense layer over the last axis "
                    "('...c,cd->...d') is supported")
        bias_axes = node.config.get("bias_axes") or ""
        if bias_axes and not (output[1:].endswith(bias_axes) and bias_axes.endswith(kernel[1])):
            return f"bias_axes {bias_axes!r}: only the output's last axes ({kernel[1]!r}, or positions and it)"
        return ""

    def shape(self, node, input_shape):
        return (*input_shape[:-1], self.units(node))

    def kernel_shape(self, node, input_shape):
        return input_shape[-1], self.units(node)

    @staticmethod
    def units(node) -> int:
        output_shape = node.config["output_shape"]
        return int(output_shape[-1] if isinstance(output_shape, (list, tuple)) else output_shape)

    def live_channels(self, node, arrays):
        kernel, bias = arrays["kernel"], arrays.get("bias")
        alive = kernel.reshape(-1, kernel.shape[-1]).any(axis=0)
        return alive if bias is None else alive | (bias != 0).reshape(-1, bias.shape[-1]).any(axis=0)

    def keras_config(self, config, arrays):
        """Its width is its kernel's (a compacted model's is smaller than the saved config's)."""
        output_shape, units = config["output_shape"], int(arrays["kernel"].shape[-1])
        widened = [*output_shape[:-1], units] if isinstance(output_shape, (list, tuple)) else units
        return {**config, "output_shape": widened}


LAYER_TYPES = (EinsumDense(),)
