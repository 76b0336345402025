"""The read side of the store: standard library ``sqlite3`` on SQLite, no SQLAlchemy.

A warm command (every fingerprint still matches) is answered from here alone: one
query loads the records asked for and one more all their fingerprint entries.
PostgreSQL (a ``postgresql+psycopg://`` URL) is read through the same SQL on
libpq (``store.libpq``, ``:name`` written ``$1``) or, without it, on psycopg
(``:name`` written ``%(name)s``: ``pyformat``), and any other database through
SQLAlchemy: there is exactly one read path to keep right.
Connections come from ``store.gate.open_read``, which has decided the store is
readable; rows are read by column name (``store.columns``), never by position.

A row that cannot be decoded (text that is not UTF-8, JSON that does not parse, a
value of the wrong type: a damaged or hand-edited store) never raises: its record
comes back with status ``error`` and a reason naming the row, and its event with
outcome ``error``. ``damaged_rows`` lists them all for ``db check``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from interpdb._stdlib import datetime, sqlite3
from interpdb.location import Location, is_utf8, normalize_path
from interpdb.store.columns import ENTRY_FIELDS, ENTRY_SELECT, EVENT, RECORD, select_list

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
#: ``records`` and ``fingerprint`` (dataclasses, and through them ``inspect``) are
#: imported where records are built, so ``interpdb sql`` never pays for them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from interpdb.fingerprint import Entry
    from interpdb.hostid import Host
    from interpdb.records import ProbeEvent, Record
    from interpdb.store.gate import Access

    #: ``current_records``' ``facts``: the exact filter on the current probe (SQL on ``p``), its
    #: parameters, and SQL choosing the ids of a superset of those interpreters through the
    #: indexes of revision ``0005_ranking_indexes`` (None: every interpreter is looked at).
    Facts = tuple[str, dict[str, Any], "str | None"]


#: How long a connection waits for a lock another connection holds (SQLite's busy timeout).
BUSY_TIMEOUT = 5.0


def busy_message(where: str, seconds: float = BUSY_TIMEOUT) -> str:
    """What a store another program held locked past ``BUSY_TIMEOUT`` (a writer's
    ``schema.BUSY_TIMEOUT_MS``: ``seconds``) says: busy, not broken."""
    return f"{where} is busy: another program has held it locked for {seconds:g} seconds; try again"


#: The same wait on PostgreSQL, for a reader: a lock held longer (another host's ``db upgrade``)
#: is busy after it, as on SQLite, where a statement used to wait for it, deaf to Ctrl-C.
LOCK_TIMEOUT = f"SET lock_timeout TO '{int(BUSY_TIMEOUT * 1000)}ms'"
#: PostgreSQL's SQLSTATE for "canceling statement due to lock timeout".
LOCK_NOT_AVAILABLE = "55P03"


def is_busy(error: BaseException) -> bool:
    """SQLite's "database is locked", PostgreSQL's ``lock_not_available``: another connection
    held the lock past ``BUSY_TIMEOUT`` (the ``lock_timeout`` of ``LOCK_TIMEOUT``)."""
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)  # psycopg 3, psycopg2
    return "database is locked" in str(orig) or code == LOCK_NOT_AVAILABLE


class Connection:
    """A read connection to a store the gate has looked at (``access``).

    ``rows`` returns rows that are read by column name (``row["path"]``).
    """

    access: Access | None = None

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def present(self) -> dict[str, frozenset[str]] | None:
        """The store's columns per table when it is not at the head revision (None: the head's)."""
        return None if self.access is None else self.access.present

    @property
    def raw(self) -> sqlite3.Connection:
        raise NotImplementedError("only a SQLite store has a sqlite3 connection")

    @property
    def driver(self) -> Any:
        raise NotImplementedError("only a PostgreSQL store read through psycopg has a psycopg connection")

    def has_table(self, table: str) -> bool:
        return self.present is None or table in self.present

    def revision(self) -> str | None:
        try:
            found = self.rows("SELECT version_num FROM alembic_version", {})
        except Exception as error:  # no table yet: an empty or foreign store
            if is_busy(error):
                raise  # locked, not empty: never told apart from a store that lost its revision
            self.reset()
            return None
        return str(found[0]["version_num"]) if found else None

    def reset(self) -> None:
        """After a failed statement (PostgreSQL aborts the transaction)."""

    def tuples(self, sql: str, params: dict[str, Any]) -> tuple[dict[str, int], Sequence[Any]] | None:
        """The rows as plain tuples and where each column is in them (read by name all the
        same), for the many rows of a fingerprint; None where ``rows`` must read them."""
        return None

    def table_columns(self) -> dict[str, frozenset[str]]:
        """Each table's columns (a server database: from ``information_schema``)."""
        found: dict[str, set[str]] = {}
        for row in self.rows(
            "SELECT table_name AS t, column_name AS c FROM information_schema.columns "
            "WHERE table_schema = current_schema()",
            {},
        ):
            found.setdefault(row["t"], set()).add(row["c"])
        return {table: frozenset(columns) for table, columns in found.items()}

    def has_rows(self, table: str) -> bool:
        return bool(self.rows(f"SELECT 1 FROM {table} LIMIT 1", {}))


class _Sqlite(Connection):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        conn.row_factory = sqlite3.Row

    @property
    def raw(self) -> sqlite3.Connection:
        """The ``sqlite3`` connection itself (the ``sql`` sandbox sets its authorizer), rows as tuples."""
        self._conn.row_factory = None
        return self._conn

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            if "decode" not in str(error):
                raise
        # A text value that is not UTF-8 (a damaged store): read every text as bytes and
        # decode each cell, replacing what does not decode, so the row can say it is damaged.
        self._conn.text_factory = bytes
        try:
            return [_DecodedRow(row) for row in self._conn.execute(sql, params).fetchall()]
        finally:
            self._conn.text_factory = str

    def tuples(self, sql: str, params: dict[str, Any]) -> tuple[dict[str, int], Sequence[Any]] | None:
        cursor = self._conn.cursor()
        cursor.row_factory = None  # a sqlite3.Row costs more than the tuple it wraps
        try:
            found = cursor.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            if "decode" not in str(error):
                raise
            return None  # text that is not UTF-8: ``rows`` reads it cell by cell
        return {name: index for index, (name, *_details) in enumerate(cursor.description)}, found

    def close(self) -> None:
        self._conn.close()

    def table_columns(self) -> dict[str, frozenset[str]]:
        tables = [name for (name,) in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            str(table): frozenset(
                str(name) for (name,) in self._conn.execute("SELECT name FROM pragma_table_info(?)", (table,))
            )
            for table in tables
            if not str(table).startswith("sqlite_")
        }


class _DecodedRow:
    """A row read with bytes for text: each cell decoded, a bad one marked (``undecodable``)."""

    __slots__ = ("_values", "undecodable")

    def __init__(self, row: sqlite3.Row) -> None:
        self._values: dict[str, Any] = {}
        self.undecodable: list[str] = []
        for key in row.keys():  # noqa: SIM118 (sqlite3.Row is not a mapping)
            value = row[key]
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    self.undecodable.append(key)
                    value = value.decode("utf-8", "replace")
            self._values[key] = value

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            return list(self._values.values())[key]
        return self._values[key]

    def keys(self) -> list[str]:
        return list(self._values)


class _Alchemy(Connection):
    """Any other database: the same SQL through SQLAlchemy (imported only here)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self._engine = create_engine(url)
        try:
            self._conn = self._engine.connect()
        except BaseException:
            self._engine.dispose()
            raise

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        from sqlalchemy import text

        return [row._mapping for row in self._conn.execute(text(sql), params)]

    def reset(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()
        self._engine.dispose()

    def table_columns(self) -> dict[str, frozenset[str]]:
        from sqlalchemy import inspect

        inspector = inspect(self._conn)
        return {name: frozenset(c["name"] for c in inspector.get_columns(name)) for name in inspector.get_table_names()}


class _Psycopg(Connection):
    """PostgreSQL through psycopg 3 directly: the same SQL, no SQLAlchemy (it costs more
    to import than the whole warm command). ``:name`` parameters become psycopg's
    ``%(name)s`` (``pyformat``). Each statement sees what is committed when it starts
    (READ COMMITTED, as through SQLAlchemy), in a transaction that may only read."""

    def __init__(self, conninfo: str, where: str = "the database") -> None:
        import psycopg
        from psycopg.rows import dict_row

        self._where = where
        # prepare_threshold=None: no server-side prepared statements, which a pooler in
        # transaction mode (pgbouncer) would hand to another client's session.
        self._conn = psycopg.connect(conninfo, row_factory=dict_row, prepare_threshold=None, autocommit=True)
        self._conn.execute(LOCK_TIMEOUT)  # for the session: outside a transaction, none undoes it
        self._conn.autocommit = False
        self._conn.read_only = True

    @property
    def driver(self) -> Any:
        """The psycopg connection itself (the ``sql`` sandbox runs its one query on it)."""
        return self._conn

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        import psycopg

        from interpdb.errors import StoreError

        try:
            return self._conn.execute(pyformat(sql), params).fetchall()
        except psycopg.errors.LockNotAvailable as error:
            self._conn.rollback()
            raise StoreError(busy_message(self._where)) from error

    def reset(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()


#: A ``:name`` parameter: not after a ``:`` or a word character (``x::text`` is a cast,
#: ``:name::text`` a parameter and a cast, ``a[1:2]`` a slice).
NAMED_PARAMETER = r"(?<![:\w\\]):([A-Za-z_]\w*)"
_pyformat_cache: dict[str, str] = {}


def pyformat(sql: str) -> str:
    """``sql`` with ``:name`` parameters as ``%(name)s`` and every ``%`` doubled, for psycopg."""
    found = _pyformat_cache.get(sql)
    if found is None:
        import re

        found = _pyformat_cache[sql] = re.sub(NAMED_PARAMETER, r"%(\1)s", sql.replace("%", "%%"))
    return found


def psycopg_connection(conninfo: str, where: str = "the database") -> Connection:
    """A read connection through psycopg itself (``interpdb sql``: any column type)."""
    return _Psycopg(conninfo, where)


def psycopg_conninfo(url: str) -> str | None:
    """The libpq URI for a ``postgresql+psycopg://`` URL (the same user, host, database and
    query options), or None for any other URL (SQLAlchemy reads those)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() == "postgresql+psycopg":
        return f"postgresql://{rest}"
    return None


def sqlite_connection(path: str, writable: bool) -> Connection:
    """A read connection to the SQLite file at ``path`` (see ``store.gate`` for the modes)."""
    # A file: URI so that the mode applies. SQLite's URI rules: only %, ? and # need
    # escaping in the path (urllib.parse would cost more to import than it saves).
    escaped = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    if writable:
        conn = sqlite3.connect(f"file:{escaped}?mode=rw", uri=True, timeout=BUSY_TIMEOUT)
        conn.execute("PRAGMA query_only = ON")
        return _Sqlite(conn)
    import os

    if not os.path.exists(path + "-wal"):
        # Nothing is being written (no WAL): read the file as it is, as immutable, so that no
        # -wal/-shm file is left beside it, owned by this user, to get in its owner's way.
        return _Sqlite(sqlite3.connect(f"file:{escaped}?mode=ro&immutable=1", uri=True, timeout=BUSY_TIMEOUT))
    conn = sqlite3.connect(f"file:{escaped}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
    try:
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError as error:
        conn.close()
        if is_busy(error):
            raise  # held locked by another program: not a reason to read past its WAL
        # A WAL database in a folder this process cannot write, with no -shm file:
        # SQLite can open it only as immutable.
        conn = sqlite3.connect(f"file:{escaped}?mode=ro&immutable=1", uri=True, timeout=BUSY_TIMEOUT)
    return _Sqlite(conn)


def server_connection(location: Location) -> Connection:
    """A read connection to a database server; its errors in one line, without the password."""
    from interpdb.errors import StoreError
    from interpdb.location import cannot_connect

    try:
        conninfo = psycopg_conninfo(location.url)
        if conninfo is None:
            return _Alchemy(location.url)
        import os

        where = location.describe()
        if os.environ.get("INTERPDB_PG_READER", "").strip().lower() == "psycopg":
            return _Psycopg(conninfo, where)
        from interpdb.store import libpq

        lib = libpq.library()
        return _Psycopg(conninfo, where) if lib is None else libpq.LibpqConnection(lib, conninfo, where)
    except Exception as error:  # any driver's: none installed, a URL it rejects, a server that refuses
        raise StoreError(cannot_connect(location.url, error)) from error


def _in_clause(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    params = {f"{name}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{key}" for key in params), params


class Damaged(ValueError):
    """A stored value that cannot be read back; the message says which and why."""


def _datetime(value: Any, column: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise Damaged(f"{column} is not a time ({str(value)[:40]!r})") from None


class _Defaults:
    """What ``_json.make_scanner`` reads from a ``json.JSONDecoder``: the defaults ``json.loads`` uses."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return float(name.replace("Infinity", "inf"))  # NaN, Infinity, -Infinity


_scan: Any = None
_JSON_SPACE = " \t\n\r"


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, without importing ``json`` for text.

    ``json`` imports ``re``, and ``re`` imports ``enum``: about 3 ms of a warm ``find``
    started by the console script pip writes (which imports ``re`` itself), about 6 ms
    started by uv's (which does not), where the answer's own work is about 10 ms. The
    scanner is the one ``json.loads`` runs on CPython (``_json.make_scanner`` over a
    decoder's defaults); the whitespace either side and the errors are ``json.loads``'
    (``tests/test_store_read_json.py`` holds the two to each other). Bytes, and a Python
    without that scanner (PyPy), take ``json.loads`` itself.
    """
    global _scan
    if _scan is None:
        try:
            from _json import make_scanner
        except ImportError:
            _scan = False
        else:
            _scan = make_scanner(_Defaults())  # type: ignore[arg-type]  # any object with those attributes
    if _scan is False or type(text) is not str:  # bytes, or a str subclass with its own methods
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_JSON_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration:
        raise ValueError(f"expecting a JSON value at {start}") from None
    except Exception:
        # The scanner raises ``json.decoder.JSONDecodeError``, which CPython 3.10 and 3.11
        # look up only among the modules already imported: without ``json``, a SystemError.
        # A text that fails is a damaged row, rare: ``json.loads`` reads it again and raises.
        import json

        return json.loads(text)
    if text[end:].strip(_JSON_SPACE):
        raise ValueError(f"extra data after the JSON value at {end}")
    return value


def _json(value: Any, column: str, kind: type) -> Any:
    if value == "[]" and kind is list:
        return []  # most probes' ``changes``: not worth a decode per record
    if isinstance(value, (str, bytes)):
        try:
            value = loads(value)
        except (ValueError, RecursionError):
            raise Damaged(f"{column} is not valid JSON") from None
    if value is not None and not isinstance(value, kind):
        raise Damaged(f"{column} is not a JSON {'object' if kind is dict else 'array'}")
    return value


#: The parts of a stored answer that code walks (``Record.sys_path``, ``show``, ``--diff``...):
#: a hand-edited ``data`` whose containers have another type is a damaged row, not a TypeError.
_DATA_CONTAINERS = {
    "sys_path": list,
    "site_packages": list,
    "site_modules": list,
    "version_info": list,
    "markers": dict,
    "sysconfig_paths": dict,
    "modules": dict,
    "libc": dict,
    "manylinux": dict,
    "pyvenv_cfg": dict,
    "launcher": dict,
}
_CHANGE_KINDS = ("added", "removed", "modified")


def _data(value: Any) -> dict[str, Any]:
    data: dict[str, Any] = _json(value, "data", dict) or {}
    for key, kind in _DATA_CONTAINERS.items():
        found = data.get(key)
        if found is not None and not isinstance(found, kind):
            raise Damaged(f"data.{key} is not a JSON {'object' if kind is dict else 'array'}")
    for key in ("sys_path", "site_packages"):
        if not all(isinstance(entry, str) for entry in data.get(key) or ()):
            raise Damaged(f"data.{key} holds something other than text")
    return data


def _changes(value: Any) -> tuple[dict[str, Any], ...]:
    changes = _json(value, "changes", list) or ()
    for i, change in enumerate(changes):
        if not (
            isinstance(change, dict)
            and isinstance(change.get("role"), str)
            and isinstance(change.get("path"), str)
            and change.get("kind") in _CHANGE_KINDS
            and isinstance(change.get("fields") or [], list)
        ):
            raise Damaged(f"changes[{i}] is not a change ({str(change)[:40]!r})")
    return tuple(changes)


def _typed(row: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    value = row[name]
    if value is not None and not isinstance(value, kind):
        raise Damaged(f"{name} is not {getattr(kind, '__name__', 'of the right type')} ({str(value)[:40]!r})")
    return value


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def host_where(
    present: dict[str, frozenset[str]] | None,
    host: Host | None = None,
    *,
    hosts: Sequence[str] | None = None,
    exclude: Host | None = None,
) -> tuple[str, dict[str, Any]]:
    """The SQL that picks interpreters (``i``) by host, and its parameters.

    ``host``: this machine's rows, by its id, and the rows an interpdb older than
    revision ``0004_host_identity`` wrote under its name (``host_id = host =`` the
    name; ``store.write`` moves them to the id). ``hosts``: rows whose host id or
    name is one of these. ``exclude``: not this machine's rows. None of them: every host.
    """
    has_id = present is None or "host_id" in present.get("interpreters", frozenset())
    where: list[str] = []
    params: dict[str, Any] = {}

    def own(prefix: str, which: Host) -> str:
        params[f"{prefix}_name"] = which.name
        if not has_id:
            return f"i.host = :{prefix}_name"
        params[f"{prefix}_id"] = which.id
        return f"(i.host_id = :{prefix}_id OR (i.host_id = :{prefix}_name AND i.host = :{prefix}_name))"

    if host is not None:
        where.append(own("me", host))
    if exclude is not None:
        where.append(f"NOT {own('not', exclude)}")
    if hosts is not None:
        clause, extra = _in_clause("host", list(hosts))
        params.update(extra)
        clause = clause or "NULL"
        where.append(f"(i.host_id IN ({clause}) OR i.host IN ({clause}))" if has_id else f"i.host IN ({clause})")
    return " AND ".join(where) or "1 = 1", params


def current_records(
    conn: Connection,
    host: Host | None,
    paths: Sequence[str] | None = None,
    ids: Sequence[int] | None = None,
    with_entries: bool = True,
    include_forgotten: bool = False,
    with_data: bool = True,
    *,
    hosts: Sequence[str] | None = None,
    exclude: Host | None = None,
    facts: Facts | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Record]:
    """Interpreters with their current probes (and fingerprints), in id order.

    ``paths``/``ids`` narrow the set; neither means every interpreter on ``host``
    (``host_where`` says how ``host``, ``hosts`` and ``exclude`` choose them).
    ``facts`` narrows it by the current probe's columns (SQL on ``p`` and its
    parameters: ``not_venvs``, ``venvs_that_may_outrank``, ``venvs_in``). On a store at
    the head revision the query starts from the few interpreters the facts' indexed
    superset the facts name through indexes (their third part) rather than from every
    interpreter of the host.
    ``after``/``limit``: the first ``limit`` of those with an id above ``after`` (a batch).
    Three queries in all, whatever the number of interpreters. ``with_data=False``
    leaves the probe's answer out (``data`` is empty: decoding it is most of a
    record's cost): for ranking on the columns alone, never for an answer.
    """
    present = conn.present
    has_forgotten = present is None or "forgotten_at" in present.get("interpreters", frozenset())
    where, params = host_where(present, host, hosts=hosts, exclude=exclude)
    if not include_forgotten and has_forgotten:
        where += " AND i.forgotten_at IS NULL"
    if paths is not None:
        clause, extra = _in_clause("path", list(paths))
        where += f" AND i.path IN ({clause or 'NULL'})"
        params.update(extra)
    if ids is not None:
        clause, extra = _in_clause("id", list(ids))
        where += f" AND i.id IN ({clause or 'NULL'})"
        params.update(extra)
    source = "interpreters i"
    if facts is not None:
        where += f" AND {facts[0]}"
        params.update(facts[1])
        if facts[2] is not None and present is None:
            # CROSS JOIN: SQLite keeps that order (the few ids first, then each row by its key);
            # for PostgreSQL it is a plain join, planned as it sees fit.
            source = f"({facts[2]}) c CROSS JOIN interpreters i"
            where += " AND i.id = c.id"
    if after is not None:
        where += " AND i.id > :after"
        params["after"] = after
    spec = RECORD if with_data else {name: column for name, column in RECORD.items() if name != "data"}
    rows = conn.rows(
        f"SELECT {select_list(spec, present)} FROM {source} "
        f"LEFT JOIN probes p ON p.id = i.current_probe_id WHERE {where} ORDER BY i.id"
        + ("" if limit is None else f" LIMIT {int(limit)}"),
        params,
    )
    if not rows:
        return []
    # The fingerprints and sources of the same interpreters: chosen as they were, or, when the
    # probe's columns or a batch chose them (a few of many), by id, so that SQLite starts from those.
    chosen = [(where, params)]
    if facts is not None or limit is not None:
        ids = [row["id"] for row in rows]
        chunks = (_in_clause("id", ids[start : start + _IDS_PER_QUERY]) for start in range(0, len(ids), _IDS_PER_QUERY))
        chosen = [(f"i.id IN ({clause})", values) for clause, values in chunks]
    entries: dict[int, list[Any]] = {}
    found_through: dict[int, tuple[str, ...]] = {}
    for these, values in chosen:
        if with_entries:
            _entries_where(conn, these, values, entries)
        if conn.has_table("interpreter_sources"):
            found_through.update(_sources_where(conn, these, values))
    return [_record(row, entries.get(row["probe_id"], ()), found_through.get(row["id"], ()), with_data) for row in rows]


#: A working venv as ``_record`` reads one: outcome ``ok`` and ``is_venv`` true. Every current
#: probe is either this or ``not_venvs()`` (NULL included): the two sets split the store.
_VENV = "(p.outcome = 'ok' AND p.is_venv = :venv_true)"
#: A prefix that ``os.path.normpath`` would change (relative, ``//``, ``/./``, ``/../``, a trailing
#: ``/``, ``/.`` or ``/..``): it may still name the active venv, so it is never filtered out.
#: ``{t}`` is where the table's alias goes (``p.``, or nothing in an index's ``WHERE``).
_UNNORMAL_PREFIX = (
    "{t}prefix NOT LIKE '/%' OR {t}prefix LIKE '%//%' OR {t}prefix LIKE '%/./%' OR {t}prefix LIKE '%/../%' "
    "OR {t}prefix LIKE '%/' OR {t}prefix LIKE '%/.' OR {t}prefix LIKE '%/..'"
)
#: A version SQL and ``request.rank`` could read differently: a part missing, or the text
#: (which ``rank`` parses) not of the line the columns say.
_ODD_VERSION = (
    "{t}version_major IS NULL OR {t}version_minor IS NULL OR {t}python_version IS NULL "
    "OR {t}python_version NOT LIKE {t}version_major || '.' || {t}version_minor || '.%'"
)
#: The probes whose columns cannot be trusted to rank them (``_ODD_VERSION``, ``_UNNORMAL_PREFIX``),
#: few in any store: the partial index ``ix_probes_irregular`` of revision ``0005_ranking_indexes``
#: holds exactly these, and SQLite uses it only for this very text (``tests/test_find_plans.py``).
IRREGULAR_PROBES = f"{_ODD_VERSION} OR {_UNNORMAL_PREFIX}".replace("{t}", "")

#: Through ``ix_interpreters_current_probe_id``: the interpreters whose current probe is one of
#: the probes the SQL put in ``{}`` selects.
_CURRENT_IN = "SELECT id FROM interpreters WHERE current_probe_id IN ({})"


def _probes(*conditions: str) -> str:
    """One ``SELECT id FROM probes`` a condition, UNION ALL: each an index range (``ix_probes_kind``
    and the others of ``0005_ranking_indexes``), where one ``OR`` would make SQLite scan."""
    return " UNION ALL ".join(f"SELECT id FROM probes WHERE {condition}" for condition in conditions)


def not_venvs() -> Facts:
    """``facts`` for every interpreter that is not a working venv: base interpreters, failures,
    rows without a probe, and an ``is_venv`` SQL does not read as true (a hand-edited row).

    The indexed superset: no current probe, or one whose ``is_venv`` is NULL, below or above
    true, or true with an ``outcome`` below or above ``ok`` (``<>`` as two ranges; ``outcome``
    is NOT NULL). One row it cannot reach: a ``current_probe_id`` naming no probe (an id that
    is gone, or text), which only an edit with foreign keys off makes, such as a hand prune of
    ``probes`` in the ``sqlite3`` shell. ``find`` then answers without that interpreter unless
    discovery finds its path (read by path, it goes the exhaustive way and is re-probed);
    ``list`` re-probes it, and ``db check`` reports the row. Finding such rows costs a look at
    every interpreter (about 2.6 ms at 10,000), which is the cost this set exists to avoid.
    """
    kinds = _probes(
        "is_venv IS NULL",
        "is_venv < :venv_true",
        "is_venv > :venv_true",
        "is_venv = :venv_true AND outcome < 'ok'",
        "is_venv = :venv_true AND outcome > 'ok'",
    )
    return (
        "(p.id IS NULL OR p.outcome IS NULL OR p.outcome <> 'ok' OR p.is_venv IS NULL OR p.is_venv <> :venv_true)",
        {"venv_true": True},
        f"SELECT id FROM interpreters WHERE current_probe_id IS NULL UNION ALL {_CURRENT_IN.format(kinds)}",
    )


def venvs_in(prefixes: Sequence[str]) -> Facts:
    """``facts`` for the working venvs with one of these prefixes (the paths into them)."""
    clause, params = _in_clause("prefix", list(prefixes))
    clause = clause or "NULL"
    return (
        f"{_VENV} AND p.prefix IN ({clause})",
        {"venv_true": True, **params},
        _CURRENT_IN.format(_probes(f"prefix IN ({clause})")),
    )


def venvs_that_may_outrank(
    line: tuple[int, int] | None,
    build: int,
    *,
    debug_counts: bool,
    free_threading_counts: bool,
    active: str | None,
) -> Facts:
    """``facts`` for the working venvs ``request.rank`` could put before a base interpreter of
    release ``line`` whose build rank is ``build`` (``request.build_rank``); ``line`` None: every venv.

    A venv outranks such a base only when it is the active venv (``active``: the normalised
    ``$VIRTUAL_ENV``), its line is newer, or it is of that line with a better build (a lower
    rank: CPython, release, default build; ``debug_counts``/``free_threading_counts`` say
    whether the request leaves those builds to rank last). This is a superset of those venvs,
    never less: a row whose columns could read otherwise in Python (a version column that is
    NULL or disagrees with ``python_version``, a prefix ``normpath`` would change, a flag
    that is not 0 or 1) is kept, and ``rank`` decides.

    The indexed superset: working venvs of a newer line, of the same line when a better build
    is possible (``build`` above 0, the best rank), with the active prefix, and the irregular
    probes (``IRREGULAR_PROBES``), which cover every row the exact filter keeps otherwise.
    """
    params: dict[str, Any] = {"venv_true": True}
    if line is None:
        return _VENV, params, None
    params.update(major=line[0], minor=line[1], build=build, line_text=f"{line[0]}.{line[1]}.%")
    rank = "(CASE WHEN lower(p.implementation) = 'cpython' THEN 0 ELSE 4 END"
    if debug_counts:
        rank += " + CASE WHEN p.debug_build = :venv_true THEN 2 ELSE 0 END"
    if free_threading_counts:
        rank += " + CASE WHEN p.free_threaded = :venv_true THEN 1 ELSE 0 END"
    rank += ")"
    either = [
        _ODD_VERSION.replace("{t}", "p."),
        "p.version_major > :major OR (p.version_major = :major AND p.version_minor > :minor)",
    ]
    # The many venvs of the base's own line, told apart first and cheaply: their text and
    # columns both say that line, so only a better build can put them first.
    outranks = (
        "CASE WHEN p.python_version LIKE :line_text AND p.version_major = :major AND p.version_minor = :minor "
        f"THEN {rank} < :build ELSE ({' OR '.join(either)}) END"
    )
    working = "is_venv = :venv_true AND outcome = 'ok'"
    among = [
        f"{working} AND version_major > :major",
        f"{working} AND version_major = :major AND version_minor > :minor",
    ]
    if build > 0:  # a rank is never below 0: only then can a venv of the same line rank first
        among.append(f"{working} AND version_major = :major AND version_minor = :minor")
    if active is not None:
        params["active"] = active
        outranks = f"p.prefix = :active OR {_UNNORMAL_PREFIX.replace('{t}', 'p.')} OR {outranks}"
        among.append("prefix = :active")
    among.append(f"({IRREGULAR_PROBES})")
    return f"{_VENV} AND ({outranks})", params, _CURRENT_IN.format(_probes(*among))


def answers(conn: Connection, probe_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``{probe id: its answer}`` (``data``) for these probes, 500 a query; an answer that
    cannot be read (see ``_record``, which has said so already) is left out."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(probe_ids), _IDS_PER_QUERY):
        clause, params = _in_clause("pid", probe_ids[start : start + _IDS_PER_QUERY])
        for row in conn.rows(f"SELECT p.id AS id, p.data AS data FROM probes p WHERE p.id IN ({clause})", params):
            if getattr(row, "undecodable", None):
                continue
            try:
                found[row["id"]] = _data(row["data"])
            except Damaged:
                continue
    return found


def is_id(ref: str) -> bool:
    """Is ``ref`` an interpreter id (ASCII digits) rather than a path? (``"²".isdigit()`` is true.)"""
    return ref.isascii() and ref.isdigit()


def interpreter_id(conn: Connection, ref: str, host: Host | None, *, hosts: Sequence[str] | None = None) -> int | None:
    """The interpreter ``ref`` names on ``host`` (or ``hosts``, see ``host_where``):
    an id (digits) or a path; forgotten ones too. An id is unique in the store, so
    it is found on any host when neither is given; a path held by several of the hosts
    asked for is the first row's (``interpreter_ids`` has them all)."""
    found = interpreter_ids(conn, ref, host, hosts=hosts)
    return found[0] if found else None


def interpreter_ids(conn: Connection, ref: str, host: Host | None, *, hosts: Sequence[str] | None = None) -> list[int]:
    """Every row ``ref`` names on the hosts asked for (``interpreter_id``), oldest first."""
    where, params = host_where(conn.present, host, hosts=hosts)
    if is_id(ref):
        number = int(ref)
        if number >= 2**63:
            return []  # no such id can be stored
        rows = conn.rows(
            f"SELECT i.id AS id FROM interpreters i WHERE i.id = :id AND {where}", {"id": number, **params}
        )
    else:
        path = normalize_path(ref)
        if not is_utf8(path):
            return []  # never stored: the store holds UTF-8 names only
        rows = conn.rows(
            f"SELECT i.id AS id FROM interpreters i WHERE i.path = :path AND {where} ORDER BY i.id",
            {"path": path, **params},
        )
    return [row["id"] for row in rows]


def _entries_where(conn: Connection, where: str, params: dict[str, Any], into: dict[int, list[Any]]) -> None:
    """The fingerprints of the interpreters ``where`` chooses, by probe, in position order:
    ``Entry`` objects built from plain tuples, or (a damaged store) rows ``_record`` checks."""
    sql = (
        f"SELECT {select_list(ENTRY_SELECT)} FROM fingerprint_entries e "
        f"JOIN interpreters i ON e.probe_id = i.current_probe_id WHERE {where} ORDER BY e.probe_id, e.position"
    )
    found = conn.tuples(sql, params)
    if found is None:
        for row in conn.rows(sql, params):
            into.setdefault(row["probe_id"], []).append(row)
        return
    from interpdb.fingerprint import Entry

    at, rows = found
    # By name, in ``Entry``'s field order: one tuple unpacking a row, not a lookup a field.
    role, path, exists, mtime, ctime, size, ino, dev, target = (at[name] for name in ENTRY_FIELDS)
    probe = at["probe_id"]
    current: list[Any] = []
    last = None
    for row in rows:
        if row[probe] != last:
            last = row[probe]
            current = into.setdefault(last, [])
        current.append(
            Entry(
                row[role],
                row[path],
                bool(row[exists]),  # SQLite stores booleans as 0 and 1
                row[mtime],
                row[ctime],
                row[size],
                row[ino],
                row[dev],
                row[target],
            )
        )


def _sources_where(conn: Connection, where: str, params: dict[str, Any]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for row in conn.rows(
        f"SELECT s.interpreter_id AS interpreter_id, s.source AS source FROM interpreter_sources s "
        f"JOIN interpreters i ON i.id = s.interpreter_id WHERE {where} ORDER BY s.interpreter_id, s.first_seen_at",
        params,
    ):
        found.setdefault(row["interpreter_id"], []).append(row["source"])
    return {key: tuple(value) for key, value in found.items()}


def _record(row: Any, entry_rows: Sequence[Any], found_through: tuple[str, ...] = (), with_data: bool = True) -> Record:
    from interpdb.fingerprint import Entry
    from interpdb.records import Record

    try:
        undecodable = getattr(row, "undecodable", None) or [
            column for e in entry_rows for column in (getattr(e, "undecodable", None) or ())
        ]
        if undecodable:
            raise Damaged(f"{undecodable[0]} is not UTF-8 text")
        entries = tuple(e if isinstance(e, Entry) else _entry(Entry, e) for e in entry_rows)
        return Record(
            id=row["id"],
            host=row["host"],
            host_id=row["host_id"] or row["host"],
            path=row["path"],
            status="cached",
            probe_id=row["probe_id"],
            outcome=row["outcome"],
            trigger=row["trigger"],
            probed_at=_datetime(row["probed_at"], "probed_at"),
            error=row["error"],
            duration_ms=_typed(row, "duration_ms", (int, float)),
            interpdb_version=row["interpdb_version"],
            changes=_changes(row["changes"]),
            implementation=_typed(row, "implementation", str),
            implementation_version=_typed(row, "implementation_version", str),
            version=_typed(row, "version", str),
            version_major=_typed(row, "version_major", int),
            version_minor=_typed(row, "version_minor", int),
            version_micro=_typed(row, "version_micro", int),
            is_venv=_bool(row["is_venv"]),
            free_threaded=_bool(row["free_threaded"]),
            debug_build=_bool(row["debug_build"]),
            pointer_size=_typed(row, "pointer_size", int),
            platform=_typed(row, "platform", str),
            executable=_typed(row, "executable", str),
            real_executable=_typed(row, "real_executable", str),
            prefix=_typed(row, "prefix", str),
            base_prefix=_typed(row, "base_prefix", str),
            data=_data(row["data"]) if with_data else {},
            entries=entries,
            sources=found_through,
            forgotten_at=_datetime(row["forgotten_at"], "forgotten_at"),
        )
    except Damaged as damage:
        return damaged_record(row, str(damage))


def _entry(entry: type[Entry], row: Any) -> Entry:
    values = {name: row[name] for name in ENTRY_FIELDS}
    values["exists"] = bool(values["exists"])  # SQLite stores booleans as 0 and 1
    return entry(**values)


def damaged_record(row: Any, reason: str) -> Record:
    """A record for a row that could not be read: status ``error``, the reason naming the row.

    It has no fingerprint, so nothing ever judges it fresh; it is not re-probed by
    itself either (``--refresh-interpreter`` asks for a new probe, which is appended:
    the damaged row stays as it is until the user removes it).
    """
    from interpdb.records import Record

    probe = row["probe_id"]
    where = f"probe {probe}" if probe is not None else f"interpreter {row['id']}"
    path = row["path"]
    return Record(
        id=row["id"],
        host=str(row["host"]),
        host_id=str(row["host_id"] or row["host"]),
        path=path if isinstance(path, str) else repr(path),
        status="error",
        probe_id=probe,
        outcome="error",
        trigger=None,
        probed_at=None,
        error=f"damaged row in the store ({where}): {reason}",
        duration_ms=None,
        interpdb_version=None,
        changes=(),
        implementation=None,
        implementation_version=None,
        version=None,
        version_major=None,
        version_minor=None,
        version_micro=None,
        is_venv=None,
        free_threaded=None,
        debug_build=None,
        pointer_size=None,
        platform=None,
        executable=None,
        real_executable=None,
        prefix=None,
        base_prefix=None,
        damaged=True,
    )


def history_query(
    interpreter_ids: Iterable[int] | None = None,
    since: datetime | None = None,
    trigger: str | Sequence[str] | None = None,
    limit: int | None = None,
    *,
    hosts: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    text_times: bool = True,
    host: Host | None = None,
    present: dict[str, frozenset[str]] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The SQL behind ``history`` (a function of its own so tests can EXPLAIN it).

    Shaped for the indexes: ``probes(interpreter_id, probed_at)`` for one
    interpreter's log, ``probes(trigger, probed_at)`` for a trigger,
    ``probes(probed_at)`` for the whole log. ``host``/``hosts`` choose hosts as
    ``host_where`` does (neither: every host); ``present`` is the store's columns.
    ``text_times``: SQLite keeps SQLAlchemy's DateTime as ISO text; others want the value.
    """
    where = ["1 = 1"]
    params: dict[str, Any] = {}
    if interpreter_ids is not None:
        clause, extra = _in_clause("iid", list(interpreter_ids))
        where.append(f"p.interpreter_id IN ({clause or 'NULL'})")
        params.update(extra)
    if host is not None or hosts is not None:
        clause, extra = host_where(present, host, hosts=hosts)
        where.append(clause)
        params.update(extra)
    if outcomes is not None:
        clause, extra = _in_clause("outcome", list(outcomes))
        where.append(f"p.outcome IN ({clause or 'NULL'})")
        params.update(extra)
    if since is not None:
        where.append("p.probed_at >= :since")
        params["since"] = since.strftime("%Y-%m-%d %H:%M:%S.%f") if text_times else since
    if isinstance(trigger, str):
        where.append("p.trigger = :trigger")
        params["trigger"] = trigger
    elif trigger is not None:  # several: history --trigger A --trigger B
        clause, extra = _in_clause("trigger", list(trigger))
        where.append(f"p.trigger IN ({clause or 'NULL'})")
        params.update(extra)
    sql = (
        f"SELECT {select_list(EVENT, present)} FROM probes p JOIN interpreters i ON i.id = p.interpreter_id "
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
    trigger: str | Sequence[str] | None = None,
    limit: int | None = None,
    *,
    hosts: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    with_diff: bool = False,
    host: Host | None = None,
) -> list[ProbeEvent]:
    """The probe log, newest first.

    ``with_diff`` also says what each returned probe's answer changed since the
    interpreter's previous ``ok`` probe (``ProbeEvent.diff``), reading the stored
    answers of those events only: see ``_answers_with_previous``.
    """

    sql, params = history_query(
        interpreter_ids,
        since,
        trigger,
        limit,
        hosts=hosts,
        outcomes=outcomes,
        text_times=isinstance(conn, _Sqlite),
        host=host,
        present=conn.present,
    )
    events = [_event(row) for row in conn.rows(sql, params)]
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
            f"SELECT p.id AS id, p.data AS data, prev.id AS previous_id, prev.data AS previous_data FROM probes p "
            f"LEFT JOIN probes prev ON prev.id = ({_PREVIOUS_OK}) WHERE p.id IN ({clause})",
            params,
        ):
            found[row["id"]] = (_answer(row["data"]), row["previous_id"], _answer(row["previous_data"]))
    return found


def _with_diffs(conn: Connection, events: list[ProbeEvent]) -> list[ProbeEvent]:
    """Failed probes have no answer to compare: their diff is empty and against nothing."""
    from interpdb._frozen import replace
    from interpdb.diff import diff_probe_data

    answers = _answers_with_previous(conn, [e.probe_id for e in events if e.outcome == "ok"])
    diffed = []
    for event in events:
        data, previous_id, previous_data = answers.get(event.probe_id, (None, None, None))
        diff = diff_probe_data(previous_data, data) if previous_id is not None else []
        diffed.append(replace(event, diff=tuple(diff), diff_against=previous_id))
    return diffed


def _answer(value: Any) -> Any:
    """A stored answer for ``--diff``; one that cannot be read compares as no answer."""
    try:
        return None if value is None else _data(value)
    except Damaged:
        return None


def _event(row: Any) -> ProbeEvent:
    from interpdb.records import ProbeEvent

    try:
        undecodable = getattr(row, "undecodable", None)
        if undecodable:
            raise Damaged(f"{undecodable[0]} is not UTF-8 text")
        return ProbeEvent(
            probe_id=row["probe_id"],
            interpreter_id=row["interpreter_id"],
            host=row["host"],
            host_id=row["host_id"] or row["host"],
            path=row["path"],
            probed_at=_datetime(row["probed_at"], "probed_at") or datetime.min,
            trigger=_typed(row, "trigger", str),
            outcome=_typed(row, "outcome", str),
            error=row["error"],
            duration_ms=_typed(row, "duration_ms", (int, float)),
            changes=_changes(row["changes"]),
            interpdb_version=row["interpdb_version"],
            command=row["command"],
            version=_typed(row, "version", str),
            implementation=_typed(row, "implementation", str),
        )
    except Damaged as damage:
        path = row["path"]
        try:
            probed_at = _datetime(row["probed_at"], "probed_at") or datetime.min
        except Damaged:
            probed_at = datetime.min
        return ProbeEvent(
            probe_id=row["probe_id"],
            interpreter_id=row["interpreter_id"],
            host=str(row["host"]),
            host_id=str(row["host_id"] or row["host"]),
            path=path if isinstance(path, str) else repr(path),
            probed_at=probed_at,
            trigger=str(row["trigger"]),
            outcome="error",
            error=f"damaged row in the store (probe {row['probe_id']}): {damage}",
            duration_ms=0.0,
            changes=(),
            interpdb_version=str(row["interpdb_version"]),
            command=None,
            version=None,
            implementation=None,
        )


def damaged_rows(conn: Connection) -> list[str]:
    """Every probe row (current or not) that cannot be read back, one line each, for ``db check``."""
    found = []
    rows = conn.rows(
        f"SELECT {select_list(RECORD, conn.present)} FROM probes p JOIN interpreters i ON i.id = p.interpreter_id "
        "ORDER BY p.id",
        {},
    )
    for row in rows:
        record = _record(row, ())
        if record.damaged:
            found.append(str(record.error))
    entry_rows = conn.rows(
        f"SELECT e.id AS id, {select_list(ENTRY_SELECT)} FROM fingerprint_entries e ORDER BY e.id", {}
    )
    for row in entry_rows:
        bad = getattr(row, "undecodable", None)
        if bad:
            entry = f"fingerprint entry {row['id']} of probe {row['probe_id']}"
            found.append(f"damaged row in the store ({entry}): {bad[0]} is not UTF-8 text")
    # What only the writer and ``export`` load: the interpreter's own times.
    times = [c for c in ("created_at", "forgotten_at") if conn.present is None or c in conn.present["interpreters"]]
    for row in conn.rows(f"SELECT id, {', '.join(times)} FROM interpreters ORDER BY id", {}):
        try:
            for column in times:
                _datetime(row[column], column)
        except Damaged as damage:
            found.append(f"damaged row in the store (interpreter {row['id']}): {damage}")
    return found


def hosts(conn: Connection) -> list[dict[str, Any]]:
    """Every host with rows in the store, as the ``hosts`` view counts them, plus the
    Python versions (``3.12``) its working interpreters have: ``interpdb hosts``.

    From the tables rather than the view, so a store at an older revision (no
    ``host_id``: the name is the id) is read too. Ordered by name, then id.
    """
    columns = conn.present["interpreters"] if conn.present is not None else None
    key = "i.host_id" if columns is None or "host_id" in columns else "i.host"
    # Before 0002_interface nothing could be forgotten: every row counts.
    live = "i.forgotten_at IS NULL" if columns is None or "forgotten_at" in columns else "1 = 1"
    rows = conn.rows(
        f"SELECT {key} AS host_id, MAX(i.host) AS host, "
        f"SUM(CASE WHEN {live} THEN 1 ELSE 0 END) AS interpreters, "
        f"SUM(CASE WHEN {live} AND p.outcome = 'ok' THEN 1 ELSE 0 END) AS ok, "
        "MAX(p.probed_at) AS last_probed_at, "
        "(SELECT q.interpdb_version FROM probes q JOIN interpreters j ON j.id = q.interpreter_id "
        f"WHERE j.{key[2:]} = {key} ORDER BY q.probed_at DESC, q.id DESC LIMIT 1) AS interpdb_version "
        f"FROM interpreters i LEFT JOIN probes p ON p.id = i.current_probe_id GROUP BY {key}",
        {},
    )
    versions: dict[str, set[tuple[int, int]]] = {}
    for row in conn.rows(
        f"SELECT DISTINCT {key} AS host_id, p.version_major AS major, p.version_minor AS minor "
        "FROM interpreters i JOIN probes p ON p.id = i.current_probe_id "
        f"WHERE {live} AND p.outcome = 'ok' AND p.version_major IS NOT NULL",
        {},
    ):
        if isinstance(row["major"], int) and isinstance(row["minor"], int):
            versions.setdefault(row["host_id"], set()).add((row["major"], row["minor"]))
    found = []
    for row in rows:
        try:
            last = _datetime(row["last_probed_at"], "probed_at")
        except Damaged:
            last = None
        found.append(
            {
                "host_id": str(row["host_id"]),
                "host": str(row["host"]),
                "interpreters": int(row["interpreters"] or 0),
                "ok": int(row["ok"] or 0),
                "versions": [f"{a}.{b}" for a, b in sorted(versions.get(row["host_id"], ()))],
                "last_probed_at": last,
                "interpdb_version": row["interpdb_version"],
            }
        )
    return sorted(found, key=lambda h: (h["host"], h["host_id"]))
