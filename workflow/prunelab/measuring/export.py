"""A pruned model stored in its best real format, and loaded back into Keras.

Each layer's kernel is stored either dense (float32) or as CSR (values, column
indices in the smallest unsigned type that fits, row pointers), whichever takes
fewer bytes; the file is an ``.npz`` of plain arrays plus the architecture as JSON
bytes, so loading never unpickles. Store a compacted network
(:func:`prunelab.measuring.compaction.compact`) to get both savings: unit pruning shrinks
the dense layers, weight pruning makes CSR pay off.
"""

from __future__ import annotations

import io
import json
import os

import numpy as np

from ..plumbing.fileio import atomic_output, atomic_path, load_arrays
from ..models.network import GRAPH_KEY, Network

ARCHITECTURE_KEY = "architecture"


def _index_dtype(limit: int):
    for dtype in (np.uint8, np.uint16, np.uint32):
        if limit <= np.iinfo(dtype).max:
            return dtype
    return np.uint64


def csr_arrays(matrix: np.ndarray) -> dict[str, np.ndarray]:
    """CSR parts of a 2-D array (rows: inputs, columns: units)."""
    rows, columns = np.nonzero(matrix)
    counts = np.bincount(rows, minlength=matrix.shape[0])
    return {
        "data": matrix[rows, columns].astype(np.float32),
        "indices": columns.astype(_index_dtype(matrix.shape[1])),
        "indptr": np.concatenate([[0], np.cumsum(counts)]).astype(_index_dtype(rows.size)),
    }


def _layer_arrays(index: int, kernel: np.ndarray) -> dict[str, np.ndarray]:
    dense = {f"W{index}": kernel.astype(np.float32)}
    sparse = csr_arrays(kernel.reshape(-1, kernel.shape[-1]))
    if sum(a.nbytes for a in sparse.values()) >= kernel.size * 4:
        return dense
    arrays = {f"W{index}.{part}": array for part, array in sparse.items()}
    arrays[f"W{index}.shape"] = np.array(kernel.shape, dtype=np.int64)
    return arrays


def _text(value: str) -> np.ndarray:
    return np.frombuffer(value.encode(), np.uint8)


def to_bytes(network: Network) -> bytes:
    """The model as stored on disk: the exact bytes of its ``.npz`` file: its architecture, its
    prunable kernels (dense or CSR), and the arrays its file holds besides (:meth:`Network.arrays`:
    a chain's biases ``b{i}``; any other model's graph and every other array, ``layer/variable``)."""
    arrays = {ARCHITECTURE_KEY: _text(json.dumps(network.file_architecture(), sort_keys=True))}
    for index, kernel in enumerate(network.kernels):
        arrays.update(_layer_arrays(index, kernel))
    kernels = {f"W{i}" for i in range(network.num_layers)} | {f"{name}/kernel" for name in network.layer_names}
    arrays.update({name: _text(str(value)) if name == GRAPH_KEY else value.astype(np.float32)
                   for name, value in network.arrays().items() if name not in kernels})
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def save(network: Network, path: str | os.PathLike) -> int:
    """Write the model in its best format; returns its size in bytes."""
    data = to_bytes(network)
    with atomic_output(path) as handle:
        handle.write(data)
    return len(data)


def load(path: str | os.PathLike) -> Network:
    """Read a model written by :func:`save` (CSR layers are made dense again)."""
    arrays = load_arrays(path)
    architecture = json.loads(arrays.pop(ARCHITECTURE_KEY).tobytes())
    kernels = []
    while f"W{len(kernels)}" in arrays or f"W{len(kernels)}.data" in arrays:
        index = len(kernels)
        if f"W{index}" in arrays:
            kernels.append(arrays[f"W{index}"])
            continue
        shape = tuple(int(v) for v in arrays[f"W{index}.shape"])
        matrix = np.zeros((int(np.prod(shape[:-1])), shape[-1]), dtype=np.float32)
        indptr = arrays[f"W{index}.indptr"].astype(np.int64)
        rows = np.repeat(np.arange(matrix.shape[0]), np.diff(indptr))
        matrix[rows, arrays[f"W{index}.indices"].astype(np.int64)] = arrays[f"W{index}.data"]
        kernels.append(matrix.reshape(shape))
    if GRAPH_KEY in arrays:
        others = {key: value for key, value in arrays.items() if "/" in key}
        graph = arrays[GRAPH_KEY].tobytes().decode()
        return Network.from_arrays({**others, GRAPH_KEY: graph}, architecture).with_weights(kernels)
    biases = {key: value for key, value in arrays.items() if key.startswith("b")}
    return Network.from_arrays({**biases, **{f"W{i}": kernel for i, kernel in enumerate(kernels)}}, architecture)


def to_keras(network: Network):
    """A working Keras model with the network's (compacted) architecture and weights."""
    import keras

    from ..models.keras_models import model_of_graph

    return model_of_graph(keras, network.graph, network.weights)


def save_keras(network: Network, path: str | os.PathLike) -> None:
    """Write the model as a ``.keras`` file people can take away: it loads with
    ``keras.saving.load_model`` alone (standard layers, no custom objects, no prunelab), on any
    Keras backend. Keras must already be imported (on the job's backend)."""
    with atomic_path(path) as partial:
        to_keras(network).save(partial)


def load_keras(path: str | os.PathLike):
    """One call from a stored pruned model to a working Keras model."""
    return to_keras(load(path))
