"""Snakemake's command line run in a fork of a process that has imported Snakemake
(multiprocessing's forkserver, ``tests/conftest.py``'s ``snakemake``): the tests start about 70
Snakemake runs and dry runs, and each used to spend 1.2 of a dry run's 2.7 s importing it."""

import os
import sys


def run(arguments: list[str], environment: dict, stdout: str, stderr: str) -> None:
    """Be ``python -m snakemake *arguments`` with ``environment``, writing to the files given."""
    os.environ.clear()
    os.environ.update(environment)
    for fd, path in ((1, stdout), (2, stderr)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(handle, fd)
        os.close(handle)
    sys.argv = ["snakemake", *arguments]
    from snakemake.cli import main

    main(arguments)
