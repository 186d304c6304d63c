"""A prune job's pruned model, stored against the trained model it was pruned from.

The jobs that look at pruned models again (latency, the weight histograms, exports) read what
the prune job wrote instead of pruning again: re-pruning a calibrated method (Wanda,
SparseGPT, a refit) costs seconds per k, reading the file milliseconds. Stored whole, every
prune job would add a copy of the model; stored against the trained model it adds what
pruning changed:

- an array pruning left alone is not stored;
- an array that is the trained one with entries zeroed (a mask) is stored as the bitmap of its
  nonzero entries, 1/32 of its float32 size;
- any other (SparseGPT's updated weights, a refit layer) as that bitmap and its nonzero values.

Each array is checked to read back bit for bit before it is stored that way (the sign of a
zero, say, is not in a bitmap); one that would not is stored whole.
"""

from __future__ import annotations

import os

import numpy as np

from ..plumbing.fileio import load_arrays, save_arrays
from .network import Network

NONZERO = "{}@nonzero"  # the bitmap of an array's nonzero entries (numpy.packbits, C order)
VALUES = "{}@values"  # those entries' values, where they are not the trained array's


def save_pruned(path: str | os.PathLike, pruned: Network, trained: Network) -> None:
    """Write ``pruned`` as what differs from ``trained`` (same architecture and array shapes)."""
    stored = {}
    reference = trained.arrays()
    for name, value in pruned.arrays().items():
        base = reference.get(name)
        if base is not None and _same(value, base):
            continue
        encoded = _encoded(name, value, base)
        stored.update(encoded if _same(_decoded(name, encoded, base), value) else {name: value})
    save_arrays(path, stored)


def load_pruned(path: str | os.PathLike, trained: Network) -> Network:
    """The pruned model :func:`save_pruned` wrote against ``trained``."""
    stored = load_arrays(path)
    arrays = {}
    for name, base in trained.arrays().items():
        if name in stored:
            arrays[name] = stored[name]
        elif NONZERO.format(name) in stored:
            arrays[name] = _decoded(name, stored, base)
        else:
            arrays[name] = base
    return Network.from_arrays(arrays, trained.architecture)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal bit for bit (shape, dtype and every byte)."""
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _encoded(name: str, value: np.ndarray, base: np.ndarray | None) -> dict[str, np.ndarray]:
    """``value`` as the bitmap of its nonzero entries (and their values, where they are not
    ``base``'s), or whole where it has no float ``base`` of its shape and dtype."""
    if base is None or base.shape != value.shape or base.dtype != value.dtype or value.dtype.kind != "f":
        return {name: value}
    nonzero = value != 0
    encoded = {NONZERO.format(name): np.packbits(nonzero, axis=None)}
    if not np.array_equal(value[nonzero], base[nonzero]):
        encoded[VALUES.format(name)] = value[nonzero]
    return encoded


def _decoded(name: str, stored: dict, base: np.ndarray | None) -> np.ndarray:
    """The array ``name`` from what :func:`_encoded` stored; a bitmap's shape and dtype are ``base``'s."""
    if name in stored:
        return stored[name]
    nonzero = np.unpackbits(stored[NONZERO.format(name)], count=base.size).astype(bool).reshape(base.shape)
    values = stored.get(VALUES.format(name))
    array = np.zeros_like(base)
    array[nonzero] = base[nonzero] if values is None else values
    return array
