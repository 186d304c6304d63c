"""The tidy metrics table, per-seed summaries, C-style markdown tables and findings in words."""

from __future__ import annotations

import pandas as pd

from .pruning import METHODS

IDENTITY = ["dataset", "model", "regularizer", "strength", "train_id", "seed", "layers", "method", "k"]
METRIC_COLUMNS = IDENTITY + ["accuracy", "loss", "correct", "total", "sparsity", "nonzero_params",
                             "prunable_params", "total_params"]
CONFIGURATION = ["dataset", "train_id", "model", "regularizer", "strength", "layers"]


def method_order(methods) -> list[str]:
    """Methods in registration order (weight, unit, ...), the order tables and legends use."""
    registered = list(METHODS)
    return sorted(set(methods), key=lambda m: (registered.index(m) if m in registered else len(registered), m))


def metrics_frame(records: list[dict]) -> pd.DataFrame:
    """One row per pruned model, in a stable order (so reruns give identical bytes)."""
    frame = pd.DataFrame.from_records(records)
    missing = [c for c in METRIC_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"pruning records lack the columns {missing}")
    return frame[METRIC_COLUMNS].sort_values(IDENTITY, kind="stable").reset_index(drop=True)


def summarize(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and count over seeds, per configuration, method and k."""
    grouped = metrics.groupby(CONFIGURATION + ["method", "k"], sort=True)
    summary = grouped.agg(accuracy=("accuracy", "mean"), accuracy_std=("accuracy", "std"),
                          loss=("loss", "mean"), loss_std=("loss", "std"),
                          sparsity=("sparsity", "mean"), seeds=("seed", "nunique"))
    return summary.fillna({"accuracy_std": 0.0, "loss_std": 0.0}).reset_index()


def _cell(mean: float, std: float, seeds: int) -> str:
    return f"{mean:.4f}" if seeds < 2 else f"{mean:.4f} ± {std:.4f}"


def markdown_table(summary: pd.DataFrame) -> str:
    """C's layout for one configuration: one row per k, accuracy then loss per method."""
    methods = method_order(summary["method"])
    header = ["k"] + [f"{m} accuracy" for m in methods] + [f"{m} loss" for m in methods]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for k, rows in summary.groupby("k", sort=True):
        by_method = rows.set_index("method")
        cells = [f"{k:g}"]
        for metric in ("accuracy", "loss"):
            for method in methods:
                if method in by_method.index:
                    row = by_method.loc[method]
                    cells.append(_cell(row[metric], row[f"{metric}_std"], row["seeds"]))
                else:
                    cells.append("")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_document(summary: pd.DataFrame) -> str:
    """A titled markdown table for one dataset and training configuration."""
    first = summary.iloc[0]
    strength = "" if first["regularizer"] == "none" else f" (λ = {first['strength']:g})"
    seeds = int(summary["seeds"].max())
    title = (f"# {first['dataset']} · {first['model']} · regularizer {first['regularizer']}{strength}\n\n"
             f"Test accuracy and cross-entropy loss after pruning a fraction k of each prunable layer "
             f"({first['train_id']}, {seeds} seed{'s' if seeds > 1 else ''}"
             f"{', mean ± std' if seeds > 1 else ''}).\n\n")
    return title + markdown_table(summary)


def largest_safe_k(summary: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per configuration and method: the largest k before accuracy first falls more than
    ``tolerance`` below the unpruned (k = 0) accuracy, and the accuracy at the largest k."""
    rows = []
    for key, group in summary.groupby(CONFIGURATION + ["method"], sort=True):
        group = group.sort_values("k")
        baseline = group.loc[group["k"] == 0, "accuracy"]
        if baseline.empty:
            continue
        baseline = float(baseline.iloc[0])
        safe = group["accuracy"] >= baseline - tolerance
        failing = group.loc[~safe, "k"]
        within = group if failing.empty else group[group["k"] < failing.min()]
        rows.append({**dict(zip(CONFIGURATION + ["method"], key)), "baseline": baseline,
                     "safe_k": float(within["k"].max()), "max_k": float(group["k"].max()),
                     "accuracy_at_max_k": float(group["accuracy"].iloc[-1])})
    return pd.DataFrame(rows)


def findings(summary: pd.DataFrame, tolerance: float) -> list[str]:
    """Sentences a reader can take away, computed from the results."""
    sentences = []
    safe = largest_safe_k(summary, tolerance)
    for (dataset, train_id), group in safe.groupby(["dataset", "train_id"], sort=True):
        baseline = group["baseline"].iloc[0]
        parts = [f"**{dataset}, {train_id}**: unpruned test accuracy {baseline:.4f}."]
        for row in group.itertuples():
            parts.append(f"{row.method} pruning stays within {tolerance * 100:g} point(s) up to k = {row.safe_k:g}"
                         f" and reaches {row.accuracy_at_max_k:.4f} at k = {row.max_k:g}.")
        if len(group) > 1:
            best = group.sort_values(["safe_k", "accuracy_at_max_k"], ascending=False).iloc[0]
            parts.append(f"{best['method']} pruning tolerates the most.")
        sentences.append(" ".join(parts))
    return sentences
