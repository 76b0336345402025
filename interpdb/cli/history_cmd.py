"""``interpdb history [PATH|ID]``: the probe log, newest first."""

from __future__ import annotations

from datetime import datetime

import click

from interpdb.auditing import COLUMN_NAMES
from interpdb.cli._common import (
    AppState,
    HostChoice,
    Output,
    emit,
    emit_lines,
    format_option,
    host_options,
    ref_callback,
)
from interpdb.records import MAX_ID, OUTCOMES, TRIGGERS


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


@click.command("history", short_help="The probe log, newest first: when, why, what changed.")
@click.argument("ref", required=False, metavar="[PATH|ID]", callback=ref_callback)
@click.option("--since", callback=_since, metavar="WHEN", help="Only probes since then: 7d, 12h, or an ISO date (UTC).")
@click.option(
    "--trigger",
    "triggers",
    type=click.Choice(TRIGGERS),
    multiple=True,
    metavar="TRIGGER",
    help=f"Only probes with this trigger (repeatable): {', '.join(TRIGGERS)}.",
)
@click.option(
    "--outcome",
    "outcomes",
    type=click.Choice(OUTCOMES),
    multiple=True,
    metavar="OUTCOME",
    help=f"Only probes that ended so (repeatable): {', '.join(OUTCOMES)}.",
)
@host_options
@click.option(
    "--diff",
    "with_diff",
    is_flag=True,
    help="Also show what each probe's answer changed since the interpreter's previous successful probe "
    "(the diff column).",
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
    with_diff = with_diff or "diff" in (output.columns or ())
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
        unknown = [] if events else hosts.unknown(inventory)
    if output.fmt == "ndjson":
        from interpdb.render import ndjson

        emit_lines(ndjson(e.to_json() for e in events))
    else:
        from interpdb.auditing import render_history

        emit(
            render_history(
                events,
                output.fmt,
                one_interpreter=ref is not None,
                wide=output.wide,
                with_diff=with_diff,
                columns=output.columns,
            )
        )
    if not events and not output.machine:
        filtered = ref or since or triggers or outcomes or hosts.names
        app.note("no probes recorded" + (" that match" if filtered else ""))
    for hint in unknown:
        app.hint(hint)
