"""The activations a layer's config may name (``activation``: a Dense, a convolution, an
Activation layer): forward as Keras computes them, their gradient, their ONNX nodes. The engine
applies a layer's activation after the layer type's own computation, for every layer alike."""

from __future__ import annotations

import math

import numpy as np

ACTIVATIONS = ("linear", "relu", "softmax", "sigmoid", "tanh", "gelu", "silu", "hard_sigmoid", "hard_silu")
"""Keras's names as a saved config holds them: ``silu`` is also called swish, ``hard_silu`` hard_swish;
``gelu`` is the exact one, x·Φ(x) (the name gives Keras's ``approximate=False``)."""
NOT_ZERO_AT_ZERO = ("sigmoid", "softmax", "hard_sigmoid")
"""Activations under which a removed (zeroed) channel would still carry a value."""


def activation(x: np.ndarray, name: str) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for very negative x: the sigmoid is 0 there
        return _activation(x, name)


def _activation(x: np.ndarray, name: str) -> np.ndarray:
    if name == "relu":
        return np.maximum(x, 0.0)
    if name == "softmax":
        return softmax(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "tanh":
        return np.tanh(x)
    if name == "silu":  # swish: x · sigmoid(x)
        return x / (1.0 + np.exp(-x))
    if name == "gelu":
        return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))).astype(x.dtype)
    if name == "hard_sigmoid":
        return hard_sigmoid(x)
    if name == "hard_silu":  # hard swish
        return x * hard_sigmoid(x)
    return x


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` (the activation's, the Softmax layer's, an attention's scores)."""
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def softmax_backward(out: np.ndarray, upstream: np.ndarray, axis: int = -1) -> np.ndarray:
    """∂/∂x of a softmax along ``axis`` with output ``out``, times ``upstream``."""
    return out * (upstream - (upstream * out).sum(axis=axis, keepdims=True))


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # only models with a GELU need it

    return erf(x)


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """Keras's: x / 6 + 1/2, clipped to [0, 1]."""
    return np.clip(x / 6.0 + 0.5, 0.0, 1.0)


def activation_backward(name: str, x: np.ndarray, out: np.ndarray, upstream: np.ndarray) -> np.ndarray:
    """∂/∂x of the activation ``name`` at its input ``x`` (``out`` its output), times ``upstream``."""
    if name == "relu":
        return upstream * (out > 0)
    if name == "tanh":
        return upstream * (1.0 - out * out)
    if name == "sigmoid":
        return upstream * out * (1.0 - out)
    if name == "softmax":
        return softmax_backward(out, upstream)
    if name == "silu":  # s + x·s·(1 − s), s = sigmoid(x)
        sigmoid = 1.0 / (1.0 + np.exp(-x))
        return upstream * (sigmoid + x * sigmoid * (1.0 - sigmoid))
    if name == "gelu":  # Φ(x) + x·φ(x)
        return upstream * (0.5 * (1.0 + _erf(x / math.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi))
    if name == "hard_sigmoid":  # 1/6 where it is not clipped
        return upstream * (np.abs(x) < 3.0) / 6.0
    if name == "hard_silu":  # x/3 + 1/2 where the hard sigmoid is not clipped, 1 above, 0 below
        return upstream * np.where(np.abs(x) < 3.0, x / 3.0 + 0.5, (x >= 3.0).astype(x.dtype))
    return upstream


def activation_onnx(onnx, name: str, source: str, layer: str) -> str:
    """The ONNX nodes of the activation ``name`` of layer ``layer`` applied to the tensor ``source``."""
    if name == "silu":  # x · sigmoid(x)
        return onnx.add("Mul", [source, onnx.add("Sigmoid", [source], f"{layer}/sigmoid")], f"{layer}/silu")
    if name in ("hard_sigmoid", "hard_silu"):  # Keras's slope 1/6 and offset 1/2 are ONNX's
        op = "HardSigmoid" if name == "hard_sigmoid" else "HardSwish"
        return onnx.add(op, [source], f"{layer}/{name}", **({"alpha": 1 / 6} if op == "HardSigmoid" else {}))
    if name == "gelu":  # x · (1 + erf(x / √2)) / 2: ONNX's Gelu comes with opset 20, Erf with 9
        scaled = onnx.add("Mul", [source, onnx.scalar(f"{layer}/gelu/scale", 1 / math.sqrt(2.0))], f"{layer}/gelu/x")
        erf = onnx.add("Erf", [scaled], f"{layer}/gelu/erf")
        one_plus = onnx.add("Add", [erf, onnx.scalar(f"{layer}/gelu/one", 1.0)], f"{layer}/gelu/1+erf")
        half = onnx.add("Mul", [source, onnx.scalar(f"{layer}/gelu/half", 0.5)], f"{layer}/gelu/half_x")
        return onnx.add("Mul", [half, one_plus], f"{layer}/gelu")
    if name == "linear":
        return source
    op = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax"}[name]
    return onnx.add(op, [source], f"{layer}/{name}", **({"axis": -1} if op == "Softmax" else {}))
