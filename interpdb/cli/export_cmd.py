"""``interpdb export`` and ``interpdb import FILE``: the whole inventory as one JSON document.

The document and the merge rule are described in ``interpdb.transfer``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from interpdb.cli._common import AppState, HostChoice, host_options
from interpdb.errors import write_output


@click.command("export", short_help="Write this host's interpreters and probes as JSON.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout (replaced whole, never left half-written).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True, help="The document format."
)
@host_options
@click.pass_obj
def command(app: AppState, output: Path | None, fmt: str, hosts: HostChoice) -> None:
    """Write this host's interpreters, probes and fingerprints as one JSON document
    (--host: those hosts'; --all-hosts: the whole store's).

    Forgotten interpreters and failed probes are included, and each row keeps its
    host's id and name; `interpdb import` reads the document back into any
    database (a fleet's, say) without duplicating rows.
    """
    from interpdb.location import resolve
    from interpdb.transfer import dumps, export_document

    unknown: list[str] = []
    if hosts.all:
        document = export_document(resolve(app.db), app.read_only)
    else:
        with app.inventory() as inventory:
            me, chosen = inventory.host, inventory.host_selectors(hosts.names) if hosts.names else None
            document = export_document(resolve(app.db), app.read_only, host=None if chosen else me, hosts=chosen)
            unknown = [] if document["interpreters"] else hosts.unknown(inventory)
    text = dumps(document)
    if output is None:
        write_output(text)
    else:
        _write_whole(output, text)
    interpreters = document["interpreters"]
    probes = sum(len(i["probes"]) for i in interpreters)
    app.note(f"exported {len(interpreters)} interpreters, {probes} probes" + (f" to {output}" if output else ""))
    for hint in unknown:
        app.hint(hint)


def _write_whole(path: Path, text: str) -> None:
    """Through a temporary file beside ``path``: a failed write leaves the old file as it was.
    0600 whatever the umask, as every file interpdb makes: the document lists every interpreter."""
    from interpdb.store.schema import create_private_file

    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.unlink(missing_ok=True)  # left by a killed export of the same pid
        with os.fdopen(create_private_file(str(partial)), "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):  # it may never have been made (not a folder, denied)
            partial.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None


@click.command("import", short_help="Read a document written by `interpdb export`.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), metavar="FILE")
@click.pass_obj
def import_command(app: AppState, file: Path) -> None:
    """Read a document written by `interpdb export` (FILE, or - for stdin) into the database.

    Rows already there are not duplicated: an interpreter is its (host, path), a
    probe its interpreter, time, trigger, probe script hash and outcome. Each
    interpreter's current probe becomes its latest. A document that cannot be
    read whole changes nothing.
    """
    from interpdb.errors import TransferError
    from interpdb.location import resolve
    from interpdb.transfer import import_document, parse_document

    try:
        text = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror or error}") from None
    try:
        interpreters = parse_document(text)
    except TransferError as error:
        raise click.ClickException(f"{file}: {error}") from None
    summary = import_document(resolve(app.db), interpreters, app.read_only)
    if summary.upgraded:
        app.note(summary.upgraded)
    # For people, as export's count is: stderr, and -q silences it.
    app.note(
        f"imported {summary.new_interpreters} new of {summary.interpreters} interpreters, "
        f"{summary.new_probes} new of {summary.probes} probes, {summary.new_sources} new sources"
    )
