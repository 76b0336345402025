"""``interpdb sql QUERY``: run one read-only SQL statement against the database and print its rows."""

from __future__ import annotations

import sys
from typing import Any

import click

from interpdb.cli._common import AppState, Output, emit, emit_lines, format_option


def _params(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, Any]:
    from interpdb.store.sandbox import bindings

    try:
        return bindings(values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("sql", short_help="Run one read-only SQL statement and print its rows.")
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
      interpdb sql "SELECT path FROM current_sys_path WHERE entry = :dir" \\
          --param dir=/opt/lib
    """
    from interpdb.location import resolve
    from interpdb.render import render
    from interpdb.store.sandbox import query_table

    if query == "-":  # as UTF-8 whatever the locale says; a byte that is not is query()'s one line
        query = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    names, records = query_table(resolve(app.db), query, params, app.read_only)
    if output.fmt == "ndjson":
        from interpdb.render import ndjson

        emit_lines(ndjson(records))
    else:
        from interpdb.render import render

        if output.columns is not None:
            unknown = [name for name in output.columns if name not in names]
            if unknown:
                raise click.UsageError(f"--columns: the query has no column {unknown[0]!r}")
        emit(render(records, output.fmt, columns=output.columns, wide=output.wide, fields=names))
    if not records and not output.machine:
        app.note("no rows")
