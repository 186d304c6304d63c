"""What every pruning job's script does around its method: load the trained model and its
record, the data, evaluate the pruned model on the test set and write the results.

Scripts pass Snakemake's ``snakemake`` object; this module reads only its ``input``,
``output``, ``params``, ``wildcards`` and ``log``, so the scripts stay a few lines each.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .loading import load_split, training_sample
from .fileio import atomic_output, load_arrays, read_json, save_arrays, write_json
from .network import Network, features
from .pruning import METHODS, PruningInputs, load_custom_method, select_layers
from .records import pruning_record
from .runtime import script_logger


class PruningJob:
    """One job's trained model, settings and outputs."""

    def __init__(self, snakemake):
        self.snakemake = snakemake
        self.log = script_logger(snakemake.log[0])
        self.trained = read_json(snakemake.input.record)
        self.spec, self.seed, self.dataset = self.trained["spec"], self.trained["seed"], self.trained["dataset"]
        self.network = Network.load(snakemake.input.weights, self.spec["architecture"])
        self.layers = select_layers(self.network, snakemake.params.layers)
        self.settings = dict(getattr(snakemake.params, "settings", None) or {})
        if "custom" in self.settings:
            load_custom_method(snakemake.wildcards.method, self.settings["custom"])
        self.data_dir = Path(snakemake.input.data).parent

    @property
    def training(self) -> dict:
        """The arguments every training function of :mod:`prunelab.training` takes."""
        return {"spec": self.spec, "seed": self.seed, "log": self.log}

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return load_split(self.data_dir, self.dataset, name)

    def inputs(self, method: str, images: np.ndarray | None = None, labels: np.ndarray | None = None
               ) -> PruningInputs:
        """What ``method``'s mask function needs beyond the weights, from its settings
        (:func:`prunelab.plan.method_settings`) and, for gradients, the training images."""
        x = y = None
        if "gradients" in METHODS[method].needs:
            x, y = training_sample(images, labels, self.spec, self.settings["samples"], self.seed)
        n_of_m = self.settings.get("n_of_m")
        return PruningInputs(x=x, labels=y, n_of_m=None if n_of_m is None else tuple(n_of_m),
                             synflow_rounds=self.settings.get("rounds"))

    def record(self, *, method: str, k: float, pruned: Network, masks: list, finetune: dict | None = None,
               **details) -> dict:
        """The metrics row of ``pruned`` on the test set, with ``details`` (settings, schedule...)
        kept in the job's JSON record beside it."""
        images, labels = self.split("test")
        record = pruning_record(trained=self.trained, scope=self.snakemake.wildcards.scope, method=method, k=k,
                                network=self.network, pruned=pruned, masks=masks,
                                x=features(self.spec["architecture"], images), labels=labels, finetune=finetune)
        self.log.info("%s k=%g on layers %s: accuracy %.4f loss %.4f sparsity %.4f, %d bytes", method, k,
                      record["pruned_layers"], record["accuracy"], record["loss"], record["sparsity"],
                      record["size_bytes"])
        return {**record, **details}

    def save(self, record: dict, network: Network | None = None, history: list[dict] | None = None,
             masks: list | None = None) -> None:
        """Write what the rule declares: ``metrics`` (or the only output) and, where declared,
        ``weights``, ``masks`` (True = kept) and ``history``."""
        import pandas as pd

        output = self.snakemake.output
        if network is not None:
            network.save(output.weights)
        if masks is not None:
            save_arrays(output.masks, {f"M{i}": m for i, m in enumerate(masks) if m is not None})
        if history is not None:
            with atomic_output(output.history, "w") as handle:
                pd.DataFrame(history).to_csv(handle, index=False)
        write_json(output.get("metrics", output[0]), record)


def load_masks(path, num_layers: int) -> list[np.ndarray | None]:
    """Masks written by :meth:`PruningJob.save`: one per layer, ``None`` for unpruned layers."""
    arrays = load_arrays(path)
    return [arrays.get(f"M{i}") for i in range(num_layers)]
