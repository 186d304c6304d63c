"""A researcher's own code: a function in a file of theirs (``"path/to/file.py:function"``),
found, versioned by its file's content, and imported only by the jobs that run it. Shared by
custom methods and custom models."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Callable

PROJECT = Path(__file__).resolve().parents[3]


def user_file(target: str) -> Path:
    """The file of ``"path/to/file.py:function"``: a relative path is looked up in the working
    directory first, then in the project folder (where presets keep theirs)."""
    path = Path(target.rsplit(":", 1)[0])
    for candidate in (path, PROJECT / path):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no file {str(path)!r} in the working directory {Path.cwd()} or in {PROJECT}")


def file_digest(target: str) -> str:
    """SHA-256 of the file of ``target``: the version its results are named by."""
    return hashlib.sha256(user_file(target).read_bytes()).hexdigest()


def load_function(target: str, module_name: str) -> Callable:
    """The function ``"path/to/file.py:function"``, its file imported as ``module_name``."""
    path, function_name = user_file(target), target.rsplit(":", 1)[1]
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"{path} defines no function {function_name!r}")
    return function
