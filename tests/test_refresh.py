"""The freshness rule end to end: every fingerprint trigger and every refresh flag.

Each test runs the real CLI against real interpreters and real files, and checks
both the answer (the new ``sys.path``, version...) and how many probes were
recorded: a re-probe that should not happen is as much a bug as a stale answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Callable

import pytest
from conftest import Cli, python_for

#: Each test that uses ``run`` runs on SQLite and on a PostgreSQL server (``conftest.py``).
pytestmark = pytest.mark.backends

JSON_KEYS = {
    "id", "path", "executable", "implementation", "version", "is_venv", "prefix", "base_prefix", "sys_path",
    "site_packages", "platform", "pointer_size", "free_threaded", "markers", "status", "trigger", "probed_at",
}  # fmt: skip


def probe(run: Cli, path: Path, *flags: str, code: int = 0) -> dict:
    records = run.json("probe", path, *flags, code=code)
    assert len(records) == 1
    return records[0]


def site_packages(record: dict) -> Path:
    venv_sites = [p for p in record["site_packages"] if p.startswith(record["prefix"])]
    return Path(venv_sites[0])


def db_state(db: Path) -> dict[str, str]:
    """Hashes of the database and its WAL, to prove a command wrote nothing."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (db, db.with_name(db.name + "-wal")) if p.exists()
    }


# -- the first probe and the warm path ------------------------------------------------------


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_first_probe_records_everything_and_second_runs_nothing(run: Cli, make_venv: Callable[..., Path]) -> None:
    """New -> probed with trigger 'new'; unchanged -> cached, no probe, no write at all."""
    python = make_venv()
    first = probe(run, python)
    assert first.keys() >= JSON_KEYS
    assert first["status"] == "probed"
    assert first["trigger"] == "new"
    assert first["is_venv"] is True
    assert first["prefix"] == str(python.parent.parent)
    assert run.count() == 1
    before = db_state(run.db)
    second = probe(run, python)
    assert second["status"] == "cached"
    assert second["sys_path"] == first["sys_path"]
    assert run.count() == 1
    assert db_state(run.db) == before


def test_list_revalidates_everything_known(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    listed = run.json("list", "--no-discover")
    assert sorted(r["path"] for r in listed) == [str(a), str(b)]
    assert {r["status"] for r in listed} == {"cached"}
    assert run.count() == 2


# -- fingerprint triggers ---------------------------------------------------------------------


def test_added_pth_file_reprobes_and_shows_new_sys_path(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """An editable install's .pth changes sys.path without touching the executable."""
    python = make_venv()
    first = probe(run, python)
    extra = tmp_path / "src"
    extra.mkdir()
    (site_packages(first) / "editable.pth").write_text(f"{extra}\n")
    second = probe(run, python)
    assert second["status"] == "probed"
    assert second["trigger"] == "changed"
    assert str(extra) in second["sys_path"]
    assert str(extra) not in first["sys_path"]
    assert run.count() == 2
    [change] = run.probes()[-1:]
    assert '"kind": "added"' in change["changes"] and "editable.pth" in change["changes"]


def test_pth_edit_keeping_size_and_mtime_is_still_noticed(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """Same size, mtime put back with utime: ctime still moves, so the edit is seen."""
    python = make_venv()
    first = probe(run, python)
    one, two = tmp_path / "dir_1", tmp_path / "dir_2"
    one.mkdir()
    two.mkdir()
    pth = site_packages(first) / "paths.pth"
    pth.write_text(f"{one}\n")
    assert str(one) in probe(run, python)["sys_path"]
    stat = pth.stat()
    pth.write_text(f"{two}\n")
    os.utime(pth, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert pth.stat().st_size == stat.st_size and pth.stat().st_mtime_ns == stat.st_mtime_ns
    third = probe(run, python)
    assert third["status"] == "probed"
    assert str(two) in third["sys_path"] and str(one) not in third["sys_path"]
    assert run.count() == 3


def test_removed_pth_file_reprobes(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    python = make_venv()
    first = probe(run, python)
    extra = tmp_path / "src"
    extra.mkdir()
    pth = site_packages(first) / "editable.pth"
    pth.write_text(f"{extra}\n")
    assert str(extra) in probe(run, python)["sys_path"]
    pth.unlink()
    third = probe(run, python)
    assert third["trigger"] == "changed"
    assert str(extra) not in third["sys_path"]
    assert run.count() == 3


def test_installing_an_ordinary_package_does_not_reprobe(run: Cli, make_venv: Callable[..., Path]) -> None:
    """site-packages' own stat moves on every install; only tracked names matter."""
    python = make_venv()
    site = site_packages(probe(run, python))
    before = site.stat().st_mtime_ns
    (site / "requests").mkdir()
    (site / "requests" / "__init__.py").write_text("")
    (site / "requests-2.0.dist-info").mkdir()
    (site / "six.py").write_text("")
    assert site.stat().st_mtime_ns != before
    assert probe(run, python)["status"] == "cached"
    assert run.count() == 1


@pytest.mark.parametrize("name", ["sitecustomize.py", "usercustomize.py"])
def test_customize_module_in_site_packages_reprobes(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path, name: str
) -> None:
    python = make_venv()
    first = probe(run, python)
    extra = tmp_path / "from-customize"
    (site_packages(first) / name).write_text(f"import sys\nsys.path.append({str(extra)!r})\n")
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert run.count() == 2
    if name == "sitecustomize.py":  # usercustomize only runs with a user site enabled
        assert str(extra) in second["sys_path"]


def test_manylinux_override_reprobes_and_changes_compatibility(run: Cli, make_venv: Callable[..., Path]) -> None:
    """The no-manylinux case: a _manylinux module appears and pip's answer must change."""
    python = make_venv()
    first = probe(run, python)
    assert first["manylinux"]["tags"]
    (site_packages(first) / "_manylinux.py").write_text("def manylinux_compatible(*args):\n    return False\n")
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert second["manylinux"]["tags"] == []
    assert run.count() == 2


def test_pyvenv_cfg_edit_reprobes(run: Cli, make_venv: Callable[..., Path]) -> None:
    """include-system-site-packages flipped in pyvenv.cfg changes sys.path."""
    python = make_venv()
    first = probe(run, python)
    cfg = python.parent.parent / "pyvenv.cfg"
    cfg.write_text(
        cfg.read_text().replace("include-system-site-packages = false", "include-system-site-packages = true")
    )
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert len(second["sys_path"]) > len(first["sys_path"])
    assert run.count() == 2


def test_creating_pyvenv_cfg_next_to_a_base_interpreter_is_noticed(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """Its absence is part of the fingerprint: a new pyvenv.cfg turns the path into a venv."""
    env = tmp_path / "env"
    (env / "bin").mkdir(parents=True)
    python = env / "bin" / "python"
    python.symlink_to(base_python)
    first = probe(run, python)
    assert first["is_venv"] is False
    (env / "pyvenv.cfg").write_text(f"home = {base_python.parent}\ninclude-system-site-packages = false\n")
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert second["is_venv"] is True
    assert second["prefix"] == str(env)
    assert run.count() == 2


def test_user_site_creation_and_usercustomize_are_noticed(run: Cli, fake_home: Path) -> None:
    """A base interpreter's user site is fingerprinted while absent; creating it re-probes."""
    python = python_for("3.12")
    first = probe(run, python)
    user_site = Path(first["user_site"])
    assert str(user_site).startswith(str(fake_home))
    assert str(user_site) not in first["sys_path"]
    user_site.mkdir(parents=True)
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert str(user_site) in second["sys_path"]
    extra = fake_home / "extra"
    (user_site / "usercustomize.py").write_text(f"import sys\nsys.path.append({str(extra)!r})\n")
    third = probe(run, python)
    assert third["trigger"] == "changed"
    assert str(extra) in third["sys_path"]
    assert run.count() == 3


def test_retargeted_symlink_reprobes_with_new_version(run: Cli, tmp_path: Path) -> None:
    """`ln -sf` to another Python: the chain's link target is part of the fingerprint."""
    old, new = python_for("3.11"), python_for("3.12")
    link = tmp_path / "python"
    link.symlink_to(old)
    assert probe(run, link)["version"].startswith("3.11.")
    link.unlink()
    link.symlink_to(new)
    second = probe(run, link)
    assert second["trigger"] == "changed"
    assert second["version"].startswith("3.12.")
    assert run.count() == 2


def test_a_broken_interpreter_is_cached_until_it_changes(
    run: Cli, fake: Callable[[str, str], Path], base_python: Path
) -> None:
    """Failures are history and are cached under their fingerprint, not re-run every time."""
    python = fake("python", "echo 'no python here' >&2; exit 2")
    first = probe(run, python, code=1)
    assert first["status"] == "error"
    assert "exited with code 2: no python here" in first["error"]
    again = probe(run, python, code=1)
    assert again["status"] == "error"
    assert run.count() == 1
    python.write_text(f'#!/bin/sh\nexec {base_python} "$@"\n')
    fixed = probe(run, python)
    assert fixed["status"] == "probed"
    assert fixed["trigger"] == "changed"
    assert fixed["executable"] == str(base_python)
    assert run.count() == 2


def test_a_venv_broken_by_its_site_packages_is_cached_until_fixed(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A failing sitecustomize kills the interpreter before the probe can name its site
    directories: the failed probe's fingerprint still covers the venv's site-packages."""
    python = make_venv()
    site = site_packages(probe(run, python))
    (site / "sitecustomize.py").write_text("raise SystemExit('broken on purpose')\n")
    broken = probe(run, python, code=1)
    assert broken["status"] == "error"
    assert "broken on purpose" in broken["error"]
    assert probe(run, python, code=1)["status"] == "error"
    assert run.count() == 2, "the failure is cached"
    (site / "sitecustomize.py").unlink()
    fixed = probe(run, python)
    assert (fixed["status"], fixed["trigger"]) == ("probed", "changed")
    assert run.count() == 3


def test_a_venv_broken_by_a_folder_its_pth_names_is_cached_until_fixed(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """The sitecustomize that kills it sits in a folder a ``.pth`` adds: the failed probe's
    fingerprint watches that folder as a ``sys.path`` folder, so removing it counts."""
    python = make_venv()
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (site_packages(probe(run, python)) / "plugins.pth").write_text(f"{plugins}\n")
    (plugins / "sitecustomize.py").write_text("raise SystemExit('broken on purpose')\n")
    assert probe(run, python, code=1)["status"] == "error"
    assert probe(run, python, code=1)["status"] == "error"
    (plugins / "sitecustomize.py").unlink()
    fixed = probe(run, python)
    assert (fixed["status"], fixed["trigger"]) == ("probed", "changed")


def test_a_failed_probe_watches_the_stdlib_folder_beside_it(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """Debian keeps sitecustomize in the stdlib folder: one that kills the interpreter and
    is then removed must be noticed, though the failed probe named no folder at all."""
    stdlib = tmp_path / "lib" / "python3.12"
    stdlib.mkdir(parents=True)
    (stdlib / "sitecustomize.py").write_text("raise SystemExit(1)\n")
    python = tmp_path / "bin" / "python3.12"
    python.parent.mkdir()
    python.write_text(
        f'#!/bin/sh\n[ -e "{stdlib}/sitecustomize.py" ] && {{ echo broken sitecustomize >&2; exit 1; }}\n'
        f'exec {base_python} "$@"\n'
    )
    python.chmod(0o755)
    assert "broken sitecustomize" in probe(run, python, code=1)["error"]
    assert probe(run, python, code=1)["status"] == "error"
    (stdlib / "sitecustomize.py").unlink()
    fixed = probe(run, python)
    assert (fixed["status"], fixed["trigger"]) == ("probed", "changed")
    assert run.count() == 2


def test_wrapper_script_tracks_the_real_executable(run: Cli, fake: Callable[[str, str], Path], tmp_path: Path) -> None:
    """A wrapper whose sys.executable is another file: that file joins the fingerprint."""
    real = tmp_path / "real-python"
    real.symlink_to(python_for("3.11"))
    wrapper = fake("wrapper", f'exec {real} "$@"')
    first = probe(run, wrapper)
    assert first["version"].startswith("3.11.")
    assert first["launcher"]["kind"] == "wrapper"
    assert first["launcher"]["target"] == str(real)
    assert "wrapper -> " in run("list", "--no-discover", "--aliases").stdout
    real.unlink()
    real.symlink_to(python_for("3.12"))
    second = probe(run, wrapper)
    assert second["trigger"] == "changed"
    assert second["version"].startswith("3.12.")
    assert run.count() == 2


def _edit_stored_entry(db: Path, role: str, value: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE fingerprint_entries SET target = ? WHERE role = ?", (value, role))
    conn.close()


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_a_new_probe_script_reprobes_old_rows(run: Cli, make_venv: Callable[..., Path]) -> None:
    """Rows written by an interpdb with another probe script are re-probed: 'probe-changed'."""
    python = make_venv()
    probe(run, python)
    _edit_stored_entry(run.db, "probe", "0123456789abcdef")
    second = probe(run, python)
    assert second["status"] == "probed"
    assert second["trigger"] == "probe-changed"
    assert run.count() == 2


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_a_kernel_change_reprobes(run: Cli, make_venv: Callable[..., Path]) -> None:
    """Markers carry uname release/version/machine: a row from another kernel is stale."""
    python = make_venv()
    probe(run, python)
    _edit_stored_entry(run.db, "host", "5.10.0-old | #1 SMP old | x86_64")
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert run.count() == 2


def test_missing_interpreter_is_recorded_and_never_served_fresh(
    run: Cli, make_venv: Callable[..., Path], base_python: Path
) -> None:
    python = make_venv()
    probe(run, python)
    venv = python.parent.parent
    shutil.rmtree(venv)
    gone = probe(run, python, code=1)
    assert gone["status"] == "missing"
    assert run.probes()[-1]["outcome"] == "missing"
    assert run.count() == 2
    assert probe(run, python, code=1)["status"] == "missing"
    assert run.count() == 2, "a missing interpreter is not re-recorded while nothing changes"
    assert run.json("list", "--no-discover") == []
    assert [r["status"] for r in run.json("list", "--no-discover", "--all")] == ["missing"]
    history = run.json("history", python)
    assert [h["outcome"] for h in history] == ["missing", "ok"]
    make_venv()
    back = probe(run, python)
    assert back["status"] == "probed"
    assert run.count() == 3


# -- the flags ---------------------------------------------------------------------------------


def test_refresh_reprobes_everything_touched(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    listed = run.json("list", "--no-discover", "--refresh")
    assert {r["status"] for r in listed} == {"probed"}
    assert {r["trigger"] for r in listed} == {"refresh"}
    assert run.count() == 4


def test_refresh_interpreter_reprobes_just_that_one(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    listed = {r["path"]: r for r in run.json("list", "--no-discover", "--refresh-interpreter", a)}
    assert listed[str(a)]["status"] == "probed"
    assert listed[str(a)]["trigger"] == "refresh-interpreter"
    assert listed[str(b)]["status"] == "cached"
    assert run.count() == 3


def test_same_interpreter_twice_in_one_run_is_probed_once(run: Cli, make_venv: Callable[..., Path]) -> None:
    python = make_venv()
    records = run.json("probe", python, str(python.parent / ".." / "bin" / "python"), "--refresh")
    assert len(records) == 1
    assert run.count() == 1


def test_offline_marks_changed_rows_stale_and_runs_nothing(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    python = make_venv()
    first = probe(run, python)
    (site_packages(first) / "x.pth").write_text(f"{tmp_path}\n")
    stale = probe(run, python, "--offline")
    assert stale["status"] == "stale"
    assert stale["sys_path"] == first["sys_path"]
    assert any("x.pth" in c["path"] for c in stale["stale_changes"])
    assert run.count() == 1
    unknown = run("probe", tmp_path / "never", "--offline", "--format", "json", code=1)
    assert "never probed" in unknown.stderr
    assert run.count() == 1


def test_offline_says_how_many_found_paths_it_left_out(
    run: Cli, make_venv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--offline (or a read-only store) left the interpreters discovery found but the store
    does not hold out of the listing without a word: a script's count came up short."""
    python = make_venv()
    monkeypatch.setenv("PATH", f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    result = run("list", "--offline")
    assert str(python) not in result.stdout
    said = [line for line in result.stderr.splitlines() if "not in the store" in line]
    assert len(said) == 1 and said[0].endswith("were left out (--offline runs nothing)"), result.stderr
    assert run.count() == 0
    assert "not in the store" not in run("list", "--offline", "--no-discover").stderr


def test_verbose_says_why_each_interpreter_was_or_was_not_probed(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """``-v`` did nothing on ``find``; and a --refresh probe said "probed" without why."""
    python = make_venv()
    first = probe(run, python)
    assert f"note: {python}: cached" in run("-v", "find", python).stderr.splitlines()
    (site_packages(first) / "x.pth").write_text(f"{tmp_path}\n")
    said = run("-v", "list", "--no-discover").stderr.splitlines()
    assert any(line.startswith(f"note: {python}: probed (changed: site-file added: ") for line in said), said
    assert f"note: {python}: probed (refresh)" in run("-v", "find", python, "--refresh").stderr.splitlines()
    assert "note:" not in run("find", python).stderr


def test_a_refresh_interpreter_the_command_never_looked_at_is_hinted(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """``--refresh-interpreter`` naming a path the command does not touch (a typo, a path
    never probed) was ignored without a word."""
    python = make_venv()
    run("probe", python)
    typo = tmp_path / "vnev" / "bin" / "python"
    for args in (("list", "--no-discover"), ("find", "3"), ("probe", python), ("show", python)):
        said = run(*args, "--refresh-interpreter", typo).stderr
        assert f"hint: --refresh-interpreter {typo}: not an interpreter this command looked at" in said, args
        assert "hint" not in run(*args, "--refresh-interpreter", python).stderr, args


def test_offline_find_answers_a_venv_folder_by_the_name_it_stored(run: Cli, make_venv: Callable[..., Path]) -> None:
    """``find VENV --offline`` looked for ``bin/python3``, which nothing had probed when only
    ``bin/python`` was stored, and said "no interpreter matches (known: none)"; a read-only
    store did the same. Another name for the same file answers, as stored; online, the
    asked name is probed as itself."""
    python = make_venv()
    run("probe", python)
    venv = python.parent.parent
    for args in (("--offline",), ("--no-discover", "--offline")):
        for request in (venv, venv / "bin" / "python3"):
            assert run("find", request, *args).stdout.strip() == str(python), (request, args)
    assert run("--read-only", "find", venv).stdout.strip() == str(python)
    assert run.count() == 1
    unrelated = make_venv("other")  # not the same file: still refused, nothing run
    run("find", unrelated.parent.parent, "--offline", code=1)
    assert run("find", venv).stdout.strip() == str(python.parent / "python3")
    assert run.count() == 2


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_max_age_reprobes_only_old_rows(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    conn = sqlite3.connect(run.db)
    with conn:
        conn.execute(
            "UPDATE probes SET probed_at = '2020-01-01 00:00:00.000000' "
            "WHERE interpreter_id = (SELECT id FROM interpreters WHERE path = ?)",
            (str(a),),
        )
    conn.close()
    assert {r["status"] for r in run.json("list", "--no-discover")} == {"cached"}, (
        "without --max-age age alone is no reason"
    )
    listed = {r["path"]: r for r in run.json("list", "--no-discover", "--max-age", "7d")}
    assert listed[str(a)]["trigger"] == "max-age"
    assert listed[str(b)]["status"] == "cached"
    assert run.count() == 3


def test_a_relative_user_base_is_read_from_the_callers_folder(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``PYTHONUSERBASE=ub`` names ``ub`` under the folder the interpreter is run from. The
    probe runs in its own folder, so it found no user site while the fingerprint looked in
    the caller's, and a ``cd`` re-probed to the same wrong answer. The variable is given
    to the probe, and recorded, absolute: each folder gets its own user site."""
    python = python_for("3.12")
    monkeypatch.setenv("PYTHONUSERBASE", "ub")
    here, there = tmp_path / "here", tmp_path / "there"
    for folder in (here, there):
        (folder / "ub" / "lib" / "python3.12" / "site-packages").mkdir(parents=True)
    for folder in (here, there):
        monkeypatch.chdir(folder)
        [record] = run.json("probe", python)
        assert str(folder / "ub" / "lib" / "python3.12" / "site-packages") in record["sys_path"], folder
    monkeypatch.chdir(here)
    [again] = run.json("probe", python)
    assert (again["status"], again["trigger"]) == ("probed", "changed")  # back here: its value moved
    assert str(here / "ub" / "lib" / "python3.12" / "site-packages") in again["sys_path"]


@pytest.mark.sqlite_only  # edits the SQLite file itself
def test_a_probe_dated_ahead_of_the_clock_is_refreshed_when_asked(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A row written while the clock was ahead (or imported so): it looked "probed in this
    very run" for ever, so neither --refresh nor any --max-age probed it again. It stands
    while nothing asks, and goes when --max-age or --refresh does."""
    python = make_venv()
    run("probe", python)
    conn = sqlite3.connect(run.db)
    with conn:
        conn.execute("UPDATE probes SET probed_at = '2999-01-01 00:00:00.000000'")
    conn.close()
    assert run.json("probe", python)[0]["status"] == "cached"
    assert run.json("probe", python, "--max-age", "1d")[0]["trigger"] == "max-age"
    conn = sqlite3.connect(run.db)
    with conn:
        conn.execute("UPDATE probes SET probed_at = '2999-01-01 00:00:00.000000'")
    conn.close()
    assert run.json("probe", python, "--refresh")[0]["trigger"] == "refresh"


def test_filters_and_formats_never_cause_probes(run: Cli, make_venv: Callable[..., Path]) -> None:
    python = make_venv()
    run("probe", python)
    for args in (
        ["list", "--no-discover", "--implementation", "cpython"],
        ["list", "--no-discover", "--version", ">=3.0"],
        ["list", "--no-discover", "--venv"],
        ["list", "--no-discover", "--no-venv"],
        ["list", "--no-discover", "--status", "cached"],
        ["list", "--no-discover", "--all", "--format", "csv"],
        ["list", "--no-discover", "--format", "github"],
    ):
        run(*args)
    assert run.count() == 1


def test_list_filters_select_rows(run: Cli, make_venv: Callable[..., Path]) -> None:
    venv = make_venv()
    base = python_for("3.11")
    run("probe", venv, base)
    assert [r["path"] for r in run.json("list", "--no-discover", "--venv")] == [str(venv)]
    assert [r["path"] for r in run.json("list", "--no-discover", "--no-venv")] == [str(base)]
    assert [r["path"] for r in run.json("list", "--no-discover", "--version", "3.11")] == [str(base)]
    assert [r["path"] for r in run.json("list", "--no-discover", "--version", "<3.11")] == []
    assert len(run.json("list", "--no-discover", "--implementation", "CPython")) == 2
    assert run.json("list", "--no-discover", "--implementation", "pypy") == []


def test_offline_with_refresh_is_a_usage_error(run: Cli) -> None:
    result = run("list", "--no-discover", "--offline", "--refresh", code=2)
    assert "--offline cannot be combined" in result.stderr


def test_timeout_flag_applies(run: Cli, fake: Callable[[str, str], Path]) -> None:
    python = fake("python", "sleep 20")
    record = probe(run, python, "--timeout", "0.3", code=1)
    assert record["error"] == "timed out after 0.3 s"
    assert run.count() == 1


# -- found by review: answers that changed without the old fingerprint noticing -------------


def test_pth_folder_appearing_later_is_noticed(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    """site adds a .pth line only if the folder exists: its existence is part of the answer,
    its contents are not."""
    python = make_venv()
    first = probe(run, python)
    later = tmp_path / "checkout"
    (site_packages(first) / "editable.pth").write_text(f"{later}\nimport sys\n# a comment\n")
    assert str(later) not in probe(run, python)["sys_path"]
    later.mkdir()
    appeared = probe(run, python)
    assert appeared["trigger"] == "changed"
    assert str(later) in appeared["sys_path"]
    (later / "module.py").write_text("")
    assert probe(run, python)["status"] == "cached", "a folder's contents are no reason"
    shutil.rmtree(later)
    assert str(later) not in probe(run, python)["sys_path"]
    assert run.count() == 4


def test_customize_module_in_a_folder_a_pth_added_is_noticed(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """site imports sitecustomize from wherever on sys.path it is first found, not only
    from site directories: a new one in any sys.path folder changes the answer."""
    python = make_venv()
    first = probe(run, python)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (site_packages(first) / "editable.pth").write_text(f"{checkout}\n")
    assert str(checkout) in probe(run, python)["sys_path"]
    (checkout / "package.py").write_text("")
    assert probe(run, python)["status"] == "cached", "an ordinary module is no reason"
    extra = tmp_path / "from-sitecustomize"
    (checkout / "sitecustomize.py").write_text(f"import sys\nsys.path.append({str(extra)!r})\n")
    found = probe(run, python)
    assert found["trigger"] == "changed"
    assert str(extra) in found["sys_path"]
    changes = json.loads(run.probes()[-1]["changes"])
    assert {"role": "path-file", "path": str(checkout / "sitecustomize.py"), "kind": "added", "fields": []} in changes
    assert run.count() == 3


def test_a_pth_file_in_a_folder_made_a_site_directory_is_noticed(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """``site.addsitedir`` (from a sitecustomize, or a ``.pth`` line) makes any folder a site
    directory, leaving no trace to tell it by: a ``.pth`` file appearing in such a folder, and
    a folder it names appearing later, change ``sys.path`` as in site-packages."""
    python = make_venv()
    plugins, extra, later = tmp_path / "plugins", tmp_path / "extra", tmp_path / "later"
    plugins.mkdir()
    extra.mkdir()
    customize = site_packages(probe(run, python)) / "sitecustomize.py"
    customize.write_text(f"import site\nsite.addsitedir({str(plugins)!r})\n")
    assert str(plugins) in probe(run, python)["sys_path"]
    (plugins / "zz.pth").write_text(f"{extra}\n{later}\n")
    found = probe(run, python)
    assert found["trigger"] == "changed" and str(extra) in found["sys_path"]
    later.mkdir()
    assert str(later) in probe(run, python)["sys_path"]
    truth = subprocess.run([str(python), "-c", "import sys; print(sys.path)"], capture_output=True, text=True)
    assert str(later) in truth.stdout


def test_a_zip_on_sys_path_is_watched(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    """A .pth may name a zip: a sitecustomize put into it later is noticed by the zip's stat."""
    import zipfile

    python = make_venv()
    first = probe(run, python)
    archive = tmp_path / "extras.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("helper.py", "")
    (site_packages(first) / "extras.pth").write_text(f"{archive}\n")
    assert str(archive) in probe(run, python)["sys_path"]
    extra = tmp_path / "from-zip"
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("sitecustomize.py", f"import sys\nsys.path.append({str(extra)!r})\n")
    found = probe(run, python)
    assert found["trigger"] == "changed"
    assert str(extra) in found["sys_path"]
    assert run.count() == 3


def test_a_pth_config_file_beside_the_executable_is_noticed(run: Cli, tmp_path: Path) -> None:
    """CPython 3.11+ builds sys.path from a ``<executable>._pth`` file when there is one."""
    python = copied_python(tmp_path / "bin")
    first = probe(run, python)
    assert first["version"].startswith("3.12")
    stdlib = [p for p in first["sys_path"] if p.endswith(("/python3.12", "/lib-dynload"))]
    chosen = [*stdlib, str(tmp_path / "only-this")]
    Path(f"{python}._pth").write_text("\n".join(chosen) + "\n")
    second = probe(run, python)
    assert second["trigger"] == "changed"
    assert second["sys_path"] == chosen
    assert run.count() == 2


def copied_python(folder: Path, line: str = "3.12") -> Path:
    """A copy of a pyenv Python's executable in ``folder``: pyenv's builds find their
    prefix and libpython from anywhere, and files can be put beside the copy."""
    real = python_for(line).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(real, folder / real.name)
    return folder / real.name


def test_a_bad_pth_config_that_broke_the_interpreter_is_noticed_when_removed(run: Cli, tmp_path: Path) -> None:
    """A failed probe knows no version, yet a ``._pth`` file is a likely cause: watched anyway."""
    python = copied_python(tmp_path / "bin")
    config = Path(f"{python}._pth")
    config.write_text("/nowhere\n")
    assert probe(run, python, code=1)["status"] == "error"
    assert probe(run, python, code=1)["status"] == "error"
    config.unlink()
    fixed = probe(run, python)
    assert (fixed["status"], fixed["trigger"]) == ("probed", "changed")
    assert run.count() == 2


def test_a_name_with_its_own_pth_config_is_not_served_its_aliases_answer(run: Cli, tmp_path: Path) -> None:
    """``python3`` and ``python3.12`` are one file, but ``python3._pth`` changes only ``python3``."""
    python = copied_python(tmp_path / "bin")
    short = python.with_name("python3")
    short.symlink_to(python.name)
    first = run.json("probe", python, short)
    stdlib = [p for p in first[0]["sys_path"] if p.endswith(("/python3.12", "/lib-dynload"))]
    Path(f"{short}._pth").write_text("\n".join([*stdlib, "/MARK"]) + "\n")
    both = {r["path"]: r for r in run.json("probe", python, short, "--refresh")}
    assert "/MARK" in both[str(short)]["sys_path"]
    assert "/MARK" not in both[str(python)]["sys_path"]


def test_a_copied_venvs_base_pth_config_is_watched(run: Cli, tmp_path: Path) -> None:
    """A ``--copies`` venv: getpath also reads a ``._pth`` beside its base's real file."""
    base = copied_python(tmp_path / "base" / "bin")
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", "--copies", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    first = probe(run, python)
    assert first["is_venv"] is True
    Path(f"{base}._pth").write_text("\n".join(first["sys_path"][:3]) + "\n")
    assert probe(run, python)["trigger"] == "changed"


def test_backup_copies_of_customize_modules_are_no_reason(run: Cli, make_venv: Callable[..., Path]) -> None:
    """Only what ``import sitecustomize`` could load counts, not ``sitecustomize.py~``."""
    python = make_venv()
    site = site_packages(probe(run, python))
    for name in ("sitecustomize.py~", "sitecustomize.py.orig", "usercustomize.bak", "_manylinux.txt"):
        (site / name).write_text("")
    assert probe(run, python)["status"] == "cached"
    (site / "sitecustomize.cpython-312-x86_64-linux-gnu.so").write_text("")
    assert probe(run, python)["trigger"] == "changed"


def test_a_module_a_pth_line_imports_is_watched(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    """``import hook`` in a .pth runs hook.py at start-up: editing it can change sys.path."""
    python = make_venv()
    site = site_packages(probe(run, python))
    (site / "hook.py").write_text(f"import sys\nsys.path.append({str(tmp_path / 'one')!r})\n")
    (site / "hook.pth").write_text("import hook\n")
    assert str(tmp_path / "one") in probe(run, python)["sys_path"]
    (site / "hook.py").write_text(f"import sys\nsys.path.append({str(tmp_path / 'second-one')!r})\n")
    edited = probe(run, python)
    assert edited["trigger"] == "changed"
    assert str(tmp_path / "second-one") in edited["sys_path"]
    assert run.count() == 3


@pytest.mark.parametrize(
    "line",
    [
        "import plug\n",
        "import os; __import__('plug')\n",
        "import os; from plug import x\n",
        "import a, plug.sub as p\n",
    ],
)
def test_a_module_a_pth_line_imports_is_watched_before_it_exists(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path, line: str
) -> None:
    """The module is whichever file ``sys.path`` finds first: absent when probed (site skips the
    line), then installed, it runs at the next start-up. Its name is watched in every folder,
    so its appearing is seen though no ``.pth`` changed."""
    python = make_venv()
    site = site_packages(probe(run, python))
    (site / "plug.pth").write_text(line)
    probe(run, python)
    assert probe(run, python)["status"] == "cached"
    (site / "plug").mkdir()
    (site / "plug" / "__init__.py").write_text(f"import sys\nsys.path.append({str(tmp_path / 'plugged')!r})\nx = 1\n")
    (site / "plug" / "sub.py").write_text("")
    (site / "a.py").write_text("")
    found = probe(run, python)
    assert found["trigger"] == "changed" and str(tmp_path / "plugged") in found["sys_path"]


def test_pth_lines_are_read_as_site_reads_them_on_each_version(tmp_path: Path) -> None:
    """3.13 skips a UTF-8 BOM and splits at a form feed too (``str.splitlines``); older
    versions split only at line ends and keep the BOM (its first folder then never exists)."""
    from interpdb import fingerprint

    pth = tmp_path / "x.pth"
    pth.write_bytes("\ufeff/bom\n/a\x0cb\r/c\r\n".encode())
    assert fingerprint._pth_lines(str(pth), (3, 12)) == ["\ufeff/bom", "/a\x0cb", "/c", ""]
    assert fingerprint._pth_lines(str(pth), (3, 13)) == ["/bom", "/a", "b", "/c"]
    assert set(fingerprint._pth_lines(str(pth), None)) == {"\ufeff/bom", "/a\x0cb", "/c", "", "/bom", "/a", "b"}


def test_python2_hook_module_is_watched_by_its_source(run: Cli, fake_home: Path, tmp_path: Path) -> None:
    """Python 2 names a module loaded from bytecode by its .pyc, which only the
    interpreter's next run rewrites: the source is what an edit changes."""
    python = python_for("2.7")
    user_site = fake_home / ".local" / "lib" / "python2.7" / "site-packages"
    user_site.mkdir(parents=True)
    (user_site / "hook27.py").write_text(f"import sys\nsys.path.append({str(tmp_path / 'v1')!r})\n")
    (user_site / "hook27.pth").write_text("import hook27\n")
    probe(run, python)
    assert (user_site / "hook27.pyc").exists()
    loaded_from_bytecode = probe(run, python, "--refresh")
    assert str(tmp_path / "v1") in loaded_from_bytecode["sys_path"]
    hook = user_site / "hook27.py"
    hook.write_text(f"import sys\nsys.path.append({str(tmp_path / 'second')!r})\n")
    later = hook.stat().st_mtime + 5  # Python 2 checks only the second of the mtime
    os.utime(hook, (later, later))
    edited = probe(run, python)
    assert (edited["status"], edited["trigger"]) == ("probed", "changed")
    assert str(tmp_path / "second") in edited["sys_path"]


def test_a_non_utf8_pth_line_is_an_error_not_a_crash(run: Cli, make_venv: Callable[..., Path]) -> None:
    python = make_venv()
    site = site_packages(probe(run, python))
    (site / "bad.pth").write_bytes(b"/tmp/caf\xe9\n")
    result = run("probe", python, code=None)
    assert result.exit_code in (0, 1)  # Python <= 3.12 dies on such a file, newer ones skip the line
    assert "Traceback" not in result.stdout + result.stderr
    assert run.count() == 2
    (site / "bad.pth").unlink()
    assert probe(run, python)["trigger"] == "changed"


def test_relative_symlink_through_a_symlinked_folder(run: Cli, tmp_path: Path) -> None:
    """`..` in a link target climbs out of the folder the link really sits in."""
    (tmp_path / "store" / "bin").mkdir(parents=True)
    (tmp_path / "pyroot").mkdir()
    (tmp_path / "x").mkdir()
    (tmp_path / "pyroot" / "python").symlink_to(python_for("3.12"))
    (tmp_path / "store" / "bin" / "python").symlink_to("../../pyroot/python")
    (tmp_path / "x" / "alias").symlink_to(tmp_path / "store")
    path = tmp_path / "x" / "alias" / "bin" / "python"
    first = run.json("show", path)
    assert first["version"].startswith("3.12.")
    assert all(e["exists"] for e in first["fingerprint"] if e["role"] in ("link", "executable"))
    (tmp_path / "pyroot" / "python").unlink()
    (tmp_path / "pyroot" / "python").symlink_to(python_for("3.11"))
    second = probe(run, path)
    assert second["trigger"] == "changed"
    assert second["version"].startswith("3.11.")


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_a_changed_fingerprint_is_probed_even_if_the_row_looks_newer_than_the_run(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """A clock stepped back (or a reused policy) must not turn 'changed' into 'stale'."""
    python = make_venv()
    first = probe(run, python)
    conn = sqlite3.connect(run.db)
    with conn:
        conn.execute("UPDATE probes SET probed_at = '2099-01-01 00:00:00.000000'")
    conn.close()
    (site_packages(first) / "x.pth").write_text(f"{tmp_path}\n")
    second = probe(run, python)
    assert (second["status"], second["trigger"]) == ("probed", "changed")


def test_one_policy_reused_across_calls_still_reprobes_changes(
    make_venv: Callable[..., Path], db_path: Path, tmp_path: Path
) -> None:
    """The README says to build the policy once: using it twice must not hide a change."""
    from interpdb import Inventory, Refresh

    python = make_venv()
    policy = Refresh()
    with Inventory(db=str(db_path)) as inventory:
        [first] = inventory.probe([str(python)], policy).records
        site = Path(next(p for p in first.site_packages if p.startswith(first.prefix or "?")))
        (site / "x.pth").write_text(f"{tmp_path}\n")
        [second] = inventory.probe([str(python)], policy).records
    assert (second.status, second.trigger) == ("probed", "changed")
    assert str(tmp_path) in second.sys_path


@pytest.mark.sqlite_only  # reads or edits the SQLite file itself
def test_libc_is_part_of_the_fingerprint(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A glibc upgrade changes the manylinux tags: the mapped libc is watched."""
    python = make_venv()
    document = run.json("show", probe(run, python)["path"])
    [libc] = [e for e in document["fingerprint"] if e["role"] == "libc"]
    assert libc["exists"] and "libc" in os.path.basename(libc["path"])
    conn = sqlite3.connect(run.db)
    with conn:
        conn.execute("UPDATE fingerprint_entries SET size = size + 1 WHERE role = 'libc'")
    conn.close()
    assert probe(run, python)["trigger"] == "changed"


def test_a_libpython_on_ld_library_path_is_part_of_the_fingerprint(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv's shared builds find libpython through their RUNPATH, which ``LD_LIBRARY_PATH``
    comes before: a folder there holding a file of that name is what runs. Where the variable
    leads is watched, not its text: a folder without such a file changes nothing."""
    python = python_for("3.12")
    first = probe(run, python)
    if not first.get("libpython"):
        pytest.skip(f"{python} has no shared libpython")
    name = os.path.basename(first["libpython"])
    [entry] = [e for e in run.json("show", python)["fingerprint"] if e["role"] == "library-path"]
    assert (entry["path"], entry["exists"]) == (name, False)
    plain, shadow = tmp_path / "plain", tmp_path / "shadow"
    plain.mkdir()
    shadow.mkdir()
    (shadow / name).symlink_to(first["libpython"])
    monkeypatch.setenv("LD_LIBRARY_PATH", str(plain))
    assert probe(run, python)["status"] == "cached"
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{plain}:{shadow}")
    again = probe(run, python)
    assert again["status"] == "probed" and again["trigger"] == "changed"
    assert probe(run, python)["status"] == "cached"
    monkeypatch.delenv("LD_LIBRARY_PATH")
    assert probe(run, python)["trigger"] == "changed"
