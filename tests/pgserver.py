"""A throwaway PostgreSQL server for the tests: one per session, a new database per test.

``initdb`` into a temporary folder, listening on a unix socket only, fsync off, as the
``postgres`` user when we are root (the server refuses root). ``postgres_server`` and
``postgres`` are fixtures that ``conftest.py`` offers to every module (one server for the
whole session); ``from_template`` copies a database already migrated to the head
(``CREATE DATABASE ... TEMPLATE``), which is how ``conftest``'s ``backend`` fixture gives
each backend-parametrized test a store of its own. Where no server can be had, the
fixtures skip saying why, and under CI (``CI`` set) fail instead: CI must test against a
real server (``.ci/run`` installs Debian's ``postgresql``).
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from interpdb.location import ENV_VAR


def no_server(reason: str, module: bool = False) -> None:
    """Skip, saying why; under CI (``CI`` set) fail the run instead."""
    if os.environ.get("CI"):
        pytest.fail(f"CI cannot run the PostgreSQL tests: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install 'psycopg[binary]'"
    if BINDIR is None:
        return "no PostgreSQL server binaries (no /usr/lib/postgresql/*/bin/initdb, no pg_config --bindir)"
    if os.geteuid() == 0 and SERVER_USER is None:
        return "running as root and there is no 'postgres' user: initdb and postgres refuse root"
    return None


# -- the server ------------------------------------------------------------------------------


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.name))


def _find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` (Debian's layout), else ``pg_config --bindir``."""
    found = sorted(
        (p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")), key=lambda b: _version_key(b.parent)
    )
    if found:
        return found[-1]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").is_file() and (Path(out) / "pg_ctl").is_file():
            return Path(out)
    return None


def _server_user() -> pwd.struct_passwd | None:
    """Whom to run initdb and postgres as: ``postgres`` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


BINDIR = _find_bindir()
SERVER_USER = _server_user()


def _as_server_user(argv: Sequence[str | Path], cwd: Path) -> None:
    command = [str(a) for a in argv]
    if SERVER_USER is not None:
        runuser = shutil.which("runuser")
        if runuser is not None:
            command = [runuser, "-u", SERVER_USER.pw_name, "--", *command]
        else:
            command = ["su", SERVER_USER.pw_name, "-s", "/bin/sh", "-c", shlex.join(command)]
    # cwd: a folder the server user may enter (initdb and pg_ctl look at their working directory).
    subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    """A running server: its socket directory and the port number that names the socket."""

    sockdir: Path
    port: int

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.sockdir}&port={self.port}"

    def connect(self, dbname: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(host=str(self.sockdir), port=self.port, user="postgres", dbname=dbname, autocommit=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A throwaway PostgreSQL for the session, listening only on a unix socket in a temporary folder.

    The folder is made outside pytest's (root-only) tmp tree and handed to the
    server user when we are root; it is 0755 so the socket in it can be reached.
    """
    reason = unavailable()
    if reason is not None:
        no_server(reason)
    assert BINDIR is not None
    top = Path(tempfile.mkdtemp(prefix="interpdb-pg-"))
    top.chmod(0o755)
    if SERVER_USER is not None:
        os.chown(top, SERVER_USER.pw_uid, SERVER_USER.pw_gid)
    data, log, port = top / "data", top / "server.log", _free_port()
    options = f"-c listen_addresses='' -k {shlex.quote(str(top))} -p {port} -c fsync=off -c full_page_writes=off"
    started = False
    try:
        _as_server_user(
            [BINDIR / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            top,
        )
        _as_server_user([BINDIR / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "30", "-o", options, "start"], top)
        started = True
        yield Server(top, port)
    except subprocess.CalledProcessError as error:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        pytest.fail(f"cannot start PostgreSQL: {shlex.join(error.cmd)}: {error.stderr}\n{tail}")
    finally:
        try:
            if started:
                _as_server_user([BINDIR / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], top)
        finally:
            shutil.rmtree(top, ignore_errors=True)


_database_numbers = itertools.count(1)


@dataclass(frozen=True)
class Database:
    server: Server
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        """Straight through psycopg: what is there, without interpdb upgrading anything first."""
        with self.server.connect(self.name) as conn:
            return [tuple(row) for row in conn.execute(query).fetchall()]


def _create_database(server: Server) -> Database:
    database = Database(server, f"interpdb_{next(_database_numbers)}")
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{database.name}"')
    return database


@pytest.fixture
def postgres(postgres_server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A new, empty database of the test's own, and ``INTERPDB_DB`` pointing at it."""
    database = _create_database(postgres_server)
    monkeypatch.setenv(ENV_VAR, database.url)
    yield database
    with postgres_server.connect() as conn:
        conn.execute(f'DROP DATABASE "{database.name}" WITH (FORCE)')


TEMPLATE = "interpdb_template"


@pytest.fixture(scope="session")
def postgres_template(postgres_server: Server) -> str:
    """A database migrated to the head, with no rows: what each backend-parametrized test's
    store is copied from (a copy costs a file copy; migrating costs Alembic, every time)."""
    from interpdb.location import resolve
    from interpdb.store import gate

    with postgres_server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    gate.open_write(resolve(postgres_server.url(TEMPLATE))).close()
    return TEMPLATE


def from_template(server: Server, template: str) -> Database:
    """A new database holding what ``template`` holds."""
    database = Database(server, f"interpdb_{next(_database_numbers)}")
    with server.connect() as conn:
        conn.execute(f'CREATE DATABASE "{database.name}" TEMPLATE "{template}"')
    return database


def drop(database: Database) -> None:
    with database.server.connect() as conn:
        conn.execute(f'DROP DATABASE "{database.name}" WITH (FORCE)')
