"""The warm path: no SQLAlchemy or Alembic, the fast path agrees with the full CLI,
the reader agrees with the ORM, and the questions asked hit their indexes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from conftest import Cli, python_for

from interpdb import hostid
from interpdb.location import resolve
from interpdb.store import gate, read

HEAVY = ("sqlalchemy", "alembic")
#: Reports the modules imported at exit: atexit for the full CLI, and around ``os._exit``,
#: with which a warm answer ends (skipping the interpreter's teardown and atexit).
RUNNER = """
import atexit, json, os, sys
def report():
    print("MODULES=" + json.dumps(sorted(
        m for m in ("sqlalchemy", "alembic", "tabulate", "click", "dataclasses", "interpdb.service",
                    "interpdb.learning", "interpdb.launchers", "concurrent.futures")
        if m in sys.modules)), file=sys.stderr, flush=True)
atexit.register(report)
def _exit(code, real=os._exit):
    report()
    real(code)
os._exit = _exit
from interpdb.{entry} import main
sys.argv = ["interpdb"] + json.loads(sys.argv[1])
main()
"""


def run_entry(
    args: list[str], db: Path, entry: str = "_fast", env: dict[str, str] | None = None
) -> tuple[str, list[str], int]:
    """Run the console entry (``_fast``) or the click CLI (``cli``) in a fresh interpreter."""
    proc = _run(args, db, entry, env)
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return proc.stdout, json.loads(marker[-1][len("MODULES=") :]), proc.returncode


def _run(args: list[str], db: Path, entry: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``RUNNER`` for ``entry`` with ``args``, on the store ``db``; its modules report on stderr."""
    return subprocess.run(
        [sys.executable, "-c", RUNNER.format(entry=entry), json.dumps(args)],
        capture_output=True,
        text=True,
        env=dict(os.environ if env is None else env, INTERPDB_DB=str(db)),
        timeout=120,
    )


@pytest.fixture
def warm_db(
    run: Cli, make_venv: Callable[..., Path], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    """A database that already knows a few interpreters; discovery limited to them."""
    pythons = {line: python_for(line) for line in ("3.11", "3.12")}
    venv = make_venv()
    bin_dir = pythons["3.12"].parent
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("HOME", str(db_path.parent))  # no pyenv/conda/... folders to discover
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    run("probe", *pythons.values(), venv)
    run("list")  # learns what PATH discovery adds (python3.12 and its aliases in that folder)
    return {**pythons, "venv": venv}


WARM_COMMANDS = [
    ["list", "--format", "json"],
    ["list", "--format", "json", "--no-discover"],
    ["list"],
    ["find", "3.12"],
    ["find", "3.12", "--format", "json"],
    ["find", ">=3.11", "--no-venv"],
    ["history", "--limit", "5", "--format", "json"],
    ["sql", "SELECT count(*) AS n FROM probes", "--format", "json"],
    ["show", "1"],
    ["show", "3", "--format", "json"],
    ["history", "--limit", "5"],
]


def test_warm_commands_import_neither_sqlalchemy_nor_alembic(warm_db: dict[str, Path], db_path: Path, run: Cli) -> None:
    """Each of ``WARM_COMMANDS`` on one store: no heavy import, no tabulate for JSON or the
    default table, no probe."""
    before = run.count()
    wrong = []
    for args in WARM_COMMANDS:
        _out, modules, code = run_entry(args, db_path)
        heavy = set(HEAVY) & set(modules)
        if ("--format" not in args or "json" in args) and "tabulate" in modules:
            heavy.add("tabulate")
        if code != 0 or heavy:
            wrong.append((args, code, sorted(heavy)))
    assert wrong == []
    assert run.count() == before


def test_warm_sql_builds_no_records(warm_db: dict[str, Path], db_path: Path) -> None:
    """``sql`` returns the store's own rows: it needs neither the service nor dataclasses."""
    out, modules, code = run_entry(["sql", "SELECT count(*) AS n FROM probes", "--format", "json"], db_path)
    assert code == 0
    assert json.loads(out)[0]["n"] >= 3
    assert modules == [], modules


@pytest.mark.parametrize("kind", ["show", "probe", "history"])
def test_warm_commands_on_a_known_path(warm_db: dict[str, Path], db_path: Path, run: Cli, kind: str) -> None:
    path = str(warm_db["venv"])
    _out, modules, code = run_entry([kind, path, "--format", "json"], db_path)
    assert code == 0
    assert not set(HEAVY) & set(modules), modules


def test_fast_path_skips_click_for_warm_json_reads(warm_db: dict[str, Path], db_path: Path) -> None:
    for args in (
        ["find", "3.12"],
        ["list", "--format", "json"],
        ["list"],
        ["list", "--json"],
        ["history", str(warm_db["venv"]), "--limit", "20", "--format", "json"],
        ["show", str(warm_db["venv"])],
        ["show", "1", "--format", "json"],
        ["sql", "SELECT * FROM probe_audit WHERE path = :p", "--param", f"p={warm_db['venv']}", "--format", "json"],
    ):
        _out, modules, _code = run_entry(args, db_path)
        assert "click" not in modules, args


#: Forms the fast path answers itself: the same bytes and exit code as click's.
ANSWERED = [
    ["find", "3.12"],
    ["find", "3.11", "--format", "json"],
    ["find", "any", "--no-venv", "--format", "json"],
    ["find", "cpython@3.12", "--no-discover"],
    ["list", "--format", "json"],
    ["list", "--format", "json", "--no-discover"],
    ["list"],
    ["list", "--no-discover", "--wide"],
    ["list", "--format", "ndjson"],
    ["list", "--json"],
    ["find", "3.12", "--json"],
    ["find", "3.12", "--format", "ndjson"],
    ["history", "--format", "json"],
    ["history", "--json", "--limit", "2"],
    ["history", "--format", "ndjson"],
    ["sql", "SELECT id FROM probes ORDER BY id", "--format", "ndjson"],
    ["history", "--format", "json", "--limit", "2", "--diff"],
    ["history", "--format", "json", "--trigger", "new", "--host", os.uname().nodename],
    ["history", "1", "--format", "json", "--limit", "3"],
    ["history", "1", "--format", "json", "--host="],
    ["sql", "SELECT path, python_version FROM interpreters_current ORDER BY path", "--format", "json"],
    ["sql", "SELECT count(*) AS n FROM probes WHERE trigger = :t", "--param", "t=new", "--format", "json"],
    ["list", "--all"],
    ["list", "--aliases"],
    ["list", "--aliases", "--format", "json", "--no-discover"],
    ["list", "--venv", "--format", "json"],
    ["list", "--no-venv", "--wide"],
    ["list", "--implementation", "CPython", "--format", "ndjson"],
    ["list", "--version", "3.12", "--format", "json"],
    ["list", "--version=>=3.11", "--aliases"],
    ["list", "--status", "cached", "--status", "error", "--all"],
    ["history"],
    ["history", "--wide"],
    ["history", "--diff", "--limit", "3"],
    ["history", "1"],
    ["history", "3", "--wide", "--diff"],
    ["history", "--trigger", "refresh", "--format", "json"],
    ["show", "1"],
    ["show", "2", "--wide"],
    ["show", "3", "--format", "json"],
    ["show", "3", "--json"],
    ["show", "1", "--format", "ndjson"],
]


def _both(
    args: list[str], db: Path, env: dict[str, str] | None = None
) -> tuple[tuple[str, int], tuple[str, int], list[str]]:
    """(stdout, exit code) of the fast path and of click for ``args``, and the fast path's modules."""
    fast, fast_modules, fast_code = run_entry(args, db, entry="_fast", env=env)
    full, _modules, full_code = run_entry(args, db, entry="cli", env=env)
    return (fast, fast_code), (full, full_code), fast_modules


def test_the_global_options_in_front_keep_the_fast_path(warm_db: dict[str, Path], db_path: Path) -> None:
    """``--db PATH`` (the README's own form), ``--db=PATH`` and ``-q`` before the command are
    the fast path's too: a check for ``--db ""`` once sent every ``--db`` to click (its
    import, several probes' worth), with the same output, so only this sees it."""
    for front in (["--db", str(db_path)], [f"--db={db_path}"], ["-q", "--db", str(db_path)]):
        for args in (["find", "3.12"], ["list", "--format", "json"]):
            fast, full, modules = _both([*front, *args], db_path)
            assert fast == full and fast[1] == 0, (front, args)
            assert "click" not in modules and "interpdb.cli" not in modules, (front, args)


def test_fast_path_prints_exactly_what_the_full_cli_prints(warm_db: dict[str, Path], db_path: Path) -> None:
    """Every form in ``ANSWERED``, on one store (none of them writes): the forms that differ
    are listed together, each with both outputs."""
    wrong = []
    for args in ANSWERED:
        fast, full, modules = _both(args, db_path)
        if fast != full or "click" in modules:
            wrong.append((args, "click imported" if "click" in modules else "", fast, full))
    assert wrong == []


def test_fast_history_of_a_path_is_the_full_clis(warm_db: dict[str, Path], db_path: Path) -> None:
    """A path reference is normalised the same way (``..`` and all) on both paths."""
    venv = warm_db["venv"]
    roundabout = str(venv.parent / ".." / venv.parent.name / venv.name)
    for ref in (str(venv), roundabout):
        args = ["history", ref, "--format", "json", "--diff"]
        fast, fast_modules, fast_code = run_entry(args, db_path, entry="_fast")
        full, _m, full_code = run_entry(args, db_path, entry="cli")
        assert (fast, fast_code) == (full, full_code)
        assert fast_code == 0 and json.loads(fast)[0]["path"] == str(venv)
        # The same Inventory.history as the click command, and nothing that probes.
        assert "interpdb.learning" not in fast_modules and "sqlalchemy" not in fast_modules


#: Errors: worded by the full CLI, the same output and exit code (not 0) on both paths.
FAILURES = [
    ["sql", "DELETE FROM probes", "--format", "json"],
    ["history", "--trigger", "nonsense", "--format", "json"],
    ["history", "/no/such/python", "--format", "json"],
    ["sql", "SELECT 1 AS a", "--format", "json", "-p=x=1"],
    ["find", "9.9"],
    ["list", "--status", "bogus"],
    ["list", "--version", "3.x"],
    ["history", "9" * 20],
    ["history", "9" * 20, "--format", "json"],
    ["show", "999"],
    ["show", "/no/such/python"],
    ["show", "9" * 20],
    ["show", "1", "--format", "csv"],
    ["show", ""],  # an empty PATH|ID: show looked at the working folder
    ["history", ""],
]


def test_fast_path_failures_are_the_full_clis(warm_db: dict[str, Path], db_path: Path) -> None:
    """Errors are worded by the full CLI: same output, same exit code, one line on stderr."""
    wrong = []
    for args in FAILURES:
        fast, full, _modules = _both(args, db_path)
        if fast != full or fast[1] == 0:
            wrong.append((args, fast, full))
    assert wrong == []


#: Both of a flag pair (click takes the last), an option where a value belongs, and
#: nothing left to print (a hint, a note, or nothing): click answers these.
HANDED_OVER = [
    ["list", "--venv", "--no-venv"],
    ["list", "--no-venv", "--venv", "--format", "json"],
    ["list", "--version", "3.99"],
    ["list", "--implementation", "graalpy", "--format", "ndjson"],
    ["list", "--implementation", "--all"],
    ["list", "--implementation", "--all", "--format", "json"],
    ["history", "--trigger", "refresh"],
]


def test_fast_path_hands_over_what_click_words(warm_db: dict[str, Path], db_path: Path) -> None:
    """The click command answers each form of ``HANDED_OVER``, so the output is its own."""
    wrong = []
    for args in HANDED_OVER:
        fast, full, modules = _both(args, db_path)
        if fast != full or "click" not in modules:
            wrong.append((args, "answered without click" if "click" not in modules else "", fast, full))
    assert wrong == []


def test_fast_list_version_reads_full_records_for_markers(warm_db: dict[str, Path], db_path: Path) -> None:
    """A request naming a platform and libc is judged on the answers, which light records lack."""
    args = ["list", "--version", f"cpython-3.12-linux-{os.uname().machine}-gnu", "--format", "json", "--no-venv"]
    fast, full, modules = _both(args, db_path)
    assert fast == full and "click" not in modules
    assert {r["version"][:4] for r in json.loads(fast[0])} == {"3.12"}


def _streams(args: list[str], db: Path, entry: str, env: dict[str, str] | None = None) -> tuple[str, str, int]:
    """stdout, stderr (the modules report left out) and exit code of one entry."""
    proc = _run(args, db, entry, env)
    stderr = "".join(line + "\n" for line in proc.stderr.splitlines() if not line.startswith("MODULES="))
    return proc.stdout, stderr, proc.returncode


def test_fast_path_notes_and_errors_are_the_full_clis(warm_db: dict[str, Path], db_path: Path) -> None:
    """stderr too: a read-only store's note, an error line."""
    for args in (
        ["--read-only", "show", "2"],
        ["--read-only", "list"],
        ["--read-only", "find", "3.12"],
        ["show", "999"],
    ):
        fast = _streams(args, db_path, "_fast")
        assert fast == _streams(args, db_path, "cli"), args
        assert fast[1].startswith("note: the store is read-only") or fast[1].startswith("error:"), args


#: INTERPDB_READ_ONLY's values, read as click reads a boolean (blanks and case aside), and what
#: each makes the first line of stderr: the note naming the variable, nothing, or a usage error.
READ_ONLY_VALUES = {
    "t": "note: the store is read-only (INTERPDB_READ_ONLY is set)",
    " ON ": "note: the store is read-only (INTERPDB_READ_ONLY is set)",
    "off": "",
    "maybe": "error: INTERPDB_READ_ONLY='maybe' is neither true nor false",
}


def test_the_read_only_variable_reads_alike_on_both_paths(warm_db: dict[str, Path], db_path: Path) -> None:
    """Both paths read INTERPDB_READ_ONLY through ``gate.read_only_requested``: the same note,
    or the same one-line usage error (exit 2) for a value that is neither true nor false."""
    differ = []
    for value, first_line in READ_ONLY_VALUES.items():
        env = dict(os.environ, INTERPDB_READ_ONLY=value)
        # the warm path's three ways in: the service (with the note), the log, the SQL sandbox
        for args in (["list"], ["history"], ["sql", "SELECT 1 AS a", "--json"]):
            fast, full = _streams(args, db_path, "_fast", env), _streams(args, db_path, "cli", env)
            note_expected = first_line.startswith("note") and args[0] in ("list", "find", "show")
            expected = first_line if first_line.startswith("error") or note_expected else ""
            code = 2 if first_line.startswith("error") else 0
            if (
                fast != full
                or not fast[1].startswith(expected)
                or (expected == "") != (fast[1] == "")
                or fast[2] != code
                or (code == 2 and "\nhint: set INTERPDB_READ_ONLY=1 to read the store only, or unset it" not in fast[1])
            ):
                differ.append((value, args, fast, full))
        # --read-only wins over the variable, whatever its value, as an option does in click
        args = ["--read-only", "list"]
        fast, full = _streams(args, db_path, "_fast", env), _streams(args, db_path, "cli", env)
        if (
            fast != full
            or fast[2] != 0
            or not fast[1].startswith("note: the store is read-only (--read-only was given)")
        ):
            differ.append((value, args, fast, full))
    assert not differ, differ


def test_fast_list_filters_a_broken_interpreter_as_click_does(
    warm_db: dict[str, Path], db_path: Path, run: Cli
) -> None:
    """A stored failure is left out unless ``--all`` or ``--status`` asks, on both paths."""
    broken = db_path.parent / "python3.98"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    run("probe", broken, code=1)
    for args in (["list"], ["list", "--all"], ["list", "--status", "error", "--format", "json"]):
        fast, full, modules = _both(args, db_path)
        assert fast == full and "click" not in modules
        assert (broken.name in fast[0]) == (args != ["list"])  # shown as ~/python3.98: HOME is its folder


def test_fast_show_of_a_path_is_the_full_clis(warm_db: dict[str, Path], db_path: Path, run: Cli) -> None:
    """``show PATH`` answers without click, the same bytes as the click command: the sections
    at a terminal's 80 columns and the document, the fingerprint checked, nothing probed."""
    before = run.count()
    env = dict(os.environ, COLUMNS="80")
    for args in (["show", str(warm_db["venv"])], ["show", str(warm_db["3.12"]), "--format", "json"]):
        fast, full, modules = _both(args, db_path, env)
        assert fast == full
        assert fast[1] == 0 and "click" not in modules
    assert "fingerprint" in fast[0] and all(entry["matches"] for entry in json.loads(fast[0])["fingerprint"])
    assert run.count() == before


def test_fast_show_hands_over_what_it_does_not_word(warm_db: dict[str, Path], db_path: Path, run: Cli) -> None:
    """A changed fingerprint (a probe to run) and a broken interpreter (its error line, exit 1)
    go to the full CLI, which answers as it always has."""
    site = next(p for p in run.json("show", warm_db["venv"])["site_packages"] if "venv" in p)
    Path(site, "extra.pth").write_text(str(db_path.parent) + "\n")
    before = run.count()
    out, modules, code = run_entry(["show", str(warm_db["venv"]), "--format", "json"], db_path)
    assert code == 0 and "click" in modules
    assert str(db_path.parent) in json.loads(out)["sys_path"]
    assert run.count() == before + 1
    broken = db_path.parent / "python3.99"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    run("probe", broken, code=1)
    fast, full, modules = _both(["show", str(broken)], db_path)
    assert fast == full and fast[1] == 1 and "click" in modules


def test_fast_path_hands_over_when_something_must_be_probed(warm_db: dict[str, Path], db_path: Path, run: Cli) -> None:
    """A changed fingerprint needs a probe: the fast path falls back and the answer is right."""
    site = next(p for p in run.json("show", warm_db["venv"])["site_packages"] if "venv" in p)
    Path(site, "extra.pth").write_text(str(db_path.parent) + "\n")
    before = run.count()
    out, modules, code = run_entry(["find", str(warm_db["venv"]), "--format", "json"], db_path)
    assert code == 0
    assert str(db_path.parent) in json.loads(out)["sys_path"]
    assert "sqlalchemy" in modules
    assert run.count() == before + 1


def test_reader_and_orm_return_the_same_records(warm_db: dict[str, Path], db_path: Path) -> None:
    """Parity: the stdlib reader and the SQLAlchemy models see the same rows the same way."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from interpdb.store.models import Interpreter
    from interpdb.store.write import Store

    location = resolve(str(db_path))
    conn = gate.open_read(location)
    assert conn is not None
    records = {r.id: r for r in read.current_records(conn, hostid.current())}
    conn.close()
    store = Store.open(location)
    with Session(store.engine) as session:
        interpreters = session.scalars(select(Interpreter)).all()
        assert {i.id for i in interpreters} == set(records)
        for interpreter in interpreters:
            record, probe = records[interpreter.id], interpreter.current_probe
            assert probe is not None
            assert (record.path, record.host, record.probe_id) == (interpreter.path, interpreter.host, probe.id)
            for field in ("outcome", "trigger", "probed_at", "error", "duration_ms", "interpdb_version",
                          "implementation", "implementation_version", "version_major", "version_minor",
                          "version_micro", "is_venv", "free_threaded", "debug_build", "pointer_size",
                          "platform", "executable", "real_executable", "prefix", "base_prefix", "data"):  # fmt: skip
                assert getattr(record, field) == getattr(probe, field), field
            assert record.version == probe.python_version
            assert list(record.changes) == probe.changes
            orm_entries = [
                (e.role, e.path, e.exists, e.mtime_ns, e.ctime_ns, e.size, e.ino, e.dev, e.target)
                for e in probe.entries
            ]
            assert [tuple(e.as_dict().values()) for e in record.entries] == orm_entries
            assert sorted(record.sources) == sorted(s.source for s in interpreter.sources)
    store.close()


def test_fingerprints_are_loaded_in_bulk(warm_db: dict[str, Path], db_path: Path) -> None:
    """Two queries for any number of interpreters (records, entries) plus one for sources."""
    location = resolve(str(db_path))
    conn = gate.open_read(location)
    assert conn is not None
    statements: list[str] = []
    conn._conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    records = read.current_records(conn, hostid.current())
    conn.close()
    assert len(records) >= 3
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 3


def _plan(db: Path, sql: str, params: dict[str, object]) -> str:
    conn = sqlite3.connect(db)
    try:
        return " | ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
    finally:
        conn.close()


def test_history_queries_use_their_indexes(warm_db: dict[str, Path], db_path: Path) -> None:
    by_interpreter = _plan(db_path, *read.history_query([1], limit=20))
    assert "ix_probes_interpreter_id_probed_at" in by_interpreter
    assert "TEMP B-TREE" not in by_interpreter, by_interpreter
    by_trigger = _plan(db_path, *read.history_query(trigger="changed", limit=20))
    assert "ix_probes_trigger_probed_at" in by_trigger
    everything = _plan(db_path, *read.history_query(limit=20))
    assert "ix_probes_probed_at" in everything
    by_host = _plan(db_path, *read.history_query(hosts=["somehost"], limit=20))
    # The unique (host, path) constraint's index finds the host's interpreters,
    # then each one's probes come from the (interpreter_id, probed_at) index.
    assert "(host=?)" in by_host and "ix_probes_interpreter_id_probed_at" in by_host, by_host


def test_one_stat_per_shared_file_per_command(
    run: Cli, make_venv: Callable[..., Path], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Venvs of one base share its executable, stdlib folders, libc...: a command stats each
    once, and the shared answers still tell a changed venv from its unchanged siblings."""
    from interpdb import fingerprint
    from interpdb.probe import script_hash

    venvs = [make_venv(f"v{i}") for i in range(3)]
    run("probe", *venvs)
    conn = gate.open_read(resolve(str(db_path)))
    assert conn is not None
    records = {r.path: r for r in read.current_records(conn, hostid.current())}
    conn.close()
    site = next(
        Path(p) for p in records[str(venvs[1])].data["site_packages"] if p.startswith(str(venvs[1].parent.parent))
    )
    (site / "new.pth").write_text("/somewhere\n")

    calls: list[str] = []
    real_stat = os.stat

    def counting_stat(path: str, *args: object, **kwargs: object) -> os.stat_result:
        calls.append(path)
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting_stat)
    stats: dict[str, os.stat_result | None] = {}
    found = {str(v): fingerprint.changes(records[str(v)].entries, script_hash(), stats) for v in venvs}
    monkeypatch.undo()
    assert [c.path for c in found[str(venvs[1])]] == [str(site / "new.pth")]
    assert found[str(venvs[0])] == found[str(venvs[2])] == []
    assert len(calls) == len(set(calls)), "a shared file was stat-ed twice"
    assert str(venvs[0].resolve()) in stats  # the base executable all three lead to
