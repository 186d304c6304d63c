"""Prune jobs of the methods that prune without retraining, timed as the workflow runs them.

    make benchmark-posttraining        (PYTHONPATH=workflow python benchmarks/posttraining.py)

Trains the default dense model (784-1000-1000-500-200-10) and the default CNN on digits for one
epoch (how long pruning takes does not depend on how well the model learned), then runs every
prune job of magnitude pruning, Wanda, SparseGPT and unit_refit at k = 0.5 and 0.9 on 4096
calibration images three times (``--forcerun prune``), and reports each job's median seconds —
Snakemake's benchmark record: the whole job, Python's start-up, reading the data, pruning,
evaluating on the 10,000 test images and writing the record — and its peak memory (max RSS).
Jobs run one at a time (``--cores 1``), so nothing runs beside them. Writes
benchmarks/posttraining.json and benchmarks/posttraining.md.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path


from run import REPO, rerun_records

CONFIG = {
    "name": "posttraining-benchmark",
    "datasets": ["digits"],
    "models": ["dense", "cnn"],
    "regularizers": ["none"],
    "training": {"epochs": 1},
    "pruning": {"methods": ["weight", "wanda", "sparsegpt", "unit_refit"], "k": [0.5, 0.9]},
}
REPEATS = 3
TARGETS = {"seconds": 5.0, "peak_mb": 1000.0}
OUT = REPO / "benchmarks"


def main() -> None:
    runs = rerun_records(CONFIG, "prune", REPEATS, cores=1)  # one job at a time: nothing beside it
    rows = {}
    for records in runs:
        for record in records.itertuples():
            model, method, k = parse(record)
            rows.setdefault((model, method, k), []).append((record.s, record.max_rss))
    results = [{"model": model, "method": method, "k": k,
                "median_s": statistics.median(s for s, _ in values), "runs_s": [s for s, _ in values],
                "peak_mb": max(rss for _, rss in values)}
               for (model, method, k), values in sorted(rows.items())]
    out = {"date": time.strftime("%Y-%m-%d"), "config": CONFIG, "repeats": REPEATS, "targets": TARGETS,
           "jobs": results}
    (OUT / "posttraining.json").write_text(json.dumps(out, indent=2) + "\n")
    (OUT / "posttraining.md").write_text(markdown(out))
    print(markdown(out))


def parse(record) -> tuple[str, str, float]:
    """Model, method and k of a prune job's benchmark record, from its path
    (results/benchmarks/prune/{dataset}/{train_id}/seed{seed}/{scope}/{method}-k{k}.tsv)."""
    method, k = Path(record.path).stem.rsplit("-k", 1)
    return Path(record.path).parts[-4].split("-")[0], method, float(k)


def markdown(out: dict) -> str:
    lines = [f"# Prune jobs without retraining ({out['date']})", "",
             f"`make benchmark-posttraining`: each prune job of the default dense model and the default CNN "
             f"(digits, 4096 calibration images), run {out['repeats']} times alone (`--cores 1`); seconds are "
             f"Snakemake's benchmark record of the whole job (start-up, data, pruning, evaluation on the 10,000 test "
             f"images), median and every run; memory is the peak RSS over the runs. Targets: under "
             f"{out['targets']['seconds']:g} s, under {out['targets']['peak_mb']:g} MB.", "",
             "| model | method | k | median s | runs (s) | peak MB |", "|---|---|---|---|---|---|"]
    for job in out["jobs"]:
        runs = ", ".join(f"{s:.2f}" for s in job["runs_s"])
        lines.append(f"| {job['model']} | {job['method']} | {job['k']:g} | {job['median_s']:.2f} | {runs} | "
                     f"{job['peak_mb']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
