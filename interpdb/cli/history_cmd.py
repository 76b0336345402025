"""``interpdb history [PATH|ID]``: the probe log, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from interpdb.cli._common import (
    MAX_ID,
    AppState,
    HostChoice,
    Output,
    emit,
    emit_lines,
    format_option,
    host_options,
    ref_callback,
)
from interpdb.records import OUTCOMES, TRIGGERS, ProbeEvent

if TYPE_CHECKING:
    from interpdb.render import Column


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """``7d``-style durations back from now, or an ISO date/time (UTC)."""
    if value is None:
        return None
    from interpdb.policy import DurationTooLong, parse_duration
    from interpdb.records import utcnow

    try:
        return utcnow() - parse_duration(value)
    except DurationTooLong as error:
        raise click.BadParameter(str(error)) from None
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a duration (7d, 12h) nor an ISO date") from None
    if parsed.tzinfo is not None:
        from datetime import timezone

        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def summarize_changes(changes: tuple[dict[str, Any], ...]) -> str:
    """``site-file added: /v/lib/python3.12/site-packages/new.pth (+2 more)``: the table shortens it."""
    from interpdb.listing import describe_changes

    return describe_changes(changes)


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
)


def _table_columns(with_diff: bool) -> list[Column]:
    from interpdb.render import Column

    columns = [
        Column("probe", drop=3, align="right"),
        Column("when", kind="fixed", drop=1),
        Column("host", kind="fixed", drop=4),
        Column("path", kind="path", min_width=16),
        Column("trigger", kind="fixed"),
        Column("outcome", kind="fixed"),
        Column("ms", kind="fixed", drop=5, align="right"),
        Column("version", kind="fixed", drop=6),
        Column("changed", kind="path", min_width=16, drop=2 if with_diff else 0),
        Column("error", min_width=16),  # with "changed", what a person reads the log for: never dropped
        Column("asked by", drop=8, min_width=16),
        Column("interpdb", kind="fixed", drop=9),
    ]
    if with_diff:
        columns.append(Column("diff", min_width=16))
    return columns


@click.command("history")
@click.argument("ref", required=False, metavar="[PATH|ID]", callback=ref_callback)
@click.option("--since", callback=_since, metavar="WHEN", help="Only probes since then: 7d, 12h, or an ISO date (UTC).")
@click.option(
    "--trigger",
    "triggers",
    type=click.Choice(TRIGGERS),
    multiple=True,
    help="Only probes with this trigger (repeatable).",
)
@click.option(
    "--outcome",
    "outcomes",
    type=click.Choice(OUTCOMES),
    multiple=True,
    help="Only probes that ended so (repeatable).",
)
@host_options
@click.option(
    "--diff",
    "with_diff",
    is_flag=True,
    help="Also show what each probe's answer changed since the interpreter's previous successful probe.",
)
@click.option("--limit", type=click.IntRange(min=1, max=MAX_ID), default=None, help="At most this many rows.")
@format_option(columns=COLUMN_NAMES)
@click.pass_obj
def command(
    app: AppState,
    ref: str | None,
    since: datetime | None,
    triggers: tuple[str, ...],
    outcomes: tuple[str, ...],
    hosts: HostChoice,
    with_diff: bool,
    limit: int | None,
    output: Output,
) -> None:
    """The probe log, newest first: when, why, what changed, outcome, duration,
    who asked (the command line that caused the probe) and which interpdb probed.

    Every attempt is here, failures and disappearances included; nothing is
    ever updated or removed by a later probe. With --diff each successful probe
    is compared with the interpreter's previous successful one: sys.path entries
    added (+), removed (-) or moved (~), and any other fact as old -> new.

    This host's probes, unless --host (a PATH is then looked up on those hosts)
    or --all-hosts (a PATH is looked up on this host first) asks for others.
    """
    with app.inventory() as inventory:
        events = inventory.history(
            ref,
            since=since,
            trigger=triggers or None,
            limit=limit,
            hosts=list(hosts.names) or None,
            outcomes=outcomes or None,
            with_diff=with_diff,
            all_hosts=hosts.all,
        )
    if output.fmt == "ndjson":
        from interpdb.render import ndjson

        emit_lines(ndjson(e.to_json() for e in events))
    else:
        from interpdb.render import render

        table = output.fmt == "table"
        columns: Sequence[Column | str] | None = None
        if table:
            # One interpreter's history has its path on every row: the narrow table leaves it out.
            # One host's history (the usual case) has its name on every row: left out too.
            one_host = len({e.host_id for e in events}) < 2
            columns = [
                c
                for c in _table_columns(with_diff)
                if (ref is None or output.wide or c.name != "path") and not (one_host and c.name == "host")
            ]
        if output.columns is not None:
            by_name = {c.name: c for c in _table_columns(True)}
            columns = [_kept(by_name[name]) for name in output.columns]
        rows = [_row(e, table) for e in events]
        emit(render(rows, output.fmt, document=[e.to_json() for e in events], columns=columns, wide=output.wide))
    if not events and not output.machine:
        filtered = ref or since or triggers or outcomes or hosts.names
        app.note("no probes recorded" + (" that match" if filtered else ""))


def _kept(column: Column) -> Column:
    """A column asked for by ``--columns``: shortened when it must be, never dropped."""
    from interpdb.render import Column

    return Column(column.name, column.header, kind=column.kind, min_width=column.min_width, align=column.align)


def _row(event: ProbeEvent, table: bool) -> dict[str, Any]:
    """One event as the table (``table``) or CSV shows it: the table rounds and caps, CSV keeps all."""
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
        "changed": summarize_changes(event.changes),
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
