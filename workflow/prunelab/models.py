"""Keras model construction from a model spec (TensorFlow is imported by the caller)."""

from __future__ import annotations


def regularizer(keras, name: str, strength: float):
    if name == "none":
        return None
    if name == "l1":
        return keras.regularizers.L1(strength)
    if name == "l2":
        return keras.regularizers.L2(strength)
    raise ValueError(f"unknown regularizer {name!r}; allowed: none, l1, l2")


def build_dense(keras, input_size: int, num_classes: int, hidden: list[int], bias: bool,
                regularizer_name: str = "none", strength: float = 0.0):
    """C's MLP: ReLU hidden layers (regularized kernels), softmax output (never regularized)."""
    layers = [keras.Input(shape=(input_size,))]
    for width in hidden:
        layers.append(keras.layers.Dense(width, activation="relu", use_bias=bias,
                                         kernel_regularizer=regularizer(keras, regularizer_name, strength)))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", use_bias=bias))
    return keras.Sequential(layers)


def kernels_of(model) -> list:
    """Kernels of the model's Dense layers in order, each (fan_in, fan_out)."""
    return [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
