"""The ``interpdb`` console entry point, with a click-free path for warm reads.

``find``, ``list``, ``history`` and ``sql`` with JSON output are what tools call
in loops, and they are meant to cost less than running the interpreter they
describe. Python's start-up plus ``import click`` alone costs more than probing a
fast interpreter, so these forms are answered here without click. Any other
form, or any answer that would need a probe, a write or a migration
(``Inventory(read_only=True)`` raises ``NeedsWrite``), hands over to the full
click CLI, which starts again from the top: the fast path never decides anything
the full path would decide differently; it only skips the parser. The parity
tests in ``tests/test_warm_path.py`` hold it to that.

Accepted forms (anything else goes to click)::

    interpdb [--db X] [-q] find [REQUEST] [--format path|json] [--no-venv]
             [--no-discover] [--implementation NAME] [--arch MACHINE]
    interpdb [--db X] [-q] list --format json [--no-discover]
    interpdb [--db X] [-q] history [PATH|ID] --format json [--limit N]
             [--trigger NAME] [--host NAME] [--diff]
    interpdb [--db X] [-q] sql QUERY --format json [--param NAME=VALUE]...
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from interpdb.location import Location

#: command -> (value options and their allowed values (None: any), flags,
#: repeatable options, whether a positional argument is required / allowed)
_SPECS: dict[str, tuple[dict[str, tuple[str, ...] | None], set[str], set[str], bool, bool]] = {
    "find": (
        {"--format": ("path", "json"), "--implementation": None, "--arch": None},
        {"--no-venv", "--no-discover"},
        set(),
        False,
        True,
    ),
    "list": ({"--format": ("json",)}, {"--no-discover"}, set(), False, False),
    "history": (
        {"--format": ("json",), "--limit": None, "--trigger": None, "--host": None},
        {"--diff"},
        set(),
        False,
        True,
    ),
    "sql": ({"--format": ("json",)}, set(), {"--param", "-p"}, True, True),
}


class _Parsed:
    __slots__ = ("argument", "command", "db", "flags", "options", "repeated")

    def __init__(self, db: str | None, command: str) -> None:
        self.db = db
        self.command = command
        self.options: dict[str, str] = {}
        self.flags: set[str] = set()
        self.repeated: list[str] = []
        self.argument: str | None = None


def main() -> None:
    code = fast(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from interpdb.cli import main as full

    full()


def parse(argv: Sequence[str]) -> _Parsed | None:
    """The parsed form when the fast path takes ``argv``, else None."""
    args = list(argv)
    db = None
    while args and args[0].startswith("-"):
        head = args.pop(0)
        if head == "--db" and args:
            db = args.pop(0)
        elif head.startswith("--db="):
            db = head[len("--db=") :]
        elif head not in ("-q", "--quiet"):
            return None
    if not args or args[0] not in _SPECS:
        return None
    parsed = _Parsed(db, args.pop(0))
    values, flags, repeatable, needs_argument, takes_argument = _SPECS[parsed.command]
    while args:
        arg = args.pop(0)
        # click splits "--name=value" only: "-p=x=1" is -p with the value "=x=1".
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in values or name in repeatable:
            value = inline if eq else (args.pop(0) if args else None)
            allowed = values.get(name)
            if value is None or (allowed is not None and value not in allowed):
                return None
            if name in repeatable:
                parsed.repeated.append(value)
            elif name in parsed.options:
                return None
            else:
                parsed.options[name] = value
        elif arg in flags:
            parsed.flags.add(arg)
        elif takes_argument and parsed.argument is None and not arg.startswith("-"):
            parsed.argument = arg
        else:
            return None
    if needs_argument and parsed.argument is None:
        return None
    if parsed.command != "find" and parsed.options.get("--format") != "json":
        return None  # tables need tabulate and the notes: the full CLI draws them
    return parsed


def fast(argv: Sequence[str]) -> int | None:
    """Answer ``argv`` without click and return the exit code, or None to hand over."""
    parsed = parse(argv)
    if parsed is None:
        return None
    import sqlite3

    from interpdb.errors import InventoryError, NeedsWrite

    try:
        text = _answer(parsed)
    except (NeedsWrite, InventoryError, ValueError, OverflowError, sqlite3.Error):
        return None  # the full CLI answers, or words the failure in one line
    if text is None:
        return None
    sys.stdout.write(text + "\n")
    return 0


def _answer(parsed: _Parsed) -> str | None:
    # sql and history read the store and nothing else: no fingerprint to check, so
    # they skip interpdb.service (find and list need it to revalidate).
    if parsed.command == "sql":
        return _sql(parsed)
    if parsed.command == "history":
        return _history(parsed)
    from interpdb.render import to_json
    from interpdb.service import Inventory

    inventory = Inventory(parsed.db, read_only=True)
    options, flags = parsed.options, parsed.flags
    if parsed.command == "find":
        best, _considered = inventory.find(
            parsed.argument or "any",
            implementation=options.get("--implementation"),
            arch=options.get("--arch"),
            allow_venv="--no-venv" not in flags,
            discover="--no-discover" not in flags,
        )
        if best is None:
            return None  # the full CLI words the "nothing matches" message
        return to_json(best.document()) if options.get("--format") == "json" else best.path
    if parsed.command == "list":
        from interpdb.listing import select

        result = inventory.list(discover="--no-discover" not in flags)
        if not result.records or result.problems:
            return None  # the full CLI prints the hint and the problems
        return to_json([r.to_json() for r in select(result)])
    raise AssertionError(f"no fast path for {parsed.command}")  # parse() admits only the above


def _history(parsed: _Parsed) -> str | None:
    """``history`` as ``Inventory.history`` answers it, on a current SQLite file."""
    import os

    from interpdb import reader
    from interpdb.records import TRIGGERS
    from interpdb.render import to_json

    options = parsed.options
    limit = options.get("--limit")
    if limit is not None and (not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) < 2**63):
        return None
    if options.get("--trigger", TRIGGERS[0]) not in TRIGGERS:
        return None  # a usage error: the full CLI says so
    location = _current_sqlite(parsed)
    if location is None:
        return None
    host = options.get("--host")
    conn = reader.connect(location)
    if conn is None:
        return None
    try:
        ids = None
        if parsed.argument is not None:
            found = reader.interpreter_id(conn, parsed.argument, host or os.uname().nodename)
            if found is None:
                return None  # the full CLI says which reference is unknown
            ids = [found]
        events = reader.history(
            conn,
            interpreter_ids=ids,
            trigger=options.get("--trigger"),
            limit=int(limit) if limit else None,
            hosts=None if host is None else [host],
            with_diff="--diff" in parsed.flags,
        )
    finally:
        conn.close()
    return to_json([e.to_json() for e in events])


def _current_sqlite(parsed: _Parsed) -> Location | None:
    """The store, when it is a SQLite file at the head revision (``None``: no file yet,
    another backend, or one to migrate: the full CLI handles those)."""
    from interpdb import reader
    from interpdb.location import resolve

    location = resolve(parsed.db)
    if location.sqlite_file is None or reader.stored_revision(location) != reader.HEAD_REVISION:
        return None
    return location


def _sql(parsed: _Parsed) -> str | None:
    """``sql`` on a current SQLite file (anything else: the full CLI upgrades or explains)."""
    from interpdb import reader
    from interpdb.render import to_json

    if parsed.argument is None or parsed.argument == "-":
        return None
    location = _current_sqlite(parsed)
    if location is None:
        return None
    try:
        return to_json(reader.query_records(location, parsed.argument, reader.bindings(parsed.repeated)))
    except reader.QueryError:
        return None  # the full CLI reports it, on stderr, with exit 1
