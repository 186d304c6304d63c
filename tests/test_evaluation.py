import numpy as np
import pytest

from prunelab.evaluation import classification_metrics, dense_logits, log_softmax, sparsity_stats
from prunelab.pruning import prune


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


def test_sparsity_counts_prunable_weights_only():
    kernels = [np.ones((4, 5)), np.ones((5, 2))]
    pruned, masks = prune(kernels, "weight", 0.5)
    stats = sparsity_stats(pruned, masks)
    assert stats == {"sparsity": 0.5, "prunable_params": 20, "total_params": 30, "nonzero_params": 20}


def test_numpy_forward_pass_matches_keras(tensorflow):
    from prunelab.models import build_dense, kernels_of

    tf = tensorflow
    tf.keras.utils.set_random_seed(0)
    model = build_dense(tf.keras, 784, 10, [64, 32], bias=False)
    x = np.random.default_rng(0).random((500, 784), dtype=np.float32)
    expected = model.predict(x, verbose=0)
    logits = dense_logits(kernels_of(model), x)
    np.testing.assert_array_equal(np.argmax(logits, 1), np.argmax(expected, 1))
    np.testing.assert_allclose(np.exp(log_softmax(logits)), expected, rtol=1e-4, atol=1e-6)
