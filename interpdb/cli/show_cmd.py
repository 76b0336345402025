"""``interpdb show PATH|ID``: one interpreter, whole."""

from __future__ import annotations

from typing import Any

import click

from interpdb.cli._common import AppState, RunOptions, emit, format_option, ref_callback, refresh_options
from interpdb.cli._records import report_problems
from interpdb.records import ProbeEvent, Record

_RECENT_PROBES = 10


@click.command("show")
@click.argument("ref", metavar="PATH|ID", callback=ref_callback)
@refresh_options
@format_option
@click.pass_obj
def command(
    app: AppState,
    ref: str,
    run: RunOptions,
    fmt: str,
) -> None:
    """Show one interpreter whole: facts, sys.path, site directories, fingerprint, probes.

    The interpreter is revalidated first under the usual refresh policy, so what
    is shown is current (use --offline to only look). Each fingerprint entry says
    whether it still matches the disk.
    """
    if fmt == "csv":
        raise click.UsageError("show prints one interpreter as a document: use --format json, or a table format")
    from interpdb import fingerprint, reader
    from interpdb.probe import script_hash

    with app.inventory(run.timeout, run.jobs, fmt) as inventory:
        path = inventory.resolve_ref(ref).path if reader.is_id(ref) else ref
        result = inventory.probe([path], run.policy, revive=False)
        if not result.records:
            report_problems(app, result)
            raise click.exceptions.Exit(1)
        record = result.records[0]
        probes = inventory.history(str(record.id), limit=_RECENT_PROBES)
    changed = {(c.role, c.path) for c in fingerprint.changes(record.entries, script_hash())}
    entries = [dict(e.as_dict(), matches=(e.role, e.path) not in changed) for e in record.entries]
    if fmt == "json":
        document = record.document(fingerprint=entries, probes=[p.to_json() for p in probes])
        from interpdb.render import to_json

        emit(to_json(document))
    else:
        emit(_text(record, entries, probes, fmt))
    report_problems(app, result)
    if result.failed:
        raise click.exceptions.Exit(1)


def _text(record: Record, entries: list[dict[str, Any]], probes: list[ProbeEvent], fmt: str) -> str:
    from interpdb.render import render

    tablefmt = "plain" if fmt == "table" else fmt
    facts = [
        ("path", record.path),
        ("id", record.id),
        ("status", record.status),
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
        ("probed at", record.probed_at),
        ("trigger", record.trigger),
    ]
    sections = [render([{"field": k, "value": v} for k, v in facts if v not in (None, "")], tablefmt)]
    if record.sys_path:
        sections.append("sys.path\n" + render([{"#": i, "entry": p} for i, p in enumerate(record.sys_path)], tablefmt))
    if record.site_packages:
        sections.append("site-packages\n" + "\n".join(f"  {p}" for p in record.site_packages))
    rows = [
        {
            "role": e["role"],
            "path": e["path"],
            "exists": "yes" if e["exists"] else "no",
            "matches": "yes" if e["matches"] else "NO",
        }
        for e in entries
    ]
    sections.append("fingerprint\n" + render(rows, tablefmt))
    probe_rows = [
        {
            "when": p.probed_at.strftime("%Y-%m-%d %H:%M:%S"),
            "trigger": p.trigger,
            "outcome": p.outcome,
            "ms": p.duration_ms,
        }
        for p in probes
    ]
    sections.append("latest probes\n" + render(probe_rows, tablefmt))
    return "\n\n".join(sections)
