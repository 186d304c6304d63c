"""Keras models from an architecture spec (TensorFlow is imported by the caller)."""

from __future__ import annotations

from ..data.datasets import IMAGE_SHAPE
from .network import Network
from .protocol import decay_regularizer


def fixed_mask(keras, mask):
    """A Keras constraint keeping masked-out entries at exactly zero after every update.
    ``mask`` is a boolean array, or a float ``keras.Variable`` that a callback may change
    during training (gradual pruning)."""
    if mask is None:
        return None

    class FixedMask(keras.constraints.Constraint):
        def __init__(self, keep):
            self.keep = keep if isinstance(keep, keras.Variable) else keras.ops.convert_to_tensor(
                keep.astype("float32"))

        def __call__(self, weights):
            return weights * self.keep

    return FixedMask(mask)


DEFAULT_INITIALIZER = "glorot_uniform"
"""Keras's own default for Dense and Conv2D kernels: what an architecture without ``initializer`` gets."""

DEFAULT_PRECISION = "float32"
PRECISION_POLICIES = {DEFAULT_PRECISION: "float32", "bfloat16": "mixed_bfloat16"}
"""Keras dtype policy of every layer but the output layer, by ``training.precision``."""


def build_model(keras, architecture: dict, num_classes: int, regularizer_name: str = "none",
                strength: float = 0.0, kernel_masks: list | None = None, bias_masks: list | None = None,
                precision: str = DEFAULT_PRECISION, weight_decay: float = 0.0):
    """``dense``: an MLP (ReLU hidden layers, softmax output). ``cnn``: a convolutional network
    (ReLU convolutions, 2x2 max-pooling where ``pool`` says, ReLU hidden dense layers, one
    softmax on the output). Hidden kernels carry the regularizer; the output layer never does.
    Masks (one per weighted layer, ``None`` for free layers) freeze pruned weights at zero.
    With ``precision`` bfloat16 the hidden layers compute in bfloat16 on float32 weights; the
    output layer stays float32, so the softmax and the loss keep full precision. ``weight_decay``
    adds its L2 term to every kernel and bias (:func:`prunelab.models.protocol.decay_regularizer`).
    Kernels are drawn by the architecture's ``initializer`` (papers differ: Caffe's xavier, TensorFlow's
    variance scaling), Keras's default where it names none; biases start at zero."""
    bias = architecture.get("bias", False)
    initializer = architecture.get("initializer", DEFAULT_INITIALIZER)
    policy = PRECISION_POLICIES[precision]
    widths = [*architecture.get("conv", []), *architecture["hidden"], num_classes]
    kernel_masks = kernel_masks or [None] * len(widths)
    bias_masks = bias_masks or [None] * len(widths)

    penalty = {} if regularizer_name == "none" else {regularizer_name: strength}

    def weighted(index, layer_class, *args, **kwargs):
        hidden = index < len(widths) - 1
        return layer_class(*args, use_bias=bias, dtype=policy if hidden else "float32", kernel_initializer=initializer,
                           kernel_regularizer=decay_regularizer(keras, weight_decay, penalty if hidden else None),
                           bias_regularizer=decay_regularizer(keras, weight_decay) if bias else None,
                           kernel_constraint=fixed_mask(keras, kernel_masks[index]),
                           bias_constraint=fixed_mask(keras, bias_masks[index]) if bias else None, **kwargs)

    layers, index = [], 0
    if architecture["type"] == "cnn":
        layers.append(keras.Input(shape=(*IMAGE_SHAPE, 1)))
        for filters, pool in zip(architecture["conv"], architecture["pool"]):
            layers.append(weighted(index, keras.layers.Conv2D, filters, architecture["kernel_size"], activation="relu"))
            index += 1
            if pool:
                layers.append(keras.layers.MaxPooling2D(dtype=policy))
        layers.append(keras.layers.Flatten(dtype=policy))
    else:
        layers.append(keras.Input(shape=(IMAGE_SHAPE[0] * IMAGE_SHAPE[1],)))
    for width in architecture["hidden"]:
        layers.append(weighted(index, keras.layers.Dense, width, activation="relu"))
        index += 1
    layers.append(weighted(index, keras.layers.Dense, num_classes, activation="softmax"))
    return keras.Sequential(layers)


def network_of(model, architecture: dict) -> Network:
    """The model's weights as a :class:`Network` (kernels, and biases if it has them)."""
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
    kernels = [layer.kernel.numpy() for layer in weighted]
    biases = [layer.bias.numpy() for layer in weighted] if architecture.get("bias", False) else None
    return Network(architecture, kernels, biases)


def assign_weights(model, network: Network) -> None:
    """Copy a :class:`Network`'s kernels (and biases) into a model built for it."""
    weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
    for index, layer in enumerate(weighted):
        layer.kernel.assign(network.kernels[index])
        if network.biases is not None:
            layer.bias.assign(network.biases[index])
