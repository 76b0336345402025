"""The warm path's import budget: what each warm command may import, checked in a fresh interpreter.

A warm answer costs about what Python's start-up costs, so every module it imports
shows in its time. This is the allow-list (the README's Performance section points
here); a change that imports more on a warm path must change it here, on purpose.

interpdb modules, exactly (``COMMON`` is every warm command but ``sql``):

============================  ==================================================================
``sql ... --format json``     ``_fast``, ``_stdlib``, ``errors``, ``location``, ``render``, ``store``
                              (``columns``, ``gate``, ``read``, ``sandbox``): no records built
``history --format json``     ``COMMON``: ``_fast``, ``_frozen``, ``_stdlib``, ``errors``, ``fingerprint``,
                              ``freshness``, ``location``, ``policy``, ``probe``, ``records``,
                              ``render``, ``service``, ``store`` (``columns``, ``gate``, ``read``)
``history`` (its table)       ``COMMON`` + ``auditing``, ``listing`` (a change in words) and
                              ``aliases``. ``--diff`` (either form) is not held to this list:
                              ``interpdb.diff`` compares answers with ``json`` and a dataclass,
                              an audit a person runs, not a loop
``list`` (table, ``--format   ``COMMON`` + ``aliases``, ``discovery`` (all its sources), ``listing``;
json``, ``--no-discover``,    ``--no-discover`` too: ``Record.conda_env`` reads ``discovery.envs``;
its filters)                  ``--version REQUEST`` + ``request``, ``versions``
``find 3.12``                 ``COMMON`` + ``aliases``, ``discovery``, ``request``, ``versions``;
                              in another folder than the last, + ``launchers`` (pyenv's shims
                              are resolved again: their fingerprint holds the working folder)
``show PATH|ID``              ``COMMON`` + ``showing``; the sections + ``listing`` (a change in
                              words) and ``aliases``; ``--format json`` + ``discovery``
                              (``Record.conda_env``)
============================  ==================================================================

Never on a warm path: ``sqlalchemy``, ``alembic``, ``click``, ``tabulate`` (the full CLI and
the write path), and from the standard library ``dataclasses`` and ``inspect`` (the value
classes are ``interpdb._frozen``), ``typing`` (annotations only, behind ``TYPE_CHECKING``),
``csv`` (CSV output only), ``concurrent.futures``, ``threading``, ``subprocess``,
``selectors``, ``signal`` (probing only: ``interpdb.learning``, ``interpdb.probe``'s runner),
``shutil``, ``pathlib``, ``tempfile``, ``argparse``, ``logging``, ``hashlib``, ``urllib``,
``tomllib``, ``uuid``, ``contextlib``, ``zlib`` (the probe hash is a checksum of our own)
and ``encodings.ascii`` (the machine id is read as bytes). Nor ``json``, ``re`` and ``enum``
(``json`` imports ``re``, which imports ``enum``: about 6 ms of a warm ``find``): stored
answers are decoded by CPython's own scanner (``store.read.loads``), JSON is written by
``render.to_json`` with ``json``'s own string encoder from ``_json``, and patterns are
compiled where a request, a version or a path needs one (``3.12`` and plain paths need none).
The console script pip writes imports ``re`` itself; uv's does not, and neither does this
test's start. Nor the ``sqlite3`` and ``datetime`` wrappers: ``interpdb._stdlib`` imports
their C modules, ``_sqlite3`` and ``_datetime`` (records' times are ``datetime`` objects all
the same), which saves a warm ``find`` about 4% of its instructions on CPython 3.11.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli
from test_discover_find import pyenv_root  # noqa: F401 (the fixture: a pyenv root with real-shaped shims)
from test_warm_path import warm_db  # noqa: F401 (the fixture: a store that knows a few interpreters)

#: Prints every module imported, without importing anything itself (not even json), at
#: exit: through atexit for the full CLI, around ``os._exit`` for a warm answer (which ends so).
RUNNER = """
import atexit, os, sys
def report():
    sys.stderr.write("MODULES=" + " ".join(sorted(sys.modules)) + "\\n")
    sys.stderr.flush()
atexit.register(report)
def _exit(code, real=os._exit):
    report()
    real(code)
os._exit = _exit
from interpdb._fast import main
sys.argv = ["interpdb", *sys.argv[1:]]
main()
"""
BASELINE = "import atexit, sys; sys.stderr.write('MODULES=' + ' '.join(sorted(sys.modules)) + '\\n')"

STORE = {"interpdb._stdlib", "interpdb.store", "interpdb.store.columns", "interpdb.store.gate", "interpdb.store.read"}
SQL = (
    {"interpdb", "interpdb._fast", "interpdb.errors", "interpdb.location", "interpdb.render"}
    | STORE
    | {"interpdb.store.sandbox"}
)
COMMON = {
    "interpdb",
    "interpdb._fast",
    "interpdb._frozen",
    "interpdb.errors",
    "interpdb.fingerprint",
    "interpdb.freshness",
    "interpdb.hostid",  # which host this is: rows are judged only on the host that owns them
    "interpdb.location",
    "interpdb.policy",
    "interpdb.probe",
    "interpdb.records",
    "interpdb.render",
    "interpdb.service",
} | STORE
#: The fourteen sources live in three modules (``bins``, ``installs``, ``envs``): a module costs
#: about 0.1 ms of import, and every warm ``find`` and ``list`` runs every source.
DISCOVERY = {f"interpdb.discovery{name}" for name in ("", "._fs", ".bins", ".installs", ".envs")}
LIST = COMMON | DISCOVERY | {"interpdb.aliases", "interpdb.listing"}
FIND = COMMON | DISCOVERY | {"interpdb.aliases", "interpdb.request", "interpdb.versions"}
SHOW = COMMON | {"interpdb.showing", "interpdb.listing", "interpdb.aliases"}
SHOW_JSON = COMMON | DISCOVERY | {"interpdb.showing"}

NEVER = (
    "sqlalchemy",
    "alembic",
    "click",
    "tabulate",
    "dataclasses",
    "inspect",
    "typing",
    "csv",
    "concurrent.futures",
    "threading",
    "subprocess",
    "selectors",
    "signal",
    "shutil",
    "pathlib",
    "tempfile",
    "argparse",
    "logging",
    "hashlib",
    "urllib",
    "tomllib",
    "uuid",
    "contextlib",
    "zlib",
    "encodings.ascii",
    # Their C modules instead (interpdb._stdlib): the wrappers cost a warm find about 4% of it.
    "sqlite3",
    "datetime",
)
#: Never on a warm path but ``sql``'s (whose sandbox may match a query's text).
NEVER_BUT_SQL = ("json", "re", "enum")

BUDGETS = [
    (["find", "3.12"], FIND),
    (["find", "3.12", "--format", "json"], FIND),
    (["list"], LIST),
    (["list", "--format", "json"], LIST),
    # Records' ``conda_env`` reads ``discovery.envs``, and the package imports every source.
    (["list", "--format", "json", "--no-discover"], LIST),
    (["list", "--aliases", "--implementation", "cpython", "--no-venv", "--all"], LIST),
    (["list", "--version", "3.12", "--format", "json"], LIST | {"interpdb.request", "interpdb.versions"}),
    (["history", "--format", "json"], COMMON),
    (["history"], COMMON | {"interpdb.auditing", "interpdb.listing", "interpdb.aliases"}),
    (["show", "1"], SHOW),
    (["show", "1", "--format", "json"], SHOW_JSON),
    (["sql", "SELECT count(*) AS n FROM probes", "--format", "json"], SQL),
]


def _modules(code: str, args: list[str], db: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, INTERPDB_DB=str(db)),
        timeout=120,
    )
    marker = [line for line in proc.stderr.splitlines() if line.startswith("MODULES=")]
    assert marker, proc.stderr
    return set(marker[-1][len("MODULES=") :].split()), proc


def test_a_warm_command_imports_its_budget_and_nothing_more(
    warm_db: dict[str, Path],  # noqa: F811 (the fixture imported above)
    db_path: Path,
) -> None:
    """Each of ``BUDGETS``, on one store: the exact interpdb modules, and none of the heavy
    ones, beyond what start-up imported. The commands that break their budget are listed
    together, each with what it imported beyond it and what it did not import."""
    before, _ = _modules(BASELINE, [], db_path)
    wrong = []
    for args, allowed in BUDGETS:
        after, proc = _modules(RUNNER, args, db_path)
        if proc.returncode != 0 or not proc.stdout.strip():
            wrong.append((args, "did not answer", proc.returncode, proc.stderr[-300:]))
            continue
        imported = after - before
        own = {name for name in imported if name == "interpdb" or name.startswith("interpdb.")}
        never = NEVER if args[0] == "sql" else NEVER + NEVER_BUT_SQL
        heavy = sorted(name for name in imported if name in never or name.split(".")[0] in never)
        if own != allowed or heavy:
            wrong.append((args, f"unexpected: {sorted(own - allowed)}", f"missing: {sorted(allowed - own)}", heavy))
    assert wrong == []


def test_a_warm_find_in_another_folder_resolves_the_shims_as_cheaply(
    pyenv_root: Path,  # noqa: F811 (the fixture imported above)
    run: Cli,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pyenv user moving between projects: a shim's fingerprint holds the working folder,
    so a warm ``find`` in another one resolves the shims again (``interpdb.launchers``,
    a few ``stat`` calls) and answers without a probe. That module used to import
    ``dataclasses`` and compile its patterns at import (a third more than the whole
    answer); the shims' lines and the version files are now read without ``re``."""
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no other pyenv, conda... to discover
    run("list")
    elsewhere = tmp_path / "another-project"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    before = run.count()
    base, _ = _modules(BASELINE, [], db_path)
    after, proc = _modules(RUNNER, ["find", "3.12"], db_path)
    assert proc.returncode == 0, proc.stderr
    answer = Path(proc.stdout.strip())  # the interpreter the shim runs, as ``find`` answers a shim
    assert answer.parent.parent.parent == pyenv_root / "versions" and answer.name == "python3.12"
    assert run.count() == before, "the shims still select what they did: nothing to probe"
    imported = after - base
    assert "interpdb.launchers" in imported, "the shims were not resolved again: the test proves nothing"
    never = NEVER + NEVER_BUT_SQL
    heavy = sorted(name for name in imported if name in never or name.split(".")[0] in never)
    assert heavy == [], heavy
