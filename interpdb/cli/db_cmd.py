"""``interpdb db ...``: where the database is, its schema revision, migrations, checks, backups.

Thin commands over ``interpdb.store`` and Alembic. None of them upgrades the
database on its way (every other command does): they are how one looks at it and
moves it by hand. Only ``db upgrade`` creates a database that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from interpdb.cli._common import AppState, emit
from interpdb.render import plain, safe

if TYPE_CHECKING:
    from interpdb.location import Location
    from interpdb.store import Store


@click.group("db")
def command() -> None:
    """Look after the database: its location, schema revision, migrations, checks and backups.

    \b
      interpdb db path                  where it is (nothing is created)
      interpdb db current               its schema revision and the newest one
      interpdb db upgrade [REV]         migrate up (default: the newest), backing up first
      interpdb db downgrade REV         migrate down, backing up first
      interpdb db check                 do models, schema and data agree? (exit 1 if not)
      interpdb db backup [DEST]         a consistent copy of a SQLite database
    """


def _location(app: AppState) -> Location:
    from interpdb.location import resolve

    return resolve(app.db)


def _describe(location: Location) -> str:
    """The location, safe to print: a URL's password is hidden."""
    from interpdb.reader import hide_password

    return location.sqlite_file or hide_password(location.url)


def _require_file(location: Location) -> None:
    if location.sqlite_path is not None and not location.sqlite_path.exists():
        raise click.ClickException(f"no database at {location.sqlite_path}")


def _store(location: Location) -> Store:
    """The store as it is: not created (see ``_require_file``), not upgraded."""
    from interpdb.store import Store

    with _one_line_errors(location):
        return Store(location)


@contextmanager
def _one_line_errors(location: Location) -> Iterator[None]:
    """What the store or the database driver raise, as one ``error:`` line and exit 1."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from interpdb.store import StoreError, _one_line

    try:
        yield
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    except (SQLAlchemyError, sqlite3.Error, ImportError) as error:  # ImportError: no driver for the URL
        raise click.ClickException(f"cannot use {_describe(location)}: {_one_line(error)}") from None


@command.command("path")
@click.pass_obj
def path_command(app: AppState) -> None:
    """Print where the database is: a file path, or the URL given.

    From --db, else INTERPDB_DB, else the user data directory. Nothing is created.
    """
    location = _location(app)
    emit(plain(_describe(location)))
    if location.sqlite_path is not None and not location.sqlite_path.exists():
        app.note("(it does not exist yet: the first command that writes creates it)")


@command.command("current")
@click.pass_obj
def current_command(app: AppState) -> None:
    """Print the database's schema revision and whether it is the newest (the head)."""
    from interpdb.reader import HEAD_REVISION

    location = _location(app)
    revision = _stored_revision(location)
    if revision == HEAD_REVISION:
        click.echo(f"{revision} (head)")
        return
    if revision is None:
        exists = location.sqlite_path is None or location.sqlite_path.exists()
        click.echo(f"none ({'no schema yet' if exists else 'no database yet'}; head: {HEAD_REVISION})")
        return
    from interpdb.store import is_known_revision

    if is_known_revision(revision):
        click.echo(f"{revision} (behind the head: {HEAD_REVISION})")
        app.hint("interpdb db upgrade (any other command also upgrades it)")
    else:
        click.echo(f"{revision} (unknown to interpdb {_version()}; its head is {HEAD_REVISION})")
        app.hint("a newer interpdb wrote this database; use that one, or restore a backup")


def _stored_revision(location: Location) -> str | None:
    """Read with ``interpdb.reader``: no Alembic, and no SQLAlchemy on SQLite."""
    import sqlite3

    from interpdb.reader import stored_revision

    if not location.is_sqlite:
        with _one_line_errors(location):
            return stored_revision(location)
    try:
        return stored_revision(location)
    except sqlite3.Error as error:  # a directory, an unreadable file
        raise click.ClickException(f"cannot read {_describe(location)}: {error}") from None


@command.command("upgrade")
@click.argument("revision", default="head", metavar="[REV]")
@click.pass_obj
def upgrade_command(app: AppState, revision: str) -> None:
    """Migrate the database up to REV (default: head), copying a SQLite file aside first.

    A database that does not exist is created.
    """
    _migrate(app, "upgrade", revision)


@command.command("downgrade")
@click.argument("revision", metavar="REV")
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
    from interpdb.reader import HEAD_REVISION

    location = _location(app)
    store = _store(location)
    try:
        with _one_line_errors(location):
            before = store.revision()
            if before == target or (target == "head" and before == HEAD_REVISION):
                click.echo(safe(f"{_describe(location)} is already at {before}"))
                return
            copy = store.migrate(direction, target)
            after = store.revision()
    finally:
        store.close()
    if before == after:
        click.echo(safe(f"{_describe(location)} stays at {after}: nothing to {direction} to {target}"))
        return
    verb = "created" if before is None else f"{direction}d"
    click.echo(safe(f"{verb} {_describe(location)}: {before or 'nothing'} -> {after or 'base'}"))
    if copy is not None:
        click.echo(safe(f"backup: {copy}"))


@command.command("check")
@click.pass_obj
def check_command(app: AppState) -> None:
    """Check that the database is at the head, its schema matches the models, and (SQLite) its
    data passes PRAGMA integrity_check and foreign_key_check. Exit 1 listing what does not.
    """
    from interpdb.reader import HEAD_REVISION

    location = _location(app)
    _require_file(location)
    store = _store(location)
    try:
        with _one_line_errors(location):
            revision = store.revision()
            differences = store.schema_differences()
            integrity = store.integrity_problems()
    finally:
        store.close()
    problems = [] if revision == HEAD_REVISION else [f"revision {revision or 'none'} is not the head {HEAD_REVISION}"]
    problems += differences + (integrity or [])
    if not problems:
        click.echo(f"revision {revision} (head): ok")
        click.echo("schema: matches the models")
        click.echo("integrity: not checked (SQLite only)" if integrity is None else "integrity: ok")
        return
    for problem in problems:
        click.echo(safe(problem))
    raise click.ClickException(f"{_describe(location)} fails the check: {_count(len(problems), 'problem')}")


@command.command("backup")
@click.argument("dest", required=False, type=click.Path(dir_okay=True, path_type=Path), metavar="[DEST]")
@click.pass_obj
def backup_command(app: AppState, dest: Path | None) -> None:
    """Copy the SQLite database consistently (even while it is written) to DEST and print where.

    DEST may be a file that does not exist yet or a directory; without it the copy
    goes next to the database as interpdb.sqlite3.backup-<time>.bak.
    """
    from interpdb.records import utcnow
    from interpdb.store import backup, backup_to

    location = _location(app)
    if location.sqlite_path is None:
        raise click.ClickException("db backup copies SQLite files only; back this database up with its own tools")
    _require_file(location)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")
    if dest is not None and dest.is_dir():
        dest = dest / f"{location.sqlite_path.name}.backup-{stamp}.bak"
    if dest is not None and dest.exists():
        raise click.ClickException(f"{dest} already exists; name a new file")
    with _one_line_errors(location):
        copy = backup(location, f"backup-{stamp}") if dest is None else backup_to(location, dest.absolute())
    emit(plain(str(copy)))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _version() -> str:
    from interpdb import __version__

    return __version__
