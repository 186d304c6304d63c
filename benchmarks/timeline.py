"""Where a run's cores sat idle: the machine's busy share over the run (/proc/stat) and each
rule's jobs on a timeline (from Snakemake's log: when each job started and finished).

    PYTHONPATH=workflow python benchmarks/timeline.py WORKDIR   (the run's newest log)

``benchmarks/run.py`` measures the default sweep's busy share this way and writes its timeline
into benchmarks/latest.md.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path

_STAMP = r"\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]"
_STARTED = re.compile(_STAMP + r"\n(?:local)?(?:rule|checkpoint) (\w+):\n(?:    .*\n)*?    jobid: (\d+)")
_FINISHED = re.compile(_STAMP + r"\nFinished jobid: (\d+) \(Rule: (\w+)\)")


class CpuTimes:
    """The machine's CPU time so far, busy and idle (all cores, /proc/stat's first line)."""

    def __init__(self):
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        self.idle = fields[3] + fields[4]  # idle and waiting for I/O
        self.total = sum(fields[:8])  # user nice system idle iowait irq softirq steal

    def busy_share_since(self, earlier: CpuTimes) -> float:
        total = self.total - earlier.total
        return 1 - (self.idle - earlier.idle) / total if total else 0.0


def job_spans(log: Path) -> list[dict]:
    """Every job of a Snakemake log with its rule, start and end (seconds after the first job's
    start; the log's stamps are whole seconds)."""
    text = log.read_text()
    started = {int(jobid): (rule, _seconds(stamp)) for stamp, rule, jobid in _STARTED.findall(text)}
    finished = {int(jobid): _seconds(stamp) for stamp, jobid, _ in _FINISHED.findall(text)}
    origin = min((start for _, start in started.values()), default=0.0)
    return [{"rule": rule, "start": start - origin, "end": finished[jobid] - origin}
            for jobid, (rule, start) in sorted(started.items()) if jobid in finished and rule != "all"]


def _seconds(stamp: str) -> float:
    return datetime.strptime(" ".join(stamp.split()), "%a %b %d %H:%M:%S %Y").timestamp()


def by_rule(spans: list[dict]) -> list[dict]:
    """Per rule, in order of first start: its jobs, first start, last end and job-seconds."""
    rules: dict[str, dict] = {}
    for span in spans:
        rule = rules.setdefault(span["rule"], {"rule": span["rule"], "jobs": 0, "first_start": span["start"],
                                               "last_end": span["end"], "job_s": 0.0})
        rule["jobs"] += 1
        rule["first_start"] = min(rule["first_start"], span["start"])
        rule["last_end"] = max(rule["last_end"], span["end"])
        rule["job_s"] += span["end"] - span["start"]
    return sorted(rules.values(), key=lambda rule: rule["first_start"])


def running(spans: list[dict], step: float) -> list[tuple[float, dict[str, int]]]:
    """How many jobs of each rule ran at each ``step`` seconds of the run."""
    end = max((span["end"] for span in spans), default=0.0)
    samples = []
    moment = 0.0
    while moment <= end:
        counts: dict[str, int] = {}
        for span in spans:
            if span["start"] <= moment < span["end"]:
                counts[span["rule"]] = counts.get(span["rule"], 0) + 1
        samples.append((moment, counts))
        moment += step
    return samples


def markdown(spans: list[dict], step: float = 30.0) -> list[str]:
    lines = ["| rule | jobs | first start (s) | last end (s) | job-seconds |", "|---|---|---|---|---|"]
    lines += [f"| {r['rule']} | {r['jobs']} | {r['first_start']:.0f} | {r['last_end']:.0f} | {r['job_s']:.0f} |"
              for r in by_rule(spans)]
    lines += ["", f"Jobs running every {step:.0f} s (rule: count):", ""]
    lines += [f"- {moment:4.0f} s: " + (", ".join(f"{rule} {count}" for rule, count in counts.items()) or "none")
              for moment, counts in running(spans, step)]
    return lines


def newest_log(workdir: Path) -> Path:
    return max((workdir / ".snakemake" / "log").glob("*.snakemake.log"))


if __name__ == "__main__":
    print("\n".join(markdown(job_spans(newest_log(Path(sys.argv[1]))))))
