"""The warm interpreter (prunelab.plumbing.warm): a job run in its fork ends as it would in its
own process (output, status, folder, environment, signals), dies with the process Snakemake
started, and runs in that process instead where the fork cannot give what it imports. The
workflow's runs use it throughout; tests/test_faults.py compares a run without it to one with it,
row for row."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from prunelab.plumbing import warm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server as a run on the default training settings starts it; yields its environment."""
    log = tmp_path_factory.mktemp("warm") / "server.log"
    saved = dict(os.environ)
    warm.start(log, {"backend": "tensorflow", "threads": 1, "onednn": False})
    environment = {**os.environ, "PYTHONPATH": str(Path(warm.__file__).parents[2])}  # the jobs' folders differ
    os.environ.clear()
    os.environ.update(saved)
    deadline = time.monotonic() + 120
    while "serving jobs" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    yield environment
    warm.stop()


def job(tmp_path, body, environment, **popen):
    """Start a script that hands itself to the warm interpreter first, as every job script does."""
    script = tmp_path / "job.py"
    script.write_text("from prunelab.plumbing.warm import run_warm\n\nrun_warm()\n" + textwrap.dedent(body))
    return subprocess.Popen([sys.executable, str(script), "an argument"], cwd=tmp_path, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_a_job_in_a_fork_sees_what_its_own_process_would_and_ends_as_it_would(server, tmp_path):
    body = """
        import os, sys
        from prunelab.plumbing import warm
        print(warm._in_fork, os.getpid(), os.getcwd(), sys.argv[1:], os.environ["ASKED"])
        print("to stderr", file=sys.stderr)
        sys.exit(int(os.environ["STATUS"]))
    """
    process = job(tmp_path, body, {**server, "ASKED": "by the job", "STATUS": "3"})
    out, err = process.communicate(timeout=60)
    in_fork, pid, folder, argv, asked = out.split(" ", 4)
    assert (in_fork, folder, argv, asked.strip()) == ("True", str(tmp_path), "['an", "argument'] by the job")
    assert int(pid) != process.pid
    assert err.strip() == "to stderr" and process.returncode == 3

    failing = job(tmp_path, "raise ValueError('a bad value')\n", server)
    _, err = failing.communicate(timeout=60)
    assert failing.returncode == 1 and "ValueError: a bad value" in err


def test_a_signal_to_the_job_reaches_its_fork_and_a_killed_job_takes_its_fork_along(server, tmp_path):
    body = """
        import os, time
        open("fork.pid", "w").write(str(os.getpid()))
        time.sleep(60)
    """
    for stop, expected in ((signal.SIGTERM, -signal.SIGTERM), (signal.SIGKILL, -signal.SIGKILL)):
        (tmp_path / "fork.pid").unlink(missing_ok=True)
        process = job(tmp_path, body, server)
        deadline = time.monotonic() + 60
        while not (tmp_path / "fork.pid").exists() or not (tmp_path / "fork.pid").read_text():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        fork = psutil.Process(int((tmp_path / "fork.pid").read_text()))
        process.send_signal(stop)
        assert process.wait(timeout=30) == expected
        fork.wait(timeout=30)  # gone too


def test_a_job_needing_other_settings_than_the_fork_has_runs_in_its_own_process(server, tmp_path):
    body = """
        import os
        from prunelab.models.backend import import_tensorflow
        from prunelab.plumbing import warm
        tf = import_tensorflow(2, False)
        print(warm._in_fork, os.environ["OMP_NUM_THREADS"], tf.config.threading.get_intra_op_parallelism_threads())
    """
    process = job(tmp_path, body, server)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.split() == ["False", "2", "2"]
    assert "cannot pin threads=2" in err
