"""The app served as scripts/run (`make run`) serves it, for the benchmarks that measure it over
loopback (portal_signup.py, api_read.py): SQLite in a fresh HEADEND_VAR_DIR, migrate, load_demo
and collectstatic, then gunicorn with scripts/run's workers, threads, access log and logger.
Every process started is in its own session and is stopped on the way out, also on failure."""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx
from tests import template_db

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the venv `make bench` runs in: its python and gunicorn
READY = "/healthz"  # answered once gunicorn serves the app


def environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the stack's processes: SQLite in `var_dir`, whatever database a
    benchmark run was pointed at (as tests/e2e/test_default_install.py starts scripts/run);
    `extra` adds or overrides variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "HEADEND_RADIUS_DATABASE_URL", "HEADEND_TASK_BACKEND")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="headend.settings",
        HEADEND_VAR_DIR=str(var_dir),
        HEADEND_RELAY_ON_COMMIT="0",  # scripts/run: its relay loop publishes the outbox
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


# A var dir prepared once in this `make bench` run, copied for every later benchmark that serves.
_prepared: list[Path] = []


def prepare(env: dict[str, str], log: Path) -> None:
    """scripts/run's set-up before it serves: the schema and the demo provider, with the static
    files collected meanwhile (they touch no database, and compressing them is the longest part).
    The first benchmark of a run does it; the next ones get a copy of what it made (the same
    commands on the same code make the same files), not another minute of migrating."""
    var_dir = Path(env["HEADEND_VAR_DIR"])
    if _prepared:
        shutil.copytree(_prepared[0], var_dir, dirs_exist_ok=True)
        return
    collect = manage(env, log, "collectstatic", "--noinput", "-v0")
    try:
        # Start from a test run's template if one was built for this code; migrate
        # then applies nothing (or everything, without one).
        var_dir.mkdir(parents=True, exist_ok=True)
        template_db.copy_sqlite_if_built(var_dir / "headend.sqlite3")
        for command in (["migrate", "--noinput"], ["load_demo"]):
            finished(manage(env, log, *command), log)
        finished(collect, log)
    finally:
        stop(collect)
    kept = Path(tempfile.mkdtemp(prefix="headend-bench-prepared-")) / "var"
    shutil.copytree(var_dir, kept, ignore=shutil.ignore_patterns("*.log"))
    atexit.register(shutil.rmtree, kept.parent, ignore_errors=True)
    _prepared.append(kept)


def manage(env: dict[str, str], log: Path, *command: str) -> subprocess.Popen:
    """`manage.py COMMAND` in its own session, its output appended to `log`."""
    return python(env, log, "manage.py", *command)


def python(env: dict[str, str], log: Path, *arguments: str, stdout: int | None = None) -> subprocess.Popen:
    """The venv's python with `arguments` in its own session; its output appended to `log`
    (stdout to a pipe instead when `stdout` is subprocess.PIPE)."""
    with log.open("a") as out:
        return subprocess.Popen(
            [str(BIN / "python"), *arguments],
            cwd=ROOT,
            env=env,
            stdout=out if stdout is None else stdout,
            stderr=subprocess.STDOUT if stdout is None else out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def finished(process: subprocess.Popen, log: Path, timeout: float = 900) -> None:
    """Wait for `process`; a failure raises with the end of the log."""
    try:
        process.wait(timeout)
    finally:
        stop(process)
    if process.returncode != 0:
        raise RuntimeError(f"{process.args!r} failed ({process.returncode}):\n{tail(log)}")


def tail(log: Path, lines: int = 60) -> str:
    """The end of a server log, for the error itself: CI keeps the output, not the temporary files."""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    {line}" for line in text)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served(NamedTuple):
    url: str
    pid: int  # gunicorn's master: its children are the workers


def workers_cpu(master: int) -> dict[int, float]:
    """The CPU seconds (user and system) each process `master` started has used so far, by pid:
    with requests counted, what a request costs the server whichever worker served it."""
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == master:  # ppid; then utime and stime are the 12th and 13th after ")"
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


@contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path) -> Iterator[Served]:
    """gunicorn as scripts/run serves the app (2 workers of 4 threads, its access log), in its
    own session; stopped with all its workers on the way out, however the block ends."""
    with log.open("a") as out:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "headend.wsgi",
                "--pythonpath",
                "src",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
                "--logger-class",
                "headend.core.redact.GunicornLogger",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_serving(server, url, log)
        yield Served(url, server.pid)
    finally:
        stop(server)


def _wait_serving(server: subprocess.Popen, url: str, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}):\n{tail(log)}")
        try:
            if httpx.get(url + READY, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"gunicorn did not serve {READY} within {timeout:.0f} s:\n{tail(log)}")


def stop(process: subprocess.Popen) -> None:
    """TERM to the process's group (gunicorn's master and workers), KILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
    except ProcessLookupError:
        pass
