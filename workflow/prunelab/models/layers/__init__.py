"""What the graph engine knows of each Keras layer class, one module per class (two close classes,
such as the 2-D max and average poolings, may share one), registered by the class name as methods
are by theirs: the settings it supports, its output shape, forward pass, gradient, ONNX export
and channel rule (:class:`~prunelab.models.layers.layer_type.LayerType`). The engine's modules
(:mod:`~prunelab.models.graph`, :mod:`~prunelab.models.graph_gradients`,
:mod:`~prunelab.models.dependency`, :mod:`~prunelab.measuring.onnx_export`) keep only what is
common to every layer. Adding a layer type is writing its module and naming it in ``MODULES``
(docs/development.md)."""

from __future__ import annotations

from . import (activation, add, batch_normalization, concatenate, conv2d, depthwise_conv2d, dense, dropout,
               einsum_dense, flatten, global_average_pooling, global_average_pooling_1d, input_layer,
               layer_normalization, multi_head_attention, multiply, normalization, permute, pooling, relu, rescaling,
               reshape, softmax, zero_padding)
from .layer_type import LayerType

MODULES = (input_layer, dense, einsum_dense, conv2d, depthwise_conv2d, batch_normalization, layer_normalization,
           activation, relu, pooling, global_average_pooling, global_average_pooling_1d, zero_padding, flatten, dropout,
           add, multiply, concatenate, reshape, permute, rescaling, normalization, softmax, multi_head_attention)
"""The layer types' modules, in the order the refusal of an unsupported layer lists them. They are
imported by name (not by a loop over names) so that each job's code version reaches them
(:mod:`prunelab.plumbing.codeversion`): an edit to one reruns what the engine computed."""


def _registered() -> dict[str, LayerType]:
    types = {}
    for module in MODULES:
        for layer_type in module.LAYER_TYPES:
            if layer_type.name in types:
                raise ValueError(f"layer type {layer_type.name!r} is defined twice")
            types[layer_type.name] = layer_type
    return types


LAYER_TYPES: dict[str, LayerType] = _registered()
"""Every supported Keras layer class by name."""
