"""A researcher's own method: a mask function in a file of theirs, with every power a built-in
has. It asks for what it needs by naming it (:mod:`prunelab.methods.needs`), runs one-shot on
the trained model or, like SNIP, at initialization and then trained (``runs: at_init``), and
is versioned by its file's content."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from pathlib import Path
from typing import Callable

from .method import Method

PROJECT = Path(__file__).resolve().parents[3]
CUSTOM_RUNS = ("one_shot", "at_init")
"""How a researcher's method can run."""


def custom_method_file(target: str) -> Path:
    """The file of a custom method ``"path/to/file.py:function"``: a relative path is looked up
    in the working directory first, then in the project folder (where presets keep theirs)."""
    path = Path(target.rsplit(":", 1)[0])
    for candidate in (path, PROJECT / path):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no file {str(path)!r} in the working directory {Path.cwd()} or in {PROJECT}")


def source_digest(target: str) -> str:
    """SHA-256 of a custom method's file: the version its results are named by."""
    return hashlib.sha256(custom_method_file(target).read_bytes()).hexdigest()


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
    """The method ``name`` from ``"path/to/file.py:function"`` (see :func:`custom_method_file`)."""
    path, function_name = custom_method_file(target), target.rsplit(":", 1)[1]
    spec = importlib.util.spec_from_file_location(f"prunelab_custom_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"{path} defines no function {function_name!r}")
    return custom_method(name, function, runs, source=target)


def custom_entry(entry: str | dict) -> dict:
    """A ``pruning.custom_methods`` entry in its long form: ``{function: "file.py:f", runs: ...}``."""
    return {"function": entry, "runs": "one_shot"} if isinstance(entry, str) else {"runs": "one_shot", **entry}
