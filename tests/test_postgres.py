"""The real CLI against a real PostgreSQL server: the code paths SQLite never runs.

A throwaway server is started for the session (``initdb`` into a temporary
directory, listening on a unix socket only, fsync off) and every test gets a
database of its own, so no test sees another's rows. On PostgreSQL interpdb
reads through SQLAlchemy (``store.read._Alchemy``), migrates on a connection with
Alembic (views, no batch mode), binds typed parameters in ``add_sources``,
refuses writes in ``interpdb sql`` with a read-only transaction, and exports
and imports through the ORM: each is pinned here, where it can break, and
compared with what the same commands answer on SQLite.

The module is skipped, saying why, when there are no PostgreSQL server binaries,
no ``postgres`` user to run them as (they refuse to run as root), or no psycopg;
under CI (``CI`` set) that fails the run instead, with the same reason.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pgserver import Database, Server, no_server, unavailable

if unavailable() is not None:
    no_server(str(unavailable()), module=True)

from click.testing import Result
from conftest import Cli, python_for
from test_warm_path import warm_db  # noqa: F401 (a fixture)

from interpdb.errors import StoreError
from interpdb.location import ENV_VAR
from interpdb.store.gate import HEAD_REVISION

TABLES = ("interpreters", "probes", "fingerprint_entries", "sys_path_entries", "interpreter_sources")
#: Keys whose values are row ids, times or durations: they differ between two databases
#: holding the same history, so comparisons keep only whether each is set.
VOLATILE = frozenset(
    {"id", "probe_id", "interpreter_id", "diff_against", "probed_at", "duration_ms", "created_at", "forgotten_at"}
)


# -- helpers -----------------------------------------------------------------------------------


def probe(run: Cli, path: Path, *flags: str) -> dict[str, Any]:
    [record] = run.json("probe", path, *flags)
    return dict(record)


def site_packages(record: dict[str, Any]) -> Path:
    return Path(next(p for p in record["site_packages"] if p.startswith(record["prefix"])))


def add_pth(record: dict[str, Any], tmp_path: Path) -> Path:
    """A ``.pth`` in the venv's site-packages naming a new folder; returns the folder."""
    extra = tmp_path / "src"
    extra.mkdir()
    (site_packages(record) / "editable.pth").write_text(f"{extra}\n")
    return extra


def query(run: Cli, text: str, *params: str) -> list[dict[str, Any]]:
    args = [arg for param in params for arg in ("--param", param)]
    rows: list[dict[str, Any]] = run.json("sql", text, *args)
    return rows


def probe_count(run: Cli) -> int:
    [row] = query(run, "SELECT count(*) AS n FROM probes")
    return int(row["n"])


def counts(run: Cli) -> dict[str, int]:
    [row] = query(run, "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in TABLES))
    return row


def stable(value: Any) -> Any:
    """``value`` with ids, times and durations reduced to whether they are set."""
    if isinstance(value, dict):
        return {k: (v is not None) if k in VOLATILE else stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


def without_ids(document: dict[str, Any]) -> dict[str, Any]:
    """An export but for its time and row ids: what a round trip must keep."""
    rest = {key: value for key, value in document.items() if key != "exported_at"}
    rest["interpreters"] = [
        dict(
            {k: v for k, v in interpreter.items() if k != "id"},
            probes=[{k: v for k, v in p.items() if k != "id"} for p in interpreter["probes"]],
        )
        for interpreter in document["interpreters"]
    ]
    return rest


@dataclass
class Target:
    """The CLI on one database, chosen through ``INTERPDB_DB`` so the recorded commands are alike."""

    run: Cli
    monkeypatch: pytest.MonkeyPatch
    db: str

    def __call__(self, *args: str | os.PathLike[str], code: int = 0) -> Result:
        self.monkeypatch.setenv(ENV_VAR, self.db)
        return self.run(*args, code=code)

    def json(self, *args: str | os.PathLike[str]) -> Any:
        self.monkeypatch.setenv(ENV_VAR, self.db)
        return self.run.json(*args)


# -- the freshness rule -------------------------------------------------------------------------


def test_cached_then_changed_by_a_pth_file(
    run: Cli, postgres: Database, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """On PostgreSQL as on SQLite: a second probe is answered from the store and writes no probe;
    a new .pth re-probes with trigger 'changed' and shows the new sys.path entry."""
    python = make_venv()
    first = probe(run, python)
    assert (first["status"], first["trigger"], first["is_venv"]) == ("probed", "new", True)
    assert probe_count(run) == 1
    second = probe(run, python)
    assert second["status"] == "cached"
    assert second["sys_path"] == first["sys_path"]
    assert probe_count(run) == 1
    extra = add_pth(first, tmp_path)
    third = probe(run, python)
    assert (third["status"], third["trigger"]) == ("probed", "changed")
    assert str(extra) in third["sys_path"] and str(extra) not in first["sys_path"]
    assert probe_count(run) == 2
    assert probe(run, python)["status"] == "cached"
    assert probe_count(run) == 2
    assert not run.db.exists(), "nothing went to the SQLite default"


def test_a_downgrade_that_fails_part_way_leaves_the_shared_database_at_its_revision(
    run: Cli, postgres: Database, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each migration was its own transaction on PostgreSQL: two hosts of one name meeting
    0004's old unique key on the way down to 0003 left the database at 0004, and every
    host on the head then refused to write until someone ran db upgrade."""
    for host in ("aaaa/same", "bbbb/same"):
        monkeypatch.setenv("INTERPDB_HOST", host)
        run("probe", base_python)
    failed = run("db", "downgrade", "0003_scrub_secrets", code=1)
    assert "uq_interpreters_host_path" in failed.stderr and "Traceback" not in failed.stderr
    assert postgres.rows("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    run("probe", "--refresh", base_python)  # still writable by the head


def test_a_role_that_cannot_create_the_tables_is_told_so_not_upgrade(
    run: Cli, postgres: Database, base_python: Path
) -> None:
    """On an empty database, a role without CREATE on the schema was told "cannot upgrade
    the database", by a first command that was creating the tables."""
    with postgres.server.connect(postgres.name) as conn:
        conn.execute("DROP ROLE IF EXISTS reader_only")
        conn.execute("CREATE ROLE reader_only LOGIN")
        conn.execute(f'GRANT CONNECT ON DATABASE "{postgres.name}" TO reader_only')
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    url = postgres.url.replace("postgres@", "reader_only@", 1)
    try:
        result = run("--db", url, "probe", base_python, code=1)
        assert result.stderr.startswith(f"error: cannot create interpdb's tables in {url}: "), result.stderr
        assert "permission denied" in result.stderr
    finally:
        with postgres.server.connect(postgres.name) as conn:
            conn.execute("DROP OWNED BY reader_only")
            conn.execute("DROP ROLE reader_only")


def test_a_path_too_long_for_the_index_spoils_nothing_else(
    run: Cli, postgres: Database, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """A 3,400-byte path (Linux takes 4,095) is more than PostgreSQL's B-tree index on
    (host_id, path) holds: the whole batch was refused, every other probe of the command
    lost, and each later discover of that tree failed the same way. The batch is now
    written again one probe at a time: that path is one line, the others are kept."""
    import random
    import string

    letters = random.Random(7)  # incompressible: PostgreSQL compresses an index row that it can
    deep = tmp_path.joinpath(*("".join(letters.choice(string.ascii_letters) for _ in range(200)) for _ in range(17)))
    deep.mkdir(parents=True)
    long_one = make_venv(str(deep.relative_to(tmp_path) / "venv"))
    assert len(str(long_one).encode()) > 3000
    short = make_venv("short")
    result = run("probe", short, long_one, "--format", "json", code=1)
    [kept] = json.loads(result.stdout)
    assert (kept["path"], kept["status"]) == (str(short), "probed")
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {long_one}: not recorded: the database refused it ("), line
    assert "index row size" in line
    assert [row["path"] for row in query(run, "SELECT path FROM interpreters")] == [str(short)]


# -- migrations ---------------------------------------------------------------------------------


def test_created_at_head_checked_and_round_tripped_through_0001(
    run: Cli, postgres: Database, make_venv: Callable[..., Path]
) -> None:
    """First use creates the schema at the head; db check finds models == schema; a downgrade to
    0001_initial drops the views and new tables but keeps the probes, and db upgrade brings them back
    (sys_path_entries backfilled from the stored answers)."""
    assert run("db", "current").stdout == f"none (no schema yet; head: {HEAD_REVISION})\n"
    python = make_venv()
    record = probe(run, python)
    assert run("db", "current").stdout == f"{HEAD_REVISION} (head)\n"
    assert run("db", "check").stdout == (
        f"revision {HEAD_REVISION} (head): ok\nschema: matches the models\nrows: every stored row reads back\n"
        "integrity: not checked (SQLite only)\n"
    )
    before = counts(run)
    assert (before["interpreters"], before["probes"]) == (1, 1)
    assert before["sys_path_entries"] == len(record["sys_path"])

    down = run("db", "downgrade", "0001_initial")
    assert down.stdout == f"downgraded {postgres.url}: {HEAD_REVISION} -> 0001_initial\n"
    assert run("db", "current").stdout == f"0001_initial (behind the head: {HEAD_REVISION})\n"
    public = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
    assert [name for (name,) in postgres.rows(public)] == [
        "alembic_version", "fingerprint_entries", "interpreters", "probes",
    ]  # fmt: skip
    assert postgres.rows("SELECT count(*) FROM probes") == [(1,)]
    assert postgres.rows("SELECT count(*) FROM fingerprint_entries") == [(before["fingerprint_entries"],)]
    failed = run("db", "check", code=1)
    assert f"revision 0001_initial is not the head {HEAD_REVISION}" in failed.stdout

    up = run("db", "upgrade")
    assert up.stdout == f"upgraded {postgres.url}: 0001_initial -> {HEAD_REVISION}\n"
    assert run("db", "current").stdout == f"{HEAD_REVISION} (head)\n"
    run("db", "check")
    assert counts(run) == before
    rows = query(run, "SELECT entry FROM current_sys_path WHERE path = :p ORDER BY position", f"p={python}")
    assert [row["entry"] for row in rows] == record["sys_path"]
    assert probe(run, python)["status"] == "cached", "the fingerprint survived the round trip"


def test_a_shared_database_behind_the_head_is_upgraded_only_by_db_upgrade(
    run: Cli, postgres: Database, make_venv: Callable[..., Path]
) -> None:
    """On a server, nothing migrates implicitly: reading commands read the older schema,
    a writing command says what to run, and ``db upgrade`` upgrades."""
    venv = make_venv()
    probe(run, venv)
    run("db", "downgrade", "0001_initial")
    assert query(run, "SELECT count(*) AS n FROM interpreters")[0]["n"] == 1
    listed = run.json("list", "--no-discover")
    assert [r["path"] for r in listed] == [str(venv)]
    assert postgres.rows("SELECT version_num FROM alembic_version") == [("0001_initial",)]
    refused = run("probe", "--refresh", venv, code=1)
    assert "never upgraded implicitly" in refused.stderr and "hint: interpdb db upgrade" in refused.stderr
    run("db", "upgrade")
    assert query(run, "SELECT count(*) AS n FROM current_sys_path")[0]["n"] > 0
    assert postgres.rows("SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]


# -- the views and interpdb sql ------------------------------------------------------------------


def test_views_answer_on_postgresql(
    run: Cli, postgres: Database, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """interpreters_current, probe_audit and current_sys_path return the rows interpdb recorded,
    and --param binds on PostgreSQL."""
    venv, base = make_venv(), python_for("3.12")
    first = probe(run, venv)
    base_record = probe(run, base)
    extra = add_pth(first, tmp_path)
    changed = probe(run, venv)
    run("forget", base)

    current = query(
        run,
        "SELECT path, is_venv, python_version, trigger, outcome, forgotten_at IS NOT NULL AS forgotten "
        "FROM interpreters_current ORDER BY interpreter_id",
    )
    assert current == [
        {"path": str(venv), "is_venv": True, "python_version": changed["version"], "trigger": "changed",
         "outcome": "ok", "forgotten": False},
        {"path": str(base), "is_venv": False, "python_version": base_record["version"], "trigger": "new",
         "outcome": "ok", "forgotten": True},
    ]  # fmt: skip

    audit = query(run, "SELECT path, trigger, outcome, changes FROM probe_audit ORDER BY probe_id")
    assert [(row["path"], row["trigger"], row["outcome"]) for row in audit] == [
        (str(venv), "new", "ok"),
        (str(base), "new", "ok"),
        (str(venv), "changed", "ok"),
        (str(base), "forget", "forgotten"),
    ]
    assert all(isinstance(row["changes"], str) for row in audit), "changes is cast to text, as on SQLite"
    [added] = json.loads(audit[2]["changes"])
    assert added["kind"] == "added" and added["path"].endswith("editable.pth")

    rows = query(run, "SELECT position, entry FROM current_sys_path WHERE path = :p ORDER BY position", f"p={venv}")
    assert [row["entry"] for row in rows] == changed["sys_path"]
    assert [row["position"] for row in rows] == list(range(len(changed["sys_path"])))
    assert query(run, "SELECT path FROM current_sys_path WHERE entry = :dir", f"dir={extra}") == [{"path": str(venv)}]


WRITES = (
    "INSERT INTO interpreters (host, path, created_at) VALUES ('h', '/p', now())",
    "UPDATE probes SET trigger = 'x'",
    "DELETE FROM probes",
    "DROP TABLE probes",
    "CREATE TABLE evil (a int)",
    "TRUNCATE probes",
    "SELECT 1; DELETE FROM probes",
    # Closing the wrapping subquery and ending the read-only transaction before writing.
    "SELECT 1) AS q; COMMIT; DELETE FROM probes; SELECT * FROM (SELECT 1",
    "SELECT 1) AS q; ROLLBACK; CREATE TABLE evil (a int); SELECT * FROM (SELECT 1",
    "WITH gone AS (DELETE FROM probes RETURNING id) SELECT count(*) FROM gone",
    "SELECT set_config('transaction_read_only', 'off', true)",
    "SELECT nextval('probes_id_seq')",
    "SELECT * FROM probes FOR UPDATE",
)


def test_sql_cannot_write(run: Cli, postgres: Database, make_venv: Callable[..., Path]) -> None:
    """Every write, schema change or way out of the read-only transaction is exit 1 with one
    line on stderr, and the rows, tables and sequences are as they were."""
    probe(run, make_venv())
    objects = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
    sequence = "SELECT last_value FROM probes_id_seq"
    before = (counts(run), query(run, objects), postgres.rows(sequence))
    for statement in WRITES:
        result = run("sql", statement, "--format", "json", code=1)
        assert result.stdout == "", statement
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, (statement, result.stderr)
    assert (counts(run), query(run, objects), postgres.rows(sequence)) == before
    assert query(run, "SELECT :v AS v", "v=a; b") == [{"v": "a; b"}], "a ';' travels as a bound value"
    assert query(run, "SELECT 1 AS one;") == [{"one": 1}], "a final ';' is allowed"


def test_sql_binds_only_the_parameters_postgresql_reads_as_parameters(run: Cli, postgres: Database) -> None:
    """A pattern bound ``:x`` in strings, quoted names and comments: ``select ':x'`` answered
    ``$1`` on PostgreSQL (``:x`` on SQLite), and ``-- :x`` asked for a value."""
    run("db", "upgrade")
    got = query(run, "SELECT ':x' AS lit, :x AS v, 1 AS \":x\", $$:x$$ AS body, '5%' AS pct /* :y */", "x=1")
    assert got == [{"lit": ":x", "v": 1, ":x": 1, "body": ":x", "pct": "5%"}]
    assert query(run, "SELECT 2 AS v -- :nothing") == [{"v": 2}]
    assert query(run, "SELECT '7'::int AS v") == [{"v": 7}]
    refused = run("sql", "SELECT :y AS v", code=1)
    assert refused.stderr == "error: no value for binding parameter :y (use --param y=VALUE)\n"


def test_sql_on_a_url_of_another_driver_still_binds_values_apart_from_the_query(
    run: Cli, postgres: Database, make_venv: Callable[..., Path]
) -> None:
    """A URL naming psycopg2 went through SQLAlchemy and psycopg2, which pastes values into
    the text: where the scanner read a ``:x`` that PostgreSQL reads inside a string (a
    comment ended by ``\\r``), the value closed the string, committed the read-only
    transaction and deleted every row (a review reproduced it with psycopg2 installed).
    Every PostgreSQL URL now goes through psycopg 3, which sends values apart: it works
    here without psycopg2, and the same texts write nothing."""
    probe(run, make_venv())
    before = counts(run)
    plain = postgres.url.replace("postgresql+psycopg://", "postgresql+psycopg2://", 1)
    value = ") AS q; COMMIT; DELETE FROM probes; DELETE FROM interpreters; SELECT * FROM (SELECT "
    for query_text in ("SELECT --\r'\n:x --'\n AS c", "SELECT E'a'\n'\\\\' :x ' AS c"):
        run("--db", plain, "sql", query_text, "--param", f"x={value}", code=None)
        assert counts(run) == before, query_text
    assert run.json("--db", plain, "sql", "SELECT :v AS v", "--param", "v=a'; b") == [{"v": "a'; b"}]


def test_sql_prints_a_time_with_a_zone_in_utc(run: Cli, postgres: Database) -> None:
    """A ``timestamptz`` comes back in the session's zone: tables and CSV printed its wall
    clock with a ``Z``, nine hours off in Tokyo."""
    run("db", "upgrade")
    tokyo = f"{postgres.url}&options=-c%20TimeZone%3DAsia/Tokyo"
    moment = "SELECT TIMESTAMPTZ '2026-01-01 00:00:00+00' AS t"
    assert run("--db", tokyo, "sql", moment, "--format", "csv").stdout == "t\n2026-01-01 00:00:00Z\n"
    assert run("--db", tokyo, "sql", moment).stdout.splitlines()[-1] == "2026-01-01 00:00:00Z"


# -- the same commands, the same answers -----------------------------------------------------------


def test_history_forget_list_find_agree_with_sqlite(
    run: Cli,
    postgres: Database,
    db_path: Path,
    make_venv: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same steps on PostgreSQL and on SQLite print the same JSON, ids and times aside:
    probe, a .pth change, history --diff, forget, list (--all) and find 3.12 --no-discover."""
    base, venv = python_for("3.12"), make_venv()
    targets = (Target(run, monkeypatch, postgres.url), Target(run, monkeypatch, str(db_path)))

    def same(*args: str | os.PathLike[str]) -> Any:
        on_postgres, on_sqlite = (target.json(*args) for target in targets)
        assert stable(on_postgres) == stable(on_sqlite), args
        return on_postgres

    # One interpreter per command: two probed at once may be recorded in either order.
    [record] = same("probe", venv)
    same("probe", base)
    extra = add_pth(record, tmp_path)
    [changed] = same("probe", venv)
    assert changed["trigger"] == "changed"

    history = same("history", "--diff")
    assert [(e["path"], e["trigger"]) for e in history] == [
        (str(venv), "changed"),
        (str(base), "new"),
        (str(venv), "new"),
    ]
    assert history[0]["diff"] == [
        {
            "field": "sys.path",
            "kind": "added",
            "value": str(extra),
            "old": None,
            "new": changed["sys_path"].index(str(extra)),
        }
    ]
    assert history[0]["diff_against"] == history[2]["probe_id"]

    for target in targets:
        target("forget", venv)
    assert [r["path"] for r in same("list", "--no-discover")] == [str(base)]
    assert [r["path"] for r in same("list", "--no-discover", "--all")] == [str(base)]
    assert same("show", venv, "--offline")["forgotten_at"] is not None
    assert [e["trigger"] for e in same("history", venv)] == ["forget", "changed", "new"]
    found = same("find", "3.12", "--no-discover")
    assert found["path"] == str(base)
    for target in targets:
        assert target("find", "3.12", "--no-discover").stdout == f"{base}\n"


def test_export_from_postgresql_imports_into_sqlite(
    run: Cli,
    postgres: Database,
    make_venv: Callable[..., Path],
    fake: Callable[[str, str], Path],
    tmp_path: Path,
) -> None:
    """Export PostgreSQL, import into an empty SQLite file, export that: the documents are equal
    but for exported_at and ids. Sources (add_sources' typed binds), a .pth change, an error and a
    forget event all travel; importing the document back into PostgreSQL adds nothing."""
    a, b = make_venv("tree/a"), make_venv("tree/b")
    broken = fake("broken", "exit 3")
    run("discover", "--source", "venv", "--scan", tmp_path / "tree")
    run("discover", "--source", "venv", "--scan", tmp_path / "tree")
    add_pth(probe(run, a), tmp_path)
    probe(run, a)
    run("probe", broken, code=1)
    run("forget", broken)

    run("export", "--output", tmp_path / "postgres.json")
    from_postgres = json.loads((tmp_path / "postgres.json").read_text())
    assert [i["path"] for i in from_postgres["interpreters"]] == sorted([str(a), str(b), str(broken)])
    assert [[s["source"] for s in i["sources"]] for i in from_postgres["interpreters"]] == [[], ["venv"], ["venv"]]

    copy = tmp_path / "copy.sqlite3"
    imported = run("--db", copy, "import", tmp_path / "postgres.json")
    assert imported.stderr == "note: imported 3 new of 3 interpreters, 5 new of 5 probes, 2 new sources\n"
    run("--db", copy, "export", "--output", tmp_path / "sqlite.json")
    from_sqlite = json.loads((tmp_path / "sqlite.json").read_text())
    assert without_ids(from_sqlite) == without_ids(from_postgres)

    again = run("import", tmp_path / "sqlite.json")
    assert again.stderr == "note: imported 0 new of 3 interpreters, 0 new of 5 probes, 0 new sources\n"
    run("export", "--output", tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text())["interpreters"] == from_postgres["interpreters"]


# -- secrets --------------------------------------------------------------------------------------


def test_a_password_in_the_url_is_not_stored_and_0003_scrubs_old_ones(
    run: Cli, postgres: Database, make_venv: Callable[..., Path]
) -> None:
    """``--db postgresql+psycopg://user:PASSWORD@...``: the probe's command holds ``***``; a command an
    older interpdb stored verbatim is scrubbed by the upgrade to 0003 on PostgreSQL too."""
    with_password = postgres.url.replace("postgres@", "postgres:s3cret@", 1)
    python = make_venv()
    run("--db", with_password, "probe", python)
    [(command,)] = postgres.rows("SELECT command FROM probes")
    assert "s3cret" not in command and "postgres:***@" in command
    run("db", "downgrade", "0002_interface")
    with postgres.server.connect(postgres.name) as conn:
        conn.execute("UPDATE probes SET command = %s", (f"interpdb --db {with_password} list",))
    run("db", "upgrade")
    [(scrubbed,)] = postgres.rows("SELECT command FROM probes")
    assert scrubbed == f"interpdb --db {with_password.replace('s3cret', '***')} list"


# -- the warm read route ------------------------------------------------------------------------


def test_warm_reads_on_postgresql_go_through_libpq_or_psycopg_alone(
    run: Cli,
    postgres: Database,
    warm_db: dict[str, Path],  # noqa: F811 (the fixture imported above; after postgres: it fills that)
) -> None:
    """A warm ``list``, ``find``, ``history`` and ``sql`` on PostgreSQL import the same interpdb
    modules as on SQLite (the same gate, the same ``store.read``) plus the route to the server,
    and never SQLAlchemy, Alembic or click. The route is libpq through ctypes (``store.libpq``:
    no psycopg imported, but for ``sql``), or psycopg with ``INTERPDB_PG_READER=psycopg``; both
    print exactly what the other does."""
    from test_import_budget import BUDGETS, RUNNER

    def warm(reader: str, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
        proc = subprocess.run(
            [sys.executable, "-c", RUNNER, *args], capture_output=True, text=True, timeout=120,
            env=dict(os.environ, INTERPDB_DB=postgres.url, INTERPDB_PG_READER=reader),
        )  # fmt: skip
        marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
        assert marker, proc.stderr
        assert proc.returncode == 0, (args, proc.stderr)
        assert proc.stdout.strip(), args
        return set(marker[-1][len("MODULES=") :].split()), proc

    for args, allowed in BUDGETS:
        answers = []
        for reader in ("libpq", "psycopg"):
            modules, proc = warm(reader, *args)
            answers.append(proc.stdout)
            own = {name for name in modules if name == "interpdb" or name.startswith("interpdb.")}
            expected = allowed | ({"interpdb.store.libpq"} if reader == "libpq" else set())
            assert own == expected, (reader, args, sorted(own ^ expected))
            heavy = sorted(n for n in modules if n.split(".")[0] in ("sqlalchemy", "alembic", "click", "tabulate"))
            assert heavy == [], (reader, args, heavy)
            assert ("psycopg" in modules) == (reader == "psycopg" or args[0] == "sql"), (reader, args)
        assert answers[0] == answers[1], args
        if "--format" in args and "--no-discover" in args:
            assert json.loads(answers[0]) == run.json(*args[: args.index("--format")], "--no-discover")
    _, proc = warm("libpq", "sql", "SELECT count(*) AS n, :p AS p FROM probes", "-p", "p=50%", "--format", "json")
    [row] = json.loads(proc.stdout)
    assert row == {"n": probe_count(run), "p": "50%"}, "a '%' in a query or a value is no psycopg placeholder"


def test_a_table_locked_past_the_busy_timeout_is_called_busy(
    postgres: Database,
    warm_db: dict[str, Path],  # noqa: F811 (the fixture imported above; after postgres: it fills that)
) -> None:
    """Another host's ``db upgrade`` holds its tables locked: a reader used to wait for it, for
    as long as it took and deaf to Ctrl-C (libpq waits in C). Both readers now give up after
    the busy timeout SQLite waits, in the same words."""
    with postgres.server.connect(postgres.name) as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE probes IN ACCESS EXCLUSIVE MODE")
        waiting = [
            subprocess.Popen(
                [sys.executable, "-m", "interpdb", "list", "--no-discover", "--format", "json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ, INTERPDB_DB=postgres.url, INTERPDB_PG_READER=reader),
            )
            for reader in ("libpq", "psycopg")
        ]
        # export and db check read through SQLAlchemy: they waited for as long as the lock was held.
        waiting += [
            subprocess.Popen(
                [sys.executable, "-m", "interpdb", *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=dict(os.environ, INTERPDB_DB=postgres.url),
            )
            for args in (["export"], ["db", "check"])
        ]
        ended = [(proc.returncode, out, err) for proc in waiting for out, err in [proc.communicate(timeout=60)]]
        holder.execute("ROLLBACK")
    where = postgres.url
    busy = f"error: {where} is busy: another program has held it locked for 5 seconds; try again\n"
    assert ended == [(1, "", busy)] * 4


def test_a_server_that_stops_answering_is_one_line_and_ctrl_c_still_works(
    postgres: Database,
    warm_db: dict[str, Path],  # noqa: F811 (the fixture imported above; after postgres: it fills that)
) -> None:
    """A stopped server accepts the connection and never answers. libpq's reader waited in
    one C call (``PQconnectdb``) for ever, deaf to Ctrl-C and SIGTERM: fleet cron jobs piled
    up. It now waits in ``select``: Ctrl-C ends it at once, and ``connect_timeout`` (ten
    seconds unless the URL says) ends it in one line."""
    with postgres.server.connect(postgres.name) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # Read while the backend lives: its parent is the postmaster.
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
    env = dict(os.environ, INTERPDB_DB=postgres.url, INTERPDB_PG_READER="libpq")
    command = [sys.executable, "-m", "interpdb", "list", "--no-discover", "--format", "json"]
    # connect_timeout=0 is libpq's "for ever": it broke every read (select's timeout of inf).
    forever = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(env, INTERPDB_DB=f"{postgres.url}&connect_timeout=0"),
    )
    assert forever.returncode == 0, forever.stderr
    os.kill(postmaster, signal.SIGSTOP)
    try:
        stopped = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(2)  # waiting for the server
        stopped.send_signal(signal.SIGINT)
        out, err = stopped.communicate(timeout=10)
        assert (stopped.returncode, out, err) == (130, "", "error: interrupted by SIGINT\n")
        started = time.monotonic()
        timed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=30,
            env=dict(env, INTERPDB_DB=f"{postgres.url}&connect_timeout=1"),
        )
        assert time.monotonic() - started < 15
        assert timed.returncode == 1 and timed.stdout == ""
        assert "no answer from the server within 1 seconds (connect_timeout)" in timed.stderr, timed.stderr
        assert len(timed.stderr.splitlines()) <= 2, timed.stderr
        # libpq's own variable, which its asynchronous connect does not read itself.
        from_env = subprocess.run(
            command, capture_output=True, text=True, timeout=30, env=dict(env, PGCONNECT_TIMEOUT="1")
        )
        assert "no answer from the server within 1 seconds (connect_timeout)" in from_env.stderr, from_env.stderr
    finally:
        os.kill(postmaster, signal.SIGCONT)


def test_libpq_reads_every_column_type_as_psycopg_does(postgres: Database) -> None:
    """Values of each type interpdb's tables use, NULLs, and parameters (text, integers, times,
    a repeated name, a '%', a '::' cast) come back from libpq as psycopg gives them."""
    from datetime import datetime

    from interpdb.store import libpq, read

    lib = libpq.library()
    assert lib is not None, "psycopg[binary] ships libpq, and so does Debian's postgresql"
    query = (
        "SELECT :n::bigint AS big, 7::int2 AS small, 2.5::float8 AS f, true AS yes, false AS no, "
        "NULL::text AS nothing, '' AS empty, 'x:y %s' AS text, :when::timestamp AS at, "
        "'2026-01-02 03:04:05.1'::timestamp AS tenth, '{\"a\": 1}'::json AS doc, :s AS s, :s || :s AS twice"
    )
    params = {"n": 2**40, "when": datetime(2026, 12, 6, 23, 59, 5, 804544), "s": "50% é"}
    conninfo = read.psycopg_conninfo(postgres.url)
    assert conninfo is not None
    ours = libpq.LibpqConnection(lib, conninfo)
    theirs = read.psycopg_connection(conninfo)
    try:
        [got] = ours.rows(query, params)
        [want] = theirs.rows(query, params)
    finally:
        ours.close()
        theirs.close()
    assert got.pop("doc") == '{"a": 1}' and want.pop("doc") == {"a": 1}, "JSON stays text: store.read decodes it"
    assert got == want
    assert got["tenth"] == datetime(2026, 1, 2, 3, 4, 5, 100000) and got["nothing"] is None and got["empty"] == ""
    with pytest.raises(StoreError, match="no_such_table"):
        ours = libpq.LibpqConnection(lib, conninfo)
        try:
            ours.rows("SELECT * FROM no_such_table", {})
        finally:
            ours.close()


def test_a_throwaway_server_stops_when_what_started_it_is_killed(postgres_server: Server) -> None:
    """The suite's (and the scripts') server never outlives its starter: SIGKILL the process that
    started one, and its watchdog stops the server and removes its folder within seconds."""
    scripts = Path(__file__).resolve().parent.parent / "scripts"
    with subprocess.Popen(
        [sys.executable, "-c", STARTER, str(scripts)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as starter:
        assert starter.stdout is not None
        top = Path(starter.stdout.readline().strip())
        assert (top / "data" / "postmaster.pid").exists(), top
        starter.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while top.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not top.exists()
    running = subprocess.run(["pgrep", "-f", f"-D {top}/data"], capture_output=True, text=True).stdout
    assert running == ""


STARTER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from _pgserver import throwaway_server
with throwaway_server() as server:
    print(server.sockdir, flush=True)
    time.sleep(600)
"""
