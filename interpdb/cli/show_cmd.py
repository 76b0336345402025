"""``interpdb show PATH|ID``: one interpreter, whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from interpdb.cli._common import AppState, Output, RunOptions, emit, format_option, ref_callback, refresh_options
from interpdb.cli._records import report_notes, report_problems
from interpdb.records import ProbeEvent, Record

if TYPE_CHECKING:
    from interpdb.service import Inventory

_RECENT_PROBES = 10


@click.command("show")
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
@format_option(columns=None)
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
    if output.fmt == "csv":
        raise click.UsageError(
            "show prints one interpreter as a document: use --format json or ndjson, or a table format"
        )
    from interpdb import fingerprint
    from interpdb.probe import script_hash
    from interpdb.store import read

    with app.inventory(run.timeout, run.jobs, output.fmt) as inventory:
        if host_names and not any(inventory.host.matches(name) for name in host_names):
            _show_remote(app, inventory, ref, host_names, output)
            return
        path = inventory.resolve_ref(ref).path if read.is_id(ref) else ref
        result = inventory.probe([path], run.policy, revive=False)
        if not result.records:
            report_problems(app, result)
            raise click.exceptions.Exit(1)
        record = result.records[0]
        probes = inventory.history(str(record.id), limit=_RECENT_PROBES)
    changed = {(c.role, c.path) for c in fingerprint.changes(record.entries, script_hash())}
    entries = [dict(e.as_dict(), matches=(e.role, e.path) not in changed) for e in record.entries]
    if output.machine:
        document = record.document(fingerprint=entries, probes=[p.to_json() for p in probes])
        from interpdb.render import render

        emit(render([], output.fmt, document=[document] if output.fmt == "ndjson" else document))
    else:
        emit(_text(record, entries, probes, output))
    report_notes(app, result)
    report_problems(app, result)
    if result.failed:
        raise click.exceptions.Exit(1)


def _show_remote(app: AppState, inventory: Inventory, ref: str, hosts: tuple[str, ...], output: Output) -> None:
    """Another host's interpreter, as that host recorded it: nothing here is checked or run."""
    record = inventory.resolve_on(ref, hosts).with_status("remote")
    probes = inventory.history(str(record.id), limit=_RECENT_PROBES, hosts=hosts)
    entries = [dict(e.as_dict(), matches=None) for e in record.entries]
    if output.machine:
        from interpdb.render import render

        document = record.document(fingerprint=entries, probes=[p.to_json() for p in probes])
        emit(render([], output.fmt, document=[document] if output.fmt == "ndjson" else document))
    else:
        emit(_text(record, entries, probes, output))


def _text(record: Record, entries: list[dict[str, Any]], probes: list[ProbeEvent], output: Output) -> str:
    from interpdb.listing import describe_change
    from interpdb.render import Column, when

    facts = [
        ("path", record.path),
        ("id", record.id),
        *([("host", f"{record.host} (id {record.host_id})")] if record.status == "remote" else []),
        ("status", record.status),
        ("stale because", [describe_change(c) for c in record.stale_changes]),
        ("outcome", record.outcome),
        ("error", record.error),
        ("implementation", f"{record.implementation or ''} {record.implementation_version or ''}".strip()),
        ("version", record.version),
        ("executable", record.executable),
        ("real executable", record.real_executable),
        ("venv", record.is_venv),
        ("prefix", record.prefix),
        ("base prefix", record.base_prefix),
        ("platform", record.platform),
        ("pointer size", record.pointer_size),
        ("free-threaded", record.free_threaded),
        ("debug build", record.debug_build),
        ("soabi", record.data.get("soabi")),
        ("libpython", record.data.get("libpython")),
        ("user site", record.data.get("user_site")),
        ("probed at", when(record.probed_at)),
        ("trigger", record.trigger),
    ]
    table = _section(output)
    value = Column("value", kind="path")
    sections = [table([{"field": k, "value": v} for k, v in facts if v not in (None, "", [])], ["field", value], False)]
    if record.sys_path:
        rows = [{"#": i, "entry": p} for i, p in enumerate(record.sys_path)]
        sections.append("sys.path\n" + table(rows, ["#", Column("entry", kind="path")], False))
    if record.site_packages:
        rows = [{"entry": p} for p in record.site_packages]
        sections.append("site-packages\n" + table(rows, [Column("entry", kind="path")], False))
    rows = [
        {
            "role": e["role"],
            "path": e["path"],
            "exists": e["exists"],
            "matches": e["matches"],
        }
        for e in entries
    ]
    sections.append("fingerprint\n" + table(rows, ["role", Column("path", kind="path"), "exists", "matches"], True))
    probe_rows = [
        {"when": when(p.probed_at), "trigger": p.trigger, "outcome": p.outcome, "ms": p.duration_ms} for p in probes
    ]
    sections.append("latest probes\n" + table(probe_rows, ["when", "trigger", "outcome", "ms"], True))
    return "\n\n".join(sections)


def _section(output: Output) -> Callable[[list[dict[str, Any]], list[Any], bool], str]:
    """One section drawn in the format asked for: the default table, or a tabulate format."""
    from interpdb.render import table, to_tabulate

    def draw(rows: list[dict[str, Any]], columns: list[Any], headers: bool) -> str:
        if output.fmt == "table":
            return table(rows, columns, wide=output.wide, headers=headers)
        names = [c if isinstance(c, str) else c.name for c in columns]
        return to_tabulate(rows, "plain" if not headers and output.fmt == "plain" else output.fmt, names)

    return draw
