"""The write side of the store: engine, migrations on open, and recording probes.

This is the only module that imports SQLAlchemy and Alembic, and it is imported
only when something must be written or migrated. Reading is ``interpdb.reader``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interpdb import __version__, reader
from interpdb.fingerprint import Entry
from interpdb.location import Location
from interpdb.records import utcnow

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection
    from sqlalchemy.engine import Engine


class StoreError(Exception):
    """The database cannot be opened, migrated or written; the message says why."""


#: How long a writer waits for another interpdb's write to end before saying the database is busy.
BUSY_TIMEOUT_MS = 10000
#: A batch of probes is written again when another interpdb inserted one of its
#: interpreters first; each retry finds at least one more of them already there.
_RECORD_ATTEMPTS = 3
#: The PostgreSQL advisory lock key that serialises migrations ("interpdb" in ASCII).
_PG_MIGRATION_LOCK = 0x696E7465_72706462


@dataclass(frozen=True)
class NewProbe:
    """One probe attempt to append: everything the ``probes`` row and its entries need."""

    path: str
    trigger: str
    outcome: str  # ok | error | missing
    probed_at: datetime
    duration_ms: float
    probe_hash: str
    entries: Sequence[Entry]
    data: dict[str, Any] | None = None
    error: str | None = None
    changes: Sequence[dict[str, Any]] = field(default_factory=tuple)
    command: str | None = None


def migrations_dir() -> Path:
    """``migrations/`` beside the package in a checkout, or inside it in an installed wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise StoreError(f"interpdb is installed without its migrations (looked beside {package})")


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """Alembic's configuration, built in code: no ini file, no subprocess."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def create_engine_for(location: Location) -> Engine:
    from sqlalchemy import URL, create_engine, event

    if location.sqlite_path is None:
        return create_engine(location.url)
    try:
        location.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreError(f"cannot create {location.sqlite_path.parent}: {error.strerror}") from error
    # A URL object, not the string: a path holding '?' or '#' must stay a path.
    engine = create_engine(URL.create("sqlite", database=location.sqlite_file))

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Readers (the warm path) never wait for a writer, and a writer never blocks them.
        cursor.execute("PRAGMA journal_mode = WAL")
        # Two interpdb processes writing at once wait for each other instead of failing.
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        # Probes and entries really belong to their interpreter (ON DELETE CASCADE).
        cursor.execute("PRAGMA foreign_keys = ON")
        # With WAL, NORMAL is durable across application crashes and much cheaper than FULL.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return engine


def backup(location: Location, suffix: str) -> Path | None:
    """Copy a SQLite database (consistently, WAL included) next to itself."""
    path = location.sqlite_path
    if path is None or not path.exists():
        return None
    return backup_to(location, path.with_name(f"{path.name}.{suffix}.bak"))


def backup_to(location: Location, target: Path) -> Path:
    """Copy a SQLite database to ``target`` with SQLite's backup API: a consistent
    snapshot even while another process writes, the WAL's committed pages included."""
    if location.sqlite_path is None:
        raise StoreError(f"only a SQLite file can be backed up this way, not {location.url.split(':', 1)[0]}")
    try:
        source = sqlite3.connect(f"{location.sqlite_path.as_uri()}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise StoreError(f"cannot copy {location.sqlite_path} to {target}: {error}") from error
    return target


def is_known_revision(revision: str) -> bool:
    """Whether this interpdb's migrations know ``revision`` (a newer interpdb may have written it)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


class Store:
    """An open, current database to write probes into."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.engine = create_engine_for(location)

    @classmethod
    def open(cls, location: Location) -> Store:
        """Open the database, creating or upgrading it first when its revision is not the head.

        Creating and upgrading happen under an exclusive lock, and the revision is
        read again once it is held: of several interpdb started together on a new
        database, one creates it and the others find it current. A database this
        interpdb must leave alone is refused before anything is backed up or
        written: one a newer interpdb wrote, another application's SQLite file.
        """
        from sqlalchemy.exc import SQLAlchemyError

        try:
            store = cls(location)
        except (ImportError, ValueError, SQLAlchemyError) as error:  # no driver, a URL it rejects
            raise StoreError(reader.cannot_connect(location.url, error)) from error
        try:
            current = store._stored_revision()
            if current != reader.HEAD_REVISION:
                store._refuse_unless_ours(current)  # first outside the lock: no lock file beside a refused one
                with store._migration_lock():
                    current = store._stored_revision()
                    if current != reader.HEAD_REVISION:
                        store._refuse_unless_ours(current)
                        store.upgrade("head", backup_first=current is not None)
        except BaseException:
            store.close()
            raise
        return store

    def _stored_revision(self) -> str | None:
        """The revision as stored (SQLite: read with ``sqlite3``, no SQLAlchemy)."""
        if self.location.sqlite_file is not None:
            try:
                return reader.stored_revision(self.location)
            except sqlite3.Error as error:
                raise StoreError(f"cannot read {self.location.sqlite_file}: {error}") from error
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return self.revision()
        except (ImportError, ValueError, SQLAlchemyError) as error:  # refused, a bad password, no such database
            raise StoreError(reader.cannot_connect(self.location.url, error)) from error

    def _refuse_unless_ours(self, current: str | None) -> None:
        """Raise StoreError for a database that creating or upgrading would damage.

        A revision these migrations do not know was written by a newer interpdb:
        downgrading it is that interpdb's job. A SQLite file with tables and no
        revision belongs to another application, or lost its revision: neither is
        given interpdb's tables. An empty file (no tables) is initialised.
        """
        where = self.location.sqlite_file or reader.hide_password(self.location.url)
        if current is not None:
            if not is_known_revision(current):
                raise StoreError(
                    f"{where} was written by a newer interpdb (schema revision {current}); upgrade interpdb"
                )
            return
        tables = self._sqlite_tables()
        if not tables - {"alembic_version"}:
            return
        if "alembic_version" in tables:
            raise StoreError(
                f"cannot upgrade the database: {where} has tables but no schema revision "
                "(alembic_version is empty); restore a backup or choose another --db"
            )
        raise StoreError(f"{where} is not an interpdb database (it has other tables); choose another --db")

    def _sqlite_tables(self) -> set[str]:
        """The tables of the SQLite file (SQLite's own ``sqlite_*`` aside); none for other databases."""
        if self.location.sqlite_file is None:
            return set()
        try:
            conn = reader.connect(self.location)
            if conn is None:
                return set()
            try:
                found = conn.rows("SELECT name FROM sqlite_master WHERE type = 'table'", {})
            finally:
                conn.close()
        except sqlite3.Error as error:
            raise StoreError(f"{self.location.sqlite_file} is not an interpdb database: {error}") from error
        return {str(name) for (name,) in found if not str(name).startswith("sqlite_")}

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """One interpdb at a time creates or upgrades the schema; the others wait here.

        SQLite: ``flock`` on ``<file>.lock`` beside the database, not on the database
        itself: closing any descriptor of the database would drop the POSIX locks
        SQLite holds on it. PostgreSQL: a session advisory lock. Elsewhere (and where
        there is no ``fcntl``): no lock; a failed race is still one line.
        """
        path = self.location.sqlite_path
        if path is None:
            if self.engine.dialect.name != "postgresql":
                yield
                return
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            # A connection of its own, outside the pool that migrating disposes of.
            holder = create_engine(self.engine.url, poolclass=NullPool)
            try:
                with holder.connect() as conn:
                    conn.exec_driver_sql(f"SELECT pg_advisory_lock({_PG_MIGRATION_LOCK})")
                    conn.commit()
                    try:
                        yield
                    finally:
                        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_PG_MIGRATION_LOCK})")
                        conn.commit()
            finally:
                holder.dispose()
            return
        try:
            import fcntl
        except ImportError:  # Windows
            yield
            return
        lock = path.with_name(f"{path.name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise StoreError(f"cannot create {lock}: {error.strerror}") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the close below, or by the process ending
            yield
        finally:
            os.close(fd)

    def revision(self) -> str | None:
        from sqlalchemy import inspect, text

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def upgrade(self, target: str = "head", backup_first: bool = True) -> None:
        self._migrate("upgrade", target, backup_first)

    def downgrade(self, target: str) -> None:
        self._migrate("downgrade", target, True)

    def migrate(self, direction: str, target: str) -> Path | None:
        """``upgrade`` or ``downgrade`` to ``target``, backing up first; return the backup.

        A database with no revision yet has nothing to back up. The backup is kept
        only when the revision moved: a target Alembic cannot reach (an unknown
        revision, a downgrade "up") fails before any step runs, and a no-op
        changed nothing worth a copy; both remove it again. It holds the lock
        ``open`` holds, and an upgrade refuses what ``open`` refuses.
        """
        from alembic.util import CommandError

        with self._migration_lock():
            before = self.revision()
            if direction == "upgrade":
                self._refuse_unless_ours(before)
            stamp = utcnow().strftime("%Y%m%dT%H%M%S")
            copy = None if before is None else backup(self.location, f"{direction}-{stamp}")
            try:
                self._migrate(direction, target, backup_first=False)
            except CommandError as error:
                _discard(copy)
                reason = next(iter(str(error).strip().splitlines()), "no such revision")
                raise StoreError(f"cannot {direction} to {target}: {reason}") from error
            if self.revision() == before:
                _discard(copy)
                return None
            return copy

    def schema_differences(self) -> list[str]:
        """What Alembic's autogenerate would change to make the database match the models.

        Compared as ``migrations/env.py`` configures migrations (``compare_type``).
        The views the migrations create need no filter: autogenerate reflects
        tables only (and skips ``alembic_version``), so they never show up.
        """
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlalchemy.exc import SQLAlchemyError

        from interpdb.models import Base

        try:
            with self.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                return [_describe_difference(diff) for diff in compare_metadata(context, Base.metadata)]
        except SQLAlchemyError as error:
            raise StoreError(f"cannot read the schema: {_one_line(error)}") from error

    def integrity_problems(self) -> list[str] | None:
        """SQLite's ``integrity_check`` and ``foreign_key_check`` findings; None on other databases."""
        from sqlalchemy.exc import SQLAlchemyError

        if not self.location.is_sqlite:
            return None
        problems: list[str] = []
        try:
            with self.engine.connect() as conn:
                for (message,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
                    if message != "ok":
                        problems.append(f"integrity_check: {message}")
                for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                    problems.append(f"foreign_key_check: {table} row {rowid} points to a missing {parent} row")
        except SQLAlchemyError as error:
            raise StoreError(f"cannot check the database: {_one_line(error)}") from error
        return problems

    def _migrate(self, direction: str, target: str, backup_first: bool) -> None:
        from alembic import command
        from sqlalchemy.exc import SQLAlchemyError

        if backup_first:
            stamp = utcnow().strftime("%Y%m%dT%H%M%S")
            backup(self.location, f"{direction}-{stamp}")
        try:
            with self.engine.connect() as conn:
                getattr(command, direction)(alembic_config(conn), target)
                conn.commit()
        except SQLAlchemyError as error:
            raise write_error(f"{direction} the database", error) from error
        finally:
            # The migration connection had foreign keys switched off; start afresh.
            self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Any]:
        from sqlalchemy.orm import Session

        with Session(self.engine) as session, session.begin():
            yield session

    def record(self, host: str, probes: Sequence[NewProbe]) -> list[int]:
        """Append probes (one transaction for the batch); return their interpreters' ids.

        Another interpdb may insert one of these interpreters between this one's
        look-up and its insert (both learned a new path at once): the batch is then
        rolled back and written again, and finds that row. Raises StoreError.
        """
        from sqlalchemy.exc import IntegrityError, SQLAlchemyError

        attempt = 1
        while True:
            try:
                return self._record(host, probes)
            except IntegrityError as error:
                if attempt >= _RECORD_ATTEMPTS:
                    raise write_error("record the probes", error) from error
                attempt += 1
            except SQLAlchemyError as error:
                raise write_error("record the probes", error) from error

    def _record(self, host: str, probes: Sequence[NewProbe]) -> list[int]:
        from sqlalchemy import insert, select

        from interpdb.models import FingerprintEntry, Interpreter, Probe, SysPathEntry

        ids: list[int] = []
        with self.session() as session:
            for new in probes:
                interpreter = session.scalars(
                    select(Interpreter).where(Interpreter.host == host, Interpreter.path == new.path)
                ).one_or_none()
                if interpreter is None:
                    interpreter = Interpreter(host=host, path=new.path, created_at=new.probed_at)
                    session.add(interpreter)
                probe = Probe(
                    interpreter=interpreter,
                    probed_at=new.probed_at,
                    trigger=new.trigger,
                    changes=list(new.changes),
                    outcome=new.outcome,
                    error=new.error,
                    duration_ms=new.duration_ms,
                    interpdb_version=__version__,
                    probe_hash=new.probe_hash,
                    command=new.command,
                    data=new.data,
                    **_facts(new.data),
                )
                session.add(probe)
                session.flush()
                # Core executemany on the session's connection, not ORM objects: a
                # 10,000-entry sys.path took 4 s as objects, 0.3 s like this.
                conn = session.connection()
                if new.entries:
                    conn.execute(
                        insert(FingerprintEntry),
                        [dict(e.as_dict(), probe_id=probe.id, position=i) for i, e in enumerate(new.entries)],
                    )
                if new.outcome == "ok" and _sys_path(new.data):
                    conn.execute(
                        insert(SysPathEntry),
                        [{"probe_id": probe.id, "position": i, "path": p} for i, p in _sys_path(new.data)],
                    )
                interpreter.current_probe_id = probe.id
                ids.append(interpreter.id)
        return ids

    def set_forgotten(self, ids: Sequence[int], forget: bool, command: str | None = None) -> None:
        """Hide (``forget``) or bring back interpreters, with a history event for each.

        The event is a ``probes`` row with trigger ``forget`` / ``unforget`` and outcome
        ``forgotten`` / ``remembered``; nothing was run, and the interpreter's current
        probe stays what it was, so its facts are kept.
        """
        from sqlalchemy import select

        from interpdb.models import Interpreter, Probe

        now = utcnow()
        with self.session() as session:
            for interpreter in session.scalars(select(Interpreter).where(Interpreter.id.in_(ids))):
                interpreter.forgotten_at = now if forget else None
                session.add(
                    Probe(
                        interpreter=interpreter,
                        probed_at=now,
                        trigger="forget" if forget else "unforget",
                        changes=[],
                        outcome="forgotten" if forget else "remembered",
                        duration_ms=0.0,
                        interpdb_version=__version__,
                        probe_hash="",
                        command=command,
                    )
                )

    def purge(self, ids: Sequence[int]) -> int:
        """Delete interpreters with their whole history; return how many went."""
        from sqlalchemy import delete, update

        from interpdb.models import Interpreter

        with self.session() as session:
            # The cycle interpreters -> probes -> interpreters is cut first.
            session.execute(update(Interpreter).where(Interpreter.id.in_(ids)).values(current_probe_id=None))
            result = session.execute(delete(Interpreter).where(Interpreter.id.in_(ids)))
            return int(getattr(result, "rowcount", 0) or 0)

    def add_sources(self, host: str, sources: Mapping[str, Iterable[str]]) -> None:
        """Note which discovery sources found these paths (``{path: source names}``).

        Only new ``(interpreter, source)`` pairs are written, each with the time it
        was first seen; paths with no interpreter row on ``host`` are ignored. Each
        pair is one portable ``INSERT ... SELECT`` that finds the interpreter and
        skips a pair already there: no read-then-write gap, no dialect's upsert.
        """
        from sqlalchemy import DateTime, String, bindparam, text

        now = utcnow()
        pairs = [
            {"host": host, "path": path, "source": source, "now": now}
            for path, names in sources.items()
            for source in dict.fromkeys(names)
        ]
        if not pairs:
            return
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO interpreter_sources (interpreter_id, source, first_seen_at) "
                    "SELECT i.id, :source, :now FROM interpreters i WHERE i.host = :host AND i.path = :path "
                    "AND NOT EXISTS (SELECT 1 FROM interpreter_sources s "
                    "WHERE s.interpreter_id = i.id AND s.source = :source)"
                ).bindparams(
                    # Typed: times are stored as the ORM stores them, and PostgreSQL
                    # deduces one type for :source, which appears twice.
                    bindparam("now", type_=DateTime()),
                    bindparam("source", type_=String(32)),
                ),
                pairs,
            )

    def close(self) -> None:
        self.engine.dispose()


def write_error(action: str, error: BaseException) -> StoreError:
    """A failed write in words; SQLite's "database is locked" (busy_timeout ran out) as what it means."""
    if "database is locked" in str(getattr(error, "orig", None) or error):
        return StoreError("the database is busy: another interpdb is writing; try again")
    return StoreError(f"cannot {action}: {_one_line(error)}")


def _one_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{error.__class__.__name__}: {text[0] if text else ''}"


def _discard(path: Path | None) -> None:
    if path is not None:
        with suppress(OSError):
            path.unlink()


def _describe_difference(diff: Any) -> str:
    """One of ``compare_metadata``'s tuples in words.

    ``add_*`` means the models have it and the database lacks it, ``remove_*`` the
    reverse; ``modify_*`` tuples (grouped per column) carry the database's value
    and then the models'.
    """
    if isinstance(diff, list):
        return "; ".join(_describe_difference(item) for item in diff)
    op, *args = diff
    action, _, kind = str(op).partition("_")
    if action == "modify":
        _schema, table, column, _existing, database, models = args
        return f"column {table}.{column} {kind}: database {database}, models {models}"
    where = "in the models, not in the database" if action == "add" else "in the database, not in the models"
    if kind == "column":
        return f"column {args[1]}.{args[2].name} is {where}"
    thing = args[0]
    table = getattr(thing, "table", None)
    name = thing.name if table is None else f"{table.name}.{thing.name or '(unnamed)'}"
    noun = "foreign key" if kind == "fk" else kind
    return f"{noun} {name} is {where}"


def _sys_path(data: dict[str, Any] | None) -> list[tuple[int, str]]:
    """``(position, entry)`` of the probe's ``sys_path``: the rows of ``sys_path_entries``."""
    entries = (data or {}).get("sys_path")
    if not isinstance(entries, list):
        return []
    return [(i, entry) for i, entry in enumerate(entries) if isinstance(entry, str)]


def _facts(data: dict[str, Any] | None) -> dict[str, Any]:
    """The probe answer's fields that are columns (people filter on them)."""
    if not data:
        return {}
    info = list(data.get("version_info") or []) + [None] * 5
    return {
        "implementation": data.get("implementation_name"),
        "implementation_version": data.get("implementation_version"),
        "python_version": data.get("python_version"),
        "version_major": info[0],
        "version_minor": info[1],
        "version_micro": info[2],
        "version_releaselevel": info[3],
        "is_venv": data.get("is_venv"),
        "free_threaded": data.get("free_threaded"),
        "debug_build": data.get("debug_build"),
        "pointer_size": data.get("pointer_size"),
        "platform": data.get("platform"),
        "executable": data.get("executable"),
        "real_executable": data.get("real_executable"),
        "prefix": data.get("prefix"),
        "base_prefix": data.get("base_prefix"),
    }
