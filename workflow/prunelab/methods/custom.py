"""A researcher's own method: a mask function in a file of theirs, with every power a built-in
has. It asks for what it needs by naming it (:mod:`prunelab.methods.needs`), runs one-shot on
the trained model or, like SNIP, at initialization and then trained (``runs: at_init``), and
is versioned by its file's content."""

from __future__ import annotations

import importlib
from typing import Callable

from ..plumbing.user_code import load_function
from .method import Method

CUSTOM_RUNS = ("one_shot", "at_init")
"""How a researcher's method can run."""


def custom_method(name: str, function: Callable, runs: str = "one_shot", source: str = "") -> Method:
    """A researcher's method from its mask function ``function(weights, k, seed, **needs)``;
    its docstring's first line is its summary."""
    summary = (function.__doc__ or "").strip().split("\n")[0]
    if runs == "at_init":  # imported by name: only methods that run at initialization run its code
        at_init = importlib.import_module(f"{__package__}.at_init")
        return at_init.method(name, summary, function, result_id=at_init.samples_id, source=source)
    if runs != "one_shot":
        raise ValueError(f"custom method {name!r}: runs {runs!r}; a custom method runs {' or '.join(CUSTOM_RUNS)}")
    return Method(name, summary, masks=function, source=source)


def load_custom_method(name: str, target: str, runs: str = "one_shot") -> Method:
    """The method ``name`` from ``"path/to/file.py:function"`` (see :func:`prunelab.plumbing.user_code.user_file`)."""
    return custom_method(name, load_function(target, f"prunelab_custom_{name}"), runs, source=target)


def custom_entry(entry: str | dict) -> dict:
    """A ``pruning.custom_methods`` entry in its long form: ``{function: "file.py:f", runs: ...}``."""
    return {"function": entry, "runs": "one_shot"} if isinstance(entry, str) else {"runs": "one_shot", **entry}
