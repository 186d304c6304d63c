"""What every pruning job's script does around its method: load the trained model and its
record, the method and its settings, the data, evaluate the pruned model on the test set and
write the results.

Scripts pass Snakemake's ``snakemake`` object; this module reads only its ``input``,
``output``, ``params``, ``wildcards`` and ``log``, so the scripts stay a few lines each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..data.loading import calibration_images, features, load_split, training_sample
from ..methods.method import Method, Trained
from ..methods.pruning import PruningData, load_method
from ..methods.scope import pruned_layers
from ..models.network import Network
from ..models.pruned_file import save_pruned
from ..results.records import pruning_record
from .fileio import atomic_output, load_arrays, read_json, save_arrays, write_json
from .runtime import script_logger


class PruningJob:
    """One job's trained model, method, settings and outputs."""

    def __init__(self, snakemake):
        self.snakemake, self.input, self.wildcards = snakemake, snakemake.input, snakemake.wildcards
        self.log = script_logger(snakemake.log[0])
        self.trained = read_json(snakemake.input.record)
        self.spec, self.seed, self.dataset = self.trained["spec"], self.trained["seed"], self.trained["dataset"]
        self.network = Network.load(snakemake.input.weights, self.spec["architecture"])
        self.layers = pruned_layers(self.network, snakemake.params.selection)
        # the unpruned model's evaluation runs no method (every method's k = 0 is that model)
        runs_a_method = "method" in snakemake.params.keys()
        self.method = load_method(snakemake.params.method) if runs_a_method else None
        self.settings = dict(snakemake.params.settings or {}) if runs_a_method else {}
        self.data_dir = Path(snakemake.input.data).parent

    @property
    def k(self) -> float:
        return float(self.wildcards.k)

    @property
    def fit_arguments(self) -> dict:
        """The arguments every training function (:func:`prunelab.models.training.fit`) takes."""
        return {"spec": self.spec, "seed": self.seed, "log": self.log}

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return load_split(self.data_dir, self.dataset, name)

    def pruning_data(self, images: np.ndarray | None = None, labels: np.ndarray | None = None) -> PruningData:
        """What the method's needs are computed from: training images for gradients, calibration
        images for layer inputs (the training split, loaded unless given), and its settings."""
        return pruning_data(self.method, self.settings, self.spec, self.seed,
                            (lambda: self.split("train")) if images is None else (lambda: (images, labels)))

    def recalibrated(self, pruned: Network, images: int) -> tuple[Network, dict]:
        """``pruned`` with its batch norms' statistics re-estimated on the first ``images`` training
        images after the validation ones (:mod:`prunelab.models.recalibration`), and what the
        record says of it; a model without batch norms is refused with the reason."""
        from ..models.recalibration import recalibrate, recalibrated_layers

        layers = recalibrated_layers(pruned)
        if not layers:
            raise ValueError(f"pruning.recalibrate: model {self.spec['model']!r} holds no batch norm to "
                             "recalibrate; run it in a config without recalibrate")
        x = calibration_images(self.split("train")[0], self.spec, images)
        self.log.info("recalibrating %d batch norms on %d training images", len(layers), len(x))
        return recalibrate(pruned, x), {"recalibration": {"layers": layers, "images": len(x)}}

    def record(self, *, k: float, pruned: Network, masks: list, finetune: dict | None = None, **details) -> dict:
        """The metrics row of ``pruned`` on the test set, with ``details`` (settings, schedule...)
        kept in the job's JSON record beside it."""
        images, labels = self.split("test")
        method = self.method.name if self.method else None
        record = pruning_record(trained=self.trained, scope=self.wildcards.scope, method=method, k=k,
                                network=self.network, pruned=pruned, masks=masks,
                                x=features(self.spec["architecture"], images), labels=labels, finetune=finetune)
        self.log.info("%s k=%g on layers %s: accuracy %.4f loss %.4f sparsity %.4f, %d bytes", method, k,
                      record["pruned_layers"], record["accuracy"], record["loss"], record["sparsity"],
                      record["size_bytes"])
        return {**record, **details}

    def save(self, record: dict, network: Network | None = None, history: list[dict] | None = None,
             masks: list | None = None) -> None:
        """Write what the rule declares: ``metrics`` (or the only output) and, where declared,
        ``weights``, ``pruned`` (the model stored against the trained one:
        :mod:`prunelab.models.pruned_file`), ``masks`` (True = kept) and ``history``."""
        import pandas as pd

        output = self.snakemake.output
        if "weights" in output.keys():
            network.save(output.weights)
        if "pruned" in output.keys():
            save_pruned(output.pruned, network, self.network)
        if masks is not None and "masks" in output.keys():
            save_arrays(output.masks, {f"M{i}": m for i, m in enumerate(masks) if m is not None})
        if history is not None:
            with atomic_output(output.history, "w") as handle:
                pd.DataFrame(history).to_csv(handle, index=False)
        write_json(output.get("metrics", output[0]), record)

    def save_trained(self, trained: Trained) -> None:
        """Evaluate and write what a method that trains produced."""
        self.save(self.record(k=trained.k, pruned=trained.network, masks=trained.masks, finetune=trained.retraining,
                              **trained.details), network=trained.network, history=trained.history,
                  masks=trained.masks)


def pruning_data(method: Method, settings: dict, spec: dict, seed: int,
                 training_split: Callable[[], tuple[np.ndarray, np.ndarray]]) -> PruningData:
    """What ``method``'s needs are computed from, for a model trained as ``spec`` with ``seed``:
    its gradient sample and calibration images, from the training split (read only if needed)."""
    x = y = calibration = None
    if method.reads_training_images:
        images, labels = training_split()
        if "gradients" in method.needs:
            x, y = training_sample(images, labels, spec, settings["samples"], seed)
        if method.calibrated:
            calibration = calibration_images(images, spec, settings["calibration_images"])
    return PruningData(x=x, labels=y, calibration=calibration, settings=settings)


def load_masks(path, num_layers: int) -> list[np.ndarray | None]:
    """Masks written by :meth:`PruningJob.save`: one per layer, ``None`` for unpruned layers."""
    arrays = load_arrays(path)
    return [arrays.get(f"M{i}") for i in range(num_layers)]
