"""Learning: running the probe for the paths the freshness judgement sent, once per real file.

A shim is never run: ``launchers.resolve`` reads what its manager reads, and the
interpreter it selects is probed instead; the files it read join the fingerprint.
Paths that are the same file in the same folder (``python3`` and ``python3.12``)
share one probe. Probes run in a pool of ``jobs`` threads, each probe one
subprocess; what each finished probe taught is handed to ``on_learned`` at once,
so the caller can record it before the next one ends (an interrupted command
keeps every probe that finished).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from interpdb import fingerprint
from interpdb.probe import ProbeResult, run_probe

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    class Progress(Protocol):
        """What the CLI's progress bar offers; any object with these will do."""

        def start(self, total: int) -> None: ...

        def advance(self, count: int) -> None: ...

        def finish(self) -> None: ...

    #: path -> (what its probe gave, the fingerprint to store with it)
    Learned = dict[str, tuple[ProbeResult, list[fingerprint.Entry]]]


@dataclass(frozen=True)
class _Plan:
    run: str | None  # the file to execute: the path itself, or a shim's target
    selection: Any  # launchers.Selection for a shim, else None
    error: str | None


def learn(
    paths: list[str],
    probe_hash: str,
    on_learned: Callable[[Learned], None],
    *,
    timeout: float,
    jobs: int,
    progress: Progress | None = None,
) -> None:
    """Probe each path (launchers through their target) and hand each answer to ``on_learned``.

    Called with the members of one alias group at a time, as their shared probe ends.
    """
    from interpdb import launchers

    cwd = os.getcwd()
    plans: dict[str, _Plan] = {}
    for path in paths:
        selection = launchers.resolve(path, os.environ, cwd)
        if selection is None:
            plans[path] = _Plan(path, None, None)
        elif selection.target is None:
            plans[path] = _Plan(None, selection, selection.reason or "the shim selects no interpreter")
        else:
            plans[path] = _Plan(selection.target, selection, None)
    unrunnable: Learned = {}
    for path, plan in plans.items():
        if plan.run is None:
            result = ProbeResult(None, plan.error, 0.0)
            unrunnable[path] = (result, _entries(path, result, plan, probe_hash, cwd))
    if unrunnable:
        on_learned(unrunnable)
    groups: dict[tuple[int, int, str, str] | str, list[str]] = {}
    for path, plan in plans.items():
        if plan.run is not None:
            groups.setdefault(same_file_key(plan.run), []).append(path)
    members_of = {plans[members[0]].run: members for members in groups.values()}

    def finished(run: str, shared: ProbeResult) -> None:
        learned: Learned = {}
        for path in members_of[run]:
            plan = plans[path]
            assert plan.run is not None
            result = _as_alias(shared, run, plan.run)
            launcher = launcher_json(path, plan.selection, result.data)
            if launcher is not None and result.data is not None:
                result = ProbeResult(dict(result.data, launcher=launcher), None, result.duration_ms)
            learned[path] = (result, _entries(path, result, plan, probe_hash, cwd))
        on_learned(learned)

    leaders = [run for run in members_of if run is not None]
    run_probes(leaders, finished, timeout=timeout, jobs=jobs, progress=progress)


def _entries(path: str, result: ProbeResult, plan: _Plan, probe_hash: str, cwd: str) -> list[fingerprint.Entry]:
    entries = fingerprint.take(path, result.data, probe_hash)
    if result.before:  # it changed while probed: record the failure under the old state
        old = {(e.role, e.path): e for e in result.before}
        entries = [old.get((e.role, e.path), e) for e in entries]
    if plan.selection is not None:
        entries += fingerprint.watch("launcher-file", plan.selection.files)
        entries += fingerprint.values("launcher-env", dict(plan.selection.env))
        entries += fingerprint.values("cwd", {"cwd": cwd})
    return entries


def run_probes(
    paths: list[str],
    finished: Callable[[str, ProbeResult], None],
    *,
    timeout: float,
    jobs: int,
    progress: Progress | None = None,
) -> None:
    """Probe ``paths``, at most ``jobs`` at once, calling ``finished`` (in this thread) as each ends.

    Interrupted (KeyboardInterrupt, or a signal the CLI turned into an exception):
    no queued probe starts, the running ones are killed, and the exception goes on.
    """
    from interpdb.probe import kill_running

    run = partial(run_probe, timeout=timeout)
    if progress is not None:
        progress.start(len(paths))
    try:
        if len(paths) <= 1 or jobs <= 1:
            for path in paths:
                finished(path, run(path))
                if progress is not None:
                    progress.advance(1)
            return
        from concurrent.futures import ThreadPoolExecutor, as_completed

        pool = ThreadPoolExecutor(max_workers=min(jobs, len(paths)))
        try:
            futures = {pool.submit(run, path): path for path in paths}
            for future in as_completed(futures):
                finished(futures[future], future.result())
                if progress is not None:
                    progress.advance(1)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
    except BaseException:
        kill_running()  # the probes still running when interrupted: their answers are not kept
        raise
    finally:
        if progress is not None:
            progress.finish()


def same_file_key(path: str) -> tuple[int, int, str, str] | str:
    """Paths with equal keys are one interpreter invoked by two names: one probe serves both.

    The same file, looked for (``pyvenv.cfg``) in the same folder as written, and found
    (its prefix) from the same folder once symlinks are resolved: a hard link beside a
    symlink to one file is two answers (CPython resolves the symlink, not the hard link).
    Not a name with its own ``<name>._pth``: CPython 3.11+ builds ``sys.path`` from it.
    """
    try:
        st = os.stat(path)
    except OSError:
        return path
    if os.path.lexists(path + "._pth"):
        return path
    where = os.path.dirname(os.path.abspath(path))
    return st.st_dev, st.st_ino, where, os.path.dirname(os.path.realpath(path))


def same_file_paths(path: str) -> list[str]:
    """The other names in ``path``'s folder for the same interpreter (``same_file_key``):
    ``python3.12`` and ``python3`` for ``python``, in name order."""
    key = same_file_key(path)
    if isinstance(key, str):
        return []
    folder = key[2]
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    others = (os.path.join(folder, name) for name in names)
    return [other for other in others if other != path and same_file_key(other) == key]


def _as_alias(result: ProbeResult, ran: str, alias: str) -> ProbeResult:
    """The leader's answer as the alias would have given it: only ``sys.executable`` differs."""
    if alias == ran or result.data is None:
        return result
    data = dict(result.data)
    if data.get("executable") == ran:
        data["executable"] = alias
    data["probed_via"] = ran
    return ProbeResult(data, None, result.duration_ms)


def launcher_json(path: str, selection: Any, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``launcher`` in a record: a manager's shim, or a wrapper script that runs another file.

    A wrapper is any path whose interpreter reports a ``sys.executable`` that is not
    the file run (its real file joins the fingerprint as ``real-executable``).
    """
    if selection is not None:
        return {
            "kind": "shim",
            "manager": selection.manager,
            "command": selection.command,
            "version": selection.version,
            "origin": selection.origin,
            "target": selection.target,
        }
    if fingerprint.runs_elsewhere(path, data):
        return {
            "kind": "wrapper",
            "manager": None,
            "command": os.path.basename(path),
            "version": None,
            "origin": path,
            "target": (data or {}).get("executable"),
        }
    return None
