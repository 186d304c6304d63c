"""Quantization after pruning: Deep Compression's weight sharing and storage counts checked by
hand, ONNX Runtime's int8 model, the config's checks, and the stage run on the CNN smoke run."""

import numpy as np
import pandas as pd
import pytest

from conftest import CNN_SMOKE, snakemake
from prunelab.data.loading import features, load_split
from prunelab.models.gradients import loss_gradients
from prunelab.models.network import Network
from prunelab.plumbing.config import ConfigError, validate_config
from prunelab.quantizing import storage
from prunelab.quantizing.int8 import int8_predictor, quantized_onnx
from prunelab.quantizing.weight_sharing import cluster, fine_tune_centroids, share_layer, share_weights, with_shared
from test_workflow import extra_config

DENSE = {"type": "dense", "hidden": [6], "bias": True}
CNN_SMOKE_ARCHITECTURE = {"type": "cnn"}  # what features() reads: images keep their shape


def small_network(seed=0, keep=0.5):
    """A 12-6-10 MLP with biases, about half of each kernel zeroed."""
    rng = np.random.default_rng(seed)
    kernels = [rng.normal(size=(12, 6)), rng.normal(size=(6, 10))]
    kernels = [np.where(rng.random(k.shape) < keep, k, 0.0).astype(np.float32) for k in kernels]
    return Network.of_chain(DENSE, kernels, [rng.normal(size=6).astype(np.float32),
                                             rng.normal(size=10).astype(np.float32)])


def test_kmeans_starts_linear_and_settles_by_hand():
    values = np.array([-1.0, -0.9, 0.1, 0.2, 0.3, 2.0])
    centroids, assignment = cluster(values, bits=1)  # 2 centroids from -1 and 2
    # start: -1 and 2, boundary 0.5 -> {-1, -0.9, 0.1, 0.2, 0.3} and {2}; means -0.26 and 2: stable
    np.testing.assert_allclose(centroids, [-0.26, 2.0])
    np.testing.assert_array_equal(assignment, [0, 0, 0, 0, 0, 1])
    centroids, assignment = cluster(values, bits=2)  # -1, 0, 1, 2
    # {-1,-0.9} {0.1,0.2,0.3} {} {2}: the empty centroid keeps its place
    np.testing.assert_allclose(centroids, [-0.95, 0.2, 1.0, 2.0])
    np.testing.assert_array_equal(assignment, [0, 0, 1, 1, 1, 3])


def test_shared_weights_keep_the_zeros_and_take_at_most_2_to_the_bits_values():
    network = small_network()
    layers = share_weights(network, [2, 3])
    shared = with_shared(network, layers)
    for before, after, bits in zip(network.kernels, shared.kernels, [2, 3]):
        np.testing.assert_array_equal(after == 0, before == 0)
        assert len(np.unique(after[after != 0])) <= 2 ** bits


def test_fine_tuning_moves_each_centroid_by_its_weights_summed_gradient():
    network = small_network()
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(8, 12)).astype(np.float32), rng.integers(0, 10, 8)
    layers = share_weights(network, [2, 2])
    before = [layer.centroids.copy() for layer in layers]
    gradients = loss_gradients(with_shared(network, layers), x, labels)
    fine_tune_centroids(network, layers, x, labels, epochs=1, learning_rate=0.5, batch_size=8, seed=0)
    for layer, start, gradient in zip(layers, before, gradients):
        by_hand = [gradient.reshape(-1)[layer.positions][layer.assignment == c].sum() for c in range(4)]
        np.testing.assert_allclose(layer.centroids, start - 0.5 * np.array(by_hand), rtol=1e-10)
    tuned = with_shared(network, layers)
    for original, kernel in zip(network.kernels, tuned.kernels):
        np.testing.assert_array_equal(kernel == 0, original == 0)  # the mask is fixed
        assert len(np.unique(kernel[kernel != 0])) <= 4  # the weights stay tied


def test_huffman_bits_by_hand():
    # counts 5, 2, 1, 1: codes of 1, 2, 3 and 3 bits -> 5 + 4 + 3 + 3
    assert storage.huffman_bits(list("aaaaabbcd")) == 15
    assert storage.huffman_bits([7, 7, 7]) == 3  # one kind of symbol: a bit each
    assert storage.huffman_bits([]) == 0


def test_distances_get_a_filler_beyond_the_index_bits():
    mask = np.zeros(20, bool)
    mask[[0, 3, 12, 19]] = True
    distances, survivors = storage.relative_positions(mask, index_bits=2)  # distances 1..4
    # 0: 1; 3: 3; 12: 9 = 4 + 4 + 1 (two fillers); 19: 7 = 4 + 3 (one filler)
    np.testing.assert_array_equal(distances, [1, 3, 4, 4, 1, 4, 3])
    np.testing.assert_array_equal(survivors, [0, 1, 4, 6])
    layer = storage.layer_storage(np.array([0, 1, 1, 0]), mask, bits=2, index_bits=2)
    assert layer["fillers"] == 3 and layer["weight_bits"] == 7 * 2 and layer["index_bits"] == 7 * 2
    assert layer["codebook_bits"] == 4 * 32
    # codes 0, 1, 1, 0 and three fillers: counts 3, 2, 2 -> 1 + 2 + 2 bits: 3 + 4 + 4
    assert layer["weight_huffman_bits"] == 11
    # distances: 4 three times, 1 and 3 twice each -> 1, 2, 2 bits: 3 + 4 + 4
    assert layer["index_huffman_bits"] == 11


def test_positions_run_in_caffes_layout():
    kernel = np.arange(6).reshape(2, 3)  # Keras: 2 inputs, 3 outputs
    np.testing.assert_array_equal(storage.caffe_order(kernel), [[0, 3], [1, 4], [2, 5]])
    conv = np.arange(2 * 2 * 3 * 4).reshape(2, 2, 3, 4)
    assert storage.caffe_order(conv).shape == (4, 3, 2, 2)
    assert storage.caffe_order(conv)[1, 2, 0, 1] == conv[0, 1, 2, 1]


def test_model_storage_adds_up_the_layers_and_keeps_the_rest_float():
    network = small_network()
    layers = share_weights(network, [2, 3])
    sizes = storage.model_storage(network, layers, [2, 3], [3, 3])
    assert sizes["dense_bytes"] == 4 * (12 * 6 + 6 + 6 * 10 + 10) == storage.dense_bytes(network)
    biases_bits = 32 * (6 + 10)
    per_layer = sizes["layer_storage"]
    assert [layer["weights"] for layer in per_layer] == [np.count_nonzero(k) for k in network.kernels]
    assert sizes["quantized_bytes"] * 8 == biases_bits + sum(
        layer["weight_bits"] + layer["index_bits"] + layer["codebook_bits"] for layer in per_layer)
    assert sizes["huffman_bytes"] <= sizes["quantized_bytes"] < sizes["pruned_bytes"]
    assert sizes["compression"] == sizes["dense_bytes"] / sizes["huffman_bytes"]


def test_int8_onnx_model_is_integer_and_close_to_the_float_model():
    import onnx

    rng = np.random.default_rng(0)
    cnn = {"type": "cnn", "conv": [4, 6], "kernel_size": 3, "pool": [True, False], "hidden": [5], "bias": True}
    network = Network.of_chain(cnn, [(rng.normal(size=s) * 0.3).astype(np.float32)
                                     for s in [(3, 3, 1, 4), (3, 3, 4, 6), (11 * 11 * 6, 5), (5, 10)]],
                               [(rng.normal(size=n) * 0.1).astype(np.float32) for n in (4, 6, 5, 10)])
    x = rng.random((64, 28, 28, 1)).astype(np.float32)
    model = quantized_onnx(network, x[:32])
    graph = onnx.load_from_string(model).graph
    assert {"QuantizeLinear", "DequantizeLinear"} <= {node.op_type for node in graph.node}
    int8_weights = [t for t in graph.initializer if t.data_type == onnx.TensorProto.INT8 and len(t.dims) > 1]
    assert len(int8_weights) == 4  # every kernel stored in int8
    logits = int8_predictor(model)(x)
    reference = network.logits(x)
    assert np.abs(logits - reference).mean() < 0.05 * np.abs(reference).mean()
    assert np.mean(logits.argmax(1) == reference.argmax(1)) >= 0.9


def test_every_quantization_a_config_may_name_has_its_function():
    from prunelab.quantizing import QUANTIZATIONS
    from prunelab.quantizing.quantizers import QUANTIZERS

    assert tuple(QUANTIZERS) == QUANTIZATIONS


def test_a_bad_quantization_is_refused_by_name():
    config = {"pruning": {"methods": ["weight"], "k": [0, 0.5]},
              "quantization": {"methods": ["kmeans", "fp4"], "k": [0.7], "pruning_methods": ["unit"]}}
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    message = str(error.value)
    assert "quantization.methods: ['fp4'] not in the quantizations (kmeans, int8, litert)" in message
    assert "quantization.k: [0.7] not in pruning.k (0, 0.5)" in message
    assert "quantization.pruning_methods: ['unit'] not in pruning.methods (weight)" in message


def test_quantization_stage_on_the_cnn_smoke_run(cnn_smoke, tmp_path):
    """Pruned and trained CNNs quantized three ways: rows, sizes, accuracy near the float model's,
    the files written are the models evaluated (their runtime's output gives the row), the int8
    files timed by the latency job, and the report shows them."""
    import onnx
    import onnxruntime

    from prunelab.quantizing.litert import litert_predictor

    extra = extra_config(tmp_path, "name: quantized\nquantization: {methods: [kmeans, int8, litert], k: [0, 0.5], "
                                   "pruning_methods: [weight, unit], kmeans: {epochs: 1}}\n"
                                   "efficiency: {latency_batch_sizes: [1, 8], latency_repeats: 4}\n"
                                   "finetune: {epochs: [0, 1], k: [0.5], methods: [weight]}\n")
    result = snakemake(cnn_smoke, "--cores", "2", "results/quantized/quantized.csv",
                       "results/quantized/report/report.html", configfiles=(CNN_SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    latency = pd.read_csv(cnn_smoke / "results" / "quantized" / "latency.csv")
    timed = latency[latency["form"] == "int8"]  # the int8 files timed beside the float models
    assert set(zip(timed["runtime"], timed["method"], timed["k"])) == {
        (runtime, method, k) for runtime in ("onnxruntime", "litert") for method in ("weight", "unit") for k in (0, 0.5)}
    assert len(timed) == 2 * 2 * 2 * 2 * 2 and (timed["median_ms"] > 0).all()  # x seeds x batch sizes
    report = (cnn_smoke / "results" / "quantized" / "report" / "report.html").read_text()
    assert "What quantization adds to pruning" in report and "weight, k = 0.5" in report
    table = pd.read_csv(cnn_smoke / "results" / "quantized" / "quantized.csv")
    # seeds x (methods x k, k = 0 once per method, and weight fine-tuned at 0.5) x quantizations
    assert len(table) == 2 * (2 * 2 + 1) * 3
    finetuned = table[table["finetune_epochs"] == 1]
    assert set(finetuned["method"]) == {"weight"} and set(finetuned["k"]) == {0.5} and len(finetuned) == 2 * 3
    assert (table["accuracy"] - table["float_accuracy"]).abs().max() < 0.05
    kmeans = table[table["quantization"] == "kmeans"]
    assert (kmeans["huffman_bytes"] <= kmeans["quantized_bytes"]).all()
    pruned = kmeans[kmeans["k"] == 0.5]
    assert (pruned["quantized_bytes"] < pruned["pruned_bytes"]).all() and (pruned["compression"] > 3).all()
    assert table.loc[table["quantization"] != "kmeans", "huffman_bytes"].isna().all()
    stored = table["huffman_bytes"].fillna(table["file_bytes"])
    assert np.allclose(table["compression"], table["dense_bytes"] / stored)
    one_shot = table[(table["k"] == 0.5) & (table["finetune_epochs"] == 0)]
    unit = one_shot[one_shot["method"] == "unit"].set_index(["seed", "quantization"])
    weight = one_shot[one_shot["method"] == "weight"].set_index(["seed", "quantization"])
    assert (unit.loc[(0, "int8"), "file_bytes"] < weight.loc[(0, "int8"), "file_bytes"])  # compacted first

    images, labels = load_split(cnn_smoke / "results" / "data" / "fashion", "fashion", "test")
    x = features(CNN_SMOKE_ARCHITECTURE, images)
    folder = next((cnn_smoke / "results" / "quantized" / "fashion").glob("cnn-*/seed0/all_but_output/weight/k0.5"))
    for quantization in ("kmeans", "int8", "litert"):
        model = (folder / f"{quantization}.model").read_bytes()
        if quantization == "litert":
            logits = litert_predictor(model)(x)
        else:
            logits = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"]).run(["logits"], {"x": x})[0]
        row = weight.loc[(0, quantization)]
        assert np.mean(logits.argmax(1) == labels) == pytest.approx(row["accuracy"], abs=2e-4)
        assert len(model) == row["file_bytes"]
        if quantization == "kmeans":  # every kernel of the weight-shared model holds at most 2^bits values
            bits = {4: 256, 2: 32}  # conv 8 bits, dense 5
            kernels = [onnx.numpy_helper.to_array(t) for t in onnx.load_from_string(model).graph.initializer]
            kernels = [k for k in kernels if k.ndim in bits]
            assert kernels and all(len(np.unique(k[k != 0])) <= bits[k.ndim] for k in kernels)
