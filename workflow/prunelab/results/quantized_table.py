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


def quantized_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per trained configuration, pruned model and quantization: test accuracy (mean ± std over
    seeds) beside the float model's, the stored kilobytes and the compression against float32:
    the report's table."""
    from .tables import mean_std, variant_label

    table = table.assign(stored_kb=table["dense_bytes"] / table["compression"] / 1e3)
    summary = table.groupby(["dataset", "model", "train_id", "method", "finetune_epochs", "finetune_rounds", "k",
                             "quantization"], sort=True).agg(
        accuracy=("accuracy", "mean"), accuracy_std=("accuracy", "std"), float_accuracy=("float_accuracy", "mean"),
        seeds=("seed", "nunique"), stored_kb=("stored_kb", "mean"), compression=("compression", "mean")).reset_index()
    return pd.DataFrame({
        "model": summary["model"],
        "pruned": [f"{variant_label(method, epochs, rounds)}, k = {k:g}" for method, epochs, rounds, k
                   in summary[["method", "finetune_epochs", "finetune_rounds", "k"]].itertuples(index=False)],
        "quantization": summary["quantization"],
        "accuracy": [mean_std(mean, std, seeds) for mean, std, seeds
                     in summary[["accuracy", "accuracy_std", "seeds"]].itertuples(index=False)],
        "float accuracy": summary["float_accuracy"].map("{:.4f}".format),
        "stored (KB)": summary["stored_kb"].map("{:.1f}".format),
        "compression": summary["compression"].map("{:.1f}x".format),
    })
