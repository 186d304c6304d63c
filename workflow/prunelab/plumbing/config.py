"""Config validation: JSON schema with defaults, plus the checks a schema cannot express.

All problems are reported at once, each naming the key and what is allowed, and
the workflow stops before any job is scheduled.
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from ..data.custom import Summary, summary
from ..data import cifar10
from ..data.loading import training_split_problem
from ..data.datasets import BUILT_IN_DATASETS, DATASETS, IMAGE_SHAPE, NUM_CLASSES, SPLIT_SIZES
from ..methods.scope import layer_indices, layer_kinds, layer_names
from ..models.augmentation import augmented
from ..models.backend import engine_settings
from ..models.chains import cnn_shape_problem, conv_sizes
from ..models.network import ARCHITECTURE_TYPES, WITHOUT_BATCH_NORMS, vit_shape_problem
from ..models.protocol import problems as protocol_problems
from ..quantizing import QUANTIZATIONS
from .user_code import file_digest, user_file

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"
PROJECT_CONFIG = SCHEMA_PATH.parents[2] / "config.yaml"


class ConfigError(ValueError):
    """The configuration is invalid; the message lists every problem."""


def _with_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


DefaultingValidator = _with_defaults(jsonschema.Draft202012Validator)


def load_schema(path: str | Path = SCHEMA_PATH) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


def _key(path) -> str:
    parts = []
    for part in path:
        parts.append(f"[{part}]" if isinstance(part, int) else ("." if parts else "") + str(part))
    return "".join(parts) or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        if allowed:
            return f"{key}: unknown key(s) {', '.join(map(repr, unknown))}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{key}: {error.instance!r} is not allowed; allowed values: {', '.join(map(str, error.validator_value))}"
    if error.validator == "oneOf" and key.startswith("custom_models."):
        return (f"{key}: {error.instance!r} is neither a build function \"file.py:build\" nor a model trained "
                "elsewhere {file: model.keras, dataset: <one of datasets>} (optionally with standardize)")
    if error.validator == "oneOf" and key.startswith("data.sources.cifar10"):
        return (f"{key}: {error.instance!r} is not a valid source of CIFAR-10's archive; use one of "
                "{kind: url, base: https://...}, {kind: directory, path: ...} (either with sha256: <hex>)")
    if error.validator == "oneOf" and key.startswith("data.sources."):
        return (f"{key}: {error.instance!r} is not a valid source; use one of "
                "{kind: url, base: https://...}, {kind: directory, path: ...}, "
                "{kind: debian, package: ...}, {kind: pypi, requirement: ...}")
    if error.validator == "oneOf":  # what is wrong within the form of its type, else which forms there are
        within = [e for e in error.context if e.validator not in ("type", "const", "enum")]
        if within:
            return _describe(jsonschema.exceptions.best_match(within))
        return f"{key}: {error.instance!r} is not allowed; allowed: {_allowed(error.schema)}"
    return f"{key}: {error.message}"


def _architecture_problems(name: str, architecture: dict) -> list[str]:
    if architecture["type"] == "resnet" and architecture["depth"] % 6 != 2:
        depth = architecture["depth"]
        return [f"architectures.{name}.depth: a ResNet has 6n + 2 layers (8, 14, 20, 32, 44, 56, 110, ...), "
                f"not {depth}; the nearest are {depth - (depth - 2) % 6} and {depth - (depth - 2) % 6 + 6}"]
    if architecture["type"] == "vit" and architecture["dim"] % architecture["heads"]:
        return [f"architectures.{name}.dim: {architecture['dim']} features do not split into {architecture['heads']} "
                f"heads (dim must be a multiple of heads)"]
    if architecture["type"] != "cnn":
        return []
    problems = []
    if len(architecture["pool"]) != len(architecture["conv"]):
        problems.append(f"architectures.{name}.pool: needs one entry per convolution "
                        f"({len(architecture['conv'])}), got {len(architecture['pool'])}")
    sizes = conv_sizes([architecture["kernel_size"]] * len(architecture["conv"]), architecture["pool"])
    if any(side < 1 for pair in sizes for side in pair):
        problems.append(f"architectures.{name}: the convolutions and poolings shrink the images to nothing")
    return problems


def _layer_selection_problems(config: dict) -> list[str]:
    selection = config["pruning"]["layers"]
    problems = []
    for model in config["models"]:
        kinds = layer_kinds(config["architectures"][model])
        if kinds is None:
            continue  # a custom model's layers are known once built: the first prune job checks the selection
        if selection == "conv" and "conv" not in kinds:
            problems.append(f"pruning.layers: 'conv' selects no layer of model {model!r} (it has no convolutions)")
        if not isinstance(selection, list):
            continue
        indices = [item for item in selection if isinstance(item, int)]
        if indices and max(indices) >= len(kinds):
            problems.append(f"pruning.layers: model {model!r} has layers 0..{len(kinds) - 1}, not {max(indices)}")
        elif len(indices) < len(selection):
            try:
                layer_indices(kinds, selection, layer_names(config["architectures"][model]))
            except ValueError as error:
                problems.append(f"pruning.layers: model {model!r}: {error}")
    return problems


def _method_problems(config: dict) -> list[str]:
    """What the configured methods say cannot work with this config's models and training
    (each method's own checks), custom methods that cannot be loaded, and a calibration set
    larger than the training images it is drawn from."""
    from ..methods.method import RUNS
    from ..methods.registry import configured_methods, custom_methods

    pruning, problems = config["pruning"], []
    for name, entry in pruning["custom_methods"].items():
        try:
            custom_methods({"pruning": {"custom_methods": {name: entry}}})
        except Exception as error:  # the user's file: whatever it raises is the problem to report
            problems.append(f"pruning.custom_methods.{name}: {type(error).__name__}: {error}")
    if problems:
        return problems
    methods = configured_methods(config).values()
    imported = [model for model in config["models"] if config["architectures"][model]["type"] == "imported"]
    for method in methods:
        if method.from_initialization and imported:
            problems.append(f"pruning.methods: {method.name} cannot prune model {imported[0]!r}: it was trained "
                            f"elsewhere, so its initialization and training are not here, and {method.name} is "
                            f"{RUNS[method.runs]}")
        if method.check is not None:
            problems += [problem for problem in method.check(config) if problem not in problems]
    trained = [method.name for method in methods if method.trains]
    if pruning["recalibrate"] != "none" and (trained or any(config["finetune"]["epochs"])):
        problems.append("pruning.recalibrate: re-estimates the statistics of one-shot pruned models, and training "
                        f"re-estimates them itself ({', '.join(trained) or 'finetune.epochs'}): run those in a "
                        "config without recalibrate")
    export, on_the_grid = config["efficiency"]["export"], [method.name for method in methods if method.on_the_k_grid]
    if isinstance(export, list) and not set(export) <= set(on_the_grid):
        extra = sorted(set(export) - set(on_the_grid))
        problems.append(f"efficiency.export: {extra} not among the one-shot methods of pruning.methods on its k grid "
                        f"({', '.join(on_the_grid) or 'none'})")
    training, images = config["training"], pruning["calibration"]["images"]
    left = training["train_size"] or SPLIT_SIZES["train"] - training["validation_size"]
    if any(method.calibrated for method in methods) and images > left:
        problems.append(f"pruning.calibration.images: {images} exceeds the {left} training images after the "
                        f"{training['validation_size']} validation images")
    return problems


def _custom_model_problems(config: dict) -> list[str]:
    """Each ``custom_models`` entry placed under ``architectures``: a build function as ``{type:
    custom, build, sha256}`` (its file's digest versions its results), a model trained elsewhere
    as ``{type: imported, file, sha256, dataset}`` once its file is checked (:func:`_imported_problems`).
    A missing file or a name taken by an architecture is a problem. Whether a build function
    builds a supported model is known only by running it: the first training job does."""
    problems = []
    for name, target in config["custom_models"].items():
        trained_elsewhere = isinstance(target, dict)
        existing = config["architectures"].get(name)
        if existing is not None and existing.get("file" if trained_elsewhere else "build") != (
                target["file"] if trained_elsewhere else target):
            problems.append(f"custom_models.{name}: the name of an architecture already; choose another")
            continue
        try:
            sha256 = file_digest(target["file"] if trained_elsewhere else target)
        except FileNotFoundError as error:
            problems.append(f"custom_models.{name}: {error}")
            continue
        if not trained_elsewhere:
            config["architectures"][name] = {"type": "custom", "build": target, "sha256": sha256}
            continue
        found = _imported_problems(config, target)
        problems += [f"custom_models.{name}: {problem}" for problem in found]
        if not found:
            config["architectures"][name] = {"type": "imported", **target, "sha256": sha256}
    return problems


def dataset_summary(config: dict, dataset: str) -> Summary | None:
    """A configured dataset's training images, image shape and classes where they are known
    before any job: a built-in's, an own dataset's by file (``None`` for a download)."""
    if dataset in DATASETS:
        return Summary(SPLIT_SIZES["train"], IMAGE_SHAPE, NUM_CLASSES)
    if dataset == "cifar10":
        return cifar10.SUMMARY
    return summary(config["custom_datasets"][dataset])


def epoch_images(config: dict) -> tuple[int | None, str | None]:
    """How many training images an epoch takes on every dataset of the config — training.train_size,
    or each dataset's training images after the validation split — for settings counted in
    optimizer steps; ``None`` and why where the datasets have no one count (they differ, or a
    download's is known only once fetched)."""
    training = config["training"]
    if training["train_size"]:
        return training["train_size"], None
    counts = {}
    for dataset in config["datasets"]:
        data = dataset_summary(config, dataset)
        if data is None:
            return None, f"dataset {dataset} is a download, whose images are known only once fetched"
        counts[dataset] = data.train_images - training["validation_size"]
    if len(set(counts.values())) > 1:
        return None, ("the datasets train on different numbers of images per epoch ("
                      + ", ".join(f"{dataset}: {count:,}" for dataset, count in counts.items()) + ")")
    return next(iter(counts.values())), None


def _imported_problems(config: dict, entry: dict) -> list[str]:
    """Why a model trained elsewhere cannot be this config's model of its dataset: a dataset not
    in ``datasets``, a file that is no Keras model of supported layers, an input or output that
    does not fit the dataset's images and classes."""
    from ..models.imported import ImportedModelError, imported_graph

    if entry["dataset"] not in config["datasets"]:
        return [f"dataset {entry['dataset']!r} is not in datasets ({', '.join(config['datasets'])}): the model "
                "is that dataset's trained model, so the dataset must be run"]
    try:
        graph = imported_graph(entry["file"])
    except ImportedModelError as error:
        return [str(error)]
    data = dataset_summary(config, entry["dataset"])
    if data is None:
        return []  # a download: its import job checks the model against the images
    return [f"{entry['file']}: {problem}" for problem in graph.interface_problems(data.model_input, data.classes)]


def _custom_dataset_problems(config: dict) -> list[str]:
    """An own dataset named like a built-in one, or whose file is not there."""
    problems = []
    for name, entry in config["custom_datasets"].items():
        if name in BUILT_IN_DATASETS:
            problems.append(f"custom_datasets.{name}: the name of a built-in dataset; choose another")
        elif "file" in entry:
            try:
                user_file(entry["file"])
            except FileNotFoundError as error:
                problems.append(f"custom_datasets.{name}.file: {error}")
    return problems


def _semantic_problems(config: dict) -> list[str]:
    problems = _custom_dataset_problems(config) + _custom_model_problems(config)
    if problems:
        return problems
    undefined = [m for m in config["models"] if m not in config["architectures"]]
    if undefined:
        return [f"models: {', '.join(undefined)} not defined under architectures or custom_models "
                f"(defined: {', '.join(sorted(config['architectures'])) or 'none'})"]
    for name in config["models"]:
        problems += _architecture_problems(name, config["architectures"][name])
    problems += _layer_selection_problems(config)
    if not problems:
        problems += _method_problems(config)
    pruning_k, configured = config["pruning"]["k"], config["pruning"]["methods"]
    for stage, needs in (("finetune", "fine-tuning"), ("quantization", "quantization")):
        problems += _outside(f"{stage}.k", config[stage]["k"], pruning_k, "pruning.k",
                             f"{needs} needs the pruned models of those k")
    if config["pruning"]["recalibrate"] != "none":
        without = [m for m in config["models"] if config["architectures"][m]["type"] in WITHOUT_BATCH_NORMS]
        if without:
            problems.append(f"pruning.recalibrate: {config['pruning']['recalibrate']} re-estimates batch norms, and "
                            f"{', '.join(without)} hold none; recalibrate models with batch norms "
                            "(a ResNet, a VGG, your own) in a config of their own")
    problems += _outside("finetune.methods", config["finetune"]["methods"], configured, "pruning.methods")
    problems += _outside("quantization.methods", config["quantization"]["methods"], list(QUANTIZATIONS),
                         "the quantizations")
    problems += _outside("quantization.kmeans.model_bits", list(config["quantization"]["kmeans"]["model_bits"]),
                         config["models"], "models")
    problems += _outside("quantization.pruning_methods", config["quantization"]["pruning_methods"], configured,
                         "pruning.methods")
    finetune_epochs = [e for e in config["finetune"]["epochs"] if e > 0]
    too_many = [r for r in config["finetune"]["rounds"] if finetune_epochs and r > min(finetune_epochs)]
    if too_many:
        problems.append(f"finetune.rounds: {too_many} exceed the fewest fine-tuning epochs "
                        f"({min(finetune_epochs)}); every round needs at least one epoch")
    training = config["training"]
    problems += protocol_problems(training, [training["epochs"]], "training")
    flat = [model for model in config["models"] if config["architectures"][model]["type"] == "dense"]
    if augmented(training["augment"]) and flat:
        problems.append(f"training.augment: crops and flips images, and model {flat[0]!r} (dense) is fed flat "
                        "vectors; train it without augmentation in a config of its own")
    if finetune_epochs:
        problems += protocol_problems(config["finetune"], finetune_epochs, "finetune")
    if training["backend"] == "jax" and training["onednn"]:
        problems.append("training.onednn: TensorFlow's oneDNN setting; with training.backend: jax it must stay false")
    elif training["precision"] == "bfloat16":
        without = [model for model in config["models"]
                   if not engine_settings(training, config["architectures"][model]["type"])["onednn"]]
        if without:
            problems.append(f"training.precision: bfloat16 needs training.onednn: true (model {without[0]!r} trains "
                            "without it by default; without oneDNN, TensorFlow's bfloat16 kernels are slower than "
                            "float32)")
    cnns = [model for model in config["models"] if config["architectures"][model]["type"] == "cnn"]
    vits = [model for model in config["models"] if config["architectures"][model]["type"] == "vit"]
    for dataset in config["datasets"]:
        data = dataset_summary(config, dataset)  # a download's count is checked by its first training job
        if data is not None and (problem := training_split_problem(training, data.train_images, dataset)):
            problems.append(problem)
        if data is not None and cnns and (problem := cnn_shape_problem(data.image_shape)):
            problems.append(f"models: {cnns[0]}, on dataset {dataset}: {problem}")
        for model in vits:
            if data is not None and (problem := vit_shape_problem(config["architectures"][model], data.image_shape)):
                problems.append(f"models: {model}, on dataset {dataset}: {problem}")
    return problems


def merge_config(base: dict, override: dict) -> dict:
    """``base`` with ``override`` merged in, as Snakemake's ``--configfile`` does: nested
    dicts merge, everything else replaces. Neither argument is modified."""
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_config(result[key], value)
        else:
            result[key] = value
    return result


def merged_config(*configfiles: str | Path) -> dict:
    """The config a run given ``configfiles`` (``--configfile``) gets: the project's config.yaml
    with each merged in, in order, as Snakemake does, then validated (for scripts beside the
    workflow: benchmarks, diagnostics)."""
    config = yaml.safe_load(PROJECT_CONFIG.read_text())
    for configfile in map(Path, configfiles):
        if configfile.resolve() != PROJECT_CONFIG:
            config = merge_config(config, yaml.safe_load(configfile.read_text()))
    return validate_config(config)


def _with_config_names(schema: dict, config: dict) -> dict:
    """The schema with the names the config itself adds: the method names allowed in
    ``pruning.methods`` (the built-ins, the registry's in catalog order, and the config's custom
    methods) and the dataset names allowed in ``datasets`` (the built-ins and custom datasets)."""
    from ..methods.registry import BUILT_IN

    custom = config.get("pruning", {}).get("custom_methods", {}) if isinstance(config.get("pruning"), dict) else {}
    schema = copy.deepcopy(schema)
    items = schema["properties"]["pruning"]["properties"]["methods"]["items"]
    names = list(BUILT_IN) + (list(custom) if isinstance(custom, dict) else [])
    items["enum"] = list(dict.fromkeys(names))
    own = config.get("custom_datasets", {})
    schema["properties"]["datasets"]["items"]["enum"] = list(dict.fromkeys(
        [*BUILT_IN_DATASETS, *(own if isinstance(own, dict) else [])]))
    return schema


def _keep_built_in_architectures(config: dict, schema: dict) -> None:
    """The built-in architectures (the schema's default ``architectures``) stay defined when a
    config adds its own: ``architectures: {r8: ...}`` with ``models: [dense, r8]`` means the
    built-in dense; an entry of a built-in's name replaces it."""
    own = config.get("architectures")
    if isinstance(own, dict):
        config["architectures"] = {**copy.deepcopy(schema["properties"]["architectures"]["default"]), **own}


def validate_config(config: dict, schema: dict | None = None) -> dict:
    """Fill defaults into ``config`` in place and return it; raise :class:`ConfigError` if invalid."""
    schema = _with_config_names(load_schema() if schema is None else schema, config)
    _keep_built_in_architectures(config, schema)
    errors = sorted(DefaultingValidator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = list(dict.fromkeys(_describe(e) for e in errors))  # a problem once, however many rules see it
    if not problems:
        problems = _semantic_problems(config)
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
    return config


def _outside(key: str, chosen: list | None, allowed: list, allowed_key: str, reason: str = "") -> list[str]:
    """The problem of a chosen subset (``null``: all) that names what ``allowed_key`` does not have."""
    extra = sorted(set(chosen or []) - set(allowed), key=str)
    if not extra:
        return []
    return [f"{key}: {extra} not in {allowed_key} ({', '.join(map(str, allowed))})" + (f"; {reason}" if reason else "")]


def _allowed(schema: dict) -> str:
    """What a key accepts, in words, from its schema."""
    if "enum" in schema:
        return " or ".join(f"`{value}`" for value in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "oneOf" in schema:
        return "; or ".join(_allowed(option) for option in schema["oneOf"])
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "mapping" if "properties" in schema else "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    bounds = [f"{word} {schema[key]}" for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"),
                                                       ("maximum", "≤"), ("exclusiveMaximum", "<")) if key in schema]
    items = f" of {_allowed(schema['items'])}" if "items" in schema else ""
    return kind + items + (f" ({', '.join(bounds)})" if bounds else "")


def _default(entry: dict) -> str:
    """A key's default as YAML, or nothing for a mapping whose keys have their own."""
    if "default" not in entry or "properties" in entry:
        return ""
    text = yaml.safe_dump(entry["default"], default_flow_style=True, width=10_000).strip().removesuffix("...").strip()
    return f"`{text}`" if len(text) <= 60 else "see `make config`"


def _cell(text: str) -> str:
    """Table-cell text: one line, pipes escaped so a `|w|` cannot end the cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _row(key: str, entry: dict, note: str = "") -> str:
    return (f"| `{key}` | {_cell(_allowed(entry))} | {_cell(_default(entry))} | "
            f"{_cell(note + entry.get('description', ''))} |")


def _rows(schema: dict, prefix: str = "") -> list[str]:
    rows = []
    for name, entry in schema.get("properties", {}).items():
        key = f"{prefix}{name}"
        rows.append(_row(key, entry))
        rows += _rows(entry, f"{key}.")
        if name == "architectures":
            rows += _architecture_rows(schema["$defs"], f"{key}.<name>.")
    return rows


def _architecture_rows(definitions: dict, prefix: str) -> list[str]:
    """The keys of one architecture, from each type's definition, each once, saying which
    types take it (a shared definition by reference is described where it is defined); a key
    that means something else in another type (``depth``) gets a row per meaning."""
    types = {kind: definitions[kind]["properties"] for kind in ARCHITECTURE_TYPES}
    rows = []
    for name in dict.fromkeys(key for keys in types.values() for key in keys):
        if name == "type":
            continue
        meanings: dict[str, list[str]] = {}
        for kind, keys in types.items():
            if name in keys:
                meaning = {key: value for key, value in keys[name].items() if key != "default"}
                meanings.setdefault(repr(meaning), []).append(kind)
        for taking in meanings.values():
            entry = types[taking[0]][name]
            if "$ref" in entry:
                entry = definitions[entry["$ref"].rsplit("/", 1)[-1]]
            defaults = {kind: types[kind][name].get("default") for kind in taking}
            if len(set(map(str, defaults.values()))) > 1:  # the types' own defaults differ (bias)
                entry = {**entry, "description": "Default: " + ", ".join(f"{kind} {_default({'default': value})}"
                                                                          for kind, value in defaults.items())
                         + ". " + entry.get("description", "")}
                entry.pop("default", None)
            note = "" if len(taking) == len(types) else f"({', '.join(taking)} only) "
            rows.append(_row(f"{prefix}{name}", entry, note))
            rows += _rows(entry, f"{prefix}{name}.")
    return rows


def reference(schema: dict | None = None) -> str:
    """Every key of the config, with what it accepts, its default and what it means: the schema
    as a markdown table (docs/configuration.md is this, kept equal by a test)."""
    schema = load_schema() if schema is None else schema
    return ("# Configuration: every key\n\n"
            "Generated from [the schema](../workflow/schemas/config.schema.yaml) by `make docs` (a test keeps the "
            "two equal). [`config.yaml`](../config.yaml) shows the keys people edit most; `make config` prints the "
            "complete default configuration. A key left out takes its default; `--configfile other.yaml` merges "
            "on top (nested mappings merge, lists and values replace); a wrong key or value stops the run before "
            "any job, naming the key and what is allowed.\n\n"
            "| key | accepts | default | what it means |\n|---|---|---|---|\n" + "\n".join(_rows(schema)) + "\n")


if __name__ == "__main__":  # the complete default configuration: python -m prunelab.plumbing.config [--reference]
    import sys

    if sys.argv[1:] == ["--reference"]:
        print(reference(), end="")
    else:
        print(yaml.safe_dump(validate_config({}), sort_keys=False, width=100), end="")
