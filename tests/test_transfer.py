"""``interpdb export`` / ``interpdb import``: one JSON document, read back without duplicates."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, query

from interpdb import hostid, transfer
from interpdb.location import resolve
from interpdb.store.models import FingerprintEntry, Interpreter, InterpreterSource, Probe
from interpdb.store.write import Store

TABLES = ("interpreters", "probes", "fingerprint_entries", "sys_path_entries", "interpreter_sources")


def _counts(db: Path) -> dict[str, int]:
    return {table: query(db, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


def _export(run: Cli, db: Path, output: Path) -> dict[str, Any]:
    run("--db", db, "export", "--output", output)
    document: dict[str, Any] = json.loads(output.read_text())
    return document


def _without_ids(document: dict[str, Any]) -> dict[str, Any]:
    """What must survive a round trip: everything but the export time and the row ids."""
    rest = {key: value for key, value in document.items() if key != "exported_at"}
    rest["interpreters"] = [
        dict(
            {k: v for k, v in interpreter.items() if k != "id"},
            probes=[{k: v for k, v in probe.items() if k != "id"} for probe in interpreter["probes"]],
        )
        for interpreter in document["interpreters"]
    ]
    return rest


def _add_sources(db: Path, sources: dict[str, list[str]]) -> None:
    [(host_id, host)] = query(db, "SELECT DISTINCT host_id, host FROM interpreters")
    store = Store(resolve(str(db)))
    try:
        store.add_sources(hostid.Host(host_id, host), sources)
    finally:
        store.close()


@pytest.fixture
def inventory(run: Cli, db_path: Path, make_venv: Callable[..., Path], fake: Callable[[str, str], Path]) -> list[Path]:
    """Two real venvs and a broken fake, probed; sources for one; the broken one forgotten."""
    pythons = [make_venv("a"), make_venv("b"), fake("broken", "exit 3")]
    run("probe", *pythons, code=1)
    _add_sources(db_path, {str(pythons[0]): ["venv", "path"]})
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE interpreters SET forgotten_at = created_at WHERE path = ?", (str(pythons[2]),))
    conn.close()
    return pythons


def test_document_shape(run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]) -> None:
    """One document: schema_version, interpdb_version, exported_at and interpreters sorted by (host, path)."""
    document = _export(run, db_path, tmp_path / "export.json")
    assert document["schema_version"] == transfer.SCHEMA_VERSION
    assert document["exported_at"].endswith("Z")
    assert [i["path"] for i in document["interpreters"]] == sorted(str(p) for p in inventory)
    venv_a, _venv_b, broken = document["interpreters"]
    assert [s["source"] for s in venv_a["sources"]] == ["path", "venv"]
    assert broken["forgotten_at"] == broken["created_at"]
    [failed] = broken["probes"]
    assert failed["outcome"] == "error" and failed["error"] and failed["data"] is None
    [ok] = venv_a["probes"]
    assert ok["data"]["sys_path"] and ok["command"].startswith("interpdb probe")
    assert ok["changes"] == [] and ok["trigger"] == "new"
    assert [e["position"] for e in ok["fingerprint"]] == list(range(len(ok["fingerprint"])))
    # Stable text: sorted keys, so the same database exports the same bytes but for the time.
    text = (tmp_path / "export.json").read_text()
    assert text == transfer.dumps(json.loads(text))
    stdout = run("export").stdout
    again = json.loads(stdout)
    assert stdout == transfer.dumps(again)
    assert dict(again, exported_at=None) == dict(document, exported_at=None)


def test_round_trip_into_an_empty_database(run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]) -> None:
    """Export, import elsewhere, export again: equal but for exported_at and ids; derived rows rebuilt."""
    first = _export(run, db_path, tmp_path / "first.json")
    copy = tmp_path / "copy.sqlite3"
    result = run("--db", copy, "import", tmp_path / "first.json")
    assert result.stderr == "note: imported 3 new of 3 interpreters, 3 new of 3 probes, 2 new sources\n"
    second = _export(run, copy, tmp_path / "second.json")
    assert _without_ids(second) == _without_ids(first)
    assert _counts(copy) == _counts(db_path)
    # sys.path rows and current probes are derived on import, as probing writes them.
    view = "SELECT path, position, entry FROM current_sys_path ORDER BY path, position"
    assert query(copy, view) == query(db_path, view)
    current = "SELECT i.path, p.probed_at FROM interpreters i JOIN probes p ON p.id = i.current_probe_id ORDER BY 1"
    assert query(copy, current) == query(db_path, current)
    # And the copy answers like the original.
    listed = run.json("--db", copy, "list", "--offline", "--all", code=None)
    assert sorted(r["path"] for r in listed) == sorted(str(p) for p in inventory[:2])


def test_importing_twice_adds_nothing(run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]) -> None:
    _export(run, db_path, tmp_path / "export.json")
    before = _counts(db_path)
    result = run("import", tmp_path / "export.json")
    assert result.stderr == "note: imported 0 new of 3 interpreters, 0 new of 3 probes, 0 new sources\n"
    assert _counts(db_path) == before
    copy = tmp_path / "copy.sqlite3"
    run("--db", copy, "import", tmp_path / "export.json")
    counts = _counts(copy)
    run("--db", copy, "import", tmp_path / "export.json")
    assert _counts(copy) == counts


def test_import_merges_with_what_is_already_there(
    run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path], make_venv: Callable[..., Path]
) -> None:
    """Local rows stay, known rows are skipped, new probes are added and become current."""
    venv_a = inventory[0]
    older = _export(run, db_path, tmp_path / "older.json")
    run("probe", "--refresh-interpreter", venv_a, venv_a)
    _add_sources(db_path, {str(venv_a): ["pyenv"]})
    newer = _export(run, db_path, tmp_path / "newer.json")

    copy = tmp_path / "copy.sqlite3"
    local = make_venv("local")
    run("--db", copy, "probe", local)
    run("--db", copy, "import", tmp_path / "older.json")
    result = run("--db", copy, "import", tmp_path / "newer.json")
    assert result.stderr == "note: imported 0 new of 3 interpreters, 1 new of 4 probes, 1 new sources\n"

    merged = _export(run, copy, tmp_path / "merged.json")
    assert [i["path"] for i in merged["interpreters"]] == sorted([*(str(p) for p in inventory), str(local)])
    without_local = dict(merged, interpreters=[i for i in merged["interpreters"] if i["path"] != str(local)])
    assert _without_ids(without_local) == _without_ids(newer)
    assert _without_ids(without_local) != _without_ids(older)
    current = "SELECT i.path, p.trigger FROM interpreters i JOIN probes p ON p.id = i.current_probe_id ORDER BY 1"
    assert (str(venv_a), "refresh-interpreter") in query(copy, current)
    assert query(copy, current) == sorted([*query(db_path, current), (str(local), "new")])


def test_import_keeps_the_earliest_sighting_and_the_local_forgotten_at(
    run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]
) -> None:
    document = _export(run, db_path, tmp_path / "export.json")
    venv_a = document["interpreters"][0]
    venv_a["created_at"] = "2020-01-01T00:00:00.000000Z"
    venv_a["forgotten_at"] = "2021-01-01T00:00:00.000000Z"
    venv_a["sources"][0]["first_seen_at"] = "2020-06-01T05:30:00.000000+05:30"  # UTC midnight, not 05:30
    (tmp_path / "edited.json").write_text(json.dumps(document))
    run("import", tmp_path / "edited.json")
    rows = query(db_path, f"SELECT created_at, forgotten_at FROM interpreters WHERE path = '{venv_a['path']}'")
    assert rows == [("2020-01-01 00:00:00.000000", None)]
    assert ("path", "2020-06-01 00:00:00.000000") in query(
        db_path, "SELECT source, first_seen_at FROM interpreter_sources"
    )


def test_a_forget_event_is_imported_but_does_not_become_the_current_probe(
    run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]
) -> None:
    """History rows that are not attempts (``forget`` events) travel, but the current probe stays an attempt."""
    venv_b = str(inventory[1])
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO probes (interpreter_id, probed_at, trigger, changes, outcome, duration_ms, "
            "interpdb_version, probe_hash) SELECT id, '2999-01-01 00:00:00.000000', 'forget', '[]', 'forgotten', "
            "0.0, '0.1.0', '' FROM interpreters WHERE path = ?",
            (venv_b,),
        )
    conn.close()
    _export(run, db_path, tmp_path / "export.json")
    copy = tmp_path / "copy.sqlite3"
    run("--db", copy, "import", tmp_path / "export.json")
    current = "SELECT p.outcome FROM interpreters i JOIN probes p ON p.id = i.current_probe_id WHERE i.path = ?"
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute(current, (venv_b,)).fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM probes WHERE outcome = 'forgotten'").fetchall() == [(1,)]
    finally:
        conn.close()


#: The words that say why, where one document could be refused for more than one reason.
WHY = {
    "a NUL in a path": "contains a NUL character",
    "a fingerprint of another path": "not at the interpreter's path",
    "no fingerprint": "fingerprint: empty, for a probe that ran",
    "versions that disagree": "is not version_info's",
}


def _bad_documents(valid: dict[str, Any]) -> dict[str, bytes]:
    typo = json.loads(json.dumps(valid))
    typo["interpreters"][1]["probes"][0]["duration_ms"] = "fast"
    late_error = json.loads(json.dumps(valid))
    late_error["interpreters"][-1]["probes"][0]["fingerprint"][0].pop("role")
    extra = json.loads(json.dumps(valid))
    extra["interpreters"][0]["probes"][0]["surprise"] = 1
    moved = json.loads(json.dumps(valid))  # a path edited, its fingerprint kept: it was read as fresh
    moved["interpreters"][0]["path"] = "/nonexistent/python3.40"
    bare = json.loads(json.dumps(valid))  # no fingerprint: fresh for ever
    bare["interpreters"][0]["probes"][0]["fingerprint"] = []
    lying = json.loads(json.dumps(valid))  # a version find matched that version_info denies
    lying["interpreters"][0]["probes"][0]["data"]["python_version"] = "3.99.0"
    nul = json.loads(json.dumps(valid))  # accepted, it crashed every later command
    nul["interpreters"][0]["probes"][0]["fingerprint"][-1]["path"] = "/usr/lib/x\0y"  # not the first: see moved
    return {
        "not JSON": b"{ this is not json",
        "not an object": b"[1, 2, 3]",
        "no schema_version": b'{"interpreters": []}',
        "newer schema_version": json.dumps(dict(valid, schema_version=transfer.SCHEMA_VERSION + 1)).encode(),
        "unknown schema_version": json.dumps(dict(valid, schema_version="1.0")).encode(),
        "wrong type deep inside": json.dumps(typo).encode(),
        "missing field in the last entry": json.dumps(late_error).encode(),
        "unknown field": json.dumps(extra).encode(),
        "a NUL in a path": json.dumps(nul).encode(),
        "a fingerprint of another path": json.dumps(moved).encode(),
        "no fingerprint": json.dumps(bare).encode(),
        "versions that disagree": json.dumps(lying).encode(),
    }


def test_a_bad_file_is_one_line_and_changes_nothing(
    run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]
) -> None:
    """Checked whole before anything is written: the database keeps its bytes; a missing one is not created."""
    valid = _export(run, db_path, tmp_path / "export.json")
    copy = tmp_path / "copy.sqlite3"
    run("--db", copy, "probe", inventory[0])
    for name, content in _bad_documents(valid).items():
        bad = tmp_path / "bad.json"
        bad.write_bytes(content)
        for target in (copy, tmp_path / "never.sqlite3"):
            before = _counts(copy)
            result = run("--db", target, "import", bad, code=1)
            assert "Traceback" not in result.stderr, name
            assert len(result.stderr.strip().splitlines()) == 1, (name, result.stderr)
            assert result.stderr.startswith(f"error: {bad}: "), (name, result.stderr)
            assert WHY.get(name, "") in result.stderr, (name, result.stderr)
            assert _counts(copy) == before, name
        assert not (tmp_path / "never.sqlite3").exists(), name


def test_newer_schema_version_says_so(run: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "future.json"
    bad.write_text(json.dumps({"schema_version": 99, "interpreters": []}))
    result = run("import", bad, code=1)
    assert result.stderr == f"error: {bad}: schema_version 99 was written by a newer interpdb; this one reads up to 2\n"


def test_export_of_a_missing_database_is_an_error_and_creates_nothing(run: Cli, db_path: Path) -> None:
    result = run("export", code=1)
    assert result.stderr == f"error: no database at {db_path}\n"
    assert not db_path.exists()


def test_export_fields_cover_every_column() -> None:
    """The document is a contract: a new column must be added to it (and SCHEMA_VERSION bumped)."""

    def names(model: Any) -> set[str]:
        return {column.name for column in model.__table__.columns}

    assert set(transfer.INTERPRETER_FIELDS) == names(Interpreter) - {"current_probe_id"}
    assert set(transfer.PROBE_FIELDS) == names(Probe) - {"interpreter_id"}
    assert set(transfer.ENTRY_FIELDS) == names(FingerprintEntry) - {"id", "probe_id"}
    assert set(transfer.SOURCE_FIELDS) == names(InterpreterSource) - {"interpreter_id"}


def test_imports_of_one_document_at_once_all_succeed(
    run: Cli, db_path: Path, tmp_path: Path, inventory: list[Path]
) -> None:
    """Two imports may both look an interpreter up, find none, and insert it: the second used
    to fail with a raw UNIQUE error. It is rolled back and run again, and finds the row."""
    _export(run, db_path, tmp_path / "export.json")
    copy = tmp_path / "copy.sqlite3"
    run("--db", copy, "db", "upgrade")
    imports = [
        subprocess.Popen(
            [sys.executable, "-m", "interpdb", "-q", "--db", str(copy), "import", str(tmp_path / "export.json")],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    ended = [(proc.returncode, err) for proc in imports for _out, err in [proc.communicate(timeout=120)]]
    assert ended == [(0, "")] * len(imports)
    assert _counts(copy) == _counts(db_path)
