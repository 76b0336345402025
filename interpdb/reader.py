"""The read side of the store, in one small module that never imports SQLAlchemy on SQLite.

A warm command (every fingerprint still matches) is answered from here alone: the
standard library's ``sqlite3`` opens the file read-only, one query loads the
records asked for and one more loads all their fingerprint entries. Other
databases (a ``postgresql://`` URL) are read through the same SQL on a SQLAlchemy
connection, so there is exactly one read path to keep right.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from interpdb.fingerprint import Entry
from interpdb.location import Location
from interpdb.records import ProbeEvent, Record

#: The newest Alembic revision. ``tests/test_migrations.py`` checks it against the
#: migration scripts, so a warm start can compare it without importing Alembic.
HEAD_REVISION = "0001_initial"

_RECORD_COLUMNS = (
    "i.id, i.host, i.path, p.id, p.outcome, p.trigger, p.probed_at, p.error, p.duration_ms, "
    "p.interpdb_version, p.changes, p.implementation, p.implementation_version, p.python_version, "
    "p.version_major, p.version_minor, p.version_micro, p.is_venv, p.free_threaded, p.debug_build, "
    "p.pointer_size, p.platform, p.executable, p.real_executable, p.prefix, p.base_prefix, p.data"
)
_ENTRY_COLUMNS = 'e.probe_id, e.role, e.path, e."exists", e.mtime_ns, e.ctime_ns, e.size, e.ino, e.dev, e.target'
_EVENT_COLUMNS = (
    "p.id, p.interpreter_id, i.host, i.path, p.probed_at, p.trigger, p.outcome, p.error, p.duration_ms, "
    "p.changes, p.interpdb_version, p.command, p.python_version, p.implementation"
)


class Connection(Protocol):
    def rows(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]: ...

    def close(self) -> None: ...


class _Sqlite:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def rows(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        self._conn.close()


class _Alchemy:
    """Any other database: the same SQL through SQLAlchemy (imported only here)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self._engine = create_engine(url)
        self._conn = self._engine.connect()

    def rows(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        from sqlalchemy import text

        return [tuple(row) for row in self._conn.execute(text(sql), params)]

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()


def connect(location: Location, *, query_only: bool = False) -> Connection | None:
    """A read connection, or None when the SQLite file does not exist yet."""
    if location.sqlite_path is None:
        return _Alchemy(location.url)
    if not location.sqlite_path.exists():
        return None
    conn = sqlite3.connect(f"{location.sqlite_path.as_uri()}?mode=ro", uri=True, timeout=5.0)
    if query_only:
        conn.execute("PRAGMA query_only = ON")
    return _Sqlite(conn)


def revision(conn: Connection) -> str | None:
    try:
        found = conn.rows("SELECT version_num FROM alembic_version", {})
    except Exception:  # no table yet: an empty or foreign file
        return None
    return str(found[0][0]) if found else None


def _in_clause(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{key}" for key in params), params


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _json(value: Any) -> Any:
    if isinstance(value, (str, bytes)):
        return json.loads(value)
    return value


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def current_records(
    conn: Connection,
    host: str,
    paths: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
    with_entries: bool = True,
) -> list[Record]:
    """Interpreters with their current probes (and fingerprints), in id order.

    ``paths``/``ids`` narrow the set; neither means every interpreter on ``host``.
    Two queries in all, whatever the number of interpreters.
    """
    where = "i.host = :host"
    params: dict[str, Any] = {"host": host}
    if paths is not None:
        clause, extra = _in_clause("path", list(paths))
        where += f" AND i.path IN ({clause or 'NULL'})"
        params.update(extra)
    if ids is not None:
        clause, extra = _in_clause("id", list(ids))
        where += f" AND i.id IN ({clause or 'NULL'})"
        params.update(extra)
    rows = conn.rows(
        f"SELECT {_RECORD_COLUMNS} FROM interpreters i LEFT JOIN probes p ON p.id = i.current_probe_id "
        f"WHERE {where} ORDER BY i.id",
        params,
    )
    entries: dict[int, list[Entry]] = {}
    if with_entries and rows:
        for row in conn.rows(
            f"SELECT {_ENTRY_COLUMNS} FROM fingerprint_entries e "
            f"JOIN interpreters i ON e.probe_id = i.current_probe_id WHERE {where} "
            "ORDER BY e.probe_id, e.position",
            params,
        ):
            entries.setdefault(row[0], []).append(
                Entry(row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7], row[8], row[9])
            )
    return [_record(row, tuple(entries.get(row[3], ()))) for row in rows]


def _record(row: Sequence[Any], entries: tuple[Entry, ...]) -> Record:
    return Record(
        id=row[0],
        host=row[1],
        path=row[2],
        status="cached",
        probe_id=row[3],
        outcome=row[4],
        trigger=row[5],
        probed_at=_datetime(row[6]),
        error=row[7],
        duration_ms=row[8],
        interpdb_version=row[9],
        changes=tuple(_json(row[10]) or ()),
        implementation=row[11],
        implementation_version=row[12],
        version=row[13],
        version_major=row[14],
        version_minor=row[15],
        version_micro=row[16],
        is_venv=_bool(row[17]),
        free_threaded=_bool(row[18]),
        debug_build=_bool(row[19]),
        pointer_size=row[20],
        platform=row[21],
        executable=row[22],
        real_executable=row[23],
        prefix=row[24],
        base_prefix=row[25],
        data=_json(row[26]) or {},
        entries=entries,
    )


def history(
    conn: Connection,
    interpreter_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    trigger: str | None = None,
    limit: int | None = None,
) -> list[ProbeEvent]:
    """The probe log, newest first."""
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if interpreter_ids is not None:
        clause, extra = _in_clause("iid", list(interpreter_ids))
        where.append(f"p.interpreter_id IN ({clause or 'NULL'})")
        params.update(extra)
    if since is not None:
        where.append("p.probed_at >= :since")
        # SQLite keeps SQLAlchemy's DateTime as ISO text; other databases want the value.
        params["since"] = since.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(conn, _Sqlite) else since
    if trigger is not None:
        where.append("p.trigger = :trigger")
        params["trigger"] = trigger
    sql = (
        f"SELECT {_EVENT_COLUMNS} FROM probes p JOIN interpreters i ON i.id = p.interpreter_id "
        f"WHERE {' AND '.join(where)} ORDER BY p.probed_at DESC, p.id DESC"
    )
    if limit is not None:
        sql += " LIMIT :limit"
        params["limit"] = limit
    return [
        ProbeEvent(
            probe_id=row[0],
            interpreter_id=row[1],
            host=row[2],
            path=row[3],
            probed_at=_datetime(row[4]) or datetime.min,
            trigger=row[5],
            outcome=row[6],
            error=row[7],
            duration_ms=row[8],
            changes=tuple(_json(row[9]) or ()),
            interpdb_version=row[10],
            command=row[11],
            version=row[12],
            implementation=row[13],
        )
        for row in conn.rows(sql, params)
    ]
