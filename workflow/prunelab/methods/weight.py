"""``weight``: magnitude pruning, per layer (Han et al. 2015's criterion, one-shot)."""

from .method import Method
from .selection import layerwise, magnitude_mask

METHODS = (Method("weight", "per layer, the smallest |w|", masks=layerwise(magnitude_mask), color="tab:red",
                  paper="Han et al. 2015, Learning both Weights and Connections for Efficient Neural Networks"),)
