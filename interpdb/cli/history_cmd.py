"""``interpdb history [PATH|ID]``: the probe log, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from interpdb.cli._common import MAX_ID, AppState, emit, format_option, ref_callback
from interpdb.records import OUTCOMES, TRIGGERS, ProbeEvent


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


def summarize_changes(changes: tuple[dict[str, Any], ...], width: int = 60) -> str:
    """``site-file added: ...ib/python3.12/site-packages/new.pth (+2 more)``"""
    if not changes:
        return ""
    first = changes[0]
    prefix = f"{first['role']} {first['kind']}: "
    path = str(first["path"])
    room = max(12, width - len(prefix))
    if len(path) > room:
        path = "..." + path[-(room - 3) :]
    return prefix + path + (f" (+{len(changes) - 1} more)" if len(changes) > 1 else "")


#: Diff lines shown in one table cell; ``--format json`` (and csv) carry them all.
_DIFF_LINES = 12
_COMMAND_WIDTH = 40


@click.command("history")
@click.argument("ref", required=False, metavar="[PATH|ID]", callback=ref_callback)
@click.option("--since", callback=_since, metavar="WHEN", help="Only probes since then: 7d, 12h, or an ISO date (UTC).")
@click.option("--trigger", type=click.Choice(TRIGGERS), help="Only probes with this trigger.")
@click.option(
    "--outcome",
    "outcomes",
    type=click.Choice(OUTCOMES),
    multiple=True,
    help="Only probes that ended so (repeatable).",
)
@click.option(
    "--host",
    metavar="NAME",
    help="Only probes of interpreters on this host [default: every host]; a PATH is looked up there.",
)
@click.option(
    "--diff",
    "with_diff",
    is_flag=True,
    help="Also show what each probe's answer changed since the interpreter's previous successful probe.",
)
@click.option("--limit", type=click.IntRange(min=1, max=MAX_ID), default=None, help="At most this many rows.")
@format_option
@click.pass_obj
def command(
    app: AppState,
    ref: str | None,
    since: datetime | None,
    trigger: str | None,
    outcomes: tuple[str, ...],
    host: str | None,
    with_diff: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """The probe log, newest first: when, why, what changed, outcome, duration,
    who asked (the command line that caused the probe) and which interpdb probed.

    Every attempt is here, failures and disappearances included; nothing is
    ever updated or removed by a later probe. With --diff each successful probe
    is compared with the interpreter's previous successful one: sys.path entries
    added (+), removed (-) or moved (~), and any other fact as old -> new.
    """
    with app.inventory() as inventory:
        events = inventory.history(
            ref,
            since=since,
            trigger=trigger,
            limit=limit,
            hosts=None if host is None else [host],
            outcomes=outcomes or None,
            with_diff=with_diff,
        )
    from interpdb.render import render

    emit(render([_row(e, fmt) for e in events], fmt, document=[e.to_json() for e in events]))
    if not events and fmt != "json":
        filtered = ref or since or trigger or outcomes or host
        app.note("no probes recorded" + (" that match" if filtered else ""))


def _row(event: ProbeEvent, fmt: str) -> dict[str, Any]:
    row = {
        "probe": event.probe_id,
        "when": event.probed_at.strftime("%Y-%m-%d %H:%M:%S"),
        "path": event.path,
        "trigger": event.trigger,
        "outcome": event.outcome,
        "ms": event.duration_ms,
        "version": event.version or "",
        "changed": summarize_changes(event.changes),
        "error": event.error or "",
        "asked by": _shorten(event.command or "", _COMMAND_WIDTH if fmt != "csv" else None),
        "interpdb": event.interpdb_version,
    }
    if event.diff is not None:
        row["diff"] = _diff_text(event, None if fmt == "csv" else _DIFF_LINES)
    return row


def _diff_text(event: ProbeEvent, max_lines: int | None) -> str:
    """One line per difference; ``(first probe)`` when there was nothing to compare with."""
    if event.outcome != "ok":
        return ""  # no answer to compare: the error column says why
    if event.diff_against is None:
        return "(first probe)"
    if not event.diff:
        return "(no change)"
    lines = [str(item) for item in event.diff]
    if max_lines is not None and len(lines) > max_lines:
        more = len(lines) - (max_lines - 1)
        lines = [*lines[: max_lines - 1], f"(+{more} more: --format json)"]
    return "\n".join(lines)


def _shorten(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: width - 3] + "..."
