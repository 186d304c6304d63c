import numpy as np
import pytest

from prunelab.pruning import METHODS, count_to_prune, prunable_layers, prune, unit_mask, unit_norms, weight_mask


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
    w = np.ones((3, 4))
    assert unit_mask(w, 0.5)[0].tolist() == [False, False, True, True]


def test_prune_is_per_layer_and_never_touches_the_output_layer():
    rng = np.random.default_rng(2)
    kernels = [rng.normal(size=(20, 10)), rng.normal(size=(10, 8)) * 100, rng.normal(size=(8, 3)) * 1e-3]
    for method in ("weight", "unit"):
        pruned, masks = prune(kernels, method, 0.5)
        assert masks[-1] is None
        np.testing.assert_array_equal(pruned[-1], kernels[-1])
        # per layer: each hidden layer loses half, however different the layers' scales
        assert [np.count_nonzero(p == 0) for p in pruned[:-1]] == [100, 40]
        for original, kept, mask in zip(kernels[:-1], pruned[:-1], masks[:-1]):
            np.testing.assert_array_equal(kept[mask], original[mask])
    assert prunable_layers(3) == [0, 1]


def test_prune_does_not_modify_its_input_and_rejects_unknown_methods():
    kernels = [np.arange(1.0, 7.0).reshape(2, 3), np.ones((3, 2))]
    copy = [k.copy() for k in kernels]
    prune(kernels, "weight", 0.5)
    for a, b in zip(kernels, copy):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(KeyError, match="registered"):
        prune(kernels, "nonsense", 0.5)
    assert {"weight", "unit"} <= set(METHODS)
