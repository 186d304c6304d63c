"""What every job's process sets up: its math libraries' threads, its log, and the record of
the environment that can change results across machines."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def pin_threads(threads: int) -> None:
    """Limit every math library in this process to ``threads`` threads."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)


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
