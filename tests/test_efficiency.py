import io

import numpy as np
import pytest

from prunelab.measuring import export
from prunelab.measuring.compaction import compact
from prunelab.measuring.efficiency import dense_flops, efficiency_stats, flops
from prunelab.measuring.latency import (MIN_REPEATS, RUNTIMES, latency_rows, measurably_different, sparse_form,
                                       time_call)
from prunelab.data.loading import features
from prunelab.methods.pruning import prune
from prunelab.methods.registry import BUILT_IN
from prunelab.methods.scope import pruned_layers
from prunelab.models.network import Network

DENSE = {"type": "dense", "hidden": [3, 2], "bias": False}
CNN = {"type": "cnn", "conv": [4, 6], "kernel_size": 3, "pool": [True, False], "hidden": [5], "bias": True}


def random_network(architecture, seed=0):
    rng = np.random.default_rng(seed)
    if architecture["type"] == "cnn":  # 28 -> 26 -> pool 13 -> 11: flatten 11*11*6
        shapes = [(3, 3, 1, 4), (3, 3, 4, 6), (11 * 11 * 6, 5), (5, 10)]
    else:
        shapes = [(784, 30), (30, 20), (20, 10)]
    kernels = [rng.normal(size=s).astype(np.float32) * 0.2 for s in shapes]
    biases = [rng.normal(size=s[-1]).astype(np.float32) * 0.1 for s in shapes] if architecture["bias"] else None
    return Network.of_chain(architecture, kernels, biases)


def images(n=64, seed=1):
    return np.random.default_rng(seed).integers(0, 256, (n, 28, 28)).astype(np.uint8)


def test_flops_count_macs_of_nonzero_weights_per_output_position():
    network = Network.of_chain(DENSE, [np.ones((4, 3)), np.ones((3, 2)), np.ones((2, 10))])
    assert dense_flops(network) == 12 + 6 + 20
    network.kernels[0][0, :] = 0
    assert flops(network) == 9 + 6 + 20
    cnn = random_network(CNN)
    assert cnn.output_positions() == [26 * 26, 11 * 11, 1, 1]
    assert dense_flops(cnn) == 26 * 26 * 36 + 11 * 11 * 216 + 726 * 5 + 50
    cnn.kernels[1][..., 0] = 0  # one filter fewer: 36 weights times 121 positions
    assert flops(cnn) == dense_flops(cnn) - 11 * 11 * 36


def test_a_depthwise_convolution_counts_its_own_multiply_accumulates():
    """A depthwise 3x3 ('same', stride 2) over 4 channels of an 8x8 image, between two 1x1 convs:
    16 output pixels times 36 weights, beside the convs' own; its zeroed weights do not count."""
    from prunelab.models.graph import Graph, Node
    from prunelab.models.network import Network

    def node(name, op, source, **config):
        return Node(name, op, {"name": name, **config}, (source,) if source else ())

    graph = Graph((node("in", "InputLayer", None, batch_shape=[None, 8, 8, 2]),
                   node("a", "Conv2D", "in", filters=4, kernel_size=1),
                   node("dw", "DepthwiseConv2D", "a", kernel_size=3, strides=2, padding="same"),
                   node("b", "Conv2D", "dw", filters=3, kernel_size=1)), "b")
    rng = np.random.default_rng(2)
    weights = {"a": {"kernel": rng.normal(size=(1, 1, 2, 4)).astype(np.float32)},
               "dw": {"kernel": rng.normal(size=(3, 3, 4, 1)).astype(np.float32)},
               "b": {"kernel": rng.normal(size=(1, 1, 4, 3)).astype(np.float32)}}
    network = Network({"type": "custom"}, graph, weights)
    assert dense_flops(network) == 64 * 8 + 16 * 36 + 16 * 12
    weights["dw"]["kernel"][:, :, 0] = 0
    assert flops(network) == 64 * 8 + 16 * 27 + 16 * 12


def test_stored_size_picks_the_smaller_format_per_layer():
    dense = np.ones((100, 50), np.float32)
    sparse = np.zeros((100, 50), np.float32)
    sparse[::10, ::5] = 1.0  # 100 non-zeros
    arrays = dict(np.load(io.BytesIO(export.to_bytes(Network.of_chain(DENSE, [dense, sparse, np.ones((50, 10))])))))
    assert arrays["W0"].shape == (100, 50)  # dense: 20,000 bytes beat CSR's 5 bytes per value
    assert "W1" not in arrays and arrays["W1.data"].size == 100
    assert arrays["W1.indices"].dtype == np.uint8 and arrays["W1.indptr"].dtype == np.uint8
    assert arrays["W1.data"].nbytes + arrays["W1.indices"].nbytes + arrays["W1.indptr"].nbytes == 400 + 100 + 101


def test_export_round_trip_is_exact(tmp_path):
    network = random_network(CNN)
    pruned, _ = prune(network, BUILT_IN["weight"], 0.9, [0, 1, 2])
    size = export.save(pruned, tmp_path / "model.npz")
    assert size == (tmp_path / "model.npz").stat().st_size == len(export.to_bytes(pruned))
    loaded = export.load(tmp_path / "model.npz")
    assert loaded.architecture == pruned.architecture
    for a, b in zip(loaded.parameters(), pruned.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("architecture", [DENSE, {**DENSE, "bias": True}, CNN], ids=["dense", "dense-bias", "cnn"])
@pytest.mark.parametrize("method, k", [("unit", 0.5), ("weight", 0.97), ("global_weight", 0.9)])
def test_compacted_model_predicts_exactly_like_the_masked_one(architecture, method, k):
    network = random_network(architecture)
    pruned, _ = prune(network, BUILT_IN[method], k, pruned_layers(network, "all_but_output"))
    compacted = compact(pruned)
    x = features(architecture, images())
    masked_logits, compact_logits = pruned.logits(x), compacted.logits(x)
    np.testing.assert_array_equal(np.argmax(compact_logits, 1), np.argmax(masked_logits, 1))
    np.testing.assert_allclose(compact_logits, masked_logits, rtol=1e-5, atol=1e-5)
    sparse_logits = sparse_form(pruned).logits(x)
    np.testing.assert_allclose(sparse_logits, masked_logits, rtol=1e-5, atol=1e-5)


def test_unit_pruning_compacts_to_the_surviving_widths():
    network = random_network({**DENSE, "bias": True})
    pruned, _ = prune(network, BUILT_IN["unit"], 0.5, [0, 1])
    compacted = compact(pruned)
    assert [k.shape for k in compacted.kernels] == [(784, 15), (15, 10), (10, 10)]
    assert compacted.file_architecture()["hidden"] == [15, 10]
    cnn = compact(prune(random_network(CNN), BUILT_IN["unit"], 0.5, [0, 1, 2])[0])
    assert [k.shape for k in cnn.kernels] == [(3, 3, 1, 2), (3, 3, 2, 3), (11 * 11 * 3, 2), (2, 10)]
    assert cnn.file_architecture()["conv"] == [2, 3] and cnn.file_architecture()["hidden"] == [2]


def test_constant_units_are_folded_into_the_next_bias():
    kernels = [np.ones((784, 2), np.float32), np.array([[1.0], [2.0]], np.float32), np.ones((1, 10), np.float32)]
    kernels[0][:, 1] = 0  # unit 1 has no inputs: it outputs ReLU(bias) = 0.5 forever
    biases = [np.array([0.0, 0.5], np.float32), np.array([0.1], np.float32), np.zeros(10, np.float32)]
    network = Network.of_chain({"type": "dense", "hidden": [2, 1], "bias": True}, kernels, biases)
    compacted = compact(network)
    assert compacted.kernels[0].shape == (784, 1)
    np.testing.assert_allclose(compacted.layer_bias(1), [0.1 + 2.0 * 0.5])
    x = features(network.architecture, images())
    np.testing.assert_allclose(compacted.logits(x), network.logits(x), rtol=1e-6)


def test_efficiency_stats_of_a_unit_pruned_model():
    network = random_network(DENSE)
    pruned, masks = prune(network, BUILT_IN["unit"], 0.5, [0, 1])
    x = features(DENSE, images())
    stats = efficiency_stats(network, pruned, masks)
    assert stats["compression_ratio"] == pytest.approx(2.0)
    assert stats["dense_flops"] == 784 * 30 + 30 * 20 + 200
    assert stats["flops"] == 784 * 15 + 30 * 10 + 200
    assert stats["compact_params"] == stats["compact_flops"] == 784 * 15 + 15 * 10 + 10 * 10
    assert stats["size_bytes"] < stats["dense_size_bytes"] / 1.8
    rows = latency_rows(pruned, x, [1, 8], repeats=3)
    assert sorted((r["runtime"], r["form"], r["batch_size"]) for r in rows) == sorted(
        (runtime, form, b) for runtime, forms in RUNTIMES.items() for form in forms for b in (1, 8))
    assert all(0 < r["q1_ms"] <= r["median_ms"] <= r["q3_ms"] and r["repeats"] == 3 for r in rows)


def test_dense_forms_that_compute_the_same_are_timed_once():
    network = random_network(DENSE)
    x, measured = features(DENSE, images()), {}
    dense = latency_rows(network, x, [1], repeats=3, measured=measured)
    assert len(measured) == 2  # the unpruned model in numpy and in ONNX Runtime (masked = compact)
    weight = latency_rows(prune(network, BUILT_IN["weight"], 0.5, [0, 1])[0], x, [1], repeats=3, measured=measured)
    timing = ["median_ms", "q1_ms", "q3_ms"]
    by_form = {(r["runtime"], r["form"]): [r[c] for c in timing] for r in weight}
    unpruned = {(r["runtime"], r["form"]): [r[c] for c in timing] for r in dense}
    assert by_form["numpy", "masked"] == unpruned["numpy", "masked"] == by_form["numpy", "compact"]
    assert by_form["numpy", "sparse"] != unpruned["numpy", "sparse"]  # the sparse form is timed every time
    latency_rows(prune(network, BUILT_IN["unit"], 0.5, [0, 1])[0], x, [1], repeats=3, measured=measured)
    assert len(measured) == 4  # the compacted unit-pruned model is smaller: timed in both runtimes


def test_timings_report_median_and_spread_and_differences_only_beyond_it():
    calls = iter([5, 1, 2, 3, 4, 9])  # warm-up values are not timed; repeats sleep 1..4 ms in order
    import time

    timing = time_call(lambda: time.sleep(next(calls) / 1000), repeats=4, warmup=1)
    assert timing["repeats"] == 4 and 2 <= timing["median_ms"] <= 4 and timing["q1_ms"] < timing["q3_ms"]
    # calls slower than the budget: the configured repeats cut to the fewest that give quartiles
    slow_calls = time_call(lambda: time.sleep(0.03), repeats=10, budget_s=0.05)
    assert slow_calls["repeats"] == MIN_REPEATS and slow_calls["median_ms"] >= 30
    assert time_call(lambda: None, repeats=10)["repeats"] == 10
    fast, slow = {"q1_ms": 1.0, "q3_ms": 2.0}, {"q1_ms": 2.5, "q3_ms": 3.0}
    assert measurably_different(fast, slow) and not measurably_different(fast, {"q1_ms": 1.9, "q3_ms": 3.0})


def test_onnx_runtime_predicts_like_the_numpy_model():
    from prunelab.measuring.onnx_export import run, session

    for architecture in (DENSE, {**DENSE, "bias": True}, CNN):
        network = random_network(architecture)
        for pruned in (network, compact(prune(network, BUILT_IN["unit"], 0.5, [0, 1])[0])):
            x = features(architecture, images(100))
            np.testing.assert_allclose(run(session(pruned), x), pruned.logits(x), rtol=1e-5, atol=1e-5)


def test_keras_model_from_an_exported_file_predicts_like_numpy(tensorflow, tmp_path):
    network = random_network(CNN)
    compacted = compact(prune(network, BUILT_IN["unit"], 0.5, [0, 1, 2])[0])
    export.save(compacted, tmp_path / "model.npz")
    model = export.load_keras(tmp_path / "model.npz")
    x = features(CNN, images(200))
    expected = compacted.logits(x)
    np.testing.assert_array_equal(np.argmax(model.predict(x, verbose=0), 1), np.argmax(expected, 1))


def test_a_constant_the_padding_would_meet_stays():
    """A channel that lost every input feeds a 'same' convolution: at the image border the padding's
    zeros meet it, so no bias can take it over, and it stays; feeding a 'valid' one it goes."""
    from prunelab.models.graph import Graph, Node
    from prunelab.models.network import Network

    def node(name, op, source, **config):
        return Node(name, op, {"name": name, **config}, (source,) if source else ())

    rng = np.random.default_rng(4)
    for padding, expected in (("same", 3), ("valid", 2)):
        graph = Graph((node("in", "InputLayer", None, batch_shape=[None, 6, 6, 2]),
                       node("a", "Conv2D", "in", filters=3, kernel_size=1, activation="relu"),
                       node("b", "Conv2D", "a", filters=4, kernel_size=3, padding=padding, activation="relu"),
                       node("flat", "Flatten", "b"), node("out", "Dense", "flat", units=2, activation="softmax")),
                      "out")
        weights = {"a": {"kernel": rng.normal(size=(1, 1, 2, 3)).astype(np.float32), "bias": np.ones(3, np.float32)},
                   "b": {"kernel": rng.normal(size=(3, 3, 3, 4)).astype(np.float32), "bias": np.zeros(4, np.float32)},
                   "out": {"kernel": rng.normal(size=(int(np.prod(graph.shapes["flat"])), 2)).astype(np.float32),
                           "bias": np.zeros(2, np.float32)}}
        weights["a"]["kernel"][..., 0] = 0
        network = Network({"type": "custom"}, graph, weights)
        small = compact(network)
        assert small.weights["a"]["kernel"].shape[-1] == expected
        x = rng.uniform(size=(5, 6, 6, 2)).astype(np.float32)
        np.testing.assert_allclose(small.logits(x), network.logits(x), rtol=1e-5, atol=1e-5)
