"""Models trained elsewhere: ``custom_models: {name: {file: model.keras, dataset: fashion}}``
takes a Keras ``.keras`` file as that dataset's trained model.

The config check reads the model's graph from the file's ``config.json`` (a ``.keras`` file is
a zip archive of it and the weights) without importing Keras, so its layers, input shape and
classes are checked, and ``pruning.layers`` can name its layers, before any job runs. The
import job (the train rule's job for this model) verifies the file against the SHA-256 the run
was planned with and loads it with ``keras.models.load_model`` in safe mode (no Lambda code is
run); the file's SHA-256 is the model's identity in its train id.
"""

from __future__ import annotations

import functools
import hashlib
import json
import zipfile

from ..plumbing.user_code import user_file
from .graph import Graph, UnsupportedModel

KERAS_CONFIG = "config.json"
"""The member of a ``.keras`` archive that holds the model's serialized config."""


class ImportedModelError(ValueError):
    """A model file that is not a ``.keras`` model the workflow can prune, or that changed."""


def imported_graph(file: str) -> Graph:
    """The graph of the ``.keras`` model ``file`` (looked up as a researcher's files are), read from
    its config alone; refused, naming the file and the cause, if it is no Keras model file, a
    subclassed model (whose layers only its code knows) or holds an unsupported layer."""
    path = user_file(file)
    return _graph(str(path), hashlib.sha256(path.read_bytes()).hexdigest())


@functools.lru_cache(maxsize=16)
def _graph(path: str, sha256: str) -> Graph:
    """The graph of the file at ``path`` with content ``sha256`` (read once per content)."""
    try:
        with zipfile.ZipFile(path) as archive:
            saved = json.loads(archive.read(KERAS_CONFIG))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as error:
        raise ImportedModelError(f"{path}: not a Keras model file (a .keras zip archive holding {KERAS_CONFIG}, "
                                 f"as model.save('model.keras') writes): {error}") from error
    if saved.get("class_name") not in ("Sequential", "Functional"):
        raise ImportedModelError(f"{path}: a {saved.get('class_name')} model; only Sequential and functional "
                                 "models can be pruned (a subclassed model's layers are known only to its code)")
    try:
        return Graph.from_keras_config(saved["config"])
    except UnsupportedModel as error:
        raise ImportedModelError(f"{path}: {error}") from error


def load_imported(keras, architecture: dict):
    """The model of an ``imported`` architecture, loaded by Keras from the file whose SHA-256 the
    run was planned with: a file changed since is refused (plan again to use it)."""
    path = user_file(architecture["file"])
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != architecture["sha256"]:
        raise ImportedModelError(f"{path}: its SHA-256 is {found}, not {architecture['sha256']} as when this run "
                                 "was planned: the file changed; run the workflow again to plan with the new file")
    try:
        return keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # whatever Keras raises for a file it cannot load is the cause to report
        raise ImportedModelError(f"{path}: Keras cannot load it: {type(error).__name__}: {error}") from error
