"""``wanda``: Wanda (Sun et al. 2023), pruning by weights and activations without retraining:
each weight scores |w_ij| · ‖x_i‖₂, its magnitude times the L2 norm of its input over the
calibration images, and the lowest scores go within each output unit (the paper's grouping)
or within each layer (``pruning.wanda.group: layer``, the option its authors' code offers for
image classifiers). Layers are pruned in order, each one's inputs through those already pruned."""

from __future__ import annotations

import numpy as np

from ..models.calibration import LayerInputs
from .method import Method
from .selection import smallest_per_unit_mask, smallest_score_mask

PAPER = "Sun et al. 2023, A Simple and Effective Pruning Approach for Large Language Models"


def wanda_scores(kernel: np.ndarray, inputs: LayerInputs) -> np.ndarray:
    """|w_ij| · ‖x_i‖₂ for the kernel seen as ``(fan_in, units)`` (float64)."""
    magnitudes = np.abs(kernel.reshape(-1, kernel.shape[-1]).astype(np.float64))
    return magnitudes * np.sqrt(inputs.squared_norms())[:, None]


def wanda_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, inputs: list[LayerInputs],
                settings: dict) -> list[np.ndarray]:
    """Remove exactly ``round(k * fan_in)`` weights of lowest |w| · ‖x‖ from every output unit
    (``group: unit``), or ``round(k * n)`` from the whole layer (``group: layer``)."""
    (kernel,), (layer_inputs,) = weights, inputs
    scores = wanda_scores(kernel, layer_inputs)
    select = smallest_per_unit_mask if settings["group"] == "unit" else smallest_score_mask
    return [select(scores, k).reshape(kernel.shape)]


METHODS = (Method("wanda", "without retraining: the smallest |w| · ‖input‖ on calibration images, per unit",
                  masks=wanda_masks, settings_key="wanda", color="#393b79", paper=PAPER),)
