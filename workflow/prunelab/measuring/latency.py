"""Measured inference latency of a pruned model, in the forms a user could deploy it, with
its spread, so a speedup is claimed only where it lies outside the noise.

Forms: the masked dense model (zeros still multiplied), a sparse model (CSR kernels, scipy)
and the compacted model (dead units removed, dense). Runtimes: this package's numpy forward
pass, and ONNX Runtime (:mod:`prunelab.measuring.onnx_export`), whose CPU kernels do not use zeros, so
only the masked and compacted forms are run there. One thread each; every measurement is
warmed up by one untimed call, then repeated, and recorded as median and interquartile range
with its number of repeats.
"""

from __future__ import annotations

import time

import numpy as np

from .compaction import compact
from ..models.network import Network

RUNTIMES = {"numpy": ("masked", "sparse", "compact"), "onnxruntime": ("masked", "compact")}
WARMUP = 1  # untimed calls first: the first call at a batch size allocates its buffers
# A measurement whose timed calls have taken this long stops at MIN_REPEATS instead of the
# configured repeats: a CNN's sparse (CSR) form at batch 256 takes a quarter second a call, and
# its 42 pruned models of a preset would otherwise take minutes to time.
BUDGET_S = 0.5
MIN_REPEATS = 4


class SparseKernel:
    """A kernel held as CSR that the numpy forward pass can multiply by (``x @ kernel``)."""

    __array_ufunc__ = None  # make ``ndarray @ SparseKernel`` defer to __rmatmul__

    def __init__(self, kernel: np.ndarray):
        import scipy.sparse  # only latency measurement needs it; prune jobs skip the import

        self.shape = kernel.shape
        self.matrix = scipy.sparse.csr_array(kernel.reshape(-1, kernel.shape[-1]))

    def as_matrix(self) -> "SparseKernel":
        return self

    def __rmatmul__(self, x: np.ndarray) -> np.ndarray:
        # scipy's dense-times-CSR (on a sequence's positions as rows), made C-ordered as the dense
        # product's result is (what follows, pooling above all, is slow on a transposed array)
        product = np.ascontiguousarray(x.reshape(-1, x.shape[-1]) @ self.matrix)
        return product.reshape(*x.shape[:-1], product.shape[-1])


def sparse_form(network: Network) -> Network:
    """The network with every kernel as CSR, as a sparse-inference runtime would hold it."""
    return network.with_weights([SparseKernel(k) for k in network.kernels])


def time_call(call, repeats: int, warmup: int = WARMUP, budget_s: float = BUDGET_S) -> dict:
    """Median and interquartile range (ms) of ``repeats`` timed calls after ``warmup`` untimed
    ones, or of fewer (at least :data:`MIN_REPEATS`) once the timed calls took ``budget_s``;
    ``repeats`` in the result is how many were timed."""
    for _ in range(warmup):
        call()
    times = []
    while len(times) < repeats and (len(times) < MIN_REPEATS or sum(times) < 1000 * budget_s):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    q1, median, q3 = np.percentile(times, [25, 50, 75])
    return {"median_ms": float(median), "q1_ms": float(q1), "q3_ms": float(q3), "repeats": len(times)}


def computation(runtime: str, form: str, model: Network) -> tuple | None:
    """What decides a dense form's speed: its runtime and its kernels' shapes (zeros cost a dense
    kernel as much as any value). ``None`` for the sparse form, whose speed depends on its zeros."""
    if form == "sparse":
        return None
    return runtime, tuple(k.shape for k in model.kernels)


def latency_rows(pruned: Network, x: np.ndarray, batch_sizes: list[int], repeats: int,
                 measured: dict | None = None) -> list[dict]:
    """One row per runtime, form and batch size: how long one forward pass over ``x[:batch]`` takes.
    ``measured`` (kept across calls) holds the timings of dense forms by their
    :func:`computation`: the masked model at every k, and a compacted one that lost no unit,
    compute what the unpruned model computes, so they are timed once and the timing reused."""
    from .onnx_export import session

    measured = {} if measured is None else measured
    forms = {"masked": pruned, "compact": compact(pruned)}
    forms["sparse"] = sparse_form(pruned)
    rows = []
    for runtime, names in RUNTIMES.items():
        for form in names:
            model, key = forms[form], computation(runtime, form, forms[form])
            predict = None  # an ONNX Runtime session is made only for a form still to be timed
            for batch in batch_sizes:
                batch_x = np.ascontiguousarray(x[:batch])
                if key is None or (key, batch) not in measured:
                    if predict is None:
                        predict = model.logits if runtime == "numpy" else _onnx_predict(session(model))
                    timing = time_call(lambda: predict(batch_x), repeats)
                    if key is not None:
                        measured[key, batch] = timing
                rows.append({"runtime": runtime, "form": form, "batch_size": batch,
                             **(timing if key is None else measured[key, batch])})
    return rows


def quantized_latency_rows(quantization: str, model: bytes, x: np.ndarray, batch_sizes: list[int],
                           repeats: int) -> list[dict]:
    """One row per batch size: how long the ``quantization``'s file (int8 in ONNX Runtime, or
    LiteRT's) takes for one forward pass, as runtime ``onnxruntime`` or ``litert``, form ``int8``."""
    from ..quantizing.int8 import int8_predictor
    from ..quantizing.litert import litert_predictor

    runtime, predictor = {"int8": ("onnxruntime", int8_predictor), "litert": ("litert", litert_predictor)}[quantization]
    predict = predictor(model)
    return [{"runtime": runtime, "form": "int8", "batch_size": batch,
             **time_call(lambda: predict(np.ascontiguousarray(x[:batch])), repeats)} for batch in batch_sizes]


def _onnx_predict(onnx_session):
    from .onnx_export import run

    return lambda x: run(onnx_session, x)


def measurably_different(a: dict, b: dict) -> bool:
    """Whether two timings' interquartile ranges do not overlap: a difference beyond the noise."""
    return a["q3_ms"] < b["q1_ms"] or b["q3_ms"] < a["q1_ms"]
