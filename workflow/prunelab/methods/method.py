"""What a pruning method is: one small object that says everything the workflow needs to run,
version, check and show it (in the style of ``torch.nn.utils.prune`` and ShrinkBench).

A method's mask function takes ``(weights, k, seed)`` — the kernels of the pruned layers,
the fraction to remove, the model's seed — and, by naming them as further parameters,
whatever else it needs (:data:`prunelab.methods.needs.NEEDS`): loss gradients, calibration
inputs, the network, its settings. It returns one boolean keep-mask per kernel, or
``(masks, network)`` when it also changes the surviving weights.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..models.network import Network
from .needs import NEEDS, ORDER_ARGUMENTS, TRAINING_IMAGE_NEEDS
from .selection import MaskFunction

RUNS = {
    "one_shot": "pruned once from the trained model (a numpy job), then optionally fine-tuned",
    "at_init": "pruned at initialization, then trained with the mask fixed",
    "while_training": "pruned while training from the trained model",
    "in_rounds": "pruned in rounds, the survivors retrained after each",
    "from_scratch": "a structure found by pruning, trained from fresh initial values (a control)",
}
"""How a method produces a pruned model: the ways of running, each a family of rules."""

RESULT_FILES = ("metrics", "weights", "history")
"""What every method that trains writes: the metrics record, the weights and the training history."""


@dataclass
class Trained:
    """What a method that trains produced: the network, one mask per layer (``None``: not
    pruned), the training history, the k it reached, how it was retrained when that compares
    with fine-tuning (``{epochs, rounds, learning_rate}``), and details for its record."""

    network: Network
    masks: list
    history: list[dict]
    k: float
    retraining: dict | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Control:
    """The method a method is judged against, and what that comparison holds fixed.
    ``retraining``: ``same`` compares variants retrained alike (``gradual +ft3`` with
    ``weight +ft3``); ``best`` takes the control's fine-tuned variant if there is one."""

    method: str
    holds: str
    retraining: str = "same"


@dataclass(frozen=True)
class Method:
    """A pruning method as the workflow runs it."""

    name: str
    summary: str
    """What it removes, in one line (the report's table of methods)."""
    masks: MaskFunction | None = None
    runs: str = "one_shot"
    removes_units: bool = False
    """Whether it removes whole output units, whose biases then go too (always, for a method that
    asks for ``groups``)."""
    settings_key: str | None = None
    """The key under ``pruning:`` holding its settings (the schema gives their defaults)."""
    resolve_settings: Callable[[dict], dict] | None = None
    """``config -> settings`` where they depend on more than ``pruning.<settings_key>``."""
    check: Callable[[dict], list[str]] | None = None
    """``config -> problems`` that the schema cannot express, each naming its key."""
    k_values: Callable[[list[float], dict], list[float]] | None = None
    """``(configured k, settings) -> the k it gives one-shot results at`` (default: all of them)."""
    paper: str = ""
    color: str | tuple | None = None
    control: Control | None = None
    floor: bool = False
    """Whether it is the floor every method must beat (random pruning)."""
    train: Callable | None = None
    """Methods that train: ``train(job) -> Trained``, run by the rule family of its way."""
    rule: str | None = None
    """The rule producing its results (methods of one way of running may share one)."""
    result: Callable[[dict], str] | None = None
    """``config -> the folder of one result``, with the wildcards of its rule."""
    targets: Callable[[dict, dict], list[dict]] | None = None
    """``(config, settings) -> the wildcard values of every result`` beyond the trained model's."""
    rule_inputs: Callable[[dict, dict], dict] | None = None
    """``(wildcards, config) -> further input files`` of its rule (a previous round, say)."""
    result_files: tuple[str, ...] = RESULT_FILES
    zero_k_trains: bool = False
    """Whether its k = 0 result trains too (else it is the trained model, evaluated as is)."""
    source: str = ""
    """What versions it: its module (built-in) or its file (a researcher's own)."""
    needs: tuple[str, ...] = field(init=False)
    """What its mask function asks for beyond (weights, k, seed), from the function's signature."""

    def __post_init__(self):
        if self.runs not in RUNS:
            raise ValueError(f"method {self.name!r}: runs {self.runs!r} is not one of {', '.join(RUNS)}")
        object.__setattr__(self, "needs", needs_of(self.name, self.masks) if self.masks else ())
        if "groups" in self.needs:  # it keeps or removes channels: whole units, their biases too
            object.__setattr__(self, "removes_units", True)
        if self.runs != "one_shot" and (self.train is None or self.rule is None or self.result is None):
            raise ValueError(f"method {self.name!r} runs {self.runs}: it needs train, rule and result")

    @property
    def trains(self) -> bool:
        """Whether producing a pruned model trains (a training job) or only prunes (numpy)."""
        return self.runs != "one_shot"

    @property
    def on_the_k_grid(self) -> bool:
        """Whether it prunes the trained model once per configured k (one-shot, not an N:M
        pattern's own k): its pruned models are the ones timed, plotted and exported."""
        return not self.trains and self.k_values is None

    @property
    def from_initialization(self) -> bool:
        """Whether it trains from the model's initialization (pruning at initialization, lottery
        tickets, training from scratch), which a model trained elsewhere does not bring."""
        return self.runs in ("at_init", "in_rounds", "from_scratch")

    @property
    def reads_training_images(self) -> bool:
        """Whether its needs are computed from training images (its jobs read the training split)."""
        return bool(set(self.needs) & TRAINING_IMAGE_NEEDS)

    @property
    def calibrated(self) -> bool:
        """Whether it prunes from the calibration images (``pruning.calibration``)."""
        return bool(set(self.needs) & {"inputs", "calibration"})

    @property
    def layer_by_layer(self) -> bool:
        """A method asking for calibration inputs prunes the layers in order, each layer's
        inputs computed through the layers already pruned (as SparseGPT and Wanda do)."""
        return "inputs" in self.needs

    def settings(self, config: dict) -> dict:
        """The config settings its results depend on beyond the model, k and layers."""
        if self.resolve_settings is not None:
            return self.resolve_settings(config)
        return dict(config["pruning"][self.settings_key]) if self.settings_key else {}

    def one_shot_k(self, ks: list[float], config: dict) -> list[float]:
        """The k at which the prune rule evaluates it: every configured k for a one-shot
        method (or those its ``k_values`` says), k = 0 alone (the trained model) for one
        that trains, unless its k = 0 trains too."""
        if self.trains:
            return [] if self.zero_k_trains else [k for k in ks if k == 0]
        return self.k_values(ks, self.settings(config)) if self.k_values else list(ks)

    def presentation(self) -> dict:
        """How the results show it: what it removes, its paper, colour and control."""
        return {"summary": self.summary, "paper": self.paper, "color": self.color, "floor": self.floor, "runs": self.runs,
                "control": None if self.control is None else vars(self.control)}


def needs_of(name: str, function: Callable) -> tuple[str, ...]:
    """The needs a mask function names after ``(weights, k, seed)``; unknown names are an error."""
    parameters = list(inspect.signature(function).parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) < len(ORDER_ARGUMENTS) and not any(p.kind == p.VAR_POSITIONAL for p in parameters):
        raise TypeError(f"method {name!r}: {function.__name__} must take ({', '.join(ORDER_ARGUMENTS)}) like the "
                        f"built-in mask functions, then any of {', '.join(NEEDS)} by name")
    named = [p for p in parameters[len(ORDER_ARGUMENTS):] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [p.name for p in named if p.name not in NEEDS and p.default is p.empty]
    if unknown:
        raise TypeError(f"method {name!r}: {function.__name__} asks for {', '.join(unknown)}; a mask function "
                        f"can ask for {', '.join(NEEDS)}")
    return tuple(p.name for p in named if p.name in NEEDS)


def check_masks(method: str, masks, weights: list[np.ndarray]) -> None:
    """A method must return one boolean mask of each kernel's shape, in order."""
    if not isinstance(masks, (list, tuple)) or len(masks) != len(weights):
        raise ValueError(f"method {method!r} returned {type(masks).__name__} of length "
                         f"{len(masks) if hasattr(masks, '__len__') else '?'}, expected a list of {len(weights)} masks")
    for index, (mask, kernel) in enumerate(zip(masks, weights)):
        if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != kernel.shape:
            raise ValueError(f"method {method!r}: mask {index} must be a boolean array of shape {kernel.shape}, "
                             f"got {getattr(mask, 'dtype', type(mask).__name__)} {getattr(mask, 'shape', '')}")
