"""How many jobs each shipped config plans from an empty folder: the default (config.yaml), the
test configs that plan on their own, and every preset (snakemake --dry-run, no job runs).

    PYTHONPATH=workflow python benchmarks/job_counts.py [--out benchmarks/job_counts.md]

The test fixtures that first make files (an own dataset, a model trained elsewhere, a CIFAR-10
archive) are planned by tests/test_budget.py, against the budgets in tests/conftest.py. Counts
are those of Snakemake's "Job stats" table, its "all" job included.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
CONFIGS = {"default": ()} | {
    f"tests/{name}": tuple(TESTS / part for part in parts) for name, parts in {
        "smoke.yaml": ("smoke.yaml",), "smoke-cnn.yaml": ("smoke-cnn.yaml",),
        "smoke-methods.yaml": ("smoke-methods.yaml",),
        "smoke-methods.yaml + smoke-jax.yaml": ("smoke-methods.yaml", "smoke-jax.yaml"),
        "smoke-resnet.yaml": ("smoke-resnet.yaml",)}.items()
} | {f"presets/{path.name}": (path,) for path in sorted((REPO / "presets").glob("*.yaml"))}


def planned(configfiles: tuple[Path, ...]) -> dict[str, int]:
    """The 'Job stats' table of a dry run from an empty folder, as {rule: count}."""
    with tempfile.TemporaryDirectory(prefix="job-counts-") as folder:
        command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", folder,
                   "--dry-run", *(["--configfile", *map(str, configfiles)] if configfiles else [])]
        result = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if result.returncode != 0:
        raise RuntimeError(f"{configfiles}: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    table = result.stdout.split("Job stats:", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table here (markdown)")
    args = parser.parse_args()
    lines = ["| config | jobs | prune | evaluate_unpruned | export |", "|---|---|---|---|---|"]
    for name, configfiles in CONFIGS.items():
        jobs = planned(configfiles)
        exports = sum(count for rule, count in jobs.items() if rule.startswith("export"))
        lines.append(f"| {name} | {sum(jobs.values())} | {jobs.get('prune', 0)} | "
                     f"{jobs.get('evaluate_unpruned', 0)} | {exports} |")
        print(lines[-1], flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
