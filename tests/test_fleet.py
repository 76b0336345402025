"""Several hosts, one store: each host probes its own interpreters, sees the others' as stored.

Hosts are simulated as real ``interpdb`` processes with different ``INTERPDB_HOST``
identities writing one store, on SQLite and on a real PostgreSQL server (the
server fixtures of ``tests/test_postgres.py``). What is pinned: paths of two hosts
never collide, a host never checks, probes or marks stale another host's rows
(even when their paths do not exist here), ``hosts`` counts right, the fleet
example queries of docs/schema.md answer right, and concurrent hosts lose and
duplicate nothing. A role with SELECT rights only can audit a fleet database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import cli_runner, python_for
from pgserver import Server, _create_database

from interpdb import hostid, schema_docs
from interpdb.cli import cli
from interpdb.store import gate

psycopg = pytest.importorskip("psycopg")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store every host of a test writes: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "fleet.sqlite3")
        return
    server: Server = request.getfixturevalue("postgres_server")
    database = _create_database(server)
    yield database.url
    with server.connect() as conn:
        conn.execute(f'DROP DATABASE "{database.name}" WITH (FORCE)')


def interpdb(
    db: str, host: str | None, *args: str | os.PathLike[str], code: int = 0, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """One real ``interpdb`` process as host ``host`` (None: this machine's own identity)."""
    env = dict(os.environ, INTERPDB_DB=db)
    env.pop("INTERPDB_HOST", None)
    if host is not None:
        env["INTERPDB_HOST"] = host
    done = subprocess.run(
        [sys.executable, "-m", "interpdb", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
    )
    assert done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def in_process(
    db: str, host: str | None, *args: str | os.PathLike[str], code: int = 0, stdin: str | None = None
) -> Result:
    """The CLI in this process (a new process costs a second on a busy machine), as host ``host``."""
    env = {"INTERPDB_DB": db, "INTERPDB_HOST": host}  # None unsets it
    result = cli_runner().invoke(cli, [str(a) for a in args], env=env, input=stdin, catch_exceptions=False)
    assert result.exit_code == code, (args, result.exit_code, result.stdout, result.stderr)
    return result


def as_json(db: str, host: str | None, *args: str | os.PathLike[str]) -> Any:
    return json.loads(in_process(db, host, *args, "--format", "json").stdout)


def sql(db: str, query: str, *params: str) -> list[dict[str, Any]]:
    """Through stdin (``interpdb sql -``), as a query pasted from docs/schema.md goes."""
    args = [arg for param in params for arg in ("--param", param)]
    rows: list[dict[str, Any]] = json.loads(
        in_process(db, None, "sql", "-", *args, "--format", "json", stdin=query).stdout
    )
    return rows


def example(name: str) -> str:
    [found] = [e.sql for e in schema_docs.EXAMPLES if e.name == name]
    return found


@pytest.fixture
def venvs(tmp_path: Path, base_python: Path) -> Callable[[str, Path | None], Path]:
    def make(name: str, python: Path | None = None) -> Path:
        target = tmp_path / name
        subprocess.run([str(python or base_python), "-m", "venv", "--without-pip", str(target)], check=True)
        return target / "bin" / "python"

    return make


def test_two_hosts_share_a_store_and_never_touch_each_others_rows(
    store: str, venvs: Callable[[str, Path | None], Path]
) -> None:
    """Host a and host b (INTERPDB_HOST a, b/bee) probe into one store; the same path on both is two rows;
    a lists b's rows as ``remote`` (as b recorded them) even when b's paths are gone from this machine,
    and never probes them; history, hosts and the fleet examples see both."""
    a_only, shared = venvs("a-only", None), venvs("shared", None)
    b_only = venvs("b-only", python_for("3.8"))
    interpdb(store, "a", "probe", a_only, shared)
    interpdb(store, "b/bee", "probe", b_only, shared)

    rows = sql(store, "SELECT host_id, host, path FROM interpreters ORDER BY host_id, path")
    assert [(r["host_id"], r["host"], r["path"]) for r in rows] == [
        ("a", "a", str(a_only)),
        ("a", "a", str(shared)),
        ("b", "bee", str(b_only)),
        ("b", "bee", str(shared)),
    ]

    # Each host sees its own rows by default.
    mine = as_json(store, "a", "list", "--no-discover")
    assert sorted(r["path"] for r in mine) == sorted([str(a_only), str(shared)])
    assert {r["host_id"] for r in mine} == {"a"}

    # b's venv disappears from this machine, and a's shared one changes: a re-probes its own only.
    os.rename(b_only.parent.parent, b_only.parent.parent.with_name("b-moved"))
    site = next(Path(p) for p in mine[0]["site_packages"] if p.startswith(str(a_only.parent.parent)))
    (site / "extra.pth").write_text("/nowhere\n")
    probes_before = sql(
        store, "SELECT count(*) AS n FROM probes p JOIN interpreters i ON i.id = p.interpreter_id WHERE i.host_id = 'b'"
    )
    everything = as_json(store, "a", "list", "--no-discover", "--all", "--all-hosts")
    by_key = {(r["host_id"], r["path"]): r for r in everything}
    assert set(by_key) == {("a", str(a_only)), ("a", str(shared)), ("b", str(b_only)), ("b", str(shared))}
    assert by_key[("a", str(a_only))]["status"] == "probed"  # its fingerprint changed: re-probed
    assert by_key[("a", str(shared))]["status"] == "cached"
    for key in (("b", str(b_only)), ("b", str(shared))):
        assert by_key[key]["status"] == "remote"
        assert by_key[key]["outcome"] == "ok" and by_key[key]["host"] == "bee"
    assert by_key[("b", str(b_only))]["version"].startswith("3.8.")
    assert (
        sql(
            store,
            "SELECT count(*) AS n FROM probes p JOIN interpreters i ON i.id = p.interpreter_id WHERE i.host_id = 'b'",
        )
        == probes_before
    )
    # --host picks by name or by id; this host's name keeps it revalidated.
    assert {r["host_id"] for r in as_json(store, "a", "list", "--no-discover", "--host", "bee")} == {"b"}
    assert {r["host_id"] for r in as_json(store, "a", "list", "--no-discover", "--host", "b", "--host", "a")} == {
        "a",
        "b",
    }
    table = in_process(store, "a", "list", "--no-discover", "--all-hosts").stdout
    assert "bee" in table and "remote" in table
    # CSV (and a host column asked for) names the host on every row, this host's too: a program groups by it.
    csv = in_process(store, "a", "list", "--no-discover", "--all-hosts", "--format", "csv", "--columns", "host")
    named = in_process(store, "a", "list", "--no-discover", "--all-hosts", "--columns", "host,path").stdout
    hosts = {r["host"] for r in as_json(store, "a", "list", "--no-discover", "--all-hosts")}
    assert set(csv.stdout.split()[1:]) == hosts and "" not in hosts and len(hosts) == 2
    assert all(line.split()[0] in hosts for line in named.splitlines()[2:])

    # show --host: b's interpreter as b recorded it, its fingerprint not checked here (its path is gone).
    shown = as_json(store, "a", "show", b_only, "--host", "bee")
    assert (shown["status"], shown["host_id"], shown["outcome"]) == ("remote", "b", "ok")
    assert shown["fingerprint"] and {e["matches"] for e in shown["fingerprint"]} == {None}
    assert [p["host_id"] for p in shown["probes"]] == ["b"]
    in_process(store, "a", "show", b_only, code=1)  # not a's: unknown here

    # history: this host by default; --host / --all-hosts for others.
    assert {e["host_id"] for e in as_json(store, "a", "history")} == {"a"}
    assert {e["host_id"] for e in as_json(store, "a", "history", "--host", "bee")} == {"b"}
    assert len(as_json(store, "a", "history", "--all-hosts")) == 5  # 2 + 2 first probes, 1 re-probe
    [b_shared] = as_json(store, "a", "history", shared, "--host", "b")
    assert (b_shared["host_id"], b_shared["path"]) == ("b", str(shared))

    hosts = {h["host_id"]: h for h in as_json(store, "a", "hosts")["hosts"]}
    assert set(hosts) == {"a", "b"}
    assert (hosts["a"]["interpreters"], hosts["a"]["ok"], hosts["a"]["current"]) == (2, 2, True)
    assert (hosts["b"]["host"], hosts["b"]["interpreters"], hosts["b"]["current"]) == ("bee", 2, False)
    assert hosts["b"]["versions"][0] == "3.8" and len(hosts["b"]["versions"]) == 2
    assert sql(store, "SELECT host_id, interpreters, ok FROM hosts ORDER BY host_id") == [
        {"host_id": "a", "interpreters": 2, "ok": 2},
        {"host_id": "b", "interpreters": 2, "ok": 2},
    ]

    # export: this host's rows by default, each keeping its host; import merges them elsewhere once.
    def exported(*args: str) -> list[tuple[str, str]]:
        document = json.loads(in_process(store, "a", "export", *args).stdout)
        return sorted((i["host_id"], i["host"]) for i in document["interpreters"])

    assert exported() == [("a", "a"), ("a", "a")]
    assert exported("--host", "bee") == [("b", "bee"), ("b", "bee")]
    whole = in_process(store, "a", "export", "--all-hosts").stdout
    assert len(json.loads(whole)["interpreters"]) == 4
    elsewhere = str(Path(store).parent / "elsewhere.sqlite3") if "://" not in store else None
    if elsewhere is not None:
        for _ in range(2):  # the second import adds nothing
            in_process(elsewhere, "z", "import", "-", stdin=whole)
            assert sql(elsewhere, "SELECT host_id, COUNT(*) AS n FROM interpreters GROUP BY host_id") == [
                {"host_id": "a", "n": 2},
                {"host_id": "b", "n": 2},
            ]
            assert sql(elsewhere, "SELECT COUNT(*) AS n FROM probes") == [{"n": 5}]

    # The fleet examples of docs/schema.md.
    assert [(r["host"], r["path"]) for r in sql(store, example("hosts_with_38"))] == [("bee", str(b_only))]
    week = sql(store, example("reprobed_this_week"), "since=2000-01-01")
    assert [(r["host"], r["reprobed"]) for r in week] == [("a", 1)]


def test_history_of_a_path_on_several_hosts_shows_each_hosts(
    store: str, venvs: Callable[[str, Path | None], Path]
) -> None:
    """``history PATH --all-hosts`` (or two --host) showed only the oldest row's host, and
    then hid the host column, so nothing said whose history it was."""
    python = venvs("shared", None)
    for host in ("a", "b", "c"):
        interpdb(store, host, "probe", python)
    both = as_json(store, "c", "history", python, "--host", "b", "--host", "a")
    assert sorted(e["host_id"] for e in both) == ["a", "b"]
    every = as_json(store, "c", "history", python, "--all-hosts")
    assert sorted(e["host_id"] for e in every) == ["a", "b", "c"]
    table = in_process(store, "c", "history", python, "--all-hosts").stdout
    assert table.splitlines()[0].split()[:3] == ["probe", "when", "host"], table
    assert [e["host_id"] for e in as_json(store, "c", "history", python)] == ["c"]
    # At 80 columns with an error column to show, host went first of all.
    broken = python.parent / "broken"
    broken.write_text("#!/bin/sh\necho 'this interpreter fails with a long and wordy reason' >&2; exit 3\n")
    broken.chmod(0o755)
    for host in ("a", "b"):
        interpdb(store, host, "probe", broken, code=1)
    errors = in_process(store, "c", "history", "--all-hosts", "--outcome", "error").stdout
    assert "host" in errors.splitlines()[0].split(), errors


def test_a_host_named_that_the_store_does_not_hold_is_hinted(
    store: str, venvs: Callable[[str, Path | None], Path]
) -> None:
    """history, export and prune --host with a typo answered nothing, silently (list hinted)."""
    interpdb(store, "build-1", "probe", venvs("v", None))
    for args in (("history",), ("export",), ("prune", "--missing-for", "1d")):
        said = in_process(store, "build-1", *args, "--host", "biuld-1").stderr
        assert "hint: no host 'biuld-1' in the store; `interpdb hosts` lists them" in said.splitlines(), (args, said)
        assert "hint" not in in_process(store, "build-2", *args, "--host", "build-1").stderr, args


def test_a_bad_interpdb_host_is_one_line(store: str) -> None:
    done = interpdb(store, " spaced", "list", "--no-discover", code=2)
    assert done.stderr.startswith("error: INTERPDB_HOST has an invalid id"), done.stderr
    assert "hint:" in done.stderr and len(done.stderr.strip().splitlines()) == 2


def test_four_hosts_probing_at_once_lose_and_duplicate_nothing(
    store: str, venvs: Callable[[str, Path | None], Path]
) -> None:
    """4 processes, each a host, probe the same shared path and one of their own at once, then
    list and read history across hosts: 8 rows, each probed once, by its own host."""
    shared = venvs("shared", None)
    own = [venvs(f"own-{i}", None) for i in range(4)]
    interpdb(store, "seed", "list", "--no-discover")  # creates the store (migration lock tested elsewhere)
    env = dict(os.environ, INTERPDB_DB=store)
    started = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(shared), str(own[i])],
            env=dict(env, INTERPDB_HOST=f"h{i}"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for process in started:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, (out, err)
        assert "Traceback" not in err, err
    rows = sql(
        store,
        "SELECT i.host_id, i.path, COUNT(p.id) AS probes FROM interpreters i "
        "LEFT JOIN probes p ON p.interpreter_id = i.id GROUP BY i.host_id, i.path ORDER BY i.host_id, i.path",
    )
    expected = sorted((f"h{i}", path) for i in range(4) for path in (str(shared), str(own[i])))
    assert [(r["host_id"], r["path"]) for r in rows] == expected
    assert {r["probes"] for r in rows} == {1}
    assert [(h["host_id"], h["interpreters"]) for h in as_json(store, None, "hosts")["hosts"]] == [
        (f"h{i}", 2) for i in range(4)
    ]


#: One host's run: probe its two paths, then read across hosts while the others write.
_WORKER = """
import json, os, subprocess, sys
shared, own = sys.argv[1:3]
def run(*args):
    done = subprocess.run([sys.executable, "-m", "interpdb", *args], capture_output=True, text=True)
    if done.returncode != 0 or "Traceback" in done.stderr:
        sys.exit(f"{args}: {done.returncode} {done.stderr}")
    return done.stdout
run("probe", shared, own)
listed = json.loads(run("list", "--no-discover", "--all-hosts", "--format", "json"))
mine = [r for r in listed if r["host_id"] == os.environ["INTERPDB_HOST"]]
if sorted(r["path"] for r in mine) != sorted([shared, own]) or any(r["status"] == "remote" for r in mine):
    sys.exit(f"own rows wrong: {mine}")
if any(r["status"] != "remote" for r in listed if r["host_id"] != os.environ["INTERPDB_HOST"]):
    sys.exit(f"another host's row was judged here: {listed}")
json.loads(run("history", "--all-hosts", "--format", "json"))
"""


def _before_host_ids(db: str) -> None:
    """The store at revision 0003, as an interpdb older than host ids left it (rows keyed by name)."""
    from interpdb.location import resolve
    from interpdb.store.write import Store

    store = Store(resolve(db))
    try:
        store.downgrade("0003_scrub_secrets")
    finally:
        store.close()


def test_rows_from_before_host_ids_stay_this_hosts(tmp_path: Path, venvs: Callable[[str, Path | None], Path]) -> None:
    """A store an older interpdb wrote (revision 0003, rows keyed by hostname) upgrades to host_id = host,
    is read as this machine's (cached, not re-probed), and the next probe moves the row to its id."""
    db = str(tmp_path / "old.sqlite3")
    python = venvs("old", None)
    interpdb(db, None, "probe", python)
    _before_host_ids(db)
    me = hostid.current()
    [record] = as_json(db, None, "list", "--no-discover")
    assert (record["status"], record["host_id"], record["host"]) == ("cached", me.name, me.name)
    interpdb(db, None, "probe", "--refresh", python)  # a write: upgrades the file, moves the row
    assert sql(db, "SELECT host_id, host, path FROM interpreters") == [
        {"host_id": me.id, "host": me.name, "path": str(python)}
    ]
    assert sql(db, "SELECT version_num FROM alembic_version") == [{"version_num": gate.HEAD_REVISION}]


def test_the_first_write_moves_every_row_from_before_host_ids(
    tmp_path: Path, venvs: Callable[[str, Path | None], Path]
) -> None:
    """Rows moved one at a time, as each was probed again: until then the machine was two
    hosts in ``hosts`` (a forgotten row, never probed, for ever), and an export made
    meanwhile, imported later, added the unmoved path a second row under the name, which
    ``list`` then re-probed on every run. The first write moves them all; an import takes
    the document's rows of this machine's name as its own."""
    db = str(tmp_path / "old.sqlite3")
    probed, untouched, forgotten = venvs("probed", None), venvs("untouched", None), venvs("forgotten", None)
    interpdb(db, None, "probe", probed, untouched, forgotten)
    interpdb(db, None, "forget", forgotten)
    _before_host_ids(db)
    me = hostid.current()
    interpdb(db, None, "db", "upgrade")  # the schema only: every row is still under the name
    older = in_process(db, None, "export", "--all-hosts").stdout
    assert {i["host_id"] for i in json.loads(older)["interpreters"]} == {me.name}
    interpdb(db, None, "probe", "--refresh", probed)
    assert sql(db, "SELECT DISTINCT host_id FROM interpreters") == [{"host_id": me.id}]
    assert [(h["host_id"], h["interpreters"]) for h in as_json(db, None, "hosts")["hosts"]] == [(me.id, 2)]
    imported = in_process(db, None, "import", "-", stdin=older)
    assert "imported 0 new of 3 interpreters" in imported.stderr, imported.stderr
    assert len(sql(db, "SELECT id FROM interpreters")) == 3
    listed = as_json(db, None, "list", "--no-discover")
    assert sorted(r["status"] for r in listed) == ["cached", "cached"], listed


def test_a_select_only_role_can_audit_the_fleet(
    postgres_server: Server,
    venvs: Callable[[str, Path | None], Path],
) -> None:
    """An auditor role with CONNECT, USAGE on the schema and SELECT on every table and view
    (nothing else) runs list --all-hosts, history, hosts, sql, find, show and export without
    --read-only (its rights make the store read-only to it); writing is refused in one line."""
    database = _create_database(postgres_server)
    python = venvs("audited", None)
    interpdb(database.url, "ci-1", "probe", python)
    with postgres_server.connect(database.name) as conn:
        conn.execute("DROP ROLE IF EXISTS auditor")
        conn.execute("CREATE ROLE auditor LOGIN")
        conn.execute(f'GRANT CONNECT ON DATABASE "{database.name}" TO auditor')
        conn.execute("GRANT USAGE ON SCHEMA public TO auditor")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor")  # views included
    url = database.url.replace("postgres@", "auditor@", 1)
    try:
        # The role's rights make the store read-only to it: no --read-only needed, nothing probed here.
        listed = as_json(url, "auditor-box", "list", "--all-hosts")
        assert [(r["host_id"], r["path"], r["status"]) for r in listed] == [("ci-1", str(python), "remote")]
        assert len(as_json(url, "auditor-box", "history", "--all-hosts")) == 1
        assert [h["host_id"] for h in as_json(url, "auditor-box", "hosts")["hosts"]] == ["ci-1"]
        assert sql(url, "SELECT host, interpreters FROM hosts") == [{"host": "ci-1", "interpreters": 1}]
        assert in_process(url, "auditor-box", "find", "3", "--all-hosts").stdout == f"{python}\n"
        assert in_process(url, "auditor-box", "show", python, "--host", "ci-1", "--format", "json").stdout
        exported = json.loads(in_process(url, "auditor-box", "export", "--all-hosts").stdout)
        assert [i["host_id"] for i in exported["interpreters"]] == ["ci-1"]
        refused = interpdb(url, "auditor-box", "probe", python, code=1)
        assert refused.stderr.splitlines() == [
            "note: the store is read-only (this database role may not insert into its tables): nothing is probed, "
            "changed interpreters are shown as stale",
            f"error: {python}: never probed, and the store is read-only: nothing is probed",
        ]
        # What the README says a probing machine needs is enough.
        with postgres_server.connect(database.name) as conn:
            conn.execute("DROP ROLE IF EXISTS prober")
            conn.execute("CREATE ROLE prober LOGIN")
            conn.execute(f'GRANT CONNECT ON DATABASE "{database.name}" TO prober')
            conn.execute("GRANT USAGE ON SCHEMA public TO prober")
            conn.execute("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO prober")
            conn.execute("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO prober")
        prober = database.url.replace("postgres@", "prober@", 1)
        interpdb(prober, "ci-2", "discover", "--source", "venv", "--scan", python.parent.parent)
        interpdb(prober, "ci-2", "probe", python)
        assert [h["host_id"] for h in as_json(url, "auditor-box", "hosts")["hosts"]] == ["ci-1", "ci-2"]
    finally:
        with postgres_server.connect() as conn:
            conn.execute(f'DROP DATABASE "{database.name}" WITH (FORCE)')
            conn.execute("DROP ROLE IF EXISTS auditor")
            conn.execute("DROP ROLE IF EXISTS prober")


def test_an_export_from_before_host_ids_imports_with_its_host_as_the_id(
    tmp_path: Path, venvs: Callable[[str, Path | None], Path]
) -> None:
    """schema_version 1 documents have no host_id: import reads host as the id (as migration 0004 does);
    a version 2 document without it is refused in one line."""
    source, target = str(tmp_path / "source.sqlite3"), str(tmp_path / "target.sqlite3")
    python = venvs("old-export", None)
    interpdb(source, "new-id/old-name", "probe", python)
    document = json.loads(in_process(source, "new-id/old-name", "export").stdout)
    assert document["schema_version"] == 2 and document["interpreters"][0]["host_id"] == "new-id"
    for interpreter in document["interpreters"]:
        del interpreter["host_id"]
    refused = in_process(target, None, "import", "-", code=1, stdin=json.dumps(document))
    assert "missing host_id" in refused.stderr, refused.stderr
    in_process(target, None, "import", "-", stdin=json.dumps(dict(document, schema_version=1)))
    assert sql(target, "SELECT host_id, host, path FROM interpreters") == [
        {"host_id": "old-name", "host": "old-name", "path": str(python)}
    ]


def test_find_and_prune_reach_other_hosts_only_when_asked(
    store: str, venvs: Callable[[str, Path | None], Path]
) -> None:
    """``find --host``/``--all-hosts`` answer from another host's interpreters as recorded there (a
    note names the host; a path request is a usage error); ``prune --host`` forgets another host's
    interpreter that host recorded missing, and plain ``prune`` never touches another host's rows."""
    a_venv = venvs("a-venv", python_for("3.8"))
    b_venv, b_gone = venvs("b-venv", None), venvs("b-gone", None)
    interpdb(store, "a", "probe", a_venv)
    interpdb(store, "b", "probe", b_venv, b_gone)

    assert in_process(store, "a", "find", "3.12", "--no-discover", code=1).stdout == ""  # a has no 3.12
    found = in_process(store, "a", "find", "3.12", "--host", "b", "--no-venv", code=1)
    assert "no interpreter matches '3.12'" in found.stderr, "b's 3.12 are venvs"
    found = in_process(store, "a", "find", "3.12", "--host", "b")
    assert found.stdout in (f"{b_venv}\n", f"{b_gone}\n")
    assert "is on host b (b), as last recorded there" in found.stderr
    record = json.loads(
        in_process(store, "a", "find", "3.8", "--all-hosts", "--no-discover", "--format", "json").stdout
    )
    assert (record["path"], record["host_id"], record["status"]) == (str(a_venv), "a", "cached")
    bad = in_process(store, "a", "find", str(b_venv), "--host", "b", code=2)
    assert "not a path" in bad.stderr

    # b's second venv goes; b records it missing. a's plain prune leaves b's rows alone.
    shutil.rmtree(b_gone.parent.parent)
    interpdb(store, "b", "list", "--no-discover", "--format", "json")
    time.sleep(1.1)
    assert json.loads(in_process(store, "a", "prune", "--missing-for", "1s", "--format", "json").stdout) == []
    dry = json.loads(in_process(store, "a", "prune", "--missing-for", "1s", "--host", "b", "--dry-run",
                                "--format", "json").stdout)  # fmt: skip
    assert [r["path"] for r in dry] == [str(b_gone)]
    pruned = json.loads(
        in_process(store, "a", "prune", "--missing-for", "1s", "--all-hosts", "--format", "json").stdout
    )
    assert [(r["path"], r["host_id"]) for r in pruned] == [(str(b_gone), "b")]
    rows = sql(store, "SELECT host_id, path, forgotten_at IS NOT NULL AS gone FROM interpreters ORDER BY id")
    assert [(r["host_id"], r["path"], bool(r["gone"])) for r in rows] == [
        ("a", str(a_venv), False),
        ("b", str(b_venv), False),
        ("b", str(b_gone), True),
    ]


def test_moving_a_machines_sqlite_store_into_the_fleet_keeps_its_host_and_history(
    store: str, tmp_path: Path, venvs: Callable[[str, Path | None], Path]
) -> None:
    """``export`` of a laptop's SQLite store and ``import`` into the fleet store: the rows keep the
    laptop's host id and name and every probe (a change, a forget); another host's rows there are
    untouched; importing the same file again adds nothing."""
    laptop = str(tmp_path / "laptop.sqlite3")
    python, gone = venvs("laptop-venv", None), venvs("laptop-gone", None)
    interpdb(laptop, "lap-id/laptop", "probe", python, gone)
    site = next(python.parent.parent.glob("lib/python*/site-packages"))
    (site / "extra.pth").write_text("/nowhere\n")
    interpdb(laptop, "lap-id/laptop", "probe", python)
    interpdb(laptop, "lap-id/laptop", "forget", gone)
    exported = tmp_path / "laptop.json"
    interpdb(laptop, "lap-id/laptop", "export", "--output", exported)

    interpdb(store, "ci-1", "probe", venvs("ci-venv", None))
    first = interpdb(store, "ci-1", "import", exported)
    assert first.stderr == "note: imported 2 new of 2 interpreters, 4 new of 4 probes, 0 new sources\n"
    again = interpdb(store, "ci-1", "import", exported)
    assert again.stderr == "note: imported 0 new of 2 interpreters, 0 new of 4 probes, 0 new sources\n"
    rows = sql(
        store,
        "SELECT i.host_id, i.host, i.path, p.trigger FROM probes p JOIN interpreters i ON i.id = p.interpreter_id "
        "ORDER BY i.host_id, i.path, p.probed_at",
    )
    assert [(r["host_id"], r["host"], r["path"], r["trigger"]) for r in rows] == [
        ("ci-1", "ci-1", str(venvs_path(tmp_path, "ci-venv")), "new"),
        ("lap-id", "laptop", str(gone), "new"),
        ("lap-id", "laptop", str(gone), "forget"),
        ("lap-id", "laptop", str(python), "new"),
        ("lap-id", "laptop", str(python), "changed"),
    ]
    history = as_json(store, "lap-id", "history", str(python))
    assert [e["trigger"] for e in history] == ["changed", "new"]
    assert as_json(store, "lap-id", "list", "--no-discover") != []


def venvs_path(tmp_path: Path, name: str) -> Path:
    return tmp_path / name / "bin" / "python"
