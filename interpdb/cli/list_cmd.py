"""``interpdb list``: revalidate every known interpreter and print them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from interpdb.cli._common import AppState, HostChoice, Output, RunOptions, format_option, host_options, refresh_options
from interpdb.cli._records import print_records, report_notes, unprobed_note
from interpdb.listing import COLUMN_NAMES
from interpdb.records import STATUSES

if TYPE_CHECKING:
    from interpdb.request import Request


def _version_request(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Request | None:
    if value is None:
        return None
    from interpdb.request import parse_request

    try:
        return parse_request(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("list", short_help="Find and revalidate interpreters; print those that match.")
@click.option("--implementation", metavar="NAME", help="cpython, pypy, graalpy... (case-insensitive).")
@click.option(
    "--version",
    "version_request",
    metavar="REQUEST",
    callback=_version_request,
    help="Any find REQUEST: '>=3.10', '3.12', '312', 'cp311', '3.13t', 'python3.6m'...",
)
@click.option("--venv/--no-venv", default=None, help="Only virtual environments, or only base interpreters.")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only these statuses (repeatable)."
)
@click.option("--all", "show_all", is_flag=True, help="Include missing and broken interpreters.")
@click.option("--aliases", "per_path", is_flag=True, help="One row per path instead of one per interpreter.")
@click.option("--no-discover", is_flag=True, help="Show only what is stored: do not look for new interpreters.")
@click.option(
    "--forgotten",
    is_flag=True,
    help="Show the interpreters `interpdb forget` hid instead, as stored (nothing is revalidated).",
)
@host_options
@refresh_options
@format_option(columns=COLUMN_NAMES)
@click.pass_obj
def command(
    app: AppState,
    implementation: str | None,
    version_request: Request | None,
    venv: bool | None,
    statuses: tuple[str, ...],
    show_all: bool,
    per_path: bool,
    no_discover: bool,
    forgotten: bool,
    hosts: HostChoice,
    run: RunOptions,
    output: Output,
) -> None:
    """Find and revalidate interpreters, then print those that match the filters.

    First looks for interpreters on PATH, in the version managers' folders and at
    the active venv (--no-discover skips that), then revalidates everything known.
    One row per interpreter, its other paths under "aliases" (--aliases: one row
    per path). Filters only choose what is printed: they never cause a probe.
    Missing and broken interpreters are left out unless --all or --status asks.

    This host's interpreters only, unless --host or --all-hosts asks for others:
    theirs are shown as last recorded there (status "remote"), never checked or
    probed from here.
    """
    from interpdb._frozen import replace
    from interpdb.listing import select
    from interpdb.service import Result

    if version_request is not None and implementation:  # 'pypy' with --implementation cpython: as find says
        from interpdb.request import parse_request

        try:
            parse_request(version_request.text, implementation)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="'--version'") from None

    with app.inventory(run.timeout, run.jobs, output.fmt) as inventory:
        if not hosts.includes(inventory):
            result = Result([])
        elif forgotten:  # hidden from everything else: shown as stored, never probed
            from interpdb.freshness import RUN_STATUS_OF_OUTCOME

            # As stored: a failure or a file gone is "error" or "missing", not "cached".
            result = Result(
                [
                    r if r.outcome == "ok" else replace(r, status=RUN_STATUS_OF_OUTCOME.get(r.outcome or "", "error"))
                    for r in inventory.stored(include_forgotten=True)
                    if r.forgotten_at is not None
                ]
            )
        else:
            # Light records unless --version asks about what only their answers hold (markers, libc).
            result = inventory.list(run.policy, discover=not no_discover, light=version_request is None)
        remote = hosts.remote(inventory, include_forgotten=forgotten)
        if forgotten:
            remote = [r for r in remote if r.forgotten_at is not None]
        if remote:
            result = replace(result, records=[*result.records, *remote])
    records = select(
        result,
        implementation=implementation,
        request=version_request,
        venv=venv,
        statuses=statuses,
        show_all=show_all or forgotten,  # prune forgets the missing: --forgotten shows them
        per_path=per_path,
    )
    print_records(app, records, output, answers=inventory.answers)
    report_notes(app, result, run)
    unprobed_note(app, result)
    if forgotten:
        if records:
            app.hint("`interpdb probe PATH` brings one back")
    elif not result.records and hosts.others:
        app.hint("no interpreters recorded on those hosts; `interpdb hosts` lists the hosts in the store")
    elif not result.records:
        app.hint("no interpreters known yet; learn some with `interpdb probe PATH...`")
    elif not records and implementation and output.fmt == "table":
        # An empty table after a misspelt name reads as "none installed"; name what is known.
        # (JSON stays a bare [] for the program reading it.)
        from interpdb.records import implementation_name

        known = sorted({r.implementation for r in result.records if r.implementation})
        if implementation_name(implementation) not in known:
            app.hint(f"no interpreter is {implementation!r}; known implementations: {', '.join(known) or 'none'}")
