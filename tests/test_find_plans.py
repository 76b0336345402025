"""``find`` reads the few interpreters that can rank first from index ranges (revision
``0005_ranking_indexes``), not by visiting every interpreter of the host.

Two things must hold for that to be both fast and right:
- SQLite's plan for each ranking query searches indexes and scans no table (checked with
  ``EXPLAIN QUERY PLAN``, which is what decides the cost; the plan does not depend on the
  number of rows, as interpdb's stores carry no statistics);
- the indexed superset (``facts[2]``) never drops a row the exact filter keeps, on any row a
  lying binary or a hand edit could leave: Hypothesis writes such rows into a real store and
  compares the answer with and without the superset.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interpdb import hostid
from interpdb.location import resolve
from interpdb.store import gate, read
from interpdb.store.write import Store

TABLE_SCAN = re.compile(r"SCAN (interpreters|probes|i|p)\b")
MIGRATION = Path(__file__).parent.parent / "migrations" / "versions" / "0005_ranking_indexes.py"


@pytest.fixture(scope="module")
def head_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty store at the head revision, copied by each test (migrating costs Alembic)."""
    path = tmp_path_factory.mktemp("plans") / "head.sqlite3"
    store = Store(resolve(str(path)))
    try:
        store.upgrade(backup_first=False)
    finally:
        store.close()
    return path


#: Values a probe's columns can hold: what interpdb writes, and what a lying binary or a
#: hand edit can leave (a flag of 2, text where a number belongs, a prefix ``normpath``
#: would change, a version text that disagrees with its columns).
COLUMNS: dict[str, list[Any]] = {
    "outcome": ["ok", "error", "missing", "OK"],
    "is_venv": [1, 0, None, 2, "yes"],
    "version_major": [3, None, 2, 4, "three"],
    "version_minor": [12, 11, 13, None, 7],
    "python_version": ["3.12.1", "3.13.0", "3.11.9", "2.7.18", None, "junk"],
    "implementation": ["cpython", "CPython", "pypy", None],
    "debug_build": [0, 1, None, 2],
    "free_threaded": [0, 1, None],
    "prefix": ["/v/a", "/active", "/v/b", None, "/v/a/", "v/a", "/v//a", "/v/./a", "/active/.."],
}
odd_probes = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in COLUMNS.items()})


@st.composite
def working_venvs(draw: st.DrawFn) -> dict[str, Any]:
    """The many rows of a real store: working venvs whose columns agree, of a few lines and builds."""
    minor = draw(st.sampled_from([11, 12, 13]))
    return {
        "outcome": "ok",
        "is_venv": 1,
        "version_major": 3,
        "version_minor": minor,
        "python_version": f"3.{minor}.{draw(st.integers(0, 9))}",
        "implementation": draw(st.sampled_from(["cpython", "pypy"])),
        "debug_build": draw(st.sampled_from([0, 1])),
        "free_threaded": draw(st.sampled_from([0, 1])),
        "prefix": draw(st.sampled_from(["/v/a", "/v/b", "/active"])),
    }


probes = working_venvs() | odd_probes
mostly = st.sampled_from([True, True, True, False])
interpreters = st.lists(
    st.tuples(
        probes | st.none(),  # the current probe (None: the interpreter has none)
        st.none() | probes,  # an older probe, never current
        mostly,  # on this host (or another)
        mostly.map(lambda yes: not yes),  # forgotten
    ),
    min_size=1,
    max_size=12,
)
lines = st.sampled_from([(3, 12), (3, 11), (3, 13), (2, 7), (4, 0)]) | st.none()


def _fill(db: Path, rows: list[tuple[Any, ...]]) -> None:
    me = hostid.current()
    conn = sqlite3.connect(db)  # foreign keys off: the rows point at each other in any order
    try:
        probe_id = 0
        for number, (current, older, here, forgotten) in enumerate(rows, start=1):
            host_id, host = (me.id, me.name) if here else ("elsewhere", "elsewhere")
            ids = []
            for probe in (older, current):
                if probe is None:
                    continue
                probe_id += 1
                ids.append(probe_id)
                conn.execute(
                    "INSERT INTO probes (id, interpreter_id, probed_at, trigger, changes, outcome, duration_ms, "
                    "interpdb_version, probe_hash, implementation, python_version, version_major, version_minor, "
                    "is_venv, free_threaded, debug_build, prefix, data) VALUES (:id, :interpreter, "
                    "'2026-12-07 00:00:00', 'first', '[]', :outcome, 1.0, 'test', 'x', :implementation, "
                    ":python_version, :version_major, :version_minor, :is_venv, :free_threaded, :debug_build, "
                    ":prefix, '{}')",
                    {"id": probe_id, "interpreter": number, **probe},
                )
            conn.execute(
                "INSERT INTO interpreters (id, host, host_id, path, created_at, current_probe_id, forgotten_at) "
                "VALUES (?, ?, ?, ?, '2026-12-07 00:00:00', ?, ?)",
                (
                    number,
                    host,
                    host_id,
                    f"/bin/python-{number}",
                    ids[-1] if current is not None else None,
                    "2026-12-07 00:00:00" if forgotten else None,
                ),
            )
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def reader(head_store: Path, tmp_path: Path) -> Iterator[Any]:
    """``read(rows)``: a fresh copy of the head store holding ``rows``, open for reading."""
    opened: list[read.Connection] = []

    def open_with(rows: list[tuple[Any, ...]]) -> read.Connection:
        db = tmp_path / f"store-{len(opened)}.sqlite3"
        shutil.copyfile(head_store, db)
        _fill(db, rows)
        conn = gate.open_read(resolve(str(db)))
        assert conn is not None and conn.present is None  # at the head: the superset is used
        opened.append(conn)
        return conn

    yield open_with
    for conn in opened:
        conn.close()


def _outside(conn: read.Connection, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` read on a connection of its own to the same file (``raw`` would change
    how ``conn`` returns rows)."""
    assert conn.access is not None and conn.access.location.sqlite_path is not None
    other = sqlite3.connect(conn.access.location.sqlite_path)
    try:
        return other.execute(sql, params).fetchall()
    finally:
        other.close()


def _ids(conn: read.Connection, facts: read.Facts, *, forgotten: bool) -> list[int]:
    return [
        r.id
        for r in read.current_records(
            conn, hostid.current(), with_entries=False, include_forgotten=forgotten, facts=facts
        )
    ]


def _same(conn: read.Connection, facts: read.Facts, *, forgotten: bool = False) -> list[int]:
    """The ids the facts choose, which must be the ids the exact filter alone chooses."""
    assert facts[2] is not None
    exact = (facts[0], facts[1], None)
    chosen = _ids(conn, facts, forgotten=forgotten)
    assert chosen == _ids(conn, exact, forgotten=forgotten)
    return chosen


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=interpreters,
    line=lines,
    build=st.integers(0, 7),
    debug_counts=st.booleans(),
    free_threading_counts=st.booleans(),
    active=st.sampled_from([None, "/active", "/v/a"]),
    prefixes=st.lists(st.sampled_from([*COLUMNS["prefix"][:-1], "/nowhere"]), min_size=1, max_size=3),
)
def test_the_indexed_superset_keeps_every_row_the_filter_keeps(
    reader: Any,
    rows: list[tuple[Any, ...]],
    line: tuple[int, int] | None,
    build: int,
    debug_counts: bool,
    free_threading_counts: bool,
    active: str | None,
    prefixes: list[str | None],
) -> None:
    conn = reader(rows)
    _same(conn, read.not_venvs(), forgotten=True)
    _same(conn, read.venvs_in([p for p in prefixes if p is not None]))
    outrank = read.venvs_that_may_outrank(
        line, build, debug_counts=debug_counts, free_threading_counts=free_threading_counts, active=active
    )
    if line is None:
        assert outrank[2] is None  # every venv: nothing to narrow
    else:
        _same(conn, outrank)


def _venv(**changes: Any) -> dict[str, Any]:
    row = {"outcome": "ok", "is_venv": 1, "version_major": 3, "version_minor": 12, "python_version": "3.12.1"}
    row.update(implementation="cpython", debug_build=0, free_threaded=0, prefix="/v/a")
    return {**row, **changes}


#: One row for each way into the superset, each with the request that needs it: the exact
#: filter keeps that row and nothing else (Hypothesis above mixes them; this names each).
BRANCHES: dict[str, tuple[dict[str, Any], int, str | None]] = {
    "a newer line": (_venv(version_minor=13, python_version="3.13.0"), 0, None),
    "a newer major": (_venv(version_major=4, version_minor=0, python_version="4.0.0"), 0, None),
    "the same line, a better build": (_venv(), 3, None),
    "the active venv": (_venv(prefix="/active"), 0, "/active"),
    "a prefix normpath would change": (_venv(prefix="/active/"), 0, "/active"),
    "version text of another line": (_venv(python_version="3.13.0"), 0, None),
    "no version text": (_venv(python_version=None), 0, None),
    "no minor": (_venv(version_minor=None), 0, None),
}


@pytest.mark.parametrize("branch", BRANCHES)
def test_each_way_into_the_superset_is_needed(reader: Any, branch: str) -> None:
    row, build, active = BRANCHES[branch]
    lesser = _venv(prefix="/v/b", implementation="pypy")  # of the base's line, a worse build
    conn = reader([(lesser, None, True, False), (row, None, True, False)])
    facts = read.venvs_that_may_outrank((3, 12), build, debug_counts=True, free_threading_counts=True, active=active)
    assert facts[2] is not None
    among = [id for (id,) in _outside(conn, facts[2], facts[1])]
    assert among == ([1, 2] if build else [2])  # the same line's venvs are read only for a better build
    assert _same(conn, facts) == [2]


@pytest.mark.parametrize(
    "row",
    [{"is_venv": 0}, {"is_venv": None}, {"is_venv": 2}, {"is_venv": "yes"}, {"outcome": "error"}, {"outcome": "OK"}],
    ids=repr,
)
def test_every_kind_of_non_venv_is_read(reader: Any, row: dict[str, Any]) -> None:
    conn = reader([(_venv(), None, True, False), (_venv(**row), None, True, False), (None, None, True, False)])
    assert _same(conn, read.not_venvs(), forgotten=True) == [2, 3]  # and the one with no probe
    assert _same(conn, read.venvs_in(["/v/a"])) == [1]


def _plans(conn: read.Connection, facts: read.Facts) -> list[str]:
    """What SQLite does for the ranking query ``current_records`` sends with these facts."""
    sent: list[tuple[str, dict[str, Any]]] = []
    original = conn.rows

    def capture(sql: str, params: dict[str, Any]) -> Any:
        sent.append((sql, params))
        return original(sql, params)

    conn.rows = capture  # type: ignore[method-assign]
    try:
        read.current_records(conn, hostid.current(), with_entries=False, facts=facts)
    finally:
        del conn.rows
    sql, params = sent[0]
    assert "c CROSS JOIN interpreters i" in sql  # started from the indexed superset
    return [row[3] for row in _outside(conn, f"EXPLAIN QUERY PLAN {sql}", params)]


@pytest.mark.parametrize("active", [None, "/active"])
@pytest.mark.parametrize("build", [0, 3])
def test_ranking_queries_search_indexes_and_scan_no_table(reader: Any, active: str | None, build: int) -> None:
    conn = reader([])
    for facts in (
        read.not_venvs(),
        read.venvs_in(["/v/a", "/v/b"]),
        read.venvs_that_may_outrank((3, 12), build, debug_counts=True, free_threading_counts=True, active=active),
    ):
        plan = _plans(conn, facts)
        # ``SCAN c`` reads the superset itself; the partial index holds only irregular probes.
        tables = [step for step in plan if TABLE_SCAN.match(step) and "ix_probes_irregular" not in step]
        assert tables == [], plan
        assert any("ix_interpreters_current_probe_id" in step for step in plan), plan
    plain = read.venvs_that_may_outrank((3, 12), 0, debug_counts=True, free_threading_counts=True, active=None)
    irregular = _plans(conn, plain)
    assert any("ix_probes_irregular" in step for step in irregular)  # the partial index's text matched


def test_the_partial_index_is_the_readers_text(head_store: Path) -> None:
    """SQLite uses a partial index only for its very condition: the migration froze it, the
    reader sends it, and the store holds it."""
    spec = importlib.util.spec_from_file_location("ranking_indexes", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.IRREGULAR == read.IRREGULAR_PROBES
    conn = sqlite3.connect(head_store)
    try:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_probes_irregular'").fetchone()
    finally:
        conn.close()
    assert sql.endswith(f"WHERE {read.IRREGULAR_PROBES}")


def test_a_store_behind_the_head_is_read_without_the_indexes(reader: Any, head_store: Path, tmp_path: Path) -> None:
    """At 0004 (an interpdb newer than its store, read-only) the same facts read every
    interpreter, as before the indexes: the answer is the same."""
    db = tmp_path / "behind.sqlite3"
    shutil.copyfile(head_store, db)
    venv = {name: values[0] for name, values in COLUMNS.items()}
    _fill(db, [(venv, None, True, False), ({**venv, "is_venv": 0}, None, True, False)])
    store = Store(resolve(str(db)))
    try:
        store.downgrade("0004_host_identity")
    finally:
        store.close()
    conn = gate.open_read(resolve(str(db)))
    assert conn is not None
    try:
        assert conn.present is not None
        assert _ids(conn, read.not_venvs(), forgotten=True) == [2]
        assert _ids(conn, read.venvs_in(["/v/a"]), forgotten=False) == [1]
    finally:
        conn.close()
