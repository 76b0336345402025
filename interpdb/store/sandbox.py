"""The ``interpdb sql`` sandbox: one query that may only read, enforced by the database.

SQLite: the gate's ``query_only`` (or ``mode=ro``) connection, with an authorizer
that lets a statement compile only if every action it needs is a read.
PostgreSQL: one query in a ``READ ONLY`` transaction, rolled back, through psycopg 3
whatever driver the URL names (its values travel apart from the query). The store is
never migrated for a query: an older schema is queried as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from interpdb._stdlib import sqlite3
from interpdb.errors import QueryError
from interpdb.location import Location, is_utf8
from interpdb.store import gate, read

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def query(
    location: Location, sql: str, params: dict[str, Any], read_only: bool = False
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement that may only read; return its column names and rows.

    The database enforces it, not a parse of the SQL (see the module docstring);
    on PostgreSQL the query is one ``SELECT``, ``VALUES``, ``TABLE`` or ``WITH``.
    """
    if not is_utf8(sql):  # a byte the file system encoding could not decode, from argv or stdin
        raise QueryError("the query is not valid UTF-8 text")
    reader = gate.open_read(location, read_only)
    if reader is None:
        raise QueryError(gate.nothing_to_read(gate.inspect(location, read_only)))
    if location.sqlite_file is None:
        reader.close()  # the gate's may be libpq's, which reads interpdb's column types only
        scheme, _, rest = location.url.partition("://")
        if scheme.partition("+")[0].lower() != "postgresql":
            raise QueryError(f"interpdb sql reads SQLite and PostgreSQL databases, not {scheme}")
        # Through psycopg 3 whatever driver the URL names: it sends values apart from the
        # query (server-side binding). psycopg2, which SQLAlchemy would use for
        # postgresql://, pastes them into the text, where a value read as inside a string
        # could close it and add statements that end the read-only transaction.
        try:
            server = read.psycopg_connection(f"postgresql://{rest}", location.describe())
        except ImportError:
            raise QueryError("interpdb sql on PostgreSQL needs psycopg 3: pip install 'interpdb[postgres]'") from None
        try:
            return _query_psycopg(server, sql, params)
        finally:
            server.close()
    denied: list[str] = []
    conn = reader.raw
    # The sqlite3 module must not BEGIN on its own: the statement alone asks the authorizer.
    conn.isolation_level = None
    stopped: list[int] = []
    restore = _stoppable(conn, stopped)
    try:
        _warm_table_functions(conn)
        conn.set_authorizer(lambda action, arg1, arg2, _db, _source: _authorize(denied, action, arg1, arg2))
        cursor = conn.execute(sql, params)
        columns = [d[0] for d in cursor.description or ()]
        rows = [tuple(row) for row in cursor.fetchall()]
        if stopped:
            raise _interruption(stopped[0])
        return columns, rows
    except OverflowError:  # sqlite3 binds integers as 64-bit ones (PostgreSQL takes any)
        too_big = next(name for name, value in params.items() if type(value) is int and not -(2**63) <= value < 2**63)
        raise QueryError(f"--param {too_big}: the integer does not fit in 64 bits, as SQLite stores integers") from None
    except (sqlite3.Error, sqlite3.Warning) as error:  # Python 3.9 raises a Warning for two statements
        if stopped:  # the progress handler ended the query
            raise _interruption(stopped[0]) from None
        if denied:
            # VACUUM asks the authorizer to ATTACH a copy: name what was written, not how.
            what = "VACUUM" if sql.lstrip().upper().startswith("VACUUM") else denied[0]
            raise QueryError(f"{what} is not allowed: interpdb sql only reads") from error
        unbound = _missing_binding(sql, params) if "binding" in str(error) else None
        raise QueryError(unbound or _first_line(error)) from error
    finally:
        restore()
        conn.close()


#: SQLite VM steps between two looks at whether a signal asked to stop (well under a millisecond).
_STEPS_PER_LOOK = 10_000


def _stoppable(conn: sqlite3.Connection, stopped: list[int]) -> Callable[[], None]:
    """Let Ctrl-C, SIGTERM and SIGHUP stop a query while SQLite runs it.

    Python runs a signal handler between two bytecodes, so one long ``execute`` (a
    recursive query that never ends) held every signal but SIGKILL. Until the returned
    function is called, these signals are noted in ``stopped`` (unless ignored), and the
    progress handler, which SQLite calls every ``_STEPS_PER_LOOK`` steps and which runs
    Python bytecode (so the handlers too), ends the query once one is; the caller raises
    what the signal would have (``_interruption``).
    """
    from interpdb.errors import handle_signals

    def note(signum: int, _frame: object) -> None:
        stopped.append(signum)

    restore = handle_signals(("SIGINT", "SIGTERM", "SIGHUP"), note)
    conn.set_progress_handler(lambda: 1 if stopped else 0, _STEPS_PER_LOOK)
    return restore


def _interruption(signum: int) -> BaseException:
    """What the signal raises when no query holds it: KeyboardInterrupt for Ctrl-C."""
    from interpdb.errors import Interrupted, _signals

    return KeyboardInterrupt() if signum == _signals().SIGINT else Interrupted(signum)


def _missing_binding(sql: str, params: dict[str, Any]) -> str | None:
    """Name the ``:param`` left unbound (Python 3.9's sqlite3 only gives its number)."""
    for _start, _end, name in parameters(sql):
        if name not in params:
            return f"no value for binding parameter :{name} (use --param {name}=VALUE)"
    return None


def parameters(sql: str) -> list[tuple[int, int, str]]:
    """Where ``sql`` binds a ``:name`` parameter: (start, end, name) of each, left to right.

    Read as the database reads it, not by a pattern: not in a string (``':x'``, ``E'\\':x'``),
    a quoted identifier (``"a:x"``), a comment (``-- :x``, ``/* :x */``, nested), a
    dollar-quoted body (``$$:x$$``, ``$t$:x$t$``), nor a cast (``a::text``). A pattern
    replaced them all on PostgreSQL: ``select ':x'`` answered ``$1``.
    """
    found: list[tuple[int, int, str]] = []
    i, n = 0, len(sql)

    def word(at: int) -> bool:
        return at >= 0 and (sql[at].isalnum() or sql[at] in "_$")

    while i < n:
        c = sql[i]
        if c == "'" or c == '"':
            escapes = c == "'" and i > 0 and sql[i - 1] in "eE" and not word(i - 2)
            i += 1
            while i < n:
                if escapes and sql[i] == "\\":
                    i += 2
                elif sql[i] == c:
                    if sql.startswith(c * 2, i):  # '' or "": the quote itself
                        i += 2
                    else:
                        break
                else:
                    i += 1
            i += 1
        elif sql.startswith("--", i):  # to the end of the line: \n or \r, as PostgreSQL reads it
            ends = [at for at in (sql.find("\n", i), sql.find("\r", i)) if at >= 0]
            i = min(ends) + 1 if ends else n
        elif sql.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "$" and not word(i - 1):
            tag = re.match(r"\$(?:[^\W\d]\w*)?\$", sql[i:])  # letters beyond ASCII too
            if tag is None:  # $1: a positional parameter, not a quote
                i += 1
            else:
                end = sql.find(tag.group(), i + len(tag.group()))
                i = n if end < 0 else end + len(tag.group())
        elif c == ":":
            if sql.startswith("::", i):
                i += 2
                continue
            name = re.match(r"[A-Za-z_]\w*", sql[i + 1 :])
            if name is not None and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] in "_\\")):
                found.append((i, i + 1 + name.end(), name.group()))
                i += 1 + name.end()
            else:
                i += 1
        else:
            i += 1
    return found


def _pyformat(sql: str) -> str:
    """``sql`` for psycopg: each ``:name`` it binds (``parameters``) as ``%(name)s``, and
    every other ``%`` doubled."""
    pieces, at = [], 0
    for start, end, name in parameters(sql):
        pieces += [sql[at:start].replace("%", "%%"), f"%({name})s"]
        at = end
    pieces.append(sql[at:].replace("%", "%%"))
    return "".join(pieces)


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
        try:
            conn.execute(f"SELECT 1 FROM {function} LIMIT 0").fetchall()
        except sqlite3.Error:  # not in this SQLite build: it stays refused
            continue


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


def _one_query(sql: str) -> str:
    query = sql.strip().rstrip(";").rstrip()
    if ";" in query:
        # The subquery below is no boundary for a ';': "SELECT 1) AS q; COMMIT; DELETE ...;
        # SELECT * FROM (SELECT 1" closes it, ends the read-only transaction and writes.
        # No character of it is read as a string or comment here, so no lexer can disagree.
        raise QueryError("';' is refused on PostgreSQL: interpdb sql runs one query (bind such text with --param)")
    # As a subquery, the text is one query to the server's parser: a statement
    # that is not a query (DELETE ..., COMMIT) is a syntax error before anything runs.
    return f"SELECT * FROM (\n{query}\n) AS interpdb_query"


def _server_error(error: BaseException) -> QueryError:
    orig = getattr(error, "orig", None) or error
    message = _first_line(orig)
    if getattr(orig, "sqlstate", None) == "42601" or getattr(orig, "pgcode", None) == "42601":  # syntax error
        message += " (interpdb sql runs one read-only SELECT, VALUES, TABLE or WITH query)"
    return QueryError(message)


def _query_psycopg(
    reader: read.Connection, sql: str, params: dict[str, Any]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """On a psycopg connection whose transactions are ``READ ONLY`` from their ``BEGIN``:
    the query may only read, and is rolled back."""
    import psycopg
    from psycopg.rows import tuple_row

    query = _one_query(sql)
    unbound = _missing_binding(query, params)
    if unbound is not None:
        raise QueryError(unbound)
    conn = reader.driver
    try:
        conn.rollback()  # a new transaction, begun READ ONLY by the statement below
        with conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(_pyformat(query), params)
            if cursor.description is None:
                return [], []
            return [d.name for d in cursor.description], cursor.fetchall()
    except psycopg.Error as error:
        raise _server_error(error) from error
    finally:
        from contextlib import suppress  # here: the warm path on SQLite never pays for it

        with suppress(psycopg.Error):  # the connection is gone: closing it is all that is left
            conn.rollback()


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else error.__class__.__name__


_INTEGER = r"-?(0|[1-9][0-9]*)"  # compiled on first use (``re`` caches it)
_MAX_DIGITS = 4000  # below CPython's default limit for int() of text, 4300 digits


def bindings(pairs: Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs for ``sql --param``; a value written as an integer binds as one."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name.isidentifier():
            raise ValueError(f"{pair!r}: use NAME=VALUE, binding :NAME in the query")
        if not is_utf8(text):  # the name is an identifier: never a surrogate
            raise ValueError(f"{pair!r} is not valid UTF-8 text")
        if re.fullmatch(_INTEGER, text):
            if len(text) > _MAX_DIGITS:  # int() would refuse it, naming sys.set_int_max_str_digits
                raise ValueError(f"{name}: an integer of more than {_MAX_DIGITS} digits")
            params[name] = int(text)
        else:
            params[name] = text
    return params


def _nothing_to_run(sql: str) -> bool:
    """Whether ``sql`` is only blanks, semicolons and comments (``-- ...``, ``/* ... */``)."""
    i, end = 0, len(sql)
    while i < end:
        if sql[i] in " \t\n\r\f;":
            i += 1
        elif sql.startswith("--", i):
            newline = sql.find("\n", i)
            i = end if newline < 0 else newline + 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = end if close < 0 else close + 2
        else:
            return False
    return True


def query_records(
    location: Location, sql: str, params: dict[str, Any], read_only: bool = False
) -> list[dict[str, Any]]:
    """``query`` as rows keyed by column; a repeated name (``i.id, p.id``) becomes ``id_2``."""
    return query_table(location, sql, params, read_only)[1]


def query_table(
    location: Location, sql: str, params: dict[str, Any], read_only: bool = False
) -> tuple[list[str], list[dict[str, Any]]]:
    """The column names (made unique as the rows' keys are) and ``query_records``' rows:
    the names are known for a result of no rows too."""
    if _nothing_to_run(sql):  # SQLite ran nothing, PostgreSQL's parser failed: one answer for both
        raise QueryError("the query is empty")
    columns, rows = query(location, sql, params, read_only)
    seen: set[str] = set()
    names = []
    for column in columns:
        name, n = column, 1
        while name in seen:
            n += 1
            name = f"{column}_{n}"
        seen.add(name)
        names.append(name)
    return names, [dict(zip(names, (_cell(v) for v in row))) for row in rows]


def _cell(value: Any) -> Any:
    if isinstance(value, float) and (value - value) != 0:  # inf or NaN: x - x is NaN only for them
        # JSON has no such number: json.dumps wrote Infinity, which strict parsers refuse.
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
    return value.hex() if isinstance(value, (bytes, memoryview)) else value
