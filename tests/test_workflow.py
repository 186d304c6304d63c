"""End to end: the real workflow on tests/smoke.yaml (real data, real training, real report)."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, SMOKE, extra_config, planned_jobs, planned_outputs, snakemake

def test_metrics_table_is_complete_and_plausible(smoke):
    metrics = pd.read_csv(smoke / "results" / "metrics.csv")
    for column in ["dataset", "model", "regularizer", "seed", "method", "k", "accuracy", "loss", "sparsity",
                   "nonzero_params", "compression_ratio", "flops", "theoretical_speedup", "size_bytes",
                   "finetune_epochs", "finetune_rounds"]:
        assert column in metrics.columns
    assert metrics.notna().all().all()
    finetuned = metrics[(metrics["finetune_epochs"] == 2) & (metrics["finetune_rounds"] == 1)]
    iterative = metrics[(metrics["finetune_epochs"] == 2) & (metrics["finetune_rounds"] == 2)]
    metrics = metrics[metrics["finetune_epochs"] == 0]
    latency = pd.read_csv(smoke / "results" / "latency.csv")
    # every one-shot pruned model, in numpy (3 forms) and ONNX Runtime (2), at batch 1 and 256
    assert len(latency) == len(metrics) * 5 * 2 and latency.notna().all().all()
    assert set(map(tuple, latency[["runtime", "form"]].drop_duplicates().values)) == {
        ("numpy", "masked"), ("numpy", "sparse"), ("numpy", "compact"), ("onnxruntime", "masked"),
        ("onnxruntime", "compact")}
    assert (latency["q1_ms"] <= latency["median_ms"]).all() and (latency["median_ms"] <= latency["q3_ms"]).all()
    assert (latency["q1_ms"] > 0).all() and set(latency["batch_size"]) == {1, 256}
    assert len(metrics) == 2 * 2 * 2 * 3  # datasets x regularizers x methods x k
    assert len(finetuned) == len(iterative) == 2 * 2 * 2 and set(finetuned["k"]) == set(iterative["k"]) == {0.9}
    assert set(metrics["regularizer"]) == {"none", "l2"} and set(metrics["method"]) == {"weight", "unit"}
    assert (metrics["correct"] / metrics["total"] == metrics["accuracy"]).all()
    unpruned = metrics[metrics["k"] == 0]
    assert (unpruned["sparsity"] == 0).all()
    # k = 0 is the trained model itself, whatever the method
    assert unpruned.groupby(["dataset", "regularizer"])["accuracy"].nunique().eq(1).all()
    assert unpruned[unpruned["dataset"] == "digits"]["accuracy"].min() > 0.75
    assert unpruned[unpruned["dataset"] == "fashion"]["accuracy"].min() > 0.6
    # exact per-layer counts: hidden kernels 784x128 and 128x64, so sparsity is k to rounding
    assert (metrics["sparsity"] - metrics["k"]).abs().max() < 0.01
    assert (metrics["prunable_params"] == 784 * 128 + 128 * 64).all()
    at_90 = metrics[metrics["k"] == 0.9].pivot_table(index=["dataset", "regularizer"], columns="method",
                                                     values="accuracy")
    assert (at_90["weight"] > at_90["unit"]).all()  # removing whole units hurts more
    # fine-tuning with the mask fixed recovers accuracy at the same sparsity, whether the two
    # epochs follow one pruning step or two prune-retrain rounds (k = 0.45, then 0.9)
    one_shot = metrics[metrics["k"] == 0.9].set_index(["dataset", "regularizer", "method"]).sort_index()
    for retrained in (finetuned, iterative):
        recovered = retrained.set_index(["dataset", "regularizer", "method"]).sort_index()
        assert (recovered["sparsity"] == one_shot["sparsity"]).all()
        assert (recovered["accuracy"] > one_shot["accuracy"]).all()
    # savings: unit pruning compacts, weight pruning stores sparse; both shrink the file
    assert (one_shot["size_bytes"] < one_shot["dense_size_bytes"] / 3).all()
    assert one_shot["theoretical_speedup"].between(9, 11).all()
    assert (one_shot["compression_ratio"] - 10).abs().max() < 0.1

def test_every_stage_left_its_outputs_and_provenance(smoke):
    results = smoke / "results"
    for dataset in ("digits", "fashion"):
        provenance = json.loads((results / "data" / dataset / "provenance.json").read_text())
        assert provenance["source"].split()[0] in {"url", "directory", "debian", "pypi"}
        assert len(provenance["files"]) == 4
    train_records = sorted(results.glob("models/*/*/seed0/train.json"))
    assert len(train_records) == 4
    record = json.loads(train_records[0].read_text())
    assert record["spec"]["epochs"] == 2 and record["environment"]["threads"]["TF_NUM_INTRAOP_THREADS"] == "1"
    assert record["environment"]["TF_ENABLE_ONEDNN_OPTS"] == "0"
    for directory in (r.parent for r in train_records):
        assert {"weights.npz", "history.csv", "curves.png"} <= {p.name for p in directory.iterdir()}
    assert len(list(results.glob("distributions/*/*/seed0.png"))) == 4
    log = next(results.glob("logs/train/digits/*/seed0.log")).read_text()
    assert re.search(r"epoch 2/2 loss [\d.]+ accuracy [\d.]+ val_loss [\d.]+ val_accuracy [\d.]+ [\d.]+s", log)
    tables = sorted(results.glob("tables/*/*.md"))
    assert len(tables) == 4
    assert ("| k | weight accuracy | weight +ft2 accuracy | weight +ft2 (2 rounds) accuracy | unit accuracy |"
            in tables[0].read_text())
    assert len(list(results.glob("plots/*/sweep.png"))) == 2


def test_the_schema_states_each_datasets_own_pixel_statistics(smoke):
    """The mean and std the schema offers for `standardize` are those of the fetched training images."""
    import yaml

    from prunelab.data.loading import load_split

    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    stated = " ".join(schema["$defs"]["standardize"]["description"].split())
    for dataset in ("digits", "fashion"):
        images, _ = load_split(smoke / "results" / "data" / dataset, dataset, "train")
        pixels = images / 255.0
        assert f"{dataset} mean {pixels.mean():.4f}, std {pixels.std():.4f}" in stated


def test_report_is_executed_and_self_contained(smoke):
    html = (smoke / "results" / "report" / "report.html").read_text()
    assert "Findings" in html and "unpruned test accuracy" in html
    assert html.count("data:image/png;base64") >= 2 + 2 + 4 + 4  # sweeps, savings, curves, distributions
    assert "What the harmless pruning saves" in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html)
    notebook = json.loads((smoke / "results" / "report" / "report.ipynb").read_text())
    outputs = [o for cell in notebook["cells"] for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error" or o.get("name") == "stderr"]


def test_second_run_has_nothing_to_do(smoke):
    result = snakemake(smoke, "--dry-run")
    assert result.returncode == 0 and planned_jobs(result.stdout) == {}, result.stdout[-3000:]


def test_adding_one_k_schedules_only_the_new_prune_jobs_and_what_summarizes_them(smoke, tmp_path):
    extra = extra_config(tmp_path, "pruning: {k: [0, 0.5, 0.7, 0.9]}\n")
    result = snakemake(smoke, "--dry-run", configfiles=(SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_jobs(result.stdout) == {
        "prune": 2 * 2 * 2,  # the new k for each dataset x regularizer x method
        "aggregate": 1, "plot_sweep": 2, "report": 1, "all": 1,
        "plot_distributions": 4, "latency": 4,  # these measure or show every k of each trained model
    }
    new = [output.split(", ") for output in planned_outputs(result.stdout, "prune")]  # record, pruned model
    assert len(new) == 8 and all(record.endswith("/k0.7.json") and pruned == record.replace(".json", ".npz")
                                 for record, pruned in new)
    # the new k grid is timed into new latency records, beside (not over) the old ones
    timed = planned_outputs(result.stdout, "latency")
    assert len(timed) == 4 and not any((smoke / path).exists() for path in timed)


@pytest.mark.parametrize("export, methods", [("true", {"weight", "unit"}), ("[unit]", {"unit"})])
def test_efficiency_export_plans_the_pruned_and_fine_tuned_models_of_its_methods(tmp_path, export, methods):
    extra = extra_config(tmp_path, f"efficiency: {{export: {export}}}\n")
    result = snakemake(tmp_path / "work", "--dry-run", configfiles=(SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    # 4 trained models; per method, 2 k above 0 pruned and k = 0.9 fine-tuned at 2 rounds; k = 0, the
    # trained model, once for every method
    assert (jobs["export_pruned"], jobs["export_finetuned"]) == (4 * len(methods) * 2, 4 * len(methods) * 2)
    exported = planned_outputs(result.stdout, "export_pruned") + planned_outputs(result.stdout, "export_finetuned")
    assert {output.split("/all_but_output/")[1].split("/")[0] for output in exported} == methods
    unpruned = planned_outputs(result.stdout, "export_unpruned")
    assert jobs["export_unpruned"] == len(unpruned) == 4 and all("/all_but_output/k0.npz" in o for o in unpruned)


def test_changing_one_lambda_retrains_only_those_models(smoke, tmp_path):
    extra = extra_config(tmp_path, "regularization_strength: {l2: 0.02}\n")
    result = snakemake(smoke, "--dry-run", configfiles=(SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = planned_jobs(result.stdout)
    assert jobs["train"] == 2 and "fetch_data" not in jobs
    # per retrained model: both methods at k = 0.5 and 0.9, the unpruned model once, fine-tuning at 0.9
    assert jobs["prune"] == 2 * 2 * 2 and jobs["evaluate_unpruned"] == 2 and jobs["finetune"] == 2 * 2 * 2
    retrained = planned_outputs(result.stdout, "train")
    assert len(retrained) == 2 and all("/dense-l2_0.02-e2-" in line for line in retrained)


def test_invalid_config_fails_before_any_job_naming_the_key(smoke, tmp_path):
    extra = extra_config(tmp_path, "pruning: {methods: [weight, magic]}\ntraining: {epochs: 0}\n")
    result = snakemake(smoke, "--cores", "1", configfiles=(SMOKE, extra))
    assert result.returncode != 0
    assert "pruning.methods[1]: 'magic' is not allowed; allowed values: weight, unit" in result.stderr
    assert "training.epochs: 0 is less than the minimum of 1" in result.stderr
    assert "Building DAG" not in result.stderr


def test_snakemake_report_has_every_category(smoke):
    result = snakemake(smoke, "--report", "results/report/snakemake-report.html")
    assert result.returncode == 0, result.stderr[-3000:]
    html = (smoke / "results" / "report" / "snakemake-report.html").read_text()
    for category in ("Training", "Metrics", "Pruning sweeps", "Weight distributions"):
        assert category in html
    assert "savings.png" in html


def test_cnn_run_covers_every_method_and_shows_the_spread_over_seeds(cnn_smoke):
    results = cnn_smoke / "results"
    metrics = pd.read_csv(results / "metrics.csv")
    methods = {"weight", "unit", "global_weight", "random", "wanda", "sparsegpt", "unit_refit"}
    assert set(metrics["method"]) == methods and len(metrics) == 2 * len(methods) * 2  # seeds x methods x k
    assert set(metrics["layers"]) == {"all_but_output"}
    unpruned = metrics[metrics["k"] == 0]
    assert unpruned.groupby("seed")["accuracy"].nunique().eq(1).all()
    assert unpruned["accuracy"].min() > 0.5 and unpruned["accuracy"].nunique() == 2  # two different seeds
    half = metrics[metrics["k"] == 0.5].set_index(["seed", "method"])
    # exact counts; unit pruning of a biased model also zeroes the removed units' biases; SparseGPT
    # also zeroes the weights of inputs that are zero on every calibration image, and unit_refit
    # the next layer's weights from the removed units, which its refit no longer reads
    exact = half.drop(index=["sparsegpt", "unit_refit"], level="method")
    assert (exact["sparsity"] - 0.5).abs().max() < 0.01
    assert half.xs("sparsegpt", level="method")["sparsity"].between(0.5, 0.55).all()
    assert (half.xs("unit_refit", level="method")["sparsity"] > 0.5).all()
    conv_and_dense = 3 * 3 * 1 * 8 + 3 * 3 * 8 * 16 + 3 * 3 * 16 * 16 + (3 * 3 * 16) * 32 + 32 * 16
    assert (half["prunable_params"] == conv_and_dense).all()
    assert (half.loc[(0, "unit"), "nonzero_params"] < half.loc[(0, "weight"), "nonzero_params"])
    table = next(results.glob("tables/fashion/cnn-none-e2-*.md")).read_text()
    assert "2 seeds, mean ± std" in table and " ± " in table.splitlines()[-1]
    assert "| k | weight accuracy | unit accuracy | global_weight accuracy | random accuracy |" in table
    assert (results / "report" / "report.html").stat().st_size > 50_000


def test_a_named_experiment_reuses_the_models_and_keeps_its_own_summaries(smoke, tmp_path):
    extra = extra_config(tmp_path, "name: other\n")
    result = snakemake(smoke, "--dry-run", configfiles=(SMOKE, extra))
    assert result.returncode == 0, result.stderr[-3000:]
    assert planned_jobs(result.stdout) == {"aggregate": 1, "plot_sweep": 2, "plot_distributions": 4, "report": 1,
                                           "all": 1}
    assert planned_outputs(result.stdout, "aggregate")[0].startswith("results/other/metrics.csv")


def test_fine_tuning_kept_the_pruned_weights_at_zero(smoke):
    from prunelab.models.network import Network
    from prunelab.methods.pruning import prune
    from prunelab.methods.registry import BUILT_IN
    from prunelab.methods.scope import pruned_layers

    finetuned_dirs = sorted((smoke / "results" / "finetuned").glob("digits/*/seed0/all_but_output/*/k0.9/ft2*"))
    assert len(finetuned_dirs) == 8
    for directory in finetuned_dirs:
        train_id, method = directory.parts[-6], directory.parts[-3]
        model_dir = smoke / "results" / "models" / "digits" / train_id / "seed0"
        spec = json.loads((model_dir / "train.json").read_text())["spec"]
        trained = Network.load(model_dir / "weights.npz", spec["architecture"])
        finetuned = Network.load(directory / "weights.npz", spec["architecture"])
        _, masks = prune(trained, BUILT_IN[method], 0.9, pruned_layers(trained, "all_but_output"))
        rounds = 2 if directory.name.startswith("ft2r2-") else 1
        for kernel, mask in zip(finetuned.kernels, masks):
            if mask is not None and rounds == 1:
                assert not kernel[~mask].any()
            elif mask is not None:  # the second round ranked the retrained weights: other ones, as many
                assert np.count_nonzero(kernel) <= mask.sum()
        log = smoke / f"results/logs/finetune/digits/{train_id}/seed0/all_but_output/{method}-k0.9-{directory.name}.log"
        assert ("round 2/2" in log.read_text()) == (rounds == 2)
        assert f"epoch {2 // rounds}/{2 // rounds}" in log.read_text()


def test_an_exported_model_loads_into_keras_and_predicts_like_the_pruned_one(smoke, tensorflow):
    from prunelab.measuring import export
    from prunelab.data.loading import load_split
    from prunelab.data.loading import features

    metrics = pd.read_csv(smoke / "results" / "metrics.csv")
    row = metrics[(metrics["dataset"] == "fashion") & (metrics["method"] == "unit") & (metrics["k"] == 0.5)
                  & (metrics["regularizer"] == "none") & (metrics["finetune_epochs"] == 0)].iloc[0]
    target = f"results/exported/fashion/{row['train_id']}/seed0/all_but_output/unit/k0.5.npz"
    result = snakemake(smoke, "--cores", "1", target)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (smoke / target).stat().st_size == row["size_bytes"]
    model = export.load_keras(smoke / target)
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [64, 32, 10]  # 128, 64 halved
    images, labels = load_split(smoke / "results" / "data" / "fashion", "fashion", "test")
    x = features({"type": "dense"}, images)
    correct = int((model.predict(x, verbose=0).argmax(1) == labels).sum())
    assert correct == row["correct"]


ARTIFACTS = REPO / "test-artifacts"


def test_report_renders_in_headless_chromium_with_every_figure(smoke, tmp_path):
    from prunelab.results.browser import render

    page = render(smoke / "results" / "report" / "report.html", ARTIFACTS / "report.png", tmp_path / "profile")
    assert not page["errors"], page["errors"]
    assert len(page["images"]) >= 2 + 2 + 4 + 4  # sweeps, savings, training curves, distributions
    broken = [image for image in page["images"] if not (image["complete"] and image["width"] > 0)]
    assert not broken, broken
    assert "Findings" in page["text"] and "unpruned test accuracy" in page["text"]
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
    raw_tables = [line for line in page["text"].splitlines() if "|---|" in line or line.strip().startswith("| ")]
    assert not raw_tables, raw_tables  # every markdown table rendered as a table, `|w|` in a cell included
    assert "How far each method goes" in page["text"] and "point(s)" not in page["text"]
    assert "Published numbers" not in page["text"]  # the smoke config names none: no empty section


def test_the_report_answers_in_two_tables_and_fits_1280_pixels(smoke, tmp_path):
    """The summary matrix (methods x models) and the savings table, not bullet lists, and no
    horizontal scrollbar at a 1280-pixel window."""
    import pandas as pd
    from prunelab.results.browser import render
    from prunelab.results.findings import savings_table

    report = smoke / "results" / "report" / "report.html"
    html = report.read_text()
    summary = html.split("How far each method goes", 1)[1].split("<h2", 1)[0]
    assert "<table" in summary and "font-weight: bold" in summary  # the matrix, each column's best marked
    results = smoke / "results"
    saved = savings_table(pd.read_csv(results / "metrics.csv"), pd.read_csv(results / "latency.csv"), 0.01)
    assert len(saved)  # the smoke run prunes harmlessly somewhere, so the savings table is there
    savings = html.split("What the harmless pruning saves", 1)[1].split("<h2", 1)[0]
    assert "<table" in savings and "<ul>" not in savings and "ONNX Runtime, compacted" in savings
    page = render(report, ARTIFACTS / "report-1280.png", tmp_path / "profile", width=1280)
    assert not page["scrolls_sideways"]


def test_readme_picture_is_the_summary_above_the_methods_compared_figure(smoke):
    """make readme-picture's part after the run, on the smoke run's report: the summary and the
    first comparison figure stacked in one picture, at most the window's width, not blank."""
    from PIL import Image
    from prunelab.results.readme_picture import WIDTH, picture

    width, height = picture(smoke / "results" / "report" / "report.html", ARTIFACTS / "readme-picture.png")
    assert 600 < width <= WIDTH and height > 700
    image = Image.open(ARTIFACTS / "readme-picture.png").convert("L")
    assert image.getextrema()[0] < 100  # text and lines, not a blank page


def test_snakemake_report_renders_in_headless_chromium(smoke, tmp_path):
    from prunelab.results.browser import render

    report = smoke / "results" / "report" / "snakemake-report.html"
    if not report.exists():
        assert snakemake(smoke, "--report", str(report)).returncode == 0
    page = render(report, ARTIFACTS / "snakemake-report.png", tmp_path / "profile", settle_seconds=4)
    assert not page["errors"], page["errors"]
    assert not [image for image in page["images"] if not (image["complete"] and image["width"] > 0)]
    assert "Training" in page["text"] and "Metrics" in page["text"]
    assert (ARTIFACTS / "snakemake-report.png").stat().st_size > 10_000


def test_compaction_and_onnx_runtime_predict_like_the_masked_model_on_the_10000_test_images(smoke):
    import numpy as np

    from prunelab.measuring.compaction import compact
    from prunelab.data.loading import load_split
    from prunelab.data.loading import features
    from prunelab.models.network import Network
    from prunelab.measuring.onnx_export import run, session
    from prunelab.methods.pruning import prune
    from prunelab.methods.registry import BUILT_IN
    from prunelab.methods.scope import pruned_layers

    for dataset in ("digits", "fashion"):
        images, _ = load_split(smoke / "results" / "data" / dataset, dataset, "test")
        for model_dir in sorted((smoke / "results" / "models" / dataset).glob("*/seed0")):
            spec = json.loads((model_dir / "train.json").read_text())["spec"]
            network = Network.load(model_dir / "weights.npz", spec["architecture"])
            x = features(spec["architecture"], images)
            for method, k in (("unit", 0.5), ("unit", 0.9), ("weight", 0.9)):
                pruned, _ = prune(network, BUILT_IN[method], k, pruned_layers(network, "all_but_output"))
                masked, compacted = pruned.logits(x), compact(pruned).logits(x)
                assert len(x) == 10_000 and (masked.argmax(1) == compacted.argmax(1)).all()
                np.testing.assert_allclose(compacted, masked, rtol=1e-4, atol=1e-4)
                for form in (pruned, compact(pruned)):  # ONNX Runtime, masked and compacted
                    deployed = run(session(form), x)
                    assert (deployed.argmax(1) == masked.argmax(1)).all()
                    np.testing.assert_allclose(deployed, masked, rtol=1e-4, atol=1e-4)


def test_latency_jobs_ran_with_the_machine_to_themselves(smoke):
    """From Snakemake's own log: while a latency job ran, no other job did."""
    log = min((smoke / ".snakemake" / "log").glob("*.snakemake.log")).read_text()  # the fixture's full run
    running, rules, alone = set(), {}, []
    for block in re.split(r"\n(?=\[\w{3} \w{3} )", log):
        started = re.search(r"^(?:local)?rule (\w+):\n(?:.*\n)*?    jobid: (\d+)", block, re.M)
        finished = re.search(r"^Finished jobid: (\d+)", block, re.M)
        if started:
            rules[started[2]] = started[1]
            running.add(started[2])
        if finished:
            running.discard(finished[1])
        latency = [job for job in running if rules[job] == "latency"]
        if latency:
            alone.append(running == set(latency[:1]))
    assert len(alone) >= 4 and all(alone)  # one check per latency job start at least
