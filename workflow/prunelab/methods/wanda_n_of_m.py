"""``wanda_n_of_m``: Wanda's score |w| · ‖x‖ kept n of every m consecutive inputs of each unit
(the paper's 2:4 results)."""

from __future__ import annotations

import numpy as np

from ..models.calibration import LayerInputs
from .method import Method
from .pattern import checked_pattern, n_of_m_mask, pattern_method
from .wanda import PAPER, wanda_scores


def wanda_n_of_m_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, inputs: list[LayerInputs],
                       settings: dict) -> list[np.ndarray]:
    """In every m consecutive inputs of each unit, keep the n of largest |w| · ‖x‖."""
    n, m = checked_pattern(k, settings)
    (kernel,), (layer_inputs,) = weights, inputs
    return [n_of_m_mask(wanda_scores(kernel, layer_inputs), n, m).reshape(kernel.shape)]


METHODS = (Method("wanda_n_of_m", "without retraining: Wanda's |w| · ‖input‖, n of every m consecutive inputs",
                  **pattern_method(masks=wanda_n_of_m_masks, color="#6b6ecf", paper=f"{PAPER} (N:M)")),)
