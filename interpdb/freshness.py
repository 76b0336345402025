"""The freshness judgement: is what the store knows about a path still true?

``judge`` looks at one path: its stored record, the fingerprint compared with the
disk (stat calls only, ``fingerprint.changes``) and the refresh policy, and says
whether to answer from the store, give up, or probe. It runs no interpreter and
writes nothing; ``interpdb.service`` acts on its verdicts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from interpdb import fingerprint
from interpdb._frozen import frozen, replace
from interpdb.policy import Refresh
from interpdb.records import Record

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@frozen
class Problem:
    """A path that could not be answered at all (it never existed, or offline and unknown)."""

    path: str
    message: str
    #: Never probed, and nothing may run (``--offline``, a read-only store): ``reason`` says
    #: why; ``list`` and ``discover`` count these rather than print each.
    unprobed: bool = False
    reason: str = ""


@frozen
class Due:
    """A path to probe, and why (``trigger``: ``gone`` means record it missing)."""

    path: str
    trigger: str
    changes: tuple[fingerprint.Change, ...]


STATUS_OF_OUTCOME = {"ok": "cached", "error": "error", "missing": "missing"}
RUN_STATUS_OF_OUTCOME = {"ok": "probed", "error": "error", "missing": "missing"}


def judge(
    path: str,
    record: Record | None,
    policy: Refresh,
    probe_hash: str,
    stats: dict[str, os.stat_result | None],
    selected: Callable[[Record, Any], Record | None] | None = None,
) -> Record | Problem | Due:
    """What to do with one path: answer from the store (a Record with this run's status),
    give up (a Problem), or probe it (a Due; trigger ``gone`` means record it missing).

    ``selected(record, selection)``: for a shim that now selects another interpreter
    (what its manager reads changed: another project folder, ``pyenv global``; any other
    change belongs to the interpreter it selected before), that interpreter's fresh
    record as the shim's answer, or None (then it is probed).
    """
    if record is None:
        # A new folder is refused, not stored as an error row that every change to its
        # contents would re-probe. A stored interpreter replaced by a folder is left to
        # its fingerprint: that changed like any other, so it is probed once, recorded as
        # an error ("is a directory, not an interpreter"), and keeps its history.
        if os.path.isdir(path):
            return Problem(path, "is a directory, not an interpreter")
        if policy.offline:
            return Problem(path, f"never probed, and {policy.offline_reason}", True, policy.offline_reason)
        if not os.path.lexists(path):
            return Problem(path, gone_reason(path))
        return Due(path, "new", ())
    if record.damaged:
        # A row that cannot be read is shown as it is; only an explicit ask re-probes it.
        if policy.offline:
            return record
        wanted = "refresh-interpreter" if path in policy.interpreters else "refresh" if policy.everything else None
        return Due(path, wanted, ()) if wanted is not None else record
    changes = tuple(fingerprint.changes(record.entries, probe_hash, stats))
    reselected = None
    if changes and any(c.role in _LAUNCHER_ROLES for c in changes):
        selection = current_selection(record)
        if selection is not None and same_selection(record, selection):
            if _launcher_only(changes):
                changes = ()  # the shim still selects what it did: nothing to re-probe
                reselected = selection
        elif selection is not None:
            # It selects another interpreter now (another project's version): the other
            # changes are the files of the one it selected before, which no longer runs.
            # Its reason is the selection, named first; its answer, the record of the one
            # it selects, when the store has that fresh.
            changes = tuple(sorted(changes, key=lambda c: c.role not in _LAUNCHER_ROLES))
            if selected is not None and policy.trigger(path, record.probed_at, ()) is None:
                answer = selected(record, selection)
                if answer is not None:
                    return answer  # it selects an interpreter the store knows, fresh: no probe, no write
                if selection.target is None and record.outcome == "error" and not record.data.get("launcher"):
                    # It failed before and selects nothing now either (no project's version
                    # provides `python2.7`): the new reason costs stat calls, not a row.
                    reason = selection.reason or "the shim selects no interpreter"
                    return replace(record, status="error", error=reason, stale_changes=())
    stale = tuple(c.as_dict() for c in changes)
    if record.outcome == "missing" and not changes:
        return record.with_status("missing")
    if changes and not os.path.exists(path):
        if denied(path):
            # Another user's interpreter in a shared store: there, as far as anyone can
            # tell, but not for this user to check or run. Not "missing", not a candidate,
            # and nothing written that its owner's next command would take back.
            return replace(record, status="error", error=DENIED, stale_changes=())
        return record.with_status("stale", stale) if policy.offline else Due(path, "gone", changes)
    trigger = policy.trigger(path, record.probed_at, changes)
    if trigger is not None:
        return Due(path, trigger, changes)
    if changes:  # only offline leaves a changed fingerprint unprobed
        return record.with_status("stale", stale)
    answer = record.with_status(STATUS_OF_OUTCOME.get(record.outcome or "", "error"))
    return answer if reselected is None else _selected_from(answer, reselected)


def _selected_from(record: Record, selection: Any) -> Record:
    """The shim's stored answer, its ``launcher.origin`` the file (or variable) that selects
    the same version here: another project's ``.python-version`` may have chosen it at probe
    time. Only the answer says so; the stored row keeps its probe's."""
    launcher = record.data.get("launcher")
    if not launcher or launcher.get("origin") == selection.origin:
        return record
    return replace(record, data=dict(record.data, launcher=dict(launcher, origin=selection.origin)))


#: Why a path this user may not look at is not answered (``denied``).
DENIED = "permission denied: this user cannot reach it"


def denied(path: str) -> bool:
    """Is ``path`` hidden from this user (a folder on the way it may not search, EACCES),
    rather than gone? ``os.path.exists`` says False for both."""
    try:
        os.stat(path)
    except PermissionError:
        return True
    except (OSError, ValueError):
        return False
    return False


def gone_reason(path: str) -> str:
    """Why ``path`` runs nothing: hidden from this user, a symlink whose target is not
    there (a venv whose base Python was removed), or no such file."""
    if denied(path):
        return DENIED
    if os.path.islink(path):
        return f"a broken symlink: it leads to {os.path.realpath(path)}, which does not exist"
    return "no such file"


def not_utf8(path: str) -> Problem:
    """Its bytes that are not UTF-8 shown as ``\\xff``, as every message shows them."""
    shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return Problem(path, f"'{shown}' is not valid UTF-8: it cannot be stored")


#: What only a shim's manager reads. ``env`` (HOME, PYTHONUSERBASE) is not among them:
#: it moves the user site, so it changes the answer even when the selection holds.
_LAUNCHER_ROLES = frozenset({"launcher-file", "launcher-env", "cwd"})


def _launcher_only(changes: Sequence[fingerprint.Change]) -> bool:
    return all(change.role in _LAUNCHER_ROLES for change in changes)


def current_selection(record: Record) -> Any:
    """What the shim at ``record.path`` selects now (``launchers.Selection``), or None
    when it is no shim (a record with no launcher file) or no longer resolves."""
    if not any(e.role == "launcher-file" for e in record.entries):
        return None
    from interpdb import launchers

    return launchers.resolve(record.path, os.environ, os.getcwd())


def same_selection(record: Record, selection: Any) -> bool:
    """Does the shim still select what it selected when probed?

    Only what the manager reads changed (another working directory, PATH, a
    touched version file): resolving again costs a few stat calls and, when the
    answer is the same, spares a probe and a write. A different selection is
    answered from the selected interpreter's own record when the store has it fresh
    (``judge``'s ``selected``), and probed otherwise.
    """
    stored = record.data.get("launcher")
    if stored is None:  # stored as a failure: the same failure again?
        return selection.target is None and (selection.reason or "") == (record.error or "")
    return (selection.target, selection.version) == (stored.get("target"), stored.get("version"))
