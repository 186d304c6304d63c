"""Running a method: from a network, a method and k to the pruned network and its masks.

Jobs import this module and the one method they run (:func:`load_method`), never the
catalog, so a job's code version covers its own method alone.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np

from ..models.network import Network
from .method import Method, check_masks
from .needs import NEEDS
from .selection import is_unpruned


@dataclass(frozen=True)
class PruningData:
    """What a method's needs are computed from, besides the network: the training images its
    gradients are taken on (``x``, ``labels``), the calibration images (model inputs) and
    its settings."""

    x: np.ndarray | None = None
    labels: np.ndarray | None = None
    calibration: np.ndarray | None = None
    settings: dict = field(default_factory=dict)


def method_spec(method: Method) -> dict:
    """What a job needs to load ``method`` (a param of its rule): the module of a built-in,
    or the file and function of a researcher's own."""
    return {"name": method.name, "source": method.source, "runs": method.runs}


def load_method(spec: dict) -> Method:
    """The method a job runs, from :func:`method_spec`, importing only its own module."""
    source = spec["source"]
    if source.startswith(f"{__package__}."):
        module = importlib.import_module(source)
        return next(m for m in module.METHODS if m.name == spec["name"])
    # imported by name, like the built-ins: its code version is the custom method's alone
    custom = importlib.import_module(f"{__package__}.custom")
    return custom.load_custom_method(spec["name"], source, spec["runs"])


def apply_masks(network: Network, masks: list[np.ndarray | None], unit_level: bool = False) -> Network:
    """Zero the pruned kernel entries (``None``: layer untouched); unit-level pruning also
    zeroes the biases and batch-norm parameters of the channels it removed, so a removed channel
    contributes nothing (:meth:`~prunelab.models.network.Network.zero_removed_channels`)."""
    kernels = [w if m is None else np.where(m, w, np.zeros_like(w)) for w, m in zip(network.kernels, masks)]
    pruned = network.with_weights(kernels)
    return pruned.zero_removed_channels() if unit_level else pruned


def _provider_module(need: str):
    """The module providing a need, imported only when a method asks for it (so that it is
    part of the code version of those methods' jobs alone)."""
    return importlib.import_module(NEEDS[need].provider.split(":")[0])


def _provider(need: str):
    """The function computing a need."""
    return getattr(_provider_module(need), NEEDS[need].provider.split(":")[1])


def _needs(method: Method, network: Network, layers: list[int], data: PruningData) -> dict:
    values = {}
    for need in method.needs:
        if need == "gradients":
            if data.x is None:
                raise ValueError(f"method {method.name!r} needs gradients: no training images were given")
            gradients = _provider(need)(network, data.x, data.labels)
            values[need] = [gradients[i] for i in layers]
        elif need == "groups":
            values[need] = _provider(need)(network, layers)
        elif need in ("inputs", "calibration"):
            if data.calibration is None:
                raise ValueError(f"method {method.name!r} needs {need}: no calibration images were given")
            values[need] = ([_provider(need)(network, i, data.calibration) for i in layers] if need == "inputs"
                            else data.calibration)
        else:
            values[need] = {"network": network, "layers": layers, "settings": data.settings}[need]
    return values


def _prune_layers(network: Network, method: Method, k: float | Fraction, layers: list[int], seed: int,
                  data: PruningData) -> tuple[Network, list[np.ndarray | None]]:
    """One call of the mask function on ``layers``: the network with their masks applied (to
    the method's changed weights, if it changed any), and one mask per layer of the network."""
    weights = [network.kernels[i] for i in layers]
    needs = _needs(method, network, layers, data)
    result = method.masks(weights, k, seed, **needs)
    layer_masks, changed = result if isinstance(result, tuple) else (result, network)
    if "groups" in needs:  # a channel method answers which channels of each group stay
        layer_masks = _provider_module("groups").group_masks(method.name, needs["groups"], layer_masks, weights)
    check_masks(method.name, layer_masks, weights)
    masks: list[np.ndarray | None] = [None] * network.num_layers
    for index, mask in zip(layers, layer_masks):
        masks[index] = mask
    return apply_masks(changed, masks, unit_level=method.removes_units), masks


def unpruned(network: Network, layers: list[int]) -> tuple[Network, list[np.ndarray | None]]:
    """k = 0, whatever the method: the network itself, with a keep-everything mask on ``layers``."""
    masks: list[np.ndarray | None] = [None] * network.num_layers
    for index in layers:
        masks[index] = np.ones(network.kernels[index].shape, dtype=bool)
    return apply_masks(network, masks), masks


def prune(network: Network, method: Method, k: float | Fraction, layers: list[int], seed: int = 0,
          data: PruningData | Callable[[], PruningData] = PruningData()) -> tuple[Network, list[np.ndarray | None]]:
    """Apply ``method`` at fraction ``k`` to the kernels of ``layers``.

    Returns the pruned network and one mask per layer (``None`` where untouched). k = 0 is
    the network itself, whatever the method (nor its data: ``data`` may be a function giving
    it, called only when it is needed). Unit-level methods also zero the biases of the
    units they remove. A method that asks for calibration inputs prunes one layer at a time,
    in order, so each layer's inputs pass through the layers pruned before it.
    """
    if is_unpruned(k):
        return unpruned(network, layers)
    if method.masks is None:
        raise ValueError(f"method {method.name!r} ({method.runs}) has no mask function; it runs as its own job")
    if callable(data):
        data = data()
    if not method.layer_by_layer:
        return _prune_layers(network, method, k, layers, seed, data)
    masks: list[np.ndarray | None] = [None] * network.num_layers
    for index in layers:
        network, layer_masks = _prune_layers(network, method, k, [index], seed, data)
        masks[index] = layer_masks[index]
    return network, masks
