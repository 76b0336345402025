"""``interpdb db ...``: where the database is, its schema revision, migrations, checks, backups.

Thin commands over ``interpdb.store`` and Alembic. ``path``, ``current`` and
``check`` only look: they never write, migrate or back up. ``upgrade`` and
``downgrade`` move the schema by hand (only ``db upgrade`` creates a database that
does not exist); ``backup`` writes a copy.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from interpdb.cli._common import AppState, emit, message_line
from interpdb.render import plain, safe

if TYPE_CHECKING:
    from interpdb.location import Location


@click.group("db", short_help="Look after the database: location, schema, checks, backups.")
def command() -> None:
    """Look after the database: its location, schema revision, migrations, checks and backups."""


def _location(app: AppState) -> Location:
    from interpdb.location import resolve

    return resolve(app.db)


def _require_file(location: Location) -> None:
    if location.sqlite_file is not None and not os.path.exists(location.sqlite_file):
        raise click.ClickException(f"no database at {location.sqlite_file}")
    if location.sqlite_file is not None and not os.path.isfile(location.sqlite_file):
        from interpdb.store import gate

        gate.inspect(location)  # the gate's own line for a folder, a device or a FIFO


@command.command("path", short_help="Where the database is (nothing is created).")
@click.pass_obj
def path_command(app: AppState) -> None:
    """Print where the database is: a file path, or the URL given.

    From --db, else INTERPDB_DB, else the user data directory. Nothing is created.
    """
    location = _location(app)
    if location.sqlite_file is not None:  # a folder or a FIFO: one line, as for every command
        from interpdb.store.gate import refuse_non_file

        refuse_non_file(location.sqlite_file)
    emit(plain(location.describe()))
    if location.sqlite_file is not None and not os.path.exists(location.sqlite_file):
        app.note("it does not exist yet: the first command that writes creates it")


@command.command("current", short_help="Its schema revision, and whether it is the newest.")
@click.pass_obj
def current_command(app: AppState) -> None:
    """Print the database's schema revision and whether it is the newest (the head)."""
    from interpdb.store import gate

    location = _location(app)
    access = gate.inspect(location, app.read_only)
    if access.state == "current":
        emit(f"{access.revision} (head)")
    elif access.state == "behind":
        emit(f"{access.revision} (behind the head: {gate.HEAD_REVISION})")
        if access.writable:
            app.hint("interpdb db upgrade (on SQLite, the first command that writes also upgrades it)")
        else:  # not from here: the reading commands read it as it is
            app.hint(f"read-only here ({access.read_only_reason}): reading commands read it as it is")
    elif access.state == "newer":
        emit(f"{access.revision} (unknown to interpdb {_version()}; its head is {gate.HEAD_REVISION})")
        app.hint("a newer interpdb wrote this database; use that one, or restore a backup")
    else:
        what = "no database yet" if access.state == "missing" else "no schema yet"
        emit(f"none ({what}; head: {gate.HEAD_REVISION})")


def _revision(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not value.strip():  # Alembic fails an assertion on it
        raise click.BadParameter("is empty: name a revision (head, base, 0004_host_identity, -1...)")
    return value


@command.command("upgrade", short_help="Migrate up (default: the newest), backing up first.")
@click.argument("revision", default="head", metavar="[REV]", callback=_revision)
@click.pass_obj
def upgrade_command(app: AppState, revision: str) -> None:
    """Migrate the database up to REV (default: head), copying a SQLite file aside first.

    A database that does not exist is created.
    """
    _migrate(app, "upgrade", revision)


# ignore_unknown_options: ``-1`` (one step down) is a revision, not an option.
@command.command(
    "downgrade", short_help="Migrate down to REV, backing up first.", context_settings={"ignore_unknown_options": True}
)
@click.argument("revision", metavar="REV", callback=_revision)
@click.pass_obj
def downgrade_command(app: AppState, revision: str) -> None:
    """Migrate the database down to REV (0001_initial, base, -1...), copying a SQLite file aside first.

    Data in tables and columns that REV does not have is dropped (it stays in the
    backup); an interpdb older than the head reads what remains.
    """
    location = _location(app)
    _require_file(location)
    _migrate(app, "downgrade", revision)


def _migrate(app: AppState, direction: str, target: str) -> None:
    from interpdb.store import gate, schema
    from interpdb.store.write import Store

    location = _location(app)
    access = gate.inspect(location, app.read_only)
    gate.refuse_writes(access)
    if (access.state == "current" and target == "head") or access.revision == target:
        emit(safe(f"{location.describe()} is already at {access.revision}"))
        return
    store = Store(location)
    try:
        with _one_line_errors(location):
            before, after, copy = schema.migrate(location, store.engine, direction, target)
    finally:
        store.close()
    if before == after:
        emit(safe(f"{location.describe()} stays at {after}: nothing to {direction} to {target}"))
        return
    verb = "created" if before is None else f"{direction}d"
    emit(safe(f"{verb} {location.describe()}: {before or 'nothing'} -> {after or 'base'}"))
    if copy is not None:
        emit(safe(f"backup: {copy}"))


@contextmanager
def _one_line_errors(location: Location) -> Iterator[None]:
    """What the database driver raises, as one ``error:`` line and exit 1."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from interpdb.errors import StoreError
    from interpdb.store.schema import one_line

    try:
        yield
    except (SQLAlchemyError, sqlite3.Error, ImportError) as error:  # ImportError: no driver for the URL
        from interpdb.location import cannot_connect
        from interpdb.store import gate
        from interpdb.store.read import is_busy

        if is_busy(error):
            raise gate.busy(location) from None

        if location.sqlite_file is None and "psycopg" in one_line(error):
            raise StoreError(cannot_connect(location.url, error)) from None
        raise StoreError(f"cannot use {location.describe()}: {one_line(error)}") from None


@command.command("check", short_help="Do models, schema and data agree? (exit 1 if not)")
@click.pass_obj
def check_command(app: AppState) -> None:
    """Check that the database is at the head, its schema matches the models, every stored row
    can be read, and (SQLite) its data passes PRAGMA integrity_check and foreign_key_check.
    Exit 1 listing what does not. Nothing is written, migrated or backed up.
    """
    from interpdb.store import gate, read, schema

    location = _location(app)
    _require_file(location)
    engine, access = gate.read_engine(location, app.read_only, head_only=False)
    try:
        with _one_line_errors(location):
            differences = schema.schema_differences(engine)
            integrity = schema.integrity_problems(engine)
    finally:
        engine.dispose()
    conn = gate.open_read(location, app.read_only)
    damaged = []
    if conn is not None:
        try:
            damaged = read.damaged_rows(conn)
        finally:
            conn.close()
    revision = access.revision
    problems = (
        [] if access.state == "current" else [f"revision {revision or 'none'} is not the head {gate.HEAD_REVISION}"]
    )
    problems += differences + (integrity or []) + damaged
    warning = schema.readable_by_others(location)
    if warning:
        message_line(warning, "note")
    if not problems:
        emit(f"revision {revision} (head): ok")
        emit("schema: matches the models")
        emit("rows: every stored row reads back")
        emit("integrity: not checked (SQLite only)" if integrity is None else "integrity: ok")
        return
    for problem in problems:
        emit(safe(problem))
    raise click.ClickException(f"{location.describe()} fails the check: {_count(len(problems), 'problem')}")


@command.command("backup", short_help="A consistent copy of a SQLite database.")
@click.argument("dest", required=False, type=click.Path(dir_okay=True), metavar="[DEST]")
@click.pass_obj
def backup_command(app: AppState, dest: str | None) -> None:
    """Copy the SQLite database consistently (even while it is written) to DEST and print where.

    DEST may be a file that does not exist yet or a directory (one ending in / must
    exist); without it the copy goes next to the database as
    interpdb.sqlite3.backup-<time>.bak (-2, -3... for more in one second). The copy is 0600.
    """
    from interpdb.records import utcnow
    from interpdb.store.schema import backup, backup_to

    location = _location(app)
    if location.sqlite_path is None:
        raise click.ClickException("db backup copies SQLite files only; back this database up with its own tools")
    _require_file(location)
    suffix = f"backup-{utcnow().strftime('%Y%m%dT%H%M%S')}"
    if dest is None or os.path.isdir(dest):
        copy = backup(location, suffix, None if dest is None else Path(dest).absolute())
    elif dest.endswith(os.sep):
        raise click.ClickException(f"{dest} is not a directory; name one that exists, or a new file")
    elif os.path.lexists(dest):
        raise click.ClickException(f"{dest} already exists; name a new file")
    else:
        copy = backup_to(location, Path(dest).absolute())
    emit(plain(str(copy)))


@command.command("datasette-metadata", short_help="Descriptions and example queries for Datasette.")
@click.option(
    "--database",
    "name",
    metavar="NAME",
    help="The database's name in Datasette [default: the file's name without its suffix, as Datasette names it].",
)
@click.pass_obj
def datasette_metadata_command(app: AppState, name: str | None) -> None:
    """Print metadata for Datasette (JSON): what each table, view and column means, foreign keys
    shown as the path they point to, and docs/schema.md's example queries as canned queries.

    \b
      interpdb db datasette-metadata > metadata.json
      datasette "$(interpdb db path)" -m metadata.json
    """
    from interpdb.datasette_metadata import metadata
    from interpdb.render import to_json

    if name is None:
        location = _location(app)
        if location.sqlite_path is None:
            raise click.UsageError("Datasette reads SQLite files only; name the database with --database NAME")
        name = location.sqlite_path.stem
    emit(to_json(metadata(name)))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _version() -> str:
    from interpdb import __version__

    return __version__
