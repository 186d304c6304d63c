"""Which layers are pruned: the config's selection (``pruning.layers``), the indices it picks
in a network, and its scope, the name results are filed and labelled under."""

from __future__ import annotations

from ..models.network import Network, graph_layers, kernel_shapes

SELECTIONS = ("all_but_output", "inner", "conv", "all")


def layer_kinds(architecture: dict) -> list[str] | None:
    """'conv' or 'dense' for each weighted (prunable) layer of an architecture, output layer last;
    ``None`` for a custom model, whose layers are known once built."""
    shapes = kernel_shapes(architecture)
    return None if shapes is None else ["conv" if len(shape) == 4 else "dense" for shape in shapes]


def layer_names(architecture: dict) -> list[str] | None:
    """The prunable layers' names of an architecture known before it is built (the built-ins, a
    model trained elsewhere), in order; ``None`` for a custom model, whose layers are known once built."""
    layers = graph_layers(architecture)
    return None if layers is None else [name for name, _ in layers]


def layer_indices(kinds: list[str], selection: str | list[int | str], names: list[str] | None = None) -> list[int]:
    """Indices of the layers to prune, given each layer's kind ('conv' or 'dense', output last):
    ``all_but_output`` (every layer but the classifier, as in all five earlier experiments),
    ``inner`` (every layer but the first and the classifier: a vision transformer's blocks, as
    Wanda's and SparseGPT's image-classifier code prunes them, or a CNN without its first
    convolution), ``conv`` (convolutional kernels only), ``all``, or a list of indices and, for a
    graph model whose prunable layers are ``names``, layer names."""
    if selection == "all_but_output":
        return list(range(len(kinds) - 1))
    if selection == "inner":
        return list(range(1, len(kinds) - 1))
    if selection == "all":
        return list(range(len(kinds)))
    if selection == "conv":
        return [i for i, kind in enumerate(kinds) if kind == "conv"]
    if isinstance(selection, list) and any(isinstance(item, str) for item in selection):
        unknown = [item for item in selection if isinstance(item, str) and item not in (names or [])]
        if unknown:
            raise ValueError(f"layers {selection!r}: no layer {unknown[0]!r}; " + (
                f"the prunable layers are {', '.join(names)}" if names else
                "a custom model's layer names are known once it is built; count its layers by index"))
        selection = [names.index(item) if isinstance(item, str) else item for item in selection]
    if isinstance(selection, list) and all(0 <= i < len(kinds) for i in selection):
        return sorted(set(selection))
    raise ValueError(f"layers {selection!r}: use one of {', '.join(SELECTIONS)} "
                     f"or a list of indices below {len(kinds)}")


def pruned_layers(network: Network, selection: str | list[int | str]) -> list[int]:
    """Indices of ``network``'s layers that ``selection`` prunes (see :func:`layer_indices`)."""
    return layer_indices(["conv" if network.is_conv(i) else "dense" for i in range(network.num_layers)], selection,
                         network.layer_names)


def scope_name(selection: str | list[int]) -> str:
    """The scope of a selection, a path segment and the metrics' ``layers`` column:
    'all_but_output', 'conv' or 'layers_0_2'."""
    if isinstance(selection, str):
        return selection
    ordered = sorted(selection, key=lambda item: (isinstance(item, str), item))
    # an attention's projection (block1_attention/query) as one path segment: block1_attention.query
    return "layers_" + "_".join(str(item).replace("/", ".") for item in ordered)
