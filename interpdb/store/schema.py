"""The schema's lifecycle: create (atomically, privately), upgrade and downgrade under a lock,
back up, check.

Only ``store.gate`` decides *whether* any of this happens (see its docstring); this
module knows *how*. It imports SQLAlchemy and Alembic, so it is never on a warm path.

Files interpdb creates are private whatever the umask: the database, its ``.lock``,
its backups (0600) and the folders above it that did not exist (0700). SQLite gives
the ``-wal`` and ``-shm`` files the database's own mode. A new SQLite database is
built in a temporary file beside its final name and renamed into place once its
schema is complete, so a first run killed at any point leaves either no database or
a whole one (and perhaps a ``.interpdb-new-*`` file, removed by the next creator).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interpdb.errors import StoreError
from interpdb.location import Location

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection
    from sqlalchemy.engine import Engine

#: How long a writer waits for another interpdb's write to end before saying the database is busy.
BUSY_TIMEOUT_MS = 10000
#: The PostgreSQL advisory lock key that serialises migrations ("interpdb" in ASCII).
PG_MIGRATION_LOCK = 0x696E7465_72706462
#: Prefix of the temporary file a new database is built in (beside its final name).
NEW_PREFIX = ".interpdb-new-"


def migrations_dir() -> Path:
    """``migrations/`` beside the package in a checkout, or inside it in an installed wheel."""
    package = Path(__file__).resolve().parent.parent
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


def is_known_revision(revision: str) -> bool:
    """Whether this interpdb's migrations know ``revision`` (a newer interpdb may have written it)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


# -- private files -------------------------------------------------------------------------


def make_private_dirs(folder: str) -> None:
    """Create ``folder`` and any missing parents, each 0700 whatever the umask."""
    missing = []
    current = os.path.abspath(folder)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise StoreError(f"cannot create {path}: {error.strerror}") from error
        os.chmod(path, 0o700)  # mkdir's mode passes through the umask, which may take more away


def create_private_file(path: str) -> int:
    """Create ``path`` (it must not exist) 0600 and return its open descriptor."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return fd


# -- engines -------------------------------------------------------------------------------


def create_engine_for(location: Location, sqlite_file: str | None = None, **options: Any) -> Engine:
    """An engine that writes; SQLite's pragmas set on every connection (``sqlite_file``:
    another file than the location's, the temporary one a new database is built in).

    A server URL whose driver is not installed, or that SQLAlchemy rejects, is one line
    (a ``StoreError``); ``options`` go to ``create_engine`` for a server URL.
    """
    from sqlalchemy import URL, create_engine, event

    file = sqlite_file or location.sqlite_file
    if file is None:
        from sqlalchemy.exc import SQLAlchemyError

        from interpdb.location import cannot_connect

        try:
            return create_engine(location.url, **options)
        except (ImportError, ValueError, SQLAlchemyError) as error:  # no driver, a URL it rejects
            raise StoreError(cannot_connect(location.url, error)) from error
    # A URL object, not the string: a path holding '?' or '#' must stay a path.
    engine = create_engine(URL.create("sqlite", database=file))

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


# -- the lock ------------------------------------------------------------------------------


@contextmanager
def migration_lock(location: Location) -> Iterator[None]:
    """One interpdb at a time creates or migrates the schema; the others wait here.

    SQLite: ``flock`` on ``<file>.lock`` beside the database (through symlinks), not on the database
    itself: closing any descriptor of the database would drop the POSIX locks
    SQLite holds on it. PostgreSQL: a session advisory lock. Elsewhere (and where
    there is no ``fcntl``): no lock; a failed race is still one line.
    """
    if location.sqlite_file is None:
        with _server_lock(location):
            yield
        return
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    # Beside the file the path leads to, where ``create_sqlite`` makes it: an interpdb
    # given a symlink and one given its target take the same lock, not one each.
    final = os.path.realpath(location.sqlite_file)
    make_private_dirs(os.path.dirname(final))
    lock = f"{final}.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise StoreError(f"cannot create {lock}: {error.strerror}") from error
    try:
        _wait_for_lock(fd, fcntl, location)  # released by the close below, or by the process ending
        yield
    finally:
        os.close(fd)


def _wait_for_lock(fd: int, fcntl: Any, location: Location) -> None:
    """``flock`` it, waiting as a writer waits for SQLite (``BUSY_TIMEOUT_MS``): another
    interpdb creating or upgrading the store takes well under that; one stopped or hung
    while it holds the lock made every other command wait for ever, without a word."""
    import time

    from interpdb.store.read import busy_message

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise StoreError(busy_message(location.describe(), BUSY_TIMEOUT_MS / 1000)) from None
            time.sleep(0.05)


@contextmanager
def _server_lock(location: Location) -> Iterator[None]:
    from sqlalchemy.pool import NullPool

    holder = create_engine_for(location, poolclass=NullPool)
    try:
        if holder.dialect.name != "postgresql":
            yield
            return
        # A connection of its own, outside the pool that migrating disposes of.
        with holder.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({PG_MIGRATION_LOCK})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})")
                conn.commit()
    finally:
        holder.dispose()


# -- create, upgrade, downgrade -------------------------------------------------------------


def create_sqlite(location: Location) -> None:
    """Build a new SQLite database at the head revision and rename it into place.

    Called under ``migration_lock`` when no file is there. Leftovers of a creator
    killed earlier (``.interpdb-new-*`` beside it) are removed first. Through a
    symlink, the store is made where it leads: the link stays.
    """
    assert location.sqlite_file is not None
    final = os.path.realpath(location.sqlite_file)
    folder, name = os.path.split(final)
    make_private_dirs(folder)
    for leftover in os.listdir(folder):
        if leftover.startswith(f"{NEW_PREFIX}{name}."):
            with suppress(OSError):
                os.unlink(os.path.join(folder, leftover))
    temporary = os.path.join(folder, f"{NEW_PREFIX}{name}.{os.getpid()}")
    try:
        os.close(create_private_file(temporary))
    except OSError as error:
        raise StoreError(f"cannot create {final}: {error.strerror}") from error
    try:
        engine = create_engine_for(location, sqlite_file=temporary)
        try:
            run_migrations(engine, "upgrade", "head")
        finally:
            engine.dispose()  # the last connection checkpoints and removes the -wal and -shm files
        _remove_wal_files(temporary)
        os.replace(temporary, final)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        _remove_wal_files(temporary)
        raise


def _remove_wal_files(path: str) -> None:
    for suffix in ("-wal", "-shm", "-journal"):
        with suppress(OSError):
            os.unlink(path + suffix)


def run_migrations(engine: Engine, direction: str, target: str, *, doing: str | None = None) -> None:
    """Migrate ``direction`` to ``target``; a failure is a StoreError saying ``cannot
    {doing}`` (default: ``{direction} the database``)."""
    from alembic import command
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            getattr(command, direction)(alembic_config(conn), target)
            conn.commit()
    except SQLAlchemyError as error:
        message = one_line(error)
        hint = None
        if "error in view" in message or "error in trigger" in message:
            # SQLite checks every view and trigger when a migration rebuilds a table.
            hint = "a view or trigger of your own reads a table the migration rebuilds: drop it, upgrade, make it again"
        raise StoreError(f"cannot {doing or direction + ' the database'}: {message}", hint=hint) from error
    finally:
        # The migration connection had foreign keys switched off; start afresh.
        engine.dispose()


def stored_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(
    location: Location, engine: Engine, direction: str, target: str
) -> tuple[str | None, str | None, Path | None]:
    """``upgrade`` or ``downgrade`` to ``target`` under the lock, backing up first.

    Returns (revision before, revision after, the backup kept). A database with no
    revision yet has nothing to back up. The backup is kept only when the revision
    moved: a target Alembic cannot reach (an unknown revision, a downgrade "up")
    fails before any step runs, and a no-op changed nothing worth a copy.
    """
    from alembic.util import CommandError

    from interpdb.store.gate import refuse_unless_ours

    with migration_lock(location):
        file = location.sqlite_file
        if direction == "upgrade" and file is not None and (not os.path.exists(file) or _is_empty_sqlite(file)):
            # Created whole, privately, and renamed into place (never through a bare connect).
            with suppress(FileNotFoundError):
                os.unlink(os.path.realpath(file))  # the empty file, not a symlink to it
            create_sqlite(location)
            if target != "head":
                run_migrations(engine, "downgrade", target)
            return None, stored_revision(engine), None
        before = stored_revision(engine)
        if direction == "upgrade":
            refuse_unless_ours(location, before)
        copy = None if before is None else backup(location, f"{direction}-{_stamp()}")
        try:
            run_migrations(engine, direction, target)
        except CommandError as error:
            _discard(copy)
            reason = next(iter(str(error).strip().splitlines()), "no such revision")
            raise StoreError(f"cannot {direction} to {target}: {reason}") from error
        except (AssertionError, KeyError, ValueError, IndexError) as error:
            _discard(copy)
            if not _in_alembics_revision_map(error):
                raise  # a step's own failure: not to be called a bad revision
            # Alembic's reading of '@', '-'...: it fails an assertion rather than say so.
            raise StoreError(f"cannot {direction} to {target!r}: not a revision ({type(error).__name__})") from error
        except StoreError:
            # Nothing changed: the migration is one transaction (migrations/env.py), on SQLite
            # and on PostgreSQL alike.
            _discard(copy)
            raise
        after = stored_revision(engine)
        if after == before:
            _discard(copy)
            copy = None
        return before, after, copy


def _in_alembics_revision_map(error: BaseException) -> bool:
    """Was ``error`` raised where Alembic reads a revision name (``alembic/script/``)?"""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and f"alembic{os.sep}script{os.sep}" in frames[-1].filename


def upgrade_in_place(location: Location, engine: Engine) -> Path | None:
    """Bring a stored older revision to the head (the gate decided it may), backing up
    first; the copy kept.

    A failed upgrade leaves the SQLite store as it was (one transaction), so its copy is
    dropped, as ``migrate`` drops it: kept, every command that tried left one more."""
    copy = backup(location, f"upgrade-{_stamp()}")
    try:
        run_migrations(engine, "upgrade", "head")
    except BaseException:
        _discard(copy)
        raise
    return copy


def _is_empty_sqlite(path: str) -> bool:
    """A file with no tables at all (a zero-byte file, or one SQLite initialised and nothing more)."""
    try:
        if os.path.getsize(path) == 0:
            return True
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchall()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False


def _stamp() -> str:
    from interpdb.records import utcnow

    return utcnow().strftime("%Y%m%dT%H%M%S")


# -- backups -------------------------------------------------------------------------------


def backup(location: Location, suffix: str, folder: Path | None = None) -> Path | None:
    """Copy a SQLite database (consistently, WAL included) next to itself (or into
    ``folder``), as ``NAME.SUFFIX.bak``; ``NAME.SUFFIX-2.bak`` and on where that is
    taken (two backups in one second, two interpdb migrating at once)."""
    path = location.sqlite_path
    if path is None or not path.exists():
        return None
    for number in range(1, 1000):
        numbered = suffix if number == 1 else f"{suffix}-{number}"
        try:
            return backup_to(location, (folder or path.parent) / f"{path.name}.{numbered}.bak")
        except StoreError as error:
            if not isinstance(error.__cause__, FileExistsError):
                raise
    raise StoreError(f"cannot back up {path}: a thousand backups named {path.name}.{suffix}*.bak exist")


def backup_to(location: Location, target: Path) -> Path:
    """Copy a SQLite database to ``target`` with SQLite's backup API: a consistent
    snapshot even while another process writes, the WAL's committed pages included.
    A file interpdb creates is 0600: the copy lists every interpreter as the original does."""
    if location.sqlite_path is None:
        raise StoreError(f"only a SQLite file can be backed up this way, not {location.url.split(':', 1)[0]}")
    try:
        fd = create_private_file(str(target))
    except OSError as error:
        raise StoreError(f"cannot create {target}: {error.strerror}") from error
    os.close(fd)
    from interpdb.store import gate, read

    path = str(location.sqlite_path)
    try:
        # The gate's own read connection: where this user may not write the file or its folder
        # (a teammate's store, a read-only mount) SQLite opens it read-only or, failing that,
        # as immutable, which a plain mode=ro connection cannot do for a WAL store.
        source = read.sqlite_connection(path, writable=gate.file_read_only_reason(path) is None).raw
        try:
            # A read transaction first, waiting at most the busy timeout: the backup API retries
            # a store another program holds locked for ever, deaf to signals, where this says busy.
            source.execute("BEGIN")
            source.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        _discard(target)
        _remove_wal_files(str(target))
        if read.is_busy(error):
            raise gate.busy(location) from error
        raise StoreError(f"cannot copy {location.sqlite_path} to {target}: {error}") from error
    return target


def _discard(path: Path | None) -> None:
    if path is not None:
        with suppress(OSError):
            path.unlink()


# -- checks --------------------------------------------------------------------------------


def schema_differences(engine: Engine) -> list[str]:
    """What Alembic's autogenerate would change to make the database match the models.

    Compared as ``migrations/env.py`` configures migrations (``compare_type``).
    The views the migrations create need no filter: autogenerate reflects
    tables only (and skips ``alembic_version``), so they never show up.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy.exc import SQLAlchemyError

    from interpdb.store.models import Base

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return [_describe_difference(diff) for diff in compare_metadata(context, Base.metadata)]
    except SQLAlchemyError as error:
        from interpdb.store.read import is_busy

        if is_busy(error):
            raise  # the caller, who knows the store's name, says it is busy
        raise StoreError(f"cannot read the schema: {one_line(error)}") from error


def integrity_problems(engine: Engine) -> list[str] | None:
    """SQLite's ``integrity_check`` and ``foreign_key_check`` findings; None on other databases."""
    from sqlalchemy.exc import SQLAlchemyError

    if engine.dialect.name != "sqlite":
        return None
    problems: list[str] = []
    try:
        with engine.connect() as conn:
            for (message,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
                if message != "ok":
                    problems.append(f"integrity_check: {message}")
            for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall():
                problems.append(f"foreign_key_check: {table} row {rowid} points to a missing {parent} row")
    except SQLAlchemyError as error:
        raise StoreError(f"cannot check the database: {one_line(error)}") from error
    return problems


def readable_by_others(location: Location) -> str | None:
    """A warning when the SQLite file can be read by other users (the store lists every environment)."""
    if location.sqlite_file is None:
        return None
    try:
        mode = stat.S_IMODE(os.stat(location.sqlite_file).st_mode)
    except OSError:
        return None
    if mode & 0o044:
        return (
            f"{location.sqlite_file} is readable by other users (mode {mode:04o}): "
            f"it lists every environment and its sys.path; chmod 600 it"
        )
    return None


def one_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{error.__class__.__name__}: {text[0] if text else ''}"


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
