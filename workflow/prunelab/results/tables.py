"""The tidy metrics table, per-seed summaries, C-style markdown tables and findings in words."""

from __future__ import annotations

import pandas as pd

from .columns import IDENTITY, LATENCY_COLUMNS, METRIC_COLUMNS, PRUNED_MODEL, RETRAINING

CONFIGURATION = ["dataset", "train_id", "model", "regularizer", "strength", "layers"]


def method_order(names, order: list[str]) -> list[str]:
    """``names`` in ``order`` (the configured methods as the plan presents them: catalog order,
    then a researcher's own), others after them by name: the order tables and legends use."""
    order = list(order)
    return sorted(set(names), key=lambda m: (order.index(m) if m in order else len(order), m))


def floor_method(methods: dict) -> str | None:
    """The configured method every other must beat (random pruning), if any."""
    return next((name for name, shown in methods.items() if shown.get("floor")), None)


def one_shot(methods: dict, method: str) -> bool:
    """Whether ``method`` prunes the trained model once, without training (a researcher's own
    methods not configured here count as one-shot)."""
    return methods.get(method, {}).get("runs", "one_shot") == "one_shot"


def method_rows(unpruned: dict, methods: list[str]) -> list[dict]:
    """The record of a trained model evaluated as is, as the k = 0 row of each of ``methods``
    (k = 0 is the trained model itself, whatever the method)."""
    return [{**unpruned, "method": method} for method in methods]


def metrics_frame(records: list[dict]) -> pd.DataFrame:
    """One row per pruned model, in a stable order (so reruns give identical bytes)."""
    frame = pd.DataFrame.from_records(records)
    missing = [c for c in METRIC_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"pruning records lack the columns {missing}: they were written by another version "
                         f"of the workflow; remake them with: snakemake --forcerun prune finetune")
    return frame[METRIC_COLUMNS].sort_values(IDENTITY, kind="stable").reset_index(drop=True)


def latency_frame(rows: list[dict]) -> pd.DataFrame:
    """Measured latencies, long: one row per one-shot pruned model, runtime, form and batch size."""
    frame = pd.DataFrame.from_records(rows, columns=LATENCY_COLUMNS)
    key = PRUNED_MODEL + ["runtime", "form", "batch_size"]
    return frame[LATENCY_COLUMNS].sort_values(key, kind="stable").reset_index(drop=True)


def retraining_label(finetune_epochs: int, finetune_rounds: int) -> str:
    """'' for one-shot pruning, '+ft3' after 3 epochs of fine-tuning, '+ft3 (3 rounds)'
    when those epochs were spread over 3 prune-retrain rounds."""
    if finetune_epochs == 0:
        return ""
    return f"+ft{finetune_epochs}" + (f" ({finetune_rounds} rounds)" if finetune_rounds > 1 else "")


def variant_label(method: str, finetune_epochs: int, finetune_rounds: int) -> str:
    """'weight' for one-shot pruning, 'weight +ft3' after 3 epochs of fine-tuning, and so on."""
    return f"{method} {retraining_label(finetune_epochs, finetune_rounds)}".strip()


def summarize(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and count over seeds, per configuration, variant and k."""
    metrics = metrics.assign(compression=metrics["total_params"] / metrics["nonzero_params"])
    grouped = metrics.groupby(CONFIGURATION + ["method", *RETRAINING, "k"], sort=True)
    summary = grouped.agg(accuracy=("accuracy", "mean"), accuracy_std=("accuracy", "std"),
                          loss=("loss", "mean"), loss_std=("loss", "std"),
                          sparsity=("sparsity", "mean"), compression=("compression", "mean"),
                          seeds=("seed", "nunique"))
    summary = summary.fillna({"accuracy_std": 0.0, "loss_std": 0.0}).reset_index()
    summary["variant"] = [variant_label(*v) for v in summary[["method", *RETRAINING]].itertuples(index=False)]
    return summary


def variant_order(summary: pd.DataFrame, order: list[str]) -> list[str]:
    """Variants by method (in ``order``), one-shot before fine-tuned."""
    variants = summary[["method", *RETRAINING]].drop_duplicates()
    order = method_order(variants["method"], order)
    variants = sorted(variants.itertuples(index=False), key=lambda v: (order.index(v[0]), *v[1:]))
    return [variant_label(*v) for v in variants]


def mean_std(mean: float, std: float, seeds: int) -> str:
    """A table cell: the mean, and the std where there are several seeds."""
    return f"{mean:.4f}" if seeds < 2 else f"{mean:.4f} ± {std:.4f}"


def markdown_table(summary: pd.DataFrame, order: list[str]) -> str:
    """One configuration's table, one row per k, accuracy then loss per variant (the layout of the
    earlier experiments this workflow grew out of)."""
    variants = variant_order(summary, order)
    header = ["k"] + [f"{v} accuracy" for v in variants] + [f"{v} loss" for v in variants]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for k, rows in summary.groupby("k", sort=True):
        by_variant = rows.set_index("variant")
        cells = [f"{k:g}"]
        for metric in ("accuracy", "loss"):
            for variant in variants:
                if variant in by_variant.index:
                    row = by_variant.loc[variant]
                    cells.append(mean_std(row[metric], row[f"{metric}_std"], row["seeds"]))
                else:
                    cells.append("")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def table_document(summary: pd.DataFrame, order: list[str]) -> str:
    """A titled markdown table for one dataset and training configuration."""
    first = summary.iloc[0]
    strength = "" if first["regularizer"] == "none" else f" (λ = {first['strength']:g})"
    seeds = int(summary["seeds"].max())
    title = (f"# {first['dataset']} · {first['model']} · regularizer {first['regularizer']}{strength}\n\n"
             f"Test accuracy and cross-entropy loss after pruning a fraction k of each prunable layer "
             f"({first['layers']}; {first['train_id']}, {seeds} seed{'s' if seeds > 1 else ''}"
             f"{', mean ± std' if seeds > 1 else ''}; +ftN: after N epochs of fine-tuning, "
             f"spread over R prune-retrain rounds where it says so).\n\n")
    return title + markdown_table(summary, order)


def largest_safe_k(summary: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per configuration and variant: the largest k before the accuracy first falls more than
    ``tolerance`` below the unpruned model's, and the accuracy at the variant's largest k."""
    rows = []
    for key, configuration in summary.groupby(CONFIGURATION, sort=True):
        unpruned = configuration[(configuration["k"] == 0) & (configuration["finetune_epochs"] == 0)]
        if unpruned.empty:
            continue
        baseline = float(unpruned["accuracy"].iloc[0])
        for variant, group in configuration.groupby("variant", sort=True):
            group = group.sort_values("k")
            failing = group.loc[group["accuracy"] < baseline - tolerance, "k"]
            within = group if failing.empty else group[group["k"] < failing.min()]
            safe = within.loc[within["k"].idxmax()] if len(within) else None
            rows.append({**dict(zip(CONFIGURATION, key)), "variant": variant, "baseline": baseline,
                         "safe_k": float(safe["k"]) if safe is not None else float("nan"),
                         "safe_compression": float(safe["compression"]) if safe is not None else float("nan"),
                         "safe_accuracy": float(safe["accuracy"]) if safe is not None else float("nan"),
                         "first_failing_k": float(failing.min()) if len(failing) else float("nan"),
                         "max_k": float(group["k"].max()), "accuracy_at_max_k": float(group["accuracy"].iloc[-1])})
    return pd.DataFrame(rows, columns=[*CONFIGURATION, "variant", "baseline", "safe_k", "safe_compression",
                                       "safe_accuracy", "first_failing_k", "max_k", "accuracy_at_max_k"])


def model_names(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """A readable name per trained model configuration (dataset, train_id): dataset, model and
    regularizer, with the id's digest only where two would otherwise read the same."""
    configurations = frame[["dataset", "train_id", "model", "regularizer", "strength"]].drop_duplicates()
    names = {}
    for row in configurations.itertuples(index=False):
        regularizer = ("no regularizer" if row.regularizer == "none"
                       else f"{row.regularizer.upper()} λ {row.strength:g}")
        names[row.dataset, row.train_id] = f"{row.dataset} · {row.model} · {regularizer}"
    counts = pd.Series(list(names.values())).value_counts()
    return {key: name if counts[name] == 1 else f"{name} · {key[1].rsplit('-', 1)[-1]}" for key, name in names.items()}


def matrix_names(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    """Each model (dataset, train_id) of one dataset's table named by what differs between them:
    the parts of :func:`model_names` that every model shares (the dataset always) left out, so a
    column heading reads 'cnn · L1 λ 0.001', or 'L2 λ 0.01' where only the regularizer differs."""
    parts = {key: name.split(" · ")[1:] for key, name in model_names(frame).items()}
    width = max(map(len, parts.values()))
    varying = [i for i in range(width) if len({tuple(p[i:i + 1]) for p in parts.values()}) > 1]
    return {key: " · ".join(p[i] for i in varying if i < len(p)) or " · ".join(p) for key, p in parts.items()}


def summary_matrix(summary: pd.DataFrame, tolerance: float, methods: dict, dataset: str,
                   without_retraining: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How far each method goes on one dataset, at a glance: methods (variants, in the methods'
    order) as rows, models as columns, each cell 'k · compression · test accuracy' at the largest k
    whose every step up to it stays within ``tolerance`` of the unpruned model ('none' where the
    first k it prunes to already loses more; empty where the method did not run on that model). The second
    frame marks each column's best cell: the most compression, then the higher accuracy. With
    ``without_retraining``, one-shot methods as they prune, nothing retrained."""
    summary = summary[summary["dataset"] == dataset]
    safe = largest_safe_k(summary, tolerance)
    if without_retraining:
        plain = summary[(summary["finetune_epochs"] == 0)
                        & summary["method"].map(lambda m: one_shot(methods, m))]["variant"].unique()
        safe = safe[safe["variant"].isin(plain)]
    names = matrix_names(summary)
    columns = list(dict.fromkeys(names[key] for key in safe[["dataset", "train_id"]].itertuples(index=False)))
    rows = [variant for variant in variant_order(summary, methods) if variant in set(safe["variant"])]
    cells = pd.DataFrame("", index=pd.Index(rows, name="method"), columns=columns)
    best = pd.DataFrame(False, index=cells.index, columns=columns)
    for row in safe.itertuples():
        cells.loc[row.variant, names[row.dataset, row.train_id]] = (
            f"{row.safe_k:g} · {row.safe_compression:.1f}x · {row.safe_accuracy:.4f}" if row.safe_k > 0 else "none")
    for (dataset_name, train_id), group in safe[safe["safe_k"] > 0].groupby(["dataset", "train_id"]):
        top = group.sort_values(["safe_compression", "safe_accuracy"], ascending=False).iloc[0]
        best.loc[top["variant"], names[dataset_name, train_id]] = True
    return cells, best
