"""A prune job's pruned model, stored against its trained model (prunelab.models.pruned_file),
reads back bit for bit, whatever the method changed, and is small where pruning only masked."""

import numpy as np
import pytest

from prunelab.methods.pruning import PruningData, prune
from prunelab.methods.registry import BUILT_IN
from prunelab.models.network import Network
from prunelab.models.pruned_file import load_pruned, save_pruned

CNN = {"type": "cnn", "conv": [4, 6], "kernel_size": 3, "pool": [True, False], "hidden": [12], "bias": True}


def cnn_network(seed=0) -> Network:
    rng = np.random.default_rng(seed)
    shapes = [(3, 3, 1, 4), (3, 3, 4, 6), (11 * 11 * 6, 12), (12, 10)]  # 28 -> conv 26 -> pool 13 -> conv 11
    kernels = [rng.normal(size=s).astype(np.float32) for s in shapes]
    return Network.of_chain(CNN, kernels, [rng.normal(size=s[-1]).astype(np.float32) for s in shapes])


def assert_identical(a: Network, b: Network):
    first, second = a.arrays(), b.arrays()
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype and first[name].tobytes() == second[name].tobytes(), name


@pytest.mark.parametrize("name, settings", [("weight", {}), ("unit", {}), ("random", {}),
                                            ("sparsegpt", {"block": 16}), ("unit_refit", {"damping": 0.01})])
def test_a_pruned_chain_model_reads_back_bit_for_bit(tmp_path, name, settings):
    trained = cnn_network()
    method = BUILT_IN[name]
    images = np.random.default_rng(1).random((40, 28, 28, 1)).astype(np.float32)
    pruned, _ = prune(trained, method, 0.5, [0, 1, 2], seed=3, data=PruningData(calibration=images,
                                                                                  settings=settings))
    save_pruned(tmp_path / "k0.5.npz", pruned, trained)
    assert_identical(load_pruned(tmp_path / "k0.5.npz", trained), pruned)
    whole = sum(a.nbytes for a in trained.arrays().values())
    stored = (tmp_path / "k0.5.npz").stat().st_size
    if name in ("weight", "unit", "random"):  # a mask: a bit per weight (and the file's headers)
        assert stored < whole / 10
    else:  # new values: those left (half of every pruned kernel), and the bitmap
        assert stored < 0.75 * whole


def test_what_a_bitmap_cannot_say_is_stored_whole(tmp_path):
    """A negative zero (its sign is not in the bitmap of nonzero entries), a changed shape or dtype:
    each of those arrays stored as it is, and read back as it was."""
    trained = cnn_network()
    kernels = list(trained.kernels)
    kernels[0] = np.where(np.abs(kernels[0]) < 0.5, np.float32(-0.0), kernels[0])
    kernels[3] = kernels[3].astype(np.float64)
    pruned = trained.with_weights(kernels)
    save_pruned(tmp_path / "odd.npz", pruned, trained)
    with np.load(tmp_path / "odd.npz") as stored:
        assert {"W0", "W3"} <= set(stored.files) and "W1" not in stored.files
    assert_identical(load_pruned(tmp_path / "odd.npz", trained), pruned)


def test_a_unit_pruned_graph_model_reads_back_with_its_batch_norm(tensorflow, tmp_path):
    """A ResNet's channel groups removed: kernels masked, the removed channels' batch-norm
    parameters zeroed (not a mask of the trained arrays: stored as values)."""
    from prunelab.models.network import Network
    from prunelab.models.keras_models import build_resnet, graph_of

    keras = tensorflow.keras
    keras.utils.set_random_seed(0)
    model = build_resnet(keras, {"type": "resnet", "depth": 8}, (12, 12, 3), 10)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.beta.assign(np.full(layer.beta.shape, 0.2, np.float32))
    trained = Network({"type": "resnet", "depth": 8}, *graph_of(model))
    pruned, _ = prune(trained, BUILT_IN["unit"], 0.5, list(range(trained.num_layers - 1)), seed=0)
    save_pruned(tmp_path / "unit.npz", pruned, trained)
    assert_identical(load_pruned(tmp_path / "unit.npz", trained), pruned)
