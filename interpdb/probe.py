"""Run the probe script inside a target interpreter and turn what it prints into a result.

One subprocess per interpreter, started from an argument list (never a shell), with
``-E`` so the caller's ``PYTHON*`` variables do not colour the answer, from an empty
working directory, in its own session; nothing it starts outlives it
(``interpdb.contain``). Output is capped; the answer is read from between the
markers of a token chosen per run and checked against its declared shape
(``interpdb.answer``); anything else is an error with a one-line reason.
"""

from __future__ import annotations

import os
import stat
import time
from functools import lru_cache

from interpdb import fingerprint
from interpdb._frozen import frozen
from interpdb.fingerprint import LAYOUT

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Any

    from interpdb.fingerprint import Entry

DEFAULT_TIMEOUT = 10.0
OUTPUT_LIMIT = 4 * 1024 * 1024  # a real probe prints ~10 KiB; 4 MiB is garbage
STDERR_TAIL = 400

_SCRIPT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_probe_script.py")


@lru_cache(maxsize=1)
def script_source() -> str:
    with open(_SCRIPT_PATH, encoding="utf-8") as handle:
        return handle.read()


@lru_cache(maxsize=1)
def script_hash() -> str:
    """A digest of the probe script: part of every fingerprint, so a new probe re-probes.

    It covers the fingerprint's ``LAYOUT`` too: when ``take`` learns to record more,
    rows taken before are re-probed once (trigger ``probe-changed``) to record it.
    A checksum plus the length rather than SHA-256 or CRC-32: it only has to notice
    our own edits, and every warm command computes it, so it must not load
    ``hashlib`` or ``zlib`` (extension modules, each a shared library to map). The
    bytes read as one number modulo the prime 2**61 - 1: two sources of one length
    give the same value only when they differ by a multiple of that prime.
    """
    source = f"{script_source()}\n# fingerprint layout {LAYOUT}\n".encode()
    return f"{int.from_bytes(source, 'little') % (2**61 - 1):016x}{len(source):08x}"


@frozen
class ProbeResult:
    """What one run of the probe gave: ``data`` on success, ``error`` otherwise."""

    data: dict[str, Any] | None
    error: str | None
    duration_ms: float
    #: The path's link chain as it was before a run during which it changed: the
    #: failure is recorded under it, so the next command sees the change.
    before: tuple[Entry, ...] = ()

    @property
    def ok(self) -> bool:
        return self.data is not None


@lru_cache(maxsize=1)
def _neutral_cwd() -> str:
    """The empty folder every probe runs in: ``<tmp>/interpdb-<uid>/cwd``, 0700, kept.

    One fixed folder rather than one per process, so an interpdb killed with SIGKILL
    leaves nothing new behind. It is used only when it is this user's own, private
    and empty (what an earlier run's probes wrote into it is removed on first use);
    otherwise a fresh temporary folder is made and removed at exit. A file one probe
    writes there during a run (a ``struct.py``) cannot spoil the next probe's answer:
    the probe takes the folder off ``sys.path`` before its own imports.
    """
    import tempfile
    from contextlib import suppress

    base = os.path.join(tempfile.gettempdir(), f"interpdb-{os.getuid()}")
    folder = os.path.join(base, "cwd")
    try:
        for path in (base, folder):
            with suppress(FileExistsError):
                os.mkdir(path, 0o700)
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) & 0o077:
                raise PermissionError(path)
        for name in os.listdir(folder):
            _remove(os.path.join(folder, name))
        if os.listdir(folder):
            raise PermissionError(folder)
        return folder
    except OSError:
        import atexit
        import shutil

        fallback = tempfile.mkdtemp(prefix="interpdb-probe-")
        atexit.register(shutil.rmtree, fallback, ignore_errors=True)
        return fallback


def _remove(path: str) -> None:
    import shutil
    from contextlib import suppress

    with suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


#: The process groups of the probes running now (``kill_running`` ends them all).
_RUNNING: set[int] = set()


def kill_running() -> None:
    """Kill every probe still running (an interrupted command): no probe outlives interpdb."""
    import signal
    from contextlib import suppress

    for pgid in list(_RUNNING):
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def run_probe(path: str, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """Run ``path -E -c <probe> TOKEN`` and read the answer framed by TOKEN.

    The path's link chain is taken before and after: a file deleted, replaced or
    rewritten while it ran gave an answer that may not be its own, so that answer
    is not recorded as fresh (see ``before``).
    """
    import secrets

    from interpdb.contain import subreaper

    token = secrets.token_hex(16)
    started = time.perf_counter()
    before = fingerprint.chain(path)
    try:
        with subreaper():
            stdout, stderr, returncode, reason = _run([path, "-E", "-c", script_source(), token], timeout, token)
    except OSError as error:
        if os.path.isdir(path):
            reason = "is a directory, not an interpreter"
        elif isinstance(error, FileNotFoundError) and os.path.islink(path) and not os.path.exists(path):
            from interpdb.freshness import gone_reason

            reason = gone_reason(path)
        else:
            reason = f"cannot execute: {error.strerror or error}"
        return ProbeResult(None, reason, _ms_since(started))
    elapsed = _ms_since(started)
    after = fingerprint.chain(path)
    if after != before:
        return ProbeResult(None, _moved(before, after), elapsed, tuple(before))
    if reason is not None:
        return ProbeResult(None, reason, elapsed)
    return _read_answer(stdout, stderr, returncode, elapsed, token)


def _moved(before: list[Entry], after: list[Entry]) -> str:
    """One line: what happened to the file while it was probed."""
    if before[-1].exists and not after[-1].exists:
        return "deleted while it was probed"
    if [e.path for e in before] != [e.path for e in after]:
        return "replaced while it was probed (a link now points elsewhere)"
    return "changed while it was probed"


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def _read_answer(stdout: bytes, stderr: bytes, returncode: int, elapsed: float, token: str) -> ProbeResult:
    """The probe's answer, or why this output is not one (the JSON is decoded once)."""
    from interpdb.answer import AnswerError, parse

    tail = _tail(stderr)
    if returncode < 0:
        import signal

        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return ProbeResult(None, f"killed by {name}" + (f": {tail}" if tail else ""), elapsed)
    if returncode != 0:
        return ProbeResult(None, f"exited with code {returncode}" + (f": {tail}" if tail else ""), elapsed)
    try:
        document, note = parse(stdout, token)
    except AnswerError as error:
        return ProbeResult(None, str(error), elapsed)
    if note is not None:
        document["probe_output"] = note
    return ProbeResult(document, None, elapsed)


def _tail(stderr: bytes) -> str:
    from interpdb.answer import printed_text

    text = printed_text(stderr).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last[-STDERR_TAIL:]


def _environment(token: str) -> dict[str, str]:
    """The caller's environment, as the interpreter would get it run from the caller's
    folder: the probe runs in its own folder, so the relative entries of ``PATH`` and
    ``LD_LIBRARY_PATH`` (an empty one is the working folder) and a relative ``HOME``
    or ``PYTHONUSERBASE`` are made absolute against the caller's. Else they would name the
    probe folder (where another probe may have left a ``uname`` for ``platform`` to run)
    while the fingerprint reads them from the caller's folder."""
    from interpdb import contain

    env = dict(os.environ, **{contain.MARK: token})
    try:
        here = os.getcwd()
    except OSError:  # the caller's folder is gone: nothing to resolve against
        return env
    for name in ("PATH", "LD_LIBRARY_PATH"):
        value = env.get(name)
        if value is not None and any(not os.path.isabs(entry) for entry in value.split(os.pathsep)):
            env[name] = os.pathsep.join(os.path.join(here, entry) for entry in value.split(os.pathsep))
    for name in fingerprint.USER_SITE_VARIABLES:
        value = fingerprint.user_site_variable(name)
        if value is not None:
            env[name] = value
    return env


def _run(argv: list[str], timeout: float, token: str) -> tuple[bytes, bytes, int, str | None]:
    """Run argv with a deadline and an output cap; return (stdout, stderr, code, reason).

    Reading stops when the process itself has exited (what it wrote is in the pipes
    by then) even if a child of it still holds them open; then its whole process
    group and every descendant that left it are killed (``interpdb.contain``).
    """
    import subprocess

    from interpdb import contain

    deadline = time.monotonic() + timeout
    cwd = _neutral_cwd()
    if not os.path.isdir(cwd):  # an earlier probe of this run removed it
        _neutral_cwd.cache_clear()
        cwd = _neutral_cwd()
    proc = subprocess.Popen(
        contain.die_with_parent(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        start_new_session=True,
        close_fds=True,
        env=_environment(token),
    )
    contain.started(proc.pid)
    _RUNNING.add(proc.pid)
    try:
        stdout, stderr, reason = _collect(proc, deadline)
    finally:
        # Before the process is reaped: its pid, and so its group, cannot be reused yet.
        contain.sweep(proc.pid, token)
        _RUNNING.discard(proc.pid)
        returncode = proc.wait()  # at once: it had exited, or the sweep killed it
        contain.finished(proc.pid)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    if reason == "timed out":
        reason = f"timed out after {timeout:g} s"
    return stdout, stderr, returncode, reason


def _collect(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes, str | None]:
    """Read both pipes until the process has exited and they are drained, or the deadline.

    What the process wrote is in the pipes when it exits: a child that keeps them open
    does not hold the probe up. The process is not reaped here (a pidfd says it
    exited), so the caller can still kill its group safely.
    """
    import selectors

    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    chunks: dict[int, list[bytes]] = {out_fd: [], err_fd: []}
    sizes = dict.fromkeys(chunks, 0)
    exited = _exit_watch(proc.pid)
    pipes = {out_fd, err_fd}
    done = False  # the process has exited: read what is already in the pipes, then stop
    with selectors.DefaultSelector() as selector:
        for fd in pipes:
            selector.register(fd, selectors.EVENT_READ)
        if exited is not None:
            selector.register(exited, selectors.EVENT_READ)
        try:
            while pipes or not done:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return _joined(chunks, out_fd, err_fd, "timed out")
                # Without a pidfd, wake up now and then to see whether the process is gone.
                wait = 0 if done else remaining if exited is not None else min(remaining, 0.05)
                events = selector.select(wait)
                if done and not events:
                    break
                for key, _ in events:
                    fd = key.fd
                    if fd == exited:
                        selector.unregister(fd)
                        done = True
                        continue
                    data = os.read(fd, 65536)
                    if not data:
                        selector.unregister(fd)
                        pipes.discard(fd)
                        continue
                    if sizes[fd] < OUTPUT_LIMIT:
                        chunks[fd].append(data)
                    sizes[fd] += len(data)
                    if sizes[fd] > OUTPUT_LIMIT:
                        return _joined(chunks, out_fd, err_fd, f"printed more than {OUTPUT_LIMIT // (1024 * 1024)} MiB")
                if exited is None and not done and proc.poll() is not None:
                    done = True
        finally:
            if exited is not None:
                os.close(exited)
    return _joined(chunks, out_fd, err_fd, None)


def _joined(
    chunks: dict[int, list[bytes]], out_fd: int, err_fd: int, reason: str | None
) -> tuple[bytes, bytes, str | None]:
    return b"".join(chunks[out_fd]), b"".join(chunks[err_fd]), reason


def _exit_watch(pid: int) -> int | None:
    """A file descriptor that becomes readable when ``pid`` exits (Linux 5.3+), or None."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None
