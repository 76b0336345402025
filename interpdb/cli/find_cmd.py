"""``interpdb find REQUEST``: the best interpreter for a request, as a path."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from interpdb.cli._common import AppState, HostChoice, RunOptions, emit, host_options, refresh_options
from interpdb.cli._records import explain, report_notes

if TYPE_CHECKING:
    from interpdb.records import Record
    from interpdb.request import Request
    from interpdb.service import Inventory


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
@host_options
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
    hosts: HostChoice,
    run: RunOptions,
) -> None:
    """Print the interpreter that best answers REQUEST.

    REQUEST is any form uv's `python find` or virtualenv's `-p` takes: 3.12, 312,
    3.12.1, '>=3.10,<3.13', 3.13t (free-threaded), 3.12d (debug), cpython@3.12,
    cp312, 'cpython>=3.12', pp39, python3.12, python3.6m, 3.12-64,
    cpython-3.12-linux-x86_64-gnu, a path or a venv folder (the README has the
    table). A malformed REQUEST is a usage error (exit 2); no match is exit 1.
    The answer is never a shim: the interpreter a shim runs now is printed, and
    --format json lists the shims and other paths to it under "aliases".

    Preference: an explicit path; the active venv if it matches; then the newest
    matching release line, preferring CPython, non-debug, default (not
    free-threaded) builds and base interpreters, then the newest micro version;
    ties go to the earlier discovery source (PATH before managers).

    --host NAME_OR_ID (repeatable) or --all-hosts answers from those hosts'
    interpreters as last recorded there (status remote: never checked or probed
    from here; a note on stderr names the host); this host's, when chosen too,
    are revalidated as always. REQUEST is then a version request, not a path.

    The path is printed exactly when stdout is a pipe (for $(...)); on a
    terminal its control characters are shown escaped, like every table's.
    """
    if json_flag:
        if click.get_current_context().get_parameter_source("fmt") is not ParameterSource.DEFAULT and fmt != "json":
            raise click.UsageError(f"--json is --format json: it cannot go with --format {fmt}")
        fmt = "json"
    with app.inventory(run.timeout, run.jobs, fmt) as inventory:
        considered = None  # across hosts: records as stored elsewhere, no service notes
        if hosts.others:
            best, records = _find_on_hosts(
                inventory, hosts, request, implementation, arch, not no_venv, run, no_discover
            )
        else:
            best, considered = inventory.find(
                request,
                implementation=implementation,
                arch=arch,
                allow_venv=not no_venv,
                refresh=run.policy,
                discover=not no_discover,
            )
            records = considered.records
        own = best is None and hosts.includes(inventory)
        hidden = _forgotten_matches(inventory, request, implementation, arch, not no_venv) if own else []
        elsewhere = best is not None and best.status == "remote"
    if elsewhere:
        assert best is not None
        app.note(f"{best.path} is on host {best.host} ({best.host_id}), as last recorded there")
    if best is None:
        from interpdb.freshness import DENIED
        from interpdb.request import parse_request

        parsed = parse_request(request)  # find parsed it already: this cannot fail
        _explain_a_path(request, parsed, records, considered)

        working = [r for r in records if r.outcome == "ok" and r.error != DENIED]
        by_implementation: dict[str, list[str]] = {}
        for impl, version in _in_version_order(working):
            by_implementation.setdefault(impl or "?", []).append(version or "?")
        seen = "; ".join(f"{impl} {', '.join(versions)}" for impl, versions in by_implementation.items())
        if len(hidden) == 1 and considered is not None and not considered.records and parsed.path is not None:
            # find PATH of a forgotten interpreter: that is the whole answer
            raise click.ClickException(f"{request}: forgotten; `interpdb probe {hidden[0]}` brings it back")
        for path in hidden:
            app.note(f"forgotten {path} would match; `interpdb probe {path}` brings it back")
        unreachable = sum(r.error == DENIED for r in records)
        if unreachable:
            app.note(
                f"{unreachable} stored interpreter{'s are' if unreachable > 1 else ' is'} out of this user's reach"
            )
        # The versions it knows, each implementation named once: the line is read, not parsed.
        # The filters are named too: "known: cpython 3.12.1" must not read as a contradiction
        # when it was --arch or --no-venv that ruled 3.12.1 out.
        wanted = repr(request) + "".join(
            f" {flag} {value}" for flag, value in (("--implementation", implementation), ("--arch", arch)) if value
        )
        wanted += " --no-venv" if no_venv else ""
        from interpdb.errors import InventoryError

        raise InventoryError(f"no interpreter matches {wanted} (known: {seen or 'none'})", hint=_exact_line(parsed))
    from interpdb.render import plain, render

    emit(plain(best.path) if fmt == "path" else render([], fmt, document=_document(best.document(), fmt)))
    if considered is not None:
        explain(app, considered.records)  # -v: what was checked to answer, and why each was (not) probed
    report_notes(app, considered, run)


def _find_on_hosts(
    inventory: Inventory,
    hosts: HostChoice,
    request: str,
    implementation: str | None,
    arch: str | None,
    allow_venv: bool,
    run: RunOptions,
    no_discover: bool,
) -> tuple[Record | None, list[Record]]:
    """The best match among the chosen hosts' interpreters: others' as stored, this one's revalidated."""
    from interpdb.request import parse_request, rank

    try:
        parsed = parse_request(request, implementation)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    if parsed.path is not None:
        raise click.UsageError(
            f"--host and --all-hosts take a version request, not a path ({request!r} is a path here)"
        )
    records = hosts.remote(inventory)
    active = None
    if hosts.includes(inventory):
        records = [*inventory.list(run.policy, discover=not no_discover).records, *records]
        active = os.environ.get("VIRTUAL_ENV")
    ranked = rank(records, parsed, active_venv=active, arch=arch, allow_venv=allow_venv)
    return (ranked[0] if ranked else None), records


def _explain_a_path(request: str, parsed: Request, records: list[Record], considered: Any) -> None:
    """A path that is no working interpreter: say why (as ``probe`` does), not "no match".
    So for an executable name looked up on ``PATH`` (``find ls``: ``/usr/bin/ls`` failed)."""
    wanted = parsed.path  # a venv's folder names its bin/python3
    shown = request
    if wanted is None and parsed.executable_name is not None:
        import shutil

        from interpdb.location import normalize_path

        found = shutil.which(parsed.executable_name)
        if found is None:
            return
        wanted = shown = normalize_path(found)
    if wanted is None:
        return
    failed = [r for r in records if r.path == wanted and (r.outcome != "ok" or r.status == "error")]
    problems = [p for p in getattr(considered, "problems", ()) if getattr(p, "path", None) == wanted]
    reason = failed[0].error if failed else problems[0].message if problems else None
    if reason:
        raise click.ClickException(f"{shown}: {reason}")


def _exact_line(parsed: Request) -> str | None:
    """``==3.12`` is 3.12.0 alone, as packaging reads it, where uv reads the 3.12 line: say so."""
    specifier = parsed.specifier
    clauses = specifier.clauses if specifier is not None else ()
    if len(clauses) == 1 and clauses[0].op == "==" and not clauses[0].wildcard:
        release = clauses[0].version.release
        if len(release) == 2 and not clauses[0].version.is_prerelease:
            line = ".".join(map(str, release))
            return f"=={line} is {line}.0 alone, as packaging reads it; {line} or =={line}.* is the {line} line"
    return None


def _document(document: dict[str, Any], fmt: str) -> Any:
    return [document] if fmt == "ndjson" else document


def _forgotten_matches(
    inventory: Inventory, request: str, implementation: str | None, arch: str | None, allow_venv: bool
) -> list[str]:
    """Paths of forgotten interpreters that would have answered (as last stored)."""
    from interpdb.aliases import group
    from interpdb.request import parse_request

    parsed = parse_request(request, implementation)  # find already parsed it: this cannot fail
    stored = [r for r in inventory.stored(include_forgotten=True) if r.forgotten_at is not None]
    # One a forgotten interpreter, by the path a person would type (its other paths go with it).
    return [r.path for r in group(r for r in stored if parsed.matches(r, arch=arch, allow_venv=allow_venv))]


def _in_version_order(records: list[Record]) -> list[tuple[str | None, str | None]]:
    """Each (implementation, version) once, as a person reads them: 3.9 before 3.10, 3.13.0rc1
    before 3.13.0 (``versions.Version``); a version that does not parse last, as text."""
    from interpdb.versions import cached_parse

    def key(pair: tuple[str | None, str | None]) -> tuple[Any, ...]:
        impl, version = pair
        parsed = cached_parse(version or "")
        return (impl or "", 0, parsed) if parsed is not None else (impl or "", 1, version or "")

    return sorted({(r.implementation, r.version) for r in records}, key=key)
