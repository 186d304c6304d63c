"""A latency job of the CNN over the posttraining preset's pruned models, timed as the workflow runs it.

    make benchmark-latency        (PYTHONPATH=workflow python benchmarks/latency_job.py)

Trains the default CNN on digits for one epoch (how long timing takes does not depend on how
well the model learned), prunes it by the posttraining preset's six methods at its seven k
(42 pruned models), then runs the trained model's latency job three times (``--forcerun
latency``): it times every pruned model in numpy (masked, sparse CSR, compacted) and ONNX
Runtime (masked, compacted) at the default batch sizes (1 and 256) and repeats (10). Reports
the job's median seconds — Snakemake's benchmark record: start-up, reading the pruned models,
every timing, writing the record — and its peak memory. The latency job takes every core
Snakemake may use, so nothing runs beside it. Writes benchmarks/latency_job.json and .md.
"""

from __future__ import annotations

import json
import statistics
import time

import yaml

from run import REPO, rerun_records

PRESET = yaml.safe_load((REPO / "presets" / "posttraining.yaml").read_text())
CONFIG = {"name": "latency-benchmark", "datasets": ["digits"], "models": ["cnn"], "regularizers": ["none"],
          "seeds": [0], "training": {"epochs": 1}, "pruning": PRESET["pruning"]}
REPEATS = 3
TARGETS = {"seconds": 60.0}
OUT = REPO / "benchmarks"


def main() -> None:
    runs = [records.iloc[0] for records in rerun_records(CONFIG, "latency", REPEATS, cores=2)]
    seconds = [float(run.s) for run in runs]
    pruned_models = len(CONFIG["pruning"]["methods"]) * len(CONFIG["pruning"]["k"])
    out = {"date": time.strftime("%Y-%m-%d"), "config": CONFIG, "pruned_models": pruned_models, "repeats": REPEATS,
           "targets": TARGETS, "median_s": statistics.median(seconds), "runs_s": seconds,
           "peak_mb": max(float(run.max_rss) for run in runs)}
    (OUT / "latency_job.json").write_text(json.dumps(out, indent=2) + "\n")
    (OUT / "latency_job.md").write_text(markdown(out))
    print(markdown(out))


def markdown(out: dict) -> str:
    methods = ", ".join(out["config"]["pruning"]["methods"])
    k = ", ".join(f"{k:g}" for k in out["config"]["pruning"]["k"])
    runs = ", ".join(f"{s:.1f}" for s in out["runs_s"])
    return "\n".join([
        f"# A CNN's latency job ({out['date']})", "",
        f"`make benchmark-latency`: the latency job of the default CNN (digits, one epoch) over the posttraining "
        f"preset's {out['pruned_models']} pruned models ({methods} at k = {k}), as their prune jobs wrote them; "
        f"every model timed in numpy (masked, sparse CSR, compacted) and ONNX Runtime (masked, compacted) at "
        f"batch 1 and 256, 10 repeats. Seconds are Snakemake's benchmark record of the whole job, run "
        f"{out['repeats']} times alone. Target: under {out['targets']['seconds']:g} s.", "",
        "| median s | runs (s) | peak MB |", "|---|---|---|",
        f"| {out['median_s']:.1f} | {runs} | {out['peak_mb']:.0f} |", ""])


if __name__ == "__main__":
    main()
