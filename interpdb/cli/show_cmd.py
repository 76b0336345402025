"""``interpdb show PATH|ID``: one interpreter, whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from interpdb.cli._common import AppState, Output, RunOptions, emit, format_option, ref_callback, refresh_options
from interpdb.cli._records import report_notes, report_problems

if TYPE_CHECKING:
    from interpdb.service import Inventory


@click.command("show", short_help="One interpreter whole: facts, sys.path, fingerprint.")
@click.argument("ref", metavar="PATH|ID", callback=ref_callback)
@click.option(
    "--host",
    "host_names",
    metavar="NAME_OR_ID",
    multiple=True,
    help="Look PATH|ID up on this host (a name or an id, repeatable) instead of the current one; "
    "another host's interpreter is shown as stored there, its fingerprint not checked.",
)
@refresh_options
@format_option(columns=None, rows=False)
@click.pass_obj
def command(
    app: AppState,
    ref: str,
    host_names: tuple[str, ...],
    run: RunOptions,
    output: Output,
) -> None:
    """Show one interpreter whole: facts, sys.path, site directories, fingerprint, probes.

    The interpreter is revalidated first under the usual refresh policy, so what
    is shown is current (use --offline to only look). Each fingerprint entry says
    whether it still matches the disk.
    """
    from interpdb.showing import render_shown, revalidated

    with app.inventory(run.timeout, run.jobs, output.fmt) as inventory:
        if host_names and not any(inventory.host.matches(name) for name in host_names):
            _show_remote(app, inventory, ref, host_names, output)
            return
        result, record, probes = revalidated(inventory, ref, run.policy)
        if record is None:
            report_problems(app, result)
            raise click.exceptions.Exit(1)
    emit(render_shown(record, probes, output.fmt, output.wide))
    report_notes(app, result, run)
    report_problems(app, result)
    if result.failed:
        raise click.exceptions.Exit(1)


def _show_remote(app: AppState, inventory: Inventory, ref: str, hosts: tuple[str, ...], output: Output) -> None:
    """Another host's interpreter, as that host recorded it: nothing here is checked or run."""
    from interpdb.showing import RECENT_PROBES, render_shown

    record = inventory.resolve_on(ref, hosts).with_status("remote")
    probes = inventory.history(str(record.id), limit=RECENT_PROBES, hosts=hosts)
    emit(render_shown(record, probes, output.fmt, output.wide, checked=False))
