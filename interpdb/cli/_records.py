"""Printing interpreter records: the table rows, the JSON array, per-record notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from interpdb.cli._common import AppState, emit
from interpdb.records import Record


def summary_row(record: Record) -> dict[str, Any]:
    """The columns of the ``probe`` / ``list`` table and CSV."""
    return {
        "id": record.id,
        "path": record.path,
        "implementation": record.implementation or "",
        "version": record.version or "",
        "venv": "" if record.is_venv is None else ("yes" if record.is_venv else "no"),
        "conda": record.conda_env or "",
        "status": record.status,
        "trigger": record.trigger or "",
        "probed_at": record.probed_at.strftime("%Y-%m-%d %H:%M:%S") if record.probed_at else "",
        "aliases": ", ".join(record.aliases),
        "note": record.error or _launcher_note(record),
    }


def _launcher_note(record: Record) -> str:
    launcher = record.data.get("launcher")
    if not launcher:
        return ""
    if launcher.get("kind") == "wrapper":
        return f"wrapper -> {launcher.get('target')}"
    return f"{launcher['manager']} shim -> {launcher.get('version')} ({launcher.get('origin')})"


def print_records(app: AppState, records: Sequence[Record], fmt: str) -> None:
    from interpdb.render import render

    emit(render([summary_row(r) for r in records], fmt, document=[r.to_json() for r in records]))
    if app.verbose:
        for record in records:
            reasons = record.stale_changes or (record.changes if record.probed_now else ())
            changed = "; ".join(_describe(c) for c in reasons)
            trigger = record.trigger if record.probed_now else "stale" if record.stale_changes else ""
            app.note(f"{record.path}: {record.status}" + (f" ({trigger}: {changed})" if changed else ""))


def _describe(change: dict[str, Any]) -> str:
    """A stored change (``Change.as_dict``) in the words ``Change.describe`` uses."""
    from interpdb.fingerprint import Change

    return Change(change["role"], change["path"], change["kind"], tuple(change.get("fields") or ())).describe()


def report_problems(app: AppState, result: Any) -> None:
    """One line per path that failed; always printed (an error is not chatter)."""
    import click

    from interpdb.location import is_utf8

    for problem in result.problems:
        # A path that is not UTF-8 cannot be printed as text: its message names it (repr).
        where = f"{problem.path}: " if is_utf8(problem.path) else ""
        click.echo(f"error: {where}{problem.message}", err=True)
    for record in result.records:
        if record.status == "error":
            click.echo(f"error: {record.path}: {record.error}", err=True)
        elif record.status == "missing":
            click.echo(f"error: {record.path}: missing (no such file)", err=True)
