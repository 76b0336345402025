"""The gate: the one place that decides whether a store is current and what may be done to it.

Every command reaches the database through :func:`open_read` (to read) or
:func:`open_write` (to write); nothing else opens it. The gate looks at the store
once and names its state:

==============  ==================================================================
state           what interpdb does
==============  ==================================================================
``missing``     no SQLite file yet: reads see an empty store; the first write
                creates it (atomically, 0600, see ``store.schema``)
``empty``       a file with no tables: read as empty; the first write initialises it
``half-made``   interpdb's tables, no revision and no probe row (an older
                interpdb killed while creating it): read as empty; rebuilt by the
                first write. A file holding probe rows is never rebuilt.
``current``     at ``HEAD_REVISION``
``behind``      an older revision this interpdb knows: read as it is (a column it
                lacks reads as NULL); the first write upgrades a local SQLite file
                (backup first); a server database only by ``interpdb db upgrade``
``newer``       a revision this interpdb does not know: read by column name while
                the change is additive, never written
``foreign``     tables but no interpdb revision: refused
==============  ==================================================================

A store is **read-only** when its file (or folder) cannot be written, the server's
role may not insert into its tables (an auditor's SELECT-only role), or the user
says ``--read-only`` / ``INTERPDB_READ_ONLY=1``. Reading commands work on it
exactly as with ``--offline``; a command that must write fails with one line and a
hint. A read-only store is never migrated. Reading never writes, migrates or backs
up anything, on any store: a writable SQLite file is read through a ``query_only``
connection (so its ``-wal``/``-shm`` files go away when it closes). A read-only one
with no ``-wal`` beside it (nobody is writing it) is opened ``immutable=1``, which
leaves no file behind (a ``-shm`` owned by this user would get in its owner's way);
one with a ``-wal`` through ``mode=ro``, or ``immutable=1`` where SQLite cannot create
the ``-shm``. Read as immutable, a commit the owner makes during the read (a few
milliseconds) may be missed or, in the worst case, read torn: the next command sees it.

Standard library only on SQLite (``sqlite3``, ``os``): it is on every warm path.
"""

from __future__ import annotations

import os
import stat

from interpdb._stdlib import sqlite3
from interpdb.errors import ReadOnlyStore, StoreError, UsageError
from interpdb.location import Location
from interpdb.store.columns import ADDED_IN, TABLES

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from sqlalchemy.engine import Engine

    from interpdb.store.read import Connection
    from interpdb.store.write import Store

#: The newest Alembic revision; ``KNOWN_REVISIONS`` every one, oldest first.
#: ``tests/test_migrations.py`` checks both against the migration scripts, so the
#: gate needs no Alembic to tell an older store from a newer interpdb's.
HEAD_REVISION = "0005_ranking_indexes"
KNOWN_REVISIONS = (
    "0001_initial",
    "0002_interface",
    "0003_scrub_secrets",
    "0004_host_identity",
    "0005_ranking_indexes",
)

READ_ONLY_ENV = "INTERPDB_READ_ONLY"


class Access:
    """What the gate found: the store's state and whether this process may write it."""

    __slots__ = ("location", "present", "read_only_reason", "revision", "state")

    def __init__(
        self,
        location: Location,
        state: str,
        revision: str | None = None,
        read_only_reason: str | None = None,
        present: dict[str, frozenset[str]] | None = None,
    ) -> None:
        self.location = location
        self.state = state
        self.revision = revision
        #: why this store cannot be written (None: it can)
        self.read_only_reason = read_only_reason
        #: the columns of each table when the store is not at the head (None: the head's)
        self.present = present

    @property
    def writable(self) -> bool:
        return self.read_only_reason is None

    @property
    def holds_data(self) -> bool:
        return self.state in ("current", "behind", "newer")


#: The values of ``INTERPDB_READ_ONLY``: those click's boolean options take, read case-blind
#: around any blanks. Anything else is refused in one line (a usage error), never taken as no.
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"", "0", "false", "f", "no", "n", "off"})


def read_only_requested(flag: bool = False) -> str | None:
    """Why the user asked for a read-only store (``--read-only``, the variable), or None.

    The variable is read here only (not by click's ``envvar``), so that the click CLI
    and the warm path read it alike and the note names what the user actually set. The
    flag wins over it, as a command-line option does over its variable in click."""
    if flag:
        return "--read-only was given"
    value = os.environ.get(READ_ONLY_ENV, "")
    wanted = value.strip().lower()
    if wanted not in _TRUE and wanted not in _FALSE:
        raise UsageError(
            f"{READ_ONLY_ENV}={value!r} is neither true nor false (1/0, true/false, t/f, yes/no, y/n, on/off)",
            hint=f"set {READ_ONLY_ENV}=1 to read the store only, or unset it",
        )
    return f"{READ_ONLY_ENV} is set" if wanted in _TRUE else None


def file_read_only_reason(path: str) -> str | None:
    """Why this process cannot write the SQLite file at ``path`` (or create it), or None."""
    folder = os.path.dirname(path)
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            return "the file is not writable"
        if not os.access(folder, os.W_OK | os.X_OK):
            return "its folder is not writable"
        return None
    existing = folder
    while existing and not os.path.isdir(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if existing and not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def inspect(location: Location, read_only: bool = False) -> Access:
    """Look at the store without keeping a connection (see ``open_read``)."""
    conn, access = _look(location, read_only)
    if conn is not None:
        conn.close()
    return access


def _missing(location: Location, read_only: bool) -> Access:
    reason = read_only_requested(read_only)
    if reason is None and location.sqlite_file is not None:
        reason = file_read_only_reason(location.sqlite_file)
    return Access(location, "missing", read_only_reason=reason)


def open_read(location: Location, read_only: bool = False) -> Connection | None:
    """A read connection that knows the store's state (``conn.access``), or None when
    there is no database to read (no file yet, or an empty or half-made one: reading
    them gives nothing). Raises StoreError, in one line, for what cannot be read."""
    return _look(location, read_only)[0]


def _look(location: Location, read_only: bool) -> tuple[Connection | None, Access]:
    from interpdb.store import read

    if location.sqlite_file is None:
        conn: Connection = read.server_connection(location)
        reason = read_only_requested(read_only)
    else:
        path = location.sqlite_file
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            return None, _missing(location, read_only)
        except OSError as error:
            raise StoreError(f"cannot read {path}: {error.strerror}") from error
        refuse_non_file(path, mode)
        reason = read_only_requested(read_only) or file_read_only_reason(path)
        try:
            conn = read.sqlite_connection(path, writable=reason is None)
        except sqlite3.Error as error:
            if read.is_busy(error):
                raise busy(location) from error
            raise StoreError(f"cannot read {path}: {error}") from error
    try:
        access = _classify(conn, location, reason)
    except BaseException:
        conn.close()
        raise
    if access.holds_data and access.writable and location.sqlite_file is None:
        access.read_only_reason = _role_read_only_reason(conn)
    if not access.holds_data:
        conn.close()
        if access.state == "foreign":
            raise StoreError(
                f"{location.describe()} is not an interpdb database (it has other tables)",
                hint="choose another --db",
            )
        return None, access
    conn.access = access
    return conn, access


def _role_read_only_reason(conn: Connection) -> str | None:
    """Why the server's role may not write interpdb's tables (an auditor's SELECT-only
    role), or None: such a store is read as a read-only one, never half-written."""
    try:
        [row] = conn.rows(
            "SELECT has_table_privilege('interpreters', 'INSERT') AND has_table_privilege('probes', 'INSERT') AS w",
            {},
        )
    except Exception:  # a server without the function: let the write itself say what is wrong
        conn.reset()
        return None
    return None if row["w"] else "this database role may not insert into its tables"


def _classify(conn: Connection, location: Location, reason: str | None) -> Access:
    try:
        return _state(conn, location, reason)
    except sqlite3.DatabaseError as error:  # not a database at all, or damaged beyond reading
        from interpdb.store.read import is_busy

        if is_busy(error):
            raise busy(location) from error
        if any(text in str(error) for text in _DISK_ERRORS):  # the disk failed it, not its contents
            raise StoreError(
                f"cannot read {location.describe()}: {error}",
                hint="is its disk full? SQLite needs room beside the store (its -wal and -shm files) even to read",
            ) from error
        raise StoreError(f"{location.describe()} is not an interpdb database: {error}") from error


#: SQLite's words for a store it could not read because of the disk: a full one, most often.
_DISK_ERRORS = ("disk I/O error", "database or disk is full")


def nothing_to_read(access: Access) -> str:
    """Why a store holds nothing to read: no file at all, or a database (a server's, an empty
    file) with no interpdb tables yet, which is no missing database."""
    where = access.location.describe()
    if access.state == "missing":
        return f"no database at {where}"
    return f"{where} holds no interpdb tables yet: the first command that writes creates them"


def busy(location: Location) -> StoreError:
    """The store another program held locked for longer than the busy timeout: busy, not broken."""
    from interpdb.store.read import busy_message

    return StoreError(busy_message(location.describe()))


def _state(conn: Connection, location: Location, reason: str | None) -> Access:
    revision = conn.revision()
    if revision == HEAD_REVISION:
        return Access(location, "current", revision, reason)
    present = conn.table_columns()
    if revision is not None:
        state = "behind" if revision in KNOWN_REVISIONS else "newer"
        missing = _unreadable(present)
        if missing:
            hint = "upgrade interpdb" if state == "newer" else "interpdb db upgrade"
            raise StoreError(
                f"{location.describe()} has schema revision {revision}, which this interpdb cannot read ({missing})",
                hint=hint,
            )
        return Access(location, state, revision, reason, present)
    ours = set(TABLES) | {"alembic_version"}
    if not present or (set(present) == {"alembic_version"} and not conn.has_rows("alembic_version")):
        # Nothing, or what ``db downgrade base`` leaves (Alembic keeps its empty table): a
        # store to create, as a new one is.
        return Access(location, "empty", None, reason, present)
    if set(present) <= ours and "probes" in present and not conn.has_rows("probes"):
        return Access(location, "half-made", None, reason, present)
    if set(present) <= ours and "alembic_version" in present:
        raise StoreError(
            f"{location.describe()} has interpdb's tables but no schema revision (alembic_version is empty)",
            hint="restore a backup (interpdb db backup makes them) or choose another --db",
        )
    return Access(location, "foreign", None, reason, present)


def _has_every_column(access: Access) -> bool:
    """Does a store behind the head hold every column of the head's tables (a later
    revision added only indexes, as ``0005_ranking_indexes`` did)? Then the ORM reads it."""
    present = access.present or {}
    return all(set(columns) <= present.get(table, frozenset()) for table, columns in TABLES.items())


def _unreadable(present: dict[str, frozenset[str]]) -> str:
    """What the reader needs and this store lacks (columns added later read as NULL)."""
    for table in ("interpreters", "probes", "fingerprint_entries"):
        if table not in present:
            return f"no {table} table"
        for column in TABLES[table]:
            if column not in present[table] and (table, column) not in ADDED_IN:
                return f"no column {table}.{column}"
    return ""


def read_engine(location: Location, read_only: bool = False, *, head_only: bool = True) -> tuple[Engine, Access]:
    """A SQLAlchemy engine that only reads, for ``export``'s ORM walk and ``db check``.

    On SQLite its connections are the gate's own read connections. ``head_only``:
    the store must be at the head revision (the ORM names every column of it).
    """
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    access = inspect(location, read_only)
    if not access.holds_data:
        raise StoreError(nothing_to_read(access))
    if head_only and access.state != "current" and not (access.state == "behind" and _has_every_column(access)):
        if access.state == "newer":
            hint = "upgrade interpdb"
        elif access.writable:
            hint = "interpdb db upgrade"
        else:  # it cannot be upgraded here: a copy can
            hint = "export from an upgraded copy: cp it, then `interpdb --db COPY db upgrade`"
        raise StoreError(
            f"{location.describe()} has schema revision {access.revision}; export reads the columns of {HEAD_REVISION}",
            hint=hint,
        )
    if location.sqlite_file is None:
        from sqlalchemy import event

        from interpdb.store.read import LOCK_TIMEOUT

        engine = create_engine(location.url, execution_options={"postgresql_readonly": True})

        @event.listens_for(engine, "connect")
        def _waits_as_a_reader_does(dbapi_connection: Any, _record: Any) -> None:
            # A table another host's db upgrade holds: busy after the readers' wait, not for ever.
            cursor = dbapi_connection.cursor()
            cursor.execute(LOCK_TIMEOUT)
            cursor.close()
            dbapi_connection.commit()

        return engine, access
    from interpdb.store import read

    path = location.sqlite_file

    def connect() -> sqlite3.Connection:
        conn = read.sqlite_connection(path, writable=access.writable).raw
        conn.row_factory = None
        return conn

    return create_engine("sqlite://", creator=connect, poolclass=StaticPool), access


def open_write(location: Location, read_only: bool = False) -> Store:
    """The store, ready to be written: created or upgraded first when the gate allows it.

    Creating and upgrading happen under ``schema.migration_lock``, and the store is
    looked at again once the lock is held: of several interpdb started together on
    a new database, one creates it and the others find it current.
    """
    access = inspect(location, read_only)
    refuse_writes(access)
    from interpdb.store import schema
    from interpdb.store.write import Store

    if access.state != "current":
        with schema.migration_lock(location):
            # Looked at again under the lock: another interpdb may have been creating it.
            access = inspect(location, read_only)
            refuse_writes(access)
            if access.state == "behind" and location.sqlite_file is None:
                raise StoreError(
                    f"{location.describe()} has schema revision {access.revision}, older than this interpdb's "
                    f"{HEAD_REVISION}: a shared database is never upgraded implicitly",
                    hint="interpdb db upgrade",
                )
            if access.state in ("missing", "half-made") and location.sqlite_file is not None:
                if access.state == "half-made":
                    # No probe row in it (re-checked under the lock); through a symlink, the file it leads to.
                    os.unlink(os.path.realpath(location.sqlite_file))
                schema.create_sqlite(location)
            elif access.state != "current":
                store = Store(location)
                try:
                    if access.state == "behind":
                        copy = schema.upgrade_in_place(location, store.engine)
                        store.upgraded = (access.revision, copy)
                    else:  # a server database with no tables, or an empty SQLite file
                        doing = f"create interpdb's tables in {location.describe()}"  # not "upgrade"
                        schema.run_migrations(store.engine, "upgrade", "head", doing=doing)
                except BaseException:
                    store.close()
                    raise
                return store
    return Store(location)


def refuse_non_file(path: str, mode: int | None = None) -> None:
    """One line for a store path that names a folder, a FIFO, a device, a socket: never read
    as a store, never replaced by one (``mode``: its ``st_mode``; None: looked up, and a
    path that does not exist passes)."""
    if mode is None:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return
    if stat.S_ISDIR(mode):
        raise StoreError(f"{path} is a directory, not a database file", hint="choose another --db")
    if not stat.S_ISREG(mode):  # /dev/null, a FIFO, a socket
        raise StoreError(f"{path} is not a regular file, so not a database file", hint="choose another --db")


def upgrade_note(location: Location, before: str | None, copy: object) -> str:
    """The ``note:`` of an implicit upgrade: from where, to the head, and the backup kept."""
    return f"upgraded {location.describe()} from {before} to {HEAD_REVISION}" + (f"; backup: {copy}" if copy else "")


def refuse_writes(access: Access) -> None:
    """Raise, in one line with a hint, when ``access`` says this store must not be written."""
    where = access.location.describe()
    if access.read_only_reason is not None:
        raise ReadOnlyStore(
            f"cannot write {where}: the store is read-only ({access.read_only_reason})",
            hint="reading commands (list, find, show, history, sql, export) work on it; "
            "to write, use a store you can write (--db PATH)",
        )
    refuse_unless_ours(access.location, access.revision, access.state)


def refuse_unless_ours(location: Location, revision: str | None, state: str | None = None) -> None:
    """Raise StoreError for a store that writing, creating or upgrading would damage."""
    if revision is not None and revision not in KNOWN_REVISIONS and revision != HEAD_REVISION:
        raise StoreError(
            f"{location.describe()} was written by a newer interpdb (schema revision {revision})",
            hint="upgrade interpdb; this one only reads that store (--offline: answer without probing)",
        )
    if state == "foreign":
        raise StoreError(f"{location.describe()} is not an interpdb database (it has other tables)")
