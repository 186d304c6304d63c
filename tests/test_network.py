import numpy as np
import pytest

from prunelab.measuring.evaluation import log_softmax
from prunelab.data.loading import features
from prunelab.models.graph import Graph
from prunelab.models.layers.conv2d import conv2d
from prunelab.models.layers.pooling import max_pool
from prunelab.models.layers.sliding import Sliding
from prunelab.models.network import Network, kernel_shapes

CNN = {"type": "cnn", "conv": [4, 6, 5], "kernel_size": 3, "pool": [True, True, False], "hidden": [12, 7],
       "bias": True}


def test_conv_matches_a_direct_loop():
    rng = np.random.default_rng(0)
    x, kernel = rng.normal(size=(2, 6, 5, 3)), rng.normal(size=(3, 2, 3, 4))
    expected = np.zeros((2, 4, 4, 4))
    for i in range(4):
        for j in range(4):
            expected[:, i, j, :] = np.einsum("nhwc,hwcf->nf", x[:, i:i + 3, j:j + 2, :], kernel)
    np.testing.assert_allclose(conv2d(x, kernel, Sliding((3, 2), (1, 1), "valid")), expected, rtol=1e-12)


def test_max_pool_drops_the_odd_edge():
    x = np.arange(2 * 5 * 5).reshape(1, 5, 5, 2).astype(float)
    pooled = max_pool(x, Sliding((2, 2), (2, 2), "valid"))  # a cnn's pooling
    assert pooled.shape == (1, 2, 2, 2)
    assert pooled[0, 0, 0].tolist() == x[0, :2, :2].reshape(-1, 2).max(axis=0).tolist()


@pytest.mark.parametrize("slide", [Sliding((2, 2), (2, 2), "valid"), Sliding((3, 3), (2, 2), "same"),
                                   Sliding((3, 2), (1, 2), "valid"), Sliding((2, 2), (1, 1), "same")])
def test_max_pool_equals_the_maximum_over_each_window(slide):
    x = np.random.default_rng(3).normal(size=(2, 7, 6, 3)).astype(np.float32)
    expected = slide.windows(slide.pad(x, -np.inf)).max(axis=(4, 5))
    np.testing.assert_array_equal(max_pool(x, slide), expected)


def test_save_and_load_round_trip(tmp_path):
    rng = np.random.default_rng(1)
    kernels = [rng.normal(size=shape).astype(np.float32) for shape in kernel_shapes(CNN)]
    biases = [np.full(kernel.shape[-1], 0.5, np.float32) for kernel in kernels]
    network = Network.of_chain(CNN, kernels, biases)
    network.save(tmp_path / "w.npz")
    loaded = Network.load(tmp_path / "w.npz", CNN)
    for a, b in zip(loaded.parameters(), network.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    Network.of_chain(CNN, network.kernels).save(tmp_path / "nobias.npz")
    assert Network.load(tmp_path / "nobias.npz", CNN).layer_bias(0) is None


def test_a_chain_file_holds_its_weighted_layers_alone_as_before(tmp_path):
    """A dense or cnn's weights file is what it was before chains became graphs (W0.., b0..), so
    a model trained before still serves; its graph follows from the architecture."""
    rng = np.random.default_rng(2)
    kernels = [rng.normal(size=shape).astype(np.float32) for shape in kernel_shapes(CNN)]
    np.savez(tmp_path / "old.npz", **{f"W{i}": kernel for i, kernel in enumerate(kernels)},
             **{f"b{i}": np.zeros(kernel.shape[-1], np.float32) for i, kernel in enumerate(kernels)})
    network = Network.load(tmp_path / "old.npz", CNN)
    assert [node.op for node in network.graph.nodes] == [
        "InputLayer", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Conv2D", "Flatten", "Dense", "Dense", "Dense"]
    assert sorted(network.arrays()) == sorted(np.load(tmp_path / "old.npz").files)


def test_loading_refuses_pickled_arrays(tmp_path):
    np.savez(tmp_path / "evil.npz", W0=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        Network.load(tmp_path / "evil.npz", CNN)


@pytest.mark.parametrize("architecture", [
    {"type": "dense", "hidden": [64, 32], "bias": False},
    {"type": "dense", "hidden": [64, 32], "bias": True},
    CNN,
], ids=["dense", "dense-bias", "cnn"])
def test_numpy_forward_pass_matches_keras(tensorflow, architecture):
    from prunelab.models.keras_models import build_model, network_of

    tensorflow.keras.utils.set_random_seed(0)
    model = build_model(tensorflow.keras, architecture, 10)
    rng = np.random.default_rng(0)
    if architecture["bias"]:  # Keras starts biases at zero; make them matter
        for layer in model.layers:
            if hasattr(layer, "bias") and layer.bias is not None:
                layer.bias.assign(rng.normal(size=layer.bias.shape).astype(np.float32) * 0.1)
    x = features(architecture, rng.integers(0, 256, (700, 28, 28)).astype(np.uint8))
    expected = model.predict(x, verbose=0)
    ours = network_of(model, architecture).logits(x)
    np.testing.assert_array_equal(np.argmax(ours, 1), np.argmax(expected, 1))
    np.testing.assert_allclose(np.exp(log_softmax(ours)), expected, rtol=1e-4, atol=1e-6)


def test_kernel_shapes_and_graph_follow_the_architecture(tensorflow):
    """The chain's graph made from its architecture is the built Keras model's: the same layers,
    the same output shapes, the same kernels."""
    from prunelab.models.keras_models import build_model, network_of

    for architecture in (CNN, {"type": "dense", "hidden": [1000, 1000, 500, 200], "bias": False},
                         {"type": "cnn", "conv": [32, 64, 64], "kernel_size": 3, "pool": [True, True, False],
                          "hidden": [250, 125, 60], "bias": True}):
        model = build_model(tensorflow.keras, architecture, 10)
        expected = [tuple(layer.kernel.shape) for layer in model.layers if hasattr(layer, "kernel")]
        assert kernel_shapes(architecture) == expected
        built, ours = Graph.from_keras_config(model.get_config()), network_of(model, architecture).graph
        assert [node.op for node in ours.nodes] == [node.op for node in built.nodes]
        assert [ours.shapes[node.name] for node in ours.nodes] == [built.shapes[node.name] for node in built.nodes]
        assert [node.config.get("activation") for node in ours.nodes] == [
            node.config.get("activation") for node in built.nodes]
    assert kernel_shapes({"type": "cnn", "conv": [32, 64, 64], "kernel_size": 3, "pool": [True, True, False],
                          "hidden": [250], "bias": True})[3] == (576, 250)  # E's 3x3x64 flatten
