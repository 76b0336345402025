"""A real PyPy: the probe, a PyPy venv's freshness, discovery and every PyPy request form.

PyPy is not under pyenv here; Debian's ``pypy3`` package provides one (``.ci/run``
installs it where it can). Without it these tests skip, saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pytest
from conftest import Cli, python_for

from interpdb.probe import run_probe

PYPY = shutil.which("pypy3") or ("/usr/bin/pypy3" if os.path.exists("/usr/bin/pypy3") else None)


@pytest.fixture
def pypy() -> Path:
    if PYPY is None:
        pytest.skip("no pypy3 on this machine (Debian: apt-get install pypy3)")
    return Path(PYPY)


def test_probe_runs_on_pypy(pypy: Path) -> None:
    result = run_probe(str(pypy))
    assert result.ok, result.error
    data = result.data
    assert data is not None
    assert data["implementation_name"] == "pypy"
    # PyPy's own version (7.3.x) is not the Python version it implements (3.x).
    assert data["implementation_version"].split(".")[0] != data["python_version"].split(".")[0]
    assert data["version_info"][0] == 3
    assert data["markers"]["implementation_name"] == "pypy"
    assert data["markers"]["platform_python_implementation"] == "PyPy"
    assert data["real_executable"] == os.path.realpath(pypy)
    assert data["libpython"] and "libpypy" in os.path.basename(data["libpython"])
    assert data["site_packages"]
    assert data["manylinux"]["tags"]


def test_pypy_venv_is_probed_cached_and_reprobed_on_a_pth(
    run: Cli, make_venv: Callable[..., Path], pypy: Path, tmp_path: Path
) -> None:
    python = make_venv("pypy-venv", pypy)
    first = run.json("probe", python)[0]
    assert (first["implementation"], first["is_venv"]) == ("pypy", True)
    assert run.json("probe", python)[0]["status"] == "cached"
    site = next(Path(p) for p in first["site_packages"] if p.startswith(str(python.parent.parent)))
    (tmp_path / "extra").mkdir()
    (site / "extra.pth").write_text(f"{tmp_path / 'extra'}\n")
    again = run.json("probe", python)[0]
    assert again["trigger"] == "changed"
    assert str(tmp_path / "extra") in again["sys_path"]
    assert run.count() == 2


@pytest.mark.parametrize("template", ["pypy", "pypy3", "pypy@3", "pypy{line}", "pypy@{line}", "pypy@>={line}"])
def test_find_pypy_request_forms(run: Cli, pypy: Path, template: str) -> None:
    run("probe", pypy, python_for("3.12"))
    line = ".".join(run.json("probe", pypy)[0]["version"].split(".")[:2])
    before = run.count()
    assert run("find", template.format(line=line), "--no-discover").stdout.strip() == str(pypy)
    assert run("find", "--implementation", "pypy", "--no-discover").stdout.strip() == str(pypy)
    assert run.count() == before, "a warm find runs no interpreter"


def test_cpython_is_preferred_over_pypy_for_a_bare_version(run: Cli, pypy: Path, tmp_path: Path) -> None:
    """``find 3.X`` prefers a CPython of that line; ``cpython`` never answers with PyPy."""
    run("probe", pypy)
    line = ".".join(run.json("probe", pypy)[0]["version"].split(".")[:2])
    assert run("find", line, "--no-discover").stdout.strip() == str(pypy), "PyPy alone still matches"
    cpython = python_for(line)
    run("probe", cpython)
    assert run("find", line, "--no-discover").stdout.strip() == str(cpython)
    run("find", "cpython", "--no-discover", "--implementation", "pypy", code=2)  # a usage error


def test_path_discovery_finds_pypy(run: Cli, pypy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pypy3").symlink_to(pypy)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYENV_ROOT", raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    monkeypatch.setenv("INTERPDB_SYSTEM_ROOT", str(tmp_path / "no-system"))
    found = run.json("discover", "--source", "path")
    assert [(r["path"], r["implementation"]) for r in found] == [(str(bin_dir / "pypy3"), "pypy")]
