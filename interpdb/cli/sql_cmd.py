"""``interpdb sql QUERY``: run one read-only SQL statement against the database and print its rows."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from interpdb.cli._common import AppState, Output, emit, emit_lines, error, format_option

if TYPE_CHECKING:
    from interpdb.location import Location


def _params(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, Any]:
    from interpdb.reader import bindings

    try:
        return bindings(values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("sql")
@click.argument("query", metavar="QUERY")
@click.option(
    "--param",
    "-p",
    "params",
    metavar="NAME=VALUE",
    multiple=True,
    callback=_params,
    help="Bind :NAME in the query (repeatable); a value that looks like an integer binds as one.",
)
@format_option(columns=())
@click.pass_obj
def command(app: AppState, query: str, params: dict[str, Any], output: Output) -> None:
    """Run one read-only SQL statement (QUERY, or - for stdin) and print its rows.

    Tables and views are described in docs/schema.md; the views
    interpreters_current, probe_audit and current_sys_path answer most
    questions. Anything that would write (INSERT, UPDATE, DELETE, CREATE, DROP,
    ATTACH, VACUUM, a PRAGMA that sets something) is refused by the database
    and changes nothing. A table's columns: PRAGMA table_info(probes). On
    PostgreSQL, QUERY is one SELECT, VALUES, TABLE or WITH query.

    \b
      interpdb sql "SELECT path, python_version FROM interpreters_current"
      interpdb sql "SELECT path FROM current_sys_path WHERE entry = :dir" --param dir=/opt/lib
    """
    from interpdb import reader
    from interpdb.location import resolve

    if query == "-":
        query = sys.stdin.read()
    location = resolve(app.db)
    _open_current(location)
    try:
        records = reader.query_records(location, query, params)
    except reader.QueryError as error:
        _fail(str(error))
    if output.fmt == "ndjson":
        from interpdb.render import ndjson

        emit_lines(ndjson(records))
    else:
        from interpdb.render import render

        if output.columns is not None and records:
            unknown = [name for name in output.columns if name not in records[0]]
            if unknown:
                raise click.UsageError(f"--columns: the query has no column {unknown[0]!r}")
        emit(render(records, output.fmt, columns=output.columns, wide=output.wide))
    if not records and not output.machine:
        app.note("no rows")


def _fail(message: str) -> NoReturn:
    error(message)
    raise click.exceptions.Exit(1)


def _open_current(location: Location) -> None:
    """Upgrade a database behind the head first, as every command does, so the documented schema is there.

    On SQLite that costs one query when it is current (and no SQLAlchemy); a
    missing file is left missing: the query says so, creating it helps nobody.
    ``Store.open`` refuses, in one line, a database it cannot reach or must not
    touch (a newer interpdb's, another application's).
    """
    import sqlite3

    from interpdb.reader import HEAD_REVISION, stored_revision
    from interpdb.store import Store, StoreError

    try:
        if location.sqlite_path is None or (
            location.sqlite_path.exists() and stored_revision(location) != HEAD_REVISION
        ):
            Store.open(location).close()
    except StoreError as error:
        _fail(str(error))
    except sqlite3.Error as error:  # a directory, an unreadable file
        _fail(f"cannot read {location.sqlite_file}: {error}")
