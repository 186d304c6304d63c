"""What every job's process sets up: its math libraries' threads, its log, and the record of
the environment that can change results across machines."""

from __future__ import annotations

import contextlib
import fcntl
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def pin_threads(threads: int) -> None:
    """Limit every math library in this process to ``threads`` threads."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)


# the lock files of the CPUs this process holds, open for its whole life (closing one frees it)
_HELD_CPUS: dict[int, object] = {}


def claim_cpus(count: int, directory: Path | None = None) -> set[int] | None:
    """Bind this process to ``count`` CPUs no other job on the machine holds, for a library whose
    thread pools no setting bounds: XLA's CPU runtime runs a "one-thread" JAX training on every
    core it may use (jax-ml/jax#1539; measured here: up to 1.85 cores), which Snakemake, counting
    the job's declared threads, cannot know. Each CPU is claimed by an exclusive lock on a file
    (``directory``, default the system's temporary folder), held until the process ends, so
    concurrent jobs of any workflow on the machine take different CPUs. Returns the CPUs bound,
    or None where the process stays free to use all of them: ``count`` covers every CPU, or too
    few are free (jobs' threads add up to more than the machine's CPUs, as with ``--cores 4`` on
    two, when binding one job to a shared CPU would only slow it down). Whether bound or not, the
    library must start seeing ``count`` CPUs (``cpus_seen_at_start``): XLA splits a convolution's
    sums by them, so a CNN's weights would follow how many CPUs were free."""
    available = sorted(os.sched_getaffinity(0))
    if count >= len(available):
        return None
    directory = directory or Path(tempfile.gettempdir()) / "prunelab-cpus"
    directory.mkdir(parents=True, exist_ok=True)
    claimed = {}
    for cpu in available:
        try:
            handle = open(directory / f"cpu{cpu}.lock", "a")
        except OSError:  # another user's lock file: not ours to take
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by a running job
            handle.close()
            continue
        claimed[cpu] = handle
        if len(claimed) == count:
            break
    if len(claimed) < count:
        for handle in claimed.values():
            handle.close()
        return None
    _HELD_CPUS.update(claimed)
    os.sched_setaffinity(0, set(claimed))
    return set(claimed)


@contextlib.contextmanager
def cpus_seen_at_start(count: int):
    """Inside the block the process may use only ``count`` of its CPUs; afterwards every thread,
    those started inside included, may use all of them again. For a library that sizes its thread
    pools by the CPUs it may use when it starts, and splits its work, sums included, by that
    size: XLA's CPU client, started inside, then computes the same bits whether the job was
    bound to free CPUs or shares every CPU (a JAX CNN's weights differed between the two,
    measured: docs/performance.md)."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(sorted(allowed)[:count]))
    try:
        yield
    finally:
        for thread in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError):  # a thread that has ended since
                os.sched_setaffinity(int(thread), allowed)


def environment_record(packages: tuple[str, ...] = ("numpy",)) -> dict:
    """What can change results across machines: versions, CPU, thread settings."""
    versions = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_bound": sorted(os.sched_getaffinity(0)),
        "packages": versions,
        "threads": {v: os.environ.get(v) for v in THREAD_VARIABLES},
        "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        **{name: os.environ[name] for name in ("KERAS_BACKEND", "XLA_FLAGS") if name in os.environ},
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def script_logger(log_path: str, name: str = "prunelab"):
    """A logger writing to the job's Snakemake log file (and stderr), with timestamps.

    An uncaught exception is logged there too, so a failed job's log says why.
    """
    import logging

    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    for handler in (logging.FileHandler(log_path, mode="w"), logging.StreamHandler()):
        handler.setFormatter(formatter)
        logger.addHandler(handler)

    def log_uncaught(kind, error, trace):
        logger.critical("job failed", exc_info=(kind, error, trace))

    sys.excepthook = log_uncaught
    return logger
