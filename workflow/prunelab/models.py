"""Keras models from an architecture spec (TensorFlow is imported by the caller)."""

from __future__ import annotations

from .network import Network

IMAGE_SHAPE = (28, 28)


def regularizer(keras, name: str, strength: float):
    if name == "none":
        return None
    if name == "l1":
        return keras.regularizers.L1(strength)
    if name == "l2":
        return keras.regularizers.L2(strength)
    raise ValueError(f"unknown regularizer {name!r}; allowed: none, l1, l2")


def build_model(keras, architecture: dict, num_classes: int, regularizer_name: str = "none",
                strength: float = 0.0):
    """``dense``: C's MLP (ReLU hidden layers, softmax output). ``cnn``: E's network done right
    (ReLU convolutions, 2x2 max-pooling where ``pool`` says, ReLU hidden dense layers, one
    softmax on the output). Hidden kernels carry the regularizer; the output layer never does."""
    bias = architecture.get("bias", False)

    def hidden_kernel_regularizer():
        return regularizer(keras, regularizer_name, strength)

    layers = []
    if architecture["type"] == "cnn":
        layers.append(keras.Input(shape=(*IMAGE_SHAPE, 1)))
        for filters, pool in zip(architecture["conv"], architecture["pool"]):
            layers.append(keras.layers.Conv2D(filters, architecture["kernel_size"], activation="relu",
                                              use_bias=bias, kernel_regularizer=hidden_kernel_regularizer()))
            if pool:
                layers.append(keras.layers.MaxPooling2D())
        layers.append(keras.layers.Flatten())
    else:
        layers.append(keras.Input(shape=(IMAGE_SHAPE[0] * IMAGE_SHAPE[1],)))
    for width in architecture["hidden"]:
        layers.append(keras.layers.Dense(width, activation="relu", use_bias=bias,
                                         kernel_regularizer=hidden_kernel_regularizer()))
    layers.append(keras.layers.Dense(num_classes, activation="softmax", use_bias=bias))
    return keras.Sequential(layers)


def network_of(model, architecture: dict) -> Network:
    """The model's weights as a :class:`Network` (kernels, and biases if it has them)."""
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
    kernels = [layer.kernel.numpy() for layer in weighted]
    biases = [layer.bias.numpy() for layer in weighted] if architecture.get("bias", False) else None
    return Network(architecture, kernels, biases)
