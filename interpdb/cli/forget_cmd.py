"""``interpdb forget`` and ``interpdb prune``: hide what is gone, keep (or purge) its history."""

from __future__ import annotations

from datetime import timedelta

import click

from interpdb.cli._common import (
    AppState,
    HostChoice,
    Output,
    duration_callback,
    emit,
    emit_lines,
    format_option,
    host_options,
    ref_callback,
)


@click.command("forget")
@click.argument("refs", nargs=-1, required=True, metavar="PATH|ID...", callback=ref_callback)
@click.option("--purge", is_flag=True, help="Delete them and their whole history instead.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before --purge.")
@click.pass_obj
def forget(app: AppState, refs: tuple[str, ...], purge: bool, yes: bool) -> None:
    """Hide interpreters from list and find, keeping their history.

    An interpreter is hidden with its other paths (`python3` beside
    `python3.12`; a shim or wrapper is hidden alone). A history event records
    it. Probing one again by its path (`interpdb probe PATH`) brings it back,
    with the paths hidden with it; discovery alone does not. With --purge the
    paths named and all their probes are deleted.
    """
    with app.inventory() as inventory:
        records = [inventory.resolve_ref(ref) for ref in refs]
        if purge:
            from interpdb.render import safe

            names = ", ".join(safe(r.path) for r in records)
            if not yes:
                click.confirm(f"Delete {names} and all their history?", abort=True, err=True)
            inventory.purge([str(r.id) for r in records])
            for message in inventory.said():
                app.note(message)
            app.note(f"purged {len(records)} interpreter(s)")
        else:
            from interpdb.render import safe

            already = [r for r in records if r.forgotten_at is not None]
            for record in already:  # not forgotten again: no second event, forgotten_at kept
                app.note(f"{safe(record.path)} is already forgotten")
            records = [r for r in records if r.forgotten_at is None]
            if not records:
                return
            hidden = inventory.forget([str(r.id) for r in records])
            for message in inventory.said():
                app.note(message)
            also = len({r.id for r in hidden} - {r.id for r in records})
            paths = (
                f" (and {also} other path{'s' if also > 1 else ''} to {'them' if len(records) > 1 else 'it'})"
                if also
                else ""
            )
            app.note(f"forgot {len(records)} interpreter(s){paths}; `interpdb probe PATH` brings one back")


@click.command("prune", short_help="Forget interpreters missing for longer than --missing-for.")
@click.option(
    "--missing-for",
    required=True,
    metavar="DURATION",
    callback=duration_callback,
    help="Forget interpreters missing for longer than this (7d, 12h, 2w).",
)
@click.option("--dry-run", is_flag=True, help="Only show what would be forgotten.")
@format_option(columns=("id", "path", "missing_since"))
@host_options
@click.pass_obj
def prune(app: AppState, missing_for: timedelta, dry_run: bool, output: Output, hosts: HostChoice) -> None:
    """Forget interpreters that have been missing for longer than --missing-for.

    This host's interpreters, unless --host NAME_OR_ID (repeatable) or --all-hosts
    chooses others: another host's interpreter is pruned when that host's own
    latest probe recorded it missing before then (its path is not looked at here).
    """
    from interpdb.render import Column, ndjson, render

    with app.inventory() as inventory:
        records = inventory.prune(
            missing_for, dry_run=dry_run, own=hosts.includes(inventory), others=hosts.remote(inventory)
        )
        unknown = [] if records else hosts.unknown(inventory)
        for message in inventory.said():
            app.note(message)
    if output.fmt == "ndjson":
        emit_lines(ndjson(r.to_json() for r in records))
    else:
        rows = [{"id": r.id, "path": r.path, "missing_since": r.probed_at} for r in records]
        columns = [Column("id", align="right"), Column("path", kind="path"), Column("missing_since", "missing since")]
        chosen = columns if output.columns is None else [c for n in output.columns for c in columns if c.name == n]
        emit(render(rows, output.fmt, document=[r.to_json() for r in records], columns=chosen, wide=output.wide))
    verb = "would forget" if dry_run else "forgot"
    app.note(f"{verb} {len(records)} interpreter(s)")
    for hint in unknown:
        app.hint(hint)
