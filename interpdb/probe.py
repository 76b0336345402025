"""Run the probe script inside a target interpreter and turn what it prints into a result.

One subprocess per interpreter, started from an argument list (never a shell), with
``-E`` so the caller's ``PYTHON*`` variables do not colour the answer, from an empty
working directory, in its own session so a hung launcher and its children can be
killed together. Output is capped; anything that is not one JSON object is an error
with a one-line reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import zlib
from dataclasses import dataclass
from functools import lru_cache

from interpdb.fingerprint import LAYOUT

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from typing import Any

DEFAULT_TIMEOUT = 10.0
OUTPUT_LIMIT = 4 * 1024 * 1024  # a real probe prints ~10 KiB; 4 MiB is garbage
STDERR_TAIL = 400

_SCRIPT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_probe_script.py")

#: Keys a document must have to count as a probe's answer (see _probe_script.py).
REQUIRED_KEYS = frozenset({"implementation_name", "python_version", "version_info", "executable", "prefix", "sys_path"})


@lru_cache(maxsize=1)
def script_source() -> str:
    with open(_SCRIPT_PATH, encoding="utf-8") as handle:
        return handle.read()


@lru_cache(maxsize=1)
def script_hash() -> str:
    """A digest of the probe script: part of every fingerprint, so a new probe re-probes.

    It covers the fingerprint's ``LAYOUT`` too: when ``take`` learns to record more,
    rows taken before are re-probed once (trigger ``probe-changed``) to record it.
    CRC-32 plus length rather than SHA-256: it only has to notice our own edits,
    and every warm command computes it, so it must not cost a hashlib import.
    """
    source = f"{script_source()}\n# fingerprint layout {LAYOUT}\n".encode()
    return f"{zlib.crc32(source):08x}{len(source):08x}"


@dataclass(frozen=True)
class ProbeResult:
    """What one run of the probe gave: ``data`` on success, ``error`` otherwise."""

    data: dict[str, Any] | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.data is not None


@lru_cache(maxsize=1)
def _neutral_cwd() -> str:
    """An empty folder for every probe of this process, removed when the process exits.

    Made once, not per probe; two threads racing on the first call may each make
    one, which is why each registers its own removal.
    """
    import atexit
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="interpdb-probe-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


#: The process groups of the probes running now (``kill_running`` ends them all).
_RUNNING: set[int] = set()


def kill_running() -> None:
    """Kill every probe still running (an interrupted command): no probe outlives interpdb."""
    import signal

    for pgid in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def run_probe(path: str, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """Run ``path -E -c <probe>`` and parse its single JSON document."""
    started = time.perf_counter()
    try:
        stdout, stderr, returncode, reason = _run([path, "-E", "-c", script_source()], timeout)
    except OSError as error:
        if os.path.isdir(path):
            reason = "is a directory, not an interpreter"
        else:
            reason = f"cannot execute: {error.strerror or error}"
        return ProbeResult(None, reason, _ms_since(started))
    elapsed = _ms_since(started)
    if reason is not None:
        return ProbeResult(None, reason, elapsed)
    return _read_answer(stdout, stderr, returncode, elapsed)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


def _read_answer(stdout: bytes, stderr: bytes, returncode: int, elapsed: float) -> ProbeResult:
    """The probe's answer, or why this output is not one (the JSON is decoded once)."""
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
        document = json.loads(stdout)
    except ValueError:
        shown = stdout[:60].decode("utf-8", "replace").strip() or "nothing"
        reason = f"not a Python interpreter: printed {shown!r} instead of the probe's JSON"
        return ProbeResult(None, reason, elapsed)
    if not isinstance(document, dict) or not document.keys() >= REQUIRED_KEYS:
        return ProbeResult(None, "not a Python interpreter: its JSON is not a probe answer", elapsed)
    return ProbeResult(document, None, elapsed)


def _tail(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    return last[-STDERR_TAIL:]


def _run(argv: list[str], timeout: float) -> tuple[bytes, bytes, int, str | None]:
    """Run argv with a deadline and an output cap; return (stdout, stderr, code, reason)."""
    import subprocess

    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=_neutral_cwd(),
        start_new_session=True,
        close_fds=True,
    )
    _RUNNING.add(proc.pid)
    try:
        return _collect(proc, timeout)
    except BaseException:  # interrupted in this thread: the probe goes with it
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        _RUNNING.discard(proc.pid)


def _collect(proc: subprocess.Popen[bytes], timeout: float) -> tuple[bytes, bytes, int, str | None]:
    import selectors
    import subprocess

    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    chunks: dict[int, list[bytes]] = {out_fd: [], err_fd: []}
    sizes = dict.fromkeys(chunks, 0)
    deadline = time.monotonic() + timeout
    reason = None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        selector.register(proc.stderr, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = f"timed out after {timeout:g} s"
                break
            for key, _ in selector.select(remaining):
                fd = key.fd
                data = os.read(fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                if sizes[fd] < OUTPUT_LIMIT:
                    chunks[fd].append(data)
                sizes[fd] += len(data)
                if sizes[fd] > OUTPUT_LIMIT:
                    reason = f"printed more than {OUTPUT_LIMIT // (1024 * 1024)} MiB"
                    break
            if reason:
                break
    if reason is not None:
        _kill_group(proc)
    try:
        returncode = proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        # The output pipes closed but the process lingers (it daemonised its output away).
        _kill_group(proc)
        returncode = proc.wait()
        reason = reason or f"timed out after {timeout:g} s"
    proc.stdout.close()
    proc.stderr.close()
    return b"".join(chunks[out_fd]), b"".join(chunks[err_fd]), returncode, reason


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
