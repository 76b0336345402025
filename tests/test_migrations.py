"""Migrations: they agree with the models, have one head, and upgrade and downgrade with data in them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import Cli

from interpdb import hostid
from interpdb.location import resolve
from interpdb.store import gate
from interpdb.store.models import Base
from interpdb.store.schema import alembic_config
from interpdb.store.write import Store

VIEWS = ("current_sys_path", "interpreters_current", "probe_audit")


def _diff(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata))


def _objects(db: Path, kind: str) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name", (kind,)
        )
        return [row[0] for row in rows]
    finally:
        conn.close()


def _query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_single_head_and_reader_knows_it() -> None:
    """The warm path compares against HEAD_REVISION without Alembic: it must be the real head."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert script.get_current_head() == gate.HEAD_REVISION


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_models_and_migrations_agree(db_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    """Autogenerate finds nothing to do at the head, on SQLite and on a new PostgreSQL database
    (types compared too): views are not tables, so they do not show up; they are there."""
    if backend == "sqlite":
        target, views = str(db_path), lambda: _objects(db_path, "view")
    else:
        database = request.getfixturevalue("postgres")
        target = database.url
        query = "SELECT table_name FROM information_schema.views WHERE table_schema = 'public'"
        views = lambda: [name for (name,) in database.rows(query)]  # noqa: E731
    store = Store.open(resolve(target))
    try:
        assert _diff(store) == []
    finally:
        store.close()
    assert set(VIEWS) <= set(views())


def _database_at_0001(db_path: Path) -> None:
    """An 0001 database as an older interpdb left it: two interpreters, four probes."""
    store = Store(resolve(str(db_path)))
    store.upgrade("0001_initial", backup_first=False)
    store.close()
    old = {"sys_path": ["/old/lib/python312.zip", "/old/lib/python3.12"], "python_version": "3.12.0"}
    new = {"sys_path": ["/x/lib/python312.zip", "/x/lib/python3.12", "/x/site-packages"], "python_version": "3.12.1"}
    columns = (
        "id, interpreter_id, probed_at, trigger, changes, outcome, error, duration_ms, interpdb_version, "
        "probe_hash, python_version, version_major, version_minor, version_micro, is_venv, prefix, base_prefix, data"
    )
    probes = [
        (1, 1, "2026-01-01 10:00:00.000000", "new", "[]", "ok", None, 30.0, "0.1", "h", "3.12.0", 3, 12, 0, 1,
         "/x", "/base", json.dumps(old)),
        (2, 1, "2026-01-02 10:00:00.000000", "changed",
         json.dumps([{"role": "site-file", "path": "/x/site-packages/a.pth", "kind": "added", "fields": []}]),
         "ok", None, 31.0, "0.1", "h", "3.12.1", 3, 12, 1, 1, "/x", "/base", json.dumps(new)),
        (3, 2, "2026-01-02 11:00:00.000000", "new", "[]", "error", "exit status 1", 5.0, "0.1", "h",
         None, None, None, None, None, None, None, None),
        (4, 2, "2026-01-03 11:00:00.000000", "changed", "[]", "error", "exit status 2", 5.0, "0.1", "h",
         None, None, None, None, None, None, None, "null"),
    ]  # fmt: skip
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO interpreters (id, host, path, created_at) VALUES "
            "(1, 'h1', '/x/bin/python', '2026-01-01 10:00:00.000000'), "
            "(2, 'h1', '/broken/python', '2026-01-02 11:00:00.000000')"
        )
        conn.executemany(f"INSERT INTO probes ({columns}) VALUES ({', '.join('?' * 18)})", probes)
        conn.execute(
            'INSERT INTO fingerprint_entries (probe_id, position, role, path, "exists") '
            "VALUES (2, 0, 'link', '/x/bin/python', 1)"
        )
        conn.execute("UPDATE interpreters SET current_probe_id = 2 WHERE id = 1")
        conn.execute("UPDATE interpreters SET current_probe_id = 4 WHERE id = 2")
    conn.close()


def test_upgrade_from_0001_with_data(db_path: Path) -> None:
    """Opening an 0001 database backs it up, upgrades it, and backfills sys.path rows from stored probes."""
    _database_at_0001(db_path)
    store = Store.open(resolve(str(db_path)))
    try:
        assert store.revision() == gate.HEAD_REVISION
        assert _diff(store) == []
    finally:
        store.close()

    # Every ok probe's sys_path, the old one too; failed probes (NULL or JSON null data) have none.
    assert _query(db_path, "SELECT probe_id, position, path FROM sys_path_entries ORDER BY probe_id, position") == [
        (1, 0, "/old/lib/python312.zip"),
        (1, 1, "/old/lib/python3.12"),
        (2, 0, "/x/lib/python312.zip"),
        (2, 1, "/x/lib/python3.12"),
        (2, 2, "/x/site-packages"),
    ]
    assert _query(db_path, "SELECT interpreter_id, path, probe_id, position, entry FROM current_sys_path") == [
        (1, "/x/bin/python", 2, 0, "/x/lib/python312.zip"),
        (1, "/x/bin/python", 2, 1, "/x/lib/python3.12"),
        (1, "/x/bin/python", 2, 2, "/x/site-packages"),
    ]
    assert _query(
        db_path,
        "SELECT interpreter_id, host, path, forgotten_at, probe_id, trigger, outcome, error, python_version, "
        "version_micro, is_venv, base_prefix FROM interpreters_current ORDER BY interpreter_id",
    ) == [
        (1, "h1", "/x/bin/python", None, 2, "changed", "ok", None, "3.12.1", 1, 1, "/base"),
        (2, "h1", "/broken/python", None, 4, "changed", "error", "exit status 2", None, None, None, None),
    ]
    audit = _query(db_path, "SELECT probe_id, interpreter_id, path, trigger, outcome, changes FROM probe_audit")
    assert [row[:5] for row in sorted(audit)] == [
        (1, 1, "/x/bin/python", "new", "ok"),
        (2, 1, "/x/bin/python", "changed", "ok"),
        (3, 2, "/broken/python", "new", "error"),
        (4, 2, "/broken/python", "changed", "error"),
    ]
    assert json.loads(sorted(audit)[1][5])[0]["path"] == "/x/site-packages/a.pth"

    # The file as it was before the upgrade, next to it.
    backups = sorted(db_path.parent.glob(f"{db_path.name}.upgrade-*.bak"))
    assert len(backups) == 1
    assert _query(backups[0], "SELECT version_num FROM alembic_version") == [("0001_initial",)]
    assert _query(backups[0], "SELECT count(*) FROM probes") == [(4,)]


def test_backfill_reads_a_long_history_in_batches(db_path: Path) -> None:
    """More probes than one backfill batch: every one of them gets its rows."""
    store = Store(resolve(str(db_path)))
    store.upgrade("0001_initial", backup_first=False)
    store.close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("INSERT INTO interpreters (id, host, path, created_at) VALUES (1, 'h', '/p', '2026-01-01')")
        conn.executemany(
            "INSERT INTO probes (id, interpreter_id, probed_at, trigger, changes, outcome, duration_ms, "
            "interpdb_version, probe_hash, data) VALUES (?, 1, '2026-01-01', 'refresh', '[]', 'ok', 1.0, '0', 'h', ?)",
            [(i, json.dumps({"sys_path": [f"/lib/{i}", "/common"]})) for i in range(1, 1202)],
        )
    conn.close()
    Store.open(resolve(str(db_path))).close()
    assert _query(db_path, "SELECT count(*), count(DISTINCT probe_id) FROM sys_path_entries") == [(2402, 1201)]
    assert _query(db_path, "SELECT path FROM sys_path_entries WHERE probe_id = 1201 ORDER BY position") == [
        ("/lib/1201",),
        ("/common",),
    ]


def test_downgrade_to_0001_and_back_keeps_the_data(
    db_path: Path, run: Cli, make_venv: Callable[..., Path], fake: Callable[[str, str], Path]
) -> None:
    """Down to 0001 drops only what 0002 added; up again rebuilds sys.path rows from the probes."""
    venv = make_venv()
    broken = fake("broken", "exit 3")
    run("probe", venv, broken, code=1)
    keep = {
        table: _query(db_path, f"SELECT * FROM {table} ORDER BY 1, 2")
        for table in ("interpreters", "probes", "fingerprint_entries")
    }
    sys_path = _query(db_path, "SELECT * FROM sys_path_entries ORDER BY probe_id, position")
    assert sys_path  # written by the probe itself
    location = resolve(str(db_path))
    store = Store(location)
    store.add_sources(hostid.current(), {str(venv): ["venv", "path"]})
    assert _query(db_path, "SELECT count(*) FROM interpreter_sources") == [(2,)]
    store.downgrade("0001_initial")
    assert store.revision() == "0001_initial"
    assert _objects(db_path, "view") == []
    assert "sys_path_entries" not in _objects(db_path, "table")
    assert "interpreter_sources" not in _objects(db_path, "table")
    assert "forgotten_at" not in [row[1] for row in _query(db_path, "PRAGMA table_info(interpreters)")]
    assert _query(db_path, "SELECT * FROM interpreters ORDER BY 1, 2") == [
        row[:5] for row in keep["interpreters"]
    ]  # all but forgotten_at and host_id, the last columns
    assert _query(db_path, "PRAGMA foreign_key_check") == []

    store.upgrade()
    try:
        assert store.revision() == gate.HEAD_REVISION
        assert _diff(store) == []
    finally:
        store.close()
    # host_id went with 0004's downgrade: the upgrade reads the host's name as its id again.
    keep["interpreters"] = [(*row[:-1], row[1]) for row in keep["interpreters"]]
    for table, rows in keep.items():
        assert _query(db_path, f"SELECT * FROM {table} ORDER BY 1, 2") == rows, table
    assert _query(db_path, "SELECT * FROM sys_path_entries ORDER BY probe_id, position") == sys_path
    assert _query(db_path, "SELECT count(*) FROM interpreter_sources") == [(0,)]  # dropped with the table
    assert _query(db_path, "PRAGMA foreign_key_check") == []
    assert len(list(db_path.parent.glob(f"{db_path.name}.downgrade-*.bak"))) == 1
    # And the CLI still reads it, as cached.
    listed = run.json("list", "--offline", "--all", code=None)
    assert sorted(r["path"] for r in listed) == sorted([str(venv), str(broken)])


def test_a_downgrade_that_fails_part_way_leaves_the_store_as_it_was(
    db_path: Path, run: Cli, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hosts of one name meet 0004's old unique key (host, path) on the way down, after
    0005's step dropped its indexes: those stayed dropped under revision 0005, and ``db upgrade``
    then had nothing to do. The whole migration is one transaction now, and the copy taken
    first is not kept: the store is that copy."""
    for host in ("aaaa/same", "bbbb/same"):
        monkeypatch.setenv("INTERPDB_HOST", host)
        run("probe", base_python)
    indexes, rows = _objects(db_path, "index"), _query(db_path, "SELECT * FROM probes ORDER BY id")
    failed = run("db", "downgrade", "0003_scrub_secrets", code=1)
    assert "UNIQUE constraint failed" in failed.stderr and "Traceback" not in failed.stderr
    assert _query(db_path, "SELECT version_num FROM alembic_version") == [(gate.HEAD_REVISION,)]
    assert _objects(db_path, "index") == indexes
    assert _query(db_path, "SELECT * FROM probes ORDER BY id") == rows
    assert list(db_path.parent.glob("*.bak")) == []
    run("db", "check")


def test_an_upgrade_gets_past_old_orphans_and_a_half_done_0005(db_path: Path, run: Cli, base_python: Path) -> None:
    """A row already without its parent (a hand prune with foreign keys off) is not the
    migration's doing: the upgrade keeps it for ``db check`` to report. And an index that
    an interrupted ``0005`` left behind (SQLite commits each ``CREATE INDEX`` at once) does
    not stop the next attempt."""
    run("probe", base_python)
    store = Store(resolve(str(db_path)))
    try:
        store.downgrade("0004_host_identity")
    finally:
        store.close()
    conn = sqlite3.connect(db_path)  # foreign keys off, as in the sqlite3 shell
    with conn:
        conn.execute("DELETE FROM probes")  # the interpreter's current_probe_id now names nothing
        conn.execute("CREATE INDEX ix_interpreters_current_probe_id ON interpreters (current_probe_id)")
    conn.close()
    upgraded = run("db", "upgrade")
    assert "0004_host_identity -> 0005_ranking_indexes" in upgraded.stdout
    assert _query(db_path, "SELECT version_num FROM alembic_version") == [(gate.HEAD_REVISION,)]
    assert set(_objects(db_path, "index")) >= {"ix_probes_kind", "ix_probes_prefix", "ix_probes_irregular"}
    checked = run("db", "check", code=1)
    assert "interpreters row 1 points to a missing probes row" in checked.stdout
