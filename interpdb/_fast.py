"""The ``interpdb`` console entry point, with a click-free path for warm reads.

``find``, ``list``, ``history`` and ``sql`` with JSON output are what tools call
in loops, and they are meant to cost less than running the interpreter they
describe; the tables of ``list``, ``show`` and ``history`` are what people ask.
Python's start-up plus ``import click`` alone costs more than probing a fast
interpreter, so these forms are answered here without click. Any other
form, or any answer that would need a probe or a write
(``Inventory(hand_over_writes=True)`` raises ``NeedsWrite``), hands over to the
full click CLI, which starts again from the top. The fast path only parses: it
calls the very functions the click commands call (``Inventory``, ``showing``, the
``sql`` sandbox), reaches the store through the same gate, and words failures with the
same ``errors.report``, so it can never decide anything differently. The parity
tests in ``tests/test_warm_path.py`` hold it to that.

Accepted forms (anything else goes to click), each after ``interpdb [--db X] [--read-only] [-q]``::

    find [REQUEST] [--format path|json|ndjson] [--json] [--no-venv] [--no-discover]
         [--implementation NAME] [--arch MACHINE]
    list [--format table|json|ndjson] [--json] [--wide] [--no-discover] [--implementation NAME]
         [--version REQUEST] [--venv|--no-venv] [--status S]... [--all] [--aliases]
    show PATH|ID [--format table|json|ndjson] [--json] [--wide]
    history [PATH|ID] [--format table|json|ndjson] [--json] [--wide] [--limit N]
            [--trigger NAME] [--host NAME] [--diff]
    sql QUERY --format json|--json [--param NAME=VALUE]...

A read-only store gives ``find``, ``list`` and ``show`` a note to print (nothing is
probed, changed rows are shown stale), so with it they are answered by click.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from interpdb.service import Inventory

#: command -> (value options and their allowed values (None: any), flags,
#: repeatable options, whether a positional argument is required / allowed)
_SPECS: dict[str, tuple[dict[str, tuple[str, ...] | None], set[str], set[str], bool, bool]] = {
    "find": (
        {"--format": ("path", "json", "ndjson"), "--implementation": None, "--arch": None},
        {"--no-venv", "--no-discover", "--json"},
        set(),
        False,
        True,
    ),
    "list": (
        {"--format": ("table", "json", "ndjson"), "--implementation": None, "--version": None},
        {"--no-discover", "--json", "--wide", "--venv", "--no-venv", "--all", "--aliases"},
        {"--status"},
        False,
        False,
    ),
    "show": ({"--format": ("table", "json", "ndjson")}, {"--json", "--wide"}, set(), True, True),
    "history": (
        {"--format": ("table", "json", "ndjson"), "--limit": None, "--trigger": None, "--host": None},
        {"--diff", "--json", "--wide"},
        set(),
        False,
        True,
    ),
    "sql": ({"--format": ("json", "ndjson")}, {"--json"}, {"--param", "-p"}, True, True),
}


class _Parsed:
    __slots__ = ("argument", "command", "db", "flags", "options", "quiet", "read_only", "repeated")

    def __init__(self, db: str | None, command: str, read_only: bool = False, quiet: bool = False) -> None:
        self.db = db
        self.read_only = read_only
        self.quiet = quiet
        self.command = command
        self.options: dict[str, str] = {}
        self.flags: set[str] = set()
        self.repeated: list[str] = []
        self.argument: str | None = None


def main() -> None:
    from interpdb.errors import Interrupted, flush_output, report, standard_streams, stop_on_signals

    standard_streams()  # streams the shell closed (``>&-``...), which Python leaves None
    restore = stop_on_signals()  # SIGTERM, SIGHUP: the full CLI's one line, as Ctrl-C
    try:
        code = fast(sys.argv[1:])
    except (KeyboardInterrupt, Interrupted) as stopped:  # stopped during a warm answer
        code, lines = report(stopped)
        sys.stderr.write("".join(f"{line}\n" for line in lines))
    finally:
        restore()  # click sets its own while it runs a command
    if code is None:
        from interpdb.cli import main as full

        full()
        return
    code = flush_output(code)
    sys.stderr.flush()
    # A warm answer holds nothing that needs closing (its connection was read-only and is
    # closed, nothing is registered with atexit), so it ends without the interpreter's
    # teardown of about a hundred modules: about a tenth of its time.
    import os

    os._exit(code)


def parse(argv: Sequence[str]) -> _Parsed | None:
    """The parsed form when the fast path takes ``argv``, else None."""
    args = list(argv)
    db = None
    read_only = quiet = False
    while args and args[0].startswith("-"):
        head = args.pop(0)
        if head == "--db" and args:
            db = args.pop(0)
        elif head.startswith("--db="):
            db = head[len("--db=") :]
        elif head == "--read-only":
            read_only = True
        elif head in ("-q", "--quiet"):
            quiet = True
        else:
            return None
    if db == "" or not args or args[0] not in _SPECS:
        return None  # --db "": a usage error, which click words
    parsed = _Parsed(db, args.pop(0), read_only, quiet)
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
            if not eq and value.startswith("-") and value != "-":
                return None  # an option where a value belongs: left to click, whose versions differ here
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
    if "--json" in parsed.flags and parsed.options.setdefault("--format", "json") != "json":
        return None  # --json with another --format: the full CLI says it is a usage error
    if parsed.command == "sql" and parsed.options.get("--format") not in ("json", "ndjson"):
        return None  # its tables and notes: the full CLI draws them
    return parsed


def fast(argv: Sequence[str]) -> int | None:
    """Answer ``argv`` without click and return the exit code, or None to hand over."""
    parsed = parse(argv)
    if parsed is None:
        return None
    from interpdb.errors import (
        InventoryError,
        NeedsWrite,
        OutputError,
        flush_output,
        report,
        write_output,
        write_pieces,
    )

    try:
        text = _answer(parsed)
        if text is None:
            return None
        if isinstance(text, str):
            write_output(text + "\n")
        else:
            write_pieces(text)  # a long listing, written as it is rendered
    except NeedsWrite:
        return None  # the full CLI probes or writes
    except OutputError as failed:
        return flush_output(0, failed.error)
    except InventoryError as error:
        from interpdb.render import safe

        code, lines = report(error, parsed.quiet)
        sys.stderr.write("".join(f"{safe(line)}\n" for line in lines))
        return code
    return 0


def _answer(parsed: _Parsed) -> str | Iterator[str] | None:
    """The same calls the click commands make (``interpdb.cli``), minus click; a long
    listing as pieces of text to write as they come."""
    from interpdb.render import render

    options, flags = parsed.options, parsed.flags
    if parsed.command == "sql":
        # The same sandbox as ``interpdb sql``; no fingerprint to check, so no service.
        from interpdb.store.sandbox import bindings, query_records

        if parsed.argument is None or parsed.argument == "-":
            return None
        from interpdb.location import resolve

        try:
            params = bindings(parsed.repeated)
        except ValueError:
            return None  # a usage error: click words it
        rows = query_records(resolve(parsed.db), parsed.argument, params, parsed.read_only)
        return render(rows, options["--format"]) or None  # empty ndjson: the full CLI prints nothing
    from interpdb.service import Inventory

    with Inventory(parsed.db, read_only=parsed.read_only, hand_over_writes=True) as inventory:
        if parsed.command == "history":
            return _history(inventory, parsed)
        if parsed.command == "find":
            best, considered = inventory.find(
                parsed.argument or "any",
                implementation=options.get("--implementation"),
                arch=options.get("--arch"),
                allow_venv="--no-venv" not in flags,
                discover="--no-discover" not in flags,
            )
            if best is None or considered.notes:
                return None  # the full CLI words the "nothing matches" message, and the notes
            fmt = options.get("--format", "path")
            if fmt == "path":
                from interpdb.render import plain

                return plain(best.path)
            return render([], fmt, document=[best.document()] if fmt == "ndjson" else best.document())
        if parsed.command == "show":
            from interpdb.showing import render_shown, revalidated

            ref = parsed.argument
            assert ref is not None  # parse() requires it
            if _beyond_any_id(ref):
                return None  # a usage error: click words it
            result, record, probes = revalidated(inventory, ref, None)
            if record is None or result.problems or result.notes or result.failed:
                return None  # the full CLI prints the record, then the notes and the problems
            return render_shown(record, probes, options.get("--format", "table"), "--wide" in flags)
        if parsed.command == "list":
            return _list(inventory, parsed)
    raise AssertionError(f"no fast path for {parsed.command}")  # parse() admits only the above


def _beyond_any_id(ref: str) -> bool:
    """An id no integer column holds, or an empty ref: click calls them usage errors
    (``cli._common.ref_callback``)."""
    from interpdb.records import MAX_ID

    return ref == "" or (ref.isascii() and ref.isdigit() and int(ref) > MAX_ID)


def _list(inventory: Inventory, parsed: _Parsed) -> str | Iterator[str] | None:
    """``list`` exactly as ``interpdb.cli.list_cmd`` asks ``Inventory.list`` and ``select`` for it."""
    from interpdb.listing import render_records, select, stream_records
    from interpdb.records import STATUSES

    options, flags = parsed.options, parsed.flags
    if "--venv" in flags and "--no-venv" in flags:
        return None  # click takes the last one given: it says which
    if any(status not in STATUSES for status in parsed.repeated):
        return None  # a usage error: click words it
    version = options.get("--version")
    wanted = None
    if version is not None:
        from interpdb.request import parse_request

        try:
            wanted = parse_request(version, options.get("--implementation"))
        except ValueError:
            return None  # a usage error (or one conflicting with --implementation): click words it
    # Light records unless --version asks about what only their answers hold (markers, libc).
    result = inventory.list(discover="--no-discover" not in flags, light=wanted is None)
    if not result.records or result.problems or result.notes:
        return None  # the full CLI prints the hint, the notes and the problems
    records = select(
        result,
        implementation=options.get("--implementation"),
        request=wanted,
        venv=True if "--venv" in flags else False if "--no-venv" in flags else None,
        statuses=tuple(parsed.repeated),
        show_all="--all" in flags,
        per_path="--aliases" in flags,
    )
    fmt = options.get("--format", "table")
    if fmt in ("json", "ndjson"):
        if not records and fmt == "ndjson":
            return None  # nothing to print: the full CLI decides what to say
        return stream_records(inventory.answers(records), fmt)
    text = render_records(records, fmt, wide="--wide" in flags)  # the table reads no answers
    return text or None  # nothing to print: the full CLI decides what to say


def _history(inventory: Inventory, parsed: _Parsed) -> str | None:
    """``history`` exactly as ``interpdb.cli.history_cmd`` asks ``Inventory.history`` for it."""
    from interpdb.records import MAX_ID, TRIGGERS
    from interpdb.render import render

    options = parsed.options
    if parsed.argument is not None and _beyond_any_id(parsed.argument):
        return None  # a usage error: click words it
    limit = options.get("--limit")
    if limit is not None and (not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= MAX_ID):
        return None  # a usage error: the full CLI says so
    if options.get("--trigger", TRIGGERS[0]) not in TRIGGERS:
        return None  # a usage error: the full CLI says so
    host = options.get("--host")
    events = inventory.history(
        parsed.argument,
        trigger=options.get("--trigger"),
        limit=int(limit) if limit else None,
        hosts=None if host is None else [host],
        with_diff="--diff" in parsed.flags,
    )
    fmt = options.get("--format", "table")
    if fmt == "table":
        if not events:
            return None  # the full CLI says that no probes are recorded (that match)
        from interpdb.auditing import render_history

        return render_history(
            events,
            fmt,
            one_interpreter=parsed.argument is not None,
            wide="--wide" in parsed.flags,
            with_diff="--diff" in parsed.flags,
        )
    return render([], fmt, document=[e.to_json() for e in events]) or None  # empty ndjson
