"""``interpdb find REQUEST``: the best interpreter for a request, as a path."""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

from interpdb.cli._common import AppState, RunOptions, emit, refresh_options


@click.command("find")
@click.argument("request", required=False, default="any")
@click.option("--implementation", metavar="NAME", help="cpython, pypy, graalpy...")
@click.option("--arch", metavar="MACHINE", help="x86_64, aarch64... (amd64 and arm64 are understood).")
@click.option("--no-venv", is_flag=True, help="Never answer with a virtual environment.")
@click.option("--no-discover", is_flag=True, help="Consider only what is stored.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["path", "json", "ndjson"]),
    default="path",
    show_default=True,
    help="The path alone, or the whole record (ndjson: on one line).",
)
@click.option("--json", "json_flag", is_flag=True, help="The same as --format json.")
@refresh_options
@click.pass_obj
def command(
    app: AppState,
    request: str,
    implementation: str | None,
    arch: str | None,
    no_venv: bool,
    no_discover: bool,
    fmt: str,
    json_flag: bool,
    run: RunOptions,
) -> None:
    """Print the interpreter that best answers REQUEST.

    REQUEST is what people write: 3.12, 3, '>=3.10,<3.13', cpython@3.12,
    cpython3.12, pypy3.10, pypy, 3.13t (free-threaded), python3.12, or a path.

    Preference: an explicit path; the active venv if it matches; then the newest
    matching release line, preferring CPython, non-debug, default (not
    free-threaded) builds and base interpreters, then the newest micro version;
    ties go to the earlier discovery source (PATH before managers).

    The path is printed exactly when stdout is a pipe (for $(...)); on a
    terminal its control characters are shown escaped, like every table's.
    """
    if json_flag:
        if click.get_current_context().get_parameter_source("fmt") is not ParameterSource.DEFAULT and fmt != "json":
            raise click.UsageError(f"--json is --format json: it cannot go with --format {fmt}")
        fmt = "json"
    with app.inventory(run.timeout, run.jobs, fmt) as inventory:
        best, considered = inventory.find(
            request,
            implementation=implementation,
            arch=arch,
            allow_venv=not no_venv,
            refresh=run.policy,
            discover=not no_discover,
        )
    if best is None:
        working = [r for r in considered.records if r.outcome == "ok"]
        seen = ", ".join(sorted({f"{r.implementation} {r.version}" for r in working})) or "none"
        raise click.ClickException(f"no interpreter matches {request!r} (considered {len(working)}: {seen})")
    from interpdb.render import plain, render

    emit(plain(best.path) if fmt == "path" else render([], fmt, document=_document(best.document(), fmt)))


def _document(document: dict[str, Any], fmt: str) -> Any:
    return [document] if fmt == "ndjson" else document
