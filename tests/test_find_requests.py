"""`find` and `list --version` read every request form uv and virtualenv read, on the real interpreters here."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, python_for, write_script


@pytest.fixture
def known(run: Cli) -> dict[str, Path]:
    """The pyenv 3.6, 3.8, 3.11, 3.12 and 3.13 interpreters, probed once."""
    pythons = {line: python_for(line) for line in ("3.6", "3.8", "3.11", "3.12", "3.13")}
    run("probe", *pythons.values())
    return pythons


def _version(run: Cli, python: Path) -> str:
    [document] = run.json("probe", python)
    return str(document["version"])


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("312", "3.12"),
        ("38", "3.8"),
        ("python312", "3.12"),
        ("python@3.12", "3.12"),
        ("py3.11", "3.11"),
        ("cp311", "3.11"),
        ("python>=3.12", "3.13"),
        ("cpython>=3.12", "3.13"),
        ("cpython >=3.12,<3.13", "3.12"),
        ("3.12+gil", "3.12"),
        ("3.12-64", "3.12"),
        ("cpython-3.11-linux", "3.11"),
        ("3.11-linux", "3.11"),
        ("3.12-linux-any-gnu", "3.12"),
        ("linux", "3.13"),
        ("python3.6m", "3.6"),
    ],
)
def test_find_reads_uv_and_virtualenv_forms(run: Cli, known: dict[str, Path], request_text: str, expected: str) -> None:
    """Each form that uv's `python find` or virtualenv's `-p` accepts finds the interpreter it means."""
    result = run("find", request_text, "--no-discover")
    assert result.stdout.strip() == str(known[expected])


def test_find_a_full_version_through_an_executable_name(run: Cli, known: dict[str, Path]) -> None:
    """python3.12.1 (with this machine's micro) is that release; another micro matches nothing."""
    version = _version(run, known["3.12"])
    assert run("find", f"python{version}", "--no-discover").stdout.strip() == str(known["3.12"])
    major, minor, micro = version.split(".")[:3]
    run("find", f"python{major}.{minor}.{int(micro) + 50}", "--no-discover", code=1)


@pytest.mark.parametrize("request_text", [">=3.13t", ">=3.12,<3.14t", "3.12d", "3.13+freethreaded"])
def test_find_variants_that_no_interpreter_here_has_are_no_match_not_a_usage_error(
    run: Cli, known: dict[str, Path], request_text: str
) -> None:
    """A well-formed request for a free-threaded or debug build that nothing here is: exit 1, one line."""
    result = run("find", request_text, "--no-discover", code=1)
    assert f"no interpreter matches {request_text!r}" in result.stderr


@pytest.mark.parametrize(
    ("request_text", "reason"),
    [
        ("3.x", "expected a version"),
        (">=3.1x", "'3.1x' is not a version"),
        ("3.12.1.1", "at most three parts"),
        ("cpython@", "nothing after the @"),
        ("~=3", "~= needs at least two release parts"),
    ],
)
def test_find_malformed_request_is_a_usage_error(
    run: Cli, known: dict[str, Path], request_text: str, reason: str
) -> None:
    """A request that cannot mean anything exits 2 (usage), not 1 (no match), with the reason on one line."""
    result = run("find", request_text, "--no-discover", code=2)
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if request_text in line]
    assert reason in line


def test_list_version_takes_every_request_form(run: Cli, known: dict[str, Path]) -> None:
    """list --version filters with the same grammar as find: 312, cp311, '>=3.12', a bad one is exit 2."""

    def listed(text: str) -> set[str]:
        return {r["path"] for r in run.json("list", "--no-discover", "--version", text)}

    assert listed("312") == {str(known["3.12"])}
    assert listed("cp311") == {str(known["3.11"])}
    assert listed(">=3.12") == {str(known["3.12"]), str(known["3.13"])}
    assert listed("python3.6m") == {str(known["3.6"])}
    run("list", "--no-discover", "--version", "3.x", code=2)
    # Matching nothing is an empty listing, as for any filter: not "no interpreters known yet".
    assert listed("3.99") == set()
    assert "no interpreters known" not in run("list", "--no-discover", "--version", "3.99").stderr


def test_find_a_venv_folder_answers_with_its_interpreter(
    run: Cli, make_venv: Callable[..., Path], known: dict[str, Path]
) -> None:
    """uv's <install-dir> form: a venv's folder means its bin/python3."""
    venv = make_venv("proj-venv", known["3.12"])
    found = run("find", str(venv.parent.parent), "--no-discover").stdout.strip()
    assert found == str(venv.parent / "python3")
    assert json.loads(run("find", str(venv.parent.parent), "--format", "json").stdout)["is_venv"] is True


def test_a_relative_folder_here_is_a_path(
    run: Cli, make_venv: Callable[..., Path], known: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bare word naming a folder in the working directory is that folder (uv), not an executable name."""
    venv = make_venv("env", known["3.12"])
    monkeypatch.chdir(tmp_path)
    assert run("find", "env").stdout.strip() == os.path.join(str(tmp_path), "env", "bin", "python3")
    assert venv.exists()


def test_list_reads_implementation_short_names_and_conflicts_as_find_does(run: Cli, known: dict[str, Path]) -> None:
    """``list --implementation cp`` printed nothing where ``find --implementation cp`` found
    CPython, and ``list --version pypy --implementation cpython`` was an empty listing where
    ``find`` says the two conflict (exit 2); on the warm path and click's alike."""
    paths = {str(p) for p in known.values()}
    listed = json.loads(run("list", "--no-discover", "--implementation", "CP", "--format", "json").stdout)
    assert {r["path"] for r in listed} == paths
    lines = run("list", "--no-discover", "--implementation", "cp", "--format", "ndjson").stdout.splitlines()
    assert {json.loads(line)["path"] for line in lines} == paths
    assert "cpython" in run("list", "--no-discover", "--implementation", "cp").stdout
    for fmt in ("table", "json"):
        refused = run(
            "list", "--no-discover", "--version", "pypy", "--implementation", "cpython", "--format", fmt, code=2
        )
        assert "conflicts with --implementation cpython" in refused.stderr


def test_an_exact_major_minor_that_matches_nothing_says_what_it_means(run: Cli, known: dict[str, Path]) -> None:
    """``==3.12`` is 3.12.0 alone (packaging); uv reads the 3.12 line. The hint says so."""
    result = run("find", "==3.12", "--no-discover", code=1)
    assert (
        result.stderr.splitlines()[-1]
        == "hint: ==3.12 is 3.12.0 alone, as packaging reads it; 3.12 or ==3.12.* is the 3.12 line"
    )
    assert "hint" not in run("find", "3.99", "--no-discover", code=1).stderr


def test_a_folder_here_whose_name_is_no_request_is_that_folder(
    run: Cli, make_venv: Callable[..., Path], known: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``3venv``, ``pypy-venv``, ``cpython-3.12-venv``: each was a usage error ("expected a
    version", "unknown operating system 'venv'") never naming the folder; uv answers with
    the folder, as a word that parses as no request. One that parses stays a request."""
    monkeypatch.chdir(tmp_path)
    for name in ("3venv", "pypy-venv", "cpython-3.12-venv", "linux"):  # linux: a folder before an OS
        make_venv(name, known["3.11"])
        assert run("find", name).stdout.strip() == str(tmp_path / name / "bin" / "python3"), name
    make_venv("3.12", known["3.11"])  # a version still: 3.12, not the 3.11 venv in ./3.12
    assert run("find", "3.12", "--no-discover").stdout.strip() == str(known["3.12"])
    run("find", "3venv2", code=2)  # no such folder: still a usage error


def test_an_executable_name_no_folder_holds_is_looked_up_on_path(
    run: Cli, known: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv's <executable-name>: `find mypython3` finds the mypython3 on PATH, which discovery never lists."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "mypython3").symlink_to(known["3.11"])
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin:/bin")
    run("find", "mypython3", "--no-discover", code=1)  # only what is stored: not looked up
    assert run("find", "mypython3").stdout.strip() == str(folder / "mypython3")
    run("find", "mypython3", "--implementation", "pypy", code=1)
    assert run("find", "mypython3", "--no-discover").stdout.strip() == str(folder / "mypython3")  # now known
    # A name with a space or a letter beyond ASCII, when a program of that name is on PATH.
    (folder / "wrap py").symlink_to(known["3.12"])
    assert run("find", "wrap py").stdout.strip() == str(folder / "wrap py")
    run("find", "wrap pie", code=2)  # on no PATH: still a usage error
    # A program on PATH that is no interpreter: why it failed, as for a path (it said
    # "no interpreter matches 'notpython' (known: ...)").
    write_script(folder / "notpython", "echo 'notpython: no such option' >&2; exit 2")
    failed = run("find", "notpython", code=1)
    assert failed.stderr == f"error: {folder / 'notpython'}: exited with code 2: notpython: no such option\n"
