"""Where results are filed: the path patterns every rule and method builds on, and numbers as
they appear in paths and ids."""

import hashlib
import json

import numpy as np

TRAINED_MODEL = "{dataset}/{train_id}/seed{seed}"
"""One trained model: dataset, training configuration (its versioned id), seed."""
SCOPED = TRAINED_MODEL + "/{scope}"
"""One trained model's results for one selection of pruned layers."""


def format_number(value: float) -> str:
    """Shortest exact decimal, no exponent: 0 -> '0', 0.995 -> '0.995', 1e-05 -> '0.00001'."""
    return np.format_float_positional(float(value), trim="-")


def pruning_k(config: dict) -> list[str]:
    """The configured k above 0, as paths name them (k = 0 is the trained model itself)."""
    return [format_number(k) for k in config["pruning"]["k"] if k > 0]


def digest(settings: dict) -> str:
    """Eight hex digits naming a set of settings in ids (SHA-256 of their sorted JSON)."""
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
