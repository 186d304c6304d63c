"""Figures, built on matplotlib ``Figure`` objects (no pyplot state, so the same
functions serve headless scripts and the report notebook) and seaborn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from .tables import RETRAINING, floor_method, method_order, model_names, one_shot, retraining_label, variant_label

OTHER_COLORS = ["#17becf", "#9edae5", "black", "#98df8a", "#f7b6d2", "#ffbb78"]
"""Colours of methods whose module names none (a researcher's own), in turn."""


def model_label(path: str) -> str:
    """'dataset · train_id · seed N' from a path .../{dataset}/{train_id}/seed{N}/file or .../seed{N}.png."""
    parts = Path(path).parts
    if not parts[-1].startswith("seed"):
        parts = parts[:-1]
    dataset, train_id, seed = parts[-3], parts[-2], Path(parts[-1]).stem
    return f"{dataset} · {train_id} · seed {seed.removeprefix('seed')}"


def _removed_scale(k: np.ndarray) -> np.ndarray:
    """-log10(1 - k): spreads the high sparsities where networks break (0.9 -> 1, 0.99 -> 2)."""
    return -np.log10(np.clip(1 - np.asarray(k, dtype=float), 1e-6, None))


def _inverse_removed_scale(x: np.ndarray) -> np.ndarray:
    return 1 - 10.0 ** (-np.asarray(x, dtype=float))


def set_k_axis(ax, ks) -> None:
    """An x axis for k on the -log10(1 - k) scale, ticked at the values used."""
    ax.set_xscale("function", functions=(_removed_scale, _inverse_removed_scale))
    ticks = sorted(set(float(k) for k in ks))
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([f"{k:g}" for k in ticks], rotation=60, fontsize=7)
    ax.set_xlabel("k (fraction removed per layer)")


def plain_log_scale(axis, slanted: bool = False) -> None:
    """A log scale labelled 0.5, 1, 2, 5 ... instead of powers of ten; ``slanted`` tilts the
    labels of an x axis, so that neighbours such as 0.05 and 0.1 do not run into each other."""
    axis._set_axes_scale("log")
    if slanted:
        axis.set_tick_params(which="major", labelrotation=45, labelsize=7)
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def training_curves(history: pd.DataFrame, title: str) -> Figure:
    """Training (and validation) loss and accuracy per epoch; the kept epoch marked."""
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    kept = int(history.loc[history["best"], "epoch"].iloc[-1])
    for ax, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        ax.plot(history["epoch"], history[metric], marker=".", label="training")
        if f"val_{metric}" in history:
            ax.plot(history["epoch"], history[f"val_{metric}"], marker=".", label="validation")
        ax.axvline(kept, color="gray", linestyle=":", label=f"kept: epoch {kept}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    return figure


def _training_label(epochs: int, rounds: int) -> str:
    return retraining_label(epochs, rounds) or "one-shot"


def model_title(data: pd.DataFrame, dataset: str, train_id: str) -> str:
    """A model's name in a figure of one dataset: what differs between the models (tables.model_names)."""
    return model_names(data)[dataset, train_id].split(" · ", 1)[1]


def _configurations(data: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(data.sort_values(["model", "regularizer"])["train_id"]))


def _palette(data: pd.DataFrame, methods: dict) -> dict:
    """Each method its module's colour (a control a light shade of the method it controls)."""
    others = iter(OTHER_COLORS * 4)
    return {m: methods.get(m, {}).get("color") or next(others) for m in method_order(data["method"], methods)}



PANELS_PER_ROW = 3
"""Models side by side in a figure before its panels wrap to a further band of rows: panels keep a
readable size however many models a run trains."""


def model_panels(count: int, rows: int, panel: tuple[float, float], **subplots) -> tuple[Figure, list[list]]:
    """A figure of ``rows`` panels (of size ``panel`` inches) per model for ``count`` models, at
    most :data:`PANELS_PER_ROW` models side by side, the rest wrapping below; returns it and, per
    model, its column of axes (unused axes removed)."""
    columns = min(count, PANELS_PER_ROW)
    bands = -(-count // columns)
    figure = Figure(figsize=(panel[0] * columns, panel[1] * rows * bands + 0.9), layout="constrained")
    axes = figure.subplots(rows * bands, columns, squeeze=False, **subplots)
    for unused in range(count, bands * columns):
        for row in range(rows):
            axes[(bands - 1) * rows + row, unused % columns].remove()
    return figure, [[axes[(model // columns) * rows + row, model % columns] for row in range(rows)]
                    for model in range(count)]


def legend_below(figure: Figure, handles, labels, fontsize: float = 8) -> None:
    """One legend for the whole figure, below its panels, in as many columns as fit the width."""
    columns = max(1, min(len(labels), int(figure.get_figwidth() // 2.2)))
    figure.legend(handles, labels, loc="outside lower center", ncol=columns, fontsize=fontsize, frameon=False)


def sweep(metrics: pd.DataFrame, dataset: str, methods: dict) -> Figure:
    """Test accuracy and loss vs k, one column per training configuration, methods by colour,
    fine-tuned versions dashed. With several seeds: their mean, and a band of one std."""
    data = metrics[metrics["dataset"] == dataset].copy()
    retraining = data[RETRAINING].drop_duplicates().sort_values(RETRAINING).itertuples(index=False)
    styles = [_training_label(*r) for r in retraining]
    data["training"] = [_training_label(*r) for r in data[RETRAINING].itertuples(index=False)]
    configurations = _configurations(data)
    figure, panels = model_panels(len(configurations), 2, (3.9, 2.9))
    for model_axes, train_id in zip(panels, configurations):
        subset = data[data["train_id"] == train_id]
        for row, (ax, metric) in enumerate(zip(model_axes, ("accuracy", "loss"))):
            sns.lineplot(data=subset, x="k", y=metric, hue="method", hue_order=method_order(data["method"], methods),
                         style="training", style_order=styles, palette=_palette(data, methods), marker="o",
                         errorbar="sd", ax=ax, legend=(row == 0 and train_id == configurations[0]))
            set_k_axis(ax, subset["k"])
            ax.set_ylabel(f"test {metric}")
            if metric == "loss":
                plain_log_scale(ax.yaxis)
            else:
                ax.set_ylim(0, 1)
        model_axes[0].set_title(model_title(data, dataset, train_id), fontsize=9)
    # one legend below the grid, where it hides no curve
    handles, labels = panels[0][0].get_legend_handles_labels()
    panels[0][0].get_legend().remove()
    legend_below(figure, handles, labels)
    figure.suptitle(f"{dataset}: pruning sweep", fontsize=11)
    return figure


COMPRESSION_TICKS = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def comparison(metrics: pd.DataFrame, dataset: str, methods: dict, without_retraining: bool = False) -> Figure:
    """Every method on one axes per training configuration (Blalock et al. 2020): test accuracy
    against compression ratio (all parameters / non-zero parameters, ShrinkBench's definition)
    on a log scale; mean and ±1 std over seeds; the random floor drawn as the floor to beat. The
    second row zooms on the 10 points below the unpruned model, where methods differ. With
    ``without_retraining``, only one-shot methods as they prune, nothing retrained."""
    data = metrics[metrics["dataset"] == dataset].copy()
    if without_retraining:
        data = data[(data["finetune_epochs"] == 0) & data["method"].map(lambda m: one_shot(methods, m))]
    data["compression"] = data["total_params"] / data["nonzero_params"]
    data["variant"] = [variant_label(*v) for v in data[["method", *RETRAINING]].itertuples(index=False)]
    configurations = _configurations(data)
    figure, panels = model_panels(len(configurations), 2, (4.6, 3.2))
    palette, floor = _palette(data, methods), floor_method(methods)
    variants = data[["variant", "method", *RETRAINING]].drop_duplicates()
    order = method_order(variants["method"], methods)
    variants = variants.assign(rank=variants["method"].map(order.index)).sort_values(["rank", *RETRAINING])
    for model_axes, train_id in zip(panels, configurations):
        subset = data[data["train_id"] == train_id]
        unpruned = subset.loc[(subset["k"] == 0) & (subset["finetune_epochs"] == 0), "accuracy"].mean()
        for row, ax in enumerate(model_axes):
            for variant in variants.itertuples(index=False):
                points = subset[subset["variant"] == variant.variant].groupby("k").agg(
                    compression=("compression", "mean"), accuracy=("accuracy", "mean"),
                    spread=("accuracy", "std")).sort_values("compression")
                if points.empty:
                    continue
                style = {"linestyle": "--" if variant.finetune_epochs else "-", "marker": "o", "markersize": 4,
                         "color": palette[variant.method], "label": variant.variant, "capsize": 2}
                if variant.method == floor and not variant.finetune_epochs:
                    style.update(linewidth=2.5, linestyle=":", zorder=1)
                    ax.fill_between(points["compression"], 0, points["accuracy"], color=palette[floor],
                                    alpha=0.12, linewidth=0, label="below random: no better than chance removal")
                ax.errorbar(points["compression"], points["accuracy"], yerr=points["spread"].fillna(0), **style)
            ax.set_xscale("log", base=2)
            top = 2.0 ** np.ceil(np.log2(max(2.0, float(subset["compression"].max()) * 1.1)))
            ax.set_xticks([t for t in COMPRESSION_TICKS if t <= top])
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlim(0.9, top)
            ax.set_ylim(*((0, 1) if row == 0 else (max(0.0, unpruned - 0.1), min(1.0, unpruned + 0.02))))
            ax.set_xlabel("compression ratio (all parameters / non-zero)")
            ax.set_ylabel("test accuracy" if row == 0 else "test accuracy (zoom)")
        model_axes[0].set_title(model_title(data, dataset, train_id), fontsize=9)
    legend_below(figure, *panels[0][0].get_legend_handles_labels())
    seeds = data["seed"].nunique()
    title = "without retraining" if without_retraining else "methods compared"
    figure.suptitle(f"{dataset}: {title}" + (f" (mean ± std over {seeds} seeds)" if seeds > 1 else ""), fontsize=11)
    return figure


LATENCY_STYLES = {("numpy", "masked"): ":", ("numpy", "sparse"): "--", ("numpy", "compact"): "-",
                  ("onnxruntime", "masked"): (0, (1, 3)), ("onnxruntime", "compact"): "-.",
                  ("onnxruntime", "int8"): (0, (5, 1, 1, 1)), ("litert", "int8"): (0, (3, 1, 1, 1, 1, 1))}
"""How each runtime and form is drawn in the latency panels."""


def savings(metrics: pd.DataFrame, latency: pd.DataFrame, dataset: str, methods: dict) -> Figure:
    """What pruning really saves, one column per training configuration (one-shot pruning):
    accuracy against bytes on disk (best format) and against theoretical speedup, and the
    measured latency (median, interquartile band) of each form in each runtime at the largest
    batch size."""
    data = metrics[(metrics["dataset"] == dataset) & (metrics["finetune_epochs"] == 0)]
    timed = latency[latency["dataset"] == dataset]
    configurations = _configurations(data)
    figure, panels = model_panels(len(configurations), 3 if len(timed) else 2, (3.9, 2.9))
    palette, hue_order = _palette(data, methods), method_order(data["method"], methods)
    for model_axes, train_id in zip(panels, configurations):
        subset = data[data["train_id"] == train_id].assign(size_mb=lambda d: d["size_bytes"] / 1e6)
        for row, (x, label) in enumerate([("size_mb", "size on disk, best format (MB)"),
                                          ("theoretical_speedup", "theoretical speedup (FLOPs)")]):
            ax = model_axes[row]
            sns.lineplot(data=subset, x=x, y="accuracy", hue="method", hue_order=hue_order, palette=palette,
                         marker="o", errorbar="sd", ax=ax, legend=False, sort=True)
            plain_log_scale(ax.xaxis, slanted=True)
            ax.set_xlabel(label)
            ax.set_ylabel("test accuracy")
            ax.set_ylim(0, 1)
        if len(timed):
            batch = int(timed["batch_size"].max())
            ax = model_axes[2]
            measured = timed[(timed["train_id"] == train_id) & (timed["batch_size"] == batch)]
            for (method, runtime, form), series in measured.groupby(["method", "runtime", "form"], sort=False):
                series = series.groupby("k")[["median_ms", "q1_ms", "q3_ms"]].median()
                ax.plot(series.index, series["median_ms"], linestyle=LATENCY_STYLES[runtime, form], marker=".",
                        color=palette[method])
                ax.fill_between(series.index, series["q1_ms"], series["q3_ms"], color=palette[method], alpha=0.15,
                                linewidth=0)
            set_k_axis(ax, subset["k"])
            plain_log_scale(ax.yaxis)
            ax.set_ylabel(f"latency, batch {batch} (ms)")
        model_axes[0].set_title(model_title(data, dataset, train_id), fontsize=9)
    # one legend: a colour per method, and for the latency panels a line style per runtime and form
    handles = [Line2D([], [], color=palette[method], marker="o", label=method) for method in hue_order]
    shown = timed[["runtime", "form"]].drop_duplicates().itertuples(index=False) if len(timed) else []
    handles += [Line2D([], [], color="gray", linestyle=LATENCY_STYLES[runtime, form], label=f"{runtime} {form}")
                for runtime, form in shown]
    legend_below(figure, handles, [handle.get_label() for handle in handles])
    figure.suptitle(f"{dataset}: real savings of one-shot pruning (latency: median and interquartile range, "
                    f"one thread)", fontsize=10)
    return figure


QUANTIZATION_STYLES = {"float32": ("black", "o"), "kmeans": ("#1f77b4", "s"), "int8": ("#d62728", "^"),
                       "litert": ("#2ca02c", "v")}
"""Colour and marker of each quantization (float32: the models before it) in the quantized figure."""


def quantized(table: pd.DataFrame, metrics: pd.DataFrame, dataset: str) -> Figure:
    """What quantization adds to pruning (quantized.csv), one panel per training configuration:
    test accuracy against stored bytes (kmeans Huffman-coded, int8 and litert their files; the
    float32 models the same pruned and fine-tuned ones in their best format), one curve per
    quantization over every quantized model, mean over seeds with error bars of one std."""
    data = table[table["dataset"] == dataset].assign(stored_kb=lambda d: d["dense_bytes"] / d["compression"] / 1e3)
    keys = ["train_id", "method", "k", "finetune_epochs", "finetune_rounds", "seed"]
    floats = metrics.merge(data[keys].drop_duplicates(), on=keys)
    data = pd.concat([data, floats.assign(quantization="float32", stored_kb=floats["size_bytes"] / 1e3)])
    configurations = _configurations(data)
    figure, panels = model_panels(len(configurations), 1, (3.9, 2.9))
    order = [name for name in QUANTIZATION_STYLES if name in set(data["quantization"])]
    for (ax,), train_id in zip(panels, configurations):
        subset = data[data["train_id"] == train_id]
        for name in order:
            color, marker = QUANTIZATION_STYLES[name]
            points = subset[subset["quantization"] == name].groupby(keys[1:-1]).agg(
                stored_kb=("stored_kb", "mean"), accuracy=("accuracy", "mean"), spread=("accuracy", "std"))
            points = points.sort_values("stored_kb")
            ax.errorbar(points["stored_kb"], points["accuracy"], yerr=points["spread"].fillna(0), color=color,
                        marker=marker, markersize=4, capsize=2)
        plain_log_scale(ax.xaxis, slanted=True)
        ax.set_xlabel("stored size (KB)")
        ax.set_ylabel("test accuracy")
        ax.set_title(model_title(data, dataset, train_id), fontsize=9)
    handles = [Line2D([], [], color=QUANTIZATION_STYLES[name][0], marker=QUANTIZATION_STYLES[name][1], label=name)
               for name in order]
    legend_below(figure, handles, order)
    figure.suptitle(f"{dataset}: accuracy against stored size, each quantization of the pruned models", fontsize=10)
    return figure


def distributions(survivors: dict, layers: list[int], title: str) -> Figure:
    """One row per k, one column per method: histograms of what survives
    (:class:`prunelab.measuring.survivors.Survivors` by method), one line per layer.

    The bins are fixed by the unpruned model so rows compare directly; a grid shows every k
    at once, as an animation would one after another.
    """
    ks = list(next(iter(survivors.values())).scores)
    height = 0.9 * len(ks) + 1.2
    figure = Figure(figsize=(4.5 * len(survivors), height))
    # fixed margins: constrained layout costs seconds on a grid this size
    figure.subplots_adjust(left=0.04, right=0.98, top=1 - 0.55 / height, bottom=0.5 / height, hspace=0.08,
                           wspace=0.08)
    axes = figure.subplots(len(ks), len(survivors), squeeze=False, sharex="col")
    colors = sns.color_palette("viridis", len(layers))
    for column, (method, left) in enumerate(survivors.items()):
        unpruned, by_unit = np.concatenate(left.unpruned), left.by_unit
        # uniform bins (in log10 |w| for weights) take numpy's fast histogram path
        transform = (lambda v: v) if by_unit else np.log10
        low = 0.0 if by_unit else np.log10(max(float(np.percentile(unpruned, 0.5)), 1e-8))
        edges = np.linspace(low, float(transform(unpruned.max())), 50 if by_unit else 60)
        shown_edges = edges if by_unit else 10.0 ** edges
        for row, k in enumerate(ks):
            ax = axes[row, column]
            for layer, scores, size, color in zip(layers, left.scores[k], left.sizes, colors):
                # each layer as a fraction of its own size, so small layers stay visible
                counts, _ = np.histogram(transform(scores), bins=edges)
                ax.stairs(counts / size, shown_edges, color=color, label=f"layer {layer}")
            if not by_unit:
                ax.set_xscale("log")
            ax.set_yticks([])
            ax.text(0.01, 0.85, f"k = {k:g}", transform=ax.transAxes, fontsize=7)
        axes[0, column].set_title(f"{method} pruning: " + ("unit L2 norms" if by_unit else "non-zero |w|"),
                                  fontsize=9)
        axes[-1, column].set_xlabel("unit L2 norm" if by_unit else "|w| (log scale)")
    axes[0, 0].legend(fontsize=6, loc="upper right")
    figure.suptitle(title, fontsize=10)
    return figure
