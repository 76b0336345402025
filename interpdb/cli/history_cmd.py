"""``interpdb history [PATH|ID]``: the probe log, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from interpdb.cli._common import AppState, emit, format_option
from interpdb.records import TRIGGERS, ProbeEvent


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    """``7d``-style durations back from now, or an ISO date/time (UTC)."""
    if value is None:
        return None
    from interpdb.policy import parse_duration
    from interpdb.records import utcnow

    try:
        return utcnow() - parse_duration(value)
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


@click.command("history")
@click.argument("ref", required=False, metavar="[PATH|ID]")
@click.option("--since", callback=_since, metavar="WHEN", help="Only probes since then: 7d, 12h, or an ISO date (UTC).")
@click.option("--trigger", type=click.Choice(TRIGGERS), help="Only probes with this trigger.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many rows.")
@format_option
@click.pass_obj
def command(
    app: AppState, ref: str | None, since: datetime | None, trigger: str | None, limit: int | None, fmt: str
) -> None:
    """The probe log, newest first: when, why, what changed, outcome, duration.

    Every attempt is here, failures and disappearances included; nothing is
    ever updated or removed by a later probe.
    """
    with app.inventory() as inventory:
        events = inventory.history(ref, since=since, trigger=trigger, limit=limit)
    from interpdb.render import render

    emit(render([_row(e) for e in events], fmt, document=[e.to_json() for e in events]))
    if not events and fmt != "json":
        app.note("no probes recorded" + (" that match" if (ref or since or trigger) else ""))


def _row(event: ProbeEvent) -> dict[str, Any]:
    return {
        "probe": event.probe_id,
        "when": event.probed_at.strftime("%Y-%m-%d %H:%M:%S"),
        "path": event.path,
        "trigger": event.trigger,
        "outcome": event.outcome,
        "ms": event.duration_ms,
        "version": event.version or "",
        "changed": summarize_changes(event.changes),
        "error": event.error or "",
    }
