"""From a validated config to the runs it asks for, with readable, versioned ids.

A training run's id names its main settings (like C's experiment ids) and ends in
a hash of every setting that affects the trained weights, so changing any of them
writes a new version beside the old one instead of overwriting it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import math

import numpy as np

from .datasets import SPLIT_SIZES
from .models import DEFAULT_PRECISION


def format_number(value: float) -> str:
    """Shortest exact decimal, no exponent: 0 -> '0', 0.995 -> '0.995', 1e-05 -> '0.00001'."""
    return np.format_float_positional(float(value), trim="-")


def training_spec(config: dict, model: str, regularizer: str) -> dict:
    """Every setting that affects the trained weights (dataset and seed are wildcards).
    ``precision`` enters only when it is not float32, so that float32 models keep the ids
    (and the results) they had before the option existed."""
    strength = 0.0 if regularizer == "none" else float(config["regularization_strength"][regularizer])
    training = {key: value for key, value in config["training"].items()
                if not (key == "precision" and value == DEFAULT_PRECISION)}
    return {
        "model": model,
        "architecture": config["architectures"][model],
        "regularizer": regularizer,
        "strength": strength,
        **training,
    }


def spec_digest(spec: dict) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]


def training_id(spec: dict) -> str:
    strength = "" if spec["regularizer"] == "none" else f"_{format_number(spec['strength'])}"
    return f"{spec['model']}-{spec['regularizer']}{strength}-e{spec['epochs']}-{spec_digest(spec)}"


def steps_per_epoch(training: dict, batch_size: int) -> int:
    """Optimizer steps per epoch: the training images after the validation hold-out, in batches."""
    images = training["train_size"] or SPLIT_SIZES["train"] - training["validation_size"]
    return math.ceil(images / batch_size)


def layer_scope(selection: str | list[int]) -> str:
    """Path segment naming the pruned layers: 'all_but_output', 'conv' or 'layers_0_2'."""
    return selection if isinstance(selection, str) else "layers_" + "_".join(map(str, sorted(selection)))


def latency_id(config: dict) -> str:
    """Name of a trained model's latency record, e.g. 'weight_unit-k12-1a2b3c4d': the methods
    and number of k it times, and a hash of every timing setting, so configs that time other
    pruned models keep their records side by side instead of overwriting one another's."""
    pruning, efficiency = config["pruning"], config["efficiency"]
    methods = timed_methods(config)
    settings = {"methods": methods, "k": pruning["k"],
                "batch_sizes": efficiency["latency_batch_sizes"], "repeats": efficiency["latency_repeats"]}
    return f"{'_'.join(methods)}-k{len(pruning['k'])}-{spec_digest(settings)}"


def timed_methods(config: dict) -> list[str]:
    """The configured methods whose pruned models a latency job (or a histogram, or an export)
    can redo from the trained weights alone: built-in one-shot methods that need no data."""
    from .pruning import BUILT_IN, METHODS

    return [m for m in config["pruning"]["methods"] if m in BUILT_IN and METHODS[m].data_free_one_shot]


def finetune_ids(config: dict) -> dict[str, dict]:
    """Fine-tuning settings by id, one per non-zero epoch count and number of rounds:
    'ft3-lr0.0001-b128' retrains 3 epochs after pruning once, 'ft3r3-lr0.0001-b128' spends
    the same 3 epochs over 3 prune-retrain rounds."""
    settings = config["finetune"]
    suffix = f"-lr{format_number(settings['learning_rate'])}-b{settings['batch_size']}"
    return {f"ft{epochs}{'' if rounds == 1 else f'r{rounds}'}{suffix}":
            {"epochs": epochs, "rounds": rounds, "learning_rate": settings["learning_rate"],
             "batch_size": settings["batch_size"]}
            for epochs in settings["epochs"] if epochs > 0 for rounds in settings["rounds"]}


def gradual_settings(config: dict) -> dict:
    """Everything a gradual pruning job's result depends on besides the trained model and k:
    its schedule (end_step resolved: by default the first step of the last epoch, or the last
    step of a single epoch) and fine-tuning's learning rate and batch size."""
    gradual, finetune = config["pruning"]["gradual"], config["finetune"]
    per_epoch = steps_per_epoch(config["training"], finetune["batch_size"])
    end_step = gradual["end_step"]
    if end_step is None:
        end_step = (gradual["epochs"] - 1) * per_epoch if gradual["epochs"] > 1 else per_epoch - 1
    return {**gradual, "end_step": end_step, "total_steps": gradual["epochs"] * per_epoch,
            "learning_rate": finetune["learning_rate"], "batch_size": finetune["batch_size"]}


def gradual_id(config: dict) -> str:
    """'gr3-lr0.0001-b128-1a2b3c4d': epochs, optimizer settings and a hash of the whole schedule."""
    settings = gradual_settings(config)
    return (f"gr{settings['epochs']}-lr{format_number(settings['learning_rate'])}-b{settings['batch_size']}-"
            f"{spec_digest(settings)}")


def lottery_id(config: dict) -> str:
    """'p0.2-out0.1-rw0': rate per round, the output layer's rate, and the rewind step."""
    lottery = config["pruning"]["lottery"]
    return f"p{format_number(lottery['rate'])}-out{format_number(lottery['output_rate'])}-rw{lottery['rewind']}"


def at_init_id(config: dict, method: str) -> str:
    """The settings of a pruning-at-initialization method: SNIP's batch ('n100'), SynFlow's rounds ('r100')."""
    pruning = config["pruning"]
    return {"snip": f"n{pruning['snip']['samples']}", "synflow": f"r{pruning['synflow']['rounds']}"}[method]


def method_settings(config: dict, method: str) -> dict:
    """The config settings a method's results depend on beyond the model, k and layers (part
    of its jobs' params, so changing them reruns exactly its results). A custom method is
    versioned by the SHA-256 of its file."""
    from .pruning import source_digest

    pruning = config["pruning"]
    if method in pruning["custom_methods"]:
        target = pruning["custom_methods"][method]
        return {"custom": target, "source_sha256": source_digest(target)}
    return {"magnitude_gradient": pruning["saliency"], "global_magnitude_gradient": pruning["saliency"],
            "n_of_m": {"n_of_m": pruning["n_of_m"]}, "snip": pruning["snip"],
            "synflow": pruning["synflow"]}.get(method, {})


@dataclass(frozen=True)
class Training:
    dataset: str
    train_id: str
    seed: int


def training_specs(config: dict) -> dict[str, dict]:
    """All training specs of the config, by id."""
    specs = (training_spec(config, m, r) for m in config["models"] for r in config["regularizers"])
    return {training_id(spec): spec for spec in specs}


def trainings(config: dict) -> list[Training]:
    ids = list(training_specs(config))
    return [Training(d, i, s) for d in config["datasets"] for i in ids for s in config["seeds"]]


def model_label(path: str) -> str:
    """'dataset · train_id · seed N' from a path .../{dataset}/{train_id}/seed{N}/file or .../seed{N}.png."""
    parts = Path(path).parts
    if not parts[-1].startswith("seed"):
        parts = parts[:-1]
    dataset, train_id, seed = parts[-3], parts[-2], Path(parts[-1]).stem
    return f"{dataset} · {train_id} · seed {seed.removeprefix('seed')}"
