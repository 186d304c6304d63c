"""Pruning methods: small pure functions from weights and a fraction k to keep-masks,
registered by name as :class:`Method` objects.

A mask function maps the list of prunable kernels (and k and a seed) to one boolean
mask per kernel (``True`` = kept), in the style of ``torch.nn.utils.prune``. Most are
layerwise rules on a single array, lifted by :func:`layerwise`; global ones rank all
prunable weights together (ShrinkBench's GlobalMagWeight). Scores that need more than
the weights (loss gradients, the whole network) are passed by keyword, as the method's
``needs`` says. Counts are exact: ``round(k * n)`` weights or units go, computed in
rational arithmetic, halves up; ties are broken stably by position, so two runs always
prune the same entries.

How a method runs (``Method.kind``):

- ``one_shot``: prune a trained model once (a numpy-only prune job), optionally fine-tune;
- ``at_init``: prune the initialized network (SNIP, SynFlow), then train it with the mask fixed;
- ``gradual``: prune while training from the trained model (Zhu & Gupta's schedule);
- ``lottery``: iterative magnitude pruning with rewinding (Frankle & Carbin), one job per round;
- ``scratch``: train the architecture unit pruning leaves from scratch (Liu et al.).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Callable

import numpy as np

from .gradients import loss_gradients, synflow_gradients
from .network import Network

MaskFunction = Callable[..., list[np.ndarray]]
"""``masks(weights, k, seed, **needs) -> list of boolean keep-masks``, one per kernel."""

KINDS = ("one_shot", "at_init", "gradual", "lottery", "scratch")
INPUTS = ("gradients", "network", "n_of_m")
"""What a mask function can ask for besides weights, k and seed: loss gradients of the
weights on training images, the whole network with the indices of the pruned layers
(``network``, ``layers``), or the N:M pattern."""


@dataclass(frozen=True)
class Method:
    """A pruning method as the workflow runs it."""

    name: str
    kind: str = "one_shot"
    granularity: str = "weight"
    """"weight" removes single weights; "unit" whole output units, whose biases go too."""
    masks: MaskFunction | None = None
    needs: tuple[str, ...] = field(default=())
    summary: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"method {self.name!r}: kind {self.kind!r} not one of {', '.join(KINDS)}")
        unknown = set(self.needs) - set(INPUTS)
        if unknown:
            raise ValueError(f"method {self.name!r}: unknown needs {sorted(unknown)}; known: {', '.join(INPUTS)}")

    @property
    def trains(self) -> bool:
        """Whether producing a pruned model trains (a training job) or only prunes (numpy)."""
        return self.kind != "one_shot"

    @property
    def data_free_one_shot(self) -> bool:
        """Prunes a trained model from its weights alone (what latency and histograms can redo)."""
        return self.kind == "one_shot" and not self.needs


METHODS: dict[str, Method] = {}


def register(method: Method) -> Method:
    if method.name in METHODS:
        raise ValueError(f"pruning method {method.name!r} is already registered")
    METHODS[method.name] = method
    return method


def layerwise(mask: Callable[[np.ndarray, float], np.ndarray]) -> MaskFunction:
    """Apply a single-array rule to each prunable layer separately."""

    def apply(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
        return [mask(w, k) for w in weights]

    apply.__doc__ = mask.__doc__
    return apply


def exact_fraction(k: float | Fraction) -> Fraction:
    """k as an exact rational: a float is read as the shortest decimal that prints as it
    (0.7 is 7/10, not the binary 0.69999...), so counts do not depend on binary rounding."""
    return k if isinstance(k, Fraction) else Fraction(Decimal(repr(float(k))))


def count_to_prune(k: float | Fraction, n: int) -> int:
    """``round(k * n)`` with halves rounded up, computed exactly, clipped to ``[0, n]``."""
    exact = exact_fraction(k)
    if not 0 <= exact <= 1:
        raise ValueError(f"k must lie in [0, 1], got {float(k)}")
    return min(n, int((exact * n + Fraction(1, 2)) // 1))


def _smallest(scores: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` smallest scores; equal scores go by position.

    The same set as the first ``count`` of a stable argsort, found in linear time: all
    scores below the count-th smallest value, then the earliest of those equal to it.
    The run of minimal scores (already-pruned weights score 0 or less) is taken first
    without partitioning: introselect slows tenfold on arrays of mostly equal values.
    """
    if count <= 0:
        return np.empty(0, dtype=np.intp)
    if count >= scores.size:
        return np.arange(scores.size)
    lowest = np.flatnonzero(scores == scores.min())
    if count <= lowest.size:
        return lowest[:count]
    rest = np.flatnonzero(scores != scores[lowest[0]])
    values, count = scores[rest], count - lowest.size
    threshold = np.partition(values, count - 1)[count - 1]
    below = np.flatnonzero(values < threshold)
    ties = np.flatnonzero(values == threshold)[: count - below.size]
    return np.concatenate([lowest, rest[below], rest[ties]])


def _keep_all_but(size: int, removed: np.ndarray) -> np.ndarray:
    keep = np.ones(size, dtype=bool)
    keep[removed] = False
    return keep


def smallest_score_mask(scores: np.ndarray, k: float | Fraction) -> np.ndarray:
    """Keep-mask removing the ``round(k * n)`` smallest of ``scores`` (ties by position)."""
    flat = scores.ravel()
    return _keep_all_but(flat.size, _smallest(flat, count_to_prune(k, flat.size))).reshape(scores.shape)


def global_score_masks(scores: list[np.ndarray], k: float | Fraction) -> list[np.ndarray]:
    """One threshold over every layer's scores together: the ``round(k * N)`` smallest go."""
    keep = smallest_score_mask(np.concatenate([s.ravel() for s in scores]), k)
    ends = np.cumsum([s.size for s in scores])[:-1]
    return [part.reshape(s.shape) for part, s in zip(np.split(keep, ends), scores)]


def weight_mask(weights: np.ndarray, k: float) -> np.ndarray:
    """Remove the ``round(k * n)`` weights of smallest magnitude in this layer."""
    return smallest_score_mask(np.abs(weights), k)


def unit_mask(weights: np.ndarray, k: float) -> np.ndarray:
    """Remove the ``round(k * units)`` output units (last axis: neurons or conv filters)
    of smallest L2 norm of their incoming weights."""
    keep_units = smallest_score_mask(unit_norms(weights), k)
    return np.broadcast_to(keep_units, weights.shape).copy()


def unit_norms(weights: np.ndarray) -> np.ndarray:
    """L2 norm of each output unit's incoming weights (the last axis indexes units)."""
    flat = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    return np.sqrt(np.einsum("ij,ij->j", flat, flat))


def global_weight_masks(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
    """Remove the ``round(k * N)`` smallest |w| among all prunable layers together:
    one threshold for the whole network, so layers lose different fractions."""
    return global_score_masks([np.abs(w) for w in weights], k)


def random_masks(weights: list[np.ndarray], k: float, seed: int = 0) -> list[np.ndarray]:
    """Remove ``round(k * n)`` weights of each layer chosen uniformly at random (seeded):
    the baseline every pruning method must beat."""
    rng = np.random.default_rng(seed)
    return [_keep_all_but(w.size, rng.permutation(w.size)[:count_to_prune(k, w.size)]).reshape(w.shape)
            for w in weights]


def saliency(weights: list[np.ndarray], gradients: list[np.ndarray]) -> list[np.ndarray]:
    """|w · ∂L/∂w|: the first-order estimate of how much the loss changes if w is removed."""
    return [np.abs(w.astype(np.float64) * g) for w, g in zip(weights, gradients)]


def magnitude_gradient_masks(weights: list[np.ndarray], k: float, seed: int = 0, *,
                             gradients: list[np.ndarray]) -> list[np.ndarray]:
    """Per layer, remove the ``round(k * n)`` weights of smallest |w · ∂L/∂w| (ShrinkBench's LayerMagGrad)."""
    return [smallest_score_mask(score, k) for score in saliency(weights, gradients)]


def global_magnitude_gradient_masks(weights: list[np.ndarray], k: float, seed: int = 0, *,
                                    gradients: list[np.ndarray]) -> list[np.ndarray]:
    """Over all prunable layers together, remove the ``round(k * N)`` weights of smallest
    |w · ∂L/∂w| (ShrinkBench's GlobalMagGrad; at initialization on one batch, SNIP)."""
    return global_score_masks(saliency(weights, gradients), k)


def n_of_m_mask(weights: np.ndarray, n: int, m: int) -> np.ndarray:
    """Keep the ``n`` largest |w| of every ``m`` consecutive inputs of each unit: a kernel seen
    as ``(fan_in, units)`` (conv: height x width x in-channels rows, channels fastest) is cut
    into groups of ``m`` consecutive rows within each column. Ties go by position."""
    matrix = weights.reshape(-1, weights.shape[-1])
    fan_in, units = matrix.shape
    if not 0 < n < m or fan_in % m:
        raise ValueError(f"{n}:{m} sparsity needs 0 < n < m and m dividing the fan-in {fan_in}")
    groups = np.abs(matrix).reshape(fan_in // m, m, units)
    # a stable sort of each group by descending magnitude; the first n positions stay
    order = np.argsort(-groups, axis=1, kind="stable")
    keep = np.zeros(groups.shape, dtype=bool)
    np.put_along_axis(keep, order[:, :n, :], True, axis=1)
    return keep.reshape(weights.shape)


def n_of_m_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, n_of_m: tuple[int, int]
                 ) -> list[np.ndarray]:
    """N:M semi-structured sparsity (2:4 is what sparse tensor cores execute); its k is
    fixed at 1 - n/m."""
    n, m = n_of_m
    if exact_fraction(k) != 1 - Fraction(n, m):
        raise ValueError(f"{n}:{m} sparsity removes exactly k = {float(1 - Fraction(n, m)):g}, not {float(k):g}")
    return [n_of_m_mask(w, n, m) for w in weights]


def synflow_masks(weights: list[np.ndarray], k: float, seed: int = 0, *, network: Network, layers: list[int],
                  rounds: int) -> list[np.ndarray]:
    """SynFlow (Tanaka et al. 2020): data-free, iterative. Each round scores every remaining
    weight by |∂R/∂w · w|, R the sum of the outputs of the network with all parameters
    replaced by their absolute values on an all-ones input, and removes the lowest scores
    over all pruned layers together; the kept fraction shrinks exponentially, to
    (1 - k)^(r / rounds) after round r, so no layer is emptied early (no layer collapse)."""
    absolute = network.with_weights([np.abs(w).astype(np.float64) for w in network.kernels],
                                    None if network.biases is None else [np.abs(b) for b in network.biases])
    sizes = [absolute.kernels[i].size for i in layers]
    alive = np.ones(sum(sizes), dtype=bool)
    density, ends = 1 - exact_fraction(k), np.cumsum(sizes)[:-1]
    for number in range(1, rounds + 1):
        kernels = list(absolute.kernels)
        for index, keep in zip(layers, np.split(alive, ends)):
            kernels[index] = kernels[index] * keep.reshape(kernels[index].shape)
        gradients = synflow_gradients(absolute.with_weights(kernels, absolute.biases))
        scores = np.concatenate([(gradients[i] * kernels[i]).ravel() for i in layers])
        target = exact_fraction(k) if number == rounds else 1 - Fraction(float(density) ** (number / rounds))
        survivors = np.flatnonzero(alive)
        removed = count_to_prune(target, alive.size) - (alive.size - survivors.size)
        alive[survivors[_smallest(scores[survivors], removed)]] = False
    return [keep.reshape(w.shape) for keep, w in zip(np.split(alive, ends), weights)]


register(Method("weight", masks=layerwise(weight_mask),
                summary="per layer, the smallest |w|"))
register(Method("unit", granularity="unit", masks=layerwise(unit_mask),
                summary="per layer, whole neurons or filters of smallest L2 norm"))
register(Method("global_weight", masks=global_weight_masks,
                summary="the smallest |w| of all pruned layers together (one threshold)"))
register(Method("random", masks=random_masks,
                summary="random weights per layer: the floor every method must beat"))
register(Method("magnitude_gradient", masks=magnitude_gradient_masks, needs=("gradients",),
                summary="per layer, the smallest saliency |w · ∂L/∂w| on training images"))
register(Method("global_magnitude_gradient", masks=global_magnitude_gradient_masks, needs=("gradients",),
                summary="the smallest saliency |w · ∂L/∂w| of all pruned layers together"))
register(Method("n_of_m", masks=n_of_m_masks, needs=("n_of_m",),
                summary="N:M semi-structured: the n largest |w| of every m consecutive inputs"))
register(Method("snip", kind="at_init", masks=global_magnitude_gradient_masks, needs=("gradients",),
                summary="at initialization, the smallest |w · ∂L/∂w| on one batch, then trained"))
register(Method("synflow", kind="at_init", masks=synflow_masks, needs=("network",),
                summary="at initialization, data-free iterative synaptic flow, then trained"))
register(Method("gradual", kind="gradual",
                summary="per-layer magnitude pruning while training, sparsity rising on a cubic schedule"))
register(Method("lottery", kind="lottery",
                summary="lottery tickets: iterative magnitude pruning, survivors rewound and retrained"))
register(Method("lottery_reinit", kind="lottery",
                summary="the lottery tickets' masks with fresh random initial values (the control)"))
register(Method("scratch", kind="scratch", granularity="unit",
                summary="the architecture unit pruning leaves, trained from scratch (the control)"))

BUILT_IN = tuple(METHODS)
PROJECT = Path(__file__).resolve().parents[2]
LAYER_SELECTIONS = ("all_but_output", "conv", "all")


def custom_method(name: str, function: Callable) -> Method:
    """A researcher's own one-shot method: ``function(weights, k, seed)`` returns keep-masks."""
    parameters = [p for p in inspect.signature(function).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(parameters) < 3 and not any(p.kind == p.VAR_POSITIONAL
                                       for p in inspect.signature(function).parameters.values()):
        raise TypeError(f"custom method {name!r}: {function.__name__} must take (weights, k, seed) like the "
                        f"built-in mask functions")
    return Method(name, masks=function, summary=(function.__doc__ or "").strip().split("\n")[0])


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
    raise ValueError(f"layers {selection!r}: use one of {', '.join(LAYER_SELECTIONS)} "
                     f"or a list of indices below {len(kinds)}")


def select_layers(network: Network, selection: str | list[int]) -> list[int]:
    """Indices of ``network``'s layers that ``selection`` prunes (see :func:`layer_indices`)."""
    return layer_indices(["conv" if network.is_conv(i) else "dense" for i in range(network.num_layers)], selection)


def custom_method_file(target: str) -> Path:
    """The file of a custom method ``"path/to/file.py:function"``: a relative path is looked up
    in the working directory first, then in the project folder (where presets keep theirs)."""
    path = Path(target.rsplit(":", 1)[0])
    for candidate in (path, PROJECT / path):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no file {str(path)!r} in the working directory {Path.cwd()} or in {PROJECT}")


def load_custom_method(name: str, target: str) -> Method:
    """The method ``name`` from ``"path/to/file.py:function"`` (see :func:`custom_method_file`),
    registered beside the built-ins for this process."""
    import importlib.util

    if name in BUILT_IN:
        raise ValueError(f"{name!r} is the name of a built-in method; choose another")
    path, function_name = custom_method_file(target), target.rsplit(":", 1)[1]
    spec = importlib.util.spec_from_file_location(f"prunelab_custom_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"{path} defines no function {function_name!r}")
    METHODS[name] = custom_method(name, function)  # loading again replaces the earlier version
    return METHODS[name]


def source_digest(target: str) -> str:
    """SHA-256 of a custom method's file: the version its results are named by."""
    import hashlib

    return hashlib.sha256(custom_method_file(target).read_bytes()).hexdigest()


@dataclass(frozen=True)
class PruningInputs:
    """What mask functions may need beyond the weights: training images for loss
    gradients (``x``, ``labels``), and the N:M pattern and SynFlow's rounds from the config."""

    x: np.ndarray | None = None
    labels: np.ndarray | None = None
    n_of_m: tuple[int, int] | None = None
    synflow_rounds: int | None = None


def check_masks(method: str, masks: list, weights: list[np.ndarray]) -> None:
    """A method must return one boolean mask of each kernel's shape, in order."""
    if not isinstance(masks, (list, tuple)) or len(masks) != len(weights):
        raise ValueError(f"method {method!r} returned {type(masks).__name__} of length "
                         f"{len(masks) if hasattr(masks, '__len__') else '?'}, expected a list of {len(weights)} masks")
    for index, (mask, kernel) in enumerate(zip(masks, weights)):
        if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != kernel.shape:
            raise ValueError(f"method {method!r}: mask {index} must be a boolean array of shape {kernel.shape}, "
                             f"got {getattr(mask, 'dtype', type(mask).__name__)} {getattr(mask, 'shape', '')}")


def method_masks(network: Network, method: Method, k: float, layers: list[int], seed: int = 0,
                 inputs: PruningInputs = PruningInputs()) -> list[np.ndarray]:
    """The keep-masks of ``method`` at ``k`` for the kernels of ``layers``."""
    weights = [network.kernels[i] for i in layers]
    if method.masks is None:
        raise ValueError(f"method {method.name!r} ({method.kind}) has no one-shot mask; it runs as its own job")
    missing = [need for need, value in (("gradients", inputs.x), ("network", inputs.synflow_rounds),
                                        ("n_of_m", inputs.n_of_m)) if need in method.needs and value is None]
    if missing:
        raise ValueError(f"method {method.name!r} needs {', '.join(missing)} (pruning inputs)")
    extra = {}
    if "gradients" in method.needs:
        gradients = loss_gradients(network, inputs.x, inputs.labels)
        extra["gradients"] = [gradients[i] for i in layers]
    if "network" in method.needs:
        extra.update(network=network, layers=layers, rounds=inputs.synflow_rounds)
    if "n_of_m" in method.needs:
        extra["n_of_m"] = tuple(inputs.n_of_m)
    masks = method.masks(weights, k, seed, **extra)
    check_masks(method.name, masks, weights)
    return masks


def apply_masks(network: Network, masks: list[np.ndarray | None], unit_level: bool = False) -> Network:
    """Zero the pruned kernel entries (``None``: layer untouched); unit-level pruning also
    zeroes the biases of the units it removed, so a removed unit contributes nothing."""
    kernels = [w if m is None else np.where(m, w, np.zeros_like(w)) for w, m in zip(network.kernels, masks)]
    biases = network.biases
    if biases is not None and unit_level:
        biases = [b if m is None else np.where(m.reshape(-1, m.shape[-1]).any(axis=0), b, np.zeros_like(b))
                  for b, m in zip(biases, masks)]
    return network.with_weights(kernels, biases)


def prune(network: Network, method: str, k: float, layers: list[int], seed: int = 0,
          inputs: PruningInputs = PruningInputs()) -> tuple[Network, list[np.ndarray | None]]:
    """Apply ``method`` at fraction ``k`` to the kernels of ``layers``.

    Returns the pruned network and one mask per layer (``None`` where untouched).
    k = 0 is the network itself, whatever the method. Unit-level methods also zero the
    biases of the units they remove; weight-level methods leave biases alone.
    """
    masks: list[np.ndarray | None] = [None] * network.num_layers
    if exact_fraction(k) == 0:  # the network itself: no method (nor its settings) is needed
        for index in layers:
            masks[index] = np.ones(network.kernels[index].shape, dtype=bool)
        return apply_masks(network, masks), masks
    if method not in METHODS:
        raise KeyError(f"unknown pruning method {method!r}; registered: {', '.join(METHODS)}")
    chosen = METHODS[method]
    for index, mask in zip(layers, method_masks(network, chosen, k, layers, seed, inputs)):
        masks[index] = mask
    return apply_masks(network, masks, unit_level=chosen.granularity == "unit"), masks


def gradual_schedule(k: float, *, total_steps: int, initial_sparsity: float, begin_step: int, end_step: int,
                     frequency: int, power: int) -> dict[int, Fraction]:
    """Zhu & Gupta's schedule as the steps at which masks are recomputed, with the sparsity each
    sets: s_t = s_f + (s_i - s_f)(1 - (t - t0)/(t1 - t0))^power at t = t0, t0 + Δt, ... up to
    t1, exactly (rational arithmetic). The last update always falls on ``end_step``, so the
    final sparsity is k even when t1 - t0 is not a multiple of Δt (TF Model Optimization's
    PolynomialDecay would then stop short of it). Steps count from 0, one per batch."""
    if not 0 <= begin_step <= end_step < total_steps:
        raise ValueError(f"gradual schedule from step {begin_step} to {end_step} does not fit in "
                         f"{total_steps} training steps (0..{total_steps - 1})")
    final, initial = exact_fraction(k), exact_fraction(initial_sparsity)
    span = end_step - begin_step
    steps = [*range(begin_step, end_step, frequency), end_step]
    progress = {step: Fraction(step - begin_step, span) if span else Fraction(1) for step in steps}
    return {step: final + (initial - final) * (1 - progress[step]) ** power for step in steps}


def lottery_masks(network: Network, previous: list[np.ndarray | None] | None, *, layers: list[int],
                  rate: float, output_rate: float) -> list[np.ndarray | None]:
    """One round of iterative magnitude pruning (Frankle & Carbin): in each pruned layer,
    remove ``round(rate * remaining)`` of the remaining weights, smallest |w| first; the
    output layer, pruned or not by ``layers``, goes at ``output_rate`` (the paper's half rate;
    0 keeps it). A weight removed in an earlier round stays removed."""
    output = network.num_layers - 1
    rates = {index: rate for index in layers if index != output}
    if output_rate > 0:
        rates[output] = output_rate
    masks = list(previous) if previous is not None else [None] * network.num_layers
    for index, layer_rate in rates.items():
        kernel = network.kernels[index]
        remaining = masks[index] if masks[index] is not None else np.ones(kernel.shape, dtype=bool)
        # removed weights score -1, below every |w|, so they go first; then the smallest survivors
        scores = np.where(remaining, np.abs(kernel).astype(np.float64), -1.0).ravel()
        count = (~remaining).sum() + count_to_prune(layer_rate, int(remaining.sum()))
        masks[index] = _keep_all_but(scores.size, _smallest(scores, int(count))).reshape(kernel.shape)
    return masks


def lottery_k(rate: float, round_number: int) -> float:
    """The fraction of each pruned layer removed after ``round_number`` rounds: 1 - (1 - rate)^r."""
    return float(1 - (1 - exact_fraction(rate)) ** round_number)
