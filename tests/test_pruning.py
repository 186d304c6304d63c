import numpy as np
import pytest

from prunelab.methods.global_weight import global_weight_masks
from prunelab.methods.pruning import PruningData, load_method, prune
from prunelab.methods.random import random_masks
from prunelab.methods.registry import BUILT_IN
from prunelab.methods.scope import pruned_layers
from prunelab.methods.selection import count_to_prune, smallest, unit_norms
from prunelab.methods.selection import magnitude_mask as weight_mask
from prunelab.methods.selection import smallest_units_mask as unit_mask
from prunelab.models.network import Network

DENSE = {"type": "dense", "hidden": [10, 8], "bias": False}


def dense_network(bias=False, seed=2):
    rng = np.random.default_rng(seed)
    kernels = [rng.normal(size=(20, 10)), rng.normal(size=(10, 8)) * 100, rng.normal(size=(8, 3)) * 1e-3]
    biases = [rng.normal(size=k.shape[-1]) for k in kernels] if bias else None
    return Network.of_chain({**DENSE, "bias": bias}, kernels, biases)


def test_count_to_prune_rounds_half_up_and_clips():
    assert count_to_prune(0.0, 10) == 0
    assert count_to_prune(0.25, 10) == 3  # 2.5 rounds up
    assert count_to_prune(0.24, 10) == 2
    assert count_to_prune(0.7, 1000) == 700  # 0.7 * 1000 is 700.0000000000001
    assert count_to_prune(0.999, 200) == 200  # 199.8 rounds to every weight
    assert count_to_prune(1.0, 7) == 7
    with pytest.raises(ValueError):
        count_to_prune(1.5, 10)


def test_weight_mask_removes_exactly_the_smallest_magnitudes():
    w = np.array([[0.5, -0.1], [-0.9, 0.2], [0.05, -0.3]], dtype=np.float32)
    keep = weight_mask(w, 0.5)
    assert keep.shape == w.shape and keep.dtype == bool
    assert keep.tolist() == [[True, False], [True, False], [False, True]]


def test_weight_mask_breaks_ties_by_position():
    w = np.array([1.0, -1.0, 1.0, 1.0, 2.0])
    assert weight_mask(w, 0.4).tolist() == [False, False, True, True, True]


@pytest.mark.parametrize("k", [0.0, 0.25, 0.5, 0.6, 0.9, 0.97, 0.99, 0.995, 0.999])
def test_weight_mask_counts_are_exact(k):
    w = np.random.default_rng(0).normal(size=(300, 70)).astype(np.float32)
    assert (~weight_mask(w, k)).sum() == count_to_prune(k, w.size)


def test_k_zero_keeps_everything_and_k_near_one_keeps_almost_nothing():
    w = np.random.default_rng(1).normal(size=(50, 40))
    assert weight_mask(w, 0.0).all() and unit_mask(w, 0.0).all()
    assert weight_mask(w, 0.999).sum() == 2000 - count_to_prune(0.999, 2000) == 2
    assert unit_mask(w, 0.999).sum() == 0  # 39.96 of 40 units rounds to all of them


def test_unit_mask_removes_whole_columns_of_smallest_l2_norm():
    w = np.array([[3.0, 0.1, 1.0, -2.0], [4.0, 0.1, -1.0, 0.0]])  # column norms 5, 0.14, 1.41, 2
    keep = unit_mask(w, 0.5)
    assert keep.tolist() == [[True, False, False, True]] * 2
    np.testing.assert_allclose(unit_norms(w), [5.0, np.sqrt(0.02), np.sqrt(2), 2.0])


def test_unit_mask_ties_go_by_position():
    assert unit_mask(np.ones((3, 4)), 0.5)[0].tolist() == [False, False, True, True]


def test_conv_filters_are_ranked_by_the_l2_norm_of_their_whole_kernel():
    kernel = np.zeros((3, 3, 2, 4))  # height, width, in channels, filters
    kernel[..., 0] = 1.0  # norm sqrt(18)
    kernel[0, 0, 0, 1] = 5.0  # norm 5: one big weight
    kernel[:, :, 1, 2] = 0.5  # norm 1.5
    kernel[..., 3] = 0.4  # norm sqrt(2.88)
    np.testing.assert_allclose(unit_norms(kernel), [np.sqrt(18), 5, 1.5, np.sqrt(2.88)])
    keep = unit_mask(kernel, 0.5)
    assert keep.shape == kernel.shape
    assert [bool(keep[..., f].all()) for f in range(4)] == [True, True, False, False]
    assert not keep[..., 2].any() and not keep[..., 3].any()


def test_layerwise_prunes_each_layer_alike_and_never_the_output_layer():
    network = dense_network()
    layers = pruned_layers(network, "all_but_output")
    assert layers == [0, 1]
    for method in ("weight", "unit", "random"):
        pruned, masks = prune(network, BUILT_IN[method], 0.5, layers)
        assert masks[-1] is None
        np.testing.assert_array_equal(pruned.kernels[-1], network.kernels[-1])
        # per layer: each hidden layer loses half, however different the layers' scales
        assert [np.count_nonzero(k == 0) for k in pruned.kernels[:-1]] == [100, 40]
        for original, kept, mask in zip(network.kernels[:-1], pruned.kernels[:-1], masks[:-1]):
            np.testing.assert_array_equal(kept[mask], original[mask])


def test_global_threshold_prunes_the_small_layer_first():
    small, large = np.full((2, 3), 0.1), np.arange(1.0, 7.0).reshape(3, 2)
    masks = global_weight_masks([small, large], 0.5)
    assert not masks[0].any() and masks[1].all()  # all six 0.1s go before any of 1..6
    masks = global_weight_masks([small, large], 0.75)
    assert masks[1].tolist() == [[False, False], [False, True], [True, True]]
    # a per-layer rule removes the same fraction everywhere instead
    assert [int((~m).sum()) for m in BUILT_IN["weight"].masks([small, large], 0.5)] == [3, 3]


def test_global_ties_go_by_layer_then_position():
    masks = global_weight_masks([np.ones(3), np.ones(3)], 0.5)
    assert [m.tolist() for m in masks] == [[False, False, False], [True, True, True]]


def test_random_pruning_is_exact_seeded_and_not_magnitude_based():
    weights = [np.arange(1.0, 101.0).reshape(10, 10)]
    first = random_masks(weights, 0.3, seed=7)[0]
    assert (~first).sum() == 30
    np.testing.assert_array_equal(first, random_masks(weights, 0.3, seed=7)[0])
    assert not np.array_equal(first, random_masks(weights, 0.3, seed=8)[0])
    assert not np.array_equal(first, weight_mask(weights[0], 0.3))


def test_unit_pruning_zeroes_the_biases_of_removed_units_only():
    network = dense_network(bias=True)
    pruned, masks = prune(network, BUILT_IN["unit"], 0.5, [0, 1])
    for index in (0, 1):
        removed = ~masks[index].any(axis=0)
        assert removed.sum() == network.kernels[index].shape[1] // 2
        assert (pruned.biases[index][removed] == 0).all()
        np.testing.assert_array_equal(pruned.biases[index][~removed], network.biases[index][~removed])
    np.testing.assert_array_equal(pruned.biases[2], network.biases[2])
    # weight pruning leaves every bias alone
    weight_pruned, _ = prune(network, BUILT_IN["weight"], 0.5, [0, 1])
    for a, b in zip(weight_pruned.biases, network.biases):
        np.testing.assert_array_equal(a, b)


def test_layer_selection():
    cnn = Network.of_chain({"type": "cnn"},
                           [np.ones((3, 3, 1, 4)), np.ones((3, 3, 4, 4)), np.ones((16, 5)), np.ones((5, 2))])
    assert pruned_layers(cnn, "conv") == [0, 1]
    assert pruned_layers(cnn, "all_but_output") == [0, 1, 2]
    assert pruned_layers(cnn, [3, 0]) == [0, 3]
    with pytest.raises(ValueError, match="indices below 4"):
        pruned_layers(cnn, [4])


def test_prune_does_not_modify_its_input_and_rejects_methods_without_a_mask_function():
    network = dense_network(bias=True)
    copies = [k.copy() for k in network.kernels + network.biases]
    data = PruningData(x=np.random.default_rng(0).random((8, 20)), labels=np.arange(8) % 3,
                       calibration=np.random.default_rng(1).random((8, 20)).astype(np.float32),
                       settings={"n_of_m": (1, 2), "rounds": 3, "group": "unit", "block": 4})
    for method in [m for m in BUILT_IN.values() if m.masks is not None]:
        prune(network, method, 0.5, [0, 1], data=data)
    for a, b in zip(network.kernels + network.biases, copies):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="has no mask function"):
        prune(network, BUILT_IN["gradual"], 0.5, [0])
    with pytest.raises(ModuleNotFoundError, match="nonsense"):
        load_method({"name": "nonsense", "source": "prunelab.methods.nonsense", "runs": "one_shot"})
    assert {"weight", "unit", "global_weight", "random"} <= set(BUILT_IN)


@pytest.mark.parametrize("count", [0, 1, 7, 50, 199, 200])
def test_linear_time_selection_matches_a_stable_sort(count):
    scores = np.random.default_rng(count).integers(0, 5, 200).astype(np.float32)  # many ties
    expected = np.sort(np.argsort(scores, kind="stable")[:count])
    np.testing.assert_array_equal(np.sort(smallest(scores, count)), expected)
