"""A throwaway PostgreSQL server for the scripts (``bench.py``, ``stress.py``) and the tests.

``initdb`` into a temporary folder, listening on a unix socket there only (no TCP),
fsync off, stopped and removed on exit; run as the ``postgres`` user when we are
root (the server refuses root). ``tests/pgserver.py`` offers it to the suite.

A server stops by itself: a watchdog (a detached child) stops it and removes its folder
as soon as the process that started it is gone, however that process ended (SIGKILL
included), and after ``MAX_LIFETIME`` seconds in any case.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: No throwaway server outlives this, whatever happens to the process that started it.
MAX_LIFETIME = 3 * 3600

#: The watchdog: PARENT TOP LIFETIME then the stop command. It forks at once, so that what
#: starts it waits for nothing; then polls for the parent twice a second.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
if os.fork():
    os._exit(0)
parent, top, deadline = int(sys.argv[1]), sys.argv[2], time.monotonic() + float(sys.argv[3])
while os.path.exists(top) and time.monotonic() < deadline:
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        break
    time.sleep(0.5)
if os.path.exists(top):
    subprocess.run(sys.argv[4:], cwd=top, capture_output=True)
    shutil.rmtree(top, ignore_errors=True)
"""


class NoServer(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` (Debian's layout), else ``pg_config --bindir``."""
    found = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda b: tuple(int(x) for x in re.findall(r"\d+", b.parent.name)),
    )
    if found:
        return found[-1]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").is_file():
            return Path(out)
    return None


class Server:
    def __init__(self, sockdir: Path, port: int) -> None:
        self.sockdir = sockdir
        self.port = port
        self._numbers = iter(range(1, 1_000_000))

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.sockdir}&port={self.port}"

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(host=str(self.sockdir), port=self.port, user="postgres", dbname=dbname, autocommit=True)

    def create_database(self, prefix: str = "interpdb") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{next(self._numbers)}"
        with psycopg.connect(
            host=str(self.sockdir), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as(user: pwd.struct_passwd | None, argv: Sequence[str | Path]) -> list[str]:
    command = [str(a) for a in argv]
    return ["runuser", "-u", user.pw_name, "--", *command] if user is not None else command


def _run_as(user: pwd.struct_passwd | None, argv: Sequence[str | Path], cwd: Path) -> None:
    # cwd: a folder the server user may enter (initdb and pg_ctl look at their working directory).
    subprocess.run(_as(user, argv), cwd=cwd, check=True, capture_output=True, text=True)


@contextmanager
def throwaway_server() -> Iterator[Server]:
    bindir = find_bindir()
    if bindir is None:
        raise NoServer("no PostgreSQL server binaries (no /usr/lib/postgresql/*/bin/initdb, no pg_config)")
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise NoServer("psycopg is not installed (pip install 'interpdb[postgres]')") from error
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as error:
            raise NoServer("running as root and there is no 'postgres' user to run the server as") from error
    top = Path(tempfile.mkdtemp(prefix="interpdb-pg-"))
    top.chmod(0o755)
    if user is not None:
        os.chown(top, user.pw_uid, user.pw_gid)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data, log = top / "data", top / "server.log"
    options = (
        f"-c listen_addresses='' -k {shlex.quote(str(top))} -p {port}"
        " -c fsync=off -c full_page_writes=off -c max_connections=200"
    )
    started = False
    try:
        try:
            initdb = [bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"]
            _run_as(user, [*initdb, "--no-sync"], top)
            stop = _as(user, [bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
            subprocess.run(
                [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(top), str(MAX_LIFETIME), *stop],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                check=True,
            )
            _run_as(user, [bindir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "-o", options, "start"], top)
        except subprocess.CalledProcessError as error:
            tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
            raise NoServer(f"cannot start PostgreSQL: {error.stderr.strip()[-300:]} {tail}") from error
        started = True
        yield Server(top, port)
    finally:
        if started:
            _run_as(user, [bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], top)
        shutil.rmtree(top, ignore_errors=True)
