"""How the benchmarks write a timing: the median of its runs, then every run, so its spread shows."""

from __future__ import annotations

import statistics


def median_and_runs(times: list[float], digits: int) -> str:
    """'1.23 (1.20, 1.23, 1.31)': the median and each run, to ``digits`` decimals."""
    return f"{statistics.median(times):.{digits}f} ({', '.join(f'{t:.{digits}f}' for t in times)})"
