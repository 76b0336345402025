"""forget / prune: hidden from list and find, history kept; purge deletes; probing brings back."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Callable

import pytest
from conftest import Cli

#: Each test that uses ``run`` runs on SQLite and on a PostgreSQL server (``conftest.py``).
pytestmark = pytest.mark.backends


def test_forget_hides_keeps_history_and_probe_brings_back(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    run("forget", a)
    assert [r["path"] for r in run.json("list", "--no-discover")] == [str(b)]
    assert run("find", "any", "--no-discover").stdout.strip() == str(b)
    history = run.json("history", a)
    assert [(h["trigger"], h["outcome"]) for h in history] == [("forget", "forgotten"), ("new", "ok")]
    shown = run.json("show", a, "--offline")
    assert shown["forgotten_at"] is not None
    # Forgetting it again is said, and changes nothing (it added an event, moved forgotten_at).
    again = run("forget", a)
    assert again.stderr == f"note: {a} is already forgotten\n"
    assert run.json("show", a, "--offline")["forgotten_at"] == shown["forgotten_at"]
    # find PATH brought it back (the README gives that to probe) and answered with it.
    for args in ((), ("--refresh",)):
        hidden = run("find", a, *args, code=1)
        assert hidden.stderr == f"error: {a}: forgotten; `interpdb probe {a}` brings it back\n"
    assert [r["path"] for r in run.json("list", "--no-discover")] == [str(b)]
    assert len(run.json("history", a)) == 2, "nothing probed or written"
    [back] = run.json("probe", a)
    assert back["status"] == "cached", "bringing back is not a reason to run it"
    assert back["forgotten_at"] is None
    assert [r["path"] for r in run.json("list", "--no-discover")] == [str(a), str(b)]
    assert [h["trigger"] for h in run.json("history", a)] == ["unforget", "forget", "new"]


def test_forget_hides_every_path_to_the_interpreter_and_probe_brings_them_back(
    run: Cli, tmp_path: Path, base_python: Path
) -> None:
    """``forget /usr/bin/pypy3`` used to hide that path only: ``find pypy`` answered by
    ``/usr/bin/pypy3.9`` and ``list`` showed it under that name. The paths to one
    interpreter (its aliases) are forgotten together, and come back together."""
    folder = tmp_path / "bin"
    folder.mkdir()
    first, second = folder / "python3", folder / "python-other"
    for link in (first, second):
        link.symlink_to(base_python)
    run("probe", first, second)
    [listed] = run.json("list", "--no-discover")
    assert {listed["path"], *listed["aliases"]} == {str(first), str(second)}
    forgot = run("forget", second)
    assert forgot.stderr.startswith("note: forgot 1 interpreter(s) (and 1 other path to it);")
    assert run.json("list", "--no-discover") == []
    assert run("find", "any", "--no-discover", code=1).stderr.count("note: forgotten ") == 1  # one interpreter
    run("probe", second)
    [back] = run.json("list", "--no-discover")
    assert {back["path"], *back["aliases"]} == {str(first), str(second)}


def test_forgetting_a_wrapper_or_shim_leaves_what_it_runs(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """A launcher (a shim, a wrapper script) groups with the interpreter it runs now; forgetting
    it must not hide that interpreter, which other folders' shims do not even select."""
    wrapper = tmp_path / "wrapped-python"
    wrapper.write_text(f'#!/bin/sh\nexec "{base_python}" "$@"\n')
    wrapper.chmod(0o755)
    run("probe", base_python, wrapper)
    forgot = run("forget", wrapper)
    assert forgot.stderr.startswith("note: forgot 1 interpreter(s);")
    assert [r["path"] for r in run.json("list", "--no-discover")] == [str(base_python)]


def test_discovery_does_not_bring_a_forgotten_interpreter_back(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    venv = make_venv("tree/v")
    run("discover", "--source", "venv", "--scan", tmp_path / "tree")
    run("forget", venv)
    before = run.count()
    assert run.json("discover", "--source", "venv", "--scan", tmp_path / "tree") == []
    assert run.count() == before


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_purge_deletes_history_after_confirmation(run: Cli, make_venv: Callable[..., Path]) -> None:
    a = make_venv("a")
    run("probe", a)
    run("forget", a, "--purge", code=1)  # no confirmation on a non-terminal: abort
    assert run.count() == 1
    run("forget", a, "--purge", "--yes")
    assert run.count() == 0
    conn = sqlite3.connect(run.db)
    assert conn.execute("SELECT count(*) FROM interpreters").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM fingerprint_entries").fetchone() == (0,)
    conn.close()


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_prune_forgets_only_long_missing(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    shutil.rmtree(a.parent.parent)
    run("probe", a, code=1)  # recorded missing now
    assert run.json("prune", "--missing-for", "1d") == []
    conn = sqlite3.connect(run.db)
    with conn:
        conn.execute("UPDATE probes SET probed_at = '2020-01-01 00:00:00.000000' WHERE outcome = 'missing'")
    conn.close()
    dry = run.json("prune", "--missing-for", "1d", "--dry-run")
    assert [r["path"] for r in dry] == [str(a)]
    assert [r["path"] for r in run.json("list", "--no-discover", "--all")] == [str(a), str(b)]
    [pruned] = run.json("prune", "--missing-for", "1d")
    assert pruned["forgotten_at"] is not None, "as stored: what this run has just forgotten"
    assert [r["path"] for r in run.json("list", "--no-discover", "--all")] == [str(b)]
    # What prune forgot is listed as it was stored: missing (it said "cached", and
    # --status missing found nothing).
    [gone] = run.json("list", "--forgotten")
    assert (gone["path"], gone["status"]) == (str(a), "missing")
    assert [r["path"] for r in run.json("list", "--forgotten", "--status", "missing")] == [str(a)]


def test_forget_unknown_is_one_line(run: Cli) -> None:
    result = run("forget", "/no/such/python", code=1)
    assert "no interpreter" in result.stderr
    assert "Traceback" not in result.stderr
