"""What ``show`` prints: one interpreter whole, as a document or as sections of tables.

Shared by the click command (``interpdb.cli.show_cmd``) and the click-free fast path
(``interpdb._fast``), so both print the same bytes for the same flags; the parity
tests in ``tests/test_warm_path.py`` hold them to that.
"""

from __future__ import annotations

from interpdb.records import ProbeEvent, Record

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from interpdb.policy import Refresh
    from interpdb.service import Inventory, Result

#: The probes listed under "latest probes" (the document's ``probes``).
RECENT_PROBES = 10


def revalidated(
    inventory: Inventory, ref: str, policy: Refresh | None
) -> tuple[Result, Record | None, list[ProbeEvent]]:
    """``ref`` (a path or an id) on this host, revalidated under ``policy`` (a forgotten one is
    not brought back: showing only looks), and its latest probes. No record: the result's
    problems say why."""
    from interpdb.store.read import is_id

    path = inventory.resolve_ref(ref).path if is_id(ref) else ref
    result = inventory.probe([path], policy, revive=False)
    if not result.records:
        return result, None, []
    record = result.records[0]
    return result, record, inventory.history(str(record.id), limit=RECENT_PROBES)


def fingerprint_rows(record: Record, checked: bool = True) -> list[dict[str, Any]]:
    """The record's fingerprint entries, each saying whether it still ``matches`` the disk
    (None when not ``checked``: another host's interpreter cannot be checked from here)."""
    if not checked:
        return [dict(e.as_dict(), matches=None) for e in record.entries]
    from interpdb import fingerprint
    from interpdb.probe import script_hash

    changed = {(c.role, c.path) for c in fingerprint.changes(record.entries, script_hash())}
    return [dict(e.as_dict(), matches=(e.role, e.path) not in changed) for e in record.entries]


def render_shown(record: Record, probes: list[ProbeEvent], fmt: str, wide: bool, checked: bool = True) -> str:
    """What ``show`` prints on stdout for ``fmt`` (no final newline): ``json``/``ndjson`` the
    record's document with its fingerprint and probes, any table format the sections."""
    entries = fingerprint_rows(record, checked)
    if fmt in ("json", "ndjson"):
        from interpdb.render import render

        document = record.document(fingerprint=entries, probes=[p.to_json() for p in probes])
        return render([], fmt, document=[document] if fmt == "ndjson" else document)
    return _text(record, entries, probes, fmt, wide)


def _text(record: Record, entries: list[dict[str, Any]], probes: list[ProbeEvent], fmt: str, wide: bool) -> str:
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
    table = _section(fmt, wide)
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


def _section(fmt: str, wide: bool) -> Callable[[list[dict[str, Any]], list[Any], bool], str]:
    """One section drawn in the format asked for: the default table, or a tabulate format."""
    from interpdb.render import table, to_tabulate

    def draw(rows: list[dict[str, Any]], columns: list[Any], headers: bool) -> str:
        if fmt == "table":
            return table(rows, columns, wide=wide, headers=headers)
        names = [c if isinstance(c, str) else c.name for c in columns]
        return to_tabulate(rows, "plain" if not headers and fmt == "plain" else fmt, names)

    return draw
