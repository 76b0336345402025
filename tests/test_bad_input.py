"""Bad input is one line on stderr and an exit code: never a traceback, never a bad row, never lost data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, write_script

from interpdb import probe as probe_module

#: A file name that is not valid UTF-8, as Python hands it over (surrogateescape).
BAD_NAME = os.fsdecode(b"bad\xff")


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("exists", [True, False], ids=["existing", "absent"])
def test_a_non_utf8_path_is_a_problem_and_the_others_are_kept(
    run: Cli, fake: Callable[[str, str], Path], tmp_path: Path, base_python: Path, exists: bool
) -> None:
    """SQLite cannot store such a path: it is refused by name, and the good path beside it is still answered."""
    run("probe", base_python)  # the database exists: the bad path would reach a query
    bad = os.path.join(str(tmp_path), BAD_NAME)
    if exists:
        fake(BAD_NAME, "exit 0")
    result = run("probe", base_python, bad, "--format", "json", code=1)
    shown = os.fsencode(bad).decode("utf-8", "backslashreplace")  # \xff, not the \udcff of a repr
    assert _one_error_line(result.stderr) == f"error: '{shown}' is not valid UTF-8: it cannot be stored"
    assert [r["path"] for r in json.loads(result.stdout)] == [str(base_python)]
    assert [r["path"] for r in run.json("list", "--no-discover", "--all")] == [str(base_python)]


def test_discovery_skips_paths_that_are_not_utf8(
    run: Cli, tmp_path: Path, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PATH folder with an undecodable name is passed over; what the other folders hold is learned."""
    bad_dir = tmp_path / BAD_NAME
    good_dir = tmp_path / "bin"
    for folder in (bad_dir, good_dir):
        folder.mkdir()
        (folder / "python3").symlink_to(base_python)
    monkeypatch.setenv("PATH", f"{bad_dir}{os.pathsep}{good_dir}")
    result = run("discover", "--source", "path", "--format", "json")
    assert "Traceback" not in result.stderr
    assert [r["path"] for r in json.loads(result.stdout)] == [str(good_dir / "python3")]
    listed = [r["path"] for r in run.json("list", "--all", "--aliases")]
    assert str(good_dir / "python3") in listed
    assert not any(BAD_NAME in path for path in listed)


@pytest.mark.parametrize("how", ["dir", "link"])
def test_a_directory_is_not_an_interpreter(run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """A directory (through a link too) is never stored; ``""`` is an empty path (tests/test_small_things.py)."""
    folder = tmp_path / "folder"
    folder.mkdir()
    monkeypatch.chdir(folder)
    if how == "link":
        (tmp_path / "link").symlink_to(folder)
    arg = {"dir": str(folder), "link": str(tmp_path / "link")}[how]
    result = run("probe", arg, code=1)
    shown = str(tmp_path / "link") if how == "link" else str(folder)
    assert _one_error_line(result.stderr) == f"error: {shown}: is a directory, not an interpreter"
    assert run.count() == 0


def test_an_interpreter_replaced_by_a_directory_is_probed_once_and_says_so(
    run: Cli, fake: Callable[[str, str], Path]
) -> None:
    """Its history is kept: the change is recorded like any other, then served from the store."""
    python = fake("python", "exit 0")
    run("probe", python, code=1)
    python.unlink()
    python.mkdir()
    [record] = run.json("probe", python, code=1)
    assert (record["status"], record["trigger"]) == ("error", "changed")
    assert record["error"] == "is a directory, not an interpreter"
    [again] = run.json("probe", python, code=1)
    assert again["status"] == "error"
    assert run.count(python) == 2


def test_prune_keeps_an_interpreter_that_came_back(run: Cli, fake: Callable[[str, str], Path]) -> None:
    """Its last probe says missing, but the path exists again: it is not forgotten; the one still gone is."""
    back, gone = fake("back", "exit 0"), fake("gone", "exit 0")
    run("probe", back, gone, code=1)
    back.unlink()
    gone.unlink()
    run("probe", back, gone, code=1)  # both recorded missing
    fake("back", "exit 0")
    assert [r["path"] for r in run.json("prune", "--missing-for", "0s")] == [str(gone)]
    paths = [r["path"] for r in run.json("list", "--no-discover", "--all", "--offline", code=None)]
    assert paths == [str(back)]


def test_probing_leaves_no_temporary_directory(tmp_path: Path, db_path: Path) -> None:
    """Each process removes the empty working directory its probes ran in."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    for _ in range(2):
        subprocess.run(
            [sys.executable, "-m", "interpdb", "--db", str(db_path), "probe", "--refresh", sys.executable],
            env=env,
            check=True,
            capture_output=True,
        )
    assert db_path.exists()
    assert [p.name for p in tmp.iterdir() if p.name.startswith("interpdb-probe-")] == []


def test_the_probe_output_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Up to 4 MiB of JSON: decoding it twice would double the cost of every probe."""
    calls: list[int] = []
    loads = json.loads

    def counting(text: str | bytes) -> object:
        calls.append(1)
        return loads(text)

    monkeypatch.setattr(json, "loads", counting)
    assert probe_module.run_probe(sys.executable).ok
    assert len(calls) == 1


def test_csv_ends_with_one_newline(run: Cli, fake: Callable[[str, str], Path]) -> None:
    """No blank line after the last row: ``wc -l`` counts rows plus the header."""
    run("probe", fake("python", "exit 0"), code=1)
    for command in (["list", "--no-discover", "--all"], ["history"]):
        out = run(*command, "--format", "csv").stdout
        assert out.endswith("\n") and not out.endswith("\n\n"), out
        assert len(out.splitlines()) == 2


def test_verbose_says_what_changed_in_the_fingerprint_words(run: Cli, fake: Callable[[str, str], Path]) -> None:
    """``-v`` words a change as everywhere else: role, kind, path, then the fields that moved."""
    python = fake("python", "exit 0")
    run("probe", python, code=1)
    python.write_text("#!/bin/sh\nexit 1\n")
    result = run("-v", "probe", python, code=1)
    assert f"{python}: error (changed: executable modified: {python} (" in result.stderr


def test_site_file_with_an_undecodable_name_does_not_break_probing(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A non-UTF-8 .pth name cannot be stored: it is left unwatched, and probing still works."""
    python = make_venv()
    [record] = run.json("probe", python)
    site = next(p for p in record["site_packages"] if p.startswith(record["prefix"]))
    bad = os.path.join(os.fsencode(site), b"x\xff.pth")
    with open(bad, "w") as handle:
        handle.write("")
    [again] = run.json("probe", python, "--refresh")
    assert again["status"] == "probed"
    [third] = run.json("probe", python)
    assert third["status"] == "cached"


@pytest.mark.parametrize("command", ["history", "show", "forget"])
@pytest.mark.parametrize("ref", ["²", os.path.join("/tmp", BAD_NAME)], ids=["superscript-digit", "not-utf8"])
def test_an_odd_reference_is_one_line(run: Cli, base_python: Path, command: str, ref: str) -> None:
    """``"²".isdigit()`` is true but it is no id; a name that is not UTF-8 was never stored."""
    run("probe", base_python)
    args = [command, ref] + (["--offline"] if command == "show" else [])
    result = run(*args, code=1)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert any(word in result.stderr for word in ("no interpreter", "not valid UTF-8", "never probed"))
    assert run.count() == 1


def test_find_of_a_path_that_is_no_interpreter_says_why(run: Cli, tmp_path: Path) -> None:
    """``find PATH`` on a broken binary or a missing file says what ``probe`` says, not
    "no interpreter matches" with nothing considered."""
    broken = write_script(tmp_path / "python3", "echo garbage")
    found = run("find", broken, code=1)
    assert (
        found.stderr == f"error: {broken}: not a Python interpreter: printed 'garbage' instead of the probe's answer\n"
    )
    missing = run("find", tmp_path / "nowhere", code=1)
    assert missing.stderr == f"error: {tmp_path / 'nowhere'}: no such file\n"


def test_an_unknown_discovery_source_is_a_usage_error_and_help_names_them_all(run: Cli) -> None:
    """Exit 2 and the valid names, before anything is discovered; ``--help`` lists every one."""
    from interpdb.discovery import SOURCE_ORDER

    refused = run("discover", "--source", "path", "--source", "bogus", code=2)
    assert "unknown source 'bogus'; valid: venv, path," in refused.stderr
    assert not run.db.exists()
    helped = " ".join(run("discover", "--help").stdout.split())
    assert all(f" {name}," in helped or f" {name}." in helped for name in SOURCE_ORDER), helped


def test_quiet_silences_hints_never_errors(tmp_path: Path, base_python: Path) -> None:
    """``-q`` (before the command or after it) leaves the ``error:`` line alone, and the ``hint:``
    out: for a usage error click words, and for one interpdb raises."""
    db = tmp_path / "store.sqlite3"
    cases = [
        (["list", "--bogus"], 2),
        (["--read-only", "probe", "--refresh", str(base_python)], 1),
        (["find", "3.x"], 2),  # answered by the warm path, -q before it; by click, -q after
    ]
    interpdb = [sys.executable, "-m", "interpdb", "--db", str(db)]
    for args, code in cases:
        loud = subprocess.run([*interpdb, *args], capture_output=True, text=True)
        assert loud.returncode == code and [line.split(":")[0] for line in loud.stderr.splitlines()] == [
            "error",
            "hint",
        ], loud.stderr
        for where in ("before", "after"):
            quiet = ["-q", *args] if where == "before" else [*args, "-q"]
            done = subprocess.run([*interpdb, *quiet], capture_output=True, text=True)
            assert (done.returncode, done.stderr) == (code, loud.stderr.splitlines()[0] + "\n"), (quiet, done.stderr)


def test_every_message_for_people_is_a_note_line(run: Cli, base_python: Path) -> None:
    """The README's one style: ``error:``, ``hint:`` and ``note:`` lines. Summaries such as
    ``found N paths; probed M``, ``no rows`` and ``exported ...`` had no prefix at all."""
    run("probe", base_python)
    for args in (("discover", "--source", "path", "--offline"), ("sql", "SELECT 1 WHERE 0"), ("export",)):
        lines = run(*args, code=None).stderr.splitlines()
        assert lines and all(line.startswith(("error: ", "hint: ", "note: ")) for line in lines), (args, lines)


def test_a_venv_whose_base_is_gone_says_where_its_link_leads(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """A venv whose base Python was removed: its ``bin/python3`` is a broken symlink. Its folder
    was "is a directory, not an interpreter", its link "no such file" or "cannot execute: No such
    file or directory"; each now says where the link leads, before and after it was stored."""
    base = tmp_path / "base" / "bin"
    base.mkdir(parents=True)
    (base / "python3").symlink_to(base_python)
    subprocess.run([str(base / "python3"), "-m", "venv", "--without-pip", str(tmp_path / "v")], check=True)
    stored, fresh = tmp_path / "v", tmp_path / "v2"
    run("find", stored)  # known while it works
    shutil.copytree(stored, fresh, symlinks=True)
    shutil.rmtree(tmp_path / "base")
    leads = f"a broken symlink: it leads to {base / 'python3'}, which does not exist"
    for venv in (stored, fresh):
        for request in (venv, venv / "bin" / "python3"):
            failed = run("find", request, code=1)
            assert failed.stderr == f"error: {request}: {leads}\n", (request, failed.stderr)


def test_an_empty_db_option_is_a_usage_error_not_the_default_store(tmp_path: Path) -> None:
    """``--db "$UNSET"`` used to open the default store (the user's own); an empty
    INTERPDB_DB still counts as unset. The warm path hands the empty option to click."""
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))
    env.pop("INTERPDB_DB", None)
    for args in (["--db", "", "find", "3.12"], ["--db=", "list"], ["--db", "", "db", "upgrade"]):
        done = subprocess.run([sys.executable, "-m", "interpdb", *args], capture_output=True, text=True, env=env)
        assert (done.returncode, done.stdout) == (2, ""), (args, done)
        assert done.stderr.startswith("error: Invalid value for '--db': is empty: name a database file or a URL\n")
    assert not (tmp_path / "data").exists()
    env["INTERPDB_DB"] = ""
    done = subprocess.run([sys.executable, "-m", "interpdb", "db", "path"], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == str(tmp_path / "data" / "interpdb" / "interpdb.sqlite3")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (" ", "error: ' ' is only blanks, not a database file: give a file path"),
        (":memory:", "error: :memory: names an in-memory database, empty again on every command: give a file path"),
        ("store.db/", "error: store.db/ ends with '/': give a database file, not a folder"),
    ],
)
def test_a_database_name_that_is_surely_a_slip_is_refused_before_it_is_created(
    tmp_path: Path, value: str, message: str
) -> None:
    """Each used to create a file: one named " ", one named ":memory:" (never in memory),
    and "store.db" for "store.db/". Refused on the warm path, by click's commands, and
    from INTERPDB_DB alike; "./:memory:" still names a file of that name."""
    env = dict(os.environ, HOME=str(tmp_path))
    env.pop("INTERPDB_DB", None)
    for args, extra in (
        (["--db", value, "find", "3.12", "--no-discover"], {}),
        (["--db", value, "probe", sys.executable], {}),
        (["list", "--no-discover"], {"INTERPDB_DB": value}),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "interpdb", *args],
            capture_output=True,
            text=True,
            env={**env, **extra},
            cwd=tmp_path,
        )
        assert (done.returncode, done.stdout, done.stderr) == (1, "", message + "\n"), args
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    named = subprocess.run(
        [sys.executable, "-m", "interpdb", "--db", "./:memory:", "probe", sys.executable],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert named.returncode == 0, named.stderr
    assert (tmp_path / ":memory:").is_file()
