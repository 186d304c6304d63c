"""Han et al. (2015)'s per-layer profile for LeNet-300-100, as a custom pruning method.

Han et al. pruned every layer by a threshold scaled to each layer's spread, which left fc1 8 %,
fc2 9 % and fc3 26 % of their weights (Table 2 of "Learning both weights and connections":
267K -> 22K weights, 12x fewer). This method removes the smallest |w| of each layer, keeping
the layers in those proportions: at k = 0.9182 (all layers together keep 21,776 of 266,200
weights) it keeps exactly Han's fractions; at other k, proportionally more or less (at most
all of a layer). Plain numpy, the signature of every built-in mask function.
"""

import numpy as np

HAN_KEPT = (0.08, 0.09, 0.26)  # fc1, fc2, fc3


def han_layer_profile(weights, k, seed):
    """Han et al.'s per-layer fractions (fc1 8 %, fc2 9 %, fc3 26 % kept at k = 0.9182), smallest |w| first."""
    if len(weights) != len(HAN_KEPT):
        raise ValueError(f"Han's profile is for LeNet-300-100's {len(HAN_KEPT)} layers (pruning.layers: all), "
                         f"got {len(weights)}")
    sizes = [w.size for w in weights]
    kept_overall = sum(f * n for f, n in zip(HAN_KEPT, sizes)) / sum(sizes)
    masks = []
    for w, kept in zip(weights, HAN_KEPT):
        keep_count = round(min(1.0, kept * (1 - k) / kept_overall) * w.size)
        order = np.argsort(-np.abs(w).ravel(), kind="stable")  # largest first, ties by position
        keep = np.zeros(w.size, dtype=bool)
        keep[order[:keep_count]] = True
        masks.append(keep.reshape(w.shape))
    return masks
