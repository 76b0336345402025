"""A database that cannot be used, or is used by several interpdb at once, is one line and exit 1.

Each case runs the real entry point in a subprocess (``python -m interpdb``), so
the click-free fast path is held to it too: one line on stderr, no traceback,
and nothing stored lost or overwritten.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from interpdb import hostid
from interpdb.location import resolve
from interpdb.store import gate
from interpdb.store.write import NewProbe, Store


def interpdb(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interpdb", *(str(a) for a in args)], capture_output=True, text=True, check=False
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The failure's one ``error:`` line on stderr (exit 1, no traceback), perhaps with a ``hint:`` line."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    if len(lines) == 2 and lines[1].startswith("hint: "):
        lines = lines[:1]
    assert len(lines) == 1, result.stderr
    assert result.returncode == 1, (result.returncode, result.stderr)
    return lines[0]


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def backups(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.glob(f"{db.name}.*.bak"))


# -- several interpdb at once (F6) ----------------------------------------------------------


#: ``interpdb ARGS...`` (the console script's entry point) once the file GO exists, with
#: its imports done before and the two windows a race needs held open a little longer:
#: between reading the revision and migrating (a new connection), and between looking
#: an interpreter up and inserting it. Processes started one after another then meet
#: in those windows every time, not once in a few runs.
AT_THE_START_LINE = """
import os, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
import interpdb._fast, interpdb.cli, interpdb.service, interpdb.store

@event.listens_for(Engine, "connect")
def _late(*_args):
    time.sleep(0.2)

@event.listens_for(Engine, "before_cursor_execute")
def _slow(_conn, _cursor, statement, *_args):
    if statement.lstrip().upper().startswith("INSERT INTO INTERPRETERS"):
        time.sleep(0.2)

go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.001)
sys.argv[1:2] = []
interpdb._fast.main()
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_parallel_probes_on_a_fresh_database_all_succeed(
    tmp_path: Path, db_path: Path, make_venv: Callable[..., Path], backend: str, request: pytest.FixtureRequest
) -> None:
    """Six processes creating the same database and learning the same interpreter: one schema, one row
    (on SQLite under the file lock, on a new PostgreSQL database under the advisory lock)."""
    venv = make_venv()
    go = tmp_path / "go"
    target, read = str(db_path), lambda sql: rows(db_path, sql)
    if backend == "postgresql":
        database = request.getfixturevalue("postgres")  # empty: no schema yet
        target, read = database.url, database.rows
    command = [sys.executable, "-c", AT_THE_START_LINE, str(go), "--db", target, "probe", str(venv)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    time.sleep(1.0)  # every process imported and waiting (a slow one only makes the race milder)
    go.touch()
    outcomes = [(proc.wait(), *proc.communicate()) for proc in procs]
    assert [(code, stderr) for code, _stdout, stderr in outcomes] == [(0, "")] * 6
    assert read("SELECT path FROM interpreters") == [(str(venv),)]
    assert read("SELECT version_num FROM alembic_version") == [(gate.HEAD_REVISION,)]
    assert backups(db_path) == []


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(resolve(str(db_path)))
    yield opened
    opened.close()


def _new_probe(path: str) -> NewProbe:
    from interpdb.records import utcnow

    return NewProbe(
        path=path,
        trigger="new",
        outcome="error",
        probed_at=utcnow(),
        duration_ms=1.0,
        probe_hash="h",
        entries=(),
        error="exit 3",
    )


def test_record_survives_another_process_inserting_the_same_interpreter(db_path: Path, store: Store) -> None:
    """Between Store.record's look-up and its insert another process adds the interpreter: the probe joins it."""
    from sqlalchemy import event

    inserted: list[int] = []

    def other_process_first(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO INTERPRETERS") and not inserted:
            other = sqlite3.connect(db_path)
            with other:
                cursor = other.execute(
                    "INSERT INTO interpreters (host_id, host, path, created_at) "
                    "VALUES ('h', 'h', '/usr/bin/python9', '2026-01-01')"
                )
                inserted.append(int(cursor.lastrowid or 0))
            other.close()

    event.listen(store.engine, "before_cursor_execute", other_process_first)
    ids = store.record(hostid.Host("h", "h"), [_new_probe("/usr/bin/python9"), _new_probe("/usr/bin/python8")])
    assert inserted and ids[0] == inserted[0]
    assert rows(db_path, "SELECT path FROM interpreters ORDER BY id") == [("/usr/bin/python9",), ("/usr/bin/python8",)]
    assert rows(db_path, f"SELECT count(*) FROM probes WHERE interpreter_id = {ids[0]}") == [(1,)]
    assert rows(db_path, "SELECT count(*) FROM interpreters WHERE current_probe_id IS NULL") == [(0,)]


def test_a_database_another_interpdb_keeps_writing_is_one_line(
    db_path: Path, run: Cli, base_python: Path, make_venv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that holds the database past busy_timeout: say it is busy; what was stored stays."""
    run("probe", base_python)
    venv = make_venv()
    monkeypatch.setattr("interpdb.store.schema.BUSY_TIMEOUT_MS", 100)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = run("probe", venv, code=1)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    # The store by name, as a busy reader says it (it said "the database").
    assert line == f"error: {db_path} is busy: another program has held it locked for 0.1 seconds; try again"
    assert rows(db_path, "SELECT path FROM interpreters") == [(str(base_python),)]
    assert run.count() == 1


@pytest.mark.parametrize(
    "args", [["forget", "1"], ["forget", "1", "--purge", "--yes"], ["prune", "--missing-for", "0s"]]
)
def test_maintenance_on_a_busy_database_is_one_line(
    db_path: Path, run: Cli, base_python: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    """forget, purge and prune write too: a busy database is the same one line for them."""
    run("probe", base_python)
    conn = sqlite3.connect(db_path)
    with conn:  # something for prune to forget
        conn.execute("UPDATE probes SET outcome = 'missing', probed_at = '2000-01-01 00:00:00.000000'")
        conn.execute("UPDATE interpreters SET path = '/gone/python'")
    conn.close()
    monkeypatch.setattr("interpdb.store.schema.BUSY_TIMEOUT_MS", 100)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        result = run(*args, code=1)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "Traceback" not in result.stderr
    busy = f"error: {db_path} is busy: another program has held it locked for 0.1 seconds; try again"
    assert result.stderr.strip().splitlines()[-1] == busy
    assert rows(db_path, "SELECT count(*) FROM interpreters WHERE forgotten_at IS NULL") == [(1,)]


# -- a database this interpdb cannot use (F7-F11) ------------------------------------------------

NEWER = "0003_future"


def _stamp_newer(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (NEWER,))
    conn.close()


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--no-discover"),
        ("list", "--no-discover", "--format", "json"),
        ("history", "--format", "json"),
        ("sql", "SELECT count(*) AS n FROM interpreters"),
        ("sql", "SELECT 1", "--format", "json"),
        ("find", "3", "--no-discover"),
        ("db", "current"),
    ],
    ids=" ".join,
)
def test_a_database_written_by_a_newer_interpdb_is_read_but_never_written(
    db_path: Path, run: Cli, base_python: Path, args: tuple[str, ...]
) -> None:
    """A newer schema is read by column name (the compatibility rule: additive changes),
    never migrated, backed up or written."""
    run("probe", base_python)
    _stamp_newer(db_path)
    before = db_path.read_bytes()
    result = interpdb(*args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert backups(db_path) == []
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ("probe", "--refresh", "{python}"),
        ("forget", "{python}"),
        ("db", "upgrade"),
        ("db", "downgrade", "0001_initial"),
    ],
    ids=" ".join,
)
def test_a_database_written_by_a_newer_interpdb_is_refused_before_any_backup(
    db_path: Path, run: Cli, base_python: Path, args: tuple[str, ...]
) -> None:
    run("probe", base_python)
    _stamp_newer(db_path)
    before = rows(db_path, "SELECT * FROM probes")
    result = interpdb(*(a.format(python=base_python) for a in args))
    assert one_error_line(result).endswith(f"{db_path} was written by a newer interpdb (schema revision {NEWER})")
    # What still works from here, named (it said only to upgrade interpdb).
    assert result.stderr.splitlines()[-1].endswith("(--offline: answer without probing)"), result.stderr
    assert backups(db_path) == []
    assert rows(db_path, "SELECT version_num FROM alembic_version") == [(NEWER,)]
    assert rows(db_path, "SELECT * FROM probes") == before


@pytest.mark.parametrize(
    "url",
    ["bogus://x", "postgresql://nouser:s3cret-pw@127.0.0.1:1/x"],
    ids=["no-such-dialect", "connection-refused"],
)
@pytest.mark.parametrize(
    "args",
    [("list", "--no-discover"), ("list", "--no-discover", "--format", "json"), ("history",), ("show", "1")],
    ids=" ".join,
)
def test_a_database_url_that_cannot_be_used_is_one_line_without_the_password(url: str, args: tuple[str, ...]) -> None:
    if url.startswith("postgresql"):
        pytest.importorskip("psycopg", reason="psycopg is not installed: pip install 'psycopg[binary]'")
    result = interpdb("--db", url, *args)
    line = one_error_line(result)
    shown = url.replace("s3cret-pw", "***")
    assert f"cannot connect to {shown}: " in line
    assert "s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgres://me:s3cret-pw@127.0.0.1:1/x", "write postgresql+psycopg:// (SQLAlchemy reads no postgres://)"),
        ("mysql://me@127.0.0.1:1/x", "or PostgreSQL (postgresql+psycopg://...), not mysql"),
    ],
)
def test_a_url_of_another_database_says_what_interpdb_takes(url: str, says: str) -> None:
    """``postgres://`` said "Can't load plugin: sqlalchemy.dialects:postgres", ``mysql://`` "No
    module named 'MySQLdb'": neither said what interpdb stores in."""
    for args in (("list", "--no-discover"), ("probe", sys.executable), ("sql", "SELECT 1")):
        line = one_error_line(interpdb("--db", url, *args))
        assert line.endswith(says), (args, line)
        assert "s3cret-pw" not in line


def test_a_password_in_a_url_that_cannot_even_be_parsed_is_not_shown() -> None:
    result = interpdb("--db", "postgresql://me:s3cret-pw@host:notaport/x", "list", "--no-discover")
    assert "cannot connect to postgresql://me:***@" in one_error_line(result)
    assert "s3cret-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "args",
    [("sql", "SELECT 1"), ("list", "--no-discover"), ("probe", "{python}"), ("history",)],
    ids=" ".join,
)
def test_a_directory_given_as_the_database_is_one_line(
    tmp_path: Path, base_python: Path, args: tuple[str, ...]
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    (folder / "kept.txt").write_text("kept")
    result = interpdb("--db", folder, *(a.format(python=base_python) for a in args))
    assert one_error_line(result).endswith(f"{folder} is a directory, not a database file")
    assert sorted(p.name for p in folder.iterdir()) == ["kept.txt"]


def _foreign_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    conn.close()


@pytest.mark.parametrize(
    "args", [("probe", "{python}"), ("list",), ("sql", "SELECT 1"), ("db", "upgrade")], ids=" ".join
)
def test_another_applications_database_is_refused_not_given_our_tables(
    db_path: Path, base_python: Path, args: tuple[str, ...]
) -> None:
    _foreign_database(db_path)
    result = interpdb(*(a.format(python=base_python) for a in args))
    assert one_error_line(result).endswith(f"{db_path} is not an interpdb database (it has other tables)")
    assert rows(db_path, "SELECT name FROM sqlite_master") == [("invoices",)]
    assert rows(db_path, "SELECT total FROM invoices") == [(12.5,)]
    assert backups(db_path) == []


@pytest.mark.parametrize("content", ["empty file", "no tables"])
def test_an_existing_database_without_tables_is_initialised(
    db_path: Path, run: Cli, base_python: Path, content: str
) -> None:
    if content == "empty file":
        db_path.write_bytes(b"")
    else:
        conn = sqlite3.connect(db_path)
        conn.execute("PRAGMA user_version = 7")  # a real SQLite file, with a header and no table
        conn.close()
    run("probe", base_python)
    assert rows(db_path, "SELECT version_num FROM alembic_version") == [(gate.HEAD_REVISION,)]
    assert rows(db_path, "SELECT path FROM interpreters") == [(str(base_python),)]


def test_directory_as_db_on_the_fast_path_is_one_line(tmp_path: Path) -> None:
    """`sql ... --format json` takes the click-free path: its failure is still one line."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "interpdb", "--db", str(folder), "sql", "SELECT 1", "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {folder} is a directory, not a database file",
        "hint: choose another --db",
    ]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_newest_probe_is_current_whatever_order_writers_commit_in(run: Cli, backend: str) -> None:
    """Two interpdbs probe one path; the one that probed first commits last (its batch waited
    for the lock). The current probe stays the newer one, as ``history`` and ``show`` order
    them: the last commit used to win, so ``show`` disagreed with its own probe list. A
    current time ahead of this clock (a clock stepped back) holds nothing back. On
    PostgreSQL the time is read typed: its text drops a fraction's trailing zeros (.12),
    which Python before 3.11 could not parse."""
    from dataclasses import replace
    from datetime import timedelta

    run("db", "upgrade")
    host = hostid.current()
    newer = _new_probe("/opt/python")
    newer = replace(newer, probed_at=newer.probed_at.replace(microsecond=120000) - timedelta(minutes=1))
    store = Store.open(resolve(None))
    current = "SELECT p.error FROM interpreters i JOIN probes p ON p.id = i.current_probe_id"
    try:
        store.record(host, [newer])
        store.record(host, [replace(newer, probed_at=newer.probed_at - timedelta(seconds=5), error="exit 4")])
        assert run.rows(current) == [("exit 3",)]
        store.record(host, [replace(newer, probed_at=newer.probed_at + timedelta(seconds=5), error="exit 5")])
        assert run.rows(current) == [("exit 5",)]
        future = replace(newer, probed_at=newer.probed_at + timedelta(days=365), error="from the future")
        store.record(host, [future])
        store.record(host, [replace(newer, probed_at=newer.probed_at + timedelta(seconds=30), error="exit 6")])
        assert run.rows(current) == [("exit 6",)]  # a time ahead of the clock proves nothing
    finally:
        store.close()
