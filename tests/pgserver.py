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
import sys
from collections.abc import Iterator
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

# The one way a throwaway server is started (with its watchdog), shared with scripts/bench.py
# and scripts/stress.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from _pgserver import NoServer, Server, find_bindir, throwaway_server  # noqa: E402

BINDIR = find_bindir()


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


SERVER_USER = _server_user()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A throwaway PostgreSQL for the session, listening only on a unix socket in a temporary folder."""
    reason = unavailable()
    if reason is not None:
        no_server(reason)
    try:
        with throwaway_server() as server:
            yield server
    except NoServer as error:
        pytest.fail(str(error))


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
