"""Findings in words, computed from the results: how far each method goes within the
tolerance, what that saves for real, how each method fares against the random floor and
against its control, and published figures beside ours."""

from __future__ import annotations

import pandas as pd

from ..measuring.latency import RUNTIMES, measurably_different
from .tables import floor_method, largest_safe_k, model_names, summarize, variant_order


def points(tolerance: float) -> str:
    """A tolerance in accuracy points: '1 point', '2 points', '0.5 points'."""
    value = tolerance * 100
    return f"{value:g} point{'' if value == 1 else 's'}"


def findings(summary: pd.DataFrame, tolerance: float, methods: dict) -> list[str]:
    """What a reader takes away, one sentence or two per model (the table of how far each method
    goes has the detail): which variant goes furthest within the tolerance, and which lose more
    than the tolerance already at the first k they prune to."""
    sentences = []
    safe = largest_safe_k(summary, tolerance)
    order, names, within = variant_order(summary, methods), model_names(summary), points(tolerance)
    for (dataset, train_id), group in safe.groupby(["dataset", "train_id"], sort=True):
        group = group.assign(rank=group["variant"].map(order.index)).sort_values("rank")
        parts = [f"**{names[dataset, train_id]}**: unpruned test accuracy {group['baseline'].iloc[0]:.4f}."]
        candidates = group[group["safe_k"] > 0]
        if len(candidates):
            best = candidates.sort_values(["safe_k", "accuracy_at_max_k"], ascending=False).iloc[0]
            parts.append(f"{best['variant']} goes furthest within {within}: to k = {best['safe_k']:g} "
                         f"({best['safe_compression']:.1f}x compression, test accuracy {best['safe_accuracy']:.4f}).")
        failing = group[~(group["safe_k"] > 0)]
        if len(failing):
            parts.append(f"{', '.join(failing['variant'])} {'loses' if len(failing) == 1 else 'lose'} more than "
                         f"{within} already at the first k {'it prunes' if len(failing) == 1 else 'they prune'} to.")
        sentences.append(" ".join(parts))
    return sentences


FORM_NAMES = {"masked": "masked", "sparse": "sparse (CSR)", "compact": "compacted"}
RUNTIME_NAMES = {"numpy": "numpy", "onnxruntime": "ONNX Runtime"}


def speed_change(pruned: pd.DataFrame, dense: pd.DataFrame) -> str:
    """'2.6x faster (2.4-2.8)', '1.3x slower (1.2-1.4)' or 'no measurable change (0.9-1.1)': the
    ratio of the medians (over seeds) with the range the two interquartile ranges allow; a change is
    claimed only where those ranges do not overlap."""
    a, b = pruned[["median_ms", "q1_ms", "q3_ms"]].median(), dense[["median_ms", "q1_ms", "q3_ms"]].median()
    ratio, low, high = b["median_ms"] / a["median_ms"], b["q1_ms"] / a["q3_ms"], b["q3_ms"] / a["q1_ms"]
    if not measurably_different(a.to_dict(), b.to_dict()):
        return f"no measurable change ({low:.1f}-{high:.1f})"
    if ratio > 1:
        return f"{ratio:.1f}x faster ({low:.1f}-{high:.1f})"
    return f"{1 / ratio:.1f}x slower ({1 / high:.1f}-{1 / low:.1f})"


def savings_table(metrics: pd.DataFrame, latency: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """Per model and one-shot method, what its largest harmless k (within ``tolerance``) saves for
    real: bytes on disk (compacted, each layer dense or CSR, whichever is smaller) against the
    unpruned model's, the theoretical speedup, and the measured speed of each form in each runtime
    against the unpruned model in the same runtime, at the largest batch timed (:func:`speed_change`:
    a change only outside both interquartile ranges)."""
    one_shot = metrics[metrics["finetune_epochs"] == 0]
    safe = largest_safe_k(summarize(one_shot), tolerance)
    names, rows = model_names(one_shot), []
    for row in safe[safe["safe_k"] > 0].itertuples():
        same_model = (one_shot["train_id"] == row.train_id) & (one_shot["dataset"] == row.dataset)
        chosen = one_shot[same_model & (one_shot["method"] == row.variant) & (one_shot["k"] == row.safe_k)]
        size, dense_size = chosen["size_bytes"].mean(), chosen["dense_size_bytes"].mean()
        cells = {"model": names[row.dataset, row.train_id], "method": row.variant, "k": f"{row.safe_k:g}",
                 "size on disk": f"{size / 1e6:.2f} MB of {dense_size / 1e6:.2f} ({dense_size / size:.1f}x smaller)",
                 "theoretical speedup": f"{chosen['theoretical_speedup'].mean():.1f}x"}
        timed = latency[(latency["train_id"] == row.train_id) & (latency["dataset"] == row.dataset)]
        if len(timed):
            timed = timed[timed["batch_size"] == timed["batch_size"].max()]
            pruned = timed[(timed["method"] == row.variant) & (timed["k"] == row.safe_k)]
            dense = timed[(timed["k"] == 0) & (timed["form"] == "masked")]
            for runtime, forms in RUNTIMES.items():
                for form in forms:
                    measured = pruned[(pruned["runtime"] == runtime) & (pruned["form"] == form)]
                    if len(measured):
                        cells[f"{RUNTIME_NAMES[runtime]}, {FORM_NAMES[form]}"] = speed_change(
                            measured, dense[dense["runtime"] == runtime])
            cells["batch"] = int(timed["batch_size"].iloc[0])
        rows.append(cells)
    return pd.DataFrame(rows).fillna("")


def control_variant(variant: str, control: dict, variants) -> str:
    """The variant of a method's control that ``variant`` is judged against: retrained alike
    (``gradual +ft3`` against ``weight +ft3``), or the control's fine-tuned variant where there is
    one (``best``)."""
    retraining = variant.split(" ", 1)[1] if " " in variant else ""
    if control["retraining"] == "best":
        return next((v for v in variants if v.startswith(f"{control['method']} +ft")), control["method"])
    return f"{control['method']} {retraining}".strip()


def method_findings(summary: pd.DataFrame, methods: dict) -> list[str]:
    """Per configuration: which variants fall below the random floor, and how each method
    fares against its control at the k both reached (each method's module names its control:
    Frankle & Carbin's re-initialization, Zhu & Gupta's one-shot + fine-tuning at equal
    epochs, Liu et al.'s training from scratch)."""
    sentences, floor, names = [], floor_method(methods), model_names(summary)
    for (dataset, train_id), group in summary.groupby(["dataset", "train_id"], sort=True):
        accuracy = group[group["k"] > 0].pivot_table(index="k", columns="variant", values="accuracy")
        parts = []
        if floor in accuracy:
            below = {variant: sorted(accuracy.index[accuracy[variant] < accuracy[floor]])
                     for variant in variant_order(group, methods)
                     if variant in accuracy and variant.split(" ")[0] != floor}
            below = {variant: ks for variant, ks in below.items() if ks}
            parts.append("Below the random floor: " + "; ".join(f"{v} at k = {', '.join(f'{k:g}' for k in ks)}"
                                                             for v, ks in below.items()) + "."
                         if below else "Every method stays above the random floor at every k.")
        for method, shown in methods.items():
            if shown.get("control") is None:
                continue
            for variant in [v for v in accuracy if v.split(" ")[0] == method]:
                against = control_variant(variant, shown["control"], accuracy)
                if against not in accuracy:
                    continue
                both = accuracy[[variant, against]].dropna()
                if both.empty:
                    continue
                gap = (both[variant] - both[against]) * 100
                ahead = ", ".join(f"{k:g}" for k in gap.index[gap > 0])
                count = len(ahead.split(", ")) if ahead else 0
                parts.append(f"{variant} against {against} ({shown['control']['holds']}): ahead at {count} of "
                             f"{len(gap)} k{f' ({ahead})' if ahead else ''}, by {gap.min():+.1f} to "
                             f"{gap.max():+.1f} points.")
        if parts:
            sentences.append(f"**{names[dataset, train_id]}**: " + " ".join(parts))
    return sentences


def published_beside_ours(metrics: pd.DataFrame, published: list[dict]) -> pd.DataFrame:
    """A table of the published figures a preset aims at, each beside our mean ± std over seeds
    for the same dataset, method, k and fine-tuning epochs (and model and regularizer, where the
    entry names them)."""
    rows = []
    for entry in published:
        match = metrics[(metrics["dataset"] == entry["dataset"]) & (metrics["method"] == entry["method"])
                        & ((metrics["k"] - entry["k"]).abs() < 1e-9)
                        & (metrics["finetune_epochs"] == entry.get("finetune_epochs", 0))]
        for key in ("model", "regularizer"):
            if entry.get(key):
                match = match[match[key] == entry[key]]
        ours = match["accuracy"]
        rows.append({"result": entry["label"], "published": entry["published"],
                     "ours (test accuracy)": (f"{ours.mean():.4f}" + (f" ± {ours.std():.4f}" if len(ours) > 1 else "")
                                              if len(ours) else "not run"),
                     "ours (test error)": f"{100 * (1 - ours.mean()):.2f} %" if len(ours) else "",
                     "seeds": len(ours), "source": entry["source"]})
    return pd.DataFrame(rows)
