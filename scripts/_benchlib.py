"""Measuring for ``scripts/bench.py``: child runs, interleaved medians and the report table.

Wall time is measured around ``Popen`` and ``os.wait4``. Peak memory needs care:
on Linux a child's ``ru_maxrss`` starts from its parent's peak (``exec`` keeps the
high-water mark of the memory it replaces, and ``subprocess`` forks from this big
process), so memory is measured in separate runs through ``MEMORY_LAUNCHER``, a
small Python that forks the command and reports the ``ru_maxrss`` that ``wait4``
gives for it: the command's peak, or the launcher's own size if that is larger.

Cases that are compared are run in turns, rotating who goes first, so a burst of
machine noise lands on all of them rather than on one; each reports its median.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: Seconds any one child may take before it is killed and the benchmark fails.
CHILD_TIMEOUT = 900

#: Run as ``python -I -S -c MEMORY_LAUNCHER RESULT_FILE ARGV...``: writes the command's
#: ``ru_maxrss`` and the launcher's own peak (the floor of what it can report: a forked
#: child starts as big as its parent), and exits as the command did. The launcher's
#: own peak is read from ``VmHWM`` where there is one, since its ``ru_maxrss`` holds
#: this big process's peak for the reason above.
MEMORY_LAUNCHER = """
import os, resource, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as status_file:
        own = [int(line.split()[1]) for line in status_file if line.startswith("VmHWM:")][0]
except (OSError, IndexError, ValueError):
    pass
with open(sys.argv[1], "w") as handle:
    handle.write("%d %d" % (usage.ru_maxrss, own))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


class BenchError(Exception):
    """The benchmark itself failed (a command did not do what it must); one line."""


@dataclass(frozen=True)
class Run:
    seconds: float
    returncode: int
    #: Only from ``run(..., memory=True)``: the command's peak and the launcher's own.
    max_rss_bytes: int | None = None
    floor_bytes: int | None = None


@dataclass(frozen=True)
class Command:
    """One child process: its argument list, environment, folder and where stdout goes."""

    argv: Sequence[str]
    env: dict[str, str]
    cwd: Path
    stdout: Path | None = None
    expect: tuple[int, ...] = (0,)

    def shown(self) -> str:
        words = [os.path.basename(self.argv[0]), *self.argv[1:]]
        return " ".join(w if len(w) < 60 else w[:57] + "..." for w in words)


def _rss_bytes(value: str) -> int:
    # Linux reports KiB, macOS bytes.
    return int(value) * (1 if sys.platform == "darwin" else 1024)


def run(command: Command, memory: bool = False) -> Run:
    """Run one child to completion; BenchError when it exits with a code not expected.

    ``memory`` runs it through ``MEMORY_LAUNCHER`` to learn its peak memory; the time
    then includes the launcher's start-up, so compare it only with runs made alike.
    """
    if not memory:
        return Run(*_spawn(command, list(command.argv)))
    handle, result = tempfile.mkstemp(prefix="bench-rss-")
    os.close(handle)
    try:
        seconds, code = _spawn(command, [sys.executable, "-I", "-S", "-c", MEMORY_LAUNCHER, result, *command.argv])
        with open(result, encoding="ascii") as written:
            peak, floor = written.read().split()
    finally:
        os.unlink(result)
    return Run(seconds, code, _rss_bytes(peak), _rss_bytes(floor))


def _spawn(command: Command, argv: list[str]) -> tuple[float, int]:
    """Start ``argv`` as ``command`` says, reap it with ``wait4``; (seconds, exit code)."""
    timed_out = []

    def on_alarm(_signum: int, _frame: Any) -> None:
        timed_out.append(True)
        os.kill(proc.pid, signal.SIGKILL)

    with tempfile.TemporaryFile() as stderr, ExitStack() as closing:
        out = closing.enter_context(open(command.stdout, "wb")) if command.stdout else subprocess.DEVNULL
        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            started = time.perf_counter()
            proc = subprocess.Popen(
                argv, env=command.env, cwd=command.cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=stderr
            )
            signal.alarm(CHILD_TIMEOUT)
            _, status, _ = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - started
            signal.alarm(0)
        finally:
            signal.signal(signal.SIGALRM, previous)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        if timed_out:
            raise BenchError(f"`{command.shown()}` took more than {CHILD_TIMEOUT} s")
        if proc.returncode not in command.expect:
            stderr.seek(0)
            lines = [line for line in stderr.read().decode("utf-8", "replace").splitlines() if line.strip()]
            tail = lines[-1].strip() if lines else "no message"
            raise BenchError(f"`{command.shown()}` exited with code {proc.returncode}: {tail}")
    return elapsed, proc.returncode


def run_all(commands: Sequence[Command]) -> Run:
    """Run commands one after another: one sample is their total time."""
    return Run(sum(run(command).seconds for command in commands), 0)


@dataclass
class Samples:
    seconds: list[float] = field(default_factory=list)
    max_rss_bytes: list[int] = field(default_factory=list)
    floor_bytes: list[int] = field(default_factory=list)

    def add(self, sample: Run) -> None:
        self.seconds.append(sample.seconds)
        if sample.max_rss_bytes is not None and sample.floor_bytes is not None:
            self.max_rss_bytes.append(sample.max_rss_bytes)
            self.floor_bytes.append(sample.floor_bytes)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_rss(self) -> float:
        if not self.max_rss_bytes:
            raise BenchError("no memory was measured for this case")
        return statistics.median(self.max_rss_bytes)


def interleaved(cases: dict[str, Callable[[], Run]], reps: int, warmup: int = 1) -> dict[str, Samples]:
    """Run every case ``reps`` times in turns (rotating the order), after ``warmup`` untimed rounds."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    found = {name: Samples() for name in names}
    for rep in range(reps):
        turn = rep % len(names)
        for name in names[turn:] + names[:turn]:
            found[name].add(cases[name]())
    return found


# -- the report -------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the report; ``subject`` and ``baseline`` are seconds unless ``unit`` says."""

    key: str
    what: str
    baseline_what: str
    subject: float | None
    baseline: float | None = None
    unit: str = "s"  # "s" or "bytes"
    target: str = "-"
    met: bool | None = None
    ratio: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and self.subject is not None and self.baseline:
            self.ratio = self.subject / self.baseline


def quantity(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "bytes":
        return f"{value / (1024 * 1024):.1f} MiB" if value >= 1024 * 1024 else f"{value / 1024:.1f} KiB"
    if value < 1e-3:
        return f"{value * 1e6:.1f} µs"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    if ratio < 0.01:
        return f"{ratio:.5f}"
    return f"{ratio:.3f}" if ratio < 1 else f"{ratio:.2f}"


HEADERS = ("#", "subject", "baseline", "subject median", "baseline median", "ratio", "target", "met")


def table(rows: Sequence[Row]) -> str:
    cells = [
        (
            r.key,
            r.what,
            r.baseline_what,
            quantity(r.subject, r.unit),
            quantity(r.baseline, r.unit),
            ratio_text(r.ratio),
            r.target,
            "-" if r.met is None else ("yes" if r.met else "NO"),
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [HEADERS, *cells]) for i in range(len(HEADERS))]
    numeric = {3, 4, 5}

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            str(v).rjust(widths[i]) if i in numeric else str(v).ljust(widths[i]) for i, v in enumerate(values)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(HEADERS), rule, *(line(c) for c in cells)])


def write_json(path: Path, facts: dict[str, Any], rows: Sequence[Row], notes: Sequence[str]) -> None:
    document = {"machine": facts, "rows": [asdict(r) for r in rows], "notes": list(notes)}
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
