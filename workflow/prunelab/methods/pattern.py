"""N:M patterns: the n largest scores of every m consecutive inputs of each unit (2:4 is what
sparse tensor cores execute), shared by every method that prunes to one (``pruning.n_of_m``)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..models.network import kernel_shapes
from .scope import layer_indices, layer_kinds, layer_names


def n_of_m_mask(scores: np.ndarray, n: int, m: int) -> np.ndarray:
    """Keep the ``n`` largest |score| of every ``m`` consecutive inputs of each unit: a kernel
    seen as ``(fan_in, units)`` (conv: height x width x in-channels rows, channels fastest) is
    cut into groups of ``m`` consecutive rows within each column. Ties go by position."""
    matrix = scores.reshape(-1, scores.shape[-1])
    fan_in, units = matrix.shape
    if not 0 < n < m or fan_in % m:
        raise ValueError(f"{n}:{m} sparsity needs 0 < n < m and m dividing the fan-in {fan_in}")
    groups = np.abs(matrix).reshape(fan_in // m, m, units)
    # a stable sort of each group by descending score; the first n positions stay
    order = np.argsort(-groups, axis=1, kind="stable")
    keep = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(keep, order[:, :n, :], True, axis=1)
    return keep.reshape(scores.shape)


def pattern_settings(config: dict) -> dict:
    return {"n_of_m": config["pruning"]["n_of_m"]}


def pattern_k(settings: dict) -> Fraction:
    """The one k an N:M pattern gives: 1 - n/m."""
    n, m = settings["n_of_m"]
    return 1 - Fraction(n, m)


def checked_pattern(k: float, settings: dict) -> tuple[int, int]:
    """The pattern (n, m), refusing any k but its own (as the float its path names)."""
    n, m = settings["n_of_m"]
    if float(k) != float(pattern_k(settings)):
        raise ValueError(f"{n}:{m} sparsity removes exactly k = {float(pattern_k(settings)):g}, not {float(k):g}")
    return n, m


def pattern_k_values(ks: list[float], settings: dict) -> list[float]:
    """k = 0 (the trained model) where configured, and the pattern's own k."""
    return [k for k in ks if k == 0] + [float(pattern_k(settings))]


def pattern_problems(config: dict) -> list[str]:
    """An N:M pattern must keep fewer than m, and m must divide the fan-in of every pruned layer."""
    pruning = config["pruning"]
    n, m = pruning["n_of_m"]
    if n >= m:
        return [f"pruning.n_of_m: [{n}, {m}] keeps n of every m weights, so n must be smaller than m"]
    from ..plumbing.config import dataset_summary

    undivided: dict[tuple, list[str]] = {}  # (model, layer, fan-in): the datasets it has that fan-in on
    for model in config["models"]:
        architecture = config["architectures"][model]
        kinds = layer_kinds(architecture)
        if kinds is None:
            continue  # a custom model's layers are known once built: the prune job checks the pattern
        indices = layer_indices(kinds, pruning["layers"], layer_names(architecture))
        for dataset in config["datasets"]:
            data = dataset_summary(config, dataset)
            if data is None:
                continue  # a download's images are known once fetched: the prune job checks the pattern
            shapes = kernel_shapes(architecture, data.model_input, data.classes)
            for index in indices:
                fan_in = math.prod(shapes[index][:-1])
                if fan_in % m:
                    undivided.setdefault((model, index, fan_in), []).append(dataset)
    return [f"pruning.n_of_m: m = {m} does not divide the fan-in {fan_in} of layer {index} of model {model!r} "
            f"(on {', '.join(datasets)}); choose an m that does, or other pruning.layers"
            for (model, index, fan_in), datasets in undivided.items()]


def pattern_method(**details) -> dict:
    """What every N:M method's ``Method`` says about its pattern: settings, k and checks."""
    return {"resolve_settings": pattern_settings, "k_values": pattern_k_values, "check": pattern_problems, **details}
