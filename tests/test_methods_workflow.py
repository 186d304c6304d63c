"""End to end: every pruning method side by side on real data (tests/smoke-methods.yaml)."""

import json
import shutil

import pandas as pd
import pytest

from conftest import METHODS_SMOKE, REPO, extra_config, planned_jobs, planned_outputs, snakemake

ONE_SHOT = ["weight", "unit", "global_weight", "random", "magnitude_gradient", "global_magnitude_gradient",
            "wanda", "sparsegpt", "unit_refit", "smallest_rows"]
PATTERNS = ["n_of_m", "wanda_n_of_m", "sparsegpt_n_of_m"]  # 2:4 is k = 0.5, exactly
REMOVE_UNITS = ["unit", "unit_refit", "scratch"]
TRAINED = ["snip", "synflow", "gradual", "lottery", "lottery_reinit", "scratch"]


@pytest.fixture(scope="module")
def metrics(methods_smoke):
    return pd.read_csv(methods_smoke / "results" / "methods" / "metrics.csv")


def test_every_method_gives_rows_with_the_same_columns(metrics):
    assert set(metrics["method"]) == set(ONE_SHOT + TRAINED + PATTERNS)
    assert metrics.notna().all().all()
    one_shot = metrics[metrics["finetune_epochs"] == 0]
    for method in ONE_SHOT + ["snip", "synflow", "scratch"]:
        assert sorted(one_shot.loc[one_shot["method"] == method, "k"]) == [0, 0.5, 0.9], method
    for method in PATTERNS:
        assert sorted(one_shot.loc[one_shot["method"] == method, "k"]) == [0, 0.5], method
    assert sorted(metrics.loc[metrics["method"] == "lottery", "k"]) == [0, 0.5, 0.75]  # rounds of rate 0.5
    gradual = metrics[metrics["method"] == "gradual"]
    assert sorted(gradual["k"]) == [0, 0.5, 0.9] and (gradual["finetune_epochs"] == 2).all()
    # k = 0 of every method but gradual (which trains two more epochs) is the trained model itself
    unpruned = metrics[(metrics["k"] == 0) & (metrics["method"] != "gradual") & (metrics["finetune_epochs"] == 0)]
    assert unpruned["correct"].nunique() == 1 and len(unpruned) == len(ONE_SHOT + TRAINED + PATTERNS) - 1


def test_sparsity_is_exactly_k_and_the_output_layer_is_pruned_only_by_lottery(metrics):
    hidden = 784 * 128 + 128 * 64
    pruned = metrics[(metrics["k"] > 0) & ~metrics["method"].isin(["lottery", "lottery_reinit", *REMOVE_UNITS])]
    assert (pruned["prunable_params"] == hidden).all()
    # SparseGPT zeroes the weights of inputs no calibration image lights (digits' border pixels),
    # beyond a block's share too: its measured sparsity may exceed k, never fall short
    exact = pruned[~pruned["method"].str.startswith("sparsegpt")]
    assert ((exact["sparsity"] - exact["k"]).abs() < 1e-3).all()
    sparsegpt = pruned[pruned["method"].str.startswith("sparsegpt")]
    assert (sparsegpt["sparsity"] - sparsegpt["k"]).between(-1e-3, 0.08).all()
    lottery = metrics[metrics["method"].isin(["lottery", "lottery_reinit"]) & (metrics["k"] > 0)]
    assert (lottery["prunable_params"] == hidden + 64 * 10).all()  # output layer at its own rate
    # the paired control prunes exactly the lottery's masks
    pairs = lottery.pivot_table(index="k", columns="method", values="nonzero_params")
    assert (pairs["lottery"] == pairs["lottery_reinit"]).all()


def test_records_say_which_layers_were_pruned_and_how_much_of_each_is_left(methods_smoke):
    records = methods_smoke / "results" / "lottery"
    round_two = json.loads(next(records.glob("digits/*/seed0/all_but_output/*/round2/metrics.json")).read_text())
    assert round_two["pruned_layers"] == [0, 1, 2] and round_two["round"] == 2
    assert round_two["layer_density"] == pytest.approx([0.25, 0.25, 0.5625], abs=1e-3)  # 0.5², and 0.75² output
    n_of_m = json.loads(next(methods_smoke.glob("results/pruned/digits/*/seed0/*/n_of_m/k0.5.json")).read_text())
    assert n_of_m["layer_density"] == [0.5, 0.5, 1.0]


def test_methods_that_train_held_their_masks_and_reached_k(methods_smoke):
    import numpy as np

    from prunelab.models.network import Network

    paths = list(methods_smoke.glob("results/*/digits/*/seed0/all_but_output/**/k0.9/**/weights.npz"))
    assert {json.loads((p.parent / "metrics.json").read_text())["method"] for p in paths} >= {
        "snip", "synflow", "gradual", "scratch", "weight"}
    for path in paths:
        if json.loads((path.parent / "metrics.json").read_text())["method"] in REMOVE_UNITS:
            continue  # whole units: a tenth of the units, rounded
        network = Network.load(path, {"type": "dense"})
        hidden = network.kernels[:2]  # per layer or over both (global methods): a tenth is left
        assert sum(np.count_nonzero(k) for k in hidden) <= 0.1 * sum(k.size for k in hidden) + 1, path


def test_the_report_compares_every_method_on_one_axes(methods_smoke):
    results = methods_smoke / "results" / "methods"
    assert (results / "plots" / "digits" / "comparison.png").stat().st_size > 20_000
    html = (results / "report" / "report.html").read_text()
    assert "Methods compared" in html and "lottery_reinit" in html
    assert "the floor every method must beat" in html


def test_editing_a_custom_method_reruns_exactly_its_results(methods_smoke, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(methods_smoke / "results", work / "results", symlinks=True)
    shutil.copytree(methods_smoke / ".snakemake", work / ".snakemake", symlinks=True)
    (work / "tests").mkdir()
    source = (REPO / "tests" / "custom_method.py").read_text()
    (work / "tests" / "custom_method.py").write_text(source)  # the working directory's copy comes first
    same = snakemake(work, "--dry-run", configfiles=(METHODS_SMOKE,))
    assert same.returncode == 0 and planned_jobs(same.stdout) == {}, same.stdout[-3000:]
    (work / "tests" / "custom_method.py").write_text(source.replace("np.abs(w.reshape", "np.square(w.reshape"))
    edited = snakemake(work, "--dry-run", configfiles=(METHODS_SMOKE,))
    jobs = planned_jobs(edited.stdout)
    assert jobs.pop("prune") == 2 and jobs.pop("finetune") == 1, edited.stdout[-3000:]  # k = 0.5, 0.9; +ft2 at 0.9
    # and the one trained model's histograms, which redo every one-shot method (the run times nothing)
    assert jobs.pop("plot_distributions") == 1
    assert set(jobs) <= {"aggregate", "plot_sweep", "report", "all"}
    assert all("/smallest_rows/" in path for path in planned_outputs(edited.stdout, "prune"))


@pytest.mark.integration
@pytest.mark.parametrize("settings, message", [
    ("pruning: {n_of_m: [2, 3]}", "pruning.n_of_m: m = 3 does not divide the fan-in 784 of layer 0"),
    ("pruning: {n_of_m: [4, 4]}", "pruning.n_of_m: [4, 4] keeps n of every m weights, so n must be smaller than m"),
    ("pruning: {lottery: {rewind: 100}}", "pruning.lottery.rewind: step 100 is beyond the training's 64 steps"),
    ("pruning: {gradual: {end_step: 64}}", "pruning.gradual.end_step: the schedule from begin_step 0 to end_step 64 "
                                           "must end within its 64 training steps"),
    ("pruning: {k: [0, 1]}", "pruning.k[1]: 1 is greater than or equal to the maximum of 1"),
    ("pruning: {lottery: {rate: 1}}", "pruning.lottery.rate: 1 is greater than or equal to the maximum of 1"),
    ("pruning: {methods: [weight, mine]}", "pruning.methods[1]: 'mine' is not allowed; allowed values: weight, unit"),
    ("pruning: {custom_methods: {mine: 'nowhere.py:f'}}", "pruning.custom_methods.mine: FileNotFoundError: no file"),
])
def test_bad_method_settings_fail_before_any_job_naming_the_key(tmp_path, settings, message):
    result = snakemake(tmp_path, "--dry-run", configfiles=(METHODS_SMOKE, extra_config(tmp_path, settings + "\n")))
    output = result.stdout + result.stderr
    assert result.returncode != 0 and message in output, output[-3000:]
    assert "Building DAG" not in output


def test_a_researchers_method_asks_for_gradients_and_runs_at_initialization_like_a_built_in(methods_smoke, tmp_path):
    """Written by hand in tests/custom_method.py, per-layer saliency and SNIP's global saliency
    give exactly magnitude_gradient's and snip's results: a custom method gets the same powers."""
    work = tmp_path / "work"
    shutil.copytree(methods_smoke / "results", work / "results", symlinks=True)  # the trained model is reused
    extra = extra_config(tmp_path, """name: custom
pruning:
  methods: [magnitude_gradient, per_layer_saliency, snip, global_saliency]
  custom_methods:
    per_layer_saliency: tests/custom_method.py:per_layer_saliency
    global_saliency: {function: "tests/custom_method.py:global_saliency", runs: at_init}
  snip: {samples: 128}  # the training images a custom method's gradients are taken on
finetune: {epochs: [0], methods: null}  # a researcher's method is fine-tuned in the methods run (smallest_rows)
""")
    result = snakemake(work, "--cores", "2", configfiles=(METHODS_SMOKE, extra))
    assert result.returncode == 0, result.stderr[-5000:]
    metrics = pd.read_csv(work / "results" / "custom" / "metrics.csv")
    values = ["k", "finetune_epochs", "accuracy", "loss", "correct", "sparsity", "nonzero_params", "flops"]
    for built_in, custom in (("magnitude_gradient", "per_layer_saliency"), ("snip", "global_saliency")):
        ours, theirs = (metrics[metrics["method"] == m][values].reset_index(drop=True) for m in (built_in, custom))
        assert sorted(set(ours["k"])) == [0, 0.5, 0.9]  # one-shot, or trained from init
        pd.testing.assert_frame_equal(ours, theirs)
    trained = sorted(work.glob("results/at_init/digits/*/seed0/all_but_output/global_saliency/k*/n128/metrics.json"))
    assert len(trained) == 2


def test_every_way_of_training_runs_on_keras_jax_backend_with_its_own_ids(jax_smoke, methods_smoke):
    metrics = pd.read_csv(jax_smoke / "results" / "jax" / "metrics.csv")
    assert set(metrics["method"]) == {"weight", "snip", "gradual", "lottery", "lottery_reinit", "scratch"}
    assert metrics.notna().all().all() and (metrics.loc[metrics["k"] == 0, "accuracy"] > 0.6).all()
    assert (metrics["finetune_epochs"] == 2).any()  # fine-tuning trained on JAX too
    (model,) = (jax_smoke / "results" / "models" / "digits").iterdir()
    record = json.loads((model / "seed0" / "train.json").read_text())
    assert record["spec"]["backend"] == "jax" and record["environment"]["KERAS_BACKEND"] == "jax"
    assert "intra_op_parallelism_threads=1" in record["environment"]["XLA_FLAGS"]
    (tensorflow_model,) = (methods_smoke / "results" / "models" / "digits").iterdir()
    assert model.name != tensorflow_model.name and model.name.rsplit("-", 1)[0] == tensorflow_model.name.rsplit("-", 1)[0]
