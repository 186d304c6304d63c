"""From a validated config to the jobs it asks for, with readable, versioned ids.

A training run's id names its main settings (model, regularizer, epochs) and ends in a
digest of every setting that affects the trained weights, so changing any of them writes a
new version beside the old one instead of overwriting it. Everything about a method comes
from its module, through the registry: nothing here names a method.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..methods.pruning import method_spec
from ..methods.registry import code_files, configured_methods, method_order, method_settings
from ..methods.scope import scope_name
from ..methods.selection import is_unpruned
from ..models.augmentation import NO_AUGMENTATION, versioned
from ..models.backend import DEFAULT_BACKEND, engine_settings
from ..models.keras_models import DEFAULT_PRECISION
from ..models.protocol import DEFAULTS as PROTOCOL_DEFAULTS
from ..models.protocol import changed_protocol
from ..quantizing import TIMED_QUANTIZATIONS
from .codeversion import CodeSnapshot
from .paths import digest, format_number


LATER_DEFAULTS = {"precision": DEFAULT_PRECISION, "backend": DEFAULT_BACKEND, "augment": NO_AUGMENTATION,
                  **PROTOCOL_DEFAULTS}
"""Training settings added after results existed, with the value they had implicitly before:
at that value a setting stays out of the spec (and its id), so those results keep their ids."""


def training_spec(config: dict, model: str, regularizer: str) -> dict:
    """Every setting that affects the trained weights (dataset and seed are wildcards), but
    those of :data:`LATER_DEFAULTS` at their old value, and ``keep`` without a validation split
    (the last epoch is kept whatever it says); ``augment``, where on, with the version of its
    draws (:func:`prunelab.models.augmentation.versioned`); threads and oneDNN as the model trains
    (:func:`prunelab.models.backend.engine_settings`: null in the config means the architecture's)."""
    strength = 0.0 if regularizer == "none" else float(config["regularization_strength"][regularizer])
    architecture = config["architectures"][model]
    training = {key: value for key, value in config["training"].items()
                if not (key in LATER_DEFAULTS and value == LATER_DEFAULTS[key])
                and not (key == "keep" and config["training"]["validation_size"] == 0)}
    training.update(engine_settings(config["training"], architecture["type"]))
    if "augment" in training:
        training["augment"] = versioned(training["augment"])
    return {
        "model": model,
        "architecture": architecture,
        "regularizer": regularizer,
        "strength": strength,
        **training,
    }


def training_id(spec: dict) -> str:
    """'dense-l1_0.0001-e20-1a2b3c4d': model, regularizer, epochs and the spec's digest; a model
    trained elsewhere 'mine-imported-1a2b3c4d' (its file's SHA-256 is in the spec)."""
    if imported(spec["architecture"]):
        return f"{spec['model']}-imported-{digest(spec)}"
    strength = "" if spec["regularizer"] == "none" else f"_{format_number(spec['strength'])}"
    return f"{spec['model']}-{spec['regularizer']}{strength}-e{spec['epochs']}-{digest(spec)}"


def imported(architecture: dict) -> bool:
    """Whether the model was trained elsewhere (``custom_models: {name: {file, dataset}}``): one
    trained model of one dataset, without a regularizer of this config's."""
    return architecture["type"] == "imported"


def training_specs(config: dict) -> dict[str, dict]:
    """All training specs of the config, by id: every model with every regularizer, a model
    trained elsewhere once, as it was trained (regularizer ``none``)."""
    specs = (training_spec(config, model, regularizer) for model in config["models"]
             for regularizer in (["none"] if imported(config["architectures"][model]) else config["regularizers"]))
    return {training_id(spec): spec for spec in specs}


@dataclass(frozen=True)
class TrainedModel:
    """One training job's model: dataset, training configuration and seed (the wildcards)."""

    dataset: str
    train_id: str
    seed: int


def trained_models(config: dict) -> list[TrainedModel]:
    """Every dataset, training spec and seed; a model trained elsewhere only on its dataset, under
    every seed (the same weights: a seed there seeds what follows, random pruning's draw, the
    calibration sample, fine-tuning)."""
    specs = training_specs(config)
    return [TrainedModel(dataset, train_id, seed) for dataset in config["datasets"]
            for train_id, spec in specs.items() if spec["architecture"].get("dataset", dataset) == dataset
            for seed in config["seeds"]]


def finetune_ids(config: dict) -> dict[str, dict]:
    """Fine-tuning settings by id, one per non-zero epoch count and number of rounds:
    'ft3-lr0.0001-b128' retrains 3 epochs after pruning once, 'ft3r3-lr0.0001-b128' spends
    the same 3 epochs over 3 prune-retrain rounds; a protocol other than Adam at a constant rate
    adds a digest of it ('ft3-lr0.001-b64-1a2b3c4d')."""
    settings = config["finetune"]
    protocol = changed_protocol(settings)
    suffix = (f"-lr{format_number(settings['learning_rate'])}-b{settings['batch_size']}"
              + (f"-{digest(protocol)}" if protocol else ""))
    return {f"ft{epochs}{'' if rounds == 1 else f'r{rounds}'}{suffix}":
            {"epochs": epochs, "rounds": rounds, "learning_rate": settings["learning_rate"],
             "batch_size": settings["batch_size"], **({"protocol": protocol} if protocol else {})}
            for epochs in settings["epochs"] if epochs > 0 for rounds in settings["rounds"]}


@dataclass(frozen=True)
class RuleFamily:
    """One rule that runs the methods of one way of running which share a result folder
    (pruning at initialization runs every such method; the other ways one method each)."""

    name: str
    result: str
    """The folder of one result, with the rule's wildcards."""
    result_files: tuple[str, ...]
    methods: tuple[str, ...]
    rule_inputs: Callable[[dict, dict], dict] | None


class Plan:
    """Every job a validated config asks for, and what each job is given."""

    def __init__(self, config: dict):
        self.config = config
        self.methods = configured_methods(config)
        self.settings = {name: method_settings(method, config) for name, method in self.methods.items()}
        self.scope = scope_name(config["pruning"]["layers"]) + (
            "_recalibrated" if config["pruning"]["recalibrate"] != "none" else "")
        self.specs = training_specs(config)
        self.models = trained_models(config)
        self.finetunes = finetune_ids(config)
        self.finetune_k = [format_number(k) for k in (config["finetune"]["k"] or config["pruning"]["k"])]
        self.code = CodeSnapshot()

    def per_model(self, pattern: str, targets: list[dict] = ({},)) -> list[str]:
        """``pattern`` for every trained model (in this config's scope) and every target."""
        return [pattern.format(**vars(model), scope=self.scope, **target) for model in self.models
                for target in targets]

    def pruned_targets(self) -> list[dict]:
        """Wildcards of every one-shot result row: one-shot methods at their k, and k = 0 (the
        trained model itself) of the methods that train, unless their k = 0 trains too. Prune jobs
        make those above k = 0 (:meth:`prune_targets`)."""
        return [dict(vars(model), scope=self.scope, method=name, k=format_number(k))
                for model in self.models for name, method in self.methods.items()
                for k in method.one_shot_k(self.config["pruning"]["k"], self.config)]

    def prune_targets(self) -> list[dict]:
        """Wildcards of every prune job: the pruned targets above k = 0 (every method's k = 0 row is
        the trained model itself, evaluated once: :meth:`unpruned_methods`)."""
        return [target for target in self.pruned_targets() if not is_unpruned(float(target["k"]))]

    def unpruned_methods(self) -> list[str]:
        """The methods whose k = 0 row is the trained model evaluated as is: one evaluation per
        trained model serves them all."""
        return [name for name, method in self.methods.items()
                if any(is_unpruned(k) for k in method.one_shot_k(self.config["pruning"]["k"], self.config))]

    def finetuned_targets(self) -> list[dict]:
        """Wildcards of every fine-tuned model of the config (one-shot methods only)."""
        chosen = self.config["finetune"]["methods"]
        return [dict(target, finetune_id=finetune_id) for target in self.pruned_targets()
                if not self.methods[target["method"]].trains and target["k"] in self.finetune_k
                and (chosen is None or target["method"] in chosen) for finetune_id in self.finetunes]

    def _quantized(self, target: dict) -> bool:
        """Whether the pruned model ``target`` names is one quantization.k and
        quantization.pruning_methods choose."""
        quantization = self.config["quantization"]
        chosen_k = [format_number(k) for k in (quantization["k"] or self.config["pruning"]["k"])]
        chosen = quantization["pruning_methods"]
        return target["k"] in chosen_k and (chosen is None or target["method"] in chosen)

    def quantized_targets(self) -> tuple[list[dict], list[dict], list[dict]]:
        """Wildcards of every quantization job (quantization.methods as ``quantizer``): of the
        trained models (when quantization.k holds 0), of the pruned and of the fine-tuned models
        of quantization.pruning_methods at quantization.k; none without a quantization."""
        quantizers = self.config["quantization"]["methods"]
        unpruned = [dict(vars(model), scope=self.scope, quantizer=quantizer) for model in self.models
                    for quantizer in quantizers] if self.quantized_unpruned_methods() else []
        return (unpruned,
                [dict(target, quantizer=q) for target in self.prune_targets() if self._quantized(target)
                 for q in quantizers],
                [dict(target, quantizer=q) for target in self.finetuned_targets() if self._quantized(target)
                 for q in quantizers])

    def timed_quantizations(self) -> list[dict]:
        """Of each trained model, the quantized files its latency job times (ONNX Runtime's and
        LiteRT's int8 models, of the timed methods' one-shot pruned models and of the trained model
        at k = 0), as {method, k, quantizer}; none without such a quantization."""
        timed = [q for q in self.config["quantization"]["methods"] if q in TIMED_QUANTIZATIONS]
        targets = ({"method": method, "k": format_number(k)} for method in self.timed_methods()
                   for k in self.config["pruning"]["k"])
        return [dict(target, quantizer=quantizer) for target in targets if self._quantized(target)
                for quantizer in timed]

    def recalibration(self) -> dict:
        """What a prune job's recalibration depends on ({} when off): the layers it re-estimates and
        on how many images (a param of the prune jobs only when on)."""
        pruning = self.config["pruning"]
        if pruning["recalibrate"] == "none":
            return {}
        return {"recalibration": {"layers": pruning["recalibrate"], "images": pruning["recalibration_images"]}}

    def quantized_unpruned_methods(self) -> list[str]:
        """The methods whose k = 0 row of quantized.csv is the trained model quantized (none when
        quantization.k leaves out 0)."""
        return [name for name in self.unpruned_methods() if self._quantized({"method": name, "k": "0"})]

    def quantizer_settings(self, quantizer: str, train_id: str) -> dict:
        """What a quantization's results depend on besides the model: kmeans's settings, its bits
        those of the trained model's (model_bits over bits); the number of calibration images
        (pruning.calibration.images) of int8 and litert."""
        if quantizer != "kmeans":
            return {"calibration_images": self.config["pruning"]["calibration"]["images"]}
        settings = dict(self.config["quantization"][quantizer])
        own_bits = settings.pop("model_bits").get(self.specs[train_id]["model"], {})
        return {**settings, "bits": {**settings["bits"], **own_bits}}

    def rule_families(self) -> list[RuleFamily]:
        """The rules of the configured methods that train, one per result folder."""
        families: dict[str, RuleFamily] = {}
        for name, method in self.methods.items():
            if method.trains:
                family = families.get(method.rule)
                methods = (*family.methods, name) if family else (name,)
                families[method.rule] = RuleFamily(method.rule, method.result(self.config), method.result_files,
                                                   methods, method.rule_inputs)
        return list(families.values())

    def trained_results(self) -> list[str]:
        """The metrics of every pruned model that a method produced by training."""
        return [path for name, method in self.methods.items() if method.trains
                for path in self.per_model(f"{method.result(self.config)}/metrics.json",
                                           method.targets(self.config, self.settings[name]))]

    def timed_methods(self) -> list[str]:
        """The configured one-shot methods on the configured k grid (not an N:M pattern's one k):
        those whose pruned models (as their prune jobs wrote them) a latency job times and the
        weight histograms show."""
        return [name for name, method in self.methods.items() if method.on_the_k_grid]

    def latency_id(self) -> str:
        """Name of a trained model's latency record, e.g. 'weight_unit-k12-1a2b3c4d': the methods
        and number of k it times, and a digest of every timing setting, so configs that time other
        pruned models keep their records side by side instead of overwriting one another's."""
        pruning, efficiency = self.config["pruning"], self.config["efficiency"]
        methods = self.timed_methods()
        settings = {"methods": methods, "k": pruning["k"],
                    "batch_sizes": efficiency["latency_batch_sizes"], "repeats": efficiency["latency_repeats"]}
        method_settings = {name: self.settings[name] for name in methods if self.settings[name]}
        if method_settings:  # what else the pruned models depend on (none for the data-free methods)
            settings["method_settings"] = method_settings
        quantized = self.timed_quantizations()
        if quantized:  # the quantized files it times too, and what they depend on
            settings["quantized"] = {"models": quantized,
                                     "calibration_images": self.config["pruning"]["calibration"]["images"]}
        return f"{'_'.join(methods)}-k{len(pruning['k'])}-{digest(settings)}"

    def method_spec(self, name: str) -> dict:
        """What a job needs to load the method ``name``."""
        return method_spec(self.methods[name])

    def presentation(self) -> dict[str, dict]:
        """How the results show each configured method, in the order tables and legends use."""
        return {name: self.methods[name].presentation() for name in method_order(self.methods)}

    def job_code(self, script: str | Path, methods: list[str] = (), notebook: str | Path | None = None) -> str:
        """The code version of a job: its script's (and notebook's), and the modules of the
        methods it runs, so that an edit to one method reruns only that method's results."""
        files = sorted({path for name in methods for path in code_files(self.methods[name])})
        version = self.code.code_version(script, notebook)
        return version if not files else f"{version}-{self.code.modules_version(tuple(files))}"

