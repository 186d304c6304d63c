import pandas as pd
import pytest

from prunelab.methods.registry import BUILT_IN
from prunelab.results.findings import findings
from prunelab.results.columns import LATENCY_COLUMNS
from prunelab.results.tables import (IDENTITY, METRIC_COLUMNS, largest_safe_k, latency_frame,
                                     markdown_table, metrics_frame, model_names, summarize, summary_matrix)

ORDER = list(BUILT_IN)  # the order tables and legends use
ORDER_METHODS = {name: method.presentation() for name, method in BUILT_IN.items()}


def record(method, k, accuracy, seed=0, regularizer="none", finetune=0, rounds=1):
    return {"dataset": "digits", "model": "dense", "regularizer": regularizer, "strength": 0.0,
            "train_id": f"dense-{regularizer}-e1-x", "seed": seed, "layers": "all_but_output", "method": method, "k": k,
            "finetune_epochs": finetune, "finetune_rounds": rounds if finetune else 0,
            "finetune_learning_rate": 1e-4 if finetune else 0.0,
            "accuracy": accuracy, "loss": 1 - accuracy, "correct": int(accuracy * 100), "total": 100,
            "sparsity": k, "nonzero_params": 10, "prunable_params": 8, "total_params": 12,
            "compression_ratio": 1 / (1 - k), "flops": 10, "dense_flops": 12, "theoretical_speedup": 1.2,
            "compact_params": 10, "compact_flops": 10, "size_bytes": 400, "dense_size_bytes": 480,
            "weights_changed": finetune > 0,
            }


def test_metrics_frame_has_the_documented_columns_in_a_stable_order():
    records = [record("weight", 0.5, 0.9), record("unit", 0.0, 0.95), record("weight", 0.0, 0.95)]
    frame = metrics_frame(records)
    assert list(frame.columns) == METRIC_COLUMNS
    timing = {"median_ms": 0.5, "q1_ms": 0.4, "q3_ms": 0.6, "repeats": 10}
    latency = latency_frame([{**{c: r[c] for c in IDENTITY}, "runtime": runtime, "form": "masked", "batch_size": b,
                              **timing} for r in records for b in (16, 1) for runtime in ("onnxruntime", "numpy")])
    assert list(latency.columns) == LATENCY_COLUMNS and len(latency) == 3 * 2 * 2
    assert list(latency["batch_size"][:4]) == [1, 16, 1, 16] and list(latency["runtime"][:2]) == ["numpy"] * 2
    assert latency[["method", "k"]].drop_duplicates().reset_index(drop=True).equals(frame[["method", "k"]])
    assert list(latency_frame([]).columns) == LATENCY_COLUMNS
    assert list(zip(frame["method"], frame["k"])) == [("unit", 0.0), ("weight", 0.0), ("weight", 0.5)]
    assert metrics_frame(records[::-1]).equals(frame)
    with pytest.raises(ValueError, match="lack the columns"):
        metrics_frame([{"dataset": "digits"}])


def test_summary_and_table_show_mean_and_std_over_seeds():
    records = [record("weight", 0.0, a, seed=s) for s, a in enumerate([0.90, 0.94])]
    records += [record("unit", 0.0, 0.92, seed=s) for s in range(2)]
    summary = summarize(metrics_frame(records))
    weight = summary[summary["method"] == "weight"].iloc[0]
    assert weight["accuracy"] == pytest.approx(0.92) and weight["seeds"] == 2
    assert weight["accuracy_std"] == pytest.approx(pd.Series([0.90, 0.94]).std())
    table = markdown_table(summary, ORDER)
    assert table.splitlines()[0] == "| k | weight accuracy | unit accuracy | weight loss | unit loss |"
    assert "| 0 | 0.9200 ± 0.0283 | 0.9200 ± 0.0000 |" in table


def test_single_seed_tables_show_plain_values():
    summary = summarize(metrics_frame([record("weight", 0.0, 0.977), record("weight", 0.5, 0.9761)]))
    assert markdown_table(summary, ORDER).splitlines()[2:] == ["| 0 | 0.9770 | 0.0230 |", "| 0.5 | 0.9761 | 0.0239 |"]


def test_largest_safe_k_stops_at_the_first_drop():
    accuracies = {0.0: 0.95, 0.5: 0.945, 0.8: 0.90, 0.9: 0.949, 0.99: 0.2}
    summary = summarize(metrics_frame([record("weight", k, a) for k, a in accuracies.items()]))
    row = largest_safe_k(summary, 0.01).iloc[0]
    assert row["safe_k"] == 0.5  # 0.9 recovers, but 0.8 already fell more than a point
    assert row["accuracy_at_max_k"] == pytest.approx(0.2)
    text = findings(summary, 0.01, ORDER)[0]
    assert "unpruned test accuracy 0.9500" in text and "weight goes furthest within 1 point: to k = 0.5" in text


def test_fine_tuned_variants_get_their_own_columns_and_findings():
    records = [record("weight", k, a) for k, a in [(0.0, 0.95), (0.5, 0.93), (0.9, 0.5)]]
    records += [record("weight", k, a, finetune=3) for k, a in [(0.5, 0.948), (0.9, 0.945)]]
    summary = summarize(metrics_frame(records))
    table = markdown_table(summary, ORDER)
    assert table.splitlines()[0] == "| k | weight accuracy | weight +ft3 accuracy | weight loss | weight +ft3 loss |"
    assert table.splitlines()[2] == "| 0 | 0.9500 |  | 0.0500 |  |"
    safe = largest_safe_k(summary, 0.01).set_index("variant")
    assert safe.loc["weight", "safe_k"] == 0.0 and safe.loc["weight +ft3", "safe_k"] == 0.9
    text = findings(summary, 0.01, ORDER)[0]
    assert "weight loses more than 1 point already at the first k it prunes to." in text
    assert "weight +ft3 goes furthest within 1 point: to k = 0.9" in text
    assert safe.loc["weight", "first_failing_k"] == 0.5 and safe.loc["weight", "accuracy_at_max_k"] == 0.5


def test_iterative_fine_tuning_is_a_variant_of_its_own():
    records = [record("weight", k, a) for k, a in [(0.0, 0.95), (0.9, 0.5)]]
    records += [record("weight", 0.9, 0.94, finetune=3), record("weight", 0.9, 0.946, finetune=3, rounds=3)]
    summary = summarize(metrics_frame(records))
    header = markdown_table(summary, ORDER).splitlines()[0]
    assert header.startswith("| k | weight accuracy | weight +ft3 accuracy | weight +ft3 (3 rounds) accuracy |")
    text = findings(summary, 0.01, ORDER)[0]
    assert ("weight +ft3 (3 rounds) goes furthest within 1 point: to k = 0.9 (1.2x compression, test accuracy "
            "0.9460)") in text
    assert "weight +ft3 loses" not in text  # 0.94 is within a point of 0.95


def test_speed_is_claimed_only_outside_the_spread_of_both_timings():
    from prunelab.results.findings import speed_change

    dense = pd.DataFrame([{"median_ms": 10.0, "q1_ms": 9.0, "q3_ms": 11.0}])
    assert speed_change(pd.DataFrame([{"median_ms": 4.0, "q1_ms": 3.8, "q3_ms": 4.3}]), dense) == \
        "2.5x faster (2.1-2.9)"
    assert speed_change(pd.DataFrame([{"median_ms": 13.0, "q1_ms": 12.0, "q3_ms": 14.0}]), dense) == \
        "1.3x slower (1.1-1.6)"
    overlapping = pd.DataFrame([{"median_ms": 8.0, "q1_ms": 6.0, "q3_ms": 9.5}])  # 1.25x by medians, inside the noise
    assert speed_change(overlapping, dense) == "no measurable change (0.9-1.8)"


def test_models_are_named_by_what_differs_and_the_digest_only_where_needed():
    frame = pd.DataFrame([record("weight", 0, 0.9), record("weight", 0, 0.9, regularizer="l2")])
    frame.loc[1, "strength"] = 0.01
    assert set(model_names(frame).values()) == {"digits · dense · no regularizer", "digits · dense · L2 λ 0.01"}
    twins = pd.concat([frame.iloc[[0]], frame.iloc[[0]].assign(train_id="dense-none-e1-y")])
    assert sorted(model_names(twins).values()) == ["digits · dense · no regularizer · x",
                                                   "digits · dense · no regularizer · y"]


def test_the_summary_matrix_says_how_far_each_method_goes_per_model():
    rows = [record("weight", 0, 0.95), record("weight", 0.5, 0.945), record("weight", 0.9, 0.90),
            record("unit", 0, 0.95), record("unit", 0.5, 0.80), record("weight", 0.9, 0.948, finetune=2)]
    frame = pd.DataFrame(rows).assign(nonzero_params=[12, 6, 2, 12, 6, 2], total_params=12)
    cells, best = summary_matrix(summarize(frame), 0.01, ORDER_METHODS, "digits")
    assert list(cells.columns) == ["dense · no regularizer"]  # one model: nothing differs, named in full
    assert cells.iloc[:, 0].to_dict() == {"weight": "0.5 · 2.0x · 0.9450", "weight +ft2": "0.9 · 6.0x · 0.9480",
                                          "unit": "none"}
    assert best.iloc[:, 0].to_dict() == {"weight": False, "weight +ft2": True, "unit": False}
    one_shot, _ = summary_matrix(summarize(frame), 0.01, ORDER_METHODS, "digits", without_retraining=True)
    assert list(one_shot.index) == ["weight", "unit"]


def test_the_summary_matrix_stays_readable_for_20_methods_and_12_models():
    """Columns named by what differs (model and regularizer, the dataset in the heading), one best
    cell per column, every cell short enough to wrap into a narrow column."""
    methods = [f"m{i:02d}" for i in range(20)]
    rows = []
    for model in ("dense", "cnn", "resnet20", "vgg16"):
        for regularizer, strength in (("none", 0.0), ("l1", 0.001), ("l2", 0.01)):
            for index, method in enumerate(methods):
                for k in (0, 0.5, 0.9, 0.99):
                    accuracy = 0.95 - (0.002 * index * k if k < 0.99 else 0.5)
                    rows.append({**record(method, k, accuracy, regularizer=regularizer), "model": model,
                                 "strength": strength, "train_id": f"{model}-{regularizer}-e1-x",
                                 "nonzero_params": round(100 * (1 - k)) or 1, "total_params": 100})
    cells, best = summary_matrix(summarize(pd.DataFrame(rows)), 0.01, {}, "digits")
    assert cells.shape == (20, 12)
    assert "cnn · L1 λ 0.001" in cells.columns and not any("digits" in column for column in cells.columns)
    assert (best.sum() == 1).all()
    assert max(len(part) for cell in cells.to_numpy().ravel() for part in cell.split(" · ")) <= 7


def test_the_savings_table_has_one_row_per_harmless_method_with_measured_speed_and_spread():
    from prunelab.results.findings import savings_table

    rows = [record("weight", 0, 0.95), record("weight", 0.5, 0.945), record("unit", 0, 0.95), record("unit", 0.5, 0.7)]
    metrics = pd.DataFrame(rows).assign(size_bytes=[480, 200, 480, 300], theoretical_speedup=[1.0, 2.0, 1.0, 2.0])
    timing = {"dataset": "digits", "train_id": "dense-none-e1-x", "batch_size": 256, "runtime": "numpy"}
    latency = pd.DataFrame([
        {**timing, "method": "weight", "k": 0.0, "form": "masked", "median_ms": 10.0, "q1_ms": 9.0, "q3_ms": 11.0},
        {**timing, "method": "weight", "k": 0.5, "form": "masked", "median_ms": 10.0, "q1_ms": 9.0, "q3_ms": 11.0},
        {**timing, "method": "weight", "k": 0.5, "form": "sparse", "median_ms": 4.0, "q1_ms": 3.8, "q3_ms": 4.3}])
    table = savings_table(metrics, latency, 0.01)
    assert table.to_dict("records") == [{
        "model": "digits · dense · no regularizer", "method": "weight", "k": "0.5",
        "size on disk": "0.00 MB of 0.00 (2.4x smaller)", "theoretical speedup": "2.0x",
        "numpy, masked": "no measurable change (0.8-1.2)", "numpy, sparse (CSR)": "2.5x faster (2.1-2.9)",
        "batch": 256}]


def test_a_sweep_without_k_0_has_no_baseline_and_no_findings():
    summary = summarize(pd.DataFrame([record("weight", 0.5, 0.9), record("weight", 0.9, 0.5)]))
    assert largest_safe_k(summary, 0.01).empty and findings(summary, 0.01, ORDER) == []


def test_a_published_figure_that_names_a_regularizer_is_compared_with_that_regularizers_models_only():
    from prunelab.results.findings import published_beside_ours

    frame = metrics_frame([record("weight", 0.0, 0.95, regularizer="none"), record("weight", 0.0, 0.90, regularizer="l1"),
                           record("weight", 0.0, 0.92, seed=1, regularizer="l1")])
    entry = {"label": "L1 unpruned", "dataset": "digits", "method": "weight", "k": 0, "published": "0.9459", "source": "C"}
    table = published_beside_ours(frame, [{**entry, "regularizer": "l1"}, {**entry, "regularizer": "l2"}, entry])
    assert list(table["ours (test accuracy)"]) == ["0.9100 ± 0.0141", "not run", "0.9233 ± 0.0252"]
    assert list(table["seeds"]) == [2, 0, 3]
