"""What pruning saves, counted exactly: FLOPs, compression and bytes on disk.

Definitions follow ShrinkBench: FLOPs are multiply-accumulates per image of the
conv (depthwise ones included) and dense layers, counting only non-zero weights (a
conv kernel is applied once per output pixel); theoretical speedup is dense FLOPs over remaining FLOPs;
compression ratio is prunable weights over non-zero prunable weights. Measured
speed is :mod:`prunelab.measuring.latency`'s.
"""

from __future__ import annotations

import numpy as np

from .compaction import compact
from .export import to_bytes
from ..models.network import Network


def flops(network: Network) -> int:
    """Multiply-accumulates per image with the non-zero weights only (ShrinkBench), of the pruned
    kernels and of the layers methods leave alone (a depthwise convolution's)."""
    pruned = sum(p * np.count_nonzero(k) for p, k in zip(network.output_positions(), network.kernels))
    return int(pruned + network.other_flops(nonzero=True))


def dense_flops(network: Network) -> int:
    """Multiply-accumulates per image if every weight were non-zero."""
    return int(sum(p * k.size for p, k in zip(network.output_positions(), network.kernels))
               + network.other_flops(nonzero=False))


def efficiency_stats(trained: Network, pruned: Network, masks: list) -> dict:
    """Savings of ``pruned`` relative to ``trained``, all exactly reproducible."""
    prunable = [k for k, m in zip(pruned.kernels, masks) if m is not None]
    nonzero_prunable = sum(np.count_nonzero(k) for k in prunable)
    compacted = compact(pruned)
    remaining = flops(pruned)
    stats = {
        "compression_ratio": sum(k.size for k in prunable) / max(nonzero_prunable, 1),
        "flops": remaining,
        "dense_flops": dense_flops(trained),
        "theoretical_speedup": dense_flops(trained) / max(remaining, 1),
        "compact_params": int(sum(array.size for array in compacted.parameters())),
        "compact_flops": dense_flops(compacted),
        "size_bytes": len(to_bytes(compacted)),
        "dense_size_bytes": len(to_bytes(trained)),
    }
    return stats
