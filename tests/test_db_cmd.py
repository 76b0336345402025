"""``interpdb db``: path, current, upgrade, downgrade, check and backup, on real databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, query

from interpdb.location import resolve
from interpdb.store import gate
from interpdb.store.write import Store


def _rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {table: query(db, f"SELECT * FROM {table} ORDER BY id") for table in ("interpreters", "probes")}


def _backups(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f"{db.name}.*.bak"))


def _one_line_error(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


def test_downgrade_to_0001_and_upgrade_again_keeps_the_data(run: Cli, db_path: Path, base_python: Path) -> None:
    """Down to the first schema and back through the CLI: interpreters and probes rows come back unchanged."""
    run("probe", base_python)
    before = _rows(db_path)
    assert len(before["probes"]) == 1

    down = run("db", "downgrade", "0001_initial")
    assert f"downgraded {db_path}: {gate.HEAD_REVISION} -> 0001_initial" in down.stdout
    [backup] = _backups(db_path)
    assert f"backup: {backup}" in down.stdout
    assert query(backup, "SELECT version_num FROM alembic_version") == [(gate.HEAD_REVISION,)]
    assert run("db", "current").stdout.startswith("0001_initial (behind the head")
    assert query(db_path, "SELECT * FROM probes ORDER BY id") == before["probes"]

    up = run("db", "upgrade")
    assert f"upgraded {db_path}: 0001_initial -> {gate.HEAD_REVISION}" in up.stdout
    assert len(_backups(db_path)) == 2
    # host_id went with 0004's downgrade: the upgrade reads the host's name (host) as its id again.
    before["interpreters"] = [(*row[:-1], row[1]) for row in before["interpreters"]]
    assert _rows(db_path) == before
    assert run("db", "current").stdout == f"{gate.HEAD_REVISION} (head)\n"
    assert run("db", "check").stdout.startswith(f"revision {gate.HEAD_REVISION} (head): ok")


def test_downgrade_to_base_leaves_a_store_the_next_command_creates_again(
    run: Cli, db_path: Path, base_python: Path
) -> None:
    """``db downgrade base`` drops every table but Alembic's own, emptied. That store read
    as damaged ("no schema revision", restore a backup) to every command, ``db upgrade``
    included; it is an empty store now, which the next write creates as a new one."""
    run("probe", base_python)
    run("db", "downgrade", "base")
    assert query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("alembic_version",)]
    assert run("list", "--no-discover", "--format", "json").stdout == "[]\n"
    assert run("db", "upgrade").stdout.startswith(f"created {db_path}: nothing -> {gate.HEAD_REVISION}")
    [record] = run.json("probe", base_python)
    assert (record["id"], record["trigger"]) == (1, "new")
    assert run("db", "check").stdout.startswith(f"revision {gate.HEAD_REVISION} (head): ok")


def test_upgrade_creates_a_missing_database_and_is_a_no_op_at_the_head(run: Cli, db_path: Path) -> None:
    """Nothing to back up on creation; nothing done (and no backup) when already current."""
    result = run("db", "upgrade")
    assert result.stdout.startswith(f"created {db_path}: nothing -> {gate.HEAD_REVISION}")
    assert _backups(db_path) == []
    again = run("db", "upgrade")
    assert again.stdout == f"{db_path} is already at {gate.HEAD_REVISION}\n"
    assert run("db", "upgrade", "0001_initial").stdout.startswith(f"{db_path} stays at {gate.HEAD_REVISION}")
    assert _backups(db_path) == []


def test_downgrade_to_an_unknown_revision_is_one_line_and_leaves_no_backup(run: Cli, db_path: Path) -> None:
    run("db", "upgrade")
    result = run("db", "downgrade", "no_such_rev", code=1)
    _one_line_error(result.stderr)
    assert "no_such_rev" in result.stderr
    assert _backups(db_path) == []
    assert run("db", "current").stdout == f"{gate.HEAD_REVISION} (head)\n"


@pytest.mark.parametrize(("args", "code"), [(("upgrade", "@"), 1), (("downgrade", "@"), 1), (("upgrade", ""), 2)])
def test_a_revision_alembic_cannot_read_is_one_line_and_leaves_no_backup(
    run: Cli, db_path: Path, args: tuple[str, ...], code: int
) -> None:
    """'@' failed an assertion inside Alembic (a traceback) and an empty one too; each left a backup."""
    run("db", "upgrade")
    result = run("db", *args, code=code)
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")
    assert _backups(db_path) == []


def test_a_migration_steps_own_error_is_not_called_a_bad_revision(
    run: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catch for Alembic's reading of '@' took in every ValueError or KeyError of a
    step too (a damaged time, say), and called it "not a revision"."""
    from interpdb.store import schema

    run("db", "upgrade")
    run("db", "downgrade", "0004_host_identity")
    for backup in _backups(db_path):
        backup.unlink()

    def failing_step(_engine: Any, _direction: str, _target: str) -> None:
        raise ValueError("a stored time that does not decode")

    monkeypatch.setattr(schema, "run_migrations", failing_step)
    store = Store(resolve(str(db_path)))
    try:
        with pytest.raises(ValueError, match="a stored time that does not decode"):
            schema.migrate(store.location, store.engine, "upgrade", "head")
    finally:
        store.close()
    assert _backups(db_path) == []


@pytest.mark.sqlite_only  # a view of the user's own in the SQLite file
def test_an_upgrade_a_users_view_blocks_says_so_and_leaves_no_backups(
    run: Cli, db_path: Path, base_python: Path
) -> None:
    """A view of one's own over ``interpreters`` fails the table rebuild of 0004. The hint
    repeated "interpdb db upgrade", and every writing command that tried the implicit
    upgrade left one more full copy beside the store."""
    run("probe", base_python)
    run("db", "downgrade", "0003_scrub_secrets")
    for backup in _backups(db_path):
        backup.unlink()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("CREATE VIEW my_paths AS SELECT path, host FROM interpreters")
    conn.close()
    for args in (("db", "upgrade"), ("probe", "--refresh", base_python), ("probe", "--refresh", base_python)):
        result = run(*args, code=1)
        assert result.stderr.splitlines()[-1].startswith("hint: a view or trigger of your own"), result.stderr
    assert _backups(db_path) == []
    assert query(db_path, "SELECT version_num FROM alembic_version") == [("0003_scrub_secrets",)]


def test_downgrade_needs_a_revision_and_a_database(run: Cli, db_path: Path) -> None:
    assert run("db", "downgrade", code=2).exit_code == 2
    result = run("db", "downgrade", "base", code=1)
    assert result.stderr == f"error: no database at {db_path}\n"
    assert not db_path.exists()


def test_check_passes_on_a_fresh_database_and_lists_a_hand_made_column(run: Cli, db_path: Path) -> None:
    """A column added by hand is a difference from the models: exit 1, named in the output."""
    run("db", "upgrade")
    ok = run("db", "check")
    assert ok.stdout.splitlines() == [
        f"revision {gate.HEAD_REVISION} (head): ok",
        "schema: matches the models",
        "rows: every stored row reads back",
        "integrity: ok",
    ]
    conn = sqlite3.connect(db_path)
    conn.execute("ALTER TABLE probes ADD COLUMN junk TEXT")
    conn.close()
    failed = run("db", "check", code=1)
    assert failed.stdout == "column probes.junk is in the database, not in the models\n"
    assert failed.stderr == f"error: {db_path} fails the check: 1 problem\n"


def test_check_reports_rows_without_their_parent(run: Cli, db_path: Path, base_python: Path) -> None:
    """foreign_key_check runs too: a probe whose interpreter is gone is listed."""
    run("probe", base_python)
    conn = sqlite3.connect(db_path)  # foreign keys are off on a plain sqlite3 connection
    with conn:
        conn.execute("UPDATE probes SET interpreter_id = 999")
    conn.close()
    result = run("db", "check", code=1)
    assert "foreign_key_check: probes row 1 points to a missing interpreters row" in result.stdout
    _one_line_error(result.stderr)


def test_check_on_a_database_behind_the_head_says_so_without_upgrading_it(run: Cli, db_path: Path) -> None:
    _stamp_0001(db_path)
    result = run("db", "check", code=1)
    assert f"revision 0001_initial is not the head {gate.HEAD_REVISION}" in result.stdout
    assert "table interpreter_sources is in the models, not in the database" in result.stdout
    assert query(db_path, "SELECT version_num FROM alembic_version") == [("0001_initial",)]


def test_check_on_a_file_that_is_not_a_database_is_one_line(run: Cli, db_path: Path) -> None:
    db_path.write_bytes(b"not sqlite at all" * 100)
    result = run("db", "check", code=1)
    _one_line_error(result.stderr)
    assert db_path.read_bytes() == b"not sqlite at all" * 100


def test_path_honours_db_and_the_environment_and_creates_nothing(
    run: Cli, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("db", "path").stdout == f"{db_path}\n"
    other = tmp_path / "other.sqlite3"
    assert run("--db", other, "db", "path").stdout == f"{other}\n"
    monkeypatch.setenv("INTERPDB_DB", str(tmp_path / "env.sqlite3"))
    assert run("db", "path").stdout == f"{tmp_path / 'env.sqlite3'}\n"
    assert run("--db", "postgresql://user@db.example/inventory", "db", "path").stdout == (
        "postgresql://user@db.example/inventory\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_current_on_a_database_stamped_at_0001_reads_it_and_changes_nothing(run: Cli, db_path: Path) -> None:
    _stamp_0001(db_path)
    result = run("db", "current")
    assert result.stdout == f"0001_initial (behind the head: {gate.HEAD_REVISION})\n"
    assert "hint: interpdb db upgrade" in result.stderr
    # Read-only, db upgrade cannot run: the hint said to, and db upgrade then pointed back.
    read_only = run("--read-only", "db", "current")
    assert read_only.stderr == "hint: read-only here (--read-only was given): reading commands read it as it is\n"
    assert query(db_path, "SELECT version_num FROM alembic_version") == [("0001_initial",)]
    assert run("-q", "db", "current").stderr == ""


def test_current_without_a_database_or_with_an_unknown_revision(run: Cli, db_path: Path) -> None:
    assert run("db", "current").stdout == f"none (no database yet; head: {gate.HEAD_REVISION})\n"
    assert not db_path.exists()
    run("db", "upgrade")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    conn.close()
    result = run("db", "current")
    assert result.stdout.startswith("0099_future (unknown to interpdb")
    assert "newer interpdb" in result.stderr


def test_backup_is_a_readable_copy_with_the_same_rows(
    run: Cli, db_path: Path, tmp_path: Path, base_python: Path
) -> None:
    """Next to the database by default, or to DEST (a new file or a directory); never over a file."""
    run("probe", base_python)
    rows = _rows(db_path)
    beside = Path(run("db", "backup").stdout.strip())
    assert beside.parent == db_path.parent and beside.name.startswith(f"{db_path.name}.backup-")
    assert _rows(beside) == rows
    assert query(beside, "PRAGMA integrity_check") == [("ok",)]

    dest = tmp_path / "copies" / "inventory.sqlite3"
    dest.parent.mkdir()
    assert run("db", "backup", dest).stdout == f"{dest}\n"
    assert _rows(dest) == rows
    into_dir = Path(run("db", "backup", tmp_path / "copies").stdout.strip())
    assert into_dir.parent == dest.parent and _rows(into_dir) == rows

    refused = run("db", "backup", dest, code=1)
    assert refused.stderr == f"error: {dest} already exists; name a new file\n"
    # A folder meant by its slash, not there: not a file of that name.
    no_folder = f"{tmp_path / 'no-such'}/"
    assert run("db", "backup", no_folder, code=1).stderr.startswith(f"error: {no_folder} is not a directory")
    assert not (tmp_path / "no-such").exists()
    # Two in one second (and two migrations at once) each get their own file.
    twice = {run("db", "backup").stdout.strip() for _ in range(3)}
    assert len(twice) == 3 and all(_rows(Path(copy)) == rows for copy in twice)
    # The copy is a database interpdb opens like any other.
    assert [r["path"] for r in run.json("--db", dest, "list", "--offline", "--all")] == [str(base_python)]


def test_backup_needs_a_sqlite_file(run: Cli, db_path: Path) -> None:
    missing = run("db", "backup", code=1)
    assert missing.stderr == f"error: no database at {db_path}\n"
    remote = run("--db", "postgresql://user@db.example/inventory", "db", "backup", code=1)
    _one_line_error(remote.stderr)
    assert "SQLite" in remote.stderr
    assert not db_path.exists()


def _stamp_0001(db_path: Path) -> None:
    store = Store(resolve(str(db_path)))
    try:
        store.upgrade("0001_initial", backup_first=False)
    finally:
        store.close()
