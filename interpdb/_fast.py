"""The ``interpdb`` console entry point, with a click-free path for warm reads.

``interpdb find ...`` and ``interpdb list --format json`` are what tools call in
loops, and they are meant to cost less than running the interpreter they
describe. Python's start-up plus ``import click`` alone is more than a probe of
a fast interpreter, so these two commands, in the forms below, are answered here
without click. Any other form, or any answer that would need a probe, a write or
a migration (``Inventory(read_only=True)`` raises ``NeedsWrite``), falls back to
the full click CLI, which starts again from the top: the fast path never decides
anything the full path would decide differently, it only skips the parser.

Accepted forms (anything else goes to click)::

    interpdb [--db X] [-q] find [REQUEST] [--format path|json] [--no-venv]
             [--no-discover] [--implementation NAME] [--arch MACHINE]
    interpdb [--db X] [-q] list --format json [--no-discover]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

_FIND_VALUES = {"--format": ("path", "json"), "--implementation": None, "--arch": None}
_FIND_FLAGS = {"--no-venv", "--no-discover"}
_LIST_VALUES = {"--format": ("json",)}
_LIST_FLAGS = {"--no-discover"}


def main() -> None:
    code = fast(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from interpdb.cli import main as full

    full()


def parse(argv: Sequence[str]) -> tuple[str | None, str, dict[str, str], set[str], str | None] | None:
    """``(db, command, options, flags, request)`` for a form the fast path takes, else None."""
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
    if not args or args[0] not in ("find", "list"):
        return None
    command = args.pop(0)
    values, flags = (_FIND_VALUES, _FIND_FLAGS) if command == "find" else (_LIST_VALUES, _LIST_FLAGS)
    options: dict[str, str] = {}
    seen: set[str] = set()
    request = None
    while args:
        arg = args.pop(0)
        name, eq, inline = arg.partition("=")
        if name in values and name not in options:
            value = inline if eq else (args.pop(0) if args else None)
            allowed = values[name]
            if value is None or (allowed is not None and value not in allowed):
                return None
            options[name] = value
        elif arg in flags:
            seen.add(arg)
        elif command == "find" and request is None and not arg.startswith("-"):
            request = arg
        else:
            return None
    if command == "list" and options.get("--format") != "json":
        return None  # tables need tabulate and the hint lines: the full CLI does those
    return db, command, options, seen, request


def fast(argv: Sequence[str]) -> int | None:
    """Answer ``argv`` without click and return the exit code, or None to hand over."""
    parsed = parse(argv)
    if parsed is None:
        return None
    db, command, options, flags, request = parsed
    from interpdb.service import Inventory, InventoryError, NeedsWrite

    inventory = Inventory(db, read_only=True)
    try:
        if command == "find":
            best, _considered = inventory.find(
                request or "any",
                implementation=options.get("--implementation"),
                arch=options.get("--arch"),
                allow_venv="--no-venv" not in flags,
                discover="--no-discover" not in flags,
            )
            if best is None:
                return None  # the full CLI words the "nothing matches" message
            text = best.path
            if options.get("--format") == "json":
                from interpdb.render import to_json

                text = to_json(best.document())
        else:
            from interpdb.listing import select
            from interpdb.render import to_json

            result = inventory.list(discover="--no-discover" not in flags)
            if not result.records or result.problems:
                return None  # the full CLI prints the hint and the problems
            text = to_json([r.to_json() for r in select(result)])
    except (NeedsWrite, InventoryError):
        return None
    sys.stdout.write(text + "\n")
    return 0
