"""``interpdb list``: revalidate every known interpreter and print them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from interpdb.cli._common import AppState, Output, RunOptions, format_option, refresh_options
from interpdb.cli._records import print_records
from interpdb.listing import COLUMN_NAMES
from interpdb.records import STATUSES

if TYPE_CHECKING:
    from interpdb.versions import Specifier


def _version_spec(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Specifier | None:
    if value is None:
        return None
    from interpdb.versions import Specifier

    try:
        return Specifier.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("list")
@click.option("--implementation", metavar="NAME", help="cpython, pypy, graalpy... (case-insensitive).")
@click.option("--version", "version_spec", metavar="SPEC", callback=_version_spec, help="'>=3.10', '3.12', '~=3.11'...")
@click.option("--venv/--no-venv", default=None, help="Only virtual environments, or only base interpreters.")
@click.option(
    "--status", "statuses", multiple=True, type=click.Choice(STATUSES), help="Only these statuses (repeatable)."
)
@click.option("--all", "show_all", is_flag=True, help="Include missing and broken interpreters.")
@click.option("--aliases", "per_path", is_flag=True, help="One row per path instead of one per interpreter.")
@click.option("--no-discover", is_flag=True, help="Show only what is stored: do not look for new interpreters.")
@refresh_options
@format_option(columns=COLUMN_NAMES)
@click.pass_obj
def command(
    app: AppState,
    implementation: str | None,
    version_spec: Specifier | None,
    venv: bool | None,
    statuses: tuple[str, ...],
    show_all: bool,
    per_path: bool,
    no_discover: bool,
    run: RunOptions,
    output: Output,
) -> None:
    """Find and revalidate interpreters, then print those that match the filters.

    First looks for interpreters on PATH, in the version managers' folders and at
    the active venv (--no-discover skips that), then revalidates everything known.
    One row per interpreter, its other paths under "aliases" (--aliases: one row
    per path). Filters only choose what is printed: they never cause a probe.
    Missing and broken interpreters are left out unless --all or --status asks.
    """
    from interpdb.listing import select

    with app.inventory(run.timeout, run.jobs, output.fmt) as inventory:
        result = inventory.list(run.policy, discover=not no_discover)
    records = select(
        result,
        implementation=implementation,
        version=version_spec,
        venv=venv,
        statuses=statuses,
        show_all=show_all,
        per_path=per_path,
    )
    print_records(app, records, output)
    if not result.records:
        app.hint("no interpreters known yet; learn some with `interpdb probe PATH...`")
