"""What pruning really saves: FLOPs, compression, bytes on disk and measured latency.

Definitions follow ShrinkBench: FLOPs are multiply-accumulates per image of the
conv and dense layers, counting only non-zero weights (a conv kernel is applied
once per output pixel); theoretical speedup is dense FLOPs over remaining FLOPs;
compression ratio is prunable weights over non-zero prunable weights. Real
savings are measured on three forms of the pruned model: the masked dense model
(zeros still multiplied), a sparse model (CSR kernels, scipy) and the compacted
model (dead units removed, dense).
"""

from __future__ import annotations

import time

import numpy as np

from .compaction import compact
from .export import to_bytes
from .network import Network, logits


def flops(network: Network) -> int:
    """Multiply-accumulates per image with the non-zero weights only (ShrinkBench)."""
    return int(sum(p * np.count_nonzero(k) for p, k in zip(network.output_positions(), network.kernels)))


def dense_flops(network: Network) -> int:
    """Multiply-accumulates per image if every weight were non-zero."""
    return int(sum(p * k.size for p, k in zip(network.output_positions(), network.kernels)))


class SparseKernel:
    """A kernel held as CSR that the numpy forward pass can multiply by (``x @ kernel``)."""

    __array_ufunc__ = None  # make ``ndarray @ SparseKernel`` defer to __rmatmul__

    def __init__(self, kernel: np.ndarray):
        import scipy.sparse  # only latency measurement needs it; prune jobs skip the import

        self.shape = kernel.shape
        self.transposed = scipy.sparse.csr_matrix(kernel.reshape(-1, kernel.shape[-1]).T)

    def as_matrix(self) -> "SparseKernel":
        return self

    def __rmatmul__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.transposed @ x.T).T


def sparse_form(network: Network) -> Network:
    """The network with every kernel as CSR, as a sparse-inference runtime would hold it."""
    return network.with_weights([SparseKernel(k) for k in network.kernels], network.biases)


def median_latency(network: Network, x: np.ndarray, repeats: int) -> float:
    """Median seconds of one forward pass over ``x`` (after one warm-up pass)."""
    logits(network, x)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        logits(network, x)
        times.append(time.perf_counter() - started)
    return float(np.median(times))


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
        "compact_params": int(sum(k.size for k in compacted.kernels) + sum(b.size for b in compacted.biases or [])),
        "compact_flops": dense_flops(compacted),
        "size_bytes": len(to_bytes(compacted)),
        "dense_size_bytes": len(to_bytes(trained)),
    }
    return stats


def latencies(pruned: Network, x: np.ndarray, batch_sizes: list[int], repeats: int) -> dict:
    """Median milliseconds per forward pass of the masked, sparse and compacted model.

    Timings vary from run to run, so they are kept apart from the reproducible metrics."""
    forms = {"masked": pruned, "sparse": sparse_form(pruned), "compact": compact(pruned)}
    return {f"latency_{name}_b{batch}_ms": 1000 * median_latency(form, x[:batch], repeats)
            for batch in batch_sizes for name, form in forms.items()}
