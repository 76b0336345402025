"""A throwaway PostgreSQL server for the scripts (``bench.py``, ``stress.py``).

``initdb`` into a temporary folder, listening on a unix socket there only (no TCP),
fsync off, stopped and removed on exit; run as the ``postgres`` user when we are
root (the server refuses root). ``tests/test_postgres.py`` starts its own the same way.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


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

    def create_database(self, prefix: str = "interpdb") -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"{prefix}_{next(self._numbers)}"
        with psycopg.connect(
            host=str(self.sockdir), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _run_as(user: pwd.struct_passwd | None, argv: Sequence[str | Path], cwd: Path) -> None:
    command = [str(a) for a in argv]
    if user is not None:
        command = ["runuser", "-u", user.pw_name, "--", *command]
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)


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
    options = f"-c listen_addresses='' -k {shlex.quote(str(top))} -p {port} -c fsync=off -c max_connections=200"
    started = False
    try:
        try:
            initdb = [bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]
            _run_as(user, initdb, top)
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
