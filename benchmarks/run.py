"""Benchmarks of the workflow against this machine's limits.

    make benchmark [ARGS="--quick --skip-scaling"]   (PYTHONPATH=workflow python benchmarks/run.py ...)

Measures, on the default config (config.yaml; --quick: benchmarks/quick.yaml), in a scratch
working directory with the data already fetched:

1. the float32 GEMM rate of this machine (1 thread, all cores), in this same run;
2. the full sweep's wall time (snakemake --cores 4) against its floor: training plus
   evaluation FLOPs divided by the all-core GEMM rate;
3. the prune stage alone (every prune job rerun) and the median prune job, against the
   evaluation FLOPs' floor;
4. a no-op rerun (everything up to date);
5. the training stage with --cores 1 vs --cores 2 (threads pinned per job);
6. the peak RSS of every rule, from Snakemake's benchmark records (only with
   PRUNELAB_WARM_INTERPRETER=0: each job in its own process, which the records measure);
7. inference latencies: the latency jobs rerun (they always run alone; copied to
   benchmarks/latency.csv);
8. the plain script a user would write without the workflow (benchmarks/plain_script.py: one
   process, TensorFlow's default threads, the same trainings and evaluations), timed in the
   same run as the sweep, and workflow / plain script;
9. one training alone with 1 thread and with every core (training.threads), alternated:
   epoch seconds and whether the two give the same weights;
10. the same sweep with each variant of training merged on top, in its own working directory:
   the opt-in bfloat16 training (benchmarks/bfloat16.yaml) and the JAX backend
   (benchmarks/jax.yaml): its wall time against the float32 floor, its training jobs' seconds
   and epoch seconds against the default sweep's, and its accuracy difference, pruned model by
   pruned model, against the default sweep's metrics.

Writes benchmarks/latest.json and benchmarks/latest.md. ``--parts prune,latency`` re-measures only
those parts, reusing the working directory of the last run; the figures of parts not run are
carried over from benchmarks/latest.json with the date they were measured. Timings are not asserted (a busy
machine is slow, not wrong), but wrong outputs fail loudly: a sweep that does not produce
the expected metrics raises.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from prunelab.measuring.efficiency import dense_flops
from prunelab.models.network import Network, kernel_shapes
from prunelab.plumbing import warm as warm_interpreter
from prunelab.plumbing.config import merged_config
from prunelab.plumbing.paths import TRAINED_MODEL
from prunelab.plumbing.plan import trained_models, training_specs

import timeline  # benchmarks/timeline.py, beside this script

REPO = Path(__file__).resolve().parents[1]

PARTS = ("sweep", "plain", "bfloat16", "jax", "noop", "prune", "latency", "threads", "scaling")
GEMM_SIZE = 2048
TEST_IMAGES = 10000
TRAIN_IMAGES = 60000
# Sweeps of the default config with one training setting changed (benchmarks/<part>.yaml merged on
# top), each in its own working directory: what they are called in benchmarks/latest.md.
VARIANTS = {"bfloat16": "opt-in bfloat16 training", "jax": "Keras on the JAX backend"}


class BenchmarkError(RuntimeError):
    """The workflow produced wrong or missing outputs."""


def gemm_rate(threads: int) -> float:
    """Best-of-5 float32 GEMM GFLOP/s with ``threads`` BLAS threads (a fresh process)."""
    code = (f"import time, numpy as np; a = np.random.default_rng(0).random(({GEMM_SIZE}, {GEMM_SIZE}), "
            "dtype=np.float32); a @ a; best = 1e9\n"
            "for _ in range(5):\n t = time.perf_counter(); a @ a; best = min(best, time.perf_counter() - t)\n"
            f"print(2 * {GEMM_SIZE} ** 3 / best / 1e9)")
    env = {**os.environ, **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    return float(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                                text=True).stdout)


def workload_flops(config: dict) -> dict:
    """FLOPs (2 per multiply-accumulate) of training and of evaluating every pruned model.

    Training counts forward and backward passes (3x a forward pass) over the training
    images and a forward pass over the validation images, per epoch."""
    specs = training_specs(config)
    per_dataset = len(config["datasets"]) * len(config["seeds"])
    train = evaluate = 0
    for spec in specs.values():
        architecture = spec["architecture"]  # a dense or cnn's: their graph follows from the architecture
        zeros = [np.zeros(shape, np.float32) for shape in kernel_shapes(architecture)]
        forward = 2 * dense_flops(Network.of_chain(architecture, zeros))
        validation = spec["validation_size"]
        train_images = spec["train_size"] or TRAIN_IMAGES - validation
        train += per_dataset * spec["epochs"] * (3 * train_images + validation) * forward
        evaluate += per_dataset * len(config["pruning"]["methods"]) * len(config["pruning"]["k"]) * TEST_IMAGES * forward
    return {"train": train, "evaluate": evaluate}


def snakemake(workdir: Path, configfiles: list[Path], *args: str, warm: bool = True) -> float:
    """Run Snakemake in ``workdir`` with ``configfiles``; returns wall seconds; raises if it fails.
    ``warm=False``: every job in its own process, so that Snakemake's benchmark records measure
    its CPU time and memory (in a fork of the warm interpreter, the job's own process only waits)."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir),
               *args, "--configfile", *map(str, configfiles)]
    environment = {**os.environ, warm_interpreter.SWITCH_VARIABLE: "1" if warm else "0"}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchmarkError(f"`{' '.join(command)}` failed:\n{result.stderr[-4000:]}")
    return seconds


def benchmark_records(workdir: Path) -> pd.DataFrame:
    """Snakemake's benchmark records: one row per job, with its rule and its record's path."""
    root = workdir / "results" / "benchmarks"
    return pd.DataFrame([{**pd.read_csv(path, sep="\t").iloc[-1].to_dict(), "rule": path.relative_to(root).parts[0],
                          "path": str(path.relative_to(root))} for path in root.rglob("*.tsv")])


def rerun_records(config: dict, rule: str, repeats: int, cores: int) -> list[pd.DataFrame]:
    """Snakemake's benchmark records of ``rule``'s jobs for ``config``, run ``repeats`` times: the
    first run makes everything up to them (on 2 cores), each further one reruns only them
    (``--forcerun``) on ``cores`` cores, in a temporary folder."""
    runs = []
    with tempfile.TemporaryDirectory(prefix=f"{rule}-benchmark-") as folder:
        workdir = Path(folder)
        configfile = workdir / "benchmark.yaml"
        configfile.write_text(yaml.safe_dump(config))
        for repeat in range(repeats):
            forced = ["--cores", str(cores), "--forcerun", rule] if repeat else ["--cores", "2"]
            snakemake(workdir, [configfile], *forced, "--until", rule, warm=False)
            records = benchmark_records(workdir)
            runs.append(records[records["rule"] == rule])
    return runs


def sweep_metrics(workdir: Path, config: dict) -> pd.DataFrame:
    return pd.read_csv(workdir / "results" / (config["name"] or "") / "metrics.csv")


def check_outputs(workdir: Path, config: dict) -> None:
    """Fail loudly unless the sweep produced every expected, plausible result."""
    metrics = sweep_metrics(workdir, config)
    one_shot = metrics[metrics["finetune_epochs"] == 0]
    expected = len(trained_models(config)) * len(config["pruning"]["methods"]) * len(config["pruning"]["k"])
    if len(one_shot) != expected:
        raise BenchmarkError(f"metrics.csv has {len(one_shot)} one-shot rows, expected {expected}")
    unpruned = one_shot[one_shot["k"] == 0]
    floor = {"digits": 0.9, "fashion": 0.75} if config["training"]["epochs"] >= 5 else {"digits": 0.8, "fashion": 0.65}
    for dataset, minimum in floor.items():
        worst = unpruned.loc[unpruned["dataset"] == dataset, "accuracy"].min()
        if dataset in config["datasets"] and not worst > minimum:
            raise BenchmarkError(f"{dataset}: unpruned test accuracy {worst} is not above {minimum}")
    if not (workdir / "results" / (config["name"] or "") / "report" / "report.html").exists():
        raise BenchmarkError("the report was not written")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="use benchmarks/quick.yaml (minutes, not an hour)")
    parser.add_argument("--skip-scaling", action="store_true", help="skip the --cores 1 vs 2 training comparison")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated subset of {', '.join(PARTS)}; without 'sweep', the last run's "
                             "working directory is reused and missing figures are carried over")
    parser.add_argument("--workdir", type=Path, default=REPO / "results" / "benchmark-run")
    options = parser.parse_args()
    parts = [p for p in options.parts.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise SystemExit(f"--parts: unknown {unknown}; choose from {', '.join(PARTS)}")
    if options.skip_scaling and "scaling" in parts:
        parts.remove("scaling")
    configfile = REPO / ("benchmarks/quick.yaml" if options.quick else "config.yaml")
    configfiles = [configfile]
    config = merged_config(*configfiles)
    workdir = options.workdir
    for part, folder in (("sweep", workdir), *((v, workdir / v) for v in VARIANTS)):  # before an hour of work
        if part in parts and (folder / "results").exists():
            raise SystemExit(f"{folder}/results exists: remove it for a run from scratch")
    if "sweep" not in parts and not (workdir / "results").exists():
        raise SystemExit(f"{workdir}/results is missing: run with the sweep part first")
    workdir.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count()
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = {"machine": {"cpu": _cpu(), "cores": cores, "python": platform.python_version()},
           "config": str(configfile.relative_to(REPO)), "measured": {}}
    previous = REPO / "benchmarks" / "latest.json"
    if previous.exists():  # figures of the parts not run now are kept, with the date they were measured
        earlier = json.loads(previous.read_text())
        if earlier["config"] == out["config"]:
            out = {**earlier, **out, "measured": earlier["measured"]}
    print("GEMM rate ...", flush=True)
    out["gemm_gflops"] = {"1 thread": gemm_rate(1), f"{cores} threads": gemm_rate(cores)}
    rate = out["gemm_gflops"][f"{cores} threads"] * 1e9
    flops = workload_flops(config)

    floor = (flops["train"] + flops["evaluate"]) / rate
    if "sweep" in parts:
        sweep, busy = timed_sweep(workdir, configfiles, config)
        out["sweep"] = {"wall_s": sweep, "cpu_busy_share": busy,
                        "timeline": timeline.markdown(timeline.job_spans(timeline.newest_log(workdir))), "train_tflop": flops["train"] / 1e12,
                        "evaluate_tflop": flops["evaluate"] / 1e12, "floor_s": floor, "ratio_to_floor": sweep / floor}
        records = benchmark_records(workdir)
        out["sweep"]["jobs_s"] = records.groupby("rule")["s"].agg(["count", "median", "sum"]).round(3).to_dict("index")
        if not warm_interpreter.enabled():  # else a job's record measures its waiting process only
            memory = records.groupby("rule")["max_rss"].max()
            out["peak_rss_mb"] = {rule: round(float(v), 1) for rule, v in memory.items()}

    if "plain" in parts:
        print("plain script ...", flush=True)
        command = [sys.executable, str(REPO / "benchmarks" / "plain_script.py"), str(workdir / "results" / "data"),
                   str(workdir / "plain.json")] + (["--config", str(configfile)] if options.quick else [])
        started = time.perf_counter()
        subprocess.run(command, check=True)
        plain = time.perf_counter() - started
        accuracies = pd.DataFrame(json.loads((workdir / "plain.json").read_text())["results"])
        if not (accuracies.loc[accuracies["k"] == 0, "accuracy"] > 0.6).all():
            raise BenchmarkError("the plain script's unpruned models are implausible")
        out["plain_script"] = {"wall_s": plain}
        if "sweep" in parts:
            out["plain_script"]["workflow_over_plain"] = out["sweep"]["wall_s"] / plain

    for variant in VARIANTS:
        if variant in parts:
            variant_dir, variant_files = workdir / variant, [*configfiles, REPO / "benchmarks" / f"{variant}.yaml"]
            variant_config = merged_config(*variant_files)
            wall, _ = timed_sweep(variant_dir, variant_files, variant_config)
            out[variant] = {"wall_s": wall, "ratio_to_float32_floor": wall / floor,
                            **accuracy_cost(sweep_metrics(workdir, config), sweep_metrics(variant_dir, variant_config)),
                            "training": training_time(variant_dir, variant_config)}
            if "sweep" in parts:
                out[variant]["over_float32_sweep"] = wall / out["sweep"]["wall_s"]
                out[variant]["default_training"] = default = training_time(workdir, config)
                out[variant]["training_speedup"] = default["jobs_s"] / out[variant]["training"]["jobs_s"]
                out[variant]["epoch_speedup"] = default["median_epoch_s"] / out[variant]["training"]["median_epoch_s"]

    if "noop" in parts:
        print("no-op rerun ...", flush=True)
        out["noop_rerun_s"] = statistics.median(snakemake(workdir, configfiles, "--cores", "4") for _ in range(3))

    if "prune" in parts:
        print("prune stage alone ...", flush=True)
        prune_wall = snakemake(workdir, configfiles, "--cores", str(cores), "--forcerun", "prune", "--until", "prune")
        prune_jobs = benchmark_records(workdir).query("rule == 'prune'")["s"]
        prune_floor = flops["evaluate"] / rate
        out["prune"] = {"jobs": int(len(prune_jobs)), "median_job_s": float(prune_jobs.median()),
                        "stage_wall_s": prune_wall, "floor_s": prune_floor, "ratio_to_floor": prune_wall / prune_floor}
        check_outputs(workdir, config)

    if "latency" in parts:
        print("latency jobs alone, one at a time ...", flush=True)
        snakemake(workdir, configfiles, "--cores", "1", "--forcerun", "latency", "--until", "aggregate")
        summary = workdir / "results" / (config["name"] or "")
        (REPO / "benchmarks" / "latency.csv").write_text((summary / "latency.csv").read_text())

    if "threads" in parts:
        out["training_threads"] = training_threads(workdir, configfiles, cores)

    if "scaling" in parts:
        out["training_scaling"] = {}
        for n in (1, 2):
            print(f"training stage with --cores {n} ...", flush=True)
            out["training_scaling"][f"cores {n}"] = snakemake(workdir, configfiles, "--cores", str(n), "--forcerun",
                                                              "train", "--until", "train")
        out["training_scaling"]["speedup"] = out["training_scaling"]["cores 1"] / out["training_scaling"]["cores 2"]
        check_outputs(workdir, config)

    out["measured"].update({part: now for part in parts})
    write_results(out)


def timed_sweep(workdir: Path, configfiles: list[Path], config: dict) -> tuple[float, float]:
    """Wall seconds of the whole sweep with --cores 4, the data fetched beforehand (not timed), and
    the share of the machine's CPU time busy meanwhile; raises unless every expected result is
    there and plausible."""
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"fetching data into {workdir} (not timed) ...", flush=True)
    snakemake(workdir, configfiles, "--cores", "2", *(f"results/data/{d}/provenance.json" for d in config["datasets"]))
    print(f"full sweep in {workdir} ...", flush=True)
    before = timeline.CpuTimes()
    wall = snakemake(workdir, configfiles, "--cores", "4")
    busy = timeline.CpuTimes().busy_share_since(before)
    check_outputs(workdir, config)
    return wall, busy


def training_time(workdir: Path, config: dict) -> dict:
    """The training stage of a sweep: its training jobs' seconds added up (Snakemake's records),
    and the median epoch seconds over every model's epochs but the first (which traces the model)."""
    models = [TRAINED_MODEL.format(**asdict(model)) for model in trained_models(config)]
    jobs = benchmark_records(workdir).set_index("path").loc[[f"train/{model}.tsv" for model in models], "s"]
    epochs = pd.concat(pd.read_csv(workdir / "results" / "models" / model / "history.csv")["seconds"].iloc[1:]
                       for model in models)
    return {"jobs": int(len(jobs)), "jobs_s": float(jobs.sum()), "median_epoch_s": float(epochs.median())}


def training_threads(workdir: Path, configfiles: list[Path], cores: int, repeats: int = 2) -> dict:
    """One training (digits, dense, no regularizer, 3 epochs) alone on the machine with 1
    thread and with ``cores`` threads, alternated ``repeats`` times: the seconds of every epoch
    but the first (which traces the model), and whether both thread counts give equal weights."""
    seconds, weights = {}, {}
    for _ in range(repeats):
        for threads in (1, cores):
            overlay = workdir / f"threads{threads}.yaml"
            overlay.write_text(yaml.safe_dump({"name": f"threads{threads}", "datasets": ["digits"], "models": ["dense"],
                                               "regularizers": ["none"], "seeds": [0],
                                               "training": {"epochs": 3, "threads": threads}}))
            files = [*configfiles, overlay]
            print(f"one training with {threads} thread(s) ...", flush=True)
            snakemake(workdir, files, "--cores", str(threads), "--forcerun", "train", "--until", "train")
            (train_id,) = training_specs(merged_config(*files))
            model = workdir / "results" / "models" / "digits" / train_id / "seed0"
            seconds.setdefault(threads, []).extend(pd.read_csv(model / "history.csv")["seconds"].iloc[1:])
            with np.load(model / "weights.npz", allow_pickle=False) as archive:
                weights[threads] = [archive[name] for name in sorted(archive.files)]
    same = all(np.array_equal(a, b) for a, b in zip(weights[1], weights[cores]))
    return {"epochs_s": {str(threads): sorted(values) for threads, values in seconds.items()},
            "median_epoch_s": {str(threads): statistics.median(values) for threads, values in seconds.items()},
            "same_weights": bool(same)}


def accuracy_cost(reference: pd.DataFrame, other: pd.DataFrame) -> dict:
    """Test accuracy of ``other``'s one-shot pruned models minus ``reference``'s, matched by
    dataset, regularizer, seed, method and k (their training ids differ): the unpruned
    models' mean difference, and the mean and the range over every pruned model."""
    key = ["dataset", "regularizer", "seed", "layers", "method", "k"]
    one_shot = [table[table["finetune_epochs"] == 0].set_index(key)["accuracy"] for table in (reference, other)]
    difference = (one_shot[1] - one_shot[0]).dropna()
    if len(difference) != len(one_shot[0]):
        raise BenchmarkError(f"only {len(difference)} of {len(one_shot[0])} pruned models match between the sweeps")
    unpruned = difference[difference.index.get_level_values("k") == 0]
    return {"models": int(len(difference)), "unpruned_mean_difference": float(unpruned.mean()),
            "mean_difference": float(difference.mean()), "min_difference": float(difference.min()),
            "max_difference": float(difference.max())}


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def variant_lines(variant: str, title: str, figures: dict) -> list[str]:
    """The rows of benchmarks/latest.md for one variant sweep (VARIANTS)."""
    target = "at most 1.5x" if variant == "jax" else ""
    versus = f", {figures['over_float32_sweep']:.2f}x the default sweep's wall time" if "over_float32_sweep" in figures else ""
    lines = [f"| {title} (benchmarks/{variant}.yaml), same sweep | {figures['wall_s']:.0f} s = "
             f"{figures['ratio_to_float32_floor']:.2f}x the float32 floor{versus} | {target} |",
             f"| its accuracy: {variant} minus default test accuracy, {figures['models']} one-shot pruned models | "
             f"unpruned {100 * figures['unpruned_mean_difference']:+.2f} points (mean); all: mean "
             f"{100 * figures['mean_difference']:+.2f}, from {100 * figures['min_difference']:+.2f} to "
             f"{100 * figures['max_difference']:+.2f} | |"]
    if "training_speedup" in figures:
        ours, default = figures["training"], figures["default_training"]
        lines.append(f"| its training stage: {ours['jobs']} training jobs' seconds added up, and the median epoch | "
                     f"{ours['jobs_s']:.0f} s vs {default['jobs_s']:.0f} s = {figures['training_speedup']:.2f}x faster; "
                     f"epoch {ours['median_epoch_s']:.2f} s vs {default['median_epoch_s']:.2f} s = "
                     f"{figures['epoch_speedup']:.2f}x | {'at least 1.25x' if variant == 'jax' else ''} |")
    return lines


def write_results(out: dict) -> None:
    (REPO / "benchmarks" / "latest.json").write_text(json.dumps(out, indent=2) + "\n")
    sweep = out["sweep"]
    lines = [
        f"# Latest benchmark ({out['config']})", "",
        f"Machine: {out['machine']['cpu']}, {out['machine']['cores']} cores, Python {out['machine']['python']}. "
        "Measured: " + ", ".join(f"{part} {when}" for part, when in out["measured"].items()) + ".", "",
        "| measure | value | target |", "|---|---|---|",
        f"| float32 GEMM rate (latest) | {out['gemm_gflops']['1 thread']:.0f} GFLOP/s (1 thread), "
        f"{list(out['gemm_gflops'].values())[1]:.0f} GFLOP/s (all cores) | |",
        f"| full sweep wall time | {sweep['wall_s']:.0f} s | |",
        f"| the machine's CPU busy over the sweep (/proc/stat) | {sweep.get('cpu_busy_share', float('nan')):.0%} | at least 90 % |",
        f"| its floor ({sweep['train_tflop']:.1f} TFLOP training + {sweep['evaluate_tflop']:.1f} TFLOP evaluation "
        f"at {(sweep['train_tflop'] + sweep['evaluate_tflop']) * 1e3 / sweep['floor_s']:.0f} GFLOP/s, the all-core GEMM rate measured with the sweep) | {sweep['floor_s']:.0f} s | |",
        f"| sweep / floor | {sweep['ratio_to_floor']:.2f}x | at most 1.5x |",
    ]
    if "plain_script" in out:
        plain = out["plain_script"]
        ratio = (f"{plain['workflow_over_plain']:.2f}x" if "workflow_over_plain" in plain
                 else "not measured in the same run")
        lines += [f"| plain script (benchmarks/plain_script.py: one process, TensorFlow's default threads) | "
                  f"{plain['wall_s']:.0f} s | |", f"| workflow / plain script, same run | {ratio} | under 1 |"]
    for variant, title in VARIANTS.items():
        if variant in out:
            lines += variant_lines(variant, title, out[variant])
    if "prune" in out:
        prune = out["prune"]
        lines += [
            f"| median dense prune job | {prune['median_job_s']:.2f} s | under 1 s |",
            f"| prune stage ({prune['jobs']} jobs) | {prune['stage_wall_s']:.0f} s vs floor {prune['floor_s']:.0f} s "
            f"(at {sweep['evaluate_tflop'] * 1e3 / prune['floor_s']:.0f} GFLOP/s) = {prune['ratio_to_floor']:.2f}x "
            "| at most 2x |"]
    if "noop_rerun_s" in out:
        lines.append(f"| no-op rerun | {out['noop_rerun_s']:.2f} s | under 3 s |")
    if "training_threads" in out:
        threads = out["training_threads"]
        (one, many), (epochs_one, epochs_many) = threads["median_epoch_s"].values(), threads["epochs_s"].values()
        lines.append(f"| one training alone (digits, dense, no regularizer), epoch seconds, training.threads 1 vs "
                     f"{list(threads['median_epoch_s'])[1]} | {one:.2f} s ({min(epochs_one):.2f}-{max(epochs_one):.2f}) "
                     f"vs {many:.2f} s ({min(epochs_many):.2f}-{max(epochs_many):.2f}) = {one / many:.2f}x; same weights: "
                     f"{'yes' if threads['same_weights'] else 'no'} | |")
    if "training_scaling" in out:
        scaling = out["training_scaling"]
        lines.append(f"| training stage, --cores 1 vs 2 | {scaling['cores 1']:.0f} s vs {scaling['cores 2']:.0f} s "
                     f"= {scaling['speedup']:.2f}x | about 2x |")
    if "peak_rss_mb" in out:
        lines += ["", "Peak RSS per rule (MB, Snakemake's sampling; jobs under a second may be missed; a run with "
                  "PRUNELAB_WARM_INTERPRETER=0): " + ", ".join(f"{r} {v:.0f}" for r, v in out["peak_rss_mb"].items())]
    lines += ["", "Job seconds per rule (count, median, sum): " + ", ".join(
                  f"{r} ({v['count']}, {v['median']}, {v['sum']:.0f})" for r, v in sweep["jobs_s"].items())]
    if "timeline" in sweep:
        lines += ["", "The default sweep's jobs (from its Snakemake log; benchmarks/timeline.py):", "", *sweep["timeline"]]
    (REPO / "benchmarks" / "latest.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
