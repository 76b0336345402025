"""Every expected failure of interpdb, and the one place that words them for a terminal.

A module that imports nothing: the click-free entry point (``interpdb._fast``) and
the click CLI (``interpdb.cli``) both turn an exception into lines and an exit code
with :func:`report`, so the two can never word a failure differently.

The hierarchy::

    InventoryError            an expected failure, one line (exit 1)
    ├── UsageError            a malformed argument (exit 2)
    │   └── BadRequest        a ``find`` request that cannot mean anything
    ├── StoreError            the database cannot be opened, migrated or written
    │   └── ReadOnlyStore     a write was needed and the store is read-only
    ├── QueryError            ``interpdb sql`` refused the query or the database rejected it
    └── TransferError         a document ``export`` cannot write or ``import`` refuses
    Interrupted               SIGINT, SIGTERM or SIGHUP arrived (exit 128 + signal)
    NeedsWrite                not an error: the fast path hands over to the full CLI
    OutputError               stdout could not be written (``flush_output`` says what that means)
"""

from __future__ import annotations

#: Annotations only: this module imports nothing at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any


class InventoryError(Exception):
    """An expected failure with a one-line message (bad reference, unusable database).

    ``hint`` is advice printed on a ``hint:`` line after it.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(InventoryError):
    """A malformed argument: exit 2, as click's usage errors."""

    exit_code = 2


class StoreError(InventoryError):
    """The database cannot be opened, migrated or written; the message says why."""


class ReadOnlyStore(StoreError):
    """The command must write, and the store is read-only (its file, or ``--read-only``)."""


class QueryError(InventoryError):
    """A query ``interpdb sql`` refused or the database rejected; the message is one line."""


class TransferError(InventoryError):
    """A document that cannot be exported or imported (``interpdb.transfer``); the message is one line."""


class BadRequest(UsageError):
    """Input that cannot mean anything (a malformed ``find`` request): a usage error, exit 2."""


class NeedsWrite(Exception):  # a signal to fall back, not an error
    """Raised in ``read_only`` mode where answering would probe, migrate or write."""


class Interrupted(BaseException):
    """A signal asked interpdb to stop (BaseException, like KeyboardInterrupt).

    ``kept`` is how many finished probes were recorded before it stopped; None where it
    stopped outside a run of probes (a warm answer, a listing, an export), which has
    nothing half-done to account for.
    """

    def __init__(self, signum: int, kept: int | None = None) -> None:
        super().__init__(signum)
        self.signum = signum
        self.kept = kept


_SIGNAL_NAMES = {1: "SIGHUP", 2: "SIGINT", 15: "SIGTERM"}


def report(error: BaseException, quiet: bool = False) -> tuple[int, list[str]]:
    """The exit code and the stderr lines for an expected failure (``quiet``, ``-q``: no
    ``hint:`` line; an error is never silenced).

    Only the exceptions above (and KeyboardInterrupt) are expected; anything else
    is a bug and deserves its traceback.
    """
    if isinstance(error, KeyboardInterrupt):
        error = Interrupted(2, getattr(error, "kept", None))
    if isinstance(error, Interrupted):
        name = _SIGNAL_NAMES.get(error.signum, f"signal {error.signum}")
        if error.kept is None:
            return 128 + error.signum, [f"error: interrupted by {name}"]
        kept = f"{error.kept} finished probe{'' if error.kept == 1 else 's'} kept"
        return 128 + error.signum, [f"error: interrupted by {name}: {kept}"]
    if isinstance(error, InventoryError):
        lines = [f"error: {error}"]
        if error.hint and not quiet:
            lines.append(f"hint: {error.hint}")
        return error.exit_code, lines
    raise error


def stop_on_signals() -> Callable[[], None]:
    """From now on SIGTERM and SIGHUP raise :class:`Interrupted`, as Ctrl-C raises
    KeyboardInterrupt (unless ignored); returns what puts the previous handlers back.

    Python runs the handler between two bytecodes: a wait inside SQLite for a store another
    program holds locked (up to its five-second busy timeout) ends before the handler runs.

    Through ``_signal``: ``signal`` wraps the same functions and imports ``enum`` for its
    names, milliseconds of a warm answer. Outside the main thread (an embedding program)
    the signals are left to the program."""

    def stop(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    return handle_signals(("SIGTERM", "SIGHUP"), stop)


def handle_signals(names: tuple[str, ...], handler: Callable[[int, object], None]) -> Callable[[], None]:
    """``handler`` for the signals ``names`` from now on; returns what puts the previous
    handlers back. An ignored signal (``nohup``, a background job) stays ignored, as Python
    leaves SIGINT; None is a handler set outside Python, which could not be put back; outside
    the main thread the signals are the embedding program's."""
    _signal = _signals()
    previous = {}
    for name in names:
        signum = getattr(_signal, name, None)
        current = None if signum is None else _signal.getsignal(signum)
        if current is None or current == _signal.SIG_IGN:
            continue
        try:  # noqa: SIM105 (no contextlib import for a warm answer)
            previous[signum] = _signal.signal(signum, handler)
        except ValueError:  # not the main thread
            pass

    def restore() -> None:
        for signum, before in previous.items():
            _signal.signal(signum, before)

    return restore


def _signals() -> Any:
    try:
        import _signal  # type: ignore[import-not-found]  # signal's C half, no stubs of its own
    except ImportError:  # a Python without it (PyPy)
        import signal as _signal
    return _signal


class SignalsHeld:
    """``with SignalsHeld():`` Ctrl-C, SIGTERM and SIGHUP wait until the block is done.

    For a write of finished probes: cut in half by an exception, it leaves a module half
    imported (the first write imports the ORM) or a batch committed but not counted. The
    first signal that arrived meets, on the way out, the handler it would have met at once
    (KeyboardInterrupt, or ``Interrupted`` through ``stop_on_signals``). A second one meets
    it at once: a write that waits on a server's lock can still be stopped. Only a signal
    with a Python handler waits, and only in the main thread (where handlers run); after
    the block, a handler left installed (a signal between two restores) passes it on.
    """

    def __enter__(self) -> SignalsHeld:
        self._signal = _signals()
        self.previous: dict[int, Callable[[int, Any], Any]] = {}
        self.held: list[tuple[int, Any]] = []
        self.done = False
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            signum: int | None = getattr(self._signal, name, None)
            if signum is None:
                continue
            handler = self._signal.getsignal(signum)
            if not callable(handler):  # ignored, the default action, or set outside Python
                continue
            try:
                self._signal.signal(signum, self._hold)
            except ValueError:  # not the main thread
                break
            self.previous[signum] = handler
        return self

    def _hold(self, signum: int, frame: Any) -> None:
        if self.done or self.held:
            self.previous[signum](signum, frame)
        else:
            self.held.append((signum, frame))

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.done = True
        for signum, handler in self.previous.items():
            self._signal.signal(signum, handler)
        if self.held and kind is None:
            signum, frame = self.held[0]
            self.previous[signum](signum, frame)


class OutputError(Exception):
    """Writing the data on stdout failed (``error``): a closed pipe or a full disk, not a bug."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


def write_output(text: str) -> None:
    """Data on stdout, flushed at once: a failure to write it is an ``OutputError``, which
    the entry points hand to :func:`flush_output`."""
    import sys

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as error:
        raise OutputError(error) from None


def write_pieces(pieces: Iterable[str], *, flush_at: int = 1 << 16) -> None:
    """Data on stdout from pieces rendered as they come, then one newline, flushed every
    ``flush_at`` characters or so (``write_output``): a long listing is never held whole,
    and costs a write call every few dozen records rather than one each. Only warm reads
    stream this way (the records come from the store, milliseconds apart); a failure
    part-way writes what was rendered before it is raised."""
    held: list[str] = []
    size = 0
    try:
        for piece in pieces:
            held.append(piece)
            size += len(piece)
            if size >= flush_at:
                write_output("".join(held))
                held, size = [], 0
    except NeedsWrite:
        raise  # the full CLI answers from the top: nothing of this answer is printed twice
    except BaseException:
        if held:  # what was rendered before the failure is written, as a piece at a time was
            write_output("".join(held))
        raise
    held.append("\n")
    write_output("".join(held))


def standard_streams() -> None:
    """Give the streams a shell closed (``<&-``, ``>&-``, ``2>&-``; Python leaves them None)
    something to use, at the start of a command.

    Their file descriptors are taken by ``/dev/null`` first, so that no file opened later
    (the store, a lock file) gets descriptor 1 and receives what is meant for stdout.
    Without stdin, ``sql -`` and ``import -`` read nothing. Without stderr, notes and errors
    go nowhere: nothing could show them. Without stdout, every write fails as one to a
    closed descriptor does (EBADF), so a command with output says so in one line and exits
    1, as for a full disk (``flush_output``), and a command without output is not disturbed.
    """
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        # An encoding that cannot write every character (PYTHONIOENCODING=ascii, a Latin-1
        # terminal) writes the rest as \xe9 escapes: a traceback lost the other rows.
        if stream is not None and getattr(stream, "errors", "strict") == "strict":
            encoding = (getattr(stream, "encoding", "") or "").lower().replace("-", "").replace("_", "")
            if encoding not in ("utf8", "utf8sig") and hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="backslashreplace")
    closed = [fd for fd, stream in enumerate((sys.stdin, sys.stdout, sys.stderr)) if stream is None]
    if not closed:
        return  # the usual case, at the start of every command
    for fd in closed:  # lowest first: os.open takes the lowest free descriptor
        held = os.open(os.devnull, os.O_RDWR)
        if held != fd:
            os.dup2(held, fd)
            os.close(held)
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115 (open for the whole process)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (open for the whole process)
    if sys.stdout is None:
        import io

        class ClosedOutput(io.TextIOBase):
            encoding = "utf-8"  # click reads these of a text stream
            errors = "strict"

            def writable(self) -> bool:
                return True

            def write(self, text: str) -> int:
                import errno

                raise OSError(errno.EBADF, os.strerror(errno.EBADF))

        sys.stdout = ClosedOutput()


def flush_output(code: int, error: OSError | None = None) -> int:
    """Flush stdout at the end of a command and return the exit code to end with.

    ``error``: a write to stdout already failed with it. A reader that stopped reading
    (``interpdb list | head``: EPIPE) ends the command quietly with ``code``, as if it had
    read everything. Output that cannot be written (``> /dev/full``, a full disk) is one
    ``error:`` line on stderr and exit 1. Either way stdout then points at ``/dev/null``,
    so the interpreter's own last flush has nothing left to fail on.
    """
    import os
    import sys

    if error is None:
        try:
            sys.stdout.flush()
            return code
        except OSError as failed:
            error = failed
    if not isinstance(error, BrokenPipeError):
        sys.stderr.write(f"error: cannot write the output: {error.strerror or error}\n")
        code = 1
    from contextlib import suppress

    with suppress(OSError, ValueError):  # ValueError: no file descriptor (a replaced stdout)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code
