"""One pruned model's result record: identity, test metrics, sparsity and savings."""

from __future__ import annotations

import numpy as np

from .efficiency import efficiency_stats
from .evaluation import classification_metrics, sparsity_stats
from .network import Network, logits

RECORD_FORMAT = 2
"""Version of a record's columns. The prune, fine-tune and latency rules (whose rows share
:func:`identity`) pass it as a param, so raising it when the columns change makes Snakemake
remake older records."""


def identity(trained: dict, scope: str, method: str, k: float, finetune: dict | None = None) -> dict:
    """The columns that say which pruned model a row is about."""
    spec = trained["spec"]
    return {
        "dataset": trained["dataset"],
        "model": spec["model"],
        "regularizer": spec["regularizer"],
        "strength": spec["strength"],
        "train_id": trained["train_id"],
        "seed": trained["seed"],
        "layers": scope,
        "method": method,
        "k": k,
        "finetune_epochs": finetune["epochs"] if finetune else 0,
        "finetune_rounds": finetune["rounds"] if finetune else 0,
        "finetune_learning_rate": finetune["learning_rate"] if finetune else 0.0,
    }


def pruning_record(*, trained: dict, scope: str, method: str, k: float, network: Network, pruned: Network,
                   masks: list, x: np.ndarray, labels: np.ndarray, finetune: dict | None = None) -> dict:
    """The row of ``metrics.csv`` for ``pruned`` (retrained when ``finetune`` is given), and
    per layer, which layers were pruned and the fraction of each kernel left.

    ``trained`` is the training job's record, ``network`` the unpruned model. Everything
    here is exactly reproducible; measured latencies are recorded apart."""
    return {
        **identity(trained, scope, method, k, finetune),
        **classification_metrics(logits(pruned, x), labels),
        **sparsity_stats(pruned, masks),
        **efficiency_stats(network, pruned, masks),
        "pruned_layers": [index for index, mask in enumerate(masks) if mask is not None],
        "layer_density": [np.count_nonzero(kernel) / kernel.size for kernel in pruned.kernels],
    }
