"""The methods a config can name: the built-ins of the catalog and the config's own. Planning
and config checks use this; jobs never import it (they load their one method by name)."""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path

from .catalog import MODULES
from ..plumbing.user_code import file_digest
from .custom import custom_entry, load_custom_method
from .method import Method
from .needs import NEEDS

PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def _built_in() -> dict[str, Method]:
    methods = {}
    for module_name in MODULES:
        module = importlib.import_module(f"{__package__}.{module_name}")
        for method in module.METHODS:
            if method.name in methods:
                raise ValueError(f"pruning method {method.name!r} is defined twice")
            methods[method.name] = replace(method, source=module.__name__)
    return methods


BUILT_IN: dict[str, Method] = _built_in()
"""Every built-in method by name, in the order tables and legends show them."""


def custom_methods(config: dict) -> dict[str, Method]:
    """The config's own methods (``pruning.custom_methods``), loaded from their files."""
    methods = {}
    for name, entry in config["pruning"]["custom_methods"].items():
        if name in BUILT_IN:
            raise ValueError(f"{name!r} is the name of a built-in method; choose another")
        entry = custom_entry(entry)
        method = load_custom_method(name, entry["function"], entry["runs"])
        methods[name] = replace(method, resolve_settings=_custom_settings(entry, method))
    return methods


def _custom_settings(entry: dict, method: Method):
    """A custom method is versioned by its file's content; one that runs at initialization
    scores on the same number of training images as magnitude_gradient."""

    def settings(config: dict) -> dict:
        values = {"custom": entry["function"], "source_sha256": file_digest(entry["function"])}
        if method.runs == "at_init":
            values["samples"] = config["pruning"]["saliency"]["samples"]
        return values

    return settings


def configured_methods(config: dict) -> dict[str, Method]:
    """Every method the config runs, by name, in the config's order."""
    known = {**BUILT_IN, **custom_methods(config)}
    return {name: known[name] for name in config["pruning"]["methods"]}


def method_settings(method: Method, config: dict) -> dict:
    """The settings a method's results depend on (its jobs' params, so that changing them reruns
    exactly its results): its own, and the number of images its needs are computed on."""
    settings = method.settings(config)
    if "gradients" in method.needs:
        settings.setdefault("samples", config["pruning"]["saliency"]["samples"])
    if method.calibrated:
        settings.setdefault("calibration_images", config["pruning"]["calibration"]["images"])
    return settings


def method_order(names) -> list[str]:
    """Methods in catalog order (weight, unit, ...), others after them by name: the order
    tables and legends use."""
    registered = list(BUILT_IN)
    return sorted(set(names), key=lambda m: (registered.index(m) if m in registered else len(registered), m))


def _module_file(module: str) -> Path:
    return PACKAGE_ROOT.joinpath(*module.split(".")[1:]).with_suffix(".py")


def code_files(method: Method) -> list[Path]:
    """The modules a method's results depend on beyond its rule's script: its own module (a
    researcher's method: the loading code, its file being versioned by its digest), the way it
    runs where that is imported by name, and the providers of what it needs."""
    if method.source.startswith(f"{__package__}."):
        modules = [method.source]
    else:
        modules = [f"{__package__}.custom"] + ([f"{__package__}.at_init"] if method.runs == "at_init" else [])
    modules += [NEEDS[need].provider.split(":")[0] for need in method.needs if NEEDS[need].provider]
    return [_module_file(module) for module in modules]
