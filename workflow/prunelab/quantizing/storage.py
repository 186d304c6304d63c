"""A pruned, weight-shared model's storage as Deep Compression counts it (Han et al. 2016, §2-4).

Each layer is stored sparse: for every surviving weight its centroid's code (``bits`` bits) and
its position as the distance from the previous surviving weight (``index_bits`` bits); a
distance above 2^index_bits gets a filler entry (a zero weight) every 2^index_bits positions,
the paper's padding rule. Positions run in the layout of Caffe, whose models the paper
compressed: a dense kernel as (outputs, inputs) rows, a convolution's as (filters, inputs,
height, width). The codebook holds 2^bits float32 centroids. Huffman coding then codes the
weight codes and the distances of each layer with a code made for their own frequencies (the
codes' tables are not counted, as in the paper). Everything else the model holds (biases,
batch norms, layers no method prunes) stays float32.
"""

from __future__ import annotations

import heapq
from collections import Counter

import numpy as np

FLOAT_BITS = 32


def caffe_order(kernel: np.ndarray) -> np.ndarray:
    """``kernel`` (Keras's layout: inputs before outputs) in Caffe's: outputs first."""
    if kernel.ndim == 4:  # (height, width, inputs, filters) -> (filters, inputs, height, width)
        return kernel.transpose(3, 2, 0, 1)
    return kernel.reshape(-1, kernel.shape[-1]).T


def relative_positions(flat_mask: np.ndarray, index_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """The stored distances of a layer's entries (``flat_mask``: True = kept, in storage order),
    fillers included, and the entry of each surviving weight. The first distance counts from one
    before the start; each distance is 1..2^index_bits."""
    span = 2 ** index_bits
    gaps = np.diff(np.flatnonzero(flat_mask), prepend=-1)
    fillers = (gaps - 1) // span
    survivors = np.cumsum(fillers + 1) - 1
    distances = np.full(int(survivors[-1]) + 1 if survivors.size else 0, span, np.int64)
    distances[survivors] = gaps - fillers * span
    return distances, survivors


def huffman_bits(symbols) -> int:
    """The bits of ``symbols`` coded with a Huffman code built for their own frequencies (one
    kind of symbol: one bit each)."""
    counts = Counter(np.asarray(symbols).reshape(-1).tolist())
    if len(counts) <= 1:
        return sum(counts.values())
    # each merge adds one bit to every symbol beneath it: the total is the sum of merged weights
    heap = list(counts.values())
    heapq.heapify(heap)
    total = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged
        heapq.heappush(heap, merged)
    return total


def layer_storage(codes: np.ndarray, flat_mask: np.ndarray, bits: int, index_bits: int) -> dict:
    """Bits of one layer: ``codes`` are its surviving weights' centroid codes in storage order."""
    distances, survivors = relative_positions(flat_mask, index_bits)
    # a filler stores a zero weight: a symbol of its own beside the centroids' codes
    stored_codes = np.full(len(distances), -1, np.int64)
    stored_codes[survivors] = codes
    return {
        "weights": len(survivors),
        "fillers": len(distances) - len(survivors),
        "weight_bits": len(distances) * bits,
        "index_bits": len(distances) * index_bits,
        "codebook_bits": 2 ** bits * FLOAT_BITS,
        "weight_huffman_bits": huffman_bits(stored_codes),
        "index_huffman_bits": huffman_bits(distances),
    }


def dense_bytes(network) -> int:
    """Bytes of every parameter of ``network`` in float32: what compression is counted against."""
    return FLOAT_BITS // 8 * sum(array.size for array in network.parameters())


def file_storage(network, file: bytes) -> dict:
    """The sizes of a quantization whose cost is its file: the file's compression against the
    float32 parameters."""
    return {"dense_bytes": dense_bytes(network), "compression": dense_bytes(network) / len(file)}


def model_storage(network, layers: list, bits: list[int], index_bits: list[int]) -> dict:
    """Bytes of ``network`` stored as Deep Compression stores it, its prunable kernels shared as
    ``layers`` (:class:`~prunelab.quantizing.weight_sharing.SharedLayer`): dense float32; pruned
    (P: float32 survivors and their distances); quantized (P+Q: codes, distances, codebooks);
    Huffman-coded (P+Q+H); and the compression ratio of the last against the first. Arrays no
    kernel of ``layers`` holds count float32 in all four."""
    per_layer = []
    for layer, layer_bits, layer_index_bits in zip(layers, bits, index_bits, strict=True):
        codes = np.full(layer.shape, -1, np.int64).reshape(-1)
        codes[layer.positions] = layer.assignment
        stored = caffe_order(codes.reshape(layer.shape)).reshape(-1)
        per_layer.append(layer_storage(stored[stored >= 0], stored >= 0, layer_bits, layer_index_bits))
    kernel_weights = sum(int(np.prod(layer.shape)) for layer in layers)
    other_bits = 8 * dense_bytes(network) - FLOAT_BITS * kernel_weights
    entries = [layer["weight_bits"] // layer_bits for layer, layer_bits in zip(per_layer, bits)]
    total = {
        "dense_bytes": dense_bytes(network),
        "pruned_bytes": (other_bits + sum(n * FLOAT_BITS + layer["index_bits"] for n, layer in zip(entries, per_layer))) / 8,
        "quantized_bytes": (other_bits + sum(layer["weight_bits"] + layer["index_bits"] + layer["codebook_bits"]
                                             for layer in per_layer)) / 8,
        "huffman_bytes": (other_bits + sum(layer["weight_huffman_bits"] + layer["index_huffman_bits"]
                                           + layer["codebook_bits"] for layer in per_layer)) / 8,
    }
    total["compression"] = total["dense_bytes"] / total["huffman_bytes"]
    return {**total, "layer_storage": per_layer}
