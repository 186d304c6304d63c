import sys
from pathlib import Path

# The importable package lives beside the rules; Snakemake passes its sys.path on to scripts.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from prunelab.config import validate_config
from prunelab.datasets import DATASETS, SPLIT_FILES
from prunelab.plan import (
    at_init_id,
    finetune_ids,
    format_number,
    gradual_id,
    gradual_settings,
    latency_id,
    layer_scope,
    lottery_id,
    method_settings,
    timed_methods,
    training_specs,
    trainings,
)
from prunelab.pruning import METHODS as REGISTRY, lottery_k
from prunelab.codeversion import code_version
from prunelab.report import NOTEBOOK
from prunelab.runtime import pin_threads

validate_config(config)
# Jobs declare their threads; numpy-only jobs use one, so their BLAS pools must match
# (training jobs pin TensorFlow's threads themselves, from the config).
pin_threads(1)

SPECS = training_specs(config)
TRAININGS = trainings(config)
K_VALUES = [format_number(k) for k in config["pruning"]["k"]]
METHODS = config["pruning"]["methods"]
# Methods by how they run (prunelab.pruning.Method.kind); k = 0 of every method but gradual is
# the trained model itself, evaluated by the prune rule.
ONE_SHOT = [m for m in METHODS if REGISTRY[m].kind == "one_shot"]
DATA_FREE = timed_methods(config)
AT_INIT = [m for m in METHODS if REGISTRY[m].kind == "at_init"]
N_OF_M_K = format_number(1 - config["pruning"]["n_of_m"][0] / config["pruning"]["n_of_m"][1])
LOTTERY_SETTINGS = config["pruning"]["lottery"]
LAYERS = config["pruning"]["layers"]
SCOPE = layer_scope(LAYERS)

DATA = "results/data/{dataset}"
PROVENANCE = f"{DATA}/provenance.json"
MODEL = "results/models/{dataset}/{train_id}/seed{seed}"
PRUNED = "results/pruned/{dataset}/{train_id}/seed{seed}/{scope}/{method}/k{k}.json"
LATENCY_ID = latency_id(config)
LATENCY_RECORD = f"results/latency/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{LATENCY_ID}.json"
FINETUNED = "results/finetuned/{dataset}/{train_id}/seed{seed}/{scope}/{method}/k{k}/{finetune_id}"
GRADUAL = f"results/gradual/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/k{{k}}/{gradual_id(config)}"
AT_INIT_RESULT = "results/at_init/{dataset}/{train_id}/seed{seed}/{scope}/{method}/k{k}/{at_init_id}"
LOTTERY = f"results/lottery/{{dataset}}/{{train_id}}/seed{{seed}}/{{scope}}/{lottery_id(config)}/round{{round}}"
SCRATCH = "results/scratch/{dataset}/{train_id}/seed{seed}/{scope}/k{k}"
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
COMPARISON_PLOT = f"{SUMMARY}/plots/{{dataset}}/comparison.png"
REPORT = f"{SUMMARY}/report/report"
DISTRIBUTIONS = f"{SUMMARY}/distributions/{{dataset}}/{{train_id}}/seed{{seed}}.png"
EXPERIMENT = config["name"] or "default"
# Every core Snakemake may use on this machine: what a latency job claims so that nothing runs
# beside it. On a cluster (or inside a cluster job) each job has its own allocation: 1.
LOCAL = workflow.local_exec and not workflow.remote_exec
ALL_CORES = (workflow.resource_settings.cores or 1) if LOCAL else 1
LOGS = "results/logs"
# Snakemake's per-job benchmark records (seconds, peak RSS, CPU time), one folder per rule,
# read by benchmarks/run.py.
BENCHMARKS = "results/benchmarks"
# What each rule's script runs, as a digest (prunelab.codeversion): a param of every rule, so
# an edit to the code behind a result reruns exactly the jobs it can change.
CODE = {
    script.stem: code_version(script, NOTEBOOK if script.stem == "report" else None)
    for script in (Path(workflow.basedir) / "workflow" / "scripts").glob("*.py")
}


wildcard_constraints:
    dataset="|".join(DATASETS),
    train_id=r"[^/]+",
    seed=r"\d+",
    method=r"[a-z][a-z0-9_]*",
    scope=r"[a-z0-9_]+",
    finetune_id=r"ft\d+(?:r\d+)?-[^/]+",
    at_init_id=r"[a-z]\d+",
    k=r"[0-9.]+",
    round=r"[1-9]\d*",


def split_files(split):
    """The IDX files of one split of the dataset named by the wildcard. A dataset is its
    checksums (fixed in prunelab.datasets, part of the code versions), so its files are
    ancient: touching or re-fetching them reruns nothing."""
    return [ancient(f"{DATA}/{name}") for name in SPLIT_FILES[split]]


def training_spec(wildcards):
    return SPECS[wildcards.train_id]


def per_training(pattern):
    return [pattern.format(**vars(t)) for t in TRAININGS]


def method_k_values(method):
    """The k at which ``method`` gives results: every configured k for one-shot methods, the
    fixed 1 - n/m for N:M (with k = 0, the trained model, when configured)."""
    if method == "n_of_m":
        return [k for k in K_VALUES if float(k) == 0] + [N_OF_M_K]
    return K_VALUES


def pruned_targets():
    """Wildcards of every prune job: one-shot methods at their k, and k = 0 (the trained
    model itself) of the methods that train, except gradual, whose k = 0 still trains."""
    return [
        dict(vars(t), scope=SCOPE, method=method, k=k)
        for t in TRAININGS
        for method in METHODS
        for k in method_k_values(method)
        if method in ONE_SHOT or (float(k) == 0 and method != "gradual")
    ]


def finetuned_targets():
    """Wildcards of every fine-tuned model of the config (one-shot methods only)."""
    return [
        dict(target, finetune_id=finetune_id)
        for target in pruned_targets()
        if target["method"] in ONE_SHOT and target["k"] in FINETUNE_K
        for finetune_id in FINETUNES
    ]


def trained_paths(pattern, **extra):
    """``pattern`` for every trained model, pruned layer scope and combination of ``extra``."""
    combinations = [{}]
    for name, values in extra.items():
        combinations = [dict(c, **{name: v}) for c in combinations for v in values]
    return [pattern.format(**vars(t), scope=SCOPE, **c) for t in TRAININGS for c in combinations]


def pruning_k():
    """The configured k above 0 (k = 0 of a method that trains is the trained model)."""
    return [k for k in K_VALUES if float(k) > 0]


def trained_method_paths():
    """The metrics of every pruned model that a method produced by training."""
    paths = []
    if "gradual" in METHODS:
        paths += trained_paths(f"{GRADUAL}/metrics.json", k=K_VALUES)
    for method in AT_INIT:
        paths += trained_paths(
            f"{AT_INIT_RESULT}/metrics.json", method=[method], k=pruning_k(), at_init_id=[at_init_id(config, method)]
        )
    rounds = range(1, LOTTERY_SETTINGS["rounds"] + 1)
    if "lottery" in METHODS:
        paths += trained_paths(f"{LOTTERY}/metrics.json", round=rounds)
    if "lottery_reinit" in METHODS:
        paths += trained_paths(f"{LOTTERY}/reinit/metrics.json", round=rounds)
    if "scratch" in METHODS:
        paths += trained_paths(f"{SCRATCH}/metrics.json", k=pruning_k())
    return paths


def latency_paths():
    if not DATA_FREE:
        return []
    return [LATENCY_RECORD.format(**vars(t), scope=SCOPE) for t in TRAININGS]


def pruned_paths():
    return [PRUNED.format(**target) for target in pruned_targets()]


def finetuned_paths():
    return [f"{FINETUNED}/metrics.json".format(**target) for target in finetuned_targets()]


def exported_paths():
    """Every pruned and fine-tuned model of the config, when efficiency.export asks for them
    (one-shot methods that prune from the weights alone)."""
    if not config["efficiency"]["export"]:
        return []
    exportable = [t for t in pruned_targets() if t["method"] in DATA_FREE]
    return [f"{EXPORTED}.npz".format(**target) for target in exportable] + [
        f"{EXPORTED}/{{finetune_id}}.npz".format(**target)
        for target in finetuned_targets()
        if target["method"] in DATA_FREE
    ]


def table_paths():
    return sorted({TABLE.format(dataset=t.dataset, train_id=t.train_id) for t in TRAININGS})


def sweep_plot_paths():
    return [SWEEP_PLOT.format(dataset=d) for d in config["datasets"]]


def prune_training_files(wildcards):
    """The training split, for one-shot methods whose scores need loss gradients."""
    needs = REGISTRY[wildcards.method].needs
    return split_files("train") if "gradients" in needs and float(wildcards.k) > 0 else []


def settings_of(wildcards):
    """The method's own settings; none at k = 0, which is the trained model whatever the method."""
    return method_settings(config, wildcards.method) if float(wildcards.k) > 0 else {}


def previous_round(wildcards):
    """Round r of the lottery reads round r - 1 (round 1: the trained model)."""
    if wildcards.round == "1":
        return {}
    previous = LOTTERY.format(**dict(wildcards.items(), round=int(wildcards.round) - 1))
    return {"previous_weights": f"{previous}/weights.npz", "previous_masks": f"{previous}/masks.npz"}
