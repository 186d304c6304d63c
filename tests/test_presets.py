"""Every preset reproducing an earlier experiment is valid and builds its DAG."""

import pytest
import yaml

from conftest import REPO, planned_jobs, snakemake
from prunelab.config import merge_config, validate_config
from test_config import load

PRESETS = sorted((REPO / "presets").glob("*.yaml"))


def test_there_is_one_preset_per_earlier_experiment_and_two_for_fine_tuning():
    assert [p.stem for p in PRESETS] == ["A", "B", "C", "D", "E", "finetune", "iterative"]


@pytest.mark.parametrize("name", ["finetune", "iterative"])
def test_fine_tuning_presets_reuse_the_default_models(name):
    from prunelab.plan import training_specs

    default = validate_config(load("config.yaml"))
    finetune = validate_config(merge_config(load("config.yaml"), load(f"presets/{name}.yaml")))
    assert set(training_specs(finetune)) <= set(training_specs(default))


def test_preset_c_is_the_default_config():
    default = load("config.yaml")
    preset, expected = validate_config(merge_config(default, load("presets/C.yaml"))), validate_config(default)
    assert (preset.pop("name"), expected.pop("name")) == ("preset-C", "")
    assert preset == expected



@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_preset_is_valid_and_plans_the_expected_jobs(preset, tmp_path):
    config = validate_config(merge_config(load("config.yaml"), yaml.safe_load(preset.read_text())))
    result = snakemake(tmp_path, "--dry-run", configfiles=(preset,))
    assert result.returncode == 0, result.stderr[-3000:]
    trainings = len(config["datasets"]) * len(config["models"]) * len(config["regularizers"]) * len(config["seeds"])
    jobs = planned_jobs(result.stdout)
    assert jobs["fetch_data"] == len(config["datasets"])
    assert jobs["train"] == trainings
    assert jobs["prune"] == trainings * len(config["pruning"]["methods"]) * len(config["pruning"]["k"])
    finetunes = (len([e for e in config["finetune"]["epochs"] if e]) * len(config["finetune"]["rounds"])
                 * len(config["finetune"]["k"] or []))
    assert jobs.get("finetune", 0) == trainings * len(config["pruning"]["methods"]) * finetunes
