"""``interpdb list``: revalidate every known interpreter and print them."""

from __future__ import annotations

from datetime import timedelta

import click

from interpdb.cli._common import AppState, build_policy, format_option, refresh_options
from interpdb.cli._records import print_records
from interpdb.records import STATUSES, Record

#: Shown without ``--all``: interpreters that work.
_WORKING = ("cached", "probed", "stale")


def _version_spec(_ctx: click.Context, _param: click.Parameter, value: str | None) -> object:
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
@format_option
@click.pass_obj
def command(
    app: AppState,
    implementation: str | None,
    version_spec: object,
    venv: bool | None,
    statuses: tuple[str, ...],
    show_all: bool,
    per_path: bool,
    no_discover: bool,
    refresh: bool,
    refresh_interpreters: tuple[str, ...],
    offline: bool,
    max_age: timedelta | None,
    timeout: float,
    jobs: int | None,
    fmt: str,
) -> None:
    """Find and revalidate interpreters, then print those that match the filters.

    First looks for interpreters on PATH, in the version managers' folders and at
    the active venv (--no-discover skips that), then revalidates everything known.
    One row per interpreter, its other paths under "aliases" (--aliases: one row
    per path). Filters only choose what is printed: they never cause a probe.
    Missing and broken interpreters are left out unless --all or --status asks.
    """
    from interpdb.aliases import group, with_aliases
    from interpdb.service import source_rank

    policy = build_policy(refresh, refresh_interpreters, offline, max_age)
    with app.inventory(timeout, jobs, fmt) as inventory:
        result = inventory.list(policy, discover=not no_discover)
    records = [r for r in result.records if _keep(r, implementation, version_spec, venv, statuses, show_all)]
    records = with_aliases(records) if per_path else group(records, source_rank(result))
    print_records(app, records, fmt)
    if not result.records:
        app.hint("no interpreters known yet; learn some with `interpdb probe PATH...`")


def _keep(
    record: Record,
    implementation: str | None,
    version_spec: object,
    venv: bool | None,
    statuses: tuple[str, ...],
    show_all: bool,
) -> bool:
    if statuses:
        if record.status not in statuses:
            return False
    elif not show_all and record.status not in _WORKING:
        return False
    if implementation and (record.implementation or "").lower() != implementation.lower():
        return False
    if version_spec is not None and not version_spec.contains(record.version or ""):  # type: ignore[attr-defined]
        return False
    return venv is None or record.is_venv == venv
