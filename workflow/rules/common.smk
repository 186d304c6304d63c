import os
import sys
from pathlib import Path

# The one way the package is found: the folder holding it on the Python path, here and, through
# PYTHONPATH, in every process this one starts (job scripts, the report's notebook kernel); the
# Makefile and pytest put the same folder there for everything else.
PACKAGE_FOLDER = str(Path(workflow.basedir) / "workflow")
sys.path.insert(0, PACKAGE_FOLDER)
os.environ.update(PYTHONPATH=os.pathsep.join([PACKAGE_FOLDER, *filter(None, [os.environ.get("PYTHONPATH")])]))

from prunelab.data.custom import CUSTOM_FILE
from prunelab.data.datasets import BUILT_IN_DATASETS, DATASETS, SPLIT_FILES, dataset_digest
from prunelab.methods.selection import is_unpruned
from prunelab.plumbing.config import validate_config
from prunelab.plumbing.paths import SCOPED, TRAINED_MODEL, format_number
from prunelab.plumbing.plan import Plan
from prunelab.plumbing.runtime import pin_threads
from prunelab.plumbing import warm
from prunelab.quantizing import QUANTIZATIONS
from prunelab.results.report import NOTEBOOK

validate_config(config)
# Jobs declare their threads; numpy-only jobs use one, so their BLAS pools must match
# (training jobs pin their backend's threads themselves, from their training spec).
pin_threads(1)

PLAN = Plan(config)
K_VALUES = [format_number(k) for k in config["pruning"]["k"]]
# the k that prune jobs make (k = 0 is the trained model itself: evaluate_unpruned)
PRUNED_K = [k for k in K_VALUES if not is_unpruned(float(k))]
SELECTION = config["pruning"]["layers"]
TIMED = PLAN.timed_methods()

DATA = "results/data/{dataset}"
PROVENANCE = f"{DATA}/provenance.json"
MODEL = f"results/models/{TRAINED_MODEL}"
PRUNED = f"results/pruned/{SCOPED}/{{method}}/k{{k}}.json"
# the pruned model itself, stored against the trained one (prunelab.models.pruned_file)
PRUNED_MODEL = f"results/pruned/{SCOPED}/{{method}}/k{{k}}.npz"
# the trained model evaluated as is: every method's k = 0 row (the aggregate names each method)
UNPRUNED = f"results/pruned/{SCOPED}/k0.json"
LATENCY_ID = PLAN.latency_id()
LATENCY_RECORD = f"results/latency/{SCOPED}/{LATENCY_ID}.json"
FINETUNED = f"results/finetuned/{SCOPED}/{{method}}/k{{k}}/{{finetune_id}}"
EXPORTED = f"results/exported/{SCOPED}/{{method}}/k{{k}}"
UNPRUNED_EXPORTED = f"results/exported/{SCOPED}/k0"
# quantized models (quantization.methods): of a pruned, a fine-tuned and the trained model
QUANTIZED = f"results/quantized/{SCOPED}/{{method}}/k{{k}}/{{quantizer}}"
QUANTIZED_FINETUNED = f"results/quantized/{SCOPED}/{{method}}/k{{k}}/{{finetune_id}}/{{quantizer}}"
QUANTIZED_UNPRUNED = f"results/quantized/{SCOPED}/k0/{{quantizer}}"
# Summaries of this config (its name keeps several side by side); per-job results are shared.
SUMMARY = f"results/{config['name']}".rstrip("/")
METRICS = f"{SUMMARY}/metrics.csv"
QUANTIZED_TABLE = f"{SUMMARY}/quantized.csv"
LATENCY = f"{SUMMARY}/latency.csv"
TABLE = f"{SUMMARY}/tables/{{dataset}}/{{train_id}}.md"
SWEEP_PLOT = f"{SUMMARY}/plots/{{dataset}}/sweep.png"
SAVINGS_PLOT = f"{SUMMARY}/plots/{{dataset}}/savings.png"
COMPARISON_PLOT = f"{SUMMARY}/plots/{{dataset}}/comparison.png"
REPORT = f"{SUMMARY}/report/report"
DISTRIBUTIONS = f"{SUMMARY}/distributions/{TRAINED_MODEL}.png"
EXPERIMENT = config["name"] or "default"
# Every core Snakemake may use on this machine: what a latency job claims so that nothing runs
# beside it. On a cluster (or inside a cluster job) each job has its own allocation: 1.
LOCAL = workflow.local_exec and not workflow.remote_exec
ALL_CORES = (workflow.resource_settings.cores or 1) if LOCAL else 1
LOGS = "results/logs"


# A local run's jobs start from one warm interpreter's forks (prunelab.plumbing.warm) where they
# run in this Python: not on a cluster, nor in conda environments or containers.
onstart:
    if LOCAL and not workflow.deployment_settings.deployment_method:
        # TensorFlow as the first model trains; other models' trainings run in their own processes
        warm.start(Path(LOGS, "warm_interpreter.log"), next(iter(PLAN.specs.values())))


onsuccess:
    warm.stop()


onerror:
    warm.stop()


class Job:
    """What one kind of job needs: its conda environment, threads and resources (peak memory
    measured with headroom, runtime in minutes), declared once for every rule of the kind; and
    its priority: training is the critical path, so no job that can wait goes before it."""

    def __init__(self, environment, threads, mem_mb, runtime, priority=0):
        self.conda = f"../../envs/{environment}.yaml"
        self.threads = threads
        self.resources = {"mem_mb": mem_mb, "runtime": runtime}
        self.priority = priority


def training_threads(wildcards):
    """A training job's threads: its spec's (the config's, or its architecture's by default)."""
    return PLAN.specs[wildcards.train_id]["threads"]


FETCHING = Job("core", 1, mem_mb=300, runtime=15)
NUMPY = Job("core", 1, mem_mb=500, runtime=5)
SUMMARIZING = Job("core", 1, mem_mb=400, runtime=5)
TIMING = Job("core", ALL_CORES, mem_mb=500, runtime=10)
TRAINING = Job("train", training_threads, mem_mb=2500, runtime=60, priority=10)
# numpy and ONNX Runtime, and TensorFlow's converter for LiteRT: the training environment
QUANTIZING = Job("train", 1, mem_mb=2000, runtime=30)
PLOTTING = Job("report", 1, mem_mb=500, runtime=5)
REPORTING = Job("report", 1, mem_mb=1000, runtime=10)
# Snakemake's per-job benchmark records (seconds, peak RSS, CPU time), one folder per rule,
# read by benchmarks/run.py.
BENCHMARKS = "results/benchmarks"
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"


wildcard_constraints:
    dataset="|".join([*BUILT_IN_DATASETS, *config["custom_datasets"]]),
    train_id=r"[^/]+",
    seed=r"\d+",
    method=r"[a-z][a-z0-9_]*",
    scope=r"[a-z0-9_]+",
    finetune_id=r"ft\d+(?:r\d+)?-[^/]+",
    at_init_id=r"[a-z]\d+",
    k=r"[0-9.]+",
    round=r"[1-9]\d*",
    quantizer="|".join(QUANTIZATIONS),


def code(script, *methods):
    """What a rule's jobs run, as a digest (prunelab.plumbing.codeversion): a param of every
    rule, so an edit to the code behind a result reruns exactly the jobs it can change."""
    notebook = NOTEBOOK if script == "report" else None
    return PLAN.job_code(SCRIPTS / f"{script}.py", list(methods), notebook)


def method_code(script):
    """The code version of a job that runs the method its wildcards name."""
    return lambda wildcards: code(script, wildcards.method)


def split_files(split):
    """The files of one split of the dataset named by the wildcard: an MNIST-format dataset's IDX
    files, CIFAR-10's or an own dataset's verified .npz (prunelab.data.custom). A dataset is its
    checksums (fixed in prunelab.data, part of the code versions, or given in the config), so its
    files are ancient: touching or re-fetching them reruns nothing."""

    def files(wildcards):
        names = SPLIT_FILES[split] if wildcards.dataset in DATASETS else [CUSTOM_FILE]
        folder = Path(DATA.format(dataset=wildcards.dataset))
        return [ancient(str(folder / name)) for name in names]

    return files


def training_spec(wildcards):
    return PLAN.specs[wildcards.train_id]


def per_training(pattern):
    return [pattern.format(**vars(model)) for model in PLAN.models]


def method_of(wildcards):
    """What a job needs to load the method its wildcards name."""
    return PLAN.method_spec(wildcards.method)


def settings_of(wildcards):
    """The method's own settings; none at k = 0, which is the trained model whatever the method."""
    return {} if is_unpruned(float(wildcards.k)) else PLAN.settings[wildcards.method]


def prune_training_files(wildcards):
    """The training split, for one-shot methods whose needs are computed from training images, and
    for batch-norm recalibration."""
    reads = PLAN.methods[wildcards.method].reads_training_images or PLAN.recalibration()
    return split_files("train")(wildcards) if reads and not is_unpruned(float(wildcards.k)) else []


def latency_paths():
    """Each trained model's latency record, unless nothing is timed (no one-shot method on the k
    grid, or efficiency.latency_batch_sizes empty)."""
    timed = TIMED and config["efficiency"]["latency_batch_sizes"]
    return [LATENCY_RECORD.format(**vars(model), scope=PLAN.scope) for model in PLAN.models] if timed else []


def timed_models(wildcards):
    """The pruned models of one trained model that its latency job and histograms look at again:
    every timed method at every k above 0, as their prune jobs wrote them (k = 0 is the trained
    model itself)."""
    trained = dict(wildcards.items(), scope=PLAN.scope)
    return [PRUNED_MODEL.format(**trained, method=method, k=k) for method in TIMED for k in PRUNED_K]


def timed_quantized_models(wildcards):
    """The quantized files of one trained model that its latency job times
    (PLAN.timed_quantizations: int8 and LiteRT models of the timed one-shot pruned models)."""
    trained = dict(wildcards.items(), scope=PLAN.scope)
    return [
        (QUANTIZED_UNPRUNED if is_unpruned(float(target["k"])) else QUANTIZED).format(**trained, **target) + ".model"
        for target in PLAN.timed_quantizations()
    ]


def pruned_paths():
    return [PRUNED.format(**target) for target in PLAN.prune_targets()]


def unpruned_paths():
    """The one evaluation of each trained model at k = 0, if any method has a k = 0 row."""
    return PLAN.per_model(UNPRUNED) if PLAN.unpruned_methods() else []


def finetuned_paths():
    return [f"{FINETUNED}/metrics.json".format(**target) for target in PLAN.finetuned_targets()]


def exported_paths():
    """Every pruned and fine-tuned model of the methods efficiency.export asks for (true: every
    one-shot method on the k grid); their k = 0, the trained model, once."""
    chosen = config["efficiency"]["export"]
    exported = TIMED if chosen is True else chosen or []
    unpruned = PLAN.per_model(f"{UNPRUNED_EXPORTED}.npz") if exported and PRUNED_K != K_VALUES else []
    return (
        unpruned
        + [f"{EXPORTED}.npz".format(**target) for target in PLAN.prune_targets() if target["method"] in exported]
        + [
            f"{EXPORTED}/{{finetune_id}}.npz".format(**target)
            for target in PLAN.finetuned_targets()
            if target["method"] in exported
        ]
    )


def quantized_paths():
    """Every quantization job's record: of the trained models, the pruned and the fine-tuned ones."""
    unpruned, pruned, finetuned = PLAN.quantized_targets()
    return (
        [f"{QUANTIZED_UNPRUNED}.json".format(**target) for target in unpruned]
        + [f"{QUANTIZED}.json".format(**target) for target in pruned]
        + [f"{QUANTIZED_FINETUNED}.json".format(**target) for target in finetuned]
    )


def table_paths():
    return sorted({TABLE.format(dataset=model.dataset, train_id=model.train_id) for model in PLAN.models})


def sweep_plot_paths():
    return [SWEEP_PLOT.format(dataset=d) for d in config["datasets"]]


def sweep_figures():
    """Each dataset's figures the plot_sweep jobs draw, by name: the report shows them as drawn."""
    figures = {"sweep": SWEEP_PLOT, "comparison": COMPARISON_PLOT, "savings": SAVINGS_PLOT}
    return {d: {name: path.format(dataset=d) for name, path in figures.items()} for d in config["datasets"]}


def result_files(family):
    """The files of one result of a family's jobs (metrics, weights, history, and masks)."""
    suffixes = {"metrics": "json", "weights": "npz", "masks": "npz", "history": "csv"}
    return {name: f"{family.result}/{name}.{suffixes[name]}" for name in family.result_files}


def family_inputs(family):
    """Further inputs of a family's jobs (a previous round, say), from its methods' module."""
    return lambda wildcards: family.rule_inputs(dict(wildcards.items()), config) if family.rule_inputs else {}


def family_method(family, value):
    """``value(method)`` for the method a job of the family runs: the one its wildcards name, or
    the family's only one."""
    return lambda wildcards: value(wildcards.get("method", family.methods[0]))


def model_figure(path, caption, category):
    """A figure per trained model, in Snakemake's report under its dataset."""
    labels = {"model": "{train_id}", "seed": "{seed}"}
    return report(path, caption=caption, category=category, subcategory="{dataset}", labels=labels)


def sweep_figure(path, caption, figure):
    """A figure per dataset of this config's sweep, in Snakemake's report."""
    labels = {"dataset": "{dataset}", "figure": figure}
    return report(path, caption=caption, category="Pruning sweeps", labels=labels)
