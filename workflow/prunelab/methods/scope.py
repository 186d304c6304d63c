"""Which layers are pruned: the config's selection (``pruning.layers``), the indices it picks
in a network, and its scope, the name results are filed and labelled under."""

from __future__ import annotations

from ..models.graph_network import GRAPH_TYPES
from ..models.network import Network, kernel_shapes

SELECTIONS = ("all_but_output", "conv", "all")


def layer_kinds(architecture: dict) -> list[str]:
    """'conv' or 'dense' for each weighted (prunable) layer of an architecture, output layer last."""
    if architecture["type"] in GRAPH_TYPES:
        return ["conv" if len(shape) == 4 else "dense" for shape in kernel_shapes(architecture)]
    conv = architecture.get("conv", [])
    return ["conv"] * len(conv) + ["dense"] * (len(architecture["hidden"]) + 1)


def layer_indices(kinds: list[str], selection: str | list[int]) -> list[int]:
    """Indices of the layers to prune, given each layer's kind ('conv' or 'dense', output last):
    ``all_but_output`` (every layer but the classifier, as in all five earlier experiments),
    ``conv`` (convolutional kernels only), ``all``, or a list."""
    if selection == "all_but_output":
        return list(range(len(kinds) - 1))
    if selection == "all":
        return list(range(len(kinds)))
    if selection == "conv":
        return [i for i, kind in enumerate(kinds) if kind == "conv"]
    if isinstance(selection, list) and all(0 <= i < len(kinds) for i in selection):
        return sorted(set(selection))
    raise ValueError(f"layers {selection!r}: use one of {', '.join(SELECTIONS)} "
                     f"or a list of indices below {len(kinds)}")


def pruned_layers(network: Network, selection: str | list[int]) -> list[int]:
    """Indices of ``network``'s layers that ``selection`` prunes (see :func:`layer_indices`)."""
    return layer_indices(["conv" if network.is_conv(i) else "dense" for i in range(network.num_layers)], selection)


def scope_name(selection: str | list[int]) -> str:
    """The scope of a selection, a path segment and the metrics' ``layers`` column:
    'all_but_output', 'conv' or 'layers_0_2'."""
    return selection if isinstance(selection, str) else "layers_" + "_".join(map(str, sorted(selection)))
