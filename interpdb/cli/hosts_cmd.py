"""``interpdb hosts``: the hosts a (shared) store holds interpreters of."""

from __future__ import annotations

from typing import Any

import click

from interpdb.cli._common import AppState, Output, emit, emit_lines, format_option

COLUMN_NAMES = ("host", "id", "interpreters", "ok", "versions", "last probe", "interpdb", "current")


@click.command("hosts", short_help="The hosts in the store: interpreters, versions, probes.")
@format_option(columns=COLUMN_NAMES)
@click.pass_obj
def command(app: AppState, output: Output) -> None:
    """The hosts in the store: how many interpreters each has (forgotten ones not
    counted), how many of them worked at their latest probe, the Python versions
    among those, its latest probe and the interpdb that took it.

    The current host is marked (its id: /etc/machine-id, a generated id, or
    INTERPDB_HOST). Nothing is probed: this reads what each host recorded.
    The same numbers are the `hosts` view (docs/schema.md).
    """
    from interpdb.records import JSON_SCHEMA_VERSION

    with app.inventory() as inventory:
        found = inventory.hosts()
    documents = [_document(row) for row in found]
    if output.fmt == "ndjson":
        from interpdb.render import ndjson

        emit_lines(ndjson(documents))
    else:
        from interpdb.render import render

        document = {"schema_version": JSON_SCHEMA_VERSION, "hosts": documents}
        columns = output.columns if output.columns is not None or output.fmt != "table" else _table_columns()
        rows = [_row(row, output.fmt != "csv") for row in found]
        emit(render(rows, output.fmt, document=document, columns=columns, wide=output.wide, fields=COLUMN_NAMES))
    if not found and not output.machine:
        app.note("no hosts recorded yet")


def _table_columns() -> list[Any]:
    """At 80 columns the long id gives way first (its start is enough to tell hosts apart),
    then the interpdb version; the time of the last probe is never cut."""
    from interpdb.render import Column

    return [
        Column("host", kind="fixed", keep=True),
        Column("id", min_width=8, keep=True),
        Column("interpreters", kind="fixed", keep=True),
        Column("ok", kind="fixed", keep=True),
        Column("versions", min_width=8, keep=True),
        Column("last probe", kind="fixed", keep=True),
        Column("interpdb", kind="fixed", drop=1, keep=True),
        Column("current", kind="fixed", keep=True),
    ]


def _document(row: dict[str, Any]) -> dict[str, Any]:
    last = row["last_probed_at"]
    return {
        "host": row["host"],
        "host_id": row["host_id"],
        "interpreters": row["interpreters"],
        "ok": row["ok"],
        "versions": row["versions"],
        "last_probed_at": None if last is None else last.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "interpdb_version": row["interpdb_version"],
        "current": row["current"],
    }


def _row(row: dict[str, Any], table: bool) -> dict[str, Any]:
    """One host as a table (the current one marked ``*``) or CSV (``yes``/``no``) shows it."""
    from interpdb.render import when, yes_no

    return {
        "host": row["host"],
        "id": row["host_id"],
        "interpreters": row["interpreters"],
        "ok": row["ok"],
        "versions": " ".join(row["versions"]),
        "last probe": when(row["last_probed_at"]) if row["last_probed_at"] is not None else "",
        "interpdb": row["interpdb_version"] or "",
        "current": ("*" if row["current"] else "") if table else yes_no(row["current"]),
    }
