"""What ``history`` prints: the probe log as a table, CSV or a tabulate format.

Shared by the click command (``interpdb.cli.history_cmd``) and the click-free fast path
(``interpdb._fast``), so both print the same bytes for the same flags; the parity tests
in ``tests/test_warm_path.py`` hold them to that. JSON and ndjson are the events'
``to_json`` documents.
"""

from __future__ import annotations

from interpdb.records import ProbeEvent

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from interpdb.render import Column


#: Diff lines shown in one table cell; ``--format json`` (and csv) carry them all.
_DIFF_LINES = 12
#: The table's columns, the few a person scans first leading; the others give way
#: (highest ``drop`` first) in a narrow terminal. ``--columns`` chooses by name.
COLUMN_NAMES = (
    "probe",
    "when",
    "host",
    "path",
    "trigger",
    "outcome",
    "ms",
    "version",
    "changed",
    "error",
    "asked by",
    "interpdb",
    "diff",
)


def render_history(
    events: Sequence[ProbeEvent],
    fmt: str,
    *,
    one_interpreter: bool,
    wide: bool = False,
    with_diff: bool = False,
    columns: Sequence[str] | None = None,
) -> str:
    """What ``history`` prints on stdout for ``fmt`` but ``ndjson`` (no final newline).

    ``one_interpreter``: the log of one PATH|ID, whose path the narrow table leaves out.
    ``columns``: the names ``--columns`` chose (shortened when they must be, never dropped).
    """
    from interpdb.render import render

    table = fmt == "table"
    chosen: Sequence[Column | str] | None = None
    if table:
        # One interpreter's history has its path on every row: the narrow table leaves it out.
        # One host's history (the usual case) has its name on every row: left out too.
        one_host = len({e.host_id for e in events}) < 2
        chosen = [
            c
            for c in _table_columns(with_diff)
            if (not one_interpreter or wide or c.name != "path") and not (one_host and c.name == "host")
        ]
    if columns is not None:
        by_name = {c.name: c for c in _table_columns(True)}
        chosen = [by_name[name].asked() for name in columns]
    rows = [_row(e, table, brief=table and not wide) for e in events]
    fields = COLUMN_NAMES if with_diff else COLUMN_NAMES[:-1]  # CSV's header, rows or none
    return render(rows, fmt, document=[e.to_json() for e in events], columns=chosen, wide=wide, fields=fields)


def _table_columns(with_diff: bool) -> list[Column]:
    from interpdb.render import Column

    columns = [
        Column("probe", drop=3, align="right"),
        Column("when", kind="fixed", drop=1),
        # Shown only when the events come from several hosts: then they cannot be told apart
        # without it (one path, seven hosts), so it is never dropped; a long name is cut.
        Column("host", min_width=8),
        Column("path", kind="path", min_width=16),
        Column("trigger", kind="fixed"),
        Column("outcome", kind="fixed"),
        Column("ms", kind="fixed", drop=5, align="right"),
        Column("version", kind="fixed", drop=6),
        # Its few words lead with the file or value that changed (listing.brief_changes): cut at the end.
        Column("changed", min_width=16, drop=2 if with_diff else 0),
        Column("error", min_width=16),  # with "changed", what a person reads the log for: never dropped
        Column("asked by", drop=8, min_width=16),
        Column("interpdb", kind="fixed", drop=9),
    ]
    if with_diff:
        columns.append(Column("diff", min_width=16))
    return columns


def _row(event: ProbeEvent, table: bool, brief: bool = False) -> dict[str, Any]:
    """One event as the table (``table``) or CSV shows it: the table rounds and caps, CSV keeps
    all; ``brief``: what changed named in a few words (the narrow table)."""
    from interpdb.listing import brief_changes, describe_changes
    from interpdb.render import when

    row: dict[str, Any] = {
        "probe": event.probe_id,
        "when": when(event.probed_at),
        "host": event.host,
        "path": event.path,
        "trigger": event.trigger,
        "outcome": event.outcome,
        "ms": round(event.duration_ms, 1) if table else event.duration_ms,
        "version": event.version or "",
        "changed": brief_changes(event.changes) if brief else describe_changes(event.changes),
        "error": event.error or "",
        "asked by": event.command or "",
        "interpdb": event.interpdb_version,
    }
    if event.diff is not None:
        lines = _diff_lines(event, _DIFF_LINES if table else None)
        row["diff"] = lines if table else "\n".join(lines)
    return row


def _diff_lines(event: ProbeEvent, max_lines: int | None) -> list[str]:
    """One line per difference; ``(first probe)`` when there was nothing to compare with."""
    if event.outcome != "ok":
        return []  # no answer to compare: the error column says why
    if event.diff_against is None:
        return ["(first probe)"]
    if not event.diff:
        return ["(no change)"]
    lines = [str(item) for item in event.diff]
    if max_lines is not None and len(lines) > max_lines:
        more = len(lines) - (max_lines - 1)
        lines = [*lines[: max_lines - 1], f"(+{more} more: --format json)"]
    return lines
