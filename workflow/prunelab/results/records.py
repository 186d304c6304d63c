"""One pruned model's result record: identity, test metrics, sparsity and savings."""

from __future__ import annotations

import numpy as np

from .columns import IDENTITY
from ..measuring.efficiency import efficiency_stats
from ..measuring.evaluation import classification_metrics, predict, sparsity_stats
from ..models.network import Network

def identity(trained: dict, scope: str, method: str, k: float, finetune: dict | None = None) -> dict:
    """The columns that say which pruned model a row is about (:data:`prunelab.results.columns.IDENTITY`)."""
    spec = trained["spec"]
    values = [trained["dataset"], spec["model"], spec["regularizer"], spec["strength"], trained["train_id"],
              trained["seed"], scope, method, k, finetune["epochs"] if finetune else 0,
              finetune["rounds"] if finetune else 0, finetune["learning_rate"] if finetune else 0.0]
    return dict(zip(IDENTITY, values, strict=True))


def weights_changed(trained: Network, pruned: Network) -> bool:
    """Whether any weight or bias ``pruned`` keeps differs from the trained model's: retrained,
    or updated by the method itself (SparseGPT, a refit), not only masked."""
    pairs = zip(pruned.parameters(), trained.parameters(), strict=True)
    return any(bool(np.any(new[new != 0] != old[new != 0])) for new, old in pairs)


def pruning_record(*, trained: dict, scope: str, method: str, k: float, network: Network, pruned: Network,
                   masks: list, x: np.ndarray, labels: np.ndarray, finetune: dict | None = None) -> dict:
    """The row of ``metrics.csv`` for ``pruned`` (retrained when ``finetune`` is given), and
    per layer, which layers were pruned and the fraction of each kernel left.

    ``trained`` is the training job's record, ``network`` the unpruned model. Everything
    here is exactly reproducible; measured latencies are recorded apart."""
    return {
        **identity(trained, scope, method, k, finetune),
        **classification_metrics(predict(pruned, x), labels),
        **sparsity_stats(pruned, masks),
        **efficiency_stats(network, pruned, masks),
        "weights_changed": weights_changed(network, pruned),
        "pruned_layers": [index for index, mask in enumerate(masks) if mask is not None],
        "layer_density": [np.count_nonzero(kernel) / kernel.size for kernel in pruned.kernels],
    }
