"""``interpdb probe PATH...``: learn or revalidate these interpreters and print them."""

from __future__ import annotations

import click

from interpdb.cli._common import AppState, Output, RunOptions, format_option, refresh_options
from interpdb.cli._records import print_records, report_notes, report_problems
from interpdb.listing import COLUMN_NAMES


@click.command("probe", short_help="Learn or revalidate the interpreters at the paths given.")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@refresh_options
@format_option(columns=COLUMN_NAMES)
@click.pass_obj
def command(
    app: AppState,
    paths: tuple[str, ...],
    run: RunOptions,
    output: Output,
) -> None:
    """Learn or revalidate the interpreters at PATH... and print their records.

    A bare name (python3.12, pypy3) is looked up on PATH, as a shell would; a
    name not on PATH is the file of that name here. A path whose stored
    fingerprint still matches is answered from the store without running it
    (status ``cached``). Exit code 1 when any of them could not be probed, is
    missing or is unknown; its record is still printed.
    """
    with app.inventory(run.timeout, run.jobs, output.fmt) as inventory:
        result = inventory.probe([_on_path(app, path) for path in paths], run.policy)
    print_records(app, result.records, output)
    report_notes(app, result, run)
    report_problems(app, result)
    if result.failed:
        raise click.exceptions.Exit(1)


def _on_path(app: AppState, path: str) -> str:
    """``python3`` -> the first ``python3`` on ``PATH``; a path (with a ``/``) as given."""
    import os
    import shutil

    if not path.strip():
        raise click.UsageError("empty path: name an interpreter's file, or a command on PATH")
    if os.sep in path or (os.altsep and os.altsep in path) or path in (".", ".."):
        return path
    found = shutil.which(path)
    if found is not None:
        return found
    app.note(f"{path!r} is not on PATH; probing the file of that name here")
    return path
