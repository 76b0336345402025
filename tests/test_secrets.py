"""No secret stored or shown, and an import that does not fit the exported shape is refused whole."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, query

from interpdb.cli._common import recorded_command
from interpdb.location import resolve
from interpdb.store import gate
from interpdb.store.write import Store

TABLES = ("interpreters", "probes", "fingerprint_entries", "sys_path_entries", "interpreter_sources")


@pytest.mark.parametrize(
    ("argv", "recorded"),
    [
        (
            ["--db", "postgresql+psycopg://user:PASSWORD@host/db", "list"],
            "interpdb --db postgresql+psycopg://user:***@host/db list",
        ),
        (
            ["--db=postgresql://u:p%40ss@h/db?sslmode=require", "list"],
            "interpdb --db=postgresql://u:***@h/db?sslmode=require list",
        ),
        (
            ["--db", "postgresql://h/db?user=u&password=hunter2&x=1", "list"],
            "interpdb --db postgresql://h/db?user=u&password=***&x=1 list",
        ),
        (["probe", "/opt/p\udcffy"], "interpdb probe /opt/p\\xffy"),
        (["find", "cpython@3.12"], "interpdb find cpython@3.12"),
    ],
)
def test_the_recorded_command_hides_passwords(argv: list[str], recorded: str) -> None:
    assert recorded_command(argv) == recorded


def test_no_password_reaches_the_probes_table_history_or_export(
    run: Cli, db_path: Path, base_python: Path, tmp_path: Path
) -> None:
    """A secret on the command line is stored as ``***``: ``history --format json`` and ``export`` show that."""
    secret_arg = "postgresql://user:s3cret@db.example/x"
    run("probe", base_python, secret_arg, code=1)  # the second is no file: a problem, the first is recorded
    [(command,)] = query(db_path, "SELECT command FROM probes")
    assert "s3cret" not in command and "user:***@db.example" in command
    history = run("history", "--format", "json").stdout
    run("export", "-o", tmp_path / "out.json")
    for shown in (history, (tmp_path / "out.json").read_text(), str(query(db_path, "SELECT * FROM probe_audit"))):
        assert "s3cret" not in shown


def test_migration_0003_scrubs_stored_passwords(db_path: Path) -> None:
    """Commands an older interpdb stored verbatim lose their passwords on upgrade; others are untouched."""
    store = Store(resolve(str(db_path)))
    store.upgrade("0002_interface", backup_first=False)
    store.close()
    commands = {
        1: "interpdb --db postgresql+psycopg://user:PASSWORD@host/db list",
        2: "interpdb --db postgresql://h/db?password=hunter2&sslmode=require probe /x",
        3: "interpdb find cpython@3.12",
        4: None,
        5: "interpdb --db mysql://root:toor@localhost/inv find 3.12 --db-password=x",
    }
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO interpreters (id, host, path, created_at) VALUES (1, 'h', '/p', '2026-01-01')")
        conn.executemany(
            "INSERT INTO probes (id, interpreter_id, probed_at, trigger, changes, outcome, duration_ms, "
            "interpdb_version, probe_hash, command) VALUES (?, 1, '2026-01-01', 'new', '[]', 'ok', 1, '0.1', 'h', ?)",
            list(commands.items()),
        )
    conn.close()
    store = Store.open(resolve(str(db_path)))
    try:
        assert store.revision() == gate.HEAD_REVISION  # through 0003_scrub_secrets
    finally:
        store.close()
    assert dict(query(db_path, "SELECT id, command FROM probes")) == {
        1: "interpdb --db postgresql+psycopg://user:***@host/db list",
        2: "interpdb --db postgresql://h/db?password=***&sslmode=require probe /x",
        3: "interpdb find cpython@3.12",
        4: None,
        5: "interpdb --db mysql://root:***@localhost/inv find 3.12 --db-password=***",
    }


# -- import checks every nested field ---------------------------------------------------------


def _counts(db: Path) -> dict[str, int]:
    return {table: query(db, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


@pytest.fixture
def exported(run: Cli, db_path: Path, make_venv: Callable[..., Path], tmp_path: Path) -> dict[str, Any]:
    python = make_venv()
    run("probe", python)
    run("probe", python, "--refresh")
    run("export", "-o", tmp_path / "export.json")
    document: dict[str, Any] = json.loads((tmp_path / "export.json").read_text())
    return document


def _probe(document: dict[str, Any], index: int = -1) -> dict[str, Any]:
    probe: dict[str, Any] = document["interpreters"][0]["probes"][index]
    return probe


BAD_NESTED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "changes not a list": (lambda p: p.update(changes={"role": "x"}), "'changes' is not a list"),
    "a change without a kind": (
        lambda p: p.update(changes=[{"role": "link", "path": "/x", "fields": []}]),
        "'changes[0].kind' is missing",
    ),
    "a change of an unknown kind": (
        lambda p: p.update(changes=[{"role": "link", "path": "/x", "kind": "exploded", "fields": []}]),
        "'changes[0].kind' is not one of added, removed, modified",
    ),
    "data a list": (lambda p: p.update(data=[1, 2]), "'data' is not an object"),
    "data with a wrong type": (lambda p: p["data"].update(version_info=5), "'data.version_info' is not a list"),
    "data with sys_path a string": (lambda p: p["data"].update(sys_path="/x"), "'data.sys_path' is not a list"),
    "an unknown trigger": (lambda p: p.update(trigger="because"), "trigger: 'because' is not one of"),
    "an integer too large": (
        lambda p: p.update(version_major=10**30),
        "version_major: 1000000000000000000000000000000 is out",
    ),
    "an inode too large": (lambda p: p["fingerprint"][0].update(ino=2**64), "is out of range for a 64-bit integer"),
    "an infinite duration": (lambda p: p.update(duration_ms=float("inf")), "duration_ms: expected a finite number"),
    "a string too long": (lambda p: p.update(trigger="x" * 40), "trigger: longer than 32 characters"),
}


@pytest.mark.parametrize("case", sorted(BAD_NESTED))
def test_import_refuses_a_nested_field_of_the_wrong_shape(
    run: Cli, db_path: Path, tmp_path: Path, exported: dict[str, Any], case: str
) -> None:
    """One line naming the first bad field; nothing is written; ``history`` and ``show`` keep working."""
    spoil, expected = BAD_NESTED[case]
    document = copy.deepcopy(exported)
    spoil(_probe(document))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    before = _counts(db_path)
    result = run("import", bad, code=1)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {bad}: interpreters[0].probes[1]") and expected in line, line
    assert _counts(db_path) == before
    run("history", "--format", "json")
    run("show", "1", "--offline", code=None)


def test_import_of_deeply_nested_json_is_one_line(run: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "deep.json"
    bad.write_text('{"schema_version": 1, "interpreters": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = run("import", bad, code=1)
    assert result.stderr == f"error: {bad}: not an interpdb export: nested deeper than 16 levels\n"


def test_what_interpdb_exports_it_imports(run: Cli, tmp_path: Path, exported: dict[str, Any]) -> None:
    """The checks accept interpdb's own documents, whatever its probes recorded (a failed one included)."""
    fresh = tmp_path / "fresh.sqlite3"
    (tmp_path / "again.json").write_text(json.dumps(exported))
    result = run("--db", fresh, "import", tmp_path / "again.json")
    assert "note: imported 1 new of 1 interpreters, 2 new of 2 probes" in result.stderr
