"""quantized.csv: its columns and rows (apart from metrics.csv's, so that the pruning jobs' code
does not follow it)."""

from __future__ import annotations

import pandas as pd

from .columns import IDENTITY

QUANTIZED_COLUMNS = IDENTITY + ["quantization", "accuracy", "loss", "correct", "total", "float_accuracy",
                                 "float_loss", "dense_bytes", "pruned_bytes", "quantized_bytes", "huffman_bytes",
                                 "file_bytes", "compression"]
"""The columns of quantized.csv: one row per quantized model (its pruned model's identity and the
quantization; ``float_*``: the pruned model before quantization; ``dense_bytes``: every parameter
in float32; the sizes Deep Compression counts, kmeans's; the bytes of the file that runs it; and
``compression``, dense_bytes over the stored bytes: Huffman-coded for kmeans, the file for int8
and litert)."""


def quantized_frame(records: list[dict]) -> pd.DataFrame:
    """One row per quantized model, in a stable order; sizes a quantization does not count are empty."""
    frame = pd.DataFrame.from_records(records, columns=QUANTIZED_COLUMNS)
    return frame.sort_values(IDENTITY + ["quantization"], kind="stable").reset_index(drop=True)
