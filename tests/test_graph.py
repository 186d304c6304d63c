"""The graph engine: any supported Keras model's forward pass in numpy, its dependency groups,
and channel pruning compacted into a smaller Keras model (issue 28's model layer)."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from prunelab.measuring.channel_compaction import compact, compact_channels, masked, parameter_count
from prunelab.methods.unit import unit_channels
from prunelab.models.channel_groups import channel_groups
from prunelab.models.dependency import Group, dependency_groups, pruned_groups
from prunelab.models.graph import Graph, Node, UnsupportedModel, run
from prunelab.models.layers.multi_head_attention import SUBLAYERS
from prunelab.models.network import Network


def unit_kept(graph, weights, k):
    """(group, kept channels) of every prunable group as unit chooses them with every layer pruned:
    its answer to the groups the workflow offers it (prunelab.models.channel_groups)."""
    network = Network({"type": "custom"}, graph, weights)
    kept = unit_channels(network.kernels, k, groups=channel_groups(network, list(range(network.num_layers))))
    return [(group, keep) for (group, _), keep in zip(pruned_groups(graph), kept, strict=True)]


def _randomized(keras, model, seed=0):
    """The model with batch-norm statistics and biases far from their initial values, so that
    every variable matters to the output."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for name in ("gamma", "beta", "moving_mean", "bias"):
            variable = getattr(layer, name, None)
            if variable is not None:
                base = 1.0 if name == "gamma" else 0.0
                variable.assign((base + 0.3 * rng.normal(size=variable.shape)).astype(np.float32))
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, layer.moving_variance.shape).astype(np.float32))
    return model


def _single_layer_model(keras, layer, shape):
    inputs = keras.Input(shape=shape)
    return keras.Model(inputs, layer(inputs))


LAYERS = {
    "dense": (lambda k: k.layers.Dense(7, activation="relu"), (12,)),
    "dense-on-images": (lambda k: k.layers.Dense(5, use_bias=False), (6, 6, 3)),
    "conv3-valid": (lambda k: k.layers.Conv2D(4, 3), (9, 9, 3)),
    "conv5-same-stride2": (lambda k: k.layers.Conv2D(4, 5, strides=2, padding="same"), (11, 10, 2)),
    "conv1-stride2-nobias": (lambda k: k.layers.Conv2D(6, 1, strides=2, use_bias=False), (9, 9, 3)),
    "conv-rect-same": (lambda k: k.layers.Conv2D(3, (3, 2), strides=(1, 2), padding="same",
                                                 activation="tanh"), (7, 8, 2)),
    "depthwise-valid": (lambda k: k.layers.DepthwiseConv2D(3), (7, 6, 3)),
    "depthwise-same-stride2-nobias": (lambda k: k.layers.DepthwiseConv2D((3, 2), strides=2, padding="same",
                                                                          use_bias=False), (9, 8, 4)),
    "depthwise-relu": (lambda k: k.layers.DepthwiseConv2D(1, activation="relu"), (5, 5, 2)),
    "batch-norm": (lambda k: k.layers.BatchNormalization(), (5, 5, 4)),
    "batch-norm-no-scale": (lambda k: k.layers.BatchNormalization(scale=False, center=False), (5, 5, 4)),
    "activation-relu": (lambda k: k.layers.Activation("relu"), (5, 5, 2)),
    "activation-softmax": (lambda k: k.layers.Activation("softmax"), (10,)),
    "activation-sigmoid": (lambda k: k.layers.Activation("sigmoid"), (10,)),
    "activation-swish": (lambda k: k.layers.Activation("swish"), (5, 5, 2)),
    "activation-hard-sigmoid": (lambda k: k.layers.Activation("hard_sigmoid"), (5, 5, 2)),
    "activation-hard-swish": (lambda k: k.layers.Activation("hard_swish"), (5, 5, 2)),
    "conv-silu": (lambda k: k.layers.Conv2D(3, 3, padding="same", activation="silu"), (6, 6, 2)),
    "relu": (lambda k: k.layers.ReLU(), (5, 5, 2)),
    "relu6": (lambda k: k.layers.ReLU(0.5), (5, 5, 2)),  # a ceiling the normal inputs cross
    "max-pool": (lambda k: k.layers.MaxPooling2D(), (7, 7, 2)),
    "max-pool-3-same-stride2": (lambda k: k.layers.MaxPooling2D(3, strides=2, padding="same"), (8, 7, 2)),
    "avg-pool": (lambda k: k.layers.AveragePooling2D(2), (7, 7, 2)),
    "avg-pool-same": (lambda k: k.layers.AveragePooling2D(3, strides=2, padding="same"), (7, 8, 2)),
    "global-avg-pool": (lambda k: k.layers.GlobalAveragePooling2D(), (5, 6, 3)),
    "global-avg-pool-keepdims": (lambda k: k.layers.GlobalAveragePooling2D(keepdims=True), (5, 6, 3)),
    "flatten": (lambda k: k.layers.Flatten(), (4, 5, 3)),
    "zero-padding": (lambda k: k.layers.ZeroPadding2D(((1, 2), (3, 0))), (4, 5, 3)),
    "zero-padding-int": (lambda k: k.layers.ZeroPadding2D(2), (3, 3, 2)),
    "dropout": (lambda k: k.layers.Dropout(0.5), (8,)),
    "rescaling": (lambda k: k.layers.Rescaling(1 / 255), (4, 4, 3)),
    "rescaling-per-channel-offset": (lambda k: k.layers.Rescaling([0.5, 2.0, -1.0], offset=0.25), (4, 4, 3)),
    "normalization-given": (lambda k: k.layers.Normalization(mean=[0.1, -0.2, 0.3], variance=[0.5, 2.0, 1.5]),
                            (4, 4, 3)),
    "normalization-adapted": (lambda k: _adapted(k.layers.Normalization()), (4, 4, 3)),
    "reshape-to-image": (lambda k: k.layers.Reshape((1, 1, 6)), (6,)),
    "reshape-to-features": (lambda k: k.layers.Reshape((5,)), (1, 1, 5)),
    "reshape-image-to-tokens": (lambda k: k.layers.Reshape((12, 3)), (3, 4, 3)),
    "reshape-tokens-to-image-inferred": (lambda k: k.layers.Reshape((2, -1, 4)), (6, 4)),
    "dense-on-sequences-gelu": (lambda k: k.layers.Dense(6, activation="gelu"), (4, 5)),
    "activation-gelu": (lambda k: k.layers.Activation("gelu"), (4, 5)),
    "layer-norm": (lambda k: k.layers.LayerNormalization(), (4, 6)),
    "layer-norm-features-epsilon": (lambda k: k.layers.LayerNormalization(epsilon=1e-6), (6,)),
    "layer-norm-no-scale-no-center": (lambda k: k.layers.LayerNormalization(scale=False, center=False), (4, 6)),
    "global-avg-pool-1d": (lambda k: k.layers.GlobalAveragePooling1D(), (4, 6)),
    "global-avg-pool-1d-keepdims": (lambda k: k.layers.GlobalAveragePooling1D(keepdims=True), (4, 6)),
    "einsum-dense-position-bias": (lambda k: k.layers.EinsumDense("abc,cd->abd", output_shape=(4, 6), bias_axes="bd"),
                                   (4, 5)),
    "einsum-dense-feature-bias-gelu": (lambda k: k.layers.EinsumDense("abc,cd->abd", output_shape=(None, 6),
                                                                      bias_axes="d", activation="gelu"), (4, 5)),
    "einsum-dense-flat-no-bias": (lambda k: k.layers.EinsumDense("ab,bc->ac", output_shape=3), (5,)),
    "reshape-patch-pixels-merged": (lambda k: k.layers.Reshape((12, 4)), (3, 4, 2, 2)),
    "permute-image": (lambda k: k.layers.Permute((2, 1, 3)), (4, 5, 3)),
    "permute-patches": (lambda k: k.layers.Permute((1, 3, 2, 4, 5)), (2, 3, 2, 3, 2)),
    "softmax": (lambda k: k.layers.Softmax(), (4, 6)),
    "softmax-over-positions": (lambda k: k.layers.Softmax(axis=1), (4, 6)),
    "softmax-image-channels": (lambda k: k.layers.Softmax(), (3, 3, 4)),
}


def _adapted(layer):
    """A Normalization whose statistics (its variables, as EfficientNet's) come from data."""
    layer.adapt(np.random.default_rng(2).normal(1.0, 3.0, size=(64, 4, 4, 3)).astype(np.float32))
    return layer


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_type_matches_keras(tensorflow, name):
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of, model_of_graph

    make, shape = LAYERS[name]
    model = _randomized(keras, _single_layer_model(keras, make(keras), shape))
    x = np.random.default_rng(1).normal(size=(16, *shape)).astype(np.float32)
    graph, weights = graph_of(model)
    expected = model.predict(x, verbose=0)
    ours = run(graph, weights, x, logits=False)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)
    rebuilt = model_of_graph(keras, graph, weights)  # what compaction and export save
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_a_squeeze_and_excitation_gate_matches_keras(tensorflow):
    """Multiply: a map times a 1x1 gate broadcast over its height and width (EfficientNet's blocks)."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    inputs = keras.Input(shape=(5, 4, 6))
    gate = keras.layers.Reshape((1, 1, 6))(keras.layers.GlobalAveragePooling2D()(inputs))
    gate = keras.layers.Conv2D(6, 1, activation="sigmoid")(keras.layers.Conv2D(2, 1, activation="silu")(gate))
    model = _randomized(keras, keras.Model(inputs, keras.layers.Multiply()([inputs, gate])))
    x = np.random.default_rng(3).normal(size=(8, 5, 4, 6)).astype(np.float32)
    graph, weights = graph_of(model)
    np.testing.assert_allclose(run(graph, weights, x, logits=False), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_add_matches_keras(tensorflow):
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    inputs = keras.Input(shape=(6, 6, 2))
    a, b = keras.layers.Conv2D(3, 3, padding="same")(inputs), keras.layers.Conv2D(3, 1)(inputs)
    model = _randomized(keras, keras.Model(inputs, keras.layers.Add()([a, b, a])))
    x = np.random.default_rng(2).normal(size=(8, 6, 6, 2)).astype(np.float32)
    graph, weights = graph_of(model)
    np.testing.assert_allclose(run(graph, weights, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("architecture, trainable", [
    ({"type": "resnet", "depth": 20}, 272_474),
    ({"type": "resnet", "depth": 20, "shortcut": "identity"}, 269_722),
    ({"type": "vgg", "depth": 16}, 14_728_266),
], ids=["resnet20-projection", "resnet20-identity", "vgg16"])
def test_built_in_graph_architectures(tensorflow, architecture, trainable):
    """He et al.'s 0.27 M parameters for ResNet-20 (projections as OpenLTH, or option A), VGG-16's
    14.7 M; the numpy forward pass of the whole network equals Keras's (batch norm in inference mode)."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import build_resnet, build_vgg, graph_of

    build = build_resnet if architecture["type"] == "resnet" else build_vgg
    model = _randomized(keras, build(keras, architecture, (32, 32, 3), 10))
    assert sum(int(np.prod(v.shape)) for v in model.trainable_weights) == trainable
    x = np.random.default_rng(3).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    graph, weights = graph_of(model)
    expected = model.predict(x, verbose=0)
    ours = run(graph, weights, x, logits=False)
    np.testing.assert_array_equal(ours.argmax(1), expected.argmax(1))
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-6)
    assert Graph.from_json(graph.to_json()) == graph


VIT = {"type": "vit", "patch": 4, "dim": 16, "depth": 2, "heads": 2, "mlp": 32}


def test_the_built_in_vit_is_core_keras_layers_our_engine_computes(tensorflow, tmp_path):
    """The vit cuts the image into patches (each patch's pixels in row-major order, its tokens
    row by row), and its numpy forward pass, ONNX export and a plain Keras reload predict as
    Keras does; its heads and MLP neurons are its prunable groups."""
    keras = tensorflow.keras
    from prunelab.measuring.onnx_export import run as run_onnx
    from prunelab.measuring.onnx_export import session
    from prunelab.models.keras_models import build_model, graph_of

    model = _randomized(keras, build_model(keras, VIT, 10, input_shape=(28, 28, 1)))
    x = np.random.default_rng(5).uniform(size=(3, 28, 28, 1)).astype(np.float32)
    patches = keras.Model(model.input, model.get_layer("tokens").output).predict(x, verbose=0)
    np.testing.assert_array_equal(patches[:, 8], x[:, 4:8, 4:8, :].reshape(3, 16))  # row 1, column 1 of 7
    graph, weights = graph_of(model)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(run(graph, weights, x, logits=False), expected, rtol=1e-5, atol=1e-6)
    network = Network(VIT, graph, weights)
    np.testing.assert_allclose(run_onnx(session(network), x), network.logits(x), rtol=1e-4, atol=1e-5)
    model.save(tmp_path / "vit.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "vit.keras").predict(x, verbose=0), expected,
                               rtol=1e-6, atol=1e-7)
    assert [producers for _, producers in pruned_groups(graph)] == [
        [f"block1_attention/{part}" for part in ("query", "key", "value")], ["block1_fc1"],
        [f"block2_attention/{part}" for part in ("query", "key", "value")], ["block2_fc1"]]


def test_a_vits_heads_and_mlp_neurons_are_its_groups(tensorflow):
    """In each block of the two-block vit (16 features, 2 heads of 8): a group of 2 heads, each 8
    units of the query, key and value projections and 8 input rows of the output projection; a
    group of the MLP's 32 neurons. The residual stream is one group, kept whole (layer norms read
    it); so are the classes."""
    from prunelab.models.keras_models import build_model, graph_of

    graph, _ = graph_of(build_model(tensorflow.keras, VIT, 10, input_shape=(28, 28, 1)))
    heads = {block: Group(2, tuple(f"block{block}_attention/{part}" for part in ("query", "key", "value")), (),
                          ((f"block{block}_attention/attention_output", 1),),
                          widths=tuple((f"block{block}_attention/{part}", 8)
                                       for part in ("query", "key", "value", "attention_output")))
             for block in (1, 2)}
    neurons = {block: Group(32, (f"block{block}_fc1",), (), ((f"block{block}_fc2", 1),)) for block in (1, 2)}
    assert [group for group, _ in pruned_groups(graph)] == [heads[1], neurons[1], heads[2], neurons[2]]
    residual = next(group for group in dependency_groups(graph) if "embedding" in group.producers)
    assert residual.producers == ("embedding", "block1_attention/attention_output", "block1_fc2",
                                  "block2_attention/attention_output", "block2_fc2")
    assert "(LayerNormalization) is not zero at zero" in residual.reason


def test_a_head_pruned_vit_compacts_to_fewer_heads_and_loads_in_plain_keras(tensorflow, tmp_path):
    """unit at k = 0.5 removes one head of each block's two (its query, key and value units with
    their biases, its rows of the output projection) and half of each MLP's neurons; the compacted
    model holds attentions of one head, predicts what the masked one does in numpy, in Keras
    rebuilt from its graph, and after a save and a plain Keras reload."""
    keras = tensorflow.keras
    from prunelab.measuring.compaction import compact
    from prunelab.methods.pruning import prune
    from prunelab.methods.registry import BUILT_IN
    from prunelab.models.keras_models import build_model, graph_of, model_of_graph

    network = Network(VIT, *graph_of(_randomized(keras, build_model(keras, VIT, 10, input_shape=(28, 28, 1)))))
    pruned, _ = prune(network, BUILT_IN["unit"], 0.5, list(range(network.num_layers - 1)))
    assert network.sole_reader(network.layer_names.index("block1_attention/query")) == (  # no refit of one alone
        None, "block1_attention/query: its units are an attention's heads, with those of 'block1_attention/key'")
    query = pruned.weights["block1_attention/query"]["kernel"]
    assert sorted(np.flatnonzero(query.any(axis=0))) in ([*range(8)], [*range(8, 16)])  # one whole head left
    small = compact(pruned)
    assert small.weights["block1_attention/query"]["kernel"].shape == (16, 8)
    assert small.weights["block1_attention/attention_output"]["kernel"].shape == (8, 16)
    assert small.weights["block1_fc1"]["kernel"].shape == (16, 16)
    x = np.random.default_rng(6).uniform(size=(4, 28, 28, 1)).astype(np.float32)
    expected = pruned.logits(x)
    np.testing.assert_allclose(small.logits(x), expected, rtol=1e-5, atol=1e-5)
    rebuilt = model_of_graph(keras, small.graph, small.weights)
    assert rebuilt.get_layer("block1_attention").get_config()["num_heads"] == 1
    rebuilt.save(tmp_path / "small.keras")
    probabilities = np.exp(expected - expected.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "small.keras").predict(x, verbose=0),
                               probabilities, rtol=1e-4, atol=1e-6)
    # per block: a head's 3 x (16 x 8 + 8) projection units and 8 x 16 output rows; 16 neurons' 16 + 1 + 16
    assert parameter_count(pruned.weights) - parameter_count(small.weights) == 2 * (
        3 * (16 * 8 + 8) + 8 * 16 + 16 * (16 + 1 + 16))
    # the narrowed architecture (what `scratch` trains anew) builds attentions of one head too
    narrowed = build_model(keras, small.narrowed_architecture(), 10, input_shape=(28, 28, 1))
    assert narrowed.get_layer("block1_attention").get_config()["num_heads"] == 1
    assert narrowed.count_params() == parameter_count(small.weights)


def test_a_vits_weights_reach_its_attention_when_it_is_trained_again(tensorflow):
    """Retraining (fine-tuning, training at initialization) copies every array into a freshly
    built model, the attention's sublayers' kernels and biases included."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import assign_weights, build_model, network_of

    model = build_model(keras, VIT, 10, input_shape=(28, 28, 1))
    network = network_of(model, VIT)
    shifted = network.with_all_weights({name: {variable: array + 1 for variable, array in arrays.items()}
                                        for name, arrays in network.weights.items()})
    assign_weights(model, shifted)
    copied = network_of(model, VIT)
    assert copied.weights["block1_attention/query"]["kernel"].ndim == 2  # Keras's (dim, heads, key_dim) as a matrix
    for name, arrays in shifted.weights.items():
        for variable, array in arrays.items():
            np.testing.assert_array_equal(copied.weights[name][variable], array, err_msg=f"{name}/{variable}")


def test_resnet_option_a_shortcut_pads_with_zero_channels(tensorflow):
    """The frozen identity shortcut takes every other pixel and puts channel c at c + 8."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import build_resnet, graph_of

    model = build_resnet(keras, {"type": "resnet", "depth": 8, "shortcut": "identity"}, (8, 8, 3), 10)
    graph, weights = graph_of(model)
    assert "s2b1_shortcut" not in graph.prunable()
    x = np.random.default_rng(4).normal(size=(2, 8, 8, 16)).astype(np.float32)
    shortcut = graph.node("s2b1_shortcut")
    from prunelab.models.graph import apply

    out = apply(shortcut, weights["s2b1_shortcut"], [x])
    np.testing.assert_array_equal(out[..., 8:24], x[:, ::2, ::2, :])
    assert not out[..., :8].any() and not out[..., 24:].any()


def _group(channels, producers, normalizers, consumers, reason=""):
    return Group(channels, tuple(producers), tuple(normalizers), tuple(consumers), reason)


@pytest.mark.parametrize("shortcut", ["projection", "identity"])
def test_dependency_groups_of_a_resnet(tensorflow, shortcut):
    """ResNet-8: the stem and every block's second conv of a stage are tied through the residual
    additions; each block's first conv is a group of its own; the classes are never removed."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import build_resnet, graph_of

    graph, _ = graph_of(build_resnet(keras, {"type": "resnet", "depth": 8, "shortcut": shortcut}, (16, 16, 3), 10))
    shortcut_bn = ["s2b1_shortcut_bn"] if shortcut == "projection" else []
    shortcut3_bn = ["s3b1_shortcut_bn"] if shortcut == "projection" else []
    assert dependency_groups(graph) == [
        _group(16, ["conv", "s1b1_conv2"], ["bn", "s1b1_bn2"],
               [("s1b1_conv1", 1), ("s2b1_conv1", 1), ("s2b1_shortcut", 1)]),
        _group(16, ["s1b1_conv1"], ["s1b1_bn1"], [("s1b1_conv2", 1)]),
        _group(32, ["s2b1_conv1"], ["s2b1_bn1"], [("s2b1_conv2", 1)]),
        _group(32, ["s2b1_shortcut", "s2b1_conv2"], [*shortcut_bn, "s2b1_bn2"],
               [("s3b1_conv1", 1), ("s3b1_shortcut", 1)]),
        _group(64, ["s3b1_conv1"], ["s3b1_bn1"], [("s3b1_conv2", 1)]),
        _group(64, ["s3b1_shortcut", "s3b1_conv2"], [*shortcut3_bn, "s3b1_bn2"], [("output", 1)]),
        _group(10, ["output"], [], [], "it holds the model's output"),
    ]


def _flatten_graph():
    def node(name, op, source, **config):
        return Node(name, op, {"name": name, **config}, (source,) if source else ())

    return Graph((node("in", "InputLayer", None, batch_shape=[None, 6, 6, 1]),
                  node("c1", "Conv2D", "in", filters=3, kernel_size=3, activation="relu"),
                  node("p", "MaxPooling2D", "c1"),
                  node("f", "Flatten", "p"),
                  node("d1", "Dense", "f", units=5, activation="relu"),
                  node("drop", "Dropout", "d1", rate=0.5),
                  node("d2", "Dense", "drop", units=4, activation="softmax")), "d2")


def test_dependency_groups_through_flatten():
    """A conv's channel c feeds, after pooling to 2x2 and flattening, rows c, c + 3, c + 6, c + 9."""
    assert dependency_groups(_flatten_graph()) == [
        _group(3, ["c1"], [], [("d1", 4)]),
        _group(5, ["d1"], [], [("d2", 1)]),
        _group(4, ["d2"], [], [], "it holds the model's output"),
    ]


def test_a_transformer_mlps_neurons_are_a_group_and_a_layer_norm_keeps_its_features_whole():
    """In a pre-norm block the MLP's hidden neurons (read by its second dense layer alone) are one
    prunable group; features a LayerNormalization reads are kept whole (it normalizes across them,
    so a removed feature would change every other), as are those summed with the model's input."""
    def node(name, op, sources, **config):
        return Node(name, op, {"name": name, **config}, tuple(sources))

    graph = Graph((node("in", "InputLayer", [], batch_shape=[None, 6, 5]),
                   node("up", "Dense", ["in"], units=8, activation="gelu"),
                   node("down", "Dense", ["up"], units=5),
                   node("sum", "Add", ["in", "down"]),
                   node("wide", "Dense", ["sum"], units=7),
                   node("norm", "LayerNormalization", ["wide"]),
                   node("pool", "GlobalAveragePooling1D", ["norm"]),
                   node("out", "Dense", ["pool"], units=3, activation="softmax")), "out")
    assert dependency_groups(graph) == [
        _group(8, ["up"], [], [("down", 1)]),
        _group(5, ["down"], [], [("up", 1), ("wide", 1)], "it holds the model's input"),
        _group(7, ["wide"], [], [("out", 1)], "'norm' (LayerNormalization) is not zero at zero"),
        _group(3, ["out"], [], [], "it holds the model's output"),
    ]


@pytest.mark.parametrize("kind, compacted", [
    ("sequence", [(3, 5), (5, 4), (4, 5), (5, 4)]),
    ("attention", [(4, 6), (6, 3), (6, 3), (6, 3), (3, 6), (6, 4), (4, 6), (6, 4)]),
])
def test_a_transformer_blocks_mlp_neurons_are_pruned_and_compacted(tensorflow, kind, compacted):
    """unit removes half the MLP's hidden neurons of a pre-norm block and (with attention) one of
    its two heads (the tokens' features, normalized, stay whole); compaction drops them from both
    dense layers and from the attention's projections, and the smaller model, rebuilt in Keras,
    predicts what the masked one does."""
    keras = tensorflow.keras
    from prunelab.measuring.compaction import compact
    from prunelab.methods.pruning import prune
    from prunelab.methods.registry import BUILT_IN
    from prunelab.models.keras_models import graph_of, model_of_graph

    make, shape = MODELS[kind]
    network = Network({"type": "custom"}, *graph_of(_randomized(keras, make(keras))))
    pruned, _ = prune(network, BUILT_IN["unit"], 0.5, list(range(network.num_layers)))
    small = compact(pruned)
    assert [kernel.shape for kernel in small.kernels] == compacted
    x = np.random.default_rng(3).normal(size=(7, *shape)).astype(np.float32)
    np.testing.assert_allclose(small.logits(x), pruned.logits(x), rtol=1e-5, atol=1e-6)
    rebuilt = model_of_graph(keras, small.graph, small.weights)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), run(pruned.graph, pruned.weights, x, logits=False),
                               rtol=1e-5, atol=1e-6)


def test_a_reshape_merging_a_rows_pixels_spreads_each_channel_like_a_flatten(tensorflow):
    """A conv's 3 channels, each image row's 4 pixels merged into 12 features (row-major, channels
    last): channel c is features c, c + 3, c + 6, c + 9, as after a Flatten of those pixels. unit
    removes conv channels with those rows of the dense layer reading them; compacted and rebuilt in
    Keras, the model predicts what the masked one does."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of, model_of_graph

    inputs = keras.Input(shape=(4, 4, 1), name="in")
    x = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="c")(inputs)
    x = keras.layers.Dense(5, activation="relu", name="d1")(keras.layers.Reshape((4, 12), name="rows")(x))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="d2")(
        keras.layers.GlobalAveragePooling1D(name="p")(x)))
    graph, weights = graph_of(_randomized(keras, model))
    assert dependency_groups(graph)[0] == _group(3, ["c"], [], [("d1", 4)])
    kept = unit_kept(graph, weights, 0.5)
    small = compact(graph, masked(graph, weights, kept), kept)
    assert small["c"]["kernel"].shape == (3, 3, 1, 1) and small["d1"]["kernel"].shape == (4, 2)
    x = np.random.default_rng(5).uniform(size=(6, 4, 4, 1)).astype(np.float32)
    expected = run(graph, masked(graph, weights, kept), x, logits=False)
    np.testing.assert_allclose(run(graph, small, x, logits=False), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model_of_graph(keras, graph, small).predict(x, verbose=0), expected,
                               rtol=1e-5, atol=1e-6)


def test_a_dead_channel_read_by_a_layer_without_bias_is_removed():
    """A unit whose kernel column is zero and whose bias the ReLU zeroes is a constant zero for
    every image: compaction removes it even where the layer reading it has no bias to fold a
    constant into (there is none to fold)."""
    def node(name, op, sources, **config):
        return Node(name, op, {"name": name, **config}, tuple(sources))

    graph = Graph((node("in", "InputLayer", [], batch_shape=[None, 4]),
                   node("d1", "Dense", ["in"], units=3, activation="relu"),
                   node("d2", "Dense", ["d1"], units=2, use_bias=False, activation="softmax")), "d2")
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(4, 3)).astype(np.float32), np.array([-1.0, 0.5, 0.2], np.float32)
    kernel[:, 0] = 0
    weights = {"d1": {"kernel": kernel, "bias": bias}, "d2": {"kernel": rng.normal(size=(3, 2)).astype(np.float32)}}
    small = compact_channels(graph, weights)
    assert small["d1"]["kernel"].shape == (4, 2) and small["d2"]["kernel"].shape == (2, 2)
    x = rng.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(run(graph, small, x), run(graph, weights, x), rtol=1e-6)


def _squeeze_excitation_model(keras, join):
    """A conv's map scaled by a squeeze-and-excitation gate (EfficientNet's), joined by ``join``."""
    inputs = keras.Input(shape=(6, 6, 2), name="in")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inputs)
    gate = keras.layers.Reshape((1, 1, 4), name="r")(keras.layers.GlobalAveragePooling2D(name="g")(x))
    gate = keras.layers.Conv2D(2, 1, activation="silu", name="s")(gate)
    gate = keras.layers.Conv2D(4, 1, activation="sigmoid", name="e")(gate)
    x = keras.layers.Conv2D(3, 1, name="c2")(join(name="m")([x, gate]))
    return keras.Model(inputs, keras.layers.Dense(5, activation="softmax", name="d")(
        keras.layers.GlobalAveragePooling2D(name="p")(x)))


def test_a_gate_joins_the_channels_it_scales_and_its_sigmoid_does_not_keep_them_whole(tensorflow):
    """The gate's channels are the map's (one group: the conv and the gate's last conv make them);
    a removed channel is zero in the product whatever the sigmoid gives, so the group can be
    pruned, where a sum with the same sigmoid branch keeps it whole. Compacted, the gated model
    predicts what the masked one does, in numpy and rebuilt in Keras (the reshape's width inferred)."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of, model_of_graph

    graph, weights = graph_of(_randomized(keras, _squeeze_excitation_model(keras, keras.layers.Multiply)))
    assert dependency_groups(graph) == [
        _group(4, ["c1", "e"], [], [("s", 1), ("c2", 1)]),
        _group(2, ["s"], [], [("e", 1)]),
        _group(3, ["c2"], [], [("d", 1)]),
        _group(5, ["d"], [], [], "it holds the model's output"),
    ]
    summed, _ = graph_of(_squeeze_excitation_model(keras, keras.layers.Add))
    assert dependency_groups(summed)[0].reason == "'e' applies sigmoid, which is not zero at zero"
    kept = unit_kept(graph, weights, 0.5)
    assert [int(keep.sum()) for _, keep in kept] == [2, 1, 1]  # half of each group removed, rounded up
    small = compact(graph, masked(graph, weights, kept), kept)
    x = np.random.default_rng(6).uniform(size=(7, 6, 6, 2)).astype(np.float32)
    expected = run(graph, masked(graph, weights, kept), x, logits=False)
    np.testing.assert_allclose(run(graph, small, x, logits=False), expected, rtol=1e-5, atol=1e-6)
    rebuilt = model_of_graph(keras, graph, small)
    assert rebuilt.get_layer("e").kernel.shape == (1, 1, 1, 2)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def _dense_block_model(keras):
    """DenseNet's pattern, small: each conv reads the concatenation of everything before it."""
    inputs = keras.Input(shape=(6, 6, 2), name="in")
    x = keras.layers.Activation("relu", name="a0")(keras.layers.BatchNormalization(name="b0")(
        keras.layers.Conv2D(4, 3, padding="same", name="c0")(inputs)))
    x = keras.layers.Concatenate(name="cat1")([x, keras.layers.Conv2D(3, 3, padding="same", activation="relu",
                                                                     name="c1")(x)])
    y = keras.layers.Conv2D(2, 1, activation="relu", name="c2")(keras.layers.BatchNormalization(name="n1")(x))
    x = keras.layers.BatchNormalization(name="n2")(keras.layers.Concatenate(name="cat2")([x, y]))
    x = keras.layers.GlobalAveragePooling2D(name="g")(keras.layers.Conv2D(5, 1, name="t")(x))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="d")(x))


def test_concatenated_groups_keep_their_channels_at_their_offsets(tensorflow):
    """After a concatenation each input's group holds its channels from its own offset in every
    layer reading it (batch norms and convolutions over the growing concatenation); unit removes
    half of each group, and the compacted model, numpy and rebuilt in Keras, predicts what the
    masked one does."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of, model_of_graph

    model = _randomized(keras, _dense_block_model(keras))
    graph, weights = graph_of(model)
    assert dependency_groups(graph) == [
        Group(4, ("c0",), ("b0", "n1", "n2"), (("c1", 1), ("c2", 1), ("t", 1))),
        Group(3, ("c1",), ("n1", "n2"), (("c2", 1), ("t", 1)), offsets=(("n1", 4), ("n2", 4), ("c2", 4), ("t", 4))),
        Group(2, ("c2",), ("n2",), (("t", 1),), offsets=(("n2", 7), ("t", 7))),
        Group(5, ("t",), (), (("d", 1),)),
        Group(3, ("d",), (), (), "it holds the model's output"),
    ]
    x = np.random.default_rng(14).normal(size=(6, 6, 6, 2)).astype(np.float32)
    np.testing.assert_allclose(run(graph, weights, x, logits=False), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    kept = unit_kept(graph, weights, 0.5)
    small = compact(graph, masked(graph, weights, kept), kept)
    assert small["n2"]["gamma"].shape == (2 + 1 + 1,) and small["t"]["kernel"].shape == (1, 1, 4, 2)
    expected = run(graph, masked(graph, weights, kept), x, logits=False)
    np.testing.assert_allclose(run(graph, small, x, logits=False), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model_of_graph(keras, graph, small).predict(x, verbose=0), expected, rtol=1e-5,
                               atol=1e-6)


def test_flattened_channels_are_removed_at_their_positions():
    graph = _flatten_graph()
    rng = np.random.default_rng(5)
    weights = {"c1": {"kernel": rng.normal(size=(3, 3, 1, 3)).astype(np.float32), "bias": np.ones(3, np.float32)},
               "d1": {"kernel": rng.normal(size=(12, 5)).astype(np.float32), "bias": np.zeros(5, np.float32)},
               "d2": {"kernel": rng.normal(size=(5, 4)).astype(np.float32), "bias": np.zeros(4, np.float32)}}
    weights["c1"]["kernel"][..., 1] *= 0.01  # the weakest filter
    kept = unit_kept(graph, weights, 1 / 3)
    assert [group.producers for group, _ in kept] == [("c1",), ("d1",)]
    assert kept[0][1].tolist() == [True, False, True]
    small = compact(graph, masked(graph, weights, kept), kept)
    rows = [0, 2, 3, 5, 6, 8, 9, 11]  # positions 0-3 of channels 0 and 2
    np.testing.assert_array_equal(small["d1"]["kernel"], weights["d1"]["kernel"][rows][:, kept[1][1]])
    assert small["d2"]["kernel"].shape == (3, 4)
    x = rng.uniform(size=(10, 6, 6, 1)).astype(np.float32)
    np.testing.assert_allclose(run(graph, small, x), run(graph, masked(graph, weights, kept), x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shortcut", ["projection", "identity"])
def test_unit_pruned_resnet_compacts_to_a_smaller_keras_model(tensorflow, tmp_path, shortcut):
    """Half of every group's channels removed: the compacted Keras model is smaller in parameters
    and bytes, predicts what the masked model does, and loads in plain Keras without prunelab."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import build_resnet, graph_of, model_of_graph

    architecture = {"type": "resnet", "depth": 14, "shortcut": shortcut}
    model = _randomized(keras, build_resnet(keras, architecture, (16, 16, 3), 10))
    graph, weights = graph_of(model)
    kept = unit_kept(graph, weights, 0.5)
    assert [int(keep.sum()) for _, keep in kept] == [8, 8, 8, 16, 16, 16, 32, 32, 32]
    pruned = masked(graph, weights, kept)
    small = compact(graph, pruned, kept)
    assert parameter_count(small) < parameter_count(weights) / 3
    x = np.random.default_rng(6).uniform(size=(32, 16, 16, 3)).astype(np.float32)
    expected = run(graph, pruned, x, logits=False)
    exported = model_of_graph(keras, graph, small)
    assert exported.count_params() == parameter_count(small)
    def initializers(keras_model):
        return [{key: value for key, value in layer.get_config().items() if key.endswith("_initializer")}
                for layer in keras_model.layers]

    assert initializers(exported) == initializers(model)  # the layers' own, though built with zeros
    np.testing.assert_allclose(exported.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(run(graph, small, x, logits=False), expected, rtol=1e-4, atol=1e-6)
    path = tmp_path / "small.keras"
    exported.save(path)
    np.save(tmp_path / "x.npy", x)
    load = ("import numpy as np, keras, sys; m = keras.saving.load_model(sys.argv[1]); "
            "np.save(sys.argv[2], m.predict(np.load(sys.argv[3]), verbose=0))")
    subprocess.run([sys.executable, "-c", load, str(path), str(tmp_path / "p.npy"), str(tmp_path / "x.npy")],
                   check=True, env={"PATH": "/usr/bin:/bin", "KERAS_BACKEND": "tensorflow"}, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, rtol=1e-4, atol=1e-6)
    full = tmp_path / "full.keras"
    model.save(full)
    assert path.stat().st_size < full.stat().st_size / 2


@pytest.mark.parametrize("make, message", [
    (lambda k: k.layers.UpSampling2D(name="odd"),
     "layer 'odd' (UpSampling2D) is not supported. Supported layers: InputLayer"),
    (lambda k: k.layers.Conv2D(2, 3, dilation_rate=2, name="odd"),
     "layer 'odd' (Conv2D): dilation and groups are not supported"),
    (lambda k: k.layers.Activation("elu", name="odd"),
     "layer 'odd' (Activation): activation 'elu'; supported: linear, relu, softmax"),
    (lambda k: k.layers.ReLU(negative_slope=0.1, name="odd"), "layer 'odd' (ReLU): only the ReLU without negative_slope"),
    (lambda k: k.layers.DepthwiseConv2D(3, depth_multiplier=2, name="odd"),
     "layer 'odd' (DepthwiseConv2D): dilation and a depth multiplier other than 1 are not supported"),
    (lambda k: k.layers.EinsumDense("abcd,de->abe", output_shape=(6, 3), name="odd"),
     "layer 'odd' (EinsumDense): equation 'abcd,de->abe': only a dense layer over the last axis"),
    (lambda k: k.layers.Reshape((12, 6), name="odd"),
     "layer 'odd' (Reshape): target_shape (12, 6) from (6, 6, 2): only a reshape that keeps the last axis"),
    (lambda k: k.layers.Permute((3, 1, 2), name="odd"),
     "layer 'odd' (Permute): dims (3, 1, 2) on shape (6, 6, 2): only a permutation that keeps the last axis"),
], ids=["class", "dilation", "activation", "leaky-relu", "depth-multiplier", "einsum", "reshape", "permute"])
def test_an_unsupported_layer_is_refused_by_name(tensorflow, make, message):
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    with pytest.raises(UnsupportedModel, match=re.escape(message)):
        graph_of(_single_layer_model(keras, make(keras), (6, 6, 2)))


def test_a_sequential_model_becomes_a_chain(tensorflow):
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    model = _randomized(keras, keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3, name="c"),
                                                 keras.layers.Flatten(name="f"),
                                                 keras.layers.Dense(4, activation="softmax", name="d")]))
    graph, weights = graph_of(model)
    assert [(node.name, node.inputs) for node in graph.nodes][1:] == [("c", (graph.nodes[0].name,)),
                                                                      ("f", ("c",)), ("d", ("f",))]
    assert graph.prunable() == ["c", "d"] and graph.ends_in_softmax()
    x = np.random.default_rng(7).uniform(size=(5, 8, 8, 1)).astype(np.float32)
    np.testing.assert_allclose(run(graph, weights, x, logits=False), model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)


def _cross_entropy_gradient(labels):
    def gradient(logits):
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(labels)), labels] -= 1.0
        return probabilities / len(labels)

    return gradient


def _every_layer_model(keras):
    """One of each supported layer, overlapping and padded pooling windows, strided 'same' convs."""
    inputs = keras.Input(shape=(11, 10, 2))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh")(inputs)
    x = keras.layers.Rescaling([2.0, 0.5, 1.0, -1.5], offset=-0.5)(x)  # differentiated: inside the model
    x = keras.layers.Normalization(mean=[0.2, -0.1, 0.0, 0.3], variance=[1.5, 0.8, 1.0, 2.0])(x)
    x = keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(x)
    x = keras.layers.ReLU(0.6)(keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(x))
    x = keras.layers.BatchNormalization()(x)
    gate = keras.layers.Reshape((1, 1, 4))(keras.layers.GlobalAveragePooling2D()(x))
    gate = keras.layers.Conv2D(4, 1, activation="sigmoid")(keras.layers.Conv2D(2, 1, activation="silu")(gate))
    x = keras.layers.Multiply()([x, gate])
    x = keras.layers.Activation("hard_swish")(keras.layers.Conv2D(4, 1, activation="silu")(x))
    x = keras.layers.Activation("hard_sigmoid")(keras.layers.Conv2D(4, 1)(x))
    y = keras.layers.Conv2D(4, (3, 2), padding="same", use_bias=False)(x)
    x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
    x = keras.layers.Concatenate()([x, keras.layers.Conv2D(2, 1)(x)])
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = keras.layers.AveragePooling2D(2, strides=1, padding="same")(x)
    x = keras.layers.Activation("sigmoid")(keras.layers.Conv2D(5, 1, strides=1)(x))
    a = keras.layers.GlobalAveragePooling2D()(x)
    b = keras.layers.Dropout(0.5)(keras.layers.Dense(5, activation="relu")(keras.layers.Flatten()(x)))
    x = keras.layers.Add()([a, b])
    return keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(x))


def _sequence_model(keras):
    """A transformer block's layers on a sequence of 6 patches of 3 features, projected to tokens of
    5 with a learned position embedding (a bias per position): pre-norm, a GELU MLP joined by a
    residual sum, the tokens averaged."""
    inputs = keras.Input(shape=(6, 3))
    tokens = keras.layers.EinsumDense("abc,cd->abd", output_shape=(6, 5), bias_axes="bd")(inputs)
    x = keras.layers.LayerNormalization()(tokens)
    x = keras.layers.Dense(5)(keras.layers.Dense(8, activation="gelu")(x))
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([tokens, x]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(x))


def _attention_model(keras, **attention):
    """A pre-norm vision-transformer block on 5 patches of 4 features, projected to tokens of 6:
    self-attention of 2 heads, then a GELU MLP, each joined by a residual sum."""
    inputs = keras.Input(shape=(5, 4))
    tokens = keras.layers.EinsumDense("abc,cd->abd", output_shape=(5, 6), bias_axes="bd")(inputs)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(tokens)
    x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3, **attention)(x, x)
    tokens = keras.layers.Add()([tokens, x])
    x = keras.layers.LayerNormalization(epsilon=1e-6)(tokens)
    x = keras.layers.Dense(6)(keras.layers.Dense(8, activation="gelu")(x))
    x = keras.layers.LayerNormalization(epsilon=1e-6)(keras.layers.Add()([tokens, x]))
    return keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(keras.layers.GlobalAveragePooling1D()(x)))


def _patches_model(keras):
    """A vision transformer's patches cut from the image by Reshape, Permute and Reshape (4x4 patches
    of an 8x8 image, each patch's pixels merged into 16 features), embedded, a softmax over the
    patches weighing them, the tokens averaged."""
    inputs = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Reshape((2, 4, 2, 4, 1))(inputs)
    x = keras.layers.Reshape((4, 16))(keras.layers.Permute((1, 3, 2, 4, 5))(x))
    x = keras.layers.Softmax(axis=1)(keras.layers.Dense(6, activation="gelu")(x))
    return keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(keras.layers.GlobalAveragePooling1D()(x)))


MODELS = {"every-layer": (_every_layer_model, (11, 10, 2)), "sequence": (_sequence_model, (6, 3)),
          "patches": (_patches_model, (8, 8, 1)),
          "attention": (_attention_model, (5, 4)),
          "attention-value-dim-no-bias": (lambda k: _attention_model(k, value_dim=4, use_bias=False), (5, 4))}


@pytest.mark.parametrize("kind", ["attention", "attention-value-dim-no-bias"])
def test_self_attention_matches_keras_and_rebuilds(tensorflow, kind):
    """A vision-transformer block's forward pass is Keras's, and the model rebuilt from its graph
    predicts the same (what compaction and export save)."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of, model_of_graph

    model = _randomized(keras, MODELS[kind][0](keras))
    x = np.random.default_rng(4).normal(size=(9, *MODELS[kind][1])).astype(np.float32)
    graph, weights = graph_of(model)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(run(graph, weights, x, logits=False), expected, rtol=1e-5, atol=1e-6)
    rebuilt = model_of_graph(keras, graph, weights)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    attention = next(layer for layer in rebuilt.layers if type(layer).__name__ == "MultiHeadAttention")
    assert attention.get_config()["kernel_initializer"]["class_name"] == "GlorotUniform"  # its own, not the build's


@pytest.mark.parametrize("kind", ["every-layer", "sequence", "patches", "attention", "resnet8"])
def test_kernel_gradients_match_tensorflow(tensorflow, kind):
    """The loss gradient of every kernel equals TensorFlow's (batch norm in inference mode)."""
    keras = tensorflow.keras
    from prunelab.models.graph_gradients import kernel_gradients
    from prunelab.models.keras_models import build_resnet, graph_of

    if kind == "resnet8":
        model, shape = build_resnet(keras, {"type": "resnet", "depth": 8}, (12, 12, 3), 4), (12, 12, 3)
    else:
        model, shape = MODELS[kind][0](keras), MODELS[kind][1]
    model = _randomized(keras, model)
    rng = np.random.default_rng(8)
    x, labels = rng.uniform(size=(6, *shape)).astype(np.float32), rng.integers(0, 4, 6)
    with tensorflow.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(labels, model(x, training=False))
        loss = tensorflow.reduce_mean(loss)
    kernels = {layer.name: layer.kernel for layer in model.layers
               if type(layer).__name__ in ("Dense", "Conv2D", "EinsumDense")}
    for layer in model.layers:  # an attention's projections: their gradients through the heads
        if type(layer).__name__ == "MultiHeadAttention":
            kernels.update({f"{layer.name}/{part}": getattr(layer, sublayer).kernel
                            for part, sublayer in SUBLAYERS.items()})
    expected = dict(zip(kernels, tape.gradient(loss, list(kernels.values()))))
    graph, weights = graph_of(model)
    ours = kernel_gradients(graph, weights, x, _cross_entropy_gradient(labels))
    assert set(ours) == set(kernels)
    for name, gradient in expected.items():
        np.testing.assert_allclose(ours[name], gradient.numpy().reshape(ours[name].shape), rtol=2e-3, atol=1e-6,
                                   err_msg=name)


def test_calibration_rows_of_a_graph_layer_give_its_pre_activation(tensorflow):
    """For a strided 'same' conv inside a ResNet and for the output layer: rows @ kernel matrix
    is what Keras computes before the activation; the Gram matrix sums over image batches."""
    keras = tensorflow.keras
    from prunelab.models.calibration import LayerInputs
    from prunelab.models.keras_models import build_resnet, graph_of

    model = _randomized(keras, build_resnet(keras, {"type": "resnet", "depth": 8}, (12, 12, 3), 4))
    graph, weights = graph_of(model)
    images = np.random.default_rng(9).uniform(size=(7, 12, 12, 3)).astype(np.float32)
    for name in ("s2b1_conv1", "output"):
        inputs = LayerInputs(graph, weights, name, images, batch_images=3)
        kernel = weights[name]["kernel"]
        rows = np.asarray(inputs)
        probe = keras.Model(model.inputs, model.get_layer(name).output)
        expected = probe.predict(images, verbose=0)
        if name == "output":  # its softmax undone: compare logits
            ours = rows @ kernel + weights[name]["bias"]
            np.testing.assert_allclose(np.exp(ours) / np.exp(ours).sum(1, keepdims=True), expected, rtol=1e-4)
        else:
            np.testing.assert_allclose(rows @ kernel.reshape(-1, kernel.shape[-1]),
                                       expected.reshape(-1, kernel.shape[-1]), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(inputs.gram(), rows.astype(np.float64).T @ rows, rtol=1e-6)
        assert len(inputs) == len(rows)


@pytest.mark.parametrize("kind", ["every-layer", "sequence", "patches", "attention", "attention-value-dim-no-bias",
                                  "resnet8-identity", "vgg11"])
def test_onnx_runtime_computes_the_graph_models_logits(tensorflow, kind):
    """The ONNX model of a graph model (latency's deployment runtime) gives the numpy logits,
    and so does its sparse (CSR) form in numpy."""
    keras = tensorflow.keras
    from prunelab.measuring.latency import sparse_form
    from prunelab.measuring.onnx_export import run as run_onnx
    from prunelab.measuring.onnx_export import session
    from prunelab.models.network import Network
    from prunelab.models.keras_models import build_resnet, build_vgg, graph_of

    if kind in MODELS:
        model, shape = MODELS[kind][0](keras), MODELS[kind][1]
    elif kind == "vgg11":
        model, shape = build_vgg(keras, {"type": "vgg", "depth": 11}, (16, 16, 3), 10), (16, 16, 3)
    else:
        model, shape = build_resnet(keras, {"type": "resnet", "depth": 8, "shortcut": "identity"}, (12, 12, 3),
                                    10), (12, 12, 3)
    network = Network({"type": kind}, *graph_of(_randomized(keras, model)))
    x = np.random.default_rng(10).uniform(size=(5, *shape)).astype(np.float32)
    expected = network.logits(x)
    np.testing.assert_allclose(run_onnx(session(network), x), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sparse_form(network).logits(x), expected, rtol=1e-4, atol=1e-5)


def test_graph_kernel_shapes_are_the_built_models(tensorflow):
    """Config checks know a ResNet's and a VGG's layers (names and shapes) before any job, as the
    built model has them."""
    keras = tensorflow.keras
    from prunelab.models.network import graph_layers
    from prunelab.models.keras_models import build_resnet, build_vgg, build_vit, graph_of

    for architecture in ({"type": "resnet", "depth": 14}, {"type": "resnet", "depth": 14, "shortcut": "identity"},
                         {"type": "vgg", "depth": 11}, VIT):
        build = {"resnet": build_resnet, "vgg": build_vgg, "vit": build_vit}[architecture["type"]]
        graph, weights = graph_of(build(keras, architecture, (28, 28, 1), 10))
        built = [(name, weights[name]["kernel"].shape) for name in graph.prunable()]
        assert graph_layers(architecture, (28, 28, 1), 10) == built


@pytest.mark.parametrize("function, message", [
    ("build_with_an_unsupported_layer", "layer 'up' (UpSampling2D) is not supported"),
    ("build_nothing", "build returned NoneType, not a keras.Model"),
    ("build_logits", "must end in a softmax over the 10 classes; its output layer"),
    ("missing", "failed: AttributeError: "),
])
def test_a_custom_model_that_cannot_be_trained_is_refused_with_its_cause(tensorflow, function, message):
    from prunelab.models.keras_models import build_model

    architecture = {"type": "custom", "build": f"tests/custom_model.py:{function}", "sha256": "0" * 64}
    with pytest.raises(ValueError, match=re.escape(message)):
        build_model(tensorflow.keras, architecture, 10)


def test_a_custom_model_gets_masks_and_regularizers_by_position(tensorflow):
    """Masks (one per prunable layer, in order) hold pruned weights at zero in a custom model,
    and the regularizer goes on every prunable kernel but the output layer's."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import build_model, network_of

    architecture = {"type": "custom", "build": "tests/custom_model.py:build", "sha256": "0" * 64}
    model = build_model(keras, architecture, 10, "l2", 0.01)
    network = network_of(model, architecture)
    assert [kernel.shape for kernel in network.kernels] == [(3, 3, 1, 8), (3, 3, 8, 8), (392, 32), (32, 10)]
    regularized = [layer.name for layer in model.layers if getattr(layer, "kernel", None) is not None
                   and layer.kernel.regularizer is not None]
    assert regularized == network.layer_names[:-1]
    masks = [np.random.default_rng(i).uniform(size=k.shape) > 0.5 for i, k in enumerate(network.kernels)]
    masked = build_model(keras, architecture, 10, kernel_masks=masks)
    masked.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(11)
    masked.fit(rng.uniform(size=(32, 28, 28, 1)), rng.integers(0, 10, 32), epochs=1, verbose=0)
    trained = network_of(masked, architecture)
    assert all(not kernel[~mask].any() for kernel, mask in zip(trained.kernels, masks))


MASKED_VIT = """
import json, sys
import numpy as np
import keras
from prunelab.models.keras_models import build_model, network_of

architecture = json.loads(sys.argv[1])
network = network_of(build_model(keras, architecture, 10), architecture)
masks = [np.random.default_rng(i).uniform(size=k.shape) > 0.5 for i, k in enumerate(network.kernels)]
model = build_model(keras, architecture, 10, "l2", 0.01, kernel_masks=masks)
attention = model.get_layer("block1_attention")
assert attention._query_dense.kernel.regularizer is not None and model.get_layer("output").kernel.regularizer is None
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
rng = np.random.default_rng(11)
model.fit(rng.uniform(size=(32, 28, 28, 1)), rng.integers(0, 10, 32), epochs=2, verbose=0)
trained = network_of(model, architecture)
assert all(not kernel[~mask].any() and kernel[mask].all() for kernel, mask in zip(trained.kernels, masks))
print(sorted(name for name in trained.layer_names if "attention" in name))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_masks_hold_an_attentions_pruned_projections_at_zero_in_training(backend):
    """A vit trained with a mask on every prunable kernel, the attention's four projections included
    (each a matrix in the engine, 3-D in Keras): masked weights stay zero on either backend, the others
    train; the regularizer reaches the projections."""
    output = subprocess.run([sys.executable, "-c", MASKED_VIT, json.dumps(VIT)], capture_output=True, text=True,
                            env={**os.environ, "KERAS_BACKEND": backend})
    assert output.returncode == 0, output.stderr[-2000:]
    assert output.stdout.split("\n")[-2] == str([f"block{b}_attention/{part}" for b in (1, 2)
                                                 for part in sorted(SUBLAYERS)])


def _save_trained_elsewhere(keras, path, input_shape=(28, 28, 1), last=None):
    """A small Sequential model saved as a researcher would (``model.save``)."""
    last = last or keras.layers.Dense(10, activation="softmax", name="out")
    model = keras.Sequential([keras.Input(input_shape), keras.layers.Conv2D(4, 3, name="c1"),
                              keras.layers.Flatten(), keras.layers.Dense(16, activation="relu", name="d1"), last])
    model.save(path)
    return path


def _imported_config(path, **extra):
    return {"datasets": ["fashion"], "models": ["theirs"], "custom_models": {"theirs": {"file": str(path),
                                                                                   "dataset": "fashion"}},
            **extra}


def test_a_model_trained_elsewhere_is_checked_from_its_file_before_any_job(tensorflow, tmp_path):
    """The config check reads the .keras file's graph without Keras: its layers are known (names in
    pruning.layers), and a file that cannot be this dataset's model is refused naming the cause."""
    keras = tensorflow.keras
    from prunelab.plumbing.config import ConfigError, validate_config

    good = _save_trained_elsewhere(keras, tmp_path / "good.keras")
    config = validate_config(_imported_config(good, pruning={"layers": ["c1", "d1"], "methods": ["weight", "unit"]}))
    assert config["architectures"]["theirs"]["type"] == "imported"
    assert len(config["architectures"]["theirs"]["sha256"]) == 64
    not_a_model = tmp_path / "notes.keras"
    not_a_model.write_text("not a zip")
    unsupported = tmp_path / "odd.keras"
    keras.Sequential([keras.Input((28, 28, 1)), keras.layers.UpSampling2D(name="n"), keras.layers.Flatten(),
                      keras.layers.Dense(10, activation="softmax")]).save(unsupported)
    refused = {
        "not a Keras model file": _imported_config(not_a_model),
        "layer 'n' (UpSampling2D) is not supported": _imported_config(unsupported),
        "the model takes inputs of shape (32, 32, 3); the dataset's images are (28, 28, 1)":
            _imported_config(_save_trained_elsewhere(keras, tmp_path / "cifar.keras", (32, 32, 3))),
        "the model must end in a softmax over the 10 classes; its output layer 'out' gives shape (10,) without":
            _imported_config(_save_trained_elsewhere(keras, tmp_path / "logits.keras",
                                                     last=keras.layers.Dense(10, name="out"))),
        "dataset 'fashion' is not in datasets (digits)": {**_imported_config(good), "datasets": ["digits"]},
        "pruning.methods: snip cannot prune model 'theirs': it was trained elsewhere":
            _imported_config(good, pruning={"methods": ["weight", "snip"]}),
        "no layer 'd9'; the prunable layers are c1, d1, out": _imported_config(good, pruning={"layers": ["d9"]}),
        "custom_models.theirs: {'file': 'x.h5'} is neither a build function":
            {**_imported_config(good), "custom_models": {"theirs": {"file": "x.h5"}}},
    }
    for message, bad in refused.items():
        with pytest.raises(ConfigError, match=re.escape(message)):
            validate_config(bad)


def test_a_model_file_changed_after_planning_is_refused(tmp_path):
    from prunelab.models.imported import ImportedModelError, load_imported

    path = tmp_path / "model.keras"
    path.write_bytes(b"trained weights")
    with pytest.raises(ImportedModelError, match="the file changed; run the workflow again"):
        load_imported(None, {"type": "imported", "file": str(path), "sha256": "0" * 64, "dataset": "fashion"})


def test_a_researchers_channel_method_prunes_every_group_by_its_batch_norms(tensorflow):
    """Network slimming (tests/custom_method.py, a few lines asking for ``groups``): per group of a
    ResNet-8, the channels of smallest summed |γ| of its batch norms go from every producer, with
    their batch norms; the compacted model predicts what the masked one does. A wrong answer is
    refused by the method's name."""
    keras = tensorflow.keras
    from prunelab.methods.custom import custom_method, load_custom_method
    from prunelab.methods.pruning import prune
    from prunelab.models.keras_models import build_resnet, graph_of

    architecture = {"type": "resnet", "depth": 8}
    graph, weights = graph_of(_randomized(keras, build_resnet(keras, architecture, (16, 16, 3), 10)))
    network = Network(architecture, graph, weights)
    layers = list(range(network.num_layers - 1))  # all but the output layer
    method = load_custom_method("network_slimming", "tests/custom_method.py:network_slimming")
    assert method.needs == ("groups",) and method.removes_units
    pruned, masks = prune(network, method, 0.5, layers)
    groups = [(group, producers) for group, producers in pruned_groups(graph) if "output" not in producers]
    assert len(groups) == 6
    for group, producers in groups:
        gamma = sum(np.abs(weights[name]["gamma"]) for name in group.normalizers)
        removed = np.sort(np.argsort(gamma, kind="stable")[:group.channels // 2])
        for name in producers:
            kernel = pruned.weights[name]["kernel"]
            assert np.flatnonzero(~kernel.reshape(-1, kernel.shape[-1]).any(axis=0)).tolist() == removed.tolist()
        for name in group.normalizers:
            assert not pruned.weights[name]["gamma"][removed].any() and not pruned.weights[name]["beta"][removed].any()
    small = compact_channels(graph, pruned.weights)
    assert parameter_count(small) < 0.4 * parameter_count(weights)
    x = np.random.default_rng(7).uniform(size=(16, 16, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(run(graph, small, x), run(graph, pruned.weights, x), rtol=1e-4, atol=1e-5)
    wrong = custom_method("wrong", lambda weights, k, seed, groups: [np.ones(3, dtype=bool)] * len(groups))
    with pytest.raises(ValueError, match=r"method 'wrong': group 0's answer must be a boolean array of shape \(16,\)"):
        prune(network, wrong, 0.5, layers)


def _unit_pruned_and_compacted(keras, graph, weights, x):
    """unit at k = 0.5 on every layer but the output of a keras.applications network, compacted:
    the compacted Keras model predicts on ``x`` what the masked one does. Returns the compacted weights."""
    from prunelab.methods.pruning import load_method, prune
    from prunelab.models.keras_models import model_of_graph

    network = Network({"type": "custom"}, graph, weights)
    unit = load_method({"name": "unit", "source": "prunelab.methods.unit", "runs": "one_shot"})
    pruned, _ = prune(network, unit, 0.5, list(range(network.num_layers - 1)))
    small = compact_channels(graph, pruned.weights)
    rebuilt = model_of_graph(keras, graph, small)
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), run(graph, pruned.weights, x, logits=False), rtol=1e-4,
                               atol=1e-6)
    # an untrained network's softmax is nearly constant: its logits and the features they are made
    # from tell the models apart
    np.testing.assert_allclose(run(graph, small, x), run(graph, pruned.weights, x), rtol=1e-4, atol=1e-4)
    features = graph.node(graph.output).inputs[0]
    np.testing.assert_allclose(keras.Model(rebuilt.inputs, rebuilt.get_layer(features).output).predict(x, verbose=0),
                               run(graph, small, x, until=features), rtol=1e-4, atol=1e-5)
    return small


def _like_keras_in_numpy_and_onnx_then_compacted(keras, model, graph, weights, x):
    """The graph's numpy forward pass is Keras's and ONNX Runtime's logits are numpy's, on ``x``;
    returns the weights :func:`_unit_pruned_and_compacted` gives."""
    from prunelab.measuring.onnx_export import run as run_onnx
    from prunelab.measuring.onnx_export import session

    np.testing.assert_allclose(run(graph, weights, x, logits=False), model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    network = Network({"type": "custom"}, graph, weights)
    np.testing.assert_allclose(run_onnx(session(network), x), network.logits(x), rtol=1e-4, atol=1e-5)
    return _unit_pruned_and_compacted(keras, graph, weights, x)


def test_keras_applications_resnet50_is_read_pruned_by_channel_groups_and_compacted(tensorflow):
    """keras.applications' ResNet50 (weights=None, 32x32x3, 10 classes; 23.6 M parameters, zero
    padding before its strided convs): the numpy forward pass is Keras's; unit at k = 0.5 prunes
    its channel groups (bottleneck blocks joined by their additions) and the compacted Keras model
    predicts what the masked one does, with a quarter of the parameters."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    model = _randomized(keras, keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10))
    graph, weights = graph_of(model)
    assert "ZeroPadding2D" in {node.op for node in graph.nodes} and parameter_count(weights) == 23_608_202
    x = np.random.default_rng(11).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    np.testing.assert_allclose(run(graph, weights, x, logits=False), model.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    assert parameter_count(_unit_pruned_and_compacted(keras, graph, weights, x)) < 0.3 * parameter_count(weights)


def test_keras_applications_mobilenetv2_groups_run_through_its_depthwise_convolutions(tensorflow):
    """keras.applications' MobileNetV2 (alpha 0.35, weights=None, 32x32x3, 10 classes: depthwise
    convolutions, ReLU6): a block's expansion channels run through its depthwise convolution (its
    kernel slices and batch norm go with them) to the projection; the projections of blocks joined
    by a residual addition are one group. Its numpy forward pass and ONNX Runtime's are Keras's;
    unit at k = 0.5 compacts it into a Keras model predicting what the masked one does."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    model = _randomized(keras, keras.applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                                              classes=10))
    graph, weights = graph_of(model)
    assert parameter_count(weights) == 423_018
    blocks = [group for group in graph.groups if any(name.startswith(("block_1_", "block_2_"))
                                                      for name in group.producers)]
    assert blocks == [
        Group(48, ("block_1_expand",), ("block_1_expand_BN", "block_1_depthwise_BN"), (("block_1_project", 1),),
              carriers=("block_1_depthwise",)),
        Group(8, ("block_1_project", "block_2_project"), ("block_1_project_BN", "block_2_project_BN"),
              (("block_2_expand", 1), ("block_3_expand", 1))),
        Group(48, ("block_2_expand",), ("block_2_expand_BN", "block_2_depthwise_BN"), (("block_2_project", 1),),
              carriers=("block_2_depthwise",)),
    ]
    x = np.random.default_rng(12).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    small = _like_keras_in_numpy_and_onnx_then_compacted(keras, model, graph, weights, x)
    assert small["block_1_depthwise"]["kernel"].shape == (3, 3, 24, 1)  # 48 channels -> 24
    assert parameter_count(small) < 0.35 * parameter_count(weights)


def test_keras_applications_efficientnetb0_groups_run_through_its_gates(tensorflow):
    """keras.applications' EfficientNetB0 (weights=None, 32x32x3, 10 classes: rescaling and
    normalization of the pixels, swish, depthwise convolutions, squeeze-and-excitation gates): a
    block's channels run through its depthwise convolution and its gate, whose last conv makes
    them too (its sigmoid keeps nothing whole: a removed channel is zero in the product); its
    numpy forward pass and ONNX Runtime's are Keras's; unit at k = 0.5 compacts it into a Keras
    model predicting what the masked one does."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of, model_of_graph

    model = _randomized(keras, keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10))
    pixels = next(layer for layer in model.layers if isinstance(layer, keras.layers.Normalization))
    pixels.adapt_mean.assign([0.4, 0.5, 0.6])  # as adapting to images gives: the rebuilt model's are
    # assigned, then derived again
    pixels.adapt_variance.assign([0.05, 0.08, 0.1])
    pixels.finalize_state()
    graph, weights = graph_of(model)
    assert parameter_count(weights) == 4_062_380  # Keras counts the normalization's sample count too
    assert graph.groups[:2] == (
        Group(32, ("stem_conv", "block1a_se_expand"), ("stem_bn", "block1a_bn"),
              (("block1a_se_reduce", 1), ("block1a_project_conv", 1)), carriers=("block1a_dwconv",)),
        Group(8, ("block1a_se_reduce",), (), (("block1a_se_expand", 1),)),
    )
    assert [group.reason for group in graph.groups if not group.prunable] == ["it holds the model's output"]
    x = np.random.default_rng(13).uniform(0, 255, size=(4, 32, 32, 3)).astype(np.float32)
    early = keras.Model(model.inputs, model.get_layer("block2a_project_bn").output).predict(x, verbose=0)
    np.testing.assert_allclose(run(graph, weights, x, until="block2a_project_bn"), early, rtol=1e-4, atol=1e-5)
    rebuilt = model_of_graph(keras, graph, weights)  # where the output still depends on the image
    np.testing.assert_allclose(keras.Model(rebuilt.inputs, rebuilt.get_layer("block2a_project_bn").output)
                               .predict(x, verbose=0), early, rtol=1e-4, atol=1e-5)
    small = _like_keras_in_numpy_and_onnx_then_compacted(keras, model, graph, weights, x)
    assert small["block1a_dwconv"]["kernel"].shape == (3, 3, 16, 1)  # 32 channels -> 16
    assert parameter_count(small) < 0.35 * parameter_count(weights)


def test_keras_applications_densenet121_groups_keep_their_offsets_in_the_concatenations(tensorflow):
    """keras.applications' DenseNet121 (weights=None, 32x32x3, 10 classes: every layer of a dense
    block reads the concatenation of all before it): the stem's channels are normalized and read
    by every layer of the first block and its transition from offset 0, the first layer's 32 new
    channels from offset 64; its numpy forward pass and ONNX Runtime's are Keras's; unit at k = 0.5
    compacts it into a Keras model predicting what the masked one does."""
    keras = tensorflow.keras
    from prunelab.models.keras_models import graph_of

    model = _randomized(keras, keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3), classes=10))
    graph, weights = graph_of(model)
    assert parameter_count(weights) == 7_047_754
    later = [f"conv2_block{block}" for block in range(2, 7)]
    assert graph.groups[0] == Group(64, ("conv1_conv",), ("conv1_bn", "conv2_block1_0_bn", *(f"{b}_0_bn" for b in later),
                                                          "pool2_bn"),
                                    (("conv2_block1_1_conv", 1), *((f"{b}_1_conv", 1) for b in later), ("pool2_conv", 1)))
    readers = [*(f"{b}_0_bn" for b in later), "pool2_bn", *(f"{b}_1_conv" for b in later), "pool2_conv"]
    assert graph.groups[2] == Group(32, ("conv2_block1_2_conv",), (*(f"{b}_0_bn" for b in later), "pool2_bn"),
                                    (*((f"{b}_1_conv", 1) for b in later), ("pool2_conv", 1)),
                                    offsets=tuple((name, 64) for name in readers))
    assert [group.reason for group in graph.groups if not group.prunable] == ["it holds the model's output"]
    x = np.random.default_rng(15).uniform(size=(4, 32, 32, 3)).astype(np.float32)
    transition = keras.Model(model.inputs, model.get_layer("pool2_conv").output)  # unsaturated, unlike the softmax
    np.testing.assert_allclose(run(graph, weights, x, until="pool2_conv"), transition.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)
    small = _like_keras_in_numpy_and_onnx_then_compacted(keras, model, graph, weights, x)
    assert small["conv2_block2_0_bn"]["gamma"].shape == (32 + 16,)  # the stem's 64 and block 1's 32, halved
    assert parameter_count(small) < 0.35 * parameter_count(weights)
