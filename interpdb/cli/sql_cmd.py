"""``interpdb sql QUERY``: run one read-only SQL statement against the database and print its rows."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from interpdb.cli._common import AppState, emit, format_option

if TYPE_CHECKING:
    from interpdb.location import Location

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")


def _params(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; a value written as an integer binds as one."""
    params: dict[str, Any] = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals or not name.isidentifier():
            raise click.BadParameter(f"{value!r}: use NAME=VALUE, binding :NAME in the query")
        params[name] = int(text) if _INTEGER.fullmatch(text) else text
    return params


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
@format_option
@click.pass_obj
def command(app: AppState, query: str, params: dict[str, Any], fmt: str) -> None:
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
        columns, rows = reader.query(location, query, params)
    except reader.QueryError as error:
        _fail(str(error))
    names = _unique(columns)
    records = [dict(zip(names, (_value(v) for v in row))) for row in rows]
    from interpdb.render import render

    emit(render(records, fmt))
    if not records and fmt != "json":
        app.note("no rows")


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


def _open_current(location: Location) -> None:
    """Upgrade a database behind the head first, as every command does, so the documented schema is there.

    On SQLite that costs one query when it is current (and no SQLAlchemy); a
    missing file is left missing: the query says so, creating it helps nobody.
    """
    from interpdb.reader import HEAD_REVISION
    from interpdb.store import Store, StoreError, stored_revision

    try:
        if location.sqlite_path is None:
            from sqlalchemy.exc import SQLAlchemyError

            try:
                Store.open(location).close()
            except (SQLAlchemyError, ImportError) as error:  # ImportError: no driver for the URL
                raise StoreError(str(getattr(error, "orig", None) or error).strip().split("\n")[0]) from error
        elif location.sqlite_path.exists() and stored_revision(location) != HEAD_REVISION:
            Store.open(location).close()
    except StoreError as error:
        _fail(str(error))


def _unique(columns: list[str]) -> list[str]:
    """``SELECT i.id, p.id`` names two columns ``id``: the second becomes ``id_2``."""
    seen: set[str] = set()
    names = []
    for column in columns:
        name, n = column, 1
        while name in seen:
            n += 1
            name = f"{column}_{n}"
        seen.add(name)
        names.append(name)
    return names


def _value(value: Any) -> Any:
    return value.hex() if isinstance(value, (bytes, memoryview)) else value
