"""``interpdb discover``: find interpreters on this machine and learn them."""

from __future__ import annotations

import click

from interpdb.cli._common import AppState, Output, RunOptions, format_option, refresh_options
from interpdb.cli._records import print_records, report_notes, unprobed_note
from interpdb.listing import COLUMN_NAMES


def _complete_source(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    from interpdb.discovery import SOURCE_ORDER

    return [name for name in SOURCE_ORDER if name.startswith(incomplete)]


def _known_sources(_ctx: click.Context, param: click.Parameter, names: tuple[str, ...]) -> tuple[str, ...]:
    """A source name not in ``SOURCE_ORDER`` is a usage error (exit 2), before anything runs."""
    from interpdb.discovery import SOURCE_ORDER

    unknown = [name for name in names if name not in SOURCE_ORDER]
    if unknown:
        raise click.BadParameter(f"unknown source {unknown[0]!r}; valid: {', '.join(SOURCE_ORDER)}", param=param)
    return names


@click.command("discover")
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="NAME",
    shell_complete=_complete_source,
    callback=_known_sources,
    help="Only these sources (repeatable): venv, path, pyenv, asdf, mise, uv, rye, hatch, pdm, virtualenvwrapper, "
    "poetry, pipenv, conda, system.",
)
@click.option(
    "--scan",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Also walk this directory for venvs (pyvenv.cfg); repeatable.",
)
@click.option(
    "--depth", "scan_depth", type=click.IntRange(min=0), default=4, show_default=True, help="How deep --scan walks."
)
@refresh_options
@format_option(columns=COLUMN_NAMES)
@click.pass_obj
def command(
    app: AppState,
    sources: tuple[str, ...],
    scan: tuple[str, ...],
    scan_depth: int,
    run: RunOptions,
    output: Output,
) -> None:
    """Find interpreters and learn them under the refresh policy.

    Looks without running anything (stat and listdir only), records which
    source found each path, then probes what is new or changed. Shims of pyenv,
    asdf and mise are not run: what they select is read from the files their
    manager reads.
    """
    with app.inventory(run.timeout, run.jobs, output.fmt) as inventory:
        result = inventory.discover(sources or None, scan=scan, scan_depth=scan_depth, refresh=run.policy)
    print_records(app, result.records, output)
    report_notes(app, result, run)  # a read-only store: nothing was probed, and why
    probed = sum(1 for r in result.records if r.probed_now)  # --offline runs none
    app.note(f"found {len(result.records)} paths; probed {probed}" if result.records else "found no interpreters")
    unprobed_note(app, result)
    for problem in result.problems:  # a name that is not UTF-8: found, but it cannot be stored
        if not problem.unprobed:
            app.note(f"left out: {problem.message}")
