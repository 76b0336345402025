"""What ``list`` prints: the filters, the one-row-per-interpreter grouping, the table rows.

Shared by the click command and the click-free fast path (``interpdb._fast``) so
both print the same rows for the same flags.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence

from interpdb.aliases import group, with_aliases
from interpdb.records import Record

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from interpdb.render import Column
    from interpdb.request import Request
    from interpdb.service import Result

#: Shown without ``--all``: interpreters that work.
WORKING = ("cached", "probed", "stale")


def select(
    result: Result,
    *,
    implementation: str | None = None,
    request: Request | None = None,
    venv: bool | None = None,
    statuses: Sequence[str] = (),
    show_all: bool = False,
    per_path: bool = False,
) -> list[Record]:
    """Filter, then group aliases (or, ``per_path``, keep every path naming its aliases).

    ``request`` (``list --version``): what it asks of a record's markers and libc is only
    known from full records, not from ``Inventory.list(light=True)``'s.
    """
    from interpdb.records import implementation_name
    from interpdb.service import source_rank

    if implementation is not None:
        implementation = implementation_name(implementation)  # pp is pypy, as find reads it
    kept = [r for r in result.records if _keep(r, implementation, request, venv, statuses, show_all)]
    return with_aliases(kept) if per_path else group(kept, source_rank(result))


def _keep(
    record: Record,
    implementation: str | None,
    request: Request | None,
    venv: bool | None,
    statuses: Sequence[str],
    show_all: bool,
) -> bool:
    if statuses:
        if record.status not in statuses:
            return False
    elif not show_all and record.status not in WORKING and not (record.status == "remote" and record.outcome == "ok"):
        return False  # another host's row: kept when it worked there
    if implementation and (record.implementation or "").lower() != implementation:
        return False
    if request is not None and not request.satisfied_by(record):
        return False
    return venv is None or record.is_venv == venv


# What ``list``, ``probe`` and ``discover`` print. The table shows the columns a
# person scans first and gives way from the end of this list (``drop``, highest
# first); CSV carries every column, and ``--columns`` chooses.
def _columns() -> tuple[Column, ...]:
    from interpdb.render import Column

    return (
        Column("id", drop=1, align="right"),
        Column("host", kind="fixed"),  # set on other hosts' rows only: never dropped then
        Column("path", kind="path", min_width=20),
        Column("implementation", "impl", kind="fixed"),
        Column("version", kind="fixed"),
        Column("venv", kind="fixed"),
        Column("conda", kind="fixed", drop=4),
        Column("status", kind="fixed"),
        Column("note", min_width=16),
        Column("aliases", drop=5, min_width=24),
        Column("trigger", kind="fixed", drop=6),
        Column("probed_at", "probed at", kind="fixed", drop=7),
    )


#: The names ``--columns`` accepts for these listings, in their table order.
COLUMN_NAMES = (
    "id",
    "host",
    "path",
    "implementation",
    "version",
    "venv",
    "conda",
    "status",
    "note",
    "aliases",
    "trigger",
    "probed_at",
)


def summary_row(record: Record, every_host: bool = False) -> dict[str, Any]:
    """One record as the table and CSV show it (JSON prints ``Record.to_json``).

    ``host`` is another host's name, empty for this host's rows (a table of one host
    leaves the column out), unless ``every_host``: CSV, and a column named, have it on
    every row, for a program to group by."""
    from interpdb.render import when, yes_no

    return {
        "id": record.id,
        "host": record.host if every_host or record.status == "remote" else "",
        "path": record.path,
        "implementation": record.implementation or "",
        "version": record.version or "",
        "venv": yes_no(record.is_venv),
        "conda": record.conda_env or "",
        "status": record.status,
        "trigger": record.trigger or "",
        "probed_at": when(record.probed_at),
        "aliases": ", ".join(record.aliases),
        "note": note(record),
    }


def note(record: Record) -> str:
    """Why a row is what it is: its error, what made it stale, or where a shim leads."""
    if record.error:
        return record.error
    if record.stale_changes:
        return stale_reason(record.stale_changes)
    return _launcher_note(record)


def stale_reason(changes: Sequence[Mapping[str, Any]]) -> str:
    """``pyvenv.cfg modified, site-file added``: what changed, by role (``show`` names each path)."""
    kinds = list(dict.fromkeys(f"{c['role']} {c['kind']}" for c in changes))
    return ", ".join(kinds[:2]) + (f" (+{len(kinds) - 2} more)" if len(kinds) > 2 else "")


def brief_changes(changes: Sequence[Mapping[str, Any]]) -> str:
    """``zz.pth added (+1 more)``, ``HOME modified``: what the first change is about and how,
    in the few columns a narrow ``history`` gives it (``--wide``: :func:`describe_changes`)."""
    if not changes:
        return ""
    from interpdb.fingerprint import VALUE_ROLES

    first = changes[0]
    path = str(first["path"])
    if first["role"] == "probe":
        name = "probe"  # interpdb's own probe script: an upgrade of interpdb
    else:
        name = path if first["role"] in VALUE_ROLES else os.path.basename(path.rstrip("/")) or path
    more = f" (+{len(changes) - 1} more)" if len(changes) > 1 else ""
    return f"{name} {first['kind']}{more}"


def describe_changes(changes: Sequence[Mapping[str, Any]]) -> str:
    """``site-file added: /v/a.pth; site-file added: /v/b.pth``: every change, its role and
    path (``history --wide`` and CSV; the narrow table has :func:`brief_changes`)."""
    return "; ".join(describe_change(change) for change in changes)


def describe_change(change: Mapping[str, Any]) -> str:
    """A stored change (``Change.as_dict``) in the words ``Change.describe`` uses."""
    from interpdb.fingerprint import Change

    return Change(change["role"], change["path"], change["kind"], tuple(change.get("fields") or ())).describe()


def _launcher_note(record: Record) -> str:
    launcher = record.data.get("launcher")
    if not launcher:
        return ""
    if launcher.get("kind") == "wrapper":
        target = launcher.get("target")
        return f"wrapper -> {target}" if target else "wrapper"
    return f"{launcher['manager']} shim -> {launcher.get('version')} ({launcher.get('origin')})"


def stream_records(records: Iterable[Record], fmt: str) -> Iterator[str]:
    """What :func:`render_records` prints for ``json`` or ``ndjson``, in pieces, each record
    rendered as it comes (no final newline): a long listing is never held whole."""
    from interpdb.render import json_chunks, ndjson

    if fmt == "json":
        yield from json_chunks(r.to_json() for r in records)
        return
    separator = ""
    for line in ndjson(r.to_json() for r in records):
        yield separator + line
        separator = "\n"


def render_records(
    records: Sequence[Record],
    fmt: str = "table",
    *,
    wide: bool = False,
    columns: Sequence[str] | None = None,
    width: int | None = None,
) -> str:
    """What ``list``/``probe``/``discover`` print on stdout for ``fmt`` (no final newline).

    The click-free fast path calls this too, so both print the same bytes.
    ``width`` None: the terminal's (see ``render.terminal_width``).
    """
    from interpdb.render import render

    if fmt in ("json", "ndjson"):
        return render([], fmt, document=[r.to_json() for r in records])
    specs: Sequence[Column] = _columns()
    if columns is not None:
        by_name = {c.name: c for c in specs}
        specs = [by_name[n].asked() for n in columns]
    # --wide is every column: this host's name too, not only other hosts'.
    every_host = fmt != "table" or wide or (columns is not None and "host" in columns)
    rows = [summary_row(r, every_host) for r in records]
    chosen = specs if fmt == "table" or columns is not None else None
    return render(rows, fmt, columns=chosen, width=width, wide=wide, fields=COLUMN_NAMES)
