"""Orchestration: the one place that follows the flow from paths to records.

candidate paths -> stored records and fingerprints (``reader``, one query each)
-> ``fingerprint.changes`` (stat calls only) -> ``Refresh.trigger`` -> probes run
in a bounded pool (``probe``) -> appended in one transaction (``store``) -> re-read.

When no path is due, nothing is written and neither SQLAlchemy nor Alembic is
imported on SQLite: ``store`` is imported lazily, only to write or to migrate.
:class:`Inventory` is also the Python API (see the README).
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from interpdb import fingerprint, reader
from interpdb.errors import InventoryError, NeedsWrite
from interpdb.location import Location, is_utf8, normalize_path, resolve
from interpdb.policy import Refresh
from interpdb.probe import DEFAULT_TIMEOUT, ProbeResult, run_probe, script_hash
from interpdb.records import ProbeEvent, Record

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol, TypeVar

    from interpdb.store import NewProbe, Store

    T = TypeVar("T")

    class Progress(Protocol):
        """What the CLI's progress bar offers the service; any object with these will do."""

        def start(self, total: int) -> None: ...

        def advance(self, count: int) -> None: ...

        def finish(self) -> None: ...


@dataclass(frozen=True)
class Problem:
    """A path that could not be answered at all (it never existed, or offline and unknown)."""

    path: str
    message: str


@dataclass(frozen=True)
class Result:
    records: list[Record]
    problems: list[Problem] = field(default_factory=list)
    #: path -> the discovery sources that found it in this run
    sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        """Something asked for is broken, missing or unknown (exit code 1)."""
        return bool(self.problems) or any(r.status in ("error", "missing") for r in self.records)


@dataclass(frozen=True)
class _Due:
    path: str
    trigger: str
    changes: tuple[fingerprint.Change, ...]


_STATUS_OF_OUTCOME = {"ok": "cached", "error": "error", "missing": "missing"}
_RUN_STATUS_OF_OUTCOME = {"ok": "probed", "error": "error", "missing": "missing"}


def default_jobs() -> int:
    return max(1, min(8, os.cpu_count() or 1))


class Inventory:
    """The interpreter inventory in one database.

    >>> inv = Inventory(db="/tmp/example.sqlite3")          # doctest: +SKIP
    >>> [r.version for r in inv.probe(["/usr/bin/python3"]).records]  # doctest: +SKIP
    ['3.11.2']
    """

    def __init__(
        self,
        db: str | Location | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        jobs: int | None = None,
        command: str | None = None,
        host: str | None = None,
        progress: Progress | None = None,
        read_only: bool = False,
    ) -> None:
        self.location = db if isinstance(db, Location) else resolve(db)
        self.timeout = timeout
        self.jobs = jobs or default_jobs()
        self.command = command
        self.host = host or os.uname().nodename
        self.progress = progress
        #: Answer only from the store and stat calls; raise NeedsWrite otherwise
        #: (the click-free fast path uses it, see ``interpdb._fast``).
        self.read_only = read_only
        self._store: Store | None = None
        self._checked_revision = False

    # -- the database ---------------------------------------------------------------

    def _write_store(self) -> Store:
        if self.read_only:
            raise NeedsWrite("this answer needs a write")
        if self._store is None:
            from interpdb.store import Store, StoreError

            try:
                self._store = Store.open(self.location)
            except StoreError as error:
                raise InventoryError(str(error)) from error
            self._checked_revision = True
        return self._store

    def _write(self, what: str, action: Callable[[Store], T]) -> T:
        """Run one write; a busy or refusing database becomes a one-line InventoryError."""
        store = self._write_store()
        from sqlalchemy.exc import SQLAlchemyError

        from interpdb.store import StoreError, write_error

        try:
            return action(store)
        except StoreError as error:
            raise InventoryError(str(error)) from error
        except SQLAlchemyError as error:
            raise InventoryError(str(write_error(what, error))) from error

    def _reader(self) -> reader.Connection | None:
        """A read connection to a current schema (migrating first if it is behind)."""
        import sqlite3

        def connect() -> reader.Connection | None:
            try:
                return reader.connect(self.location)
            except sqlite3.Error as error:
                raise InventoryError(f"cannot read {self.location.sqlite_file}: {error}") from error
            except Exception as error:  # any driver's: none installed, a URL it rejects, a server that refuses
                if self.location.is_sqlite:
                    raise
                raise InventoryError(reader.cannot_connect(self.location.url, error)) from error

        conn = connect()
        if conn is None or self._checked_revision:
            return conn
        if reader.revision(conn) != reader.HEAD_REVISION:
            conn.close()
            self._write_store()
            conn = connect()
        self._checked_revision = True
        return conn

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------

    def stored(
        self,
        paths: Sequence[str] | None = None,
        ids: Sequence[int] | None = None,
        include_forgotten: bool = False,
        host: str | None = None,
    ) -> builtins.list[Record]:
        """Records as stored, fingerprints not re-checked (status is ``cached``)."""
        on = host or self.host
        return self._read(
            lambda conn: reader.current_records(conn, on, paths=paths, ids=ids, include_forgotten=include_forgotten),
            [],
        )

    def _read(self, query: Callable[[reader.Connection], T], empty: T) -> T:
        """Run ``query`` on a read connection; ``empty`` when there is no database yet."""
        conn = self._reader()
        if conn is None:
            return empty
        try:
            return query(conn)
        finally:
            conn.close()

    def resolve_ref(self, ref: str) -> Record:
        """An interpreter by id (digits) or by path."""
        return self._resolve_on(ref, self.host)

    def _resolve_on(self, ref: str, host: str) -> Record:
        # Forgotten interpreters too: their history and facts are kept.
        on = host or self.host

        def lookup(conn: reader.Connection) -> builtins.list[Record]:
            found_id = reader.interpreter_id(conn, ref, on)
            if found_id is None:
                return []
            return reader.current_records(conn, on, ids=[found_id], include_forgotten=True)

        found: builtins.list[Record] = self._read(lookup, [])
        if not found:
            raise InventoryError(f"no interpreter {ref!r} in {self.describe_db()}")
        return found[0]

    def history(
        self,
        ref: str | None = None,
        since: datetime | None = None,
        trigger: str | None = None,
        limit: int | None = None,
        *,
        hosts: Sequence[str] | None = None,
        outcomes: Sequence[str] | None = None,
        with_diff: bool = False,
    ) -> builtins.list[ProbeEvent]:
        """The probe log, newest first; ``with_diff`` adds what each answer changed.

        ``ref`` (an id or a path) is looked up on the first of ``hosts`` when given,
        else on this host.
        """
        ids = None
        if ref is not None:
            lookup_host = hosts[0] if hosts else self.host
            ids = [self._resolve_on(ref, lookup_host).id]
        return self._read(
            lambda conn: reader.history(
                conn,
                interpreter_ids=ids,
                since=since,
                trigger=trigger,
                limit=limit,
                hosts=hosts,
                outcomes=outcomes,
                with_diff=with_diff,
            ),
            [],
        )

    def describe_db(self) -> str:
        """The database, safe to print in a message (a URL's password is hidden)."""
        return self.location.sqlite_file or reader.hide_password(self.location.url)

    # -- revalidating -------------------------------------------------------------------

    def probe(self, paths: Iterable[str], refresh: Refresh | None = None, revive: bool = True) -> Result:
        """Learn or revalidate these paths under ``refresh``; records in the order asked.

        Naming a forgotten interpreter brings it back (``revive``), unless the caller
        only looks (``show``).
        """
        wanted = builtins.list(dict.fromkeys(normalize_path(p) for p in paths))
        unstorable = [_not_utf8(p) for p in wanted if not is_utf8(p)]
        storable = [p for p in wanted if is_utf8(p)]
        result = self._revalidate(storable, refresh or Refresh(), explicit=True, revive=revive)
        return replace(result, problems=[*unstorable, *result.problems]) if unstorable else result

    def list(self, refresh: Refresh | None = None, discover: bool = True) -> Result:
        """Revalidate every known interpreter on this host, discovering new ones first.

        ``discover`` looks on ``PATH``, in the version managers' folders and at the
        active venv (not ``--scan`` folders): stat and listdir calls, no interpreter.
        """
        policy = refresh or Refresh()
        if not discover:
            return self._revalidate(None, policy)
        found = self._discovered()
        return self._revalidate(None, policy, sources=found, also=builtins.list(found))

    def discover(
        self,
        sources: Sequence[str] | None = None,
        scan: Sequence[str] = (),
        scan_depth: int = 4,
        refresh: Refresh | None = None,
    ) -> Result:
        """Find interpreters (see ``interpdb.discovery``) and learn them under ``refresh``."""
        by_path = self._discovered(sources, scan, scan_depth)
        return self._revalidate(builtins.list(by_path), refresh or Refresh(), sources=by_path)

    @staticmethod
    def _discovered(
        sources: Sequence[str] | None = None, scan: Sequence[str] = (), scan_depth: int = 4
    ) -> dict[str, builtins.list[str]]:
        """path -> the sources that found it (stat and listdir only)."""
        from interpdb.discovery import check_sources, discover

        try:
            chosen = check_sources(sources) if sources else None
            candidates = discover(chosen, scan=scan, scan_depth=scan_depth)
        except ValueError as error:
            raise InventoryError(str(error)) from error
        by_path: dict[str, builtins.list[str]] = {}
        for candidate in candidates:
            # A name that is not UTF-8 cannot be stored: passed over, as ``probe`` refuses it.
            if is_utf8(candidate.path):
                by_path.setdefault(candidate.path, []).append(candidate.source)
        return by_path

    def find(
        self,
        request: str,
        *,
        implementation: str | None = None,
        arch: str | None = None,
        allow_venv: bool = True,
        refresh: Refresh | None = None,
        discover: bool = True,
    ) -> tuple[Record | None, Result]:
        """The best interpreter for ``request`` (see ``interpdb.request``), and what was considered."""
        from interpdb.request import parse_request, rank

        try:
            parsed = parse_request(request, implementation)
        except ValueError as error:
            raise InventoryError(str(error)) from error
        policy = refresh or Refresh()
        if parsed.path is not None:
            considered = self.probe([parsed.path], policy)
        else:
            considered = self.list(policy, discover=discover)
        order = source_rank(considered)
        ranked = rank(
            considered.records,
            parsed,
            active_venv=os.environ.get("VIRTUAL_ENV"),
            source_order=order,
            arch=arch,
            allow_venv=allow_venv,
        )
        return (ranked[0] if ranked else None), considered

    def _revalidate(
        self,
        wanted: builtins.list[str] | None,
        policy: Refresh,
        sources: Mapping[str, Sequence[str]] | None = None,
        explicit: bool = False,
        revive: bool = False,
        also: Sequence[str] = (),
    ) -> Result:
        """Revalidate ``wanted`` (None: everything stored), plus the paths ``also`` names.

        ``explicit``: the paths were named by the user, which brings forgotten ones
        back (``revive``); otherwise (``list``, ``discover``, ``find``) forgotten
        interpreters are left out. One query loads every stored record involved.
        """
        stored, order = self._targets(wanted, explicit, revive, also)
        probe_hash = script_hash()
        results: dict[str, Record] = {}
        problems: builtins.list[Problem] = []
        due: builtins.list[_Due] = []
        gone: builtins.list[_Due] = []
        stats: dict[str, os.stat_result | None] = {}  # files venvs share are stat-ed once
        for path in order:
            verdict = _judge(path, stored.get(path), policy, probe_hash, stats)
            if isinstance(verdict, Record):
                results[path] = verdict
            elif isinstance(verdict, Problem):
                problems.append(verdict)
            elif verdict.trigger == "gone":
                gone.append(_Due(path, "changed", verdict.changes))
            else:
                due.append(verdict)
        if due or gone:
            results.update(self._probe_and_record(due, gone, probe_hash))
        if sources and not policy.offline:
            self._remember_sources(results, sources)
        found_through = {p: builtins.list(v) for p, v in (sources or {}).items()}
        return Result([results[p] for p in order if p in results], problems, found_through)

    def _targets(
        self, wanted: builtins.list[str] | None, explicit: bool, revive: bool, also: Sequence[str]
    ) -> tuple[dict[str, Record], builtins.list[str]]:
        """The stored records involved (one query) and the paths to answer, in order.

        Forgotten interpreters are left out unless named (``explicit``); naming one
        with ``revive`` brings it back.
        """
        stored = {r.path: r for r in self.stored(paths=wanted, include_forgotten=True)}
        if wanted is None:
            wanted = [*stored, *(p for p in also if p not in stored)]
        forgotten = {path for path, record in stored.items() if record.forgotten_at is not None}
        if not forgotten:
            return stored, wanted
        if not explicit:
            kept = {path: record for path, record in stored.items() if path not in forgotten}
            return kept, [p for p in wanted if p not in forgotten]
        if revive:
            stored.update(self._bring_back([stored[p] for p in forgotten]))
        return stored, wanted

    def _bring_back(self, records: builtins.list[Record]) -> dict[str, Record]:
        self._write("bring them back", lambda store: store.set_forgotten([r.id for r in records], False, self.command))
        return {r.path: replace(r, forgotten_at=None) for r in records}

    # -- maintenance ---------------------------------------------------------------------

    def forget(self, refs: Sequence[str]) -> builtins.list[Record]:
        """Hide interpreters from ``list`` and ``find``, keeping their history."""
        records = [self.resolve_ref(ref) for ref in refs]
        self._write("forget them", lambda store: store.set_forgotten([r.id for r in records], True, self.command))
        return records

    def purge(self, refs: Sequence[str]) -> builtins.list[Record]:
        """Delete interpreters and their whole history."""
        records = [self.resolve_ref(ref) for ref in refs]
        self._write("purge them", lambda store: store.purge([r.id for r in records]))
        return records

    def prune(self, missing_for: timedelta, dry_run: bool = False) -> builtins.list[Record]:
        """Forget interpreters missing for longer than ``missing_for``; the list of them."""
        from interpdb.records import utcnow

        cutoff = utcnow() - missing_for
        stale = [
            r
            for r in self.stored()
            if r.outcome == "missing"
            and r.probed_at is not None
            and r.probed_at < cutoff
            and not os.path.lexists(r.path)  # back since its last probe: not missing, whatever that said
        ]
        if stale and not dry_run:
            self._write("forget them", lambda store: store.set_forgotten([r.id for r in stale], True, self.command))
        return stale

    def _remember_sources(self, results: dict[str, Record], sources: Mapping[str, Sequence[str]]) -> None:
        """Record the (path, source) pairs not stored yet; no write when all are known."""
        new = {
            path: [name for name in sources[path] if name not in record.sources]
            for path, record in results.items()
            if path in sources
        }
        new = {path: names for path, names in new.items() if names}
        if new:
            self._write("record the sources", lambda store: store.add_sources(self.host, new))
        for path, names in new.items():
            results[path] = replace(results[path], sources=(*results[path].sources, *names))

    def _probe_and_record(
        self, due: builtins.list[_Due], gone: builtins.list[_Due], probe_hash: str
    ) -> dict[str, Record]:
        if self.read_only:
            raise NeedsWrite(f"{len(due) + len(gone)} interpreters to probe or mark missing")
        from interpdb.records import utcnow
        from interpdb.store import NewProbe

        learned = self._learn([d.path for d in due], probe_hash)
        new: builtins.list[NewProbe] = []
        for item in due:
            result, entries = learned[item.path]
            new.append(
                NewProbe(
                    path=item.path,
                    trigger=item.trigger,
                    outcome="ok" if result.ok else "error",
                    probed_at=utcnow(),
                    duration_ms=result.duration_ms,
                    probe_hash=probe_hash,
                    entries=entries,
                    data=result.data,
                    error=result.error,
                    changes=[c.as_dict() for c in item.changes],
                    command=self.command,
                )
            )
        for item in gone:
            new.append(
                NewProbe(
                    path=item.path,
                    trigger=item.trigger,
                    outcome="missing",
                    probed_at=utcnow(),
                    duration_ms=0.0,
                    probe_hash=probe_hash,
                    entries=fingerprint.take(item.path, None, probe_hash),
                    error="no such file",
                    changes=[c.as_dict() for c in item.changes],
                    command=self.command,
                )
            )
        self._write("record the probes", lambda store: store.record(self.host, new))
        fresh = self.stored(paths=[n.path for n in new])
        return {
            r.path: replace(r, status=_RUN_STATUS_OF_OUTCOME.get(r.outcome or "", "error"), probed_now=True)
            for r in fresh
        }

    def _learn(
        self, paths: builtins.list[str], probe_hash: str
    ) -> dict[str, tuple[ProbeResult, builtins.list[fingerprint.Entry]]]:
        """Probe each path (launchers through their target), once per real file.

        A shim is never run: ``launchers.resolve`` reads what its manager reads, and
        the interpreter it selects is probed instead; the files it read join the
        fingerprint. Paths that are the same file in the same folder (``python3``
        and ``python3.12``) share one probe.
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
        groups: dict[tuple[int, int, str] | str, builtins.list[str]] = {}
        for path, plan in plans.items():
            if plan.run is not None:
                groups.setdefault(_same_file_key(plan.run), []).append(path)
        leaders = {paths_[0]: plans[paths_[0]].run for paths_ in groups.values()}
        outcomes = self._run_probes([run for run in leaders.values() if run is not None])
        learned: dict[str, tuple[ProbeResult, builtins.list[fingerprint.Entry]]] = {}
        for members in groups.values():
            leader_run = plans[members[0]].run
            assert leader_run is not None
            shared = outcomes[leader_run]
            for path in members:
                plan = plans[path]
                assert plan.run is not None
                result = _as_alias(shared, leader_run, plan.run)
                launcher = _launcher_json(path, plan.selection, result.data)
                if launcher is not None and result.data is not None:
                    result = ProbeResult(dict(result.data, launcher=launcher), None, result.duration_ms)
                learned[path] = (result, self._entries(path, result, plan, probe_hash, cwd))
        for path, plan in plans.items():
            if plan.run is None:
                result = ProbeResult(None, plan.error, 0.0)
                learned[path] = (result, self._entries(path, result, plan, probe_hash, cwd))
        return learned

    @staticmethod
    def _entries(
        path: str, result: ProbeResult, plan: _Plan, probe_hash: str, cwd: str
    ) -> builtins.list[fingerprint.Entry]:
        entries = fingerprint.take(path, result.data, probe_hash)
        if result.before:  # it changed while probed: record the failure under the old state
            old = {(e.role, e.path): e for e in result.before}
            entries = [old.get((e.role, e.path), e) for e in entries]
        if plan.selection is not None:
            entries += fingerprint.watch("launcher-file", plan.selection.files)
            entries += fingerprint.values("launcher-env", dict(plan.selection.env))
            entries += fingerprint.values("cwd", {"cwd": cwd})
        return entries

    def _run_probes(self, paths: builtins.list[str]) -> dict[str, ProbeResult]:
        run = partial(run_probe, timeout=self.timeout)
        progress = self.progress
        if progress is not None:
            progress.start(len(paths))
        try:
            if len(paths) <= 1 or self.jobs <= 1:
                results = {}
                for path in paths:
                    results[path] = run(path)
                    if progress is not None:
                        progress.advance(1)
                return results
            from concurrent.futures import ThreadPoolExecutor, as_completed

            with ThreadPoolExecutor(max_workers=min(self.jobs, len(paths))) as pool:
                futures = {pool.submit(run, path): path for path in paths}
                results = {}
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    if progress is not None:
                        progress.advance(1)
                return results
        finally:
            if progress is not None:
                progress.finish()


@dataclass(frozen=True)
class _Plan:
    run: str | None  # the file to execute: the path itself, or a shim's target
    selection: Any  # launchers.Selection for a shim, else None
    error: str | None


def _judge(
    path: str, record: Record | None, policy: Refresh, probe_hash: str, stats: dict[str, os.stat_result | None]
) -> Record | Problem | _Due:
    """What to do with one path: answer from the store (a Record with this run's status),
    give up (a Problem), or probe it (a _Due; trigger ``gone`` means record it missing)."""
    if record is None:
        # A new folder is refused, not stored as an error row that every change to its
        # contents would re-probe. A stored interpreter replaced by a folder is left to
        # its fingerprint: that changed like any other, so it is probed once, recorded as
        # an error ("is a directory, not an interpreter"), and keeps its history.
        if os.path.isdir(path):
            return Problem(path, "is a directory, not an interpreter")
        if policy.offline:
            return Problem(path, "never probed, and --offline runs nothing")
        if not os.path.lexists(path):
            return Problem(path, "no such file")
        return _Due(path, "new", ())
    changes = tuple(fingerprint.changes(record.entries, probe_hash, stats))
    if changes and _launcher_only(changes) and _same_selection(record):
        changes = ()  # the shim still selects what it did: nothing to re-probe
    stale = tuple(c.as_dict() for c in changes)
    if record.outcome == "missing" and not changes:
        return record.with_status("missing")
    if changes and not os.path.exists(path):
        return record.with_status("stale", stale) if policy.offline else _Due(path, "gone", changes)
    trigger = policy.trigger(path, record.probed_at, changes)
    if trigger is not None:
        return _Due(path, trigger, changes)
    if changes:  # only offline leaves a changed fingerprint unprobed
        return record.with_status("stale", stale)
    return record.with_status(_STATUS_OF_OUTCOME.get(record.outcome or "", "error"))


def _not_utf8(path: str) -> Problem:
    return Problem(path, f"{path!r} is not valid UTF-8: it cannot be stored")


#: What only a shim's manager reads. ``env`` (HOME, PYTHONUSERBASE) is not among them:
#: it moves the user site, so it changes the answer even when the selection holds.
_LAUNCHER_ROLES = frozenset({"launcher-file", "launcher-env", "cwd"})


def _launcher_only(changes: Sequence[fingerprint.Change]) -> bool:
    return all(change.role in _LAUNCHER_ROLES for change in changes)


def _same_selection(record: Record) -> bool:
    """Does the shim at ``record.path`` still select what it selected when probed?

    Only what the manager reads changed (another working directory, PATH, a
    touched version file): resolving again costs a few stat calls and, when the
    answer is the same, spares a probe and a write. A different selection falls
    through to a real re-probe.
    """
    if not any(e.role == "launcher-file" for e in record.entries):
        return False
    from interpdb import launchers

    selection = launchers.resolve(record.path, os.environ, os.getcwd())
    if selection is None:
        return False
    stored = record.data.get("launcher")
    if stored is None:  # stored as a failure: the same failure again?
        return selection.target is None and (selection.reason or "") == (record.error or "")
    return (selection.target, selection.version) == (stored.get("target"), stored.get("version"))


def _same_file_key(path: str) -> tuple[int, int, str] | str:
    """Paths with equal keys are one interpreter invoked by two names: one probe serves both.

    Not a name with its own ``<name>._pth``: CPython 3.11+ builds ``sys.path`` from it.
    """
    try:
        st = os.stat(path)
    except OSError:
        return path
    if os.path.lexists(path + "._pth"):
        return path
    return st.st_dev, st.st_ino, os.path.dirname(os.path.abspath(path))


def _as_alias(result: ProbeResult, ran: str, alias: str) -> ProbeResult:
    """The leader's answer as the alias would have given it: only ``sys.executable`` differs."""
    if alias == ran or result.data is None:
        return result
    data = dict(result.data)
    if data.get("executable") == ran:
        data["executable"] = alias
    data["probed_via"] = ran
    return ProbeResult(data, None, result.duration_ms)


def _launcher_json(path: str, selection: Any, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
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


def source_rank(result: Result) -> dict[int, int]:
    """record id -> the rank of the best source that found it (lower is preferred)."""
    from interpdb.discovery import SOURCE_ORDER

    position = {name: i for i, name in enumerate(SOURCE_ORDER)}
    ranks: dict[int, int] = {}
    for record in result.records:
        names = result.sources.get(record.path) or record.sources
        if names:
            ranks[record.id] = min(position.get(n, len(position)) for n in names)
    return ranks
