"""No process outlives its probe: find what a probed binary left behind, and kill it.

A probe runs in a session of its own (``start_new_session``), so killing its process
group ends everything that stayed in it. What left the group (``setsid``, a double
fork) is found another way: while probes run, this process is a *child subreaper*
(Linux ``prctl(PR_SET_CHILD_SUBREAPER)``), so an orphaned descendant is re-parented
to it rather than to init, and shows up among its own children
(``/proc/self/task/*/children``). Each probe marks its descendants with a variable
naming its token (``INTERPDB_PROBE``, inherited through ``fork`` and ``exec``); an
orphan is the probe's when it carries that token or is still in its session or
process group. Orphans of the caller's own children never carry one and are left
alone, so an application that embeds interpdb keeps its processes.

A descendant that both leaves the session and clears its environment cannot be told
apart from the caller's own children: it is the known limit (README, Reliability).
Elsewhere than Linux only the process group is killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from functools import lru_cache

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

#: The variable that marks a probe's descendants (its value: the probe's token).
MARK = "INTERPDB_PROBE"
_PR_SET_CHILD_SUBREAPER = 36
#: Rounds of look-kill-reap: killing a daemon re-parents its own children to us.
_ROUNDS = 50

_lock = threading.Lock()
_active = 0
#: pids of the probes running now (our direct children): never swept by another probe.
_running: set[int] = set()


@lru_cache(maxsize=1)
def _prctl() -> Any:
    """libc's ``prctl``, or None where there is none (not Linux, no ctypes)."""
    if not os.path.isdir("/proc/self/task"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None


_PR_SET_PDEATHSIG = 1


#: Where util-linux's setpriv may be: it sets PR_SET_PDEATHSIG and execs the probe.
_SETPRIV = ("/usr/bin/setpriv", "/bin/setpriv")


@lru_cache(maxsize=1)
def _setpriv() -> str | None:
    if _prctl() is None:
        return None
    return next((path for path in _SETPRIV if os.access(path, os.X_OK)), None)


def die_with_parent(argv: list[str]) -> list[str]:
    """``argv`` run so that the kernel SIGKILLs it if interpdb dies first (Linux).

    Without it an interpdb killed with SIGKILL leaves its running probes to finish
    or hang on their own. ``setpriv --pdeathsig KILL`` sets the signal and execs the
    probe in the same process (so it stays interpdb's child, its group leader and
    the pid the sweep knows); it costs about 0.8 ms, where a ``preexec_fn`` would
    cost a full fork of interpdb (5 ms here). Only a file that starts with ``#!`` or
    is an ELF binary goes through it: anything else is executed directly, so the
    kernel's own refusal (``Exec format error``, ``Permission denied``) is reported
    as before. Where setpriv is missing, ``argv`` is returned as it is.
    """
    setpriv = _setpriv()
    if setpriv is None:
        return argv
    from interpdb.location import read_regular

    head = read_regular(argv[0], 4)  # None: not a regular file (a FIFO would block an open)
    if head is None or not (head.startswith(b"#!") or head == b"\x7fELF") or not os.access(argv[0], os.X_OK):
        return argv
    return [setpriv, "--pdeathsig", "KILL", "--", *argv]


def _set_subreaper(on: bool) -> bool:
    prctl = _prctl()
    return prctl is not None and int(prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)) == 0


@contextlib.contextmanager
def subreaper() -> Iterator[None]:
    """Be a child subreaper while probes run (nested and threaded uses share it)."""
    global _active
    with _lock:
        if _active == 0:
            _set_subreaper(True)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _set_subreaper(False)


def started(pid: int) -> None:
    with _lock:
        _running.add(pid)


def finished(pid: int) -> None:
    with _lock:
        _running.discard(pid)


def _children() -> list[int]:
    """This process's children: every thread's ``children`` list (Linux 3.5+ with
    CONFIG_PROC_CHILDREN), else a scan of ``/proc/*/stat`` for our pid as parent."""
    found: list[int] = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", "rb") as handle:
                found += [int(pid) for pid in handle.read().split()]
        except FileNotFoundError:
            return _children_by_scan()
        except (OSError, ValueError):
            continue
    return found


def _children_by_scan() -> list[int]:
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit() and _stat_fields(int(name))[1:2] == [me]:
            found.append(int(name))
    return found


def _stat_fields(pid: int) -> list[int]:
    """``[state as 0, ppid, pgrp, session]`` of ``pid`` from ``/proc/<pid>/stat`` ([] when gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return []
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return [0, int(fields[1]), int(fields[2]), int(fields[3])]
    except (IndexError, ValueError):
        return []


def _is_ours(pid: int, leader: int, token: str) -> bool:
    """Does ``pid`` descend from the probe led by ``leader`` (its session, group or token)?"""
    fields = _stat_fields(pid)
    if not fields:
        return False
    if leader in fields[2:]:  # pgrp, session
        return True
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
    except OSError:
        return False
    return f"{MARK}={token}".encode() in environ.split(b"\0")


def sweep(leader: int, token: str) -> int:
    """Kill the probe's process group and every orphan of it re-parented to us; how many."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signal.SIGKILL)
    # Once the leader has exited (it is left unreaped) its children have been
    # re-parented to us; each orphan reaped below likewise hands its own over.
    with contextlib.suppress(ChildProcessError, OSError, AttributeError):
        os.waitid(os.P_PID, leader, os.WEXITED | os.WNOWAIT)
    killed = 0
    for _ in range(_ROUNDS):
        with _lock:
            running = set(_running)
        found = [pid for pid in _children() if pid not in running and _is_ours(pid, leader, token)]
        if not found:
            break
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            killed += 1
    return killed
