"""A warm interpreter for a run's jobs: each job's script runs in a fork of one process that has
already imported TensorFlow, Keras, numpy, pandas, matplotlib and seaborn, instead of importing
them anew.

Why: a job that trains for a second spent three more importing TensorFlow (`python -X importtime`:
3.1 s of a 5.8 s smoke training job), and a run starts one process per job; half of the test
suite's CPU was such imports (docs/development.md). A fork starts with them loaded, as
multiprocessing's forkserver and Android's zygote start theirs.

How: the run's Snakemake process starts the server (``start``, from the Snakefile's ``onstart``,
local runs only) and points its jobs at it through ``SOCKET_VARIABLE``. Each job is still its own
process, started by Snakemake as always; its script's first statement (``run_warm``) hands the
job to the server: its command line, folder, environment and standard streams. The server forks
a supervisor per job, which forks the job's process: that process takes the job's streams,
folder and environment and runs the same script file Snakemake wrote, from its first line. The
job's own process waits and exits as the fork did (with its status, or killed by its signal); a
signal it receives (Ctrl-C, Snakemake's stop) is passed on, and if it is killed outright the
supervisor kills the fork. A job whose libraries the server cannot give as the job would import
them (another Keras backend, other threads or oneDNN setting: ``decline``) runs in its own
process instead, from its first line, as does every job when no server answers.

The server preloads libraries only, and only what a job's own process would import the same way
(threads pinned as Snakemake pins them for every job, TensorFlow as ``import_tensorflow`` imports
it for the first model's training); the package's own modules other than this one and the backend's
are imported by each job anew. The server ends with the run (``stop``), or when the Snakemake
process that started it is gone. ``PRUNELAB_WARM_INTERPRETER=0`` runs every job in its own
process, as does a run on a cluster. For a job run in a fork, Snakemake's benchmark record
measures the job's own, waiting process: its wall time is right, its CPU time and memory are not.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import secrets
import selectors
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

SOCKET_VARIABLE = "PRUNELAB_WARM_SOCKET"
SWITCH_VARIABLE = "PRUNELAB_WARM_INTERPRETER"
# the status of a fork that cannot give what its job imports (``decline``): its own process runs it
DECLINED = 75
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_HEADER = struct.Struct("!I")

# True in a job's forked process, so that its script's ``run_warm`` lets it run
_in_fork = False


def enabled() -> bool:
    return os.environ.get(SWITCH_VARIABLE, "1") != "0"


# ---- the job's side ---------------------------------------------------------------------------

def run_warm() -> None:
    """Hand this job's script to the run's warm interpreter and exit as it ends there; return
    (run here) in the fork itself, where no server answers, or where the server declines."""
    name = os.environ.get(SOCKET_VARIABLE)
    if _in_fork or not name:
        return
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect("\0" + name)
    except OSError:
        connection.close()
        return
    request = {"argv": sys.argv, "cwd": os.getcwd(), "env": dict(os.environ)}
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    _send(connection, request, fds=[0, 1, 2])
    previous = {number: signal.signal(number, lambda number, _: _send(connection, {"signal": number}))
                for number in FORWARDED_SIGNALS}
    reply = _receive(connection)
    for number, handler in previous.items():
        signal.signal(number, handler)
    connection.close()
    if reply is None:  # its supervisor is gone, and with it the fork (``_run_job``)
        print("warm interpreter: the job's fork was lost", file=sys.stderr, flush=True)
        os._exit(1)
    if reply.get("declined"):
        return
    status = reply["status"]
    if status < 0:  # the fork was killed by a signal: end the same way
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    os._exit(status)


def decline(reason: str) -> None:
    """Called in a job's fork whose libraries are not what the job needs: it runs in its own
    process instead. A no-op outside a fork."""
    if _in_fork:
        print(f"warm interpreter: {reason}; the job runs in its own process", file=sys.stderr, flush=True)
        os._exit(DECLINED)


# ---- the run's side ---------------------------------------------------------------------------

# the server this process started, if any
_server: subprocess.Popen | None = None


def start(log: Path, training: dict) -> None:
    """Start the server for this run (``training``: a training spec, whose backend, threads and
    oneDNN setting the server imports TensorFlow with) and point the jobs this
    process starts at it; nothing where switched off."""
    global _server
    if not enabled():
        return
    name = f"prunelab-warm-{os.getpid()}-{secrets.token_hex(8)}"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        _server = subprocess.Popen(
            [sys.executable, "-c", "import sys; from prunelab.plumbing.warm import serve; serve(*sys.argv[1:])",
             name, json.dumps(training), str(os.getpid())],
            stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    os.environ[SOCKET_VARIABLE] = name


def stop() -> None:
    """End the server; jobs started from now on run in their own processes."""
    global _server
    os.environ.pop(SOCKET_VARIABLE, None)
    if _server is not None and _server.poll() is None:
        _server.terminate()
        _server.wait()
    _server = None


def preload(training: dict) -> None:
    """Import what jobs import, as they import it; the environment is left as it was (each job
    sets its own, ``import_tensorflow`` included)."""
    environment = dict(os.environ)
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    if training.get("backend", "tensorflow") == "tensorflow":
        from ..models.backend import import_tensorflow

        import_tensorflow(training["threads"], training["onednn"])
        import keras  # noqa: F401
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure  # noqa: F401
    import seaborn  # noqa: F401
    from snakemake import iocontainers, logging  # noqa: F401  (what a script's preamble imports)

    os.environ.clear()
    os.environ.update(environment)


def serve(name: str, training: str, parent: str) -> None:
    """Accept jobs on the abstract socket ``name`` (Linux's: no file, gone with the process)
    until terminated or until process ``parent`` ends."""
    preload(json.loads(training))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + name)
    listener.listen(64)
    listener.settimeout(1.0)
    print(f"serving jobs on {name}", flush=True)
    while os.getppid() == int(parent):
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            _reap()
            continue
        if os.fork() == 0:
            listener.close()
            _supervise(connection)
        connection.close()
        _reap()


def _reap() -> None:
    """Collect the supervisors that have ended."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _supervise(connection: socket.socket) -> None:
    """In a fork of the server: run one job in a fork of this process, pass on the signals its
    own process sends, kill it if that process goes away, and report how it ended."""
    status = 1
    try:
        request, fds = _receive(connection, with_fds=True)
        job = os.fork()
        if job == 0:
            connection.close()
            _run_job(request, fds)
        for fd in fds:
            os.close(fd)
        ended = os.pidfd_open(job)
        selector = selectors.DefaultSelector()
        selector.register(connection, selectors.EVENT_READ)
        selector.register(ended, selectors.EVENT_READ)
        while True:
            ready = {key.fileobj for key, _ in selector.select()}
            if ended in ready:
                break
            message = _receive(connection)
            if message is None:  # the job's own process is gone: so is the job
                os.kill(job, signal.SIGKILL)
                os.waitpid(job, 0)
                os._exit(0)
            os.kill(job, message["signal"])
        _, wait_status = os.waitpid(job, 0)
        status = os.waitstatus_to_exitcode(wait_status)
        _send(connection, {"declined": True} if status == DECLINED else {"status": status})
        status = 0
    finally:
        os._exit(status)


def _run_job(request: dict, fds: list[int]) -> None:
    """In the job's fork: become the job (its streams, folder, environment, command line) and run
    its script from the first line, ending as a Python process running it would."""
    global _in_fork
    _in_fork = True
    code = 1
    # die with the supervisor: a job whose own process can no longer learn how it ended must not
    # go on writing its outputs (PR_SET_PDEATHSIG)
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        import runpy

        try:
            runpy.run_path(sys.argv[0], run_name="__main__")
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if not isinstance(exit_.code, (int, type(None))):
                print(exit_.code, file=sys.stderr)
        except KeyboardInterrupt:
            sys.excepthook(*sys.exc_info())
            code = -signal.SIGINT
        except BaseException:
            sys.excepthook(*sys.exc_info())
            code = 1
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        if code < 0:
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
        os._exit(code)


# ---- messages: a length, then JSON; a request carries the job's standard streams -------------

def _send(connection: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode()
    data = _HEADER.pack(len(data)) + data
    if fds:
        sent = socket.send_fds(connection, [data], list(fds))
        connection.sendall(data[sent:])
    else:
        connection.sendall(data)


def _receive(connection: socket.socket, with_fds: bool = False):
    """The next message (with the descriptors it carried), or None at the end of the stream."""
    fds: list[int] = []
    if with_fds:
        try:
            header, fds, _, _ = socket.recv_fds(connection, _HEADER.size, 3)
        except ConnectionError:
            header = b""
        header += _read(connection, _HEADER.size - len(header)) if header else b""
    else:
        header = _read(connection, _HEADER.size)
    body = _read(connection, _HEADER.unpack(header)[0]) if len(header) == _HEADER.size else b""
    message = json.loads(body) if body else None
    return (message, fds) if with_fds else message


def _read(connection: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes, or b"" where the stream ends first."""
    data = b""
    while len(data) < size:
        try:
            chunk = connection.recv(size - len(data))
        except ConnectionError:
            chunk = b""
        if not chunk:
            return b""
        data += chunk
    return data
