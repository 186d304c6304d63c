import sys
from pathlib import Path

# The importable package lives beside the rules; Snakemake passes its sys.path on to scripts.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from prunelab.config import validate_config
from prunelab.datasets import DATASETS, SPLIT_FILES
from prunelab.plan import finetune_ids, format_number, latency_id, layer_scope, training_specs, trainings
from prunelab.records import RECORD_FORMAT
from prunelab.runtime import pin_threads


validate_config(config)
# Jobs declare their threads; numpy-only jobs use one, so their BLAS pools must match
# (training jobs pin TensorFlow's threads themselves, from the config).
pin_threads(1)

SPECS = training_specs(config)
TRAININGS = trainings(config)
K_VALUES = [format_number(k) for k in config["pruning"]["k"]]
METHODS = config["pruning"]["methods"]
LAYERS = config["pruning"]["layers"]
SCOPE = layer_scope(LAYERS)

DATA = "results/data/{dataset}"
MODEL = "results/models/{dataset}/{train_id}/seed{seed}"
PRUNED = "results/pruned/{dataset}/{train_id}/seed{seed}/{scope}/{method}/k{k}.json"
LATENCY_ID = latency_id(config)
LATENCY_RECORD = f"results/latency/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{LATENCY_ID}.json"
FINETUNED = "results/finetuned/{dataset}/{train_id}/seed{seed}/{scope}/{method}/k{k}/{finetune_id}"
EXPORTED = "results/exported/{dataset}/{train_id}/seed{seed}/{scope}/{method}/k{k}"
FINETUNES = finetune_ids(config)
FINETUNE_K = [format_number(k) for k in (config["finetune"]["k"] or config["pruning"]["k"])]
# Summaries of this config (its name keeps several side by side); per-job results are shared.
SUMMARY = f"results/{config['name']}".rstrip("/")
METRICS = f"{SUMMARY}/metrics.csv"
LATENCY = f"{SUMMARY}/latency.csv"
TABLE = f"{SUMMARY}/tables/{{dataset}}/{{train_id}}.md"
SWEEP_PLOT = f"{SUMMARY}/plots/{{dataset}}/sweep.png"
SAVINGS_PLOT = f"{SUMMARY}/plots/{{dataset}}/savings.png"
REPORT = f"{SUMMARY}/report/report"
DISTRIBUTIONS = f"{SUMMARY}/distributions/{{dataset}}/{{train_id}}/seed{{seed}}.png"
EXPERIMENT = config["name"] or "default"
LOGS = "results/logs"
# Snakemake's per-job benchmark records (seconds, peak RSS, CPU time), one folder per rule,
# read by benchmarks/run.py.
BENCHMARKS = "results/benchmarks"
REPORT_NOTEBOOK = str(Path(workflow.basedir) / "workflow" / "notebooks" / "report.ipynb")


wildcard_constraints:
    dataset="|".join(DATASETS),
    train_id=r"[^/]+",
    seed=r"\d+",
    method=r"[a-z_]+",
    scope=r"[a-z0-9_]+",
    finetune_id=r"ft\d+(?:r\d+)?-[^/]+",
    k=r"[0-9.]+",


def split_files(split):
    """The IDX files of one split of the dataset named by the wildcard."""
    return [f"{DATA}/{name}" for name in SPLIT_FILES[split]]


def training_spec(wildcards):
    return SPECS[wildcards.train_id]


def per_training(pattern):
    return [pattern.format(**vars(t)) for t in TRAININGS]


def pruned_targets():
    """Wildcards of every one-shot pruned model of the config."""
    return [
        dict(vars(t), scope=SCOPE, method=method, k=k)
        for t in TRAININGS
        for method in METHODS
        for k in K_VALUES
    ]


def finetuned_targets():
    """Wildcards of every fine-tuned model of the config."""
    return [
        dict(target, finetune_id=finetune_id)
        for target in pruned_targets()
        if target["k"] in FINETUNE_K
        for finetune_id in FINETUNES
    ]


def latency_paths():
    return [LATENCY_RECORD.format(**vars(t), scope=SCOPE) for t in TRAININGS]


def pruned_paths():
    return [PRUNED.format(**target) for target in pruned_targets()]


def finetuned_paths():
    return [f"{FINETUNED}/metrics.json".format(**target) for target in finetuned_targets()]


def exported_paths():
    """Every pruned and fine-tuned model of the config, when efficiency.export asks for them."""
    if not config["efficiency"]["export"]:
        return []
    return [f"{EXPORTED}.npz".format(**target) for target in pruned_targets()] + [
        f"{EXPORTED}/{{finetune_id}}.npz".format(**target) for target in finetuned_targets()
    ]


def table_paths():
    return sorted({TABLE.format(dataset=t.dataset, train_id=t.train_id) for t in TRAININGS})


def sweep_plot_paths():
    return [SWEEP_PLOT.format(dataset=d) for d in config["datasets"]]
