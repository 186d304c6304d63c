import numpy as np
import pytest

from prunelab.measuring.evaluation import classification_metrics, log_softmax, sparsity_stats
from prunelab.models.network import Network
from prunelab.methods.pruning import prune
from prunelab.methods.registry import BUILT_IN


def test_log_softmax_is_stable_and_normalized():
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]], dtype=np.float32)
    result = log_softmax(logits)
    assert np.isfinite(result).all()
    np.testing.assert_allclose(np.exp(result).sum(axis=1), 1.0)


def test_metrics_count_correct_predictions_and_plain_cross_entropy():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.25, 0.25]]))
    metrics = classification_metrics(logits, np.array([0, 2, 1]))
    assert metrics["correct"] == 2 and metrics["total"] == 3
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["loss"] == pytest.approx(-(np.log(0.7) + np.log(0.8) + np.log(0.25)) / 3)


def test_all_zero_logits_predict_the_first_class():
    metrics = classification_metrics(np.zeros((4, 10)), np.array([0, 1, 0, 3]))
    assert metrics["correct"] == 2
    assert metrics["loss"] == pytest.approx(np.log(10))


def test_sparsity_counts_prunable_weights_only_and_biases_as_parameters():
    network = Network.of_chain({"type": "dense", "hidden": [5], "bias": True}, [np.ones((4, 5)), np.ones((5, 2))],
                               [np.ones(5), np.zeros(2)])
    pruned, masks = prune(network, BUILT_IN["weight"], 0.5, [0])
    stats = sparsity_stats(pruned, masks)
    assert stats == {"sparsity": 0.5, "prunable_params": 20, "total_params": 37, "nonzero_params": 10 + 10 + 5}
