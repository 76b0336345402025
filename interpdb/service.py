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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from interpdb import fingerprint, reader
from interpdb.location import Location, resolve
from interpdb.policy import Refresh, normalize_path
from interpdb.probe import DEFAULT_TIMEOUT, ProbeResult, run_probe, script_hash
from interpdb.records import ProbeEvent, Record

if TYPE_CHECKING:
    from interpdb.store import NewProbe, Store


class InventoryError(Exception):
    """An expected failure with a one-line message (bad reference, unusable database)."""


@dataclass(frozen=True)
class Problem:
    """A path that could not be answered at all (it never existed, or offline and unknown)."""

    path: str
    message: str


@dataclass(frozen=True)
class Result:
    records: list[Record]
    problems: list[Problem] = field(default_factory=list)

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
    ) -> None:
        self.location = db if isinstance(db, Location) else resolve(db)
        self.timeout = timeout
        self.jobs = jobs or default_jobs()
        self.command = command
        self.host = host or os.uname().nodename
        self._store: Store | None = None
        self._checked_revision = False

    # -- the database ---------------------------------------------------------------

    def _write_store(self) -> Store:
        if self._store is None:
            from interpdb.store import Store, StoreError

            try:
                self._store = Store.open(self.location)
            except StoreError as error:
                raise InventoryError(str(error)) from error
            self._checked_revision = True
        return self._store

    def _reader(self) -> reader.Connection | None:
        """A read connection to a current schema (migrating first if it is behind)."""
        import sqlite3

        try:
            conn = reader.connect(self.location)
            if conn is None or self._checked_revision:
                return conn
            if reader.revision(conn) != reader.HEAD_REVISION:
                conn.close()
                self._write_store()
                conn = reader.connect(self.location)
            self._checked_revision = True
            return conn
        except sqlite3.DatabaseError as error:
            raise InventoryError(f"cannot read {self.location.sqlite_path}: {error}") from error

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Inventory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------

    def stored(self, paths: Sequence[str] | None = None, ids: Sequence[int] | None = None) -> builtins.list[Record]:
        """Records as stored, fingerprints not re-checked (status is ``cached``)."""
        conn = self._reader()
        if conn is None:
            return []
        try:
            return reader.current_records(conn, self.host, paths=paths, ids=ids)
        finally:
            conn.close()

    def resolve_ref(self, ref: str) -> Record:
        """An interpreter by id (digits) or by path."""
        if ref.isdigit():
            found = self.stored(ids=[int(ref)])
        else:
            found = self.stored(paths=[normalize_path(ref)])
        if not found:
            raise InventoryError(f"no interpreter {ref!r} in {self.describe_db()}")
        return found[0]

    def history(
        self,
        ref: str | None = None,
        since: datetime | None = None,
        trigger: str | None = None,
        limit: int | None = None,
    ) -> builtins.list[ProbeEvent]:
        ids = None if ref is None else [self.resolve_ref(ref).id]
        conn = self._reader()
        if conn is None:
            return []
        try:
            return reader.history(conn, interpreter_ids=ids, since=since, trigger=trigger, limit=limit)
        finally:
            conn.close()

    def describe_db(self) -> str:
        return str(self.location.sqlite_path or self.location.url)

    # -- revalidating -------------------------------------------------------------------

    def probe(self, paths: Iterable[str], refresh: Refresh | None = None) -> Result:
        """Learn or revalidate these paths under ``refresh``; records in the order asked."""
        wanted = list(dict.fromkeys(normalize_path(p) for p in paths))
        return self._revalidate(wanted, refresh or Refresh())

    def list(self, refresh: Refresh | None = None) -> Result:
        """Revalidate every known interpreter on this host."""
        return self._revalidate(None, refresh or Refresh())

    def _revalidate(self, wanted: builtins.list[str] | None, policy: Refresh) -> Result:
        stored = {r.path: r for r in self.stored(paths=wanted)}
        order = wanted if wanted is not None else list(stored)
        probe_hash = script_hash()
        results: dict[str, Record] = {}
        problems: builtins.list[Problem] = []
        due: builtins.list[_Due] = []
        gone: builtins.list[_Due] = []
        for path in order:
            record = stored.get(path)
            if record is None:
                if policy.offline:
                    problems.append(Problem(path, "never probed, and --offline runs nothing"))
                elif not os.path.lexists(path):
                    problems.append(Problem(path, "no such file"))
                else:
                    due.append(_Due(path, "new", ()))
                continue
            changes = tuple(fingerprint.changes(record.entries, probe_hash))
            if record.outcome == "missing" and not changes:
                results[path] = record.with_status("missing")
                continue
            if changes and not os.path.exists(path):
                if policy.offline:
                    results[path] = record.with_status("stale", tuple(c.as_dict() for c in changes))
                else:
                    gone.append(_Due(path, "changed", changes))
                continue
            trigger = policy.trigger(path, record.probed_at, changes)
            if trigger is not None:
                due.append(_Due(path, trigger, changes))
            elif changes:  # only offline leaves a changed fingerprint unprobed
                results[path] = record.with_status("stale", tuple(c.as_dict() for c in changes))
            else:
                results[path] = record.with_status(_STATUS_OF_OUTCOME.get(record.outcome or "", "error"))
        if due or gone:
            results.update(self._probe_and_record(due, gone, probe_hash))
        return Result([results[p] for p in order if p in results], problems)

    def _probe_and_record(
        self, due: builtins.list[_Due], gone: builtins.list[_Due], probe_hash: str
    ) -> dict[str, Record]:
        from interpdb.records import utcnow
        from interpdb.store import NewProbe

        outcomes = self._run_probes([d.path for d in due])
        new: builtins.list[NewProbe] = []
        for item in due:
            result = outcomes[item.path]
            new.append(
                NewProbe(
                    path=item.path,
                    trigger=item.trigger,
                    outcome="ok" if result.ok else "error",
                    probed_at=utcnow(),
                    duration_ms=result.duration_ms,
                    probe_hash=probe_hash,
                    entries=fingerprint.take(item.path, result.data, probe_hash),
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
        self._write_store().record(self.host, new)
        fresh = self.stored(paths=[n.path for n in new])
        return {r.path: r.with_status(_RUN_STATUS_OF_OUTCOME.get(r.outcome or "", "error")) for r in fresh}

    def _run_probes(self, paths: builtins.list[str]) -> dict[str, ProbeResult]:
        if len(paths) <= 1 or self.jobs <= 1:
            return {p: run_probe(p, self.timeout) for p in paths}
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(self.jobs, len(paths))) as pool:
            return dict(zip(paths, pool.map(lambda p: run_probe(p, self.timeout), paths)))
