"""``sparsegpt_n_of_m``: SparseGPT keeping n of every m consecutive inputs of each unit, chosen
by w²/[H⁻¹]²_jj as each group is reached, the remaining weights updated (the paper's 2:4
results)."""

from __future__ import annotations

import numpy as np

from ..models.calibration import LayerInputs
from ..models.network import Network
from .method import Method
from .pattern import checked_pattern, pattern_method, pattern_problems, pattern_settings
from .sparsegpt import PAPER, sparsegpt_masks


def sparsegpt_n_of_m_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, inputs: list[LayerInputs],
                           network: Network, layers: list[int], settings: dict) -> tuple[list[np.ndarray], Network]:
    """n of every m consecutive inputs of each unit kept, the rest updated."""
    return sparsegpt_masks(weights, k, seed, inputs=inputs, network=network, layers=layers, settings=settings,
                           pattern=checked_pattern(k, settings))


def block_settings(config: dict) -> dict:
    return {**pattern_settings(config), **config["pruning"]["sparsegpt"]}


def block_problems(config: dict) -> list[str]:
    """Its groups of m inputs must not straddle two blocks."""
    block, (_, m) = config["pruning"]["sparsegpt"]["block"], config["pruning"]["n_of_m"]
    problems = pattern_problems(config)
    if block % m:
        problems.append(f"pruning.sparsegpt.block: {block} is not a multiple of m = {m} (pruning.n_of_m), so an "
                        f"N:M group would straddle two blocks")
    return problems


METHODS = (Method("sparsegpt_n_of_m", "without retraining: SparseGPT to n of every m consecutive inputs, the "
                  "remaining weights updated", **dict(pattern_method(masks=sparsegpt_n_of_m_masks, color="#d6616b",
                                                                     paper=f"{PAPER} (N:M)"),
                                                      resolve_settings=block_settings, check=block_problems)),)
