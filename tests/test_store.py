"""The store: upgrade on open, pragmas, wheel installs (migrations themselves: test_migrations.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli

from interpdb import hostid
from interpdb.location import resolve
from interpdb.store import gate
from interpdb.store.schema import migrations_dir
from interpdb.store.write import Store

ROOT = Path(__file__).resolve().parent.parent


def test_sqlite_pragmas_are_set_per_connection(db_path: Path) -> None:
    store = Store.open(resolve(str(db_path)))
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    store.close()


def test_database_is_created_on_first_use_in_the_default_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Cli, base_python: Path
) -> None:
    """No --db, no INTERPDB_DB: $XDG_DATA_HOME/interpdb/interpdb.sqlite3."""
    monkeypatch.delenv("INTERPDB_DB")
    run("probe", base_python)
    created = tmp_path / "xdg-data" / "interpdb" / "interpdb.sqlite3"
    assert created.exists()
    conn = sqlite3.connect(created)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (gate.HEAD_REVISION,)
    conn.close()


def test_db_option_overrides_environment(tmp_path: Path, run: Cli, base_python: Path) -> None:
    other = tmp_path / "other.sqlite3"
    run("--db", other, "probe", base_python)
    assert other.exists()
    assert not run.db.exists()


def test_unstamped_database_with_tables_is_reported_not_clobbered(db_path: Path, run: Cli, base_python: Path) -> None:
    """A file whose revision is unknown but has tables cannot be upgraded blindly."""
    run("probe", base_python)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("DELETE FROM alembic_version")
    conn.close()
    result = run("list", code=1)
    assert "has interpdb's tables but no schema revision" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(sqlite3.connect(db_path).execute("SELECT * FROM probes").fetchall()) == 1


def test_garbage_file_is_a_clear_error_and_is_not_overwritten(db_path: Path, run: Cli) -> None:
    db_path.write_bytes(b"this is not sqlite" * 100)
    result = run("list", code=1)
    assert "error" in result.stderr.lower() or "Error" in result.stderr
    assert "Traceback" not in result.stderr
    assert db_path.read_bytes() == b"this is not sqlite" * 100


def test_warm_start_does_not_import_alembic_or_sqlalchemy(db_path: Path, base_python: Path) -> None:
    """Finding the database current costs a sqlite3 query, not an Alembic import."""
    env_db = str(db_path)
    code = textwrap.dedent(
        f"""
        import sys
        from interpdb.cli import main
        sys.argv = ["interpdb", "--db", {env_db!r}, "probe", {str(base_python)!r}]
        try:
            main()
        except SystemExit:
            pass
        print("HEAVY", sorted(m for m in ("sqlalchemy", "alembic") if m in sys.modules))
        """
    )
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY ['alembic', 'sqlalchemy']" in cold.stdout
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in warm.stdout


def test_migrations_dir_is_found_in_a_checkout() -> None:
    assert migrations_dir() == ROOT / "migrations"


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.backends
def test_record_writes_sys_path_rows_for_ok_probes(
    run: Cli, make_venv: Callable[..., Path], fake: Callable[[str, str], Path]
) -> None:
    """Each ok probe's sys.path is also rows, in order; a failed probe has none."""
    venv = make_venv()
    run("probe", venv, fake("broken", "exit 3"), code=1)
    probes = run.probes()
    ok = next(p for p in probes if p["outcome"] == "ok")
    assert any(p["outcome"] == "error" for p in probes)
    stored = run.rows("SELECT probe_id, position, path FROM sys_path_entries ORDER BY probe_id, position")
    assert stored == [(ok["id"], i, entry) for i, entry in enumerate(json.loads(ok["data"])["sys_path"])]


@pytest.mark.backends
def test_add_sources_inserts_each_pair_once_and_ignores_unknown_paths(run: Cli, base_python: Path) -> None:
    """Discovery may report the same (path, source) every run: the first sighting is kept."""
    run("probe", base_python)
    ((interpreter_id, host, path),) = run.rows("SELECT id, host, path FROM interpreters")
    store = Store.open(resolve(run.url))
    try:
        me = hostid.current()
        store.add_sources(me, {path: ["path", "pyenv", "path"], "/no/such/python": ["path"]})
        first = run.rows("SELECT interpreter_id, source, first_seen_at FROM interpreter_sources ORDER BY source")
        assert [row[:2] for row in first] == [(interpreter_id, "path"), (interpreter_id, "pyenv")]
        store.add_sources(me, {path: ["pyenv", "system"]})
        store.add_sources(hostid.Host("another-host", host), {path: ["conda"]})
        store.add_sources(me, {})
    finally:
        store.close()
    again = run.rows("SELECT interpreter_id, source, first_seen_at FROM interpreter_sources ORDER BY source")
    assert again == [*first, (interpreter_id, "system", again[2][2])]
    assert str(again[2][2]) >= str(first[0][2])


def test_database_path_with_uri_characters(tmp_path: Path, run: Cli, base_python: Path) -> None:
    """'?', '#', '%' and spaces in the path stay part of the path for both reader and writer."""
    folder = tmp_path / "we ird#dir?x%"
    folder.mkdir()
    db = folder / "db.sqlite3"
    run("--db", db, "probe", base_python)
    listed = run.json("--db", db, "list", "--no-discover")
    assert [r["path"] for r in listed] == [str(base_python)]
    assert not (tmp_path / "we ird#dir").exists(), "the writer must not cut the path at '?'"


def test_a_location_is_an_immutable_value(tmp_path: Path) -> None:
    """Compared, hashed, pickled and copied by value; never changed in place."""
    import copy
    import pickle

    location = resolve(str(tmp_path / "a.sqlite3"))
    assert location == resolve(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    assert len({location, resolve(str(tmp_path / "a.sqlite3"))}) == 1
    assert pickle.loads(pickle.dumps(location)) == location
    assert copy.deepcopy(location) == copy.copy(location) == location
    with pytest.raises(AttributeError):
        location.url = "sqlite:///elsewhere"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del location.url
    assert location.sqlite_file == str(tmp_path / "a.sqlite3")
