"""Printing interpreter records: the table rows, the JSON array, per-record notes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from interpdb.cli._common import AppState, Output, RunOptions, emit, emit_lines, emit_pieces, error
from interpdb.records import Record


def print_records(
    app: AppState,
    records: Sequence[Record],
    output: Output,
    answers: Callable[[Sequence[Record]], Iterable[Record]] | None = None,
) -> None:
    """``answers`` (``Inventory.answers``): for ``list(light=True)``'s records, which JSON
    prints whole; they are read back and printed a batch at a time."""
    from interpdb.listing import render_records, stream_records

    if output.fmt == "ndjson":
        from interpdb.render import ndjson

        emit_lines(ndjson(r.to_json() for r in (answers(records) if answers else records)))
    elif output.fmt == "json" and answers is not None:
        emit_pieces(stream_records(answers(records), "json"))
    else:
        emit(render_records(records, output.fmt, wide=output.wide, columns=output.columns))
    explain(app, records)


def explain(app: AppState, records: Sequence[Record]) -> None:
    """``-v``: a note per interpreter saying why it was (not) probed."""
    if not app.verbose:
        return
    from interpdb.listing import describe_change

    for record in records:
        reasons = record.stale_changes or (record.changes if record.probed_now else ())
        changed = "; ".join(describe_change(c) for c in reasons)
        trigger = record.trigger if record.probed_now else "stale" if record.stale_changes else ""
        because = f" ({trigger}: {changed})" if changed else f" ({trigger})" if trigger else ""
        app.note(f"{record.path}: {record.status}{because}")


def report_problems(app: AppState, result: Any) -> None:
    """One line per path that failed; always printed (an error is not chatter)."""
    from interpdb.location import is_utf8

    for problem in result.problems:
        # A path that is not UTF-8 cannot be printed as text: its message names it (repr).
        where = f"{problem.path}: " if is_utf8(problem.path) else ""
        error(f"{where}{problem.message}")
    for record in result.records:
        if record.status == "error":
            error(f"{record.path}: {record.error}")
        elif record.status == "missing":
            error(f"{record.path}: missing ({record.error or 'no such file'})")


def unprobed_note(app: AppState, result: Any) -> None:
    """Paths discovery found that the store does not hold, left unprobed (--offline, a
    read-only store): counted in one note, where they used to vanish from the listing."""
    unknown = [p for p in getattr(result, "problems", ()) if p.unprobed]
    if unknown:
        app.note(
            f"{len(unknown)} interpreter(s) found here are not in the store and were left out ({unknown[0].reason})"
        )


def report_notes(app: AppState, result: Any, run: RunOptions | None = None) -> None:
    """The service's notes on this answer (a read-only store...), as ``note:`` lines; and
    (``run``) a hint for each ``--refresh-interpreter`` path the command never looked at,
    which it used to ignore without a word (a typo, or a path never probed)."""
    for message in getattr(result, "notes", ()):
        app.note(message)
    asked = run.policy.interpreters if run is not None else ()
    if asked:
        records = getattr(result, "records", ())
        looked_at = {path for record in records for path in (record.path, *record.aliases)}
        for path in sorted(set(asked) - looked_at):
            app.hint(f"--refresh-interpreter {path}: not an interpreter this command looked at (probe PATH learns one)")
