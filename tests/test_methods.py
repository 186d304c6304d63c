"""The field's pruning methods on hand-made arrays: N:M, saliency, SNIP and SynFlow scores,
the gradual schedule, lottery rounds, exact counts, custom methods and the scratch embedding."""

import math
from fractions import Fraction

import numpy as np
import pytest

from prunelab.measuring.compaction import compact, embed
from prunelab.methods.custom import custom_method, load_custom_method
from prunelab.methods.finetuning import round_schedule
from prunelab.methods.gradual import gradual_schedule
from prunelab.methods.lottery import lottery_k, lottery_masks
from prunelab.methods.magnitude_gradient import magnitude_gradient_masks
from prunelab.methods.method import check_masks
from prunelab.methods.n_of_m import n_of_m_masks
from prunelab.methods.pattern import n_of_m_mask
from prunelab.methods.pruning import PruningData, prune
from prunelab.methods.registry import BUILT_IN, custom_methods
from prunelab.methods.selection import count_to_prune
from prunelab.methods.synflow import synflow_gradients, synflow_masks
from prunelab.models.gradients import loss_gradients
from prunelab.models.network import Network

TWO_LAYER = {"type": "dense", "hidden": [2], "bias": False}


def two_layer():
    """x = [1, 2] -> W1 -> ReLU -> W2 -> logits, small enough to differentiate by hand."""
    return Network.of_chain(TWO_LAYER, [np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])])


def test_counts_are_exact_for_decimal_halves():
    assert 0.7 * 45 < 31.5 and count_to_prune(0.7, 45) == 32  # 31.5 exactly, rounded up
    assert count_to_prune(0.15, 10) == 2  # 1.5
    assert count_to_prune(Fraction(1, 3), 3) == 1
    # the rounds' k·i/r are exact too: 0.7 · 1/3 of 45 is 10.5 (floating point: 10.4999...)
    (first_k, _), *_ = round_schedule(0.7, 3, 3)
    assert first_k == Fraction(7, 30) and 0.7 * (1 / 3) * 45 < 10.5 and count_to_prune(first_k, 45) == 11
    with pytest.raises(ValueError, match="k must lie in"):
        count_to_prune(1.01, 3)


def test_n_of_m_keeps_the_n_largest_of_every_m_consecutive_inputs_of_each_unit():
    kernel = np.array([[0.1, -5.0], [0.4, 1.0], [-0.3, 2.0], [0.2, 0.5],   # first group of 4 rows
                       [1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.5, 3.0]])   # second group, with ties
    keep = n_of_m_mask(kernel, 2, 4)
    assert keep[:, 0].tolist() == [False, True, True, False, True, True, False, False]  # ties: earlier rows
    assert keep[:, 1].tolist() == [True, False, True, False, True, False, False, True]
    assert (keep.reshape(2, 4, 2).sum(axis=1) == 2).all()  # exactly 2 of every 4 in every column
    with pytest.raises(ValueError, match="m dividing the fan-in 8"):
        n_of_m_mask(kernel, 1, 3)
    with pytest.raises(ValueError, match="removes exactly k = 0.5"):
        n_of_m_masks([kernel], 0.75, settings={"n_of_m": (2, 4)})


def test_n_of_m_groups_conv_inputs_along_channels():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 4, 5))
    keep = n_of_m_mask(kernel, 1, 4)
    assert keep.shape == kernel.shape and (keep.sum(axis=2) == 1).all()  # one of 4 channels per position
    assert (np.abs(kernel) * keep).max(axis=2).tolist() == np.abs(kernel).max(axis=2).tolist()


def test_loss_gradients_and_snip_scores_of_a_two_layer_network_by_hand():
    network, x, label = two_layer(), np.array([[1.0, 2.0]]), np.array([0])
    # hidden [2, 3] (both active), logits [2, 3], softmax [1 - s, s] with s = e / (1 + e)
    s = math.e / (1 + math.e)
    dz = np.array([-s, s])  # softmax - one-hot
    expected = [np.array([[1.0], [2.0]]) @ dz[None, :],  # x^T (dz W2^T), W2 the identity
                np.array([[2.0], [3.0]]) @ dz[None, :]]  # h^T dz
    for got, want in zip(loss_gradients(network, x, label), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    saliency = [np.abs(w * g) for w, g in zip(network.kernels, expected)]
    np.testing.assert_allclose(saliency[0], [[s, s], [s, 4 * s]])
    np.testing.assert_allclose(saliency[1], [[2 * s, 0], [0, 3 * s]])
    # SNIP at k = 0.5 removes the 4 smallest of the 8 scores over both layers: both zeros,
    # then the earliest two of the three equal to s
    _, masks = prune(network, BUILT_IN["snip"], 0.5, [0, 1], data=PruningData(x=x, labels=label))
    assert masks[0].tolist() == [[False, False], [True, True]] and masks[1].tolist() == [[True, False], [False, True]]
    # the per-layer rule removes half of each layer instead
    per_layer = magnitude_gradient_masks(network.kernels, 0.5, gradients=expected)
    assert [int((~m).sum()) for m in per_layer] == [2, 2]


def test_synflow_scores_of_a_two_layer_network_by_hand():
    network = two_layer()
    # |W1| on an all-ones input: hidden [1.5, 3]; R = sum of the logits = 4.5
    gradients = synflow_gradients(network)
    np.testing.assert_allclose(gradients[0], np.ones((2, 2)))  # dR/dW1[i, j] = 1 * (row sums of |W2|)_j
    np.testing.assert_allclose(gradients[1], [[1.5, 1.5], [3.0, 3.0]])  # dR/dW2[i, j] = hidden_i
    scores = [np.abs(g * w) for g, w in zip(gradients, network.kernels)]  # [[1, 1], [.5, 2]], [[1.5, 0], [0, 3]]
    masks = synflow_masks(network.kernels, 0.5, network=network, layers=[0, 1], settings={"rounds": 1})
    assert masks[0].tolist() == [[False, True], [False, True]] and masks[1].tolist() == [[True, False], [False, True]]
    assert scores[0][1, 0] == 0.5


def test_synflow_rounds_shrink_the_kept_fraction_exponentially_to_exactly_k():
    rng = np.random.default_rng(0)
    network = Network.of_chain(TWO_LAYER | {"hidden": [20]}, [rng.normal(size=(30, 20)), rng.normal(size=(20, 10))])
    masks = synflow_masks(network.kernels, 0.9, network=network, layers=[0, 1], settings={"rounds": 10})
    assert sum(int((~m).sum()) for m in masks) == count_to_prune(0.9, 800)
    assert all(m.any() for m in masks)  # no layer collapses


def test_gradual_schedule_follows_the_cubic_formula_and_ends_exactly_at_k():
    schedule = gradual_schedule(0.8, total_steps=12, initial_sparsity=0, begin_step=0, end_step=10, frequency=4,
                                power=3)
    assert list(schedule) == [0, 4, 8, 10]  # every 4 steps, and the end step
    expected = {step: 0.8 + (0 - 0.8) * (1 - step / 10) ** 3 for step in schedule}
    assert {step: float(s) for step, s in schedule.items()} == pytest.approx(expected)
    assert schedule[10] == Fraction(4, 5) and schedule[0] == 0
    assert list(gradual_schedule(0.5, total_steps=5, initial_sparsity=0.2, begin_step=3, end_step=3, frequency=100,
                                 power=3).items()) == [(3, Fraction(1, 2))]
    with pytest.raises(ValueError, match="does not fit in 10 training steps"):
        gradual_schedule(0.5, total_steps=10, initial_sparsity=0, begin_step=0, end_step=10, frequency=1, power=3)


def test_lottery_rounds_prune_a_fraction_of_the_remaining_weights_and_the_output_at_its_own_rate():
    rng = np.random.default_rng(3)
    network = Network.of_chain(TWO_LAYER | {"hidden": [10]}, [rng.normal(size=(20, 10)), rng.normal(size=(10, 10))])
    first = lottery_masks(network, None, layers=[0], rate=0.2, output_rate=0.1)
    assert (~first[0]).sum() == 40 and (~first[1]).sum() == 10  # 20 % of 200, 10 % of 100
    np.testing.assert_array_equal(first[0], prune(network, BUILT_IN["weight"], 0.2, [0])[1][0])  # smallest |w| first
    # the next round prunes from other (retrained) weights, keeping every earlier removal
    retrained = network.with_weights([rng.normal(size=(20, 10)), rng.normal(size=(10, 10))])
    second = lottery_masks(retrained, first, layers=[0], rate=0.2, output_rate=0.1)
    assert (~second[0]).sum() == 40 + 32 and (~second[1]).sum() == 10 + 9  # of the remaining 160 and 90
    assert (~first[0] <= ~second[0]).all() and (~first[1] <= ~second[1]).all()
    assert lottery_k(0.2, 2) == pytest.approx(0.36)
    kept = lottery_masks(network, None, layers=[0], rate=0.2, output_rate=0)
    assert kept[1] is None  # output rate 0: the output layer is left alone


def test_embedding_a_narrow_network_keeps_its_function():
    rng = np.random.default_rng(0)
    cnn = {"type": "cnn", "conv": [4, 6], "kernel_size": 3, "pool": [True, False], "hidden": [5], "bias": True}
    full = Network.of_chain(cnn, [rng.normal(size=s) for s in [(3, 3, 1, 4), (3, 3, 4, 6), (11 * 11 * 6, 5), (5, 10)]],
                            [rng.normal(size=n) for n in (4, 6, 5, 10)])
    narrow, _ = prune(full, BUILT_IN["unit"], 0.5, [0, 1, 2])
    small = compact(narrow)
    assert [k.shape[-1] for k in small.kernels] == [2, 3, 2, 10]
    embedded, blocks = embed(small, full)
    assert [k.shape for k in embedded.kernels] == [k.shape for k in full.kernels]
    assert [int(b.sum()) for b in blocks] == [k.size for k in small.kernels]
    x = rng.random((3, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(embedded.logits(x), small.logits(x), rtol=1e-5, atol=1e-5)


def test_custom_methods_load_from_a_file_and_are_checked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.py").write_text("import numpy as np\n"
                                      "def keep_first(weights, k, seed):\n"
                                      "    '''Keep the first half of every layer.'''\n"
                                      "    return [np.arange(w.size).reshape(w.shape) < w.size // 2 for w in weights]\n"
                                      "def wrong(weights, k, seed):\n    return [w > 0 for w in weights[:1]]\n"
                                      "def two_args(weights, k):\n    return weights\n"
                                      "def asks(weights, k, seed, gradients, network, wish=1):\n    return weights\n"
                                      "def unknown(weights, k, seed, labels):\n    return weights\n")
    method = load_custom_method("keep_first", "mine.py:keep_first")
    assert method.name == "keep_first" and method.summary == "Keep the first half of every layer."
    assert method.needs == () and method.runs == "one_shot" and method.source == "mine.py:keep_first"
    network = two_layer()
    pruned, masks = prune(network, method, 0.5, [0, 1])
    assert masks[0].tolist() == [[True, True], [False, False]]
    wrong = load_custom_method("wrong", "mine.py:wrong")
    with pytest.raises(ValueError, match="expected a list of 2 masks"):
        prune(network, wrong, 0.5, [0, 1])
    with pytest.raises(TypeError, match=r"must take \(weights, k, seed\)"):
        load_custom_method("two_args", "mine.py:two_args")
    assert load_custom_method("asks", "mine.py:asks").needs == ("gradients", "network")  # by name; defaults free
    with pytest.raises(TypeError, match="asks for labels; a mask function can ask for gradients, inputs"):
        load_custom_method("unknown", "mine.py:unknown")
    at_init = load_custom_method("asks", "mine.py:asks", "at_init")
    assert at_init.trains and at_init.rule == "prune_at_init" and at_init.needs == ("gradients", "network")
    with pytest.raises(ValueError, match="built-in method"):
        custom_methods({"pruning": {"custom_methods": {"weight": "mine.py:keep_first"}}})
    with pytest.raises(FileNotFoundError, match="no file 'missing.py'"):
        load_custom_method("missing", "missing.py:f")
    with pytest.raises(ValueError, match="boolean array of shape"):
        check_masks("m", [np.ones((2, 2))], [np.ones((2, 2))])
    assert custom_method("x", lambda *args: args).name == "x"


def test_every_built_in_method_is_registered_once_with_how_it_runs():
    expected = {"weight", "unit", "global_weight", "random", "magnitude_gradient", "global_magnitude_gradient",
                "n_of_m", "snip", "synflow", "gradual", "lottery", "lottery_reinit", "scratch"}
    assert expected <= set(BUILT_IN)
    assert {m.name for m in BUILT_IN.values() if m.trains} == {"snip", "synflow", "gradual", "lottery",
                                                              "lottery_reinit", "scratch"}
    assert all(m.summary and m.paper and m.color for m in BUILT_IN.values())


def test_a_method_asking_for_inputs_prunes_layer_by_layer_through_the_layers_already_pruned():
    from prunelab.models.calibration import layer_inputs

    method = load_custom_method("input_weighted", "tests/custom_method.py:input_weighted")
    assert method.needs == ("inputs",) and method.layer_by_layer
    rng = np.random.default_rng(4)
    network = Network.of_chain(TWO_LAYER | {"hidden": [6]}, [rng.normal(size=(8, 6)), rng.normal(size=(6, 10))])
    images = rng.random((20, 8)).astype(np.float32)
    pruned, masks = prune(network, method, 0.5, [0, 1], data=PruningData(calibration=images))
    assert [int((~m).sum(axis=0).max()) for m in masks] == [4, 3]  # half of each unit's inputs
    # layer 1 was scored on its inputs through the pruned layer 0, not the trained one
    through_pruned = np.asarray(layer_inputs(network.with_weights([pruned.kernels[0], network.kernels[1]]), 1, images))
    x = through_pruned.astype(np.float64)
    np.testing.assert_allclose(layer_inputs(pruned, 1, images).gram(), x.T @ x, rtol=1e-6)
    score = np.abs(network.kernels[1]) * np.linalg.norm(x, axis=0)[:, None]
    expected = np.ones(score.shape, dtype=bool)
    np.put_along_axis(expected, np.argsort(score, axis=0, kind="stable")[:3], False, axis=0)
    np.testing.assert_array_equal(masks[1], expected)
    with pytest.raises(ValueError, match="needs inputs: no calibration images"):
        prune(network, method, 0.5, [0, 1])
