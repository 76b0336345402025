"""``interpdb sql``: read-only queries with bound parameters; anything that would write is refused."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from interpdb.cli import cli

#: Each test that uses ``run`` runs on SQLite and on a PostgreSQL server (``conftest.py``);
#: the sandbox's SQLite rules (pragmas, the authorizer) are SQLite's only, PostgreSQL's are
#: in ``tests/test_postgres.py``.
pytestmark = pytest.mark.backends


@pytest.fixture
def venv(run: Cli, make_venv: Callable[..., Path]) -> Path:
    """A database holding one real venv."""
    python = make_venv()
    run("probe", python)
    return python


def _snapshot(db: Path) -> tuple[Any, ...]:
    """Bytes of the database and its WAL, the schema, and every table's row count."""
    digests = tuple(
        hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
        for path in (db, db.with_name(db.name + "-wal"))
    )
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)  # read-only: closing it checkpoints nothing
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        counts = [conn.execute(f'SELECT count(*) FROM "{name}"').fetchone() for _, name, _ in schema if _ == "table"]
    finally:
        conn.close()
    return digests, schema, counts


@pytest.fixture
def unchanged(db_path: Path, venv: Path) -> Iterator[None]:
    """The test must leave the database exactly as it found it: bytes, schema, rows, data_version."""
    watcher = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    version = watcher.execute("PRAGMA data_version").fetchone()
    before = _snapshot(db_path)
    yield
    assert watcher.execute("PRAGMA data_version").fetchone() == version  # no other connection committed
    watcher.close()
    assert _snapshot(db_path) == before


def test_select_with_parameters(run: Cli, venv: Path, backend: str) -> None:
    """--param NAME=VALUE binds :NAME; a value written as an integer binds as an integer;
    values come back as the database holds them (a boolean is 0/1 on SQLite)."""
    rows = run.json(
        "sql",
        "SELECT interpreter_id, path, is_venv, :n + 1 AS n_plus_one, :text AS text FROM interpreters_current "
        "WHERE path = :path",
        "--param",
        f"path={venv}",
        "-p",
        "n=41",
        "-p",
        "text=007",
    )
    is_venv = 1 if backend == "sqlite" else True
    assert rows == [{"interpreter_id": 1, "path": str(venv), "is_venv": is_venv, "n_plus_one": 42, "text": "007"}]
    assert run.json("sql", "SELECT path FROM interpreters_current WHERE interpreter_id = :id", "-p", "id=1") == [
        {"path": str(venv)}
    ]
    for edge in (-(2**63), 2**63 - 1):  # the whole 64-bit range binds; one beyond is a usage error
        assert run.json("sql", "SELECT :x AS x", "-p", f"x={edge}") == [{"x": edge}]


def test_csv_and_table_keep_the_column_order(run: Cli, venv: Path) -> None:
    query = "SELECT position, entry, path FROM current_sys_path ORDER BY position"
    parsed = [row for row in csv.reader(io.StringIO(run("sql", query, "--format", "csv").stdout)) if row]
    assert parsed[0] == ["position", "entry", "path"]
    stored = json.loads(run.probes()[0]["data"])["sys_path"]
    assert [row[1] for row in parsed[1:]] == stored
    assert [int(row[0]) for row in parsed[1:]] == list(range(len(stored)))
    table = run("sql", query).stdout.splitlines()
    assert table[0].split() == ["position", "entry", "path"]
    assert len(table) == 2 + len(stored)  # header, rule, rows


def test_repeated_column_names_stay_apart(run: Cli, venv: Path) -> None:
    rows = run.json("sql", "SELECT i.id, p.id FROM interpreters i JOIN probes p ON p.interpreter_id = i.id")
    assert rows == [{"id": 1, "id_2": 1}]


@pytest.mark.sqlite_only  # SQLite's own sandbox or file
def test_query_from_stdin_and_reading_pragmas(run: Cli, venv: Path) -> None:
    result = run.runner.invoke(cli, ["sql", "-", "--format", "json"], input="SELECT count(*) AS n FROM probes")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": 1}]
    columns = run.json("sql", "PRAGMA table_info(sys_path_entries)")
    assert [c["name"] for c in columns] == ["probe_id", "position", "path"]
    assert run.json("sql", "PRAGMA journal_mode") == [{"journal_mode": "wal"}]


@pytest.mark.sqlite_only  # SQLite's own sandbox or file
def test_read_only_table_functions_are_allowed(run: Cli, venv: Path) -> None:
    """json_each and the pragma_* functions only read, though their first use looks like a schema change."""
    assert run.json("sql", "SELECT value FROM json_each('[3, 1]') ORDER BY value") == [{"value": 1}, {"value": 3}]
    columns = run.json("sql", "SELECT name FROM pragma_table_info('interpreter_sources')")
    assert [c["name"] for c in columns] == ["interpreter_id", "source", "first_seen_at"]


WRITES = {
    "insert": "INSERT INTO interpreter_sources (interpreter_id, source, first_seen_at) VALUES (1, 'x', '2026-01-01')",
    "update": "UPDATE probes SET trigger = 'refresh'",
    "delete": "DELETE FROM probes",
    "drop table": "DROP TABLE fingerprint_entries",
    "drop view": "DROP VIEW probe_audit",
    "create table": "CREATE TABLE notes (text TEXT)",
    "create temp view": "CREATE TEMP VIEW v AS SELECT 1",
    "alter table": "ALTER TABLE probes ADD COLUMN note TEXT",
    "attach": "ATTACH DATABASE 'other.sqlite3' AS other",
    "writable_schema": "PRAGMA writable_schema = ON",
    "journal_mode": "PRAGMA journal_mode = DELETE",
    "query_only off": "PRAGMA query_only = OFF",
    "user_version": "PRAGMA user_version = 7",
    "wal_checkpoint": "PRAGMA wal_checkpoint(TRUNCATE)",
    "optimize": "PRAGMA optimize",
    "vacuum": "VACUUM",
    "vacuum into": "VACUUM INTO 'copy.sqlite3'",
    "replace": "REPLACE INTO interpreter_sources VALUES (1, 'x', '2026-01-01')",
    "writing cte": "WITH x AS (SELECT 1) INSERT INTO interpreter_sources SELECT 1, 'x', '2026-01-01' FROM x",
    "begin": "BEGIN IMMEDIATE",
    "savepoint": "SAVEPOINT s",
    "analyze": "ANALYZE",
    "reindex": "REINDEX",
    "load_extension": "SELECT load_extension('mod_spatialite')",
}


@pytest.mark.sqlite_only  # SQLite's own sandbox or file
@pytest.mark.parametrize("sql", WRITES.values(), ids=WRITES.keys())
@pytest.mark.usefixtures("unchanged")
def test_anything_that_would_write_is_refused(run: Cli, sql: str, tmp_path: Path) -> None:
    """The authorizer refuses the statement before it runs: one line, exit 1, not a byte changed."""
    result = run("sql", sql, code=1)
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "is not allowed: interpdb sql only reads" in result.stderr
    if sql.startswith("VACUUM"):  # SQLite asks to ATTACH a copy: the line names what was asked
        assert result.stderr.startswith("error: VACUUM is not allowed"), result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "copy.sqlite3").exists()
    assert not (tmp_path / "other.sqlite3").exists()


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; DELETE FROM probes", "one statement at a time"),
        ("SELEC 1", "syntax error"),
        ("SELECT nope FROM probes", "no such column: nope"),
        ("SELECT :missing", "binding parameter :missing"),
        ("SELECT '\udcff'", "the query is not valid UTF-8 text"),  # a byte argv could not decode
    ],
)
@pytest.mark.sqlite_only  # SQLite's own sandbox or file
@pytest.mark.usefixtures("unchanged")
def test_invalid_queries_are_one_line_errors(run: Cli, sql: str, message: str) -> None:
    result = run("sql", sql, code=1)
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_param_is_a_usage_error(run: Cli) -> None:
    """One line and a hint, exit 2: never the UnicodeEncodeError of binding it, nor int()'s
    advice to call sys.set_int_max_str_digits."""
    for param, message in (
        ("no-equals-sign", "NAME=VALUE"),
        ("x=\udcff", "is not valid UTF-8 text"),
        ("x=" + "9" * 4500, "x: an integer of more than 4000 digits"),
    ):
        result = run("sql", "SELECT :x AS x", "--param", param, code=2)
        assert message in result.stderr and result.stderr.count("\n") == 2, (param, result.stderr[:300])


def test_an_integer_beyond_64_bits_is_one_line_on_sqlite_and_binds_on_postgresql(
    run: Cli, venv: Path, backend: str
) -> None:
    """sqlite3 binds integers as 64-bit ones (an OverflowError traceback, before); psycopg
    binds a bigger one as a numeric, which JSON shows as text, as every numeric."""
    for value in (2**63, -(2**63) - 1):
        if backend == "sqlite":
            result = run("sql", "SELECT :x AS x", "--param", f"x={value}", code=1)
            assert result.stderr == "error: --param x: the integer does not fit in 64 bits, as SQLite stores integers\n"
        else:
            assert run.json("sql", "SELECT :x AS x", "--param", f"x={value}") == [{"x": str(value)}]


@pytest.mark.sqlite_only  # SQLite's own sandbox or file
def test_missing_database_is_an_error_and_is_not_created(run: Cli, db_path: Path) -> None:
    result = run("sql", "SELECT 1", code=1)
    assert result.stderr == f"error: no database at {db_path}\n"
    assert not db_path.exists()


@pytest.mark.sqlite_only  # SQLite's own sandbox or file
def test_an_old_database_is_queried_as_it_is_never_migrated(run: Cli, db_path: Path) -> None:
    """sql only reads: an older schema is queried as it is; the file's bytes and the
    folder's listing stay exactly as they were (no migration, no backup, no -wal left)."""
    run("db", "upgrade", "0001_initial")
    listing = sorted(p.name for p in db_path.parent.iterdir())
    before = db_path.read_bytes()
    assert run.json("sql", "SELECT version_num FROM alembic_version") == [{"version_num": "0001_initial"}]
    assert run.json("sql", "SELECT count(*) AS n FROM interpreters") == [{"n": 0}]
    failed = run("sql", "SELECT count(*) AS n FROM interpreters_current", code=1)
    assert "no such table: interpreters_current" in failed.stderr
    assert db_path.read_bytes() == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == listing


@pytest.mark.sqlite_only  # SQLite's own sandbox or file
def test_sql_on_sqlite_never_imports_sqlalchemy(db_path: Path, venv: Path) -> None:
    """The query runs, and answers, on the standard library's sqlite3, like the warm path."""
    code = textwrap.dedent(
        f"""
        import sys
        from interpdb.cli import main
        sys.argv = ["interpdb", "--db", {str(db_path)!r}, "sql", "SELECT count(*) AS n FROM current_sys_path",
                    "--format", "json"]
        try:
            main()
        except SystemExit as exit:
            print("EXIT", exit.code)
        print("HEAVY", sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    answer, exit_line, heavy_line = result.stdout.rsplit("\n", 3)[:3]
    assert result.stderr == ""
    assert exit_line == "EXIT 0"
    assert heavy_line == "HEAVY []"
    [row] = json.loads(answer)
    assert row["n"] > 0  # the venv's sys.path was queried, not an empty or failed answer


def test_an_empty_query_is_refused_alike_on_every_backend(run: Cli, base_python: Path) -> None:
    """SQLite ran nothing (no rows, exit 0) where PostgreSQL's parser failed: one answer for both."""
    run("probe", base_python)
    for query in ("", "  ", ";", " ; \n", "/* nothing */", "-- nothing\n;", "/* unterminated"):
        refused = run("sql", "--", query, code=1)
        assert refused.stderr == "error: the query is empty\n", query
    # A comment around a statement, or a comment's marks inside a string, is no empty query.
    for query in ("/* a */ SELECT 1 AS n -- b", "SELECT '--' AS n"):
        assert run("sql", "--", query).stdout.split()[0] == "n", query


def test_a_querys_column_names_are_escaped_in_tables_as_cells_are(run: Cli, base_python: Path) -> None:
    """Column names come from the query, or from a view a teammate made: an ESC in one
    reached the terminal raw (a coloured header) while the cells below it were escaped."""
    run("probe", base_python)
    query = "SELECT 1 AS \"\x1b[41mHDR\", '\x1b[41mCELL' AS c"
    for fmt in ("table", "github", "plain"):
        shown = run("sql", query, "--format", fmt).stdout
        assert "\x1b" not in shown and "\\x1b[41mHDR" in shown and "\\x1b[41mCELL" in shown, fmt
    assert '"\\u001b[41mHDR": 1' in run("sql", query, "--format", "json").stdout  # exact in JSON


@pytest.mark.sqlite_only  # PostgreSQL reads 1e999 as an exact numeric
def test_a_float_json_has_no_number_for_is_text(run: Cli) -> None:
    """``select 1e999`` printed ``Infinity`` in JSON, which strict parsers refuse."""
    run("db", "upgrade")
    text = run("sql", "SELECT 1e999 AS up, -1e999 AS down, 1.5 AS plain", "--format", "json").stdout
    assert json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON")) == [
        {"up": "Infinity", "down": "-Infinity", "plain": 1.5}
    ]
