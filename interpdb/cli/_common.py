"""What the commands share: the app state, option decorators, and output helpers."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from interpdb.policy import Refresh
    from interpdb.service import Inventory

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppState:
    db: str | None
    quiet: bool
    verbose: int

    def inventory(self, timeout: float | None = None, jobs: int | None = None, fmt: str = "table") -> Inventory:
        from interpdb.probe import DEFAULT_TIMEOUT
        from interpdb.service import Inventory

        argv = click.get_current_context().meta.get("interpdb.argv", sys.argv[1:])
        command = recorded_command(argv)
        progress = ProgressBar() if _progress_wanted(fmt, self.quiet) else None
        return Inventory(self.db, timeout=timeout or DEFAULT_TIMEOUT, jobs=jobs, command=command, progress=progress)

    def note(self, message: str) -> None:
        """A message for people (stderr); ``-q`` silences it."""
        if not self.quiet:
            click.echo(message, err=True)

    def hint(self, message: str) -> None:
        self.note(f"hint: {message}")


def recorded_command(argv: Sequence[str]) -> str:
    """The command line stored with each probe: no password, and storable whatever argv held.

    A URL's password and any ``password=`` value become ``***``; an argument that is
    not UTF-8 (an undecodable path) is kept with its odd bytes as ``\\xff`` escapes,
    where storing it raw would fail the whole command.
    """
    from interpdb.reader import hide_password

    words = [os.fsencode(arg).decode("utf-8", "backslashreplace") for arg in argv]
    return " ".join(["interpdb", *(hide_password(word) for word in words)])


def _progress_wanted(fmt: str, quiet: bool) -> bool:
    """Only for a person watching: stderr and stdout on a terminal, and not JSON."""
    return fmt != "json" and not quiet and sys.stderr.isatty() and sys.stdout.isatty()


class ProgressBar:
    """click's progress bar on stderr, shown only when more than a handful of probes are due."""

    THRESHOLD = 5

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, total: int) -> None:
        if total > self.THRESHOLD:
            self._bar = click.progressbar(length=total, label="probing", file=sys.stderr)
            self._bar.__enter__()

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


#: The largest id an interpreter can have (SQLite and PostgreSQL integers are 64-bit at most).
MAX_ID = 2**63 - 1


def ref_callback(_ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An id beyond any integer column is a usage error, not a failed query."""
    for ref in value if isinstance(value, tuple) else [value]:
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
            type=click.FloatRange(min=0.1),
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
    raise click.BadParameter(f"{value!r}: use table, json, csv or a tabulate format name")


def format_option(func: F) -> F:
    return click.option(
        "--format",
        "fmt",
        default="table",
        show_default=True,
        callback=_format,
        metavar="FORMAT",
        help="table, json, csv, or any tabulate format (github, plain, grid...).",
    )(func)


def emit(text: str) -> None:
    if text:
        click.echo(text)
