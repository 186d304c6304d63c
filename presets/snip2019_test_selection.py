"""How much of SNIP's published error is the authors' way of reading it off.

The authors' code (namhoonlee/snip-public) saves a checkpoint every 1,000 iterations, of which
TensorFlow's Saver keeps the last 5, and its test.py reports 1 - max(test accuracy) over them: the
best of 5 checkpoints, chosen on the test set. The workflow reports the epoch of lowest
validation loss. This script trains the preset's networks exactly as its jobs do (the same code,
so the same weights: its "kept epoch" column reproduces metrics.csv) and reads each both ways.

Their code also scores one initial draw (``weights_bp``) and trains another (``weights_ap``);
with ``--other-draw`` the mask comes from the initialization of seed + 1 and is trained from the
seed's own, to measure that difference too.

Run, in the folder where the preset ran (it reads results/data/digits):
    python presets/snip2019_test_selection.py [--other-draw] presets/snip2019-faithful.yaml [overlay.yaml ...]
It prints one row per k (0: the dense network); about 8 minutes per k on one core.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from prunelab.data.loading import features, load_split  # noqa: E402
from prunelab.measuring.evaluation import classification_metrics  # noqa: E402
from prunelab.methods.pruning import apply_masks, load_method, prune  # noqa: E402
from prunelab.methods.scope import pruned_layers  # noqa: E402
from prunelab.models.backend import import_keras  # noqa: E402
from prunelab.models.keras_models import network_of  # noqa: E402
from prunelab.models.network import logits  # noqa: E402
from prunelab.models.training import fit, initial_network, steps_per_epoch  # noqa: E402
from prunelab.plumbing.config import merged_config  # noqa: E402
from prunelab.plumbing.jobs import pruning_data  # noqa: E402
from prunelab.plumbing.plan import Plan  # noqa: E402

CHECKPOINT_EVERY = 1000  # iterations, the authors' save_interval
CHECKPOINTS_KEPT = 5  # tf.train.Saver's default max_to_keep, which their train.py uses


def test_accuracy(network, x, labels) -> float:
    return classification_metrics(logits(network, x), labels)["accuracy"]


def read_both_ways(configfiles: list[str], other_draw: bool = False, data_dir: Path = Path("results/data/digits")
                   ) -> list[dict]:
    config = merged_config(*configfiles)
    plan = Plan(config)
    (spec,) = plan.specs.values()
    seed, method_name = config["seeds"][0], "snip"
    method, settings = load_method(plan.method_spec(method_name)), plan.settings[method_name]
    images, labels = load_split(data_dir, "digits", "train")
    test_images, test_labels = load_split(data_dir, "digits", "test")
    x_test = features(spec["architecture"], test_images)
    keras = import_keras(spec)
    total = steps_per_epoch(spec, spec["batch_size"]) * spec["epochs"]
    saved_at = set(range(total - 1, -1, -CHECKPOINT_EVERY)[:CHECKPOINTS_KEPT])

    class Checkpoints(keras.callbacks.Callback):
        """The test accuracy at each iteration the authors' last checkpoints are saved, by iteration."""

        def on_train_begin(self, logs=None):
            self.step, self.accuracies = 0, {}

        def on_train_batch_end(self, batch, logs=None):
            if self.step in saved_at:
                self.accuracies[self.step + 1] = test_accuracy(network_of(self.model, spec["architecture"]),
                                                               x_test, test_labels)
            self.step += 1

    rows = []
    for k in config["pruning"]["k"]:
        masks = start = None
        if k > 0:
            init = initial_network(spec, seed)
            data = pruning_data(method, settings, spec, seed, lambda: (images, labels))
            scored = initial_network(spec, seed + 1) if other_draw else init
            _, masks = prune(scored, method, k, pruned_layers(init, config["pruning"]["layers"]), seed, data)
            start = apply_masks(init, masks)
        checkpoints = Checkpoints()
        kept, _ = fit(images, labels, spec=spec, seed=seed, log=logging.getLogger("snip"),
                      epochs=spec["epochs"], learning_rate=spec["learning_rate"],
                      batch_size=spec["batch_size"], initial=start, kernel_masks=masks, callbacks=[checkpoints])
        best = max(checkpoints.accuracies.values())
        rows.append({"k": k, "mask_from": "seed + 1" if other_draw else "seed",
                     "kept_epoch_error": round(100 * (1 - test_accuracy(kept, x_test, test_labels)), 2),
                     "best_checkpoint_error": round(100 * (1 - best), 2),
                     "checkpoint_errors": {step: round(100 * (1 - a), 2)
                                               for step, a in sorted(checkpoints.accuracies.items())}})
        print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    arguments = sys.argv[1:]
    read_both_ways([a for a in arguments if a != "--other-draw"], other_draw="--other-draw" in arguments)
