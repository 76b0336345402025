"""Export the whole inventory as one JSON document, and import such a document back.

The document (``SCHEMA_VERSION`` 2; version 1, from before host ids, had no ``host_id``)::

    {"schema_version": 1, "interpdb_version": "...", "exported_at": "...Z",
     "interpreters": [
        {"id", "host", "path", "created_at", "forgotten_at", "host_id",
         "sources": [{"source", "first_seen_at"}],
         "probes": [{"id", every other column of ``probes`` but interpreter_id,
                     "fingerprint": [{"position", "role", "path", "exists", "mtime_ns",
                                      "ctime_ns", "size", "ino", "dev", "target"}]}]}]}

Interpreters are sorted by (host_id, path), probes by (probed_at, id), fingerprint
entries by position, sources by name; times are UTC ISO 8601 with a ``Z``. Ids
say where a row came from and are ignored on import. What is derived is not in
the document: ``current_probe_id`` (the latest attempt, never a ``forget``
event) and ``sys_path_entries`` (from each ``ok`` probe's ``data``) are rebuilt
on import.

Import merges, never duplicates. An interpreter is the same one when its
``(host_id, path)`` is (a document from before host ids, with no ``host_id``,
reads ``host`` as the id, as revision ``0004_host_identity`` does); a probe is
the same one when its interpreter, ``probed_at``,
``trigger``, ``probe_hash`` and ``outcome`` are. Probes are never updated, so
their time on their interpreter already identifies them (to the microsecond);
the other three fields keep two different probes apart should a clock ever
stamp both with the same time. For rows already there, the earliest
``created_at`` / ``first_seen_at`` wins and ``forgotten_at`` is left as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from interpdb import __version__
from interpdb.errors import TransferError
from interpdb.records import _iso, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Column

    from interpdb.hostid import Host
    from interpdb.location import Location

#: Bumped when a field is added, removed or changes meaning; import refuses others.
SCHEMA_VERSION = 2
#: Versions import reads: 1 lacks ``host_id`` (its ``host`` is read as the id, as migration 0004 does).
READABLE_VERSIONS = (1, 2)

#: The fields of each object, in the models' column terms (tests check they cover every column).
INTERPRETER_FIELDS = ("id", "host", "path", "created_at", "forgotten_at", "host_id")
SOURCE_FIELDS = ("source", "first_seen_at")
PROBE_FIELDS = (
    "id", "probed_at", "trigger", "changes", "outcome", "error", "duration_ms", "interpdb_version", "probe_hash",
    "command", "implementation", "implementation_version", "python_version", "version_major", "version_minor",
    "version_micro", "version_releaselevel", "is_venv", "free_threaded", "debug_build", "pointer_size", "platform",
    "executable", "real_executable", "prefix", "base_prefix", "data",
)  # fmt: skip
ENTRY_FIELDS = ("position", "role", "path", "exists", "mtime_ns", "ctime_ns", "size", "ino", "dev", "target")
#: Besides the interpreter, what identifies a probe (see the module docstring).
PROBE_KEY = ("probed_at", "trigger", "probe_hash", "outcome")
#: Outcomes of attempts to learn an interpreter: only these can be its current probe.
#: Other rows (``forget`` / ``unforget`` events) are history, as ``Store.set_forgotten`` keeps them.
ATTEMPT_OUTCOMES = ("ok", "error", "missing")
#: Deepest nesting a document may have: an export has 8 levels (a probe's ``data.pyvenv_cfg.values``).
MAX_DEPTH = 16


# -- export --------------------------------------------------------------------------


def export_document(
    location: Location,
    read_only: bool = False,
    *,
    host: Host | None = None,
    hosts: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The database (forgotten interpreters too) as one document: every host's rows, or
    only ``host``'s (with the rows an older interpdb wrote under its name), or those of
    ``hosts`` (names or ids), as ``store.read.host_where`` chooses them."""
    from sqlalchemy import and_, or_, select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session, selectinload

    from interpdb.store import gate
    from interpdb.store.models import Interpreter, Probe

    engine, _access = gate.read_engine(location, read_only)
    try:
        with Session(engine) as session:
            chosen = select(Interpreter)
            if host is not None:
                chosen = chosen.where(
                    or_(
                        Interpreter.host_id == host.id,
                        and_(Interpreter.host_id == host.name, Interpreter.host == host.name),
                    )
                )
            if hosts is not None:
                chosen = chosen.where(or_(Interpreter.host_id.in_(hosts), Interpreter.host.in_(hosts)))
            interpreters = session.scalars(
                chosen.options(
                    selectinload(Interpreter.sources),
                    selectinload(Interpreter.probes).selectinload(Probe.entries),
                ).order_by(Interpreter.host_id, Interpreter.path)
            ).all()
            exported = [_export_interpreter(interpreter) for interpreter in interpreters]
    except (SQLAlchemyError, ValueError) as error:  # a row that does not decode: text, JSON, a time
        from interpdb.store.read import is_busy

        if is_busy(error):
            raise gate.busy(location) from None
        raise TransferError(
            f"cannot export: {_damaged(location, read_only, error)}", hint="`interpdb db check` lists every damaged row"
        ) from None
    finally:
        engine.dispose()
    return {
        "schema_version": SCHEMA_VERSION,
        "interpdb_version": __version__,
        "exported_at": _iso(utcnow()),
        "interpreters": exported,
    }


def _damaged(location: Location, read_only: bool, error: BaseException) -> str:
    """The first damaged row the reader finds (as ``db check`` names it), else the error's first line."""
    from interpdb.store import gate, read

    conn = gate.open_read(location, read_only)
    if conn is not None:
        try:
            found = read.damaged_rows(conn)
        finally:
            conn.close()
        if found:
            return found[0]
    reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
    return f"a stored row cannot be read ({reason})"


def dumps(document: dict[str, Any]) -> str:
    """Stable text: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, sort_keys=True, indent=2) + "\n"


def _export_interpreter(interpreter: Any) -> dict[str, Any]:
    row = _fields(interpreter, INTERPRETER_FIELDS)
    row["sources"] = [_fields(s, SOURCE_FIELDS) for s in sorted(interpreter.sources, key=lambda s: s.source)]
    probes = sorted(interpreter.probes, key=lambda p: (p.probed_at, p.id))
    row["probes"] = [
        dict(_fields(probe, PROBE_FIELDS), fingerprint=[_fields(e, ENTRY_FIELDS) for e in probe.entries])
        for probe in probes
    ]
    return row


def _fields(obj: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: _jsonable(getattr(obj, name)) for name in names}


def _jsonable(value: Any) -> Any:
    return _iso(value) if isinstance(value, datetime) else value


# -- import: read and check the whole document first ---------------------------------


@dataclass(frozen=True)
class ProbeRow:
    columns: dict[str, Any]
    entries: list[dict[str, Any]]

    @property
    def key(self) -> tuple[Any, ...]:
        return tuple(self.columns[name] for name in PROBE_KEY)


@dataclass(frozen=True)
class InterpreterRow:
    host_id: str
    host: str
    path: str
    created_at: datetime
    forgotten_at: datetime | None
    sources: dict[str, datetime]
    probes: list[ProbeRow]


@dataclass(frozen=True)
class ImportSummary:
    interpreters: int
    new_interpreters: int
    probes: int
    new_probes: int
    new_sources: int
    #: The note of an implicit upgrade the import's write made, if it made one.
    upgraded: str | None = None


def parse_document(text: str | bytes) -> list[InterpreterRow]:
    """Check a whole document before anything is written: a bad one changes nothing."""
    from interpdb.answer import nesting_problem

    body = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    problem = nesting_problem(body, MAX_DEPTH)
    if problem is not None:
        raise TransferError(f"not an interpdb export: {problem}")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:  # JSONDecodeError is a ValueError
        raise TransferError(f"not a JSON document: {str(error).splitlines()[0][:200]}") from None
    if not isinstance(document, dict) or "schema_version" not in document:
        raise TransferError("not an interpdb export: no schema_version")
    version = document["schema_version"]
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            raise TransferError(
                f"schema_version {version} was written by a newer interpdb; this one reads up to {SCHEMA_VERSION}"
            )
        raise TransferError(f"unknown schema_version {version!r}; this interpdb reads up to {SCHEMA_VERSION}")
    interpreters = document.get("interpreters")
    if not isinstance(interpreters, list):
        raise TransferError("interpreters: expected a list")
    return [_parse_interpreter(item, f"interpreters[{i}]", version) for i, item in enumerate(interpreters)]


def _parse_interpreter(item: Any, where: str, version: int = SCHEMA_VERSION) -> InterpreterRow:
    from interpdb.store.models import Interpreter, InterpreterSource

    if version == 1 and isinstance(item, dict) and "host_id" not in item:
        item = {**item, "host_id": item.get("host")}  # exported before host ids
    values = _parse_fields(item, INTERPRETER_FIELDS, Interpreter, where, ("sources", "probes"))
    sources: dict[str, datetime] = {}
    for i, source in enumerate(_list(item, "sources", where)):
        parsed = _parse_fields(source, SOURCE_FIELDS, InterpreterSource, f"{where}.sources[{i}]")
        first = parsed["first_seen_at"]
        sources[parsed["source"]] = min(first, sources.get(parsed["source"], first))
    probes = [_parse_probe(probe, f"{where}.probes[{i}]") for i, probe in enumerate(_list(item, "probes", where))]
    for i, probe in enumerate(probes):
        # A fingerprint starts at the path it was taken of: one of another path would vouch
        # for a file it never looked at (an edited path, its old entries kept, read as fresh),
        # and a probe that ran has one (none would be fresh for ever).
        first = min(probe.entries, key=lambda entry: entry["position"], default=None)
        if first is None and probe.columns["outcome"] in ATTEMPT_OUTCOMES:
            raise TransferError(f"{where}.probes[{i}].fingerprint: empty, for a probe that ran")
        if first is not None and first["path"] != values["path"]:
            raise TransferError(
                f"{where}.probes[{i}].fingerprint: it starts at {_shown(first['path'])}, "
                f"not at the interpreter's path {_shown(values['path'])}"
            )
    return InterpreterRow(
        host_id=values["host_id"],
        host=values["host"],
        path=values["path"],
        created_at=values["created_at"],
        forgotten_at=values["forgotten_at"],
        sources=sources,
        probes=probes,
    )


def _parse_probe(item: Any, where: str) -> ProbeRow:
    from interpdb.store.models import FingerprintEntry, Probe

    columns = _parse_fields(item, PROBE_FIELDS, Probe, where, ("fingerprint",))
    del columns["id"]  # the importing database numbers its own rows
    _check_nested(columns, where)
    entries = [
        _parse_fields(entry, ENTRY_FIELDS, FingerprintEntry, f"{where}.fingerprint[{i}]")
        for i, entry in enumerate(_list(item, "fingerprint", where))
    ]
    return ProbeRow(columns, entries)


def _check_nested(columns: dict[str, Any], where: str) -> None:
    """The JSON columns and the enumerations, against what interpdb itself writes.

    ``changes`` and ``data`` are read back by ``history``, ``show`` and the fingerprint
    check: a wrong shape imported would fail them later, far from its cause.
    """
    from interpdb import answer
    from interpdb.records import OUTCOMES, TRIGGERS

    for name, allowed in (("trigger", TRIGGERS), ("outcome", OUTCOMES)):
        if columns[name] not in allowed:
            raise TransferError(f"{where}.{name}: {columns[name]!r} is not one of {', '.join(allowed)}")
    problem = _changes_shape()(columns["changes"], "changes")
    if problem is None and columns["data"] is not None:
        problem = answer.STORED_SHAPE(columns["data"], "data")
        if problem is None and columns["outcome"] == "ok":
            problem = answer.disagreement(columns["data"])  # as a probe's answer is held to
    if problem is not None:
        raise TransferError(f"{where}: {problem}")


@lru_cache(maxsize=1)
def _changes_shape() -> Any:
    from interpdb import answer

    change = answer.record(
        {
            "role": answer.text(32),
            "path": answer.text(),
            "kind": answer.one_of("added", "removed", "modified"),
            "fields": answer.array(answer.text(64)),
        },
        frozenset({"role", "path", "kind"}),
    )
    return answer.array(change)


def _list(item: dict[str, Any], name: str, where: str) -> list[Any]:
    value = item[name]
    if not isinstance(value, list):
        raise TransferError(f"{where}.{name}: expected a list")
    return value


def _parse_fields(
    item: Any, names: Sequence[str], model: Any, where: str, nested: Sequence[str] = ()
) -> dict[str, Any]:
    """Every field present, nothing unknown, each value of its column's type."""
    if not isinstance(item, dict):
        raise TransferError(f"{where}: expected an object")
    missing = [name for name in (*names, *nested) if name not in item]
    if missing:
        raise TransferError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(item) - {*names, *nested})
    if unknown:
        raise TransferError(f"{where}: unknown field {', '.join(unknown)}")
    columns = model.__table__.columns
    return {name: _parse_value(columns[name], item[name], f"{where}.{name}") for name in names}


def _parse_value(column: Column[Any], value: Any, where: str) -> Any:
    from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, String

    kind = column.type
    if value is None:
        if column.nullable:
            return None
        raise TransferError(f"{where}: may not be null")
    if isinstance(kind, DateTime):
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value[:-1] if value.endswith("Z") else value)
            except ValueError:
                pass
            else:  # stored as naive UTC: another offset is moved to UTC, not dropped
                offset = moment.utcoffset()
                return moment.replace(tzinfo=None) - offset if offset else moment.replace(tzinfo=None)
        raise TransferError(f"{where}: expected an ISO 8601 time, got {value!r}")
    expected: tuple[type, ...] | None = None
    if isinstance(kind, Boolean):
        expected, name = (bool,), "true or false"
    elif isinstance(kind, Integer):
        expected, name = (int,), "an integer"
    elif isinstance(kind, Float):
        expected, name = (int, float), "a number"
    elif isinstance(kind, String):
        expected, name = (str,), "a string"
    bool_for_number = isinstance(value, bool) and not isinstance(kind, Boolean)
    if expected is not None and (bool_for_number or not isinstance(value, expected)):
        raise TransferError(f"{where}: expected {name}, got {_shown(value)}")
    if isinstance(kind, Integer) and not isinstance(kind, Boolean):
        bits = 63 if isinstance(kind, BigInteger) else 31
        if not -(2**bits) <= value < 2**bits:
            raise TransferError(f"{where}: {_shown(value)} is out of range for a {bits + 1}-bit integer")
    if isinstance(kind, Float) and not math.isfinite(value):
        raise TransferError(f"{where}: expected a finite number, got {value!r}")
    if isinstance(kind, String):
        if kind.length is not None and len(value) > kind.length:
            raise TransferError(f"{where}: longer than {kind.length} characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise TransferError(f"{where}: not valid UTF-8") from None
        if "\0" in value:  # no path holds one, no PostgreSQL text column takes one
            raise TransferError(f"{where}: contains a NUL character")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


# -- import: merge in one transaction --------------------------------------------------


#: How often an import meets a row another import inserted at the same moment before it gives up.
_IMPORT_ATTEMPTS = 3


def import_document(
    location: Location, interpreters: Sequence[InterpreterRow], read_only: bool = False, host: Host | None = None
) -> ImportSummary:
    """Merge parsed interpreters into the database in one transaction (see the module docstring).

    ``host`` (this machine unless given): rows an interpdb older than host ids wrote under
    its name (``host_id = host =`` the name), in the store or in the document, are its, as
    a write takes them; imported under the name, they were a second row of a path.
    """
    from sqlalchemy.exc import IntegrityError, SQLAlchemyError

    from interpdb.store import gate
    from interpdb.store.schema import one_line
    from interpdb.store.write import adopt_legacy_rows, write_error

    if host is None:
        from interpdb import hostid

        host = hostid.current()
    if host.id != host.name:
        interpreters = [
            replace(row, host_id=host.id) if row.host_id == row.host == host.name else row for row in interpreters
        ]

    store = gate.open_write(location, read_only)
    try:
        # Another interpdb importing the same rows may insert one between this one's look-up
        # and its insert: the transaction is rolled back and run again, and finds that row.
        for attempt in range(1, _IMPORT_ATTEMPTS + 1):
            try:
                with store.session() as session:
                    adopt_legacy_rows(session, host)
                    merge = _Merge(session)
                    for row in interpreters:
                        merge.interpreter(row)
                    merge.point_at_latest_probes()
                break
            except IntegrityError:
                if attempt == _IMPORT_ATTEMPTS:
                    raise
    except SQLAlchemyError as error:
        from interpdb.store.read import is_busy

        if is_busy(error):
            raise write_error("import", error, location) from error
        raise TransferError(f"nothing imported: {one_line(error)}") from error
    finally:
        store.close()
    return ImportSummary(
        interpreters=len(interpreters),
        new_interpreters=merge.new_interpreters,
        probes=sum(len(row.probes) for row in interpreters),
        new_probes=merge.new_probes,
        new_sources=merge.new_sources,
        upgraded=None if store.upgraded is None else gate.upgrade_note(location, *store.upgraded),
    )


class _Merge:
    """One import's session, the interpreters it touched, and what it added."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.touched: dict[tuple[str, str], Any] = {}
        self.new_interpreters = self.new_probes = self.new_sources = 0

    def interpreter(self, row: InterpreterRow) -> None:
        from sqlalchemy import select

        from interpdb.store.models import Interpreter

        interpreter = self.touched.get((row.host_id, row.path))
        if interpreter is None:
            interpreter = self.session.scalars(
                select(Interpreter).where(Interpreter.host_id == row.host_id, Interpreter.path == row.path)
            ).one_or_none()
        if interpreter is None:
            interpreter = Interpreter(
                host_id=row.host_id,
                host=row.host,
                path=row.path,
                created_at=row.created_at,
                forgotten_at=row.forgotten_at,
            )
            self.session.add(interpreter)
            self.new_interpreters += 1
        elif row.created_at < interpreter.created_at:
            interpreter.created_at = row.created_at
        self.touched[(row.host_id, row.path)] = interpreter
        self._sources(interpreter, row.sources)
        self._probes(interpreter, row.probes)
        self.session.flush()

    def _sources(self, interpreter: Any, sources: dict[str, datetime]) -> None:
        from interpdb.store.models import InterpreterSource

        stored = {s.source: s for s in interpreter.sources}
        for name, first_seen_at in sources.items():
            if name not in stored:
                interpreter.sources.append(InterpreterSource(source=name, first_seen_at=first_seen_at))
                self.new_sources += 1
            elif first_seen_at < stored[name].first_seen_at:
                stored[name].first_seen_at = first_seen_at

    def _probes(self, interpreter: Any, probes: Sequence[ProbeRow]) -> None:
        """Add the probes whose natural key is not stored yet, with their entries and ``sys.path`` rows."""
        from sqlalchemy import select

        from interpdb.store.models import FingerprintEntry, Probe, SysPathEntry
        from interpdb.store.write import _sys_path

        known: set[tuple[Any, ...]] = set()
        if interpreter.id is not None:
            key_columns = [getattr(Probe, name) for name in PROBE_KEY]
            found = self.session.execute(select(*key_columns).where(Probe.interpreter_id == interpreter.id))
            known = {tuple(key) for key in found}
        for row in probes:
            if row.key in known:
                continue
            known.add(row.key)
            probe = Probe(interpreter=interpreter, **row.columns)
            probe.entries = [FingerprintEntry(**entry) for entry in row.entries]
            if probe.outcome == "ok":
                # As Store.record writes them for a new probe.
                probe.sys_path_entries = [SysPathEntry(position=i, path=entry) for i, entry in _sys_path(probe.data)]
            self.session.add(probe)
            self.new_probes += 1

    def point_at_latest_probes(self) -> None:
        """Each touched interpreter's current probe becomes its latest attempt by ``probed_at`` (then id)."""
        from sqlalchemy import select

        from interpdb.store.models import Probe

        for interpreter in self.touched.values():
            latest = self.session.scalars(
                select(Probe.id)
                .where(Probe.interpreter_id == interpreter.id, Probe.outcome.in_(ATTEMPT_OUTCOMES))
                .order_by(Probe.probed_at.desc(), Probe.id.desc())
                .limit(1)
            ).first()
            if interpreter.current_probe_id != latest:
                interpreter.current_probe_id = latest
