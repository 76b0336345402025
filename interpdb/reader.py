"""The read side of the store, in one small module that never imports SQLAlchemy on SQLite.

A warm command (every fingerprint still matches) is answered from here alone: the
standard library's ``sqlite3`` opens the file read-only, one query loads the
records asked for and one more loads all their fingerprint entries. Other
databases (a ``postgresql://`` URL) are read through the same SQL on a SQLAlchemy
connection, so there is exactly one read path to keep right.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import datetime

from interpdb.location import Location, is_utf8, normalize_path

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
#: ``records`` and ``fingerprint`` (dataclasses, and through them ``inspect``) are
#: imported where records are built, so ``interpdb sql`` never pays for them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from interpdb.fingerprint import Entry
    from interpdb.records import ProbeEvent, Record

    class Connection(Protocol):
        def rows(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]: ...

        def close(self) -> None: ...


#: The newest Alembic revision. ``tests/test_migrations.py`` checks it against the
#: migration scripts, so a warm start can compare it without importing Alembic.
HEAD_REVISION = "0003_scrub_secrets"

_RECORD_COLUMNS = (
    "i.id, i.host, i.path, p.id, p.outcome, p.trigger, p.probed_at, p.error, p.duration_ms, "
    "p.interpdb_version, p.changes, p.implementation, p.implementation_version, p.python_version, "
    "p.version_major, p.version_minor, p.version_micro, p.is_venv, p.free_threaded, p.debug_build, "
    "p.pointer_size, p.platform, p.executable, p.real_executable, p.prefix, p.base_prefix, p.data, "
    "i.forgotten_at"
)
_ENTRY_COLUMNS = 'e.probe_id, e.role, e.path, e."exists", e.mtime_ns, e.ctime_ns, e.size, e.ino, e.dev, e.target'
_EVENT_COLUMNS = (
    "p.id, p.interpreter_id, i.host, i.path, p.probed_at, p.trigger, p.outcome, p.error, p.duration_ms, "
    "p.changes, p.interpdb_version, p.command, p.python_version, p.implementation"
)


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
        try:
            self._conn = self._engine.connect()
        except BaseException:
            self._engine.dispose()
            raise

    def rows(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        from sqlalchemy import text

        return [tuple(row) for row in self._conn.execute(text(sql), params)]

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()


class NotADatabaseFile(sqlite3.OperationalError):
    """The SQLite path names something SQLite cannot open as a file (a directory).

    A ``sqlite3`` error, so every caller that already reports an unreadable file
    says this too, in words instead of SQLite's "disk I/O error".
    """


def connect(location: Location, *, query_only: bool = False) -> Connection | None:
    """A read connection, or None when the SQLite file does not exist yet.

    Raises ``sqlite3.Error`` for a SQLite path that cannot be read, and whatever
    SQLAlchemy or the driver raise for another URL (``cannot_connect`` words it).
    """
    if location.sqlite_file is None:
        return _Alchemy(location.url)
    try:
        mode = os.stat(location.sqlite_file).st_mode
    except OSError:
        return None
    if stat.S_ISDIR(mode):
        raise NotADatabaseFile("it is a directory, not a database file; choose another --db")
    return _Sqlite(_open_sqlite(location.sqlite_file, query_only))


def hide_password(url: str) -> str:
    """``url`` with any password in it shown as ``***``, safe to print.

    Read without SQLAlchemy's parser, so a URL it rejects is shown safely too.
    Everything between ``://`` and the last ``@`` is the user part: a password
    holding ``@`` or ``/`` is hidden whole.
    """
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if sep and at >= 0:
        user, colon, _password = rest[:at].partition(":")
        if colon:
            url = f"{scheme}://{user}:***{rest[at:]}"
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", url)


def cannot_connect(url: str, error: BaseException) -> str:
    """The one line that says ``url`` cannot be used, with neither its password nor a traceback."""
    reason = _first_line(getattr(error, "orig", None) or error)
    _scheme, sep, rest = url.partition("://")
    password = rest[: rest.rfind("@")].partition(":")[2] if sep and "@" in rest else ""
    query_password = re.search(r"(?i)password=([^&]*)", url)
    for secret in (password, query_password.group(1) if query_password else ""):
        if secret:
            from urllib.parse import unquote

            reason = reason.replace(secret, "***").replace(unquote(secret), "***")
    return f"cannot connect to {hide_password(url)}: {reason}"


def _open_sqlite(path: str, query_only: bool) -> sqlite3.Connection:
    # A file: URI so that mode=ro applies. SQLite's URI rules: only %, ? and # need
    # escaping in the path (urllib.parse would cost more to import than it saves).
    escaped = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    conn = sqlite3.connect(f"file:{escaped}?mode=ro", uri=True, timeout=5.0)
    if query_only:
        conn.execute("PRAGMA query_only = ON")
    return conn


def revision(conn: Connection) -> str | None:
    try:
        found = conn.rows("SELECT version_num FROM alembic_version", {})
    except Exception:  # no table yet: an empty or foreign file
        return None
    return str(found[0][0]) if found else None


def stored_revision(location: Location) -> str | None:
    """The schema revision of the database at ``location`` (None: no file, or unstamped)."""
    conn = connect(location)
    if conn is None:
        return None
    try:
        return revision(conn)
    finally:
        conn.close()


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
    include_forgotten: bool = False,
) -> list[Record]:
    """Interpreters with their current probes (and fingerprints), in id order.

    ``paths``/``ids`` narrow the set; neither means every interpreter on ``host``.
    Two queries in all, whatever the number of interpreters.
    """
    from interpdb.fingerprint import Entry

    where = "i.host = :host" if include_forgotten else "i.host = :host AND i.forgotten_at IS NULL"
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
    found_through = _sources_where(conn, where, params) if rows else {}
    return [_record(row, tuple(entries.get(row[3], ())), found_through.get(row[0], ())) for row in rows]


def is_id(ref: str) -> bool:
    """Is ``ref`` an interpreter id (ASCII digits) rather than a path? (``"²".isdigit()`` is true.)"""
    return ref.isascii() and ref.isdigit()


def interpreter_id(conn: Connection, ref: str, host: str) -> int | None:
    """The interpreter ``ref`` names on ``host``: an id (digits) or a path; forgotten ones too."""
    if is_id(ref):
        rows = conn.rows("SELECT id FROM interpreters WHERE id = :id AND host = :host", {"id": int(ref), "host": host})
    else:
        path = normalize_path(ref)
        if not is_utf8(path):
            return None  # never stored: the store holds UTF-8 names only
        rows = conn.rows(
            "SELECT id FROM interpreters WHERE path = :path AND host = :host", {"path": path, "host": host}
        )
    return rows[0][0] if rows else None


def _sources_where(conn: Connection, where: str, params: dict[str, Any]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for interpreter_id, source in conn.rows(
        f"SELECT s.interpreter_id, s.source FROM interpreter_sources s "
        f"JOIN interpreters i ON i.id = s.interpreter_id WHERE {where} ORDER BY s.interpreter_id, s.first_seen_at",
        params,
    ):
        found.setdefault(interpreter_id, []).append(source)
    return {key: tuple(value) for key, value in found.items()}


def _record(row: Sequence[Any], entries: tuple[Entry, ...], found_through: tuple[str, ...] = ()) -> Record:
    from interpdb.records import Record

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
        sources=found_through,
        forgotten_at=_datetime(row[27]),
    )


def history_query(
    interpreter_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    trigger: str | None = None,
    limit: int | None = None,
    *,
    hosts: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    text_times: bool = True,
) -> tuple[str, dict[str, Any]]:
    """The SQL behind ``history`` (a function of its own so tests can EXPLAIN it).

    Shaped for the indexes: ``probes(interpreter_id, probed_at)`` for one
    interpreter's log, ``probes(trigger, probed_at)`` for a trigger,
    ``probes(probed_at)`` for the whole log, ``interpreters(host, path)`` for a host.
    ``text_times``: SQLite keeps SQLAlchemy's DateTime as ISO text; others want the value.
    """
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if interpreter_ids is not None:
        clause, extra = _in_clause("iid", list(interpreter_ids))
        where.append(f"p.interpreter_id IN ({clause or 'NULL'})")
        params.update(extra)
    if hosts is not None:
        clause, extra = _in_clause("host", list(hosts))
        where.append(f"i.host IN ({clause or 'NULL'})")
        params.update(extra)
    if outcomes is not None:
        clause, extra = _in_clause("outcome", list(outcomes))
        where.append(f"p.outcome IN ({clause or 'NULL'})")
        params.update(extra)
    if since is not None:
        where.append("p.probed_at >= :since")
        params["since"] = since.strftime("%Y-%m-%d %H:%M:%S.%f") if text_times else since
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
    return sql, params


def history(
    conn: Connection,
    interpreter_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    trigger: str | None = None,
    limit: int | None = None,
    *,
    hosts: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    with_diff: bool = False,
) -> list[ProbeEvent]:
    """The probe log, newest first.

    ``with_diff`` also says what each returned probe's answer changed since the
    interpreter's previous ``ok`` probe (``ProbeEvent.diff``), reading the stored
    answers of those events only: see ``_answers_with_previous``.
    """
    from interpdb.records import ProbeEvent

    sql, params = history_query(
        interpreter_ids,
        since,
        trigger,
        limit,
        hosts=hosts,
        outcomes=outcomes,
        text_times=isinstance(conn, _Sqlite),
    )
    events = [
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
    return _with_diffs(conn, events) if with_diff else events


#: The interpreter's latest ``ok`` probe before ``p`` (ties on ``probed_at`` broken
#: by id): one descending step on the index ``probes(interpreter_id, probed_at)``.
_PREVIOUS_OK = (
    "SELECT q.id FROM probes q WHERE q.interpreter_id = p.interpreter_id AND q.outcome = 'ok' "
    "AND q.probed_at <= p.probed_at AND (q.probed_at < p.probed_at OR q.id < p.id) "
    "ORDER BY q.probed_at DESC, q.id DESC LIMIT 1"
)
#: Probe ids per query: far below SQLite's oldest limit of 999 bound parameters.
_IDS_PER_QUERY = 500


def _answers_with_previous(conn: Connection, probe_ids: Sequence[int]) -> dict[int, tuple[Any, int | None, Any]]:
    """``{probe id: (its data, previous ok probe id, that probe's data)}``.

    One query per 500 probes, each finding the previous probes through the index
    and reading only the ``data`` of the probes asked for and of those.
    """
    found: dict[int, tuple[Any, int | None, Any]] = {}
    for start in range(0, len(probe_ids), _IDS_PER_QUERY):
        clause, params = _in_clause("pid", probe_ids[start : start + _IDS_PER_QUERY])
        for row in conn.rows(
            f"SELECT p.id, p.data, prev.id, prev.data FROM probes p "
            f"LEFT JOIN probes prev ON prev.id = ({_PREVIOUS_OK}) WHERE p.id IN ({clause})",
            params,
        ):
            found[row[0]] = (_json(row[1]), row[2], _json(row[3]))
    return found


def _with_diffs(conn: Connection, events: list[ProbeEvent]) -> list[ProbeEvent]:
    """Failed probes have no answer to compare: their diff is empty and against nothing."""
    from dataclasses import replace

    from interpdb.diff import diff_probe_data

    answers = _answers_with_previous(conn, [e.probe_id for e in events if e.outcome == "ok"])
    diffed = []
    for event in events:
        data, previous_id, previous_data = answers.get(event.probe_id, (None, None, None))
        diff = diff_probe_data(previous_data, data) if previous_id is not None else []
        diffed.append(replace(event, diff=tuple(diff), diff_against=previous_id))
    return diffed


class QueryError(Exception):
    """A query ``interpdb sql`` refused or the database rejected; the message is one line."""


def query(location: Location, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement that may only read; return its column names and rows.

    The database enforces it, not a parse of the SQL. SQLite: the file is opened
    ``mode=ro`` with ``query_only``, and an authorizer lets the statement compile
    only if every action it needs is a read. PostgreSQL: one query (``SELECT``,
    ``VALUES``, ``TABLE``, ``WITH``) in a ``READ ONLY`` transaction, rolled back.
    """
    if location.sqlite_file is None:
        return _query_alchemy(location.url, sql, params)
    if not os.path.exists(location.sqlite_file):
        raise QueryError(f"no database at {location.sqlite_file}")
    denied: list[str] = []
    conn = _open_sqlite(location.sqlite_file, query_only=True)
    # The sqlite3 module must not BEGIN on its own: the statement alone asks the authorizer.
    conn.isolation_level = None
    try:
        _warm_table_functions(conn)
        conn.set_authorizer(lambda action, arg1, arg2, _db, _source: _authorize(denied, action, arg1, arg2))
        cursor = conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        return columns, [tuple(row) for row in cursor.fetchall()]
    except (sqlite3.Error, sqlite3.Warning) as error:  # Python 3.9 raises a Warning for two statements
        if denied:
            raise QueryError(f"{denied[0]} is not allowed: interpdb sql only reads") from error
        unbound = _missing_binding(sql, params) if "binding" in str(error) else None
        raise QueryError(unbound or _first_line(error)) from error
    finally:
        conn.close()


def _missing_binding(sql: str, params: dict[str, Any]) -> str | None:
    """Name the ``:param`` left unbound (Python 3.9's sqlite3 only gives its number)."""
    for name in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql):
        if name not in params:
            return f"no value for binding parameter :{name} (use --param {name}=VALUE)"
    return None


#: SQLite's authorizer action codes 1 to 33, in order (sqlite3.h).
_ACTIONS = (
    "CREATE INDEX", "CREATE TABLE", "CREATE TEMP INDEX", "CREATE TEMP TABLE", "CREATE TEMP TRIGGER",
    "CREATE TEMP VIEW", "CREATE TRIGGER", "CREATE VIEW", "DELETE", "DROP INDEX", "DROP TABLE", "DROP TEMP INDEX",
    "DROP TEMP TABLE", "DROP TEMP TRIGGER", "DROP TEMP VIEW", "DROP TRIGGER", "DROP VIEW", "INSERT", "PRAGMA",
    "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH", "ALTER TABLE", "REINDEX", "ANALYZE",
    "CREATE VTABLE", "DROP VTABLE", "FUNCTION", "SAVEPOINT", "RECURSIVE",
)  # fmt: skip
_READ_ACTIONS = frozenset({"READ", "SELECT", "FUNCTION", "RECURSIVE"})
#: Pragmas that only describe the schema or check it, whatever their argument.
_DESCRIBING_PRAGMAS = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "foreign_key_list",
        "foreign_key_check", "integrity_check", "quick_check", "collation_list", "database_list",
        "function_list", "module_list", "pragma_list", "compile_options",
    }
)  # fmt: skip
#: Settings that are only read when no value is given (with a value they would change).
_SETTING_PRAGMAS = frozenset(
    {
        "application_id", "auto_vacuum", "data_version", "encoding", "foreign_keys", "freelist_count",
        "journal_mode", "page_count", "page_size", "query_only", "schema_version", "user_version",
    }
)  # fmt: skip


#: Read-only table-valued functions, set up before the authorizer is: a connection's
#: first use of one asks to write its declaration into the schema table, which the
#: authorizer refuses like any other schema change. (The check pragmas, which could
#: be slow, are left to their PRAGMA form.)
_TABLE_FUNCTIONS = (
    "json_each('[]')",
    "json_tree('[]')",
    *(f"pragma_{name}" for name in sorted(_DESCRIBING_PRAGMAS) if not name.endswith("_check")),
)


def _warm_table_functions(conn: sqlite3.Connection) -> None:
    for function in _TABLE_FUNCTIONS:
        with suppress(sqlite3.Error):  # not in this SQLite build: it stays refused
            conn.execute(f"SELECT 1 FROM {function} LIMIT 0").fetchall()


def _authorize(denied: list[str], action: int, arg1: str | None, arg2: str | None) -> int:
    """Allow reads, functions (not ``load_extension``) and the pragmas above; say what was refused."""
    name = _ACTIONS[action - 1] if 0 < action <= len(_ACTIONS) else f"action {action}"
    if name in _READ_ACTIONS and not (name == "FUNCTION" and arg2 == "load_extension"):
        return sqlite3.SQLITE_OK
    if name == "PRAGMA" and (arg1 in _DESCRIBING_PRAGMAS or (arg1 in _SETTING_PRAGMAS and arg2 is None)):
        return sqlite3.SQLITE_OK
    if name == "PRAGMA":
        name = f"PRAGMA {arg1}" + ("" if arg2 is None else f" = {arg2}")
    elif name == "FUNCTION":
        name = f"{arg2}()"
    elif arg1 in ("sqlite_master", "sqlite_temp_master"):
        # CREATE, DROP and ALTER ask first to write the schema table: say what that means.
        name = "changing the schema"
    elif arg1 and name not in ("ATTACH", "TRANSACTION", "SAVEPOINT"):
        name = f"{name} {arg1}"
    denied.append(name)
    return sqlite3.SQLITE_DENY


def _query_alchemy(url: str, sql: str, params: dict[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import SQLAlchemyError

    backend = make_url(url).get_backend_name()
    if backend != "postgresql":  # the one other database whose transactions can be made read-only here
        raise QueryError(f"interpdb sql reads SQLite and PostgreSQL databases, not {backend}")
    query = sql.strip().rstrip(";").rstrip()
    if ";" in query:
        # The subquery below is no boundary for a ';': "SELECT 1) AS q; COMMIT; DELETE ...;
        # SELECT * FROM (SELECT 1" closes it, ends the read-only transaction and writes.
        # No character of it is read as a string or comment here, so no lexer can disagree.
        raise QueryError("';' is refused on PostgreSQL: interpdb sql runs one query (bind such text with --param)")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            try:
                # The transaction's first statement: whatever follows may only read.
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                # As a subquery, the text is one query to the server's parser: a statement
                # that is not a query (DELETE ..., COMMIT) is a syntax error before anything runs.
                result = conn.execute(text(f"SELECT * FROM (\n{query}\n) AS interpdb_query"), params)
                if not result.returns_rows:
                    return [], []
                return list(result.keys()), [tuple(row) for row in result]
            finally:
                conn.rollback()
    except SQLAlchemyError as error:
        orig = getattr(error, "orig", None)
        message = _first_line(orig or error)
        if getattr(orig, "sqlstate", None) == "42601" or getattr(orig, "pgcode", None) == "42601":  # syntax error
            message += " (interpdb sql runs one read-only SELECT, VALUES, TABLE or WITH query)"
        raise QueryError(message) from error
    finally:
        engine.dispose()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else error.__class__.__name__


_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def bindings(pairs: Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs for ``sql --param``; a value written as an integer binds as one."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name.isidentifier():
            raise ValueError(f"{pair!r}: use NAME=VALUE, binding :NAME in the query")
        params[name] = int(text) if _INTEGER.fullmatch(text) else text
    return params


def query_records(location: Location, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """``query`` as rows keyed by column; a repeated name (``i.id, p.id``) becomes ``id_2``."""
    columns, rows = query(location, sql, params)
    seen: set[str] = set()
    names = []
    for column in columns:
        name, n = column, 1
        while name in seen:
            n += 1
            name = f"{column}_{n}"
        seen.add(name)
        names.append(name)
    return [dict(zip(names, (_cell(v) for v in row))) for row in rows]


def _cell(value: Any) -> Any:
    return value.hex() if isinstance(value, (bytes, memoryview)) else value
