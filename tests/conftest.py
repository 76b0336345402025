"""Shared fixtures: an isolated database per test, real interpreters, real venvs.

No test touches a real user database: ``INTERPDB_DB``, ``XDG_DATA_HOME`` and
``XDG_CACHE_HOME`` (and ``XDG_CONFIG_HOME``) point into ``tmp_path`` for every test (autouse).
"""

from __future__ import annotations

import inspect
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings
from pgserver import Database, drop, from_template, postgres, postgres_server, postgres_template  # noqa: F401

from interpdb.cli import cli

BACKENDS = ("sqlite", "postgresql")

settings.register_profile("ci", max_examples=200, deadline=None)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

PYENV_ROOT = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
EXPECTED_PYENV = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13")


def pyenv_pythons() -> dict[str, Path]:
    """``{"3.12": .../versions/3.12.1/bin/python3.12, ...}``: the newest install of each line."""
    found: dict[str, Path] = {}
    versions = PYENV_ROOT / "versions"
    if not versions.is_dir():
        return found
    for folder in sorted(versions.iterdir(), key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")]):
        parts = folder.name.split(".")
        if len(parts) < 2 or not all(p.isdigit() for p in parts):
            continue  # a pyenv-virtualenv env or another implementation
        line = ".".join(parts[:2])
        binary = folder / "bin" / f"python{line}"
        if binary.exists():
            found[line] = binary
    return found


PYTHONS = pyenv_pythons()


def python_for(line: str) -> Path:
    if line not in PYTHONS:
        pytest.skip(f"Python {line} is not installed under {PYENV_ROOT}/versions")
    return PYTHONS[line]


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "interpdb.sqlite3"
    monkeypatch.setenv("INTERPDB_DB", str(db))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # the virtualenv plugin's answers
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))  # a generated host id (interpdb.hostid)
    monkeypatch.delenv("INTERPDB_HOST", raising=False)  # this machine's own identity unless a test says
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables fit 80 columns when stdout is not a terminal
    return db


@pytest.fixture
def db_path(_isolated_db: Path) -> Path:
    return _isolated_db


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of our own, so tests can create user site directories."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("PYTHONUSERBASE", raising=False)
    return home


@pytest.fixture
def base_python() -> Path:
    """A real base interpreter for tests that need one, preferring 3.12."""
    for line in ("3.12", "3.11", "3.13", "3.10"):
        if line in PYTHONS:
            return PYTHONS[line]
    return Path(sys.executable)


@pytest.fixture
def make_venv(tmp_path: Path, base_python: Path) -> Callable[..., Path]:
    """Create a real venv (``--without-pip``) and return its ``bin/python``."""

    def make(name: str = "venv", python: Path | None = None, *options: str) -> Path:
        target = tmp_path / name
        subprocess.run([str(python or base_python), "-m", "venv", "--without-pip", *options, str(target)], check=True)
        return target / "bin" / "python"

    return make


def write_script(path: Path, body: str) -> Path:
    """A fake interpreter: a small shell script."""
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def exe(path: Path) -> str:
    """A fake interpreter at ``path`` (parents made): a small shell script, mode 755."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(write_script(path, "exit 0"))


def link(path: Path, target: str | Path) -> str:
    """A symlink at ``path`` (parents made) to ``target``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return str(path)


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of one SQL statement against a SQLite file, read outside interpdb."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def fake(tmp_path: Path) -> Callable[[str, str], Path]:
    def make(name: str, body: str) -> Path:
        return write_script(tmp_path / name, body)

    return make


def cli_runner() -> CliRunner:
    """A ``CliRunner`` whose ``stdout`` is stdout alone, on every click the suite meets."""
    kwargs: dict[str, Any] = {}
    if "mix_stderr" in inspect.signature(CliRunner).parameters:  # click < 8.2 mixes by default
        kwargs["mix_stderr"] = False
    return CliRunner(**kwargs)


class Cli:
    """Run ``interpdb`` in-process and count what it wrote (``server``: the PostgreSQL
    database it writes instead of the SQLite file ``db``)."""

    def __init__(self, db: Path, server: Database | None = None) -> None:
        self.db = db
        self.server = server
        self.runner = cli_runner()

    def __call__(self, *args: str | os.PathLike[str], code: int | None = 0) -> Result:
        result = self.runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str | os.PathLike[str], code: int | None = 0) -> Any:
        result = self(*args, "--format", "json", code=code)
        return json.loads(result.stdout)

    def probes(self, path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
        """Every probe row (oldest first), optionally for one path, as SQLite holds them
        (on PostgreSQL too: times as SQLite's text, booleans as 0/1, JSON as its text)."""
        if self.server is not None:
            return self._server_probes(path)
        if not self.db.exists():
            return []
        conn = sqlite3.connect(self.db)
        conn.row_factory = sqlite3.Row
        try:
            sql = "SELECT p.*, i.path FROM probes p JOIN interpreters i ON i.id = p.interpreter_id"
            params: tuple[str, ...] = ()
            if path is not None:
                sql += " WHERE i.path = ?"
                params = (os.path.abspath(path),)
            return [dict(row) for row in conn.execute(sql + " ORDER BY p.id", params)]
        finally:
            conn.close()

    def _server_probes(self, path: str | os.PathLike[str] | None) -> list[dict[str, Any]]:
        from datetime import datetime

        from psycopg.rows import dict_row

        assert self.server is not None
        sql = "SELECT p.*, i.path FROM probes p JOIN interpreters i ON i.id = p.interpreter_id"
        params: tuple[str, ...] = ()
        if path is not None:
            sql += " WHERE i.path = %s"
            params = (os.path.abspath(path),)
        with self.server.server.connect(self.server.name) as conn:
            rows = conn.cursor(row_factory=dict_row).execute(sql + " ORDER BY p.id", params).fetchall()

        def as_sqlite(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.strftime("%Y-%m-%d %H:%M:%S.%f")
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, (dict, list)):
                return json.dumps(value)
            return value

        return [{key: as_sqlite(value) for key, value in row.items()} for row in rows]

    @property
    def url(self) -> str:
        """What ``INTERPDB_DB`` names: the SQLite file, or the PostgreSQL database's URL."""
        return str(self.db) if self.server is None else self.server.url

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one statement, read outside interpdb, on whichever backend this is."""
        return query(self.db, sql) if self.server is None else self.server.rows(sql)

    def count(self, path: str | os.PathLike[str] | None = None) -> int:
        return len(self.probes(path))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module marked ``backends`` runs each test that uses ``run`` on SQLite and on
    PostgreSQL (one test marked ``sqlite_only`` too: it reads or edits the file itself)."""
    definition = metafunc.definition
    if (
        definition.get_closest_marker("backends") is not None
        and definition.get_closest_marker("sqlite_only") is None
        and "backend" in metafunc.fixturenames
    ):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The store ``run`` writes: ``sqlite`` unless the module is marked ``backends``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def run(db_path: Path, backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    if backend == "sqlite":
        yield Cli(db_path)
        return
    database = from_template(request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_template"))
    monkeypatch.setenv("INTERPDB_DB", database.url)
    try:
        yield Cli(db_path, database)
    finally:
        drop(database)
