"""What the commands share: the app state, option decorators, and output helpers."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from interpdb.errors import write_output, write_pieces
from interpdb.records import MAX_ID

if TYPE_CHECKING:
    from interpdb.policy import Refresh
    from interpdb.records import Record
    from interpdb.service import Inventory

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppState:
    db: str | None
    quiet: bool
    verbose: int
    read_only: bool = False

    def inventory(self, timeout: float | None = None, jobs: int | None = None, fmt: str = "table") -> Inventory:
        from interpdb.probe import DEFAULT_TIMEOUT
        from interpdb.service import Inventory

        argv = click.get_current_context().meta.get("interpdb.argv", sys.argv[1:])
        command = recorded_command(argv)
        progress = ProgressBar() if _progress_wanted(fmt, self.quiet) else None
        return Inventory(
            self.db,
            timeout=timeout or DEFAULT_TIMEOUT,
            jobs=jobs,
            command=command,
            progress=progress,
            read_only=self.read_only,
        )

    def note(self, message: str) -> None:
        """A ``note:`` line for people (stderr), control characters escaped; ``-q`` silences it."""
        if not self.quiet:
            message_line(message, "note")

    def hint(self, message: str) -> None:
        if not self.quiet:
            message_line(message, "hint")


def message_line(message: str, prefix: str = "") -> None:
    """One line on stderr, ``prefix: `` first (``error``, ``hint``, ``note``), untrusted text escaped."""
    from interpdb.render import safe

    click.echo(f"{prefix}: {safe(message)}" if prefix else safe(message), err=True)


def error(message: str) -> None:
    """``error: ...`` on stderr: always printed, whatever ``-q`` says."""
    message_line(message, "error")


def recorded_command(argv: Sequence[str]) -> str:
    """The command line stored with each probe: no password, and storable whatever argv held.

    A URL's password and any ``password=`` value become ``***``; an argument that is
    not UTF-8 (an undecodable path) is kept with its odd bytes as ``\\xff`` escapes,
    where storing it raw would fail the whole command.
    """
    from interpdb.location import hide_password

    words = [os.fsencode(arg).decode("utf-8", "backslashreplace") for arg in argv]
    return " ".join(["interpdb", *(hide_password(word) for word in words)])


def _progress_wanted(fmt: str, quiet: bool) -> bool:
    """Only for a person watching: stderr and stdout on a terminal, and not JSON."""
    return fmt not in ("json", "ndjson") and not quiet and sys.stderr.isatty() and sys.stdout.isatty()


class ProgressBar:
    """``probing [#####---------------] 12/40 3.1s`` on stderr, redrawn in place, erased when done.

    Shown only when more than a handful of probes are due. The elapsed time moves
    on its own (a ticker thread) so a slow probe does not look like a hang.
    """

    THRESHOLD = 5
    BAR = 20
    TICK = 0.25

    def __init__(self, stream: Any = None) -> None:
        import threading

        self._stream = stream if stream is not None else sys.stderr
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._total = self._done = self._drawn = 0
        self._started: float | None = None
        self._ticker: threading.Thread | None = None

    def start(self, total: int) -> None:
        if total <= self.THRESHOLD:
            return
        import threading
        import time

        self._total, self._done, self._started = total, 0, time.monotonic()
        self._stop.clear()
        self._draw()
        self._ticker = threading.Thread(target=self._tick, name="interpdb-progress", daemon=True)
        self._ticker.start()

    def advance(self, count: int) -> None:
        if self._started is not None:
            self._done = min(self._total, self._done + count)
            self._draw()

    def finish(self) -> None:
        if self._started is None:
            return
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            self._stream.write("\r" + " " * self._drawn + "\r")  # the line is left blank, the cursor at its start
            self._stream.flush()
            self._started, self._drawn = None, 0

    def line(self) -> str:
        """The bar as drawn now."""
        import time

        filled = self.BAR * self._done // self._total if self._total else 0
        elapsed = time.monotonic() - self._started if self._started is not None else 0.0
        return f"probing [{'#' * filled}{'-' * (self.BAR - filled)}] {self._done}/{self._total} {elapsed:.1f}s"

    def _draw(self) -> None:
        with self._lock:
            if self._started is None:
                return
            text = self.line()
            self._stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
            self._stream.flush()
            self._drawn = max(self._drawn, len(text))

    def _tick(self) -> None:
        while not self._stop.wait(self.TICK):
            self._draw()


def ref_callback(_ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An id beyond any integer column, or an empty PATH|ID (``show ''`` looked at the
    working folder), is a usage error, not a failed query."""
    for ref in value if isinstance(value, tuple) else [value]:
        if ref == "":
            raise click.BadParameter("is empty: name an interpreter's path or its id")
        if isinstance(ref, str) and ref.isascii() and ref.isdigit() and int(ref) > MAX_ID:
            raise click.BadParameter(f"{ref} is out of range for an interpreter id (at most {MAX_ID})")
    return value


def duration_callback(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    from interpdb.policy import parse_duration

    try:
        return parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@dataclass(frozen=True)
class RunOptions:
    """The refresh flags of one command, parsed once: the policy, and how probes run."""

    policy: Refresh
    timeout: float
    jobs: int | None


class _Seconds(click.FloatRange):
    """A number of seconds from 0.1 to a day. NaN passes any range check, and the poll that
    waits on a probe takes no more than about 24 days (an OverflowError past that)."""

    name = "number of seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # NaN
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


_TIMEOUT = _Seconds(min=0.1, max=86400.0)


def refresh_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--refresh``, ``--refresh-interpreter``, ``--offline``, ``--max-age``, ``--timeout``, ``--jobs``.

    The command receives them as one ``run: RunOptions`` argument.
    """

    @functools.wraps(func)
    def with_run_options(
        *args: Any,
        refresh: bool,
        refresh_interpreters: tuple[str, ...],
        offline: bool,
        max_age: timedelta | None,
        timeout: float,
        jobs: int | None,
        **kwargs: Any,
    ) -> Any:
        policy = build_policy(refresh, refresh_interpreters, offline, max_age)
        return func(*args, run=RunOptions(policy, timeout, jobs), **kwargs)

    options = [
        click.option("--refresh", is_flag=True, help="Re-probe every interpreter this command touches."),
        click.option(
            "--refresh-interpreter",
            "refresh_interpreters",
            metavar="PATH",
            multiple=True,
            help="Re-probe this interpreter whatever its fingerprint says (repeatable).",
        ),
        click.option(
            "--offline", is_flag=True, help="Run no interpreter: answer from the store, marking changed rows stale."
        ),
        click.option(
            "--max-age",
            metavar="DURATION",
            callback=duration_callback,
            help="Also re-probe what was last probed longer ago than this (90s, 15m, 12h, 7d, 2w).",
        ),
        click.option(
            "--timeout",
            type=_TIMEOUT,
            metavar="SECONDS",
            default=10.0,
            show_default=True,
            help="Seconds a probe may take before it counts as hung.",
        ),
        click.option("--jobs", "-j", type=click.IntRange(min=1), help="Probes to run at once [default: CPU count]."),
    ]
    decorated: Callable[..., Any] = with_run_options
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


class HostChoice:
    """``--host NAME_OR_ID`` (repeatable) and ``--all-hosts``: which hosts' rows a command shows.

    Neither: this host's. This host's rows are revalidated as always; another
    host's are shown as last recorded there (status ``remote``), never checked or
    probed from here.
    """

    __slots__ = ("all", "names")

    def __init__(self, names: tuple[str, ...], all_hosts: bool) -> None:
        self.names = names
        self.all = all_hosts

    @property
    def others(self) -> bool:
        """Does the choice reach beyond this host?"""
        return self.all or bool(self.names)

    def includes(self, inventory: Inventory) -> bool:
        """Is this host among those chosen?"""
        return not self.names or any(inventory.host.matches(name) for name in self.names)

    def unknown(self, inventory: Inventory) -> list[str]:
        """Hints for each ``--host`` that names no host in the store (a typo), for a command
        whose empty answer would otherwise read as "nothing there"."""
        if not self.names:
            return []
        known = {value for row in inventory.hosts() for value in (row["host_id"], row["host"])}
        return [
            f"no host {name!r} in the store; `interpdb hosts` lists them"
            for name in self.names
            if name not in known and not inventory.host.matches(name)
        ]

    def remote(self, inventory: Inventory, include_forgotten: bool = False) -> list[Record]:
        """The other hosts' records chosen, as stored (status ``remote``)."""
        if not self.others:
            return []
        names = [n for n in self.names if not inventory.host.matches(n)]
        if self.names and not names:
            return []
        return inventory.remote(names or None, include_forgotten=include_forgotten)


def host_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--host NAME_OR_ID`` (repeatable) and ``--all-hosts``, as one ``hosts: HostChoice`` argument."""

    @functools.wraps(func)
    def with_hosts(*args: Any, host_names: tuple[str, ...], all_hosts: bool, **kwargs: Any) -> Any:
        if all_hosts and host_names:
            raise click.UsageError("--host and --all-hosts cannot be used together")
        return func(*args, hosts=HostChoice(host_names, all_hosts), **kwargs)

    decorated: Callable[..., Any] = click.option(
        "--all-hosts", is_flag=True, help="Every host in the store, not only this one (see `interpdb hosts`)."
    )(with_hosts)
    return click.option(
        "--host",
        "host_names",
        metavar="NAME_OR_ID",
        multiple=True,
        help="This host (a name or an id, repeatable) instead of the current one; "
        "another host's rows are shown as stored there.",
    )(decorated)


def build_policy(
    refresh: bool, refresh_interpreters: Sequence[str], offline: bool, max_age: timedelta | None
) -> Refresh:
    from interpdb.policy import Refresh

    try:
        return Refresh.from_flags(refresh, refresh_interpreters, offline, max_age)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _format(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    from interpdb.render import FORMATS, table_formats

    if value in FORMATS or value in table_formats():
        return value
    raise click.BadParameter(f"{value!r}: use table, json, ndjson, csv or a tabulate format name")


def _document_format(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``--format`` of a command that prints one document, which has no CSV form."""
    if value == "csv":
        raise click.BadParameter(
            f"`interpdb {ctx.info_name}` prints one document, not rows: use json, ndjson or a table format"
        )
    return _format(ctx, param, value)


def _complete_format(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion: the three formats first, then tabulate's table styles."""
    from interpdb.render import FORMATS, table_formats

    names = [*FORMATS, *(name for name in table_formats() if name not in FORMATS)]
    return [name for name in names if name.startswith(incomplete)]


def _complete_document_format(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    return [name for name in _complete_format(ctx, param, incomplete) if name != "csv"]


@dataclass(frozen=True)
class Output:
    """How a listing is printed, parsed once: the format, ``--wide``, the ``--columns`` asked for."""

    fmt: str = "table"
    wide: bool = False
    columns: tuple[str, ...] | None = None

    @property
    def machine(self) -> bool:
        return self.fmt in ("json", "ndjson")


def format_option(
    *, columns: Sequence[str] | None = (), rows: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format``, ``--json``, ``--wide`` and (unless ``columns`` is None) ``--columns``.

    The command receives them as one ``output: Output`` argument. ``columns``
    names the columns ``--columns`` may choose (empty: any name, checked later).
    ``rows=False``: the command prints one document (``show``), so no CSV.
    """

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_output(*args: Any, fmt: str, json_flag: bool, wide: bool, chosen: str | None = None, **kw: Any) -> Any:
            ctx = click.get_current_context()
            if json_flag:
                if ctx.get_parameter_source("fmt") is not click.core.ParameterSource.DEFAULT and fmt != "json":
                    raise click.UsageError(f"--json is --format json: it cannot go with --format {fmt}")
                fmt = "json"
            picked = _columns(chosen, columns or (), fmt)
            return command(*args, output=Output(fmt, wide, picked), **kw)

        options = [
            click.option(
                "--format",
                "fmt",
                default="table",
                show_default=True,
                callback=_format if rows else _document_format,
                shell_complete=_complete_format if rows else _complete_document_format,
                metavar="FORMAT",
                help=f"table, json, ndjson (one object a line), {'csv, ' if rows else ''}"
                "or a tabulate format (github, plain, grid...).",
            ),
            click.option("--json", "json_flag", is_flag=True, help="The same as --format json."),
            click.option("--wide", is_flag=True, help="Every column, nothing shortened, whatever the width."),
        ]
        if columns is not None:
            names = f" ({', '.join(columns)})" if columns else ""
            options.append(
                click.option(
                    "--columns",
                    "chosen",
                    metavar="NAME,...",
                    help=f"The table and CSV columns to print, in this order{names}.",
                )
            )
        decorated: Callable[..., Any] = with_output
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


def _columns(chosen: str | None, allowed: Sequence[str], fmt: str) -> tuple[str, ...] | None:
    if chosen is None:
        return None
    if fmt in ("json", "ndjson"):
        raise click.UsageError(f"--columns chooses table and CSV columns; --format {fmt} prints whole records")
    names = tuple(n.strip() for n in chosen.split(",") if n.strip())
    if not names:
        raise click.BadParameter("name at least one column", param_hint="'--columns'")
    unknown = [n for n in names if allowed and n not in allowed]
    if unknown:
        raise click.BadParameter(
            f"no column {unknown[0]!r}; choose from {', '.join(allowed)}", param_hint="'--columns'"
        )
    return names


def emit(text: str) -> None:
    """A line of data on stdout, exactly as given (a CSV cell or ``find``'s path may hold what
    looks like an ANSI sequence: tables are escaped already), flushed (``errors.write_output``)."""
    if text:
        write_output(text + "\n")


def emit_pieces(pieces: Iterable[str]) -> None:
    """Data on stdout as ``emit`` writes it (then one newline), from pieces written as they
    come (``errors.write_pieces``)."""
    write_pieces(pieces)


def emit_lines(lines: Iterable[str]) -> None:
    """Each line written and flushed as it comes: a reader of ``--format ndjson`` sees rows as they are made."""
    for line in lines:
        write_output(line + "\n")
