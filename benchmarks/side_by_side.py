"""The default MLP's training, alone and two at once on the machine: what running trainings side
by side costs each of them, with Adam (the default) and with plain SGD.

    make benchmark-side-by-side        (PYTHONPATH=workflow python benchmarks/side_by_side.py)

Why: the default run trains its six MLPs one thread each, side by side (issue 41 asks the workflow
to take at most 0.8x the plain script's time). Each training goes through prunelab's own ``fit`` as
the default config trains it (784-1000-1000-500-200-10, batch 128, 1 thread, oneDNN off, 10,000
images held out for validation) for three epochs on 50,000 random 28x28 images, in a fresh process;
"two at once" starts two such processes together. The figure is each process's median of its
second and third epochs (the first traces the step); two runs of each way, alternating. Run it
with nothing else running. Writes benchmarks/side_by_side.json and .md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from spread import median_and_runs

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "benchmarks"
IMAGES, EPOCHS, RUNS = 50_000, 3, 2

TRAINING = f"""
import json, logging, statistics, sys
import numpy as np
import yaml
from prunelab.models.training import fit
from prunelab.plumbing.config import merge_config, validate_config
from prunelab.plumbing.plan import training_specs

rng = np.random.default_rng(0)
pixels = rng.integers(0, 256, size=({IMAGES}, 28, 28), dtype=np.uint8)
labels = rng.integers(0, 10, {IMAGES})
config = merge_config(yaml.safe_load(open("config.yaml")),
                      {{"datasets": ["digits"], "regularizers": ["none"], "training": json.loads(sys.argv[1])}})
[spec] = training_specs(validate_config(config)).values()
_, history = fit(pixels, labels, spec=spec, seed=0, log=logging.getLogger(), epochs={EPOCHS},
                 learning_rate=spec["learning_rate"], batch_size=spec["batch_size"])
print(json.dumps({{"epoch_s": statistics.median(row["seconds"] for row in history[1:])}}))
"""

OPTIMIZERS = {"Adam (the default)": {}, "SGD": {"optimizer": "sgd"}}


def epoch_seconds(training: dict, at_once: int) -> list[float]:
    """Each of ``at_once`` trainings started together: its median epoch after the first."""
    processes = [subprocess.Popen([sys.executable, "-c", TRAINING, json.dumps(training)], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, cwd=REPO,
                                  env={"PYTHONPATH": str(REPO / "workflow"), "PATH": os.environ["PATH"]})
                 for _ in range(at_once)]
    outputs = [process.communicate()[0] for process in processes]
    if any(process.returncode for process in processes):
        raise RuntimeError("a training failed")
    return [json.loads(output.strip().splitlines()[-1])["epoch_s"] for output in outputs]


def main() -> None:
    ways = [(optimizer, at_once) for optimizer in OPTIMIZERS for at_once in (1, 2)]
    times = {way: [] for way in ways}
    for _ in range(RUNS):
        for way in ways:
            times[way] += epoch_seconds(OPTIMIZERS[way[0]], way[1])
            print(way, [round(t, 2) for t in times[way]], flush=True)
    record = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "images": IMAGES,
              "seconds": {f"{optimizer}, {at_once} at once": [round(t, 2) for t in runs]
                          for (optimizer, at_once), runs in times.items()}}
    (OUT / "side_by_side.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [f"# The default MLP's training alone and two at once ({record['date']})", "",
             f"`make benchmark-side-by-side` (benchmarks/side_by_side.py): prunelab's `fit` as the default config "
             f"trains the MLP (1 thread, oneDNN off), {IMAGES:,} random 28x28 images (10,000 of them validation), "
             f"each process's median epoch after the first, {RUNS} runs of each way alternating (two at once: both "
             f"processes' figures), {record['cpus']} CPUs, nothing else running.", "",
             "| optimizer | trainings at once | epoch s, median (each) | against alone |", "|---|---|---|---|"]
    for (optimizer, at_once), runs in times.items():
        alone = statistics.median(times[optimizer, 1])
        lines.append(f"| {optimizer} | {at_once} | {median_and_runs(runs, 2)} | {statistics.median(runs) / alone:.2f}x |")
    (OUT / "side_by_side.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
