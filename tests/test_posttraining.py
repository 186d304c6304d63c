"""Pruning without retraining on hand-made examples: Wanda's scores and groupings, SparseGPT's
Optimal Brain Surgeon update, unit_refit's least-squares refit, N:M patterns, and their checks."""

import numpy as np
import pytest

from prunelab.methods.pruning import PruningData, prune
from prunelab.methods.registry import BUILT_IN
from prunelab.methods.sparsegpt import DAMPING, sparsegpt_layer
from prunelab.methods.unit_refit import refit_layer
from prunelab.models.calibration import LayerInputs, layer_inputs
from prunelab.models.graph import inputs_of
from prunelab.models.network import Network

DENSE = {"type": "dense", "hidden": [3], "bias": False}


def test_wanda_scores_weights_by_their_inputs_norm_within_each_unit_or_the_layer():
    # inputs: feature 0 always 0.1, feature 1 always 3, feature 2 always 1 (norms over 4 images: 0.2, 6, 2)
    images = np.tile(np.array([[0.1, 3.0, 1.0]], dtype=np.float32), (4, 1))
    kernel = np.array([[5.0, 1.0], [0.5, 0.2], [1.0, 4.0]])  # scores |w|·‖x‖: [[1, .2], [3, 1.2], [2, 8]]
    network = Network.of_chain({**DENSE, "hidden": [2]}, [kernel, np.ones((2, 10))])
    unit = prune(network, BUILT_IN["wanda"], 1 / 3, [0], data=PruningData(calibration=images,
                                                                       settings={"group": "unit"}))[1][0]
    # one of three inputs per unit: the largest |w| (5.0) goes in unit 0, the smallest (0.2) stays in unit 1
    assert unit.tolist() == [[False, False], [True, True], [True, True]]
    layer = prune(network, BUILT_IN["wanda"], 0.5, [0], data=PruningData(calibration=images,
                                                                     settings={"group": "layer"}))[1][0]
    assert layer.tolist() == [[False, False], [True, False], [True, True]]  # the 3 smallest of 6: .2, 1, 1.2
    assert (~unit).sum() == 2 and (~layer).sum() == 3


def test_sparsegpt_removing_one_weight_is_the_optimal_brain_surgeon_update():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) @ rng.normal(size=(4, 4))  # correlated inputs
    w = np.array([[0.01], [1.0], [-2.0], [0.5]])  # the first weight is by far the least salient
    gram = x.T @ x
    new, keep = sparsegpt_layer(w, gram, 0.25, block=128)  # round(0.25 · 4) = 1 weight
    assert keep.ravel().tolist() == [False, True, True, True]
    hessian = gram + DAMPING * np.mean(np.diag(gram)) * np.eye(4)
    inverse = np.linalg.inv(hessian)
    expected = w[:, 0] - w[0, 0] * inverse[:, 0] / inverse[0, 0]  # OBS: δw = -w_q / [H⁻¹]_qq · H⁻¹ e_q
    np.testing.assert_allclose(new[:, 0], expected, rtol=1e-10, atol=1e-12)
    assert new[0, 0] == 0.0


def test_sparsegpt_reconstructs_a_layer_better_than_magnitude_pruning_at_equal_sparsity():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 64)) @ rng.normal(size=(64, 64)) * rng.uniform(0.1, 3, size=64)
    w = rng.normal(size=(64, 16))
    for k in (0.5, 0.75):
        new, keep = sparsegpt_layer(w, x.T @ x, k, block=16)
        magnitude = BUILT_IN["weight"].masks([w], k)[0]
        assert (~keep).sum() == (~magnitude).sum() == round(k * w.size)
        assert np.all(new[~keep] == 0)
        ours, theirs = (np.linalg.norm(x @ w - x @ candidate) for candidate in (new, np.where(magnitude, w, 0)))
        assert ours < theirs


def test_sparsegpt_counts_are_exact_across_blocks_and_dead_inputs_go_first():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 10))
    x[:, 3] = 0  # an input that is always zero
    w = rng.normal(size=(10, 3)) + 5
    new, keep = sparsegpt_layer(w, x.T @ x, 0.3, block=4)
    assert (~keep).sum() == 9 and not keep[3].any() and np.all(new[3] == 0)


def test_unit_refit_refits_the_next_layer_by_damped_least_squares():
    rng = np.random.default_rng(3)
    network = Network.of_chain({"type": "dense", "hidden": [4, 3], "bias": True},
                               [rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=(3, 10))],
                               [rng.uniform(1, 2, size=4), rng.normal(size=3), rng.normal(size=10)])  # units active
    images = rng.random((30, 5)).astype(np.float32)
    pruned, masks = prune(network, BUILT_IN["unit_refit"], 0.25, [0], data=PruningData(calibration=images))
    removed = ~masks[0].any(axis=0)
    assert removed.sum() == 1 and removed[np.argmin(np.linalg.norm(network.kernels[0], axis=0))]
    assert pruned.biases[0][removed] == 0
    # by hand: the pruned network's inputs to layer 1, with a column of ones; the trained network's pre-activations
    masked = network.with_layer(0, np.where(masks[0], network.kernels[0], 0), np.where(removed, 0, network.biases[0]))
    x = np.hstack([np.asarray(layer_inputs(masked, 1, images), np.float64), np.ones((30, 1))])
    y = np.asarray(layer_inputs(network, 1, images), np.float64) @ network.kernels[1] + network.biases[1]
    gram = x.T @ x
    solution = np.linalg.solve(gram + DAMPING * np.mean(np.diag(gram)) * np.eye(5), x.T @ y)
    np.testing.assert_allclose(pruned.kernels[1], solution[:4], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pruned.biases[1], solution[4], rtol=1e-5, atol=1e-6)
    assert np.all(pruned.kernels[1][removed] == 0)  # a removed unit's input gets no weight
    np.testing.assert_array_equal(pruned.kernels[2], network.kernels[2])  # only the next layer is refitted
    kernel, bias = refit_layer(masked, network, 1, images)
    np.testing.assert_array_equal(kernel, pruned.kernels[1])
    # the refit reproduces the trained pre-activations better than keeping the trained kernel
    before = np.linalg.norm(x @ np.vstack([network.kernels[1], network.biases[1]]) - y)
    after = np.linalg.norm(x @ solution - y)
    assert after < 0.5 * before


def test_unit_refit_goes_through_pooling_and_flattening_of_a_cnn():
    rng = np.random.default_rng(4)
    cnn = {"type": "cnn", "conv": [4, 6], "kernel_size": 3, "pool": [True, False], "hidden": [5], "bias": True}
    network = Network.of_chain(cnn, [rng.normal(size=s) for s in [(3, 3, 1, 4), (3, 3, 4, 6), (11 * 11 * 6, 5),
                                                                  (5, 10)]],
                               [rng.normal(size=n) for n in (4, 6, 5, 10)])
    images = rng.random((12, 28, 28, 1)).astype(np.float32)
    pruned, masks = prune(network, BUILT_IN["unit_refit"], 0.5, [0, 1, 2], data=PruningData(calibration=images))
    assert [int((~m.reshape(-1, m.shape[-1]).any(axis=0)).sum()) for m in masks[:3]] == [2, 3, 3]
    assert np.isfinite(pruned.logits(images)).all() and masks[3] is None


def test_unit_refit_prunes_a_resnets_block_channels_and_refits_the_layer_reading_them(tensorflow):
    """In a ResNet the channels of each block's first conv are read by its second conv alone
    (through batch norm and ReLU): those are pruned and the second conv refitted; the residual
    sums' channels stay whole, as in He et al. 2017. The compacted model predicts as the masked one."""
    from prunelab.measuring.compaction import compact
    from prunelab.models.network import Network
    from prunelab.models.keras_models import build_resnet, graph_of
    from prunelab.models.calibration import layer_inputs

    architecture = {"type": "resnet", "depth": 8}
    network = Network(architecture, *graph_of(build_resnet(tensorflow.keras, architecture, (8, 8, 3), 10)))
    rng = np.random.default_rng(7)
    network = network.with_all_weights({name: {variable: (value + rng.normal(scale=0.2, size=value.shape)
                                                           if variable in ("beta", "bias") else value)
                                               for variable, value in arrays.items()}
                                        for name, arrays in network.weights.items()})
    images = rng.uniform(size=(40, 8, 8, 3)).astype(np.float32)
    layers = list(range(network.num_layers - 1))  # all but the output
    pruned, masks = prune(network, BUILT_IN["unit_refit"], 0.5, layers, data=PruningData(calibration=images))
    cut = [name for name, mask in zip(network.layer_names, masks) if mask is not None and not mask.all()]
    assert cut == ["s1b1_conv1", "s2b1_conv1", "s3b1_conv1"]
    for name in cut:
        index = network.layer_names.index(name)
        removed = ~masks[index].reshape(-1, masks[index].shape[-1]).any(axis=0)
        assert removed.sum() == network.kernels[index].shape[-1] // 2
        reader = network.layer_names.index(name.replace("conv1", "conv2"))
        assert network.sole_reader(index) == (reader, "")
        # the reader's kernel is the least-squares fit from its inputs in the pruned model, and it
        # reproduces the trained pre-activations better than the trained kernel does there
        np.testing.assert_allclose(pruned.kernels[reader], refit_layer(pruned, network, reader, images)[0],
                                   rtol=1e-6, atol=1e-7)
        assert np.all(pruned.kernels[reader][:, :, removed] == 0)
        x = np.asarray(layer_inputs(pruned, reader, images), np.float64)
        y = np.asarray(layer_inputs(network, reader, images), np.float64) @ network.kernels[reader].reshape(
            -1, network.kernels[reader].shape[-1])
        refitted, kept = (x @ kernel.reshape(-1, kernel.shape[-1]) for kernel in (pruned.kernels[reader],
                                                                                network.kernels[reader]))
        assert np.linalg.norm(refitted - y) < 0.9 * np.linalg.norm(kept - y)
    small = compact(pruned)
    assert sum(k.size for k in small.kernels) < sum(k.size for k in pruned.kernels)
    np.testing.assert_allclose(small.logits(images), pruned.logits(images), rtol=1e-4, atol=1e-5)
    reason = network.sole_reader(network.layer_names.index("s1b1_conv2"))[1]
    assert reason == "s1b1_conv2: its channels are summed with those of 'conv'"
    with pytest.raises(ValueError, match="no layer of pruning.layers can be pruned with a refit of the layer "
                                         "reading it: s1b1_conv2: its channels are summed with those of 'conv'"):
        prune(network, BUILT_IN["unit_refit"], 0.5, [network.layer_names.index("s1b1_conv2")],
              data=PruningData(calibration=images))


@pytest.mark.parametrize("method", ["wanda_n_of_m", "sparsegpt_n_of_m"])
def test_n_of_m_variants_keep_n_of_every_m_consecutive_inputs(method):
    rng = np.random.default_rng(5)
    network = Network.of_chain({**DENSE, "hidden": [8]}, [rng.normal(size=(16, 8)), rng.normal(size=(8, 10))])
    images = rng.random((40, 16)).astype(np.float32)
    settings = {"n_of_m": [2, 4], "block": 8}
    pruned, masks = prune(network, BUILT_IN[method], 0.5, [0, 1], data=PruningData(calibration=images,
                                                                                settings=settings))
    for mask, kernel in zip(masks[:2], pruned.kernels[:2]):
        assert (mask.reshape(-1, 4, mask.shape[-1]).sum(axis=1) == 2).all()
        assert np.all(kernel[~mask] == 0)
    with pytest.raises(ValueError, match="removes exactly k = 0.5"):
        prune(network, BUILT_IN[method], 0.75, [0], data=PruningData(calibration=images, settings=settings))


def test_the_calibration_inputs_of_a_conv_layer_are_its_im2col_patches_in_batches():
    rng = np.random.default_rng(6)
    cnn = {"type": "cnn", "conv": [2, 3], "kernel_size": 3, "pool": [True, False], "hidden": [], "bias": False}
    network = Network.of_chain(cnn, [rng.normal(size=(3, 3, 1, 2)), rng.normal(size=(3, 3, 2, 3)),
                                     rng.normal(size=(75, 10))])
    images = rng.random((7, 28, 28, 1)).astype(np.float32)
    inputs = LayerInputs(network.graph, network.weights, "conv1", images, batch_images=3)
    matrix = np.asarray(inputs)
    assert matrix.shape == (7 * 11 * 11, 18) and len(inputs) == 7 * 11 * 11
    np.testing.assert_allclose(inputs.gram(), matrix.T.astype(np.float64) @ matrix, rtol=1e-5)
    np.testing.assert_allclose(inputs.squared_norms(), np.diag(inputs.gram()), rtol=1e-10)
    # rows times the kernel are the layer's pre-activations
    out = (matrix @ network.kernels[1].reshape(18, 3)).reshape(7, 11, 11, 3)
    from prunelab.models.layers.conv2d import conv2d
    from prunelab.models.layers.sliding import Sliding

    expected = conv2d(inputs_of(network.graph, network.weights, "conv1", images), network.kernels[1],
                      Sliding((3, 3), (1, 1), "valid"))
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_the_metrics_say_which_pruned_models_changed_their_surviving_weights():
    from prunelab.results.records import weights_changed

    rng = np.random.default_rng(7)
    network = Network.of_chain({**DENSE, "hidden": [8], "bias": True},
                               [rng.normal(size=(16, 8)), rng.normal(size=(8, 10))],
                               [rng.normal(size=8), rng.normal(size=10)])
    data = PruningData(calibration=rng.random((40, 16)).astype(np.float32), settings={"block": 8})
    for method, changed in (("weight", False), ("unit", False), ("sparsegpt", True), ("unit_refit", True)):
        pruned, _ = prune(network, BUILT_IN[method], 0.5, [0], data=data)
        assert weights_changed(network, pruned) == changed, method
