"""The public ``Inventory``: the one place that follows the flow from paths to records.

candidate paths -> stored records and fingerprints (``store.read``, through the
gate) -> ``freshness.judge`` (stat calls only) -> ``learning.learn`` (probes in a
bounded pool) -> each finished probe appended at once (``store.write``) -> re-read.

When no path is due, nothing is written and neither SQLAlchemy nor Alembic is
imported on SQLite. A read-only store (``store.gate``) is answered as
``--offline`` answers: changed interpreters are shown ``stale``, with a note.
:class:`Inventory` is also the Python API (see the README).
"""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from interpdb import fingerprint, hostid
from interpdb._frozen import field, frozen, replace
from interpdb._stdlib import datetime, timedelta
from interpdb.errors import BadRequest, Interrupted, InventoryError, NeedsWrite, SignalsHeld
from interpdb.freshness import RUN_STATUS_OF_OUTCOME, Due, Problem, gone_reason, judge, not_utf8
from interpdb.hostid import Host
from interpdb.location import Location, is_utf8, normalize_path, resolve
from interpdb.policy import Refresh
from interpdb.probe import DEFAULT_TIMEOUT, script_hash
from interpdb.records import ProbeEvent, Record
from interpdb.store import gate, read

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from interpdb.fingerprint import Entry
    from interpdb.learning import Learned, Progress
    from interpdb.request import Request
    from interpdb.store.write import NewProbe, Store

    T = TypeVar("T")

__all__ = ["Inventory", "Problem", "Result", "default_jobs", "source_rank"]

#: Finished probes are written in batches of at most this many, or sooner when
#: ``_FLUSH_SECONDS`` have passed: an interrupted run keeps what finished.
_FLUSH_PROBES = 32
_FLUSH_SECONDS = 0.5
#: Paths (or prefixes) per query: far below SQLite's oldest limit of 999 bound parameters.
_PATHS_PER_QUERY = 400
#: ``list(light=True)`` reads and judges this many records at a time; ``answers`` reads back
#: this many answers a query. A batch is what is held in memory beyond the light records.
_BATCH = 500
_ANSWERS_PER_BATCH = 500


def default_jobs() -> int:
    """Probes at once by default: the CPU count, at most 8 (they wait on subprocesses)."""
    return max(1, min(8, os.cpu_count() or 1))


@frozen
class Result:
    records: list[Record]
    problems: list[Problem] = field(default_factory=list)
    #: path -> the discovery sources that found it in this run
    sources: dict[str, list[str]] = field(default_factory=dict)
    #: things a person should know about this answer (a read-only store...)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Something asked for is broken, missing or unknown (exit code 1)."""
        return bool(self.problems) or any(r.status in ("error", "missing") for r in self.records)


class Inventory:
    """The interpreter inventory in one database.

    >>> inv = Inventory(db="/tmp/example.sqlite3")          # doctest: +SKIP
    >>> [r.version for r in inv.probe(["/usr/bin/python3"]).records]  # doctest: +SKIP
    ['3.11.2']
    """

    def __init__(
        self,
        db: str | os.PathLike[str] | Location | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        jobs: int | None = None,
        command: str | None = None,
        host: str | Host | None = None,
        progress: Progress | None = None,
        read_only: bool = False,
        hand_over_writes: bool = False,
    ) -> None:
        self.location = db if isinstance(db, Location) else resolve(None if db is None else os.fspath(db))
        self.timeout = timeout
        self.jobs = jobs or default_jobs()
        self.command = command
        #: This machine (``interpdb.hostid``): its rows are the only ones checked or probed.
        #: A string is read as ``INTERPDB_HOST`` is (``ID`` or ``ID/NAME``).
        self.host: Host = host if isinstance(host, Host) else hostid.from_env(host) if host else hostid.current()
        self.progress = progress
        #: Open the store read-only (``--read-only``): answer as ``--offline`` does, refuse writes.
        #: A store this process cannot write is read-only whatever this says (``store.gate``).
        self.read_only = read_only
        #: Raise NeedsWrite where an answer needs a probe or a write, instead of doing it
        #: (the click-free fast path hands such a command to the full CLI: ``interpdb._fast``).
        self.hand_over_writes = hand_over_writes
        self._store: Store | None = None
        #: Notes of what happened to the store itself (an implicit upgrade), for the next Result.
        self._said: builtins.list[str] = []
        self._access: gate.Access | None = None

    # -- the database ---------------------------------------------------------------

    def access(self) -> gate.Access:
        """What the gate says of this store (looked at once per Inventory)."""
        if self._access is None:
            self._access = gate.inspect(self.location, self.read_only)
        return self._access

    @property
    def store_read_only(self) -> bool:
        return not self.access().writable

    def _write_store(self) -> Store:
        if self.hand_over_writes:
            raise NeedsWrite("this answer needs a write")
        if self._store is None:
            self._store = gate.open_write(self.location, self.read_only)
            self._access = None  # created or upgraded: look again when next asked
            if self._store.upgraded is not None:  # said once, by the next Result (or ``said``)
                self._said.append(gate.upgrade_note(self.location, *self._store.upgraded))
        return self._store

    def said(self) -> builtins.list[str]:
        """What happened to the store itself and no Result has carried yet (an implicit
        upgrade by ``forget`` or ``prune``), taken: each is said once."""
        said, self._said = self._said, []
        return said

    def _write(self, what: str, action: Callable[[Store], T]) -> T:
        """Run one write; a busy or refusing database becomes a one-line StoreError."""
        store = self._write_store()
        from sqlalchemy.exc import SQLAlchemyError

        from interpdb.store.write import write_error

        try:
            return action(store)
        except (SQLAlchemyError, ValueError) as error:  # ValueError: a damaged row the ORM loaded
            raise write_error(what, error, self.location) from error

    def _reader(self) -> read.Connection | None:
        """A read connection through the gate (None: no database yet). Never migrates."""
        conn = gate.open_read(self.location, self.read_only)
        if conn is not None:
            self._access = conn.access
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
        with_entries: bool = True,
    ) -> builtins.list[Record]:
        """This host's records as stored, fingerprints not re-checked (status is ``cached``).

        ``with_entries=False`` leaves their fingerprints out (``entries`` is empty): such a
        record must never be judged fresh (``find`` loads the entries of the ones it judges).
        """
        return self._read(
            lambda conn: read.current_records(
                conn, self.host, paths=paths, ids=ids, include_forgotten=include_forgotten, with_entries=with_entries
            ),
            [],
        )

    def remote(self, hosts: Sequence[str] | None = None, include_forgotten: bool = False) -> builtins.list[Record]:
        """Other hosts' records (those ``hosts`` names or ids; None: every other host), with
        status ``remote``: as last recorded there, never checked or probed from here."""
        records: builtins.list[Record] = self._read(
            lambda conn: read.current_records(
                conn, None, hosts=hosts, exclude=self.host, include_forgotten=include_forgotten
            ),
            [],
        )
        return [r if r.damaged else r.with_status("remote") for r in records]

    def hosts(self) -> builtins.list[dict[str, Any]]:
        """Every host in the store with its counts (``store.read.hosts``), this one marked ``current``."""
        found: builtins.list[dict[str, Any]] = self._read(read.hosts, [])
        for row in found:
            row["current"] = row["host_id"] in (self.host.id, self.host.name) and (
                row["host_id"] == self.host.id or row["host"] == self.host.name
            )
        return found

    def host_selectors(self, hosts: Sequence[str]) -> builtins.list[str]:
        """``--host`` values, where one names this host, widened to its id and its name
        (rows an older interpdb wrote carry the name as their id)."""
        found: builtins.list[str] = []
        for value in hosts:
            found.extend((self.host.id, self.host.name) if self.host.matches(value) else (value,))
        return builtins.list(dict.fromkeys(found))

    def _read(self, query: Callable[[read.Connection], T], empty: T) -> T:
        """Run ``query`` on a read connection; ``empty`` when there is no database yet."""
        conn = self._reader()
        if conn is None:
            return empty
        try:
            return query(conn)
        finally:
            conn.close()

    def resolve_ref(self, ref: str | int) -> Record:
        """An interpreter of this host by id (an int, or digits) or by path."""
        return self.resolve_on(ref, None)

    def resolve_on(self, ref: str | int, hosts: Sequence[str] | None, any_host: bool = False) -> Record:
        """``ref`` on this host, or on ``hosts``, or (``any_host``) anywhere: an id names
        one row, a path the first host's that holds it. Forgotten interpreters too:
        their history and facts are kept."""
        if type(ref) is int:
            ref = str(ref)
        elif not isinstance(ref, str):
            raise BadRequest(f"an interpreter is named by its id or its path, not by {type(ref).__name__}")
        on = None if hosts is not None or any_host else self.host
        chosen = None if hosts is None else self.host_selectors(hosts)

        def lookup(conn: read.Connection) -> builtins.list[Record]:
            found_id = read.interpreter_id(conn, ref, on, hosts=chosen)
            if found_id is None:
                return []
            return read.current_records(conn, None, ids=[found_id], include_forgotten=True)

        found: builtins.list[Record] = self._read(lookup, [])
        if not found:
            raise InventoryError(f"no interpreter {ref!r} in {self.describe_db()}")
        return found[0]

    def history(
        self,
        ref: str | int | None = None,
        since: datetime | None = None,
        trigger: str | Sequence[str] | None = None,
        limit: int | None = None,
        *,
        hosts: Sequence[str] | None = None,
        outcomes: Sequence[str] | None = None,
        with_diff: bool = False,
        all_hosts: bool = False,
    ) -> builtins.list[ProbeEvent]:
        """The probe log, newest first; ``with_diff`` adds what each answer changed.

        This host's probes, or those of ``hosts`` (names or ids), or (``all_hosts``)
        every host's. ``ref`` (an id or a path) is looked up on the hosts asked for.
        """
        if limit is not None and (type(limit) is not int or limit < 1):
            raise BadRequest(f"limit must be a whole number of at least 1, not {limit!r}")
        chosen = None if hosts is None else self.host_selectors(hosts)
        own = self.host if chosen is None and not all_hosts else None
        ids = None
        if ref is not None:
            ids = [self.resolve_on(ref, hosts, any_host=all_hosts).id]
            if (chosen or all_hosts) and not read.is_id(str(ref)):
                # A path on several of the hosts asked for: each host's history of it, not
                # the oldest row's alone (which hid the others, and this host's, without a word).
                ids = self._read(lambda conn: read.interpreter_ids(conn, str(ref), None, hosts=chosen), ids)
        return self._read(
            lambda conn: read.history(
                conn,
                interpreter_ids=ids,
                since=since,
                trigger=trigger,
                limit=limit,
                hosts=chosen,
                outcomes=outcomes,
                with_diff=with_diff,
                host=own,
            ),
            [],
        )

    def describe_db(self) -> str:
        """The database, safe to print in a message (a URL's password is hidden)."""
        return self.location.describe()

    # -- revalidating -------------------------------------------------------------------

    def probe(
        self, paths: Iterable[str], refresh: Refresh | None = None, revive: bool = True, *, same_file: bool = False
    ) -> Result:
        """Learn or revalidate these paths under ``refresh``; records in the order asked.

        Naming a forgotten interpreter brings it back (``revive``), unless the caller
        only looks (``show``). ``same_file``: a path the store does not know is answered
        by a working record of another name for the same file in its folder, if there is
        one (``_revalidate``).
        """
        wanted = builtins.list(dict.fromkeys(normalize_path(p) for p in paths))
        unstorable = [not_utf8(p) for p in wanted if not is_utf8(p)]
        storable = [p for p in wanted if is_utf8(p)]
        result = self._revalidate(storable, refresh or Refresh(), explicit=True, revive=revive, same_file=same_file)
        return replace(result, problems=[*unstorable, *result.problems]) if unstorable else result

    def list(self, refresh: Refresh | None = None, discover: bool = True, *, light: bool = False) -> Result:
        """Revalidate every known interpreter on this host, discovering new ones first.

        ``discover`` looks on ``PATH``, in the version managers' folders and at the
        active venv (not ``--scan`` folders): stat and listdir calls, no interpreter.

        ``light``, for a long listing: the store is read and judged in batches, and a record
        answered from it keeps neither its probe's answer (``data`` is empty, except for a
        launcher: ``data["launcher"]`` is what grouping and the table read) nor, unless
        grouping needs it (a working base interpreter), its fingerprint. ``answers`` reads
        the answers back a batch at a time as they are printed, so memory stays flat.
        """
        policy = refresh or Refresh()
        if not discover:
            return self._revalidate(None, policy, light=light)
        found = self._discovered()
        return self._revalidate(None, policy, sources=found, also=builtins.list(found), light=light)

    def answers(self, records: Iterable[Record]) -> Iterator[Record]:
        """``records`` with their probes' answers, read back in batches where ``list(light=True)``
        left them out; in order, each as it is asked for."""
        batch: builtins.list[Record] = []
        conn: read.Connection | None = None
        try:
            for record in records:
                batch.append(record)
                if len(batch) >= _ANSWERS_PER_BATCH:
                    conn = conn or self._reader()
                    yield from _with_answers(conn, batch)
                    batch = []
            if batch:
                conn = conn or self._reader()
                yield from _with_answers(conn, batch)
        finally:
            if conn is not None:
                conn.close()

    def discover(
        self,
        sources: Sequence[str] | None = None,
        scan: Sequence[str] = (),
        scan_depth: int = 4,
        refresh: Refresh | None = None,
    ) -> Result:
        """Find interpreters (see ``interpdb.discovery``) and learn them under ``refresh``.

        A path found whose name is not UTF-8 cannot be stored: each is a problem (its own
        one-line error), as ``probe`` says of it, not passed over without a word."""
        unstorable: builtins.list[str] = []
        by_path = self._discovered(sources, scan, scan_depth, unstorable)
        result = self._revalidate(builtins.list(by_path), refresh or Refresh(), sources=by_path)
        if not unstorable:
            return result
        return replace(result, problems=[*(not_utf8(p) for p in dict.fromkeys(unstorable)), *result.problems])

    @staticmethod
    def _discovered(
        sources: Sequence[str] | None = None,
        scan: Sequence[str] = (),
        scan_depth: int = 4,
        unstorable: builtins.list[str] | None = None,
    ) -> dict[str, builtins.list[str]]:
        """path -> the sources that found it (stat and listdir only); names that are not
        UTF-8 go to ``unstorable`` when it is given."""
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
            elif unstorable is not None:
                unstorable.append(candidate.path)
        return by_path

    def find(
        self,
        request: str = "any",
        *,
        implementation: str | None = None,
        arch: str | None = None,
        allow_venv: bool = True,
        refresh: Refresh | None = None,
        discover: bool = True,
        exhaustive: bool = False,
    ) -> tuple[Record | None, Result]:
        """The best interpreter for ``request`` (see ``interpdb.request``), and what was considered.

        Fingerprints are checked in rank order (``_first_fresh``): when the best stored
        match is fresh, ``considered`` holds the paths to it that were checked, not every
        interpreter. ``exhaustive=True`` revalidates every known interpreter first (as
        ``list`` does) and ``considered`` holds them all, as it does whenever nothing matches.
        """
        from interpdb.request import parse_request, rank

        for name, value in (("request", request), ("implementation", implementation)):
            if not isinstance(value, str) and not (value is None and name == "implementation"):
                raise BadRequest(f"{name} must be text ('3.12', 'any', 'cpython'), not {type(value).__name__}")
        try:
            parsed = parse_request(request, implementation)
        except ValueError as error:
            raise BadRequest(str(error), hint="`interpdb find --help` shows the usage") from error
        policy = refresh or Refresh()
        if parsed.path is not None:
            # Nothing may run (--offline, a read-only store): a path never probed is answered
            # by another name for the same file, as stored (a venv folder's bin/python3 by its
            # bin/python), rather than refused. Otherwise it is probed as itself.
            unrunnable = policy.offline or self.store_read_only
            # Named, a forgotten interpreter stays forgotten, and unprobed: forget hides it from
            # find; ``probe PATH`` brings it back (the CLI's note says so).
            if any(r.forgotten_at is not None for r in self.stored(paths=[parsed.path], include_forgotten=True)):
                return None, Result([])
            considered = self.probe([parsed.path], policy, same_file=unrunnable)
            answered = [r.path for r in considered.records]
            if answered and answered[0] != parsed.path:  # by that other name
                parsed = replace(parsed, path=answered[0])
        else:
            quick = None if exhaustive else self._first_fresh(parsed, policy, discover, arch, allow_venv)
            if quick is not None:
                best, checked = quick
                if best.data.get("launcher"):
                    return self._behind_launcher(best, policy), checked
                return best, checked
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
        if not ranked and parsed.executable_name is not None and discover:
            on_path = _on_path(parsed)  # known by no interpreter's folder: uv's PATH lookup
            if on_path.path is not None:
                return self.find(
                    on_path.path, implementation=implementation, arch=arch, allow_venv=allow_venv, refresh=policy
                )
        if ranked and ranked[0].data.get("launcher"):
            return self._behind_launcher(ranked[0], policy), considered
        return (ranked[0] if ranked else None), considered

    def _first_fresh(
        self, parsed: Request, policy: Refresh, discover: bool, arch: str | None, allow_venv: bool
    ) -> tuple[Record, Result] | None:
        """The best match, when it is fresh, found by checking fingerprints in rank order.

        Every base interpreter and every stored failure is read and judged (they are few).
        Of the venvs, the many, only those that could outrank the best matching base
        interpreter are read (``store.read.venvs_that_may_outrank``: the active venv, a
        newer release line, a better build of the same line), with the other paths into
        them; they are ranked as stored and only the best match's paths (its alias group)
        are judged, and the active venv's, which ranks first whenever it matches (so its
        match is judged on its answer now). So the cost does not grow with every venv on
        the machine.
        Whatever could change the answer, or needs a write, returns None and ``find``
        takes the exhaustive way, which probes exactly what it always did: a path
        discovered but never stored, a discovery source to record, an explicit refresh
        or ``--max-age``, a read-only store, a base interpreter or a stored failure
        whose fingerprint changed, the best match or the active venv changed or gone,
        no match.
        """
        from interpdb.aliases import identity
        from interpdb.request import in_venv, rank

        if policy.everything or policy.interpreters or policy.max_age is not None:
            return None
        found = self._discovered() if discover else {}
        conn = self._reader()
        if conn is None:
            return None  # no store yet: the exhaustive way probes what discovery found
        try:
            # Base interpreters, failures and every discovered path, with fingerprints and answers.
            few = {r.path: r for r in self._read_few(conn, read.not_venvs(), None)}
            unread = [path for path in found if path not in few]
            for start in range(0, len(unread), _PATHS_PER_QUERY):
                few.update((r.path, r) for r in self._read_few(conn, None, unread[start : start + _PATHS_PER_QUERY]))
            if any(path not in few for path in found):
                return None  # never probed: only a probe can rank it
            # Forgotten interpreters are left out, as by ``list``.
            records = {path: r for path, r in few.items() if r.forgotten_at is None}
            unrecorded = any(n not in records[p].sources for p, names in found.items() if p in records for n in names)
            if not policy.offline and (self.store_read_only or unrecorded):
                return None  # the exhaustive way says the store is read-only, or records the sources
            probe_hash = script_hash()
            stats: dict[str, os.stat_result | None] = {}
            # Base interpreters are few and their fingerprints are loaded anyway: all are judged,
            # so one upgraded in place (a new micro version that would now rank first) is
            # re-probed as before. Only venvs, the many, are judged in rank order.
            for record in records.values():
                judged_now = record.outcome != "ok" or not record.is_venv
                if judged_now and not isinstance(judge(record.path, record, policy, probe_hash, stats), Record):
                    return None
            sources = {p: builtins.list(v) for p, v in found.items()}
            active = os.environ.get("VIRTUAL_ENV")
            if allow_venv:
                records.update(self._venvs_to_rank(conn, parsed, records, sources, active, arch))
        finally:
            conn.close()
        full = set(few)  # read with their fingerprints and answers
        everything = builtins.list(records.values())
        # The active venv ranks first whenever it matches, so whether it matches is its answer
        # now, not as stored: one rebuilt on another Python is re-probed (the exhaustive way).
        if active and allow_venv:
            prefix = os.path.normpath(active)
            spelled = [r for r in everything if in_venv(r, prefix)]
            if not spelled and os.path.exists(os.path.join(prefix, "pyvenv.cfg")):
                return None  # a venv stored under another spelling, if at all: its pyvenv.cfg tells (rank)
            if self._judged(spelled, full, policy, probe_hash, stats) is None:
                return None
        order = source_rank(Result(everything, sources=sources))
        ranked = rank(everything, parsed, active_venv=active, source_order=order, arch=arch, allow_venv=allow_venv)
        if not ranked:
            return None
        best = identity(ranked[0])
        # The paths ``rank`` grouped into the best match: its candidates of the same identity,
        # and for a venv every path into its folder (read without fingerprints, their identity
        # lacks the pyvenv.cfg entry that tells it: judged, they are grouped by it below).
        folder = ranked[0].prefix if ranked[0].is_venv else None
        members = [
            r
            for r in everything
            if parsed.matches(r, arch=arch, allow_venv=allow_venv)
            and (identity(r) == best or (folder is not None and r.is_venv and r.prefix == folder))
        ]
        judged = self._judged(members, full, policy, probe_hash, stats)
        if judged is None:
            return None  # changed or gone: re-probed the exhaustive way
        answer = rank(judged, parsed, active_venv=active, source_order=order, arch=arch, allow_venv=allow_venv)
        if not answer:
            return None
        return answer[0], Result(judged, sources={p: sources[p] for p in (r.path for r in judged) if p in sources})

    def _judged(
        self,
        records: builtins.list[Record],
        full: set[str],
        policy: Refresh,
        probe_hash: str,
        stats: dict[str, os.stat_result | None],
    ) -> builtins.list[Record] | None:
        """``records`` judged, their fingerprints loaded where they were read without (paths
        not in ``full``); None when one of them changed or is gone."""
        lacking = [r.id for r in records if r.path not in full]
        if lacking:
            loaded = {r.path: r for r in self.stored(ids=lacking)}
            records = [loaded.get(r.path, r) if r.path not in full else r for r in records]
        judged: builtins.list[Record] = []
        for record in records:
            verdict = judge(record.path, record, policy, probe_hash, stats)
            if not isinstance(verdict, Record):
                return None
            judged.append(verdict)
        return judged

    def _read_few(
        self, conn: read.Connection, facts: read.Facts | None, paths: Sequence[str] | None
    ) -> builtins.list[Record]:
        """This host's records (forgotten ones too) with their fingerprints and answers."""
        return read.current_records(conn, self.host, paths=paths, include_forgotten=True, facts=facts)

    def _venvs_to_rank(
        self,
        conn: read.Connection,
        parsed: Request,
        known: Mapping[str, Record],
        sources: Mapping[str, Sequence[str]],
        active: str | None,
        arch: str | None,
    ) -> dict[str, Record]:
        """The stored venvs that could rank before the best matching base interpreter in ``known``
        (every venv when none matches), with every other path into those venvs; as stored,
        without fingerprints (``find`` loads the entries of the ones it judges)."""
        from interpdb.request import build_rank, line_of, rank

        # What ranks venvs is in columns, unless the request names a machine, an OS or a
        # libc (read from the probe's answer): then the answers are decoded too.
        plain = arch is None and parsed.machine is None and parsed.os is None and parsed.libc is None
        bases = [r for r in known.values() if not (r.outcome == "ok" and r.is_venv)]
        order = source_rank(Result(bases, sources={p: builtins.list(v) for p, v in sources.items()}))
        ranked = rank(bases, parsed, source_order=order, arch=arch)
        line = line_of(ranked[0]) if ranked else None
        facts = read.venvs_that_may_outrank(
            line,
            build_rank(ranked[0], parsed) if ranked else 0,
            debug_counts=parsed.debug is None,
            free_threading_counts=parsed.free_threaded is None,
            active=os.path.normpath(active) if active else None,
        )
        found = {
            r.path: r
            for r in read.current_records(conn, self.host, with_entries=False, with_data=not plain, facts=facts)
            if r.path not in known
        }
        if line is None:
            return found  # every venv: none is left to add
        prefixes = builtins.list(dict.fromkeys(r.prefix for r in found.values() if r.prefix is not None))
        for start in range(0, len(prefixes), _PATHS_PER_QUERY):
            chunk = prefixes[start : start + _PATHS_PER_QUERY]
            for record in read.current_records(
                conn, self.host, with_entries=False, with_data=not plain, facts=read.venvs_in(chunk)
            ):
                if record.path not in known:
                    found.setdefault(record.path, record)
        return found

    def _behind_launcher(self, launcher: Record, policy: Refresh) -> Record:
        """A shim's answer depends on the folder and the environment: answer with the
        interpreter it runs now, naming the shim among its aliases."""
        target = (launcher.data.get("launcher") or {}).get("target")
        if not isinstance(target, str) or not target:
            return launcher
        found = self.probe([target], policy, revive=False, same_file=True).records
        if not found or found[0].outcome != "ok":
            return launcher
        return replace(found[0], aliases=tuple(sorted({launcher.path, *launcher.aliases, *found[0].aliases})))

    def _same_file_answer(
        self, path: str, policy: Refresh, probe_hash: str, stats: dict[str, os.stat_result | None]
    ) -> Record | None:
        """The judged record of another name for the file at ``path``, when one works."""
        from interpdb.learning import same_file_paths

        others = same_file_paths(path)
        for record in self.stored(paths=others) if others else ():
            verdict = judge(record.path, record, policy, probe_hash, stats)
            if isinstance(verdict, Record) and verdict.outcome == "ok" and not verdict.data.get("launcher"):
                return verdict
        return None

    def _revalidate(
        self,
        wanted: builtins.list[str] | None,
        policy: Refresh,
        sources: Mapping[str, Sequence[str]] | None = None,
        explicit: bool = False,
        revive: bool = False,
        also: Sequence[str] = (),
        light: bool = False,
        same_file: bool = False,
    ) -> Result:
        """Revalidate ``wanted`` (None: everything stored), plus the paths ``also`` names.

        ``same_file``: a path the store does not know is answered by a record of another
        name for the same file in its folder (``bin/python3.12`` for the ``bin/python`` a
        pyenv shim selects), when the store holds one that works, instead of being probed
        (or, offline, refused).

        ``explicit``: the paths were named by the user, which brings forgotten ones
        back (``revive``); otherwise (``list``, ``discover``, ``find``) forgotten
        interpreters are left out. One query loads every stored record involved, or
        (``light``, everything stored) one batch at a time (see ``list``).
        """
        batched = light and wanted is None
        stored, order = ({}, []) if batched else self._targets(wanted, explicit, revive, also)
        notes: builtins.list[str] = []
        if not policy.offline and self.store_read_only:
            if policy.everything or policy.interpreters or policy.max_age is not None:
                gate.refuse_writes(self.access())  # asked for a re-probe: that must write
            # Nothing can be recorded: answer exactly as --offline does, and say why.
            policy = replace(
                policy,
                offline=True,
                everything=False,
                interpreters=frozenset(),
                max_age=None,
                offline_reason="the store is read-only: nothing is probed",
            )
            notes.append(
                f"the store is read-only ({self.access().read_only_reason}): "
                "nothing is probed, changed interpreters are shown as stale"
            )
        probe_hash = script_hash()
        results: dict[str, Record] = {}
        problems: builtins.list[Problem] = []
        due: builtins.list[Due] = []
        stats: dict[str, os.stat_result | None] = {}  # files venvs share are stat-ed once

        def take(path: str, record: Record | None, selected: _Selected) -> None:
            verdict = judge(path, record, policy, probe_hash, stats, selected)
            if same_file and record is None and not isinstance(verdict, Record):
                verdict = self._same_file_answer(path, policy, probe_hash, stats) or verdict
            if isinstance(verdict, Record):
                results[path] = _light(verdict) if light else verdict
            elif isinstance(verdict, Problem):
                problems.append(verdict)
            else:
                due.append(verdict)

        if batched:
            order = self._judge_in_batches(also, probe_hash, stats, take)
        else:
            selected = _Selected(self, stored, probe_hash, stats)
            for path in order:
                take(path, stored.get(path), selected)
        if due:
            results.update(self._probe_and_record(due, probe_hash, problems))
        if sources and not policy.offline:
            self._remember_sources(results, sources)
        found_through = {p: builtins.list(v) for p, v in (sources or {}).items()}
        notes += self._said
        self._said = []
        return Result([results[p] for p in order if p in results], problems, found_through, notes)

    def _judge_in_batches(
        self,
        also: Sequence[str],
        probe_hash: str,
        stats: dict[str, os.stat_result | None],
        take: Callable[[str, Record | None, _Selected], None],
    ) -> builtins.list[str]:
        """``take`` every stored record of this host (forgotten ones left out) and then each
        path of ``also`` not stored, reading the store a batch at a time; the paths in order.

        What ``_targets`` does for everything, without holding every record at once: a shim
        that now selects another interpreter looks it up in the whole store (``_Selected``),
        which is then read once, on that first need.
        """
        order: builtins.list[str] = []
        forgotten: set[str] = set()
        selected = _Selected(self, _Everything(self), probe_hash, stats)
        conn = self._reader()
        after = 0
        try:
            while conn is not None:
                batch = read.current_records(conn, self.host, include_forgotten=True, after=after, limit=_BATCH)
                if not batch:
                    break
                after = batch[-1].id
                for record in batch:
                    if record.forgotten_at is not None:
                        forgotten.add(record.path)
                        continue
                    order.append(record.path)
                    take(record.path, record, selected)
        finally:
            if conn is not None:
                conn.close()
        known = set(order) | forgotten
        for path in also:
            if path not in known:
                known.add(path)
                order.append(path)
                take(path, None, selected)
        return order

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
        """Unforget ``records``, and the other paths ``forget`` hid with each (the same
        interpreter, forgotten at the same moment)."""
        together = {(key, r.forgotten_at) for r in records if (key := _hidden_together(r)) is not None}
        named = {r.id for r in records}
        others = [
            r.id
            for r in (self.stored(include_forgotten=True) if together else [])
            if r.forgotten_at is not None and r.id not in named and (_hidden_together(r), r.forgotten_at) in together
        ]
        ids = [*named, *others]
        self._write("bring them back", lambda store: store.set_forgotten(ids, False, self.command))
        return {r.path: replace(r, forgotten_at=None) for r in records}

    # -- maintenance ---------------------------------------------------------------------

    def forget(self, refs: Sequence[str]) -> builtins.list[Record]:
        """Hide interpreters from ``list`` and ``find``, keeping their history.

        An interpreter is hidden whole: each ref's other paths to it as stored (its
        aliases: ``python3`` beside ``python3.12``, ``/bin`` beside ``/usr/bin``) go with
        it, or ``find`` would answer by one of them. A shim is left alone: what it runs
        depends on the folder. Returned: every record hidden, those named first."""
        named = [self.resolve_ref(ref) for ref in refs]
        chosen = {r.id for r in named}
        wanted = {key for r in named if (key := _hidden_together(r)) is not None}
        others = [r for r in (self.stored() if wanted else []) if r.id not in chosen and _hidden_together(r) in wanted]
        records = named + others
        self._write("forget them", lambda store: store.set_forgotten([r.id for r in records], True, self.command))
        return records

    def purge(self, refs: Sequence[str]) -> builtins.list[Record]:
        """Delete interpreters and their whole history."""
        records = [self.resolve_ref(ref) for ref in refs]
        self._write("purge them", lambda store: store.purge([r.id for r in records]))
        return records

    def prune(
        self, missing_for: timedelta, dry_run: bool = False, *, own: bool = True, others: Sequence[Record] = ()
    ) -> builtins.list[Record]:
        """Forget interpreters missing for longer than ``missing_for``; the list of them.

        This host's (``own``), and ``others`` (other hosts' records, from ``remote``):
        those are judged by what their own host last recorded, never by a path here.
        """
        from interpdb.records import utcnow

        cutoff = utcnow() - missing_for
        stale = [
            r
            for r in [*(self.stored() if own else ()), *others]
            if r.outcome == "missing"
            and r.probed_at is not None
            and r.probed_at < cutoff
            # back since its last probe: not missing, whatever that said (this host's only)
            and (r.status == "remote" or not os.path.lexists(r.path))
        ]
        if stale and not dry_run:
            self._write("forget them", lambda store: store.set_forgotten([r.id for r in stale], True, self.command))
            # As stored now, forgotten_at set (it said null for what this run had just forgotten).
            stored = {r.id: r for r in self.stored(ids=[r.id for r in stale], include_forgotten=True)}
            stale = [replace(r, forgotten_at=stored[r.id].forgotten_at) if r.id in stored else r for r in stale]
        return [r.with_status("missing") for r in stale]  # checked just now: not "cached"

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
        self, due: builtins.list[Due], probe_hash: str, problems: builtins.list[Problem]
    ) -> dict[str, Record]:
        """Probe what is due (or record it missing) and append each answer as it comes.

        Finished probes are written in small batches while the others run, so an
        interrupted command (``errors.Interrupted``, KeyboardInterrupt) keeps every
        probe that finished; the exception then carries how many (``kept``).

        A batch the database refuses for what one of its rows holds (a path too long
        for PostgreSQL's index) is written again a probe at a time: that one is a
        problem in ``problems``, the others are kept. Any other failure ends the run.
        """
        if self.hand_over_writes:
            raise NeedsWrite(f"{len(due)} interpreters to probe or mark missing")
        from interpdb.learning import learn
        from interpdb.records import utcnow
        from interpdb.store.write import NewProbe

        self._write_store()  # a store that cannot be written says so before anything runs
        by_path = {item.path: item for item in due}
        rank = {item.path: i for i, item in enumerate(due)}
        pending: builtins.list[NewProbe] = []
        written: builtins.list[str] = []
        last_flush = [time.monotonic()]

        def write(batch: builtins.list[NewProbe]) -> None:
            with SignalsHeld():  # a write cut in half is a half-imported ORM, or a batch not counted
                self._write("record the probes", lambda store: store.record(self.host, batch))
                written.extend(n.path for n in batch)

        def flush() -> None:
            if pending:
                # In the order asked, within a batch (ids follow it); batches in the order they finished.
                batch = sorted(pending, key=lambda n: rank.get(n.path, 0))
                # Taken before writing: a signal held during the write is raised as it ends,
                # and the flush of the interrupted run must not write the batch a second time.
                pending.clear()
                try:
                    write(batch)
                except InventoryError as error:
                    if _refused_row(error) is None:
                        raise
                    for one in batch:  # one bad path spoils nothing else
                        try:
                            write([one])
                        except InventoryError as alone:
                            reason = _refused_row(alone)
                            if reason is None:
                                raise
                            problems.append(Problem(one.path, f"not recorded: the database refused it ({reason})"))
            last_flush[0] = time.monotonic()

        def on_learned(learned: Learned) -> None:
            for path, (result, entries) in learned.items():
                item = by_path[path]
                pending.append(
                    NewProbe(
                        path=path,
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
            if len(pending) >= _FLUSH_PROBES or time.monotonic() - last_flush[0] >= _FLUSH_SECONDS:
                flush()

        gone = [item for item in due if item.trigger == "gone"]
        for item in gone:
            pending.append(
                NewProbe(
                    path=item.path,
                    trigger="changed",
                    outcome="missing",
                    probed_at=utcnow(),
                    duration_ms=0.0,
                    probe_hash=probe_hash,
                    entries=fingerprint.take(item.path, None, probe_hash),
                    error=gone_reason(item.path),
                    changes=[c.as_dict() for c in item.changes],
                    command=self.command,
                )
            )
        try:
            learn(
                [item.path for item in due if item.trigger != "gone"],
                probe_hash,
                on_learned,
                timeout=self.timeout,
                jobs=self.jobs,
                progress=self.progress,
            )
            flush()
            fresh = self.stored(paths=written)
        except (KeyboardInterrupt, Interrupted) as stop:
            try:  # noqa: SIM105 (contextlib is kept off the warm path's modules)
                flush()
            except (KeyboardInterrupt, Interrupted):
                pass  # a second signal, held until what had finished was written
            raise Interrupted(getattr(stop, "signum", 2), len(written)) from None
        return {
            r.path: replace(r, status=RUN_STATUS_OF_OUTCOME.get(r.outcome or "", "error"), probed_now=True)
            for r in fresh
        }


def _refused_row(error: BaseException) -> str | None:
    """Why the database refused a write for what a row holds (PostgreSQL's data exceptions,
    class 22, and program limits, class 54, such as an index row too large; SQLite's
    "too big"), in one line; None for any other failure (busy, gone, full, denied)."""
    from interpdb.store.schema import one_line

    cause = error.__cause__
    orig = getattr(cause, "orig", None) or cause
    if orig is None:
        return None
    state = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    if state[:2] in ("22", "54") or "too big" in str(orig):
        return one_line(orig)
    return None


def _hidden_together(record: Record) -> tuple[object, ...] | None:
    """What ``forget`` hides (and ``probe`` brings back) a record's other paths by: its
    interpreter (``aliases.identity``). None for a shim or wrapper, whose interpreter
    depends on the folder, and for a failure, which is its path alone: hidden alone."""
    from interpdb.aliases import identity

    return identity(record) if record.outcome == "ok" and not record.data.get("launcher") else None


def _light(record: Record) -> Record:
    """A record as ``list(light=True)`` keeps it: no probe answer but a launcher's, and of
    its fingerprint what ``aliases.identity`` reads (a working base interpreter's entries,
    a working venv's pyvenv.cfg)."""
    from interpdb.aliases import venv_config

    keep_data = bool(record.data.get("launcher"))
    if record.outcome != "ok":
        entries: tuple[Entry, ...] = ()
    elif record.is_venv:
        config = venv_config(record)
        entries = () if config is None else (config,)
    else:
        entries = record.entries
    if entries is record.entries and keep_data:
        return record
    return replace(record, entries=entries, data=record.data if keep_data else {})


def _with_answers(conn: read.Connection | None, records: builtins.list[Record]) -> Iterator[Record]:
    """``records`` with the answers ``_light`` left out read back (by probe: what was judged)."""
    lacking = [r.probe_id for r in records if r.probe_id is not None and r.outcome == "ok" and not r.data]
    found = read.answers(conn, lacking) if lacking and conn is not None else {}
    for record in records:
        answer = found.get(record.probe_id) if record.probe_id is not None and not record.data else None
        yield replace(record, data=answer) if answer else record


class _Everything(Mapping[str, Record]):
    """This host's stored records (forgotten ones left out), read whole on first use."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self._records: dict[str, Record] | None = None

    def _loaded(self) -> dict[str, Record]:
        if self._records is None:
            self._records = {r.path: r for r in self.inventory.stored()}
        return self._records

    def __getitem__(self, path: str) -> Record:
        return self._loaded()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


class _Selected:
    """A shim's answer from the store: the fresh record of the interpreter it selects now.

    Moving between project folders changes what a pyenv, asdf or mise shim selects;
    when the store already knows that interpreter and its fingerprint still matches,
    the shim's answer is that record, at the cost of stat calls: no probe, no write.
    The shim's own row keeps its last real probe; the answer's ``launcher`` names the
    selection and ``answered_by`` the record it came from. Found by path, or by the same
    file in the same folder (``python3`` for ``python3.13``).
    """

    def __init__(
        self,
        inventory: Inventory,
        stored: Mapping[str, Record],
        probe_hash: str,
        stats: dict[str, os.stat_result | None],
    ) -> None:
        self.inventory = inventory
        self.stored = stored
        self.probe_hash = probe_hash
        self.stats = stats
        self._by_file: dict[object, Record] | None = None

    def __call__(self, shim: Record, selection: Any) -> Record | None:
        target = selection.target
        if not target:
            return None
        candidate = self.stored.get(target) or self._same_file(target)
        if candidate is None:
            # Not among the records at hand (``show SHIM`` and ``find SHIM`` hold only the
            # shim's): the store's, by path or by another name of the same file, as ``list``
            # finds it among all of them (pyenv's ``bin/python`` is ``bin/python3.12``).
            from interpdb.learning import same_file_paths

            found = {r.path: r for r in self.inventory.stored(paths=[target, *same_file_paths(target)])}
            candidate = found.get(target) or next(iter(found.values()), None)
        if candidate is None or candidate.outcome != "ok" or candidate.damaged or candidate.forgotten_at:
            return None
        if candidate.data.get("launcher") or any(fingerprint.changes(candidate.entries, self.probe_hash, self.stats)):
            return None
        from interpdb.learning import launcher_json

        data = dict(candidate.data, launcher=launcher_json(shim.path, selection, candidate.data))
        data["answered_by"] = candidate.path
        # The fingerprint the shim would have if probed here: its own file, the selected
        # interpreter's entries (so aliases group it with what it runs now), the files
        # and values that decided the selection.
        here = [e for e in shim.entries if e.role == "executable"]
        here += [replace(e, role="real-executable") if e.role == "executable" else e for e in candidate.entries]
        here += fingerprint.watch("launcher-file", selection.files)
        here += fingerprint.values("launcher-env", dict(selection.env))
        here += fingerprint.values("cwd", {"cwd": os.getcwd()})
        return replace(
            candidate,
            id=shim.id,
            path=shim.path,
            status="cached",
            data=data,
            entries=tuple(here),
            sources=shim.sources,
            aliases=(),
            forgotten_at=shim.forgotten_at,
        )

    def _same_file(self, target: str) -> Record | None:
        from interpdb.learning import same_file_key

        if self._by_file is None:
            self._by_file = {}
            for record in self.stored.values():
                if record.outcome == "ok" and not record.data.get("launcher"):
                    self._by_file.setdefault(same_file_key(record.path), record)
        return self._by_file.get(same_file_key(target))


def _on_path(parsed: Request) -> Request:
    """``find mypython3``: the ``mypython3`` on ``PATH`` as a path request, when there is one
    (discovery only looks for ``python*``, ``pypy*`` and ``graalpy*`` names)."""
    import shutil

    found = shutil.which(parsed.executable_name or "")
    return replace(parsed, path=normalize_path(found), executable_name=None) if found else parsed


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
