"""SQLAlchemy writes: recording probes, forgetting, purging, noting discovery sources.

Reached only through ``store.gate.open_write``, which has created or upgraded the
schema when it was allowed to; imported only when something must be written, so no
warm command pays for SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from interpdb import __version__
from interpdb.errors import StoreError
from interpdb.fingerprint import Entry
from interpdb.location import Location
from interpdb.records import utcnow
from interpdb.store.columns import PROBE_FACTS
from interpdb.store.schema import create_engine_for, one_line

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from interpdb.hostid import Host

#: A batch of probes is written again when another interpdb inserted one of its
#: interpreters first; each retry finds at least one more of them already there.
_RECORD_ATTEMPTS = 3


@dataclass(frozen=True)
class NewProbe:
    """One probe attempt to append: everything the ``probes`` row and its entries need."""

    path: str
    trigger: str
    outcome: str  # ok | error | missing
    probed_at: datetime
    duration_ms: float
    probe_hash: str
    entries: Sequence[Entry]
    data: dict[str, Any] | None = None
    error: str | None = None
    changes: Sequence[dict[str, Any]] = field(default_factory=tuple)
    command: str | None = None


class Store:
    """An open, current database to write probes into (from ``store.gate.open_write``)."""

    def __init__(self, location: Location) -> None:
        self.location = location
        self.engine: Engine = create_engine_for(location)  # a missing driver is one line (StoreError)
        #: (the revision before, the backup) when ``gate.open_write`` upgraded the store to open it
        self.upgraded: tuple[str | None, Path | None] | None = None

    @classmethod
    def open(cls, location: Location, read_only: bool = False) -> Store:
        """The store ready to write, through the gate (created or upgraded when it allows)."""
        from interpdb.store.gate import open_write

        return open_write(location, read_only)

    def revision(self) -> str | None:
        from interpdb.store.schema import stored_revision

        return stored_revision(self.engine)

    def upgrade(self, target: str = "head", backup_first: bool = True) -> None:
        """Migrate up to ``target`` (by hand: ``interpdb db upgrade``; the gate decides otherwise)."""
        from interpdb.store import schema

        if backup_first:
            schema.backup(self.location, f"upgrade-{schema._stamp()}")
        schema.run_migrations(self.engine, "upgrade", target)

    def downgrade(self, target: str) -> None:
        from interpdb.store import schema

        schema.backup(self.location, f"downgrade-{schema._stamp()}")
        schema.run_migrations(self.engine, "downgrade", target)

    @contextmanager
    def session(self) -> Iterator[Any]:
        from sqlalchemy.orm import Session

        with Session(self.engine) as session, session.begin():
            yield session

    def record(self, host: Host, probes: Sequence[NewProbe]) -> list[int]:
        """Append probes (one transaction for the batch); return their interpreters' ids.

        Another interpdb may insert one of these interpreters between this one's
        look-up and its insert (both learned a new path at once): the batch is then
        rolled back and written again, and finds that row. Raises StoreError.
        """
        from sqlalchemy.exc import IntegrityError, SQLAlchemyError

        attempt = 1
        while True:
            try:
                return self._record(host, probes)
            except IntegrityError as error:
                if attempt >= _RECORD_ATTEMPTS:
                    raise write_error("record the probes", error, self.location) from error
                attempt += 1
            except SQLAlchemyError as error:
                raise write_error("record the probes", error, self.location) from error

    def _record(self, host: Host, probes: Sequence[NewProbe]) -> list[int]:
        from sqlalchemy import insert, select

        from interpdb.store.models import FingerprintEntry, Interpreter, Probe, SysPathEntry

        ids: list[int] = []
        with self.session() as session:
            adopt_legacy_rows(session, host)
            for new in probes:
                interpreter = session.scalars(
                    select(Interpreter).where(Interpreter.host_id == host.id, Interpreter.path == new.path)
                ).one_or_none()
                if interpreter is None and host.id != host.name:
                    # A row an interpdb older than host ids wrote on a machine of this name
                    # (``host_id = host =`` the name): it is this machine's, moved to its id.
                    interpreter = session.scalars(
                        select(Interpreter).where(
                            Interpreter.host_id == host.name,
                            Interpreter.host == host.name,
                            Interpreter.path == new.path,
                        )
                    ).one_or_none()
                    if interpreter is not None:
                        interpreter.host_id = host.id
                if interpreter is None:
                    interpreter = Interpreter(host_id=host.id, host=host.name, path=new.path, created_at=new.probed_at)
                    session.add(interpreter)
                elif interpreter.host != host.name:
                    interpreter.host = host.name  # renamed: the name people read follows the machine
                probe = Probe(
                    interpreter=interpreter,
                    probed_at=new.probed_at,
                    trigger=new.trigger,
                    changes=list(new.changes),
                    outcome=new.outcome,
                    error=new.error,
                    duration_ms=new.duration_ms,
                    interpdb_version=__version__,
                    probe_hash=new.probe_hash,
                    command=new.command,
                    data=new.data,
                    **_facts(new.data),
                )
                session.add(probe)
                session.flush()
                # Core executemany on the session's connection, not ORM objects: a
                # 10,000-entry sys.path took 4 s as objects, 0.3 s like this.
                conn = session.connection()
                if new.entries:
                    conn.execute(
                        insert(FingerprintEntry),
                        [dict(e.as_dict(), probe_id=probe.id, position=i) for i, e in enumerate(new.entries)],
                    )
                if new.outcome == "ok" and _sys_path(new.data):
                    conn.execute(
                        insert(SysPathEntry),
                        [{"probe_id": probe.id, "position": i, "path": p} for i, p in _sys_path(new.data)],
                    )
                # The newest probe is the current one, whatever order concurrent writers
                # commit in: another interpdb may have recorded a later probe of this path
                # while this one's batch waited for the lock.
                if not _newer_current(session, interpreter.current_probe_id, new.probed_at):
                    interpreter.current_probe_id = probe.id
                ids.append(interpreter.id)
        return ids

    def set_forgotten(self, ids: Sequence[int], forget: bool, command: str | None = None) -> None:
        """Hide (``forget``) or bring back interpreters, with a history event for each.

        The event is a ``probes`` row with trigger ``forget`` / ``unforget`` and outcome
        ``forgotten`` / ``remembered``; nothing was run, and the interpreter's current
        probe stays what it was, so its facts are kept.
        """
        from sqlalchemy import select

        from interpdb.store.models import Interpreter, Probe

        now = utcnow()
        with self.session() as session:
            for interpreter in session.scalars(select(Interpreter).where(Interpreter.id.in_(ids))):
                interpreter.forgotten_at = now if forget else None
                session.add(
                    Probe(
                        interpreter=interpreter,
                        probed_at=now,
                        trigger="forget" if forget else "unforget",
                        changes=[],
                        outcome="forgotten" if forget else "remembered",
                        duration_ms=0.0,
                        interpdb_version=__version__,
                        probe_hash="",
                        command=command,
                    )
                )

    def purge(self, ids: Sequence[int]) -> int:
        """Delete interpreters with their whole history; return how many went."""
        from sqlalchemy import delete, update

        from interpdb.store.models import Interpreter

        with self.session() as session:
            # The cycle interpreters -> probes -> interpreters is cut first.
            session.execute(update(Interpreter).where(Interpreter.id.in_(ids)).values(current_probe_id=None))
            result = session.execute(delete(Interpreter).where(Interpreter.id.in_(ids)))
            return int(getattr(result, "rowcount", 0) or 0)

    def add_sources(self, host: Host, sources: Mapping[str, Iterable[str]]) -> None:
        """Note which discovery sources found these paths (``{path: source names}``).

        Only new ``(interpreter, source)`` pairs are written, each with the time it
        was first seen; paths with no interpreter row on ``host`` are ignored. Each
        pair is one portable ``INSERT ... SELECT`` that finds the interpreter and
        skips a pair already there: no read-then-write gap, no dialect's upsert.
        """
        from sqlalchemy import DateTime, String, bindparam, text

        now = utcnow()
        pairs = [
            {"host_id": host.id, "host_name": host.name, "path": path, "source": source, "now": now}
            for path, names in sources.items()
            for source in dict.fromkeys(names)
        ]
        if not pairs:
            return
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO interpreter_sources (interpreter_id, source, first_seen_at) "
                    "SELECT i.id, :source, :now FROM interpreters i WHERE i.path = :path "
                    "AND (i.host_id = :host_id OR (i.host_id = :host_name AND i.host = :host_name)) "
                    "AND NOT EXISTS (SELECT 1 FROM interpreter_sources s "
                    "WHERE s.interpreter_id = i.id AND s.source = :source)"
                ).bindparams(
                    # Typed: times are stored as the ORM stores them, and PostgreSQL
                    # deduces one type for :source, which appears twice.
                    bindparam("now", type_=DateTime()),
                    bindparam("source", type_=String(32)),
                    bindparam("host_name", type_=String(255)),
                ),
                pairs,
            )

    def close(self) -> None:
        self.engine.dispose()


def adopt_legacy_rows(session: Session, host: Host) -> None:
    """Move every row an interpdb older than host ids wrote on a machine of this name
    (``host_id = host =`` the name) to this machine's id, forgotten ones too, in one
    statement: moved one at a time, as each was probed again, the machine was two hosts
    meanwhile, and an import of an export made meanwhile added the unmoved path again
    under the name. A path that somehow has a row under both keeps both (nothing merged).
    """
    if host.id == host.name:
        return
    from sqlalchemy import String, bindparam, text

    session.execute(
        text(
            "UPDATE interpreters SET host_id = :id WHERE host_id = :name AND host = :name "
            "AND path NOT IN (SELECT mine.path FROM interpreters mine WHERE mine.host_id = :id)"
        ).bindparams(bindparam("name", type_=String(255))),  # PostgreSQL: one type for :name
        {"id": host.id, "name": host.name},
    )


def _newer_current(session: Session, current_id: int | None, probed_at: datetime) -> bool:
    """Is the current probe ``current_id`` later than ``probed_at``, and not in the future?

    Another interpdb's later probe of the same path, committed first, stays current. A
    time ahead of this clock (a clock stepped back since, a hand edit) proves nothing: a
    new probe replaces it, or no probe ever would. A damaged time (SQLite holds any
    text, which the column type fails to read) is not later either."""
    if current_id is None:
        return False
    from sqlalchemy import select

    from interpdb.store.models import Probe

    try:
        current = session.scalar(select(Probe.probed_at).where(Probe.id == current_id))
    except (ValueError, TypeError):  # SQLite text that is no time: a damaged row
        return False
    if not isinstance(current, datetime):
        return False
    return probed_at < current.replace(tzinfo=None) <= utcnow()


def write_error(action: str, error: BaseException, where: Location | None = None) -> StoreError:
    """A failed write in words; SQLite's "database is locked" (busy_timeout ran out) as what
    it means, naming the store (``where``) as a busy reader does."""
    from interpdb.store.read import busy_message, is_busy
    from interpdb.store.schema import BUSY_TIMEOUT_MS

    if is_busy(error):
        return StoreError(busy_message(where.describe() if where else "the database", BUSY_TIMEOUT_MS / 1000))
    if isinstance(error, ValueError):  # a stored value the ORM could not load
        return StoreError(
            f"cannot {action}: a stored row is damaged ({one_line(error)})",
            hint="`interpdb db check` lists every damaged row",
        )
    return StoreError(f"cannot {action}: {one_line(error)}")


def _sys_path(data: dict[str, Any] | None) -> list[tuple[int, str]]:
    """``(position, entry)`` of the probe's ``sys_path``: the rows of ``sys_path_entries``."""
    entries = (data or {}).get("sys_path")
    if not isinstance(entries, list):
        return []
    return [(i, entry) for i, entry in enumerate(entries) if isinstance(entry, str)]


def _facts(data: dict[str, Any] | None) -> dict[str, Any]:
    """The probe answer's fields that are columns (people filter on them): ``columns.PROBE_FACTS``."""
    if not data:
        return {}
    info = list(data.get("version_info") or []) + [None] * 5
    facts = {column: data.get(key) for column, key in PROBE_FACTS.items() if key is not None}
    facts.update(version_major=info[0], version_minor=info[1], version_micro=info[2], version_releaselevel=info[3])
    return facts
