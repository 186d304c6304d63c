"""Figures, built on matplotlib ``Figure`` objects (no pyplot state, so the same
functions serve headless scripts and the report notebook) and seaborn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from .network import Network
from .pruning import GRANULARITY, prune, unit_norms
from .tables import method_order

METHOD_COLORS = {"weight": "tab:red", "unit": "tab:blue", "global_weight": "tab:orange", "random": "tab:gray"}


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


def sweep(metrics: pd.DataFrame, dataset: str) -> Figure:
    """Test accuracy and loss vs k, one column per training configuration, methods by colour.

    With several seeds the line is their mean and the band their standard deviation.
    """
    data = metrics[metrics["dataset"] == dataset]
    configurations = list(dict.fromkeys(data.sort_values(["model", "regularizer"])["train_id"]))
    figure = Figure(figsize=(3.6 * len(configurations), 6), layout="constrained")
    axes = figure.subplots(2, len(configurations), squeeze=False, sharex=True)
    palette = {m: METHOD_COLORS.get(m, f"C{i}") for i, m in enumerate(method_order(data["method"]))}
    for column, train_id in enumerate(configurations):
        subset = data[data["train_id"] == train_id]
        for row, metric in enumerate(("accuracy", "loss")):
            ax = axes[row, column]
            sns.lineplot(data=subset, x="k", y=metric, hue="method", hue_order=method_order(data["method"]),
                         palette=palette, marker="o",
                         errorbar="sd", ax=ax, legend=(row == 0 and column == 0))
            set_k_axis(ax, subset["k"])
            ax.set_ylabel(f"test {metric}")
            if metric == "loss":
                ax.set_yscale("log")
            else:
                ax.set_ylim(0, 1)
        axes[0, column].set_title(train_id, fontsize=9)
    figure.suptitle(f"{dataset}: pruning sweep", fontsize=11)
    return figure


def surviving_scores(network: Network, layers: list[int], method: str, k: float, seed: int = 0
                     ) -> list[np.ndarray]:
    """Per pruned layer, what survives pruning at k: L2 norms of the remaining units for
    unit-level methods, |w| of the remaining weights otherwise."""
    pruned, _ = prune(network, method, k, layers, seed)
    scores = []
    for index in layers:
        if GRANULARITY[method] == "unit":
            norms = unit_norms(pruned.kernels[index])
            scores.append(norms[norms > 0])
        else:
            magnitudes = np.abs(pruned.kernels[index]).ravel()
            scores.append(magnitudes[magnitudes > 0])
    return scores


def distributions(network: Network, layers: list[int], methods: list[str], ks: list[float], seed: int,
                  title: str) -> Figure:
    """One row per k, one column per method: histograms of what survives, one line per layer.

    The bins are fixed by the unpruned model so rows compare directly; C animated
    these histograms as GIFs, a grid shows every frame at once.
    """
    ks = sorted(ks)
    figure = Figure(figsize=(4.5 * len(methods), 0.9 * len(ks) + 1.2), layout="constrained")
    axes = figure.subplots(len(ks), len(methods), squeeze=False, sharex="col")
    colors = sns.color_palette("viridis", len(layers))
    for column, method in enumerate(methods):
        unpruned = np.concatenate(surviving_scores(network, layers, method, 0.0))
        by_unit = GRANULARITY[method] == "unit"
        low = max(float(np.percentile(unpruned, 0.5)), 1e-8)
        bins = (np.linspace(0, unpruned.max(), 50) if by_unit
                else np.geomspace(low, unpruned.max(), 60))
        for row, k in enumerate(ks):
            ax = axes[row, column]
            for layer, scores, color in zip(layers, surviving_scores(network, layers, method, k, seed), colors):
                # each layer as a fraction of its own size, so small layers stay visible
                size = network.kernels[layer].shape[-1] if by_unit else network.kernels[layer].size
                ax.hist(scores, bins=bins, weights=np.full(len(scores), 1 / size), histtype="step",
                        color=color, label=f"layer {layer}")
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
