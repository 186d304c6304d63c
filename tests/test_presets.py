"""Every preset reproducing an earlier experiment is valid and builds its DAG."""

import pytest
import yaml

from conftest import REPO, planned_jobs, snakemake
from prunelab.plumbing.config import merge_config, validate_config
from test_config import load

pytestmark = pytest.mark.integration

PRESETS = sorted((REPO / "presets").glob("*.yaml"))


PAPERS = {  # the jobs of each paper preset beyond its trainings, prune jobs and summaries
    "cifar10-resnet20": {"prune_at_init": 3 * 2 * 4, "lottery": 3 * 5, "finetune": 3 * 2},  # seeds x ...
    "cifar10-vgg16": {"prune_at_init": 3 * 2 * 4, "finetune": 3 * 2},
    "frankle2019": {"lottery": 9, "lottery_reinit": 9},
    "han2015": {"finetune": 3 * 3 * 4},  # seeds x methods x fine-tuned k
    "han2015-faithful": {"finetune": 3 * 3 * 4},
    # seeds x models, and each of those models (pruned, retrained, unpruned) x 3 quantizations
    "han2016-deep-compression": {"finetune": 3 * 2, "quantize_pruned": 3 * 2 * 3, "quantize_finetuned": 3 * 2 * 3,
                                 "quantize_unpruned": 3 * 2 * 3},
    "snip2019-faithful": {"prune_at_init": 1 * 1 * 2},
    "snip2019": {"prune_at_init": 3 * 2 * 5},  # seeds x methods x k > 0
    "zhu2017": {"gradual": 2 * 6, "finetune": 2 * 2 * 5},  # models x k; models x methods x fine-tuned k
}


def test_the_presets_are_the_earlier_experiments_fine_tuning_the_papers_their_protocols_and_no_retraining():
    assert [p.stem for p in PRESETS] == ["A", "B", "C-regularized", "C-seeds", "C", "D", "E", "cifar10-resnet20", "cifar10-vgg16",
                                         "fashion-resnet20-seeds", "fashion-resnet20", "fashion-vit", "finetune", "frankle2019",
                                         "han2015-faithful",
                                         "han2015", "han2016-deep-compression", "iterative", "posttraining-2of4", "posttraining",
                                         "snip2019-faithful", "snip2019", "zhu2017"]


@pytest.mark.parametrize("name", sorted(PAPERS))
def test_paper_presets_plan_every_method_and_name_the_published_figures(name, tmp_path):
    config = validate_config(merge_config(load("config.yaml"), load(f"presets/{name}.yaml")))
    result = snakemake(tmp_path, "--dry-run", configfiles=(REPO / "presets" / f"{name}.yaml",))
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    assert {rule: jobs.get(rule, 0) for rule in PAPERS[name]} == PAPERS[name]
    assert config["name"] == name and config["report"]["published"]
    if name.endswith("-faithful"):  # the paper's own training: SGD with momentum and weight decay, on a schedule
        assert config["training"]["optimizer"] == "sgd" and config["training"]["schedule"] != "constant"


@pytest.mark.parametrize("name", ["finetune", "iterative"])
def test_fine_tuning_presets_reuse_the_default_models(name):
    from prunelab.plumbing.plan import training_specs

    default = validate_config(load("config.yaml"))
    finetune = validate_config(merge_config(load("config.yaml"), load(f"presets/{name}.yaml")))
    assert set(training_specs(finetune)) <= set(training_specs(default))


def test_preset_c_is_the_default_config():
    from prunelab.plumbing.plan import training_specs

    default = load("config.yaml")
    preset, expected = validate_config(merge_config(default, load("presets/C.yaml"))), validate_config(default)
    assert (preset.pop("name"), expected.pop("name")) == ("preset-C", "")
    assert training_specs(preset) == training_specs(expected)  # the same models, under the same ids
    preset.pop("architectures"), expected.pop("architectures")  # C defines only the one it trains
    assert preset == expected


def test_the_resnet_preset_plans_every_method_family_on_one_trained_resnet(tmp_path):
    """fashion-resnet20: one training; 5 one-shot methods at 2 k above 0, and k = 0 (the trained
    model: every method's, the 2 at initialization's too) evaluated once; SNIP and SynFlow
    trained at 2 k; unit alone fine-tuned, at 2 k."""
    result = snakemake(tmp_path, "--dry-run", configfiles=(REPO / "presets" / "fashion-resnet20.yaml",))
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    rules = ("train", "prune", "evaluate_unpruned", "prune_at_init", "finetune", "latency")
    assert {rule: jobs.get(rule, 0) for rule in rules} == {
        "train": 1, "prune": 5 * 2, "evaluate_unpruned": 1, "prune_at_init": 2 * 2, "finetune": 2, "latency": 1}


def test_the_vit_preset_plans_its_post_training_methods_over_three_seeds(tmp_path):
    """fashion-vit: three trainings; per seed 6 methods at 5 k above 0 and the 3 at 2:4 at theirs
    (k = 0.5), the trained model evaluated once; unit fine-tuned at k = 0.5."""
    result = snakemake(tmp_path, "--dry-run", configfiles=(REPO / "presets" / "fashion-vit.yaml",))
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    rules = ("train", "prune", "evaluate_unpruned", "finetune", "latency")
    assert {rule: jobs.get(rule, 0) for rule in rules} == {
        "train": 3, "prune": 3 * (6 * 5 + 3), "evaluate_unpruned": 3, "finetune": 3, "latency": 3}


def test_the_resnet_seeds_preset_and_its_recalibrated_overlay_share_the_trained_models(tmp_path):
    """fashion-resnet20-seeds: three trainings; 5 one-shot methods at 4 k above 0, unit fine-tuned at
    each; with the recalibration overlay the same trainings and as many prune jobs, recalibrated."""
    preset = REPO / "presets" / "fashion-resnet20-seeds.yaml"
    rules = ("train", "prune", "evaluate_unpruned", "finetune")
    for configfiles, expected in (((preset,), {"train": 3, "prune": 3 * 5 * 4, "evaluate_unpruned": 3,
                                               "finetune": 3 * 4}),
                                  ((preset, REPO / "presets" / "overlays" / "recalibrate.yaml"),
                                   {"train": 3, "prune": 3 * 5 * 4, "evaluate_unpruned": 3, "finetune": 0})):
        result = snakemake(tmp_path, "--dry-run", configfiles=configfiles)
        assert result.returncode == 0, result.stderr[-3000:]
        jobs = planned_jobs(result.stdout)
        assert {rule: jobs.get(rule, 0) for rule in rules} == expected
    assert "/all_but_output_recalibrated/unit/k0.9.json" in result.stdout


GENERIC = [p for p in PRESETS if p.stem not in PAPERS
           and p.stem not in ("fashion-resnet20", "fashion-resnet20-seeds", "fashion-vit")]


@pytest.mark.parametrize("preset", GENERIC, ids=lambda p: p.stem)
def test_preset_is_valid_and_plans_the_expected_jobs(preset, tmp_path):
    config = validate_config(merge_config(load("config.yaml"), yaml.safe_load(preset.read_text())))
    result = snakemake(tmp_path, "--dry-run", configfiles=(preset,))
    assert result.returncode == 0, result.stderr[-3000:]
    trainings = len(config["datasets"]) * len(config["models"]) * len(config["regularizers"]) * len(config["seeds"])
    jobs = planned_jobs(result.stdout)
    assert jobs["fetch_data"] == len(config["datasets"])
    assert jobs["train"] == trainings
    pruned_k = [k for k in config["pruning"]["k"] if k > 0]  # k = 0: each trained model evaluated once
    assert jobs["prune"] == trainings * len(config["pruning"]["methods"]) * len(pruned_k)
    assert jobs.get("evaluate_unpruned", 0) == (trainings if 0 in config["pruning"]["k"] else 0)
    finetunes = (len([e for e in config["finetune"]["epochs"] if e]) * len(config["finetune"]["rounds"])
                 * len(config["finetune"]["k"] or []))
    assert jobs.get("finetune", 0) == trainings * len(config["pruning"]["methods"]) * finetunes
