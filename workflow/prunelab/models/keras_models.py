"""Keras models from an architecture spec (TensorFlow is imported by the caller)."""

from __future__ import annotations

import math

import numpy as np

from ..data.datasets import IMAGE_SHAPE
from ..plumbing.user_code import load_function
from .graph import Graph
from .layers import LAYER_TYPES
from .chains import CHAIN_TYPES, cnn_shape_problem
from .network import NARROWED, RESNET_FILTERS, VGG_PLANS, Network, vit_shape_problem
from .imported import load_imported
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

        def __call__(self, weights):  # an attention's kernel is a matrix in the engine, 3-D in Keras
            return weights * keras.ops.reshape(self.keep, weights.shape)

    return FixedMask(mask)


DEFAULT_INITIALIZER = "glorot_uniform"
"""Keras's own default for Dense and Conv2D kernels: what an architecture without ``initializer`` gets."""

DEFAULT_PRECISION = "float32"
PRECISION_POLICIES = {DEFAULT_PRECISION: "float32", "bfloat16": "mixed_bfloat16"}
"""Keras dtype policy of every layer but the output layer, by ``training.precision``."""


def build_model(keras, architecture: dict, num_classes: int, regularizer_name: str = "none",
                strength: float = 0.0, kernel_masks: list | None = None, bias_masks: dict | None = None,
                precision: str = DEFAULT_PRECISION, weight_decay: float = 0.0,
                input_shape: tuple[int, ...] = (*IMAGE_SHAPE, 1)):
    """The Keras model of an architecture on inputs of ``input_shape`` (one image as the model takes
    it, :func:`prunelab.data.loading.features`: (height, width, channels), flattened for
    ``dense``), predicting ``num_classes`` classes; ``kernel_masks`` one per prunable layer in the
    model's order (``None`` for a free one) and ``bias_masks`` by (layer position, variable)
    (:meth:`~prunelab.models.network.Network.channel_masks`): each becomes its
    variable's constraint once the model is built (building draws the initial weights, so it
    happens once, whatever the masks), holding pruned entries at zero. ``precision`` bfloat16
    (``dense`` and ``cnn`` only) computes the hidden layers in bfloat16."""
    build = {"dense": build_chain, "cnn": build_chain, "resnet": build_resnet, "vgg": build_vgg, "vit": build_vit,
             "custom": build_custom, "imported": build_imported, NARROWED: build_narrowed}[architecture["type"]]
    settings = {"precision": precision} if build is build_chain else {}
    model = build(keras, architecture, tuple(input_shape), num_classes, regularizer_name, strength, weight_decay,
                  **settings)
    graph = Graph.from_keras_config(model.get_config())
    for name, mask in zip(graph.prunable(), kernel_masks or [None] * len(graph.prunable()), strict=True):
        if mask is not None:
            node_variables(model, graph.node(name))["kernel"].constraint = fixed_mask(keras, mask)
    for (position, variable), mask in (bias_masks or {}).items():
        node_variables(model, graph.nodes[position])[variable].constraint = fixed_mask(keras, mask)
    return model


def build_chain(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
                strength: float = 0.0, weight_decay: float = 0.0, precision: str = DEFAULT_PRECISION):
    """``dense``: an MLP (ReLU hidden layers, softmax output). ``cnn``: a convolutional network
    (ReLU convolutions, 2x2 max-pooling where ``pool`` says, ReLU hidden dense layers, one
    softmax on the output); the layers :func:`prunelab.models.chains.chain_graph` describes.
    Hidden kernels carry the regularizer; the output layer never does. With ``precision``
    bfloat16 the hidden layers compute in bfloat16 on float32 weights; the output layer stays
    float32, so the softmax and the loss keep full precision. ``weight_decay`` adds its L2 term
    to every kernel and bias (:func:`prunelab.models.protocol.decay_regularizer`). Kernels are
    drawn by the architecture's ``initializer`` (papers differ: Caffe's xavier, TensorFlow's
    variance scaling), Keras's default where it names none; biases start at zero. The ``cnn``'s
    geometry is that of 28x28 images."""
    if architecture["type"] == "cnn" and (problem := cnn_shape_problem(input_shape)):
        raise ValueError(problem)
    bias = architecture.get("bias", False)
    initializer = architecture.get("initializer", DEFAULT_INITIALIZER)
    policy = PRECISION_POLICIES[precision]
    last = len(architecture.get("conv", [])) + len(architecture["hidden"])
    penalty = {} if regularizer_name == "none" else {regularizer_name: strength}

    def weighted(index, layer_class, *args, **kwargs):
        hidden = index < last
        return layer_class(*args, use_bias=bias, dtype=policy if hidden else "float32", kernel_initializer=initializer,
                           kernel_regularizer=decay_regularizer(keras, weight_decay, penalty if hidden else None),
                           bias_regularizer=decay_regularizer(keras, weight_decay) if bias else None, **kwargs)

    layers, index = [], 0
    if architecture["type"] == "cnn":
        layers.append(keras.Input(shape=tuple(input_shape)))
        for filters, pool in zip(architecture["conv"], architecture["pool"]):
            layers.append(weighted(index, keras.layers.Conv2D, filters, architecture["kernel_size"], activation="relu"))
            index += 1
            if pool:
                layers.append(keras.layers.MaxPooling2D(dtype=policy))
        layers.append(keras.layers.Flatten(dtype=policy))
    else:
        layers.append(keras.Input(shape=(math.prod(input_shape),)))
    for width in architecture["hidden"]:
        layers.append(weighted(index, keras.layers.Dense, width, activation="relu"))
        index += 1
    layers.append(weighted(index, keras.layers.Dense, num_classes, activation="softmax"))
    return keras.Sequential(layers)


def layer_variables(layer) -> dict:
    """A live Keras layer's variables by the names its layer type gives them
    (:meth:`~prunelab.models.layers.layer_type.LayerType.keras_variables`)."""
    return LAYER_TYPES[type(layer).__name__].keras_variables(layer)


def node_variables(model, node) -> dict:
    """The Keras variables of ``model`` that hold a graph node's arrays, by the arrays' names
    (:meth:`~prunelab.models.layers.layer_type.LayerType.variables_in`)."""
    return LAYER_TYPES[node.op].variables_in(model, node)


def network_of(model, architecture: dict) -> Network:
    """The model's weights as a :class:`Network`; a ``dense`` or ``cnn`` on the graph its
    architecture gives (:mod:`prunelab.models.chains`), its weighted layers' kernels and biases
    taken in order."""
    if architecture["type"] in CHAIN_TYPES:
        weighted = [layer for layer in model.layers if hasattr(layer, "kernel")]
        biases = [layer.bias.numpy() for layer in weighted] if architecture.get("bias", False) else None
        return Network.of_chain(architecture, [layer.kernel.numpy() for layer in weighted], biases)
    return Network(architecture, *graph_of(model))


def assign_weights(model, network: Network) -> None:
    """Copy a network's every array into a model built for it, by layer (its position in the
    graph: a custom model's automatic layer names differ between builds) and variable name."""
    built = Graph.from_keras_config(model.get_config())
    for ours, theirs in zip(network.graph.nodes, built.nodes, strict=True):
        arrays = network.weights.get(ours.name)
        if arrays:  # (a Sequential model's input is no layer of it)
            variables = node_variables(model, theirs)
            for variable, value in arrays.items():
                variables[variable].assign(value.reshape(variables[variable].shape))


RESIDUAL_INITIALIZER = "he_normal"
"""What ``resnet`` and ``vgg`` kernels start from where the architecture names no ``initializer``:
He et al.'s normal initialization, as OpenLTH's ``kaiming_normal``."""



BATCH_NORM_MOMENTUM = 0.9
"""How much of its moving statistics a batch norm keeps per step: PyTorch's default (its momentum
0.1 is the weight of the new batch), which the papers' code trains with; Keras's own 0.99 leaves
the statistics of a short training far from the data's."""


class _Layers:
    """Makes the layers of a built-in graph architecture: the regularizer on every hidden kernel,
    weight decay on every kernel, bias and batch-norm parameter. Names are fixed by position
    (``conv``, ``s2b1_conv1``, ``s2b1_shortcut``, ``bn`` beside each), so weights find their layers
    in any build."""

    def __init__(self, keras, architecture, regularizer_name, strength, weight_decay):
        self.keras, self.decay = keras, weight_decay
        self.penalty = {} if regularizer_name == "none" else {regularizer_name: strength}
        self.initializer = architecture.get("initializer", RESIDUAL_INITIALIZER)

    def conv(self, name, filters, size=3, strides=1, bias=False):
        keras = self.keras
        return keras.layers.Conv2D(
            filters, size, strides=strides, padding="same", use_bias=bias, name=name,
            kernel_initializer=self.initializer,
            kernel_regularizer=decay_regularizer(keras, self.decay, self.penalty),
            bias_regularizer=decay_regularizer(keras, self.decay) if bias else None)

    def batch_norm(self, name):
        keras = self.keras
        return keras.layers.BatchNormalization(name=name, momentum=BATCH_NORM_MOMENTUM,
                                               gamma_regularizer=decay_regularizer(keras, self.decay),
                                               beta_regularizer=decay_regularizer(keras, self.decay))

    def output(self, num_classes):
        keras = self.keras
        return keras.layers.Dense(num_classes, activation="softmax", name="output",
                                  kernel_initializer=self.initializer,
                                  kernel_regularizer=decay_regularizer(keras, self.decay),
                                  bias_regularizer=decay_regularizer(keras, self.decay))


class CustomModelError(ValueError):
    """A researcher's build function failed or built a model the workflow cannot train."""


def build_custom(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
                 strength: float = 0.0, weight_decay: float = 0.0):
    """A researcher's model, ``build(input_shape, num_classes)`` from their file (``custom_models``),
    checked and regularized by :func:`researchers_model`. Its initial weights are whatever
    ``build`` draws after the job seeds Keras with the model's seed."""
    target, shape = architecture["build"], tuple(input_shape)
    where = f"custom model {target}"
    try:
        model = load_function(target, "prunelab_custom_model")(shape, num_classes)
    except Exception as error:  # the researcher's code: whatever it raises is the problem to report
        raise CustomModelError(f"{where}: build({shape}, {num_classes}) failed: {type(error).__name__}: {error}") \
            from error
    if not isinstance(model, keras.Model):
        raise CustomModelError(f"{where}: build returned {type(model).__name__}, not a keras.Model")
    return researchers_model(keras, model, where, shape, num_classes, regularizer_name, strength, weight_decay)


def build_imported(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
                   strength: float = 0.0, weight_decay: float = 0.0):
    """A model trained elsewhere, rebuilt to be trained further (fine-tuning, gradual pruning):
    ``keras.models.clone_model`` of the file's model, the same layers with fresh weights, which
    the job then replaces with the pruned ones; checked and regularized by :func:`researchers_model`."""
    model = keras.models.clone_model(load_imported(keras, architecture))
    return researchers_model(keras, model, f"model {architecture['file']}", tuple(input_shape), num_classes,
                             regularizer_name, strength, weight_decay)


def build_narrowed(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
                   strength: float = 0.0, weight_decay: float = 0.0):
    """What unit pruning leaves of a graph model, built anew to be trained from scratch (``scratch``):
    every layer from its own config, at the narrowed widths, drawing fresh weights by its own
    initializers; regularized as a researcher's model (:func:`researchers_model`: as the built-ins)."""
    model = model_of_graph(keras, Graph.from_json(architecture["graph"]))
    return researchers_model(keras, model, "the narrowed model", tuple(input_shape), num_classes, regularizer_name,
                             strength, weight_decay)


def researchers_model(keras, model, where: str, input_shape: tuple, num_classes: int, regularizer_name: str,
                      strength: float, weight_decay: float):
    """A model the researcher made, checked before it is trained: of supported layers (any other
    is refused by name), taking ``input_shape`` and ending in a softmax over ``num_classes``.
    Regularized as the built-ins: the regularizer on every prunable kernel but the output
    layer's, weight decay on every kernel, bias and batch-norm parameter."""
    graph = Graph.from_keras_config(model.get_config())
    problems = graph.interface_problems(input_shape, num_classes)
    if problems:
        raise CustomModelError(f"{where}: {problems[0]}")
    penalty = {} if regularizer_name == "none" else {regularizer_name: strength}
    hidden = set(graph.prunable()[:-1])
    for layer in model.layers:
        for variable in layer.trainable_weights:
            owner, name = variable.path.rsplit("/", 1)  # an attention's projection: its node's name
            penalized = name == "kernel" and (layer.name in hidden or owner in hidden)
            variable.regularizer = decay_regularizer(keras, weight_decay, penalty if penalized else None)
    return model


def build_resnet(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
                 strength: float = 0.0, weight_decay: float = 0.0):
    """He et al. 2016's ResNet for small images: depth 6n+2, three stages of n basic blocks with
    16, 32 and 64 filters (conv-BN-ReLU-conv-BN, the shortcut added, then ReLU), global average
    pooling and one softmax layer. Where a stage halves the image and doubles the filters the
    shortcut is ``shortcut: projection`` (a 1x1 conv with batch norm, as OpenLTH's
    ``cifar_resnet``) or ``identity`` (He et al.'s option A: every other pixel, the new channels
    zero; built as a frozen 1x1 conv of zeros and ones, so the model holds standard layers only)."""
    depth, shortcut = architecture["depth"], architecture.get("shortcut", "projection")
    blocks = (depth - 2) // 6
    make = _Layers(keras, architecture, regularizer_name, strength, weight_decay)
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = keras.layers.ReLU(name="relu")(make.batch_norm("bn")(make.conv("conv", 16)(inputs)))
    frozen = []
    for stage, filters in enumerate(RESNET_FILTERS, start=1):
        for block in range(1, blocks + 1):
            name, strides = f"s{stage}b{block}", 2 if stage > 1 and block == 1 else 1
            y = make.batch_norm(f"{name}_bn1")(make.conv(f"{name}_conv1", filters, strides=strides)(x))
            y = keras.layers.ReLU(name=f"{name}_relu1")(y)
            y = make.batch_norm(f"{name}_bn2")(make.conv(f"{name}_conv2", filters)(y))
            if strides == 1:
                short = x
            elif shortcut == "projection":
                short = make.batch_norm(f"{name}_shortcut_bn")(make.conv(f"{name}_shortcut", filters, 1, strides=2)(x))
            else:
                layer = keras.layers.Conv2D(filters, 1, strides=2, use_bias=False, trainable=False,
                                            kernel_initializer="zeros", name=f"{name}_shortcut")
                short = layer(x)
                frozen.append(layer)
            x = keras.layers.ReLU(name=f"{name}_relu2")(keras.layers.Add(name=f"{name}_add")([y, short]))
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    model = keras.Model(inputs, make.output(num_classes)(x), name=f"resnet{depth}")
    for layer in frozen:  # channel c of the smaller stage becomes channel c + pad of the larger
        inputs_, outputs_ = layer.kernel.shape[2], layer.kernel.shape[3]
        kernel = np.zeros((1, 1, inputs_, outputs_), np.float32)
        pad = (outputs_ - inputs_) // 2
        kernel[0, 0, np.arange(inputs_), np.arange(inputs_) + pad] = 1.0
        layer.kernel.assign(kernel)
    return model


def build_vit(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
              strength: float = 0.0, weight_decay: float = 0.0):
    """A vision transformer of core Keras layers (Dosovitskiy et al. 2021, small, as
    s-chh/PyTorch-Scratch-Vision-Transformer-ViT): the image cut into ``patch`` x ``patch`` patches
    (a frozen convolution copying each patch's pixels, so the model holds standard layers only),
    each patch projected to ``dim`` features with a learned position embedding (one EinsumDense
    whose bias is per position), ``depth`` pre-norm blocks (LayerNormalization, ``heads``-head
    self-attention, a residual sum; LayerNormalization, a GELU MLP of ``mlp`` neurons, a residual
    sum), a final LayerNormalization, the tokens averaged, one softmax layer. Regularized as a
    researcher's model (:func:`researchers_model`)."""
    if problem := vit_shape_problem(architecture, input_shape):
        raise ValueError(problem)
    patch, dim, heads = architecture["patch"], architecture["dim"], architecture["heads"]
    height, width, channels = input_shape
    tokens, pixels = (height // patch) * (width // patch), patch * patch * channels
    initializer = {"kernel_initializer": architecture.get("initializer", DEFAULT_INITIALIZER)}
    layers = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    cut = layers.Conv2D(pixels, patch, strides=patch, use_bias=False, trainable=False, name="patches")
    x = layers.Reshape((tokens, pixels), name="tokens")(cut(inputs))
    x = layers.EinsumDense("abc,cd->abd", output_shape=(tokens, dim), bias_axes="bd", name="embedding",
                           **initializer)(x)
    for block in range(1, architecture["depth"] + 1):
        name = f"block{block}"
        y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm1")(x)
        y = layers.MultiHeadAttention(heads, dim // heads, name=f"{name}_attention", **initializer)(y, y)
        x = layers.Add(name=f"{name}_add1")([x, y])
        y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_norm2")(x)
        y = layers.Dense(architecture["mlp"], activation="gelu", name=f"{name}_fc1", **initializer)(y)
        x = layers.Add(name=f"{name}_add2")([x, layers.Dense(dim, name=f"{name}_fc2", **initializer)(y)])
    x = layers.GlobalAveragePooling1D(name="pool")(layers.LayerNormalization(epsilon=1e-6, name="norm")(x))
    model = keras.Model(inputs, layers.Dense(num_classes, activation="softmax", name="output", **initializer)(x),
                        name="vit")
    copy = np.zeros((patch, patch, channels, pixels), np.float32)  # pixel (i, j, c) of a patch -> feature (i·p + j)·C + c
    copy[np.arange(patch)[:, None, None], np.arange(patch)[None, :, None], np.arange(channels)[None, None, :],
         np.arange(pixels).reshape(patch, patch, channels)] = 1.0
    cut.kernel.assign(copy)
    return researchers_model(keras, model, "the vit", tuple(input_shape), num_classes, regularizer_name, strength,
                             weight_decay)


def build_vgg(keras, architecture: dict, input_shape, num_classes: int, regularizer_name: str = "none",
              strength: float = 0.0, weight_decay: float = 0.0):
    """VGG-11/13/16/19 with batch norm for small images (OpenLTH's ``cifar_vgg``): 3x3
    conv-BN-ReLU blocks with biases, 2x2 max-pooling between stages, the last feature map averaged
    (OpenLTH's 2x2 average pooling of a 32x32 image's 2x2 map; global, so 28x28 images fit too),
    and one softmax layer."""
    make = _Layers(keras, architecture, regularizer_name, strength, weight_decay)
    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x, stage, block = inputs, 1, 0
    for step in VGG_PLANS[architecture["depth"]]:
        if step == "M":
            x = keras.layers.MaxPooling2D(name=f"s{stage}_pool")(x)
            stage, block = stage + 1, 0
        else:
            block += 1
            name = f"s{stage}c{block}"
            x = make.batch_norm(f"{name}_bn")(make.conv(f"{name}_conv", step, bias=True)(x))
            x = keras.layers.ReLU(name=f"{name}_relu")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, make.output(num_classes)(x), name=f"vgg{architecture['depth']}")


def prunable_layers(model) -> list:
    """The model's prunable layers (trainable Dense and Conv2D) in the order of a network's
    ``kernels``, for any supported model (a frozen shortcut conv is not one)."""
    return [model.get_layer(name) for name in Graph.from_keras_config(model.get_config()).prunable()]


def graph_of(model) -> tuple[Graph, dict]:
    """A Keras model's :class:`~prunelab.models.graph.Graph` and weights (float32 numpy arrays,
    by layer and variable name). Training-time constraints (masks) are left out of the graph:
    it describes the function, and rebuilds in plain Keras without custom objects."""
    config = model.get_config()
    for layer in config["layers"]:
        for key in ("kernel_constraint", "bias_constraint"):
            if key in layer["config"]:
                layer["config"][key] = None
    graph = Graph.from_keras_config(config)
    weights = {}
    for layer in model.layers:
        variables = layer_variables(layer)
        arrays = {name: np.asarray(variable.numpy(), np.float32) for name, variable in variables.items()
                  if variable is not None}
        weights.update(LAYER_TYPES[type(layer).__name__].node_arrays(layer.name, arrays) if arrays else {})
    return graph, weights


def model_of_graph(keras, graph: Graph, weights: dict | None = None):
    """The Keras model a graph describes, with its weights, rebuilt through the functional API
    from the layers' own configs; each layer's width is its kernel's (so a compacted graph gives a
    genuinely smaller model). It saves and loads in plain Keras, its layers' configs as they were
    (initializers included). Without ``weights``, each layer draws its own by its initializers.

    The weights are assigned, so no initializer needs to run: each layer is built with zeros and
    given its own initializers back before anything reads its config. On JAX a random initializer
    compiles once per shape (about a second each on 2 cores, half a minute for a ResNet-8)."""
    tensors = {}
    for node in graph.nodes:
        if not node.inputs:
            tensors[node.name] = keras.Input(shape=graph.input_shape, name=node.name)
            continue
        built = LAYER_TYPES[node.op].keras_layer(graph, node, weights or {})
        if built is None:  # a part of a layer built at its last part
            continue
        op, config, sources, arrays = built
        layer_type, initializers = LAYER_TYPES[op], {}
        if weights is not None:  # widths from the kernels; built with zeros, the initializers given back below
            config = layer_type.keras_config(config, arrays)
            initializers = {key: value for key, value in config.items() if key.endswith("_initializer")}
        layer = keras.layers.deserialize({"module": "keras.layers", "class_name": op,
                                          "config": {**config, **dict.fromkeys(initializers, "zeros")}})
        tensors[node.name] = layer_type.call(layer, [tensors[source] for source in sources])
        for key, value in initializers.items():  # where the layer keeps it: Dense's own name, an attention's private
            setattr(layer, key if hasattr(layer, key) else f"_{key}", keras.initializers.get(value))
        variables = layer_type.keras_variables(layer)
        for name, value in arrays.items():
            variables[name].assign(value.reshape(variables[name].shape))
        layer_type.assigned(layer)
    return keras.Model(tensors[graph.nodes[0].name], tensors[graph.output])
