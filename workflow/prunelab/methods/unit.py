"""``unit``: whole neurons or conv filters of smallest L2 norm, per layer (structured pruning
that compaction turns into a smaller dense network)."""

from .method import Method
from .selection import layerwise, smallest_units_mask

METHODS = (Method("unit", "per layer, whole neurons or filters of smallest L2 norm",
                  masks=layerwise(smallest_units_mask), removes_units=True, color="tab:blue",
                  paper="Li et al. 2017, Pruning Filters for Efficient ConvNets (L2 instead of L1)"),)
