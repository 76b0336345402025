"""PostgreSQL's own client library (libpq) through ``ctypes``: the warm read route there.

A warm command on PostgreSQL costs what importing its driver costs: psycopg imports
about 180 modules (asyncio, logging, ssl, ...) before it connects, several times the
whole warm ``list`` on SQLite. libpq is what psycopg itself calls; ``ctypes`` reaches
it for the price of loading it. This module runs ``store.read``'s queries, unchanged
but for their ``:name`` parameters (written ``$1``, ``$2``... here), and reads the
text libpq returns into the Python values psycopg would give for the column types
interpdb's tables and views use (integers, floats, booleans, text, timestamps; JSON
as its text, which ``store.read`` decodes either way). It only ever reads.

The library is the one psycopg's binary wheel ships (``psycopg_binary.libs``, installed
by ``interpdb[postgres]``), else the system's ``libpq.so.5``; with neither, or with
``INTERPDB_PG_READER=psycopg``, ``store.read`` reads through psycopg instead. A writing
command, and ``interpdb sql`` (any column type at all), always use psycopg.
"""

from __future__ import annotations

import ctypes
import os
import sys

from interpdb._stdlib import datetime
from interpdb.errors import StoreError
from interpdb.store.read import LOCK_NOT_AVAILABLE, LOCK_TIMEOUT, NAMED_PARAMETER, Connection, busy_message

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

_OK, _TUPLES_OK, _COMMAND_OK = 0, 2, 1  # ConnStatusType CONNECTION_OK; ExecStatusType
_POLL_FAILED, _POLL_READING, _POLL_WRITING, _POLL_OK = 0, 1, 2, 3  # PostgresPollingStatusType
#: Seconds a connection may take to be made when the URL sets no ``connect_timeout``: a
#: server that accepts and then never answers (stopped, overloaded) is a one-line error.
CONNECT_TIMEOUT = 10.0


def _timestamp(text: str) -> datetime | str:
    # PostgreSQL writes "2026-12-06 23:59:05.8045": fromisoformat before Python 3.11 wants
    # 3 or 6 digits of fraction. Anything else (BC, infinity) stays text: a damaged time.
    head, dot, fraction = text.partition(".")
    try:
        return datetime.fromisoformat(f"{head}.{fraction.ljust(6, '0')}" if dot else head)
    except ValueError:
        return text


#: Type OID -> how its text becomes a value (pg_type.dat); any other type stays text.
_CONVERT: dict[int, Callable[[str], Any]] = {
    16: lambda v: v == "t",  # bool
    20: int,  # int8
    21: int,  # int2
    23: int,  # int4
    26: int,  # oid
    700: float,  # float4
    701: float,  # float8
    1114: _timestamp,  # timestamp without time zone
}

_library: Any = None


#: ``PQresultErrorField``'s code for the SQLSTATE (``PG_DIAG_SQLSTATE``).
_SQLSTATE = ord("C")


def _candidates() -> list[str]:
    found = []
    for entry in sys.path:
        for folder in ("psycopg_binary.libs", os.path.join("psycopg_binary", ".dylibs")):
            where = os.path.join(entry or ".", folder)
            try:
                names = sorted(os.listdir(where))
            except OSError:
                continue
            found += [os.path.join(where, n) for n in names if n.startswith("libpq") and (".so" in n or ".dylib" in n)]
    return [*found, "libpq.so.5", "libpq.5.dylib"]


def library() -> Any:
    """The loaded libpq with its signatures set, or None where there is none to load."""
    global _library
    if _library is None:
        _library = False
        for candidate in _candidates():
            try:
                lib = ctypes.CDLL(candidate)
            except OSError:
                continue
            _declare(lib)
            _library = lib
            break
    return _library or None


def _declare(lib: Any) -> None:
    p, s, i = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int
    for name, result, args in (
        ("PQconnectStart", p, [s]),
        ("PQconnectPoll", i, [p]),
        ("PQsocket", i, [p]),
        ("PQsendQuery", i, [p, s]),
        ("PQsendQueryParams", i, [p, s, i, p, ctypes.POINTER(s), p, p, i]),
        ("PQconsumeInput", i, [p]),
        ("PQisBusy", i, [p]),
        ("PQgetResult", p, [p]),
        ("PQstatus", i, [p]),
        ("PQerrorMessage", s, [p]),
        ("PQfinish", None, [p]),
        ("PQresultStatus", i, [p]),
        ("PQresultErrorMessage", s, [p]),
        ("PQresultErrorField", s, [p, i]),
        ("PQntuples", i, [p]),
        ("PQnfields", i, [p]),
        ("PQfname", s, [p, i]),
        ("PQftype", ctypes.c_uint, [p, i]),
        ("PQgetvalue", s, [p, i, i]),
        ("PQgetisnull", i, [p, i, i]),
        ("PQclear", None, [p]),
    ):
        function = getattr(lib, name)
        function.restype = result
        function.argtypes = args


def _message(raw: bytes | None) -> str:
    lines = (raw or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "libpq gave no reason"


def _parameter(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, datetime):
        return value.isoformat(" ").encode()
    return str(value).encode("utf-8")


_positional_cache: dict[str, tuple[str, tuple[str, ...]]] = {}


def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with its ``:name`` parameters as ``$1``, ``$2``..., and the names in that order."""
    found = _positional_cache.get(sql)
    if found is None:
        import re

        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        found = _positional_cache[sql] = (re.sub(NAMED_PARAMETER, number, sql), tuple(names))
    return found


def _connect_timeout(conninfo: str) -> float | None:
    """The URL's own ``connect_timeout``, else ``PGCONNECT_TIMEOUT``, else ours; None: wait
    for ever (libpq's 0 or less). libpq applies neither itself to an asynchronous connect."""
    given = None
    for pair in conninfo.partition("?")[2].split("&"):
        name, _, value = pair.partition("=")
        if name == "connect_timeout":
            given = value
    if given is None:
        given = os.environ.get("PGCONNECT_TIMEOUT")
    try:
        seconds = CONNECT_TIMEOUT if given is None else float(given)
    except ValueError:
        return CONNECT_TIMEOUT
    return seconds if seconds > 0 else None


class LibpqConnection(Connection):
    """A read connection on libpq: each statement on its own, seeing what is committed
    when it starts (as psycopg's READ COMMITTED transaction does).

    Connecting and every statement go through libpq's asynchronous calls, waited on with
    ``select``: Python runs signal handlers while it waits, so Ctrl-C, SIGTERM and SIGHUP
    end a command whose server has stopped answering (``PQconnectdb`` and ``PQexec`` are
    one C call each, deaf to them, for ever). Connecting gives up after ``connect_timeout``
    (``CONNECT_TIMEOUT`` when the URL sets none).
    """

    def __init__(self, lib: Any, conninfo: str, where: str = "the database") -> None:
        import time

        self._lib = lib
        self._where = where
        conn = lib.PQconnectStart(conninfo.encode("utf-8"))
        if not conn:
            raise StoreError("out of memory")
        self._conn = conn
        try:
            timeout = _connect_timeout(conninfo)
            deadline = None if timeout is None else time.monotonic() + timeout
            state = _POLL_WRITING  # libpq's rule for the first wait
            while lib.PQstatus(conn) != 1 and state not in (_POLL_OK, _POLL_FAILED):  # 1: CONNECTION_BAD
                left = None if deadline is None else deadline - time.monotonic()
                socket = lib.PQsocket(conn)
                if (left is not None and left <= 0) or not self._wait(socket, state == _POLL_WRITING, left):
                    raise StoreError(f"no answer from the server within {timeout:g} seconds (connect_timeout)")
                state = lib.PQconnectPoll(conn)
            if lib.PQstatus(conn) != _OK:
                raise StoreError(_message(lib.PQerrorMessage(conn)))
            # Values come back as text: ISO times and UTF-8, whatever the server's defaults.
            self._command(f"SET datestyle TO ISO; SET client_encoding TO UTF8; {LOCK_TIMEOUT}")
        except BaseException:
            self.close()
            raise

    def _wait(self, socket: int, writing: bool, timeout: float | None = None) -> bool:
        """Until ``socket`` is ready (True) or ``timeout`` seconds pass (False). ``poll``, not
        ``select``: a descriptor past 1,023 (an embedding program with many files) is fine."""
        import select

        if socket < 0:
            raise StoreError(_message(self._lib.PQerrorMessage(self._conn)))
        poller = select.poll()
        poller.register(socket, (select.POLLOUT if writing else select.POLLIN) | select.POLLERR | select.POLLHUP)
        return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))

    def _results(self, sent: int) -> list[Any]:
        """Every result of the statement(s) just sent, waited for with ``select``."""
        lib, conn = self._lib, self._conn
        if not sent:
            raise StoreError(_message(lib.PQerrorMessage(conn)))
        results: list[Any] = []
        try:
            while True:
                while lib.PQisBusy(conn):
                    self._wait(lib.PQsocket(conn), False)
                    if not lib.PQconsumeInput(conn):
                        raise StoreError(_message(lib.PQerrorMessage(conn)))
                result = lib.PQgetResult(conn)
                if not result:
                    return results
                results.append(result)
        except BaseException:
            for result in results:
                lib.PQclear(result)
            raise

    def _command(self, sql: str) -> None:
        lib = self._lib
        results = self._results(lib.PQsendQuery(self._conn, sql.encode()))
        try:
            for result in results:
                if lib.PQresultStatus(result) not in (_COMMAND_OK, _TUPLES_OK):
                    raise StoreError(_message(lib.PQresultErrorMessage(result) or lib.PQerrorMessage(self._conn)))
        finally:
            for result in results:
                lib.PQclear(result)

    def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Any]:
        lib = self._lib
        text, names = positional(sql)
        values = (ctypes.c_char_p * max(len(names), 1))(*(_parameter(params[n]) for n in names))
        sent = lib.PQsendQueryParams(self._conn, text.encode("utf-8"), len(names), None, values, None, None, 0)
        results = self._results(sent)
        for extra in results[1:]:  # one statement: one result
            lib.PQclear(extra)
        result = results[0] if results else None
        try:
            if lib.PQresultStatus(result) != _TUPLES_OK:
                if lib.PQresultErrorField(result, _SQLSTATE) == LOCK_NOT_AVAILABLE.encode():
                    raise StoreError(busy_message(self._where))
                raise StoreError(_message(lib.PQresultErrorMessage(result) or lib.PQerrorMessage(self._conn)))
            columns = range(lib.PQnfields(result))
            keys = [lib.PQfname(result, c).decode("utf-8") for c in columns]
            converters = [_CONVERT.get(lib.PQftype(result, c)) for c in columns]
            getvalue, isnull = lib.PQgetvalue, lib.PQgetisnull
            found = []
            for r in range(lib.PQntuples(result)):
                row: dict[str, Any] = {}
                for c, key, convert in zip(columns, keys, converters):
                    raw = getvalue(result, r, c)
                    if not raw and isnull(result, r, c):
                        row[key] = None
                        continue
                    value = raw.decode("utf-8")
                    row[key] = value if convert is None else convert(value)
                found.append(row)
            return found
        finally:
            lib.PQclear(result)

    def close(self) -> None:
        if self._conn:
            self._lib.PQfinish(self._conn)
            self._conn = None
