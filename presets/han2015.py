"""Han et al. (2015)'s per-layer profiles for LeNet-300-100 and LeNet-5, as a custom pruning method.

Han et al. pruned every layer by a threshold scaled to each layer's spread, which left
LeNet-300-100's fc1 8 %, fc2 9 % and fc3 26 % of their weights (Table 2 of "Learning both weights
and connections": 267K -> 22K weights, 12x fewer) and LeNet-5's conv1 66 %, conv2 12 %, fc1 8 %
and fc2 19 % (Table 3: 431K -> 36K, 12x). This method removes the smallest |w| of each layer,
keeping the layers in those proportions (the model's profile by its number of layers): at
k = 0.9182 LeNet-300-100 (all layers together keep 21,776 of 266,200 weights) keeps exactly
Han's fractions, LeNet-5 at k = 0.9157; at other k, proportionally more or less (at most all of
a layer). Plain numpy, the signature of every built-in mask function.
"""

import numpy as np

HAN_KEPT = {3: (0.08, 0.09, 0.26),  # LeNet-300-100: fc1, fc2, fc3
            4: (0.66, 0.12, 0.08, 0.19)}  # LeNet-5: conv1, conv2, fc1, fc2


def han_layer_profile(weights, k, seed):
    """Han et al.'s per-layer fractions (LeNet-300-100's at k = 0.9182, LeNet-5's at 0.9157), smallest |w| first."""
    if len(weights) not in HAN_KEPT:
        raise ValueError("Han's profiles are for LeNet-300-100's 3 and LeNet-5's 4 weighted layers "
                         f"(pruning.layers: all), got {len(weights)}")
    profile = HAN_KEPT[len(weights)]
    sizes = [w.size for w in weights]
    kept_overall = sum(f * n for f, n in zip(profile, sizes)) / sum(sizes)
    masks = []
    for w, kept in zip(weights, profile):
        keep_count = round(min(1.0, kept * (1 - k) / kept_overall) * w.size)
        order = np.argsort(-np.abs(w).ravel(), kind="stable")  # largest first, ties by position
        keep = np.zeros(w.size, dtype=bool)
        keep[order[:keep_count]] = True
        masks.append(keep.reshape(w.shape))
    return masks
