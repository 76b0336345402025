"""Discovery in the version managers' folders: pyenv, asdf, mise, uv, rye, hatch, pdm, conda.

Each test lays out a manager's folder as the tool does (fake interpreters are shell
scripts) and passes an ``env`` that points at it, then pins the exact paths reported:
one interpreter per install, best name first, aliases and leftovers skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import PYENV_ROOT, PYTHONS, exe, link

from interpdb.discovery import discover, envs
from interpdb.discovery import installs as install_sources


def cpython_prefix(prefix: Path, line: str) -> str:
    """The ``bin`` of a CPython ``make install``: python3.X is the file, the rest link to it."""
    real = exe(prefix / "bin" / f"python{line}")
    link(prefix / "bin" / "python3", f"python{line}")
    link(prefix / "bin" / "python", f"python{line}")
    exe(prefix / "bin" / f"python{line}-config")
    exe(prefix / "bin" / "pip3")
    return real


# -- pyenv ------------------------------------------------------------------------------


def test_pyenv_versions_and_virtualenvs(tmp_path: Path) -> None:
    """One interpreter per version (pythonX.Y, else python3, else python, else PyPy's own
    name); pyenv-virtualenv envs under ``envs/`` and their top-level symlinks both count;
    folders without an interpreter and dot-files are skipped; natural version order."""
    versions = tmp_path / ".pyenv" / "versions"
    v39 = cpython_prefix(versions / "3.9.18", "3.9")
    v312 = cpython_prefix(versions / "3.12.1", "3.12")
    env_python = cpython_prefix(versions / "3.12.1" / "envs" / "tools", "3.12")
    (versions / "3.12.1" / "envs" / "tools" / "pyvenv.cfg").write_text("home = x\n")
    alias = link(versions / "tools", versions / "3.12.1" / "envs" / "tools")
    only_python3 = exe(versions / "3.13-dev" / "bin" / "python3")
    only_python = exe(versions / "mambaforge" / "bin" / "python")
    pypy = exe(versions / "pypy3.10-7.3.15" / "bin" / "pypy3")
    exe(versions / "pypy3.10-7.3.15" / "bin" / "pypy")
    (versions / "3.11.0" / "bin").mkdir(parents=True)  # an interrupted install
    (versions / ".DS_Store").write_text("")
    found = install_sources.find_pyenv({"HOME": str(tmp_path)})
    assert found == [
        v39,
        v312,
        env_python,
        only_python3,
        only_python,
        pypy,
        str(Path(alias) / "bin" / "python3.12"),
    ]


def test_pyenv_root_variable_wins_over_home(tmp_path: Path) -> None:
    """``PYENV_ROOT`` replaces ``~/.pyenv``; a relative one is ignored."""
    cpython_prefix(tmp_path / ".pyenv" / "versions" / "3.11.7", "3.11")
    elsewhere = cpython_prefix(tmp_path / "elsewhere" / "versions" / "3.12.1", "3.12")
    assert install_sources.find_pyenv({"HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "elsewhere")}) == [elsewhere]
    assert install_sources.find_pyenv({"HOME": str(tmp_path), "PYENV_ROOT": "relative"}) != [elsewhere]


def test_pyenv_symlinked_version_lists_its_envs_once(tmp_path: Path) -> None:
    """A user's ``3.12 -> 3.12.1`` link is a path of its own, but the envs are not listed twice."""
    versions = tmp_path / "versions"
    real = cpython_prefix(versions / "3.12.1", "3.12")
    env_python = exe(versions / "3.12.1" / "envs" / "a" / "bin" / "python3.12")
    link(versions / "3.12", "3.12.1")
    assert install_sources.find_pyenv({"PYENV_ROOT": str(tmp_path)}) == [
        str(versions / "3.12" / "bin" / "python3.12"),
        real,
        env_python,
    ]


def test_real_pyenv_versions_are_found() -> None:
    """On a machine with pyenv, each CPython line's ``versions/X.Y.Z/bin/pythonX.Y`` is found."""
    if not PYTHONS:
        pytest.skip(f"no pyenv CPython versions under {PYENV_ROOT}")
    env = {"HOME": str(Path.home()), "PYENV_ROOT": str(PYENV_ROOT)}
    found = {c.path for c in discover(["pyenv"], env=env)}
    assert {str(python) for python in PYTHONS.values()} <= found


# -- asdf and mise ----------------------------------------------------------------------


def test_asdf_installs(tmp_path: Path) -> None:
    """``$ASDF_DATA_DIR/installs/python/*`` (default ``~/.asdf``); other plugins are ignored."""
    installs = tmp_path / ".asdf" / "installs"
    expected = [
        cpython_prefix(installs / "python" / "3.11.7", "3.11"),
        exe(installs / "python" / "pypy3.10-7.3.12" / "bin" / "python3.10"),
    ]
    exe(installs / "nodejs" / "20.0.0" / "bin" / "python3")
    assert install_sources.find_asdf({"HOME": str(tmp_path)}) == expected
    moved = cpython_prefix(tmp_path / "data" / "installs" / "python" / "3.12.1", "3.12")
    assert install_sources.find_asdf({"HOME": str(tmp_path), "ASDF_DATA_DIR": str(tmp_path / "data")}) == [moved]


def test_mise_installs_skip_alias_links(tmp_path: Path) -> None:
    """``installs/python/*`` under ``$MISE_DATA_DIR``, else ``$XDG_DATA_HOME/mise``, else
    ``~/.local/share/mise``; mise's own alias links (``3.12``, ``latest``) are not installs."""
    installs = tmp_path / ".local" / "share" / "mise" / "installs" / "python"
    expected = [cpython_prefix(installs / "3.11.7", "3.11"), cpython_prefix(installs / "3.12.1", "3.12")]
    link(installs / "3.12", "3.12.1")
    link(installs / "latest", "3.12.1")
    assert install_sources.find_mise({"HOME": str(tmp_path)}) == expected
    xdg = cpython_prefix(tmp_path / "xdg" / "mise" / "installs" / "python" / "3.13.0", "3.13")
    assert install_sources.find_mise({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg")}) == [xdg]
    own = cpython_prefix(tmp_path / "own" / "installs" / "python" / "3.10.13", "3.10")
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"), "MISE_DATA_DIR": str(tmp_path / "own")}
    assert install_sources.find_mise(env) == [own]


# -- uv ---------------------------------------------------------------------------------


def test_uv_managed_pythons(tmp_path: Path) -> None:
    """``$UV_PYTHON_INSTALL_DIR`` or ``$XDG_DATA_HOME/uv/python``: one interpreter per install
    (free-threaded and PyPy ones too, old ``install/bin`` layouts too); minor-version links
    and uv's dot-files are skipped."""
    root = tmp_path / "xdg" / "uv" / "python"
    expected = [
        exe(root / "cpython-3.9.6-linux-x86_64-gnu" / "install" / "bin" / "python3.9"),
        cpython_prefix(root / "cpython-3.12.8-linux-x86_64-gnu", "3.12"),
        exe(root / "cpython-3.13.1+freethreaded-linux-x86_64-gnu" / "bin" / "python3.13t"),
        exe(root / "cpython-3.13.1-linux-x86_64-gnu" / "bin" / "python3.13"),
        exe(root / "pypy-3.10.14-linux-x86_64-gnu" / "bin" / "pypy3.10"),
    ]
    link(root / "cpython-3.12-linux-x86_64-gnu", "cpython-3.12.8-linux-x86_64-gnu")
    (root / ".lock").write_text("")
    exe(root / ".temp" / "cpython-3.14.0-linux-x86_64-gnu" / "bin" / "python3.14")
    found = install_sources.find_uv({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert found == expected
    moved = exe(tmp_path / "uvpy" / "cpython-3.11.11-linux-aarch64-gnu" / "bin" / "python3.11")
    assert install_sources.find_uv({"HOME": str(tmp_path), "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uvpy")}) == [moved]


def test_uv_default_is_under_home(tmp_path: Path) -> None:
    """Without XDG_DATA_HOME, uv's Pythons are in ``~/.local/share/uv/python``."""
    python = exe(tmp_path / ".local/share/uv/python/cpython-3.12.8-linux-x86_64-gnu/bin/python3.12")
    assert install_sources.find_uv({"HOME": str(tmp_path)}) == [python]


# -- rye --------------------------------------------------------------------------------


def test_rye_toolchains_downloaded_and_registered(tmp_path: Path) -> None:
    """``~/.rye/py/*`` (or ``$RYE_HOME``): downloaded toolchains in ``bin`` or the older
    ``install/bin``; registered ones as a symlink (kept as it stands) or a text file naming
    the interpreter; text files naming nothing usable are skipped."""
    py = tmp_path / ".rye" / "py"
    target = exe(tmp_path / "opt" / "python3.11")
    expected = [
        link(py / "cpython@3.11.0", target),
        exe(py / "cpython@3.11.9" / "install" / "bin" / "python3.11"),
        exe(py / "cpython@3.12.3" / "bin" / "python3"),
        target,
    ]
    (py / "custom@3.11.1").write_text(target + "\n")
    (py / "custom@3.11.2").write_text("relative/python\n")
    (py / "custom@3.11.3").write_text(str(tmp_path / "missing") + "\n")
    assert install_sources.find_rye({"HOME": str(tmp_path)}) == expected
    moved = exe(tmp_path / "rh" / "py" / "pypy@3.10.14" / "bin" / "pypy3")
    assert install_sources.find_rye({"HOME": str(tmp_path), "RYE_HOME": str(tmp_path / "rh")}) == [moved]


# -- hatch ------------------------------------------------------------------------------


def test_hatch_distributions(tmp_path: Path) -> None:
    """``pythons/*`` under the hatch data dir: ``hatch-dist.json``'s ``python_path`` when it
    names an executable, else ``python/bin``, ``python/install/bin`` (3.7) or PyPy's
    ``*/bin``; unreadable metadata falls back; ``.bak`` folders are skipped."""
    pythons = tmp_path / ".local" / "share" / "hatch" / "pythons"
    recorded = exe(pythons / "3.12" / "python" / "bin" / "python3")
    exe(pythons / "3.12" / "python" / "bin" / "python3.12")  # the metadata wins over the name rules
    (pythons / "3.12" / "hatch-dist.json").write_text(json.dumps({"source": "x", "python_path": "python/bin/python3"}))
    old = exe(pythons / "3.7" / "python" / "install" / "bin" / "python3.7")
    fallback = exe(pythons / "3.11" / "python" / "bin" / "python3.11")
    (pythons / "3.11" / "hatch-dist.json").write_text("[not json")
    pypy = exe(pythons / "pypy3.10" / "pypy3.10-v7.3.15-linux64" / "bin" / "pypy")
    exe(pythons / "3.12.bak" / "python" / "bin" / "python3.12")
    assert install_sources.find_hatch({"HOME": str(tmp_path)}) == [old, fallback, recorded, pypy]


def test_hatch_data_dir_variable(tmp_path: Path) -> None:
    """``$HATCH_DATA_DIR/pythons`` replaces the default locations."""
    exe(tmp_path / ".local/share/hatch/pythons/3.11/python/bin/python3.11")
    moved = exe(tmp_path / "hd" / "pythons" / "3.13" / "python" / "bin" / "python3.13")
    assert install_sources.find_hatch({"HOME": str(tmp_path), "HATCH_DATA_DIR": str(tmp_path / "hd")}) == [moved]


def test_hatch_and_pdm_macos_data_dir(tmp_path: Path) -> None:
    """On macOS platformdirs puts hatch and pdm data in ``~/Library/Application Support``."""
    support = tmp_path / "Library" / "Application Support"
    hatch_python = exe(support / "hatch" / "pythons" / "3.12" / "python" / "bin" / "python3.12")
    pdm_python = exe(support / "pdm" / "python" / "cpython@3.12.8" / "bin" / "python3.12")
    env = {"HOME": str(tmp_path)}
    assert install_sources.find_hatch(env) == [hatch_python]
    assert install_sources.find_pdm(env) == [pdm_python]


# -- pdm --------------------------------------------------------------------------------


def test_pdm_installs_and_links(tmp_path: Path) -> None:
    """``$XDG_DATA_HOME/pdm/python/*``: installs in ``bin`` or ``install/bin``, and the
    symlinks ``pdm python link`` makes to other prefixes, reported through the link."""
    root = tmp_path / "xdg" / "pdm" / "python"
    other = tmp_path / "opt" / "py311"
    exe(other / "bin" / "python3.11")
    expected = [
        cpython_prefix(root / "cpython@3.10.16", "3.10"),
        link(root / "cpython@3.11.9", other) + "/bin/python3.11",
        exe(root / "cpython@3.12.8" / "install" / "bin" / "python3"),
    ]
    assert install_sources.find_pdm({"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg")}) == expected


# -- conda ------------------------------------------------------------------------------


def test_conda_prefixes(tmp_path: Path) -> None:
    """The active ``CONDA_PREFIX`` first, then ``environments.txt``, then base installs and
    their ``envs`` (the active one's base, then the usual names), then ``~/.conda/envs``;
    each prefix once, its ``bin/python`` only, prefixes without Python skipped."""
    home = tmp_path / "home"
    forge = home / "miniforge3"
    base_python = exe(forge / "bin" / "python")
    active = exe(forge / "envs" / "work" / "bin" / "python")
    other = exe(forge / "envs" / "other" / "bin" / "python")
    (forge / "envs" / "r-only" / "bin").mkdir(parents=True)
    exe(forge / "envs" / "work" / "bin" / "python3.12")  # only bin/python is conda's
    listed = exe(tmp_path / "projects" / "env" / "bin" / "python")
    (home / ".conda").mkdir(parents=True)
    (home / ".conda" / "environments.txt").write_text(
        "\n".join([str(tmp_path / "projects" / "env"), "", "relative/env", str(forge / "envs" / "other"), ""])
    )
    ana = exe(home / "anaconda3" / "bin" / "python")
    user_env = exe(home / ".conda" / "envs" / "mine" / "bin" / "python")
    env = {"HOME": str(home), "CONDA_PREFIX": str(forge / "envs" / "work")}
    assert envs.find_conda(env) == [active, listed, other, base_python, ana, user_env]


def test_conda_exe_names_a_base_outside_home(tmp_path: Path) -> None:
    """``$CONDA_EXE`` (``BASE/bin/conda``) leads to a base install anywhere, and its envs."""
    base = tmp_path / "opt" / "conda"
    exe(base / "bin" / "conda")
    expected = [exe(base / "bin" / "python"), exe(base / "envs" / "a" / "bin" / "python")]
    assert envs.find_conda({"CONDA_EXE": str(base / "bin" / "conda")}) == expected


def test_conda_base_as_active_prefix(tmp_path: Path) -> None:
    """When ``CONDA_PREFIX`` is the base itself, its own envs are listed after it."""
    base = tmp_path / "mini"
    expected = [exe(base / "bin" / "python"), exe(base / "envs" / "x" / "bin" / "python")]
    assert envs.find_conda({"CONDA_PREFIX": str(base)}) == expected


# -- all together -----------------------------------------------------------------------


def test_every_manager_through_discover(tmp_path: Path) -> None:
    """``discover`` puts the managers' candidates in SOURCE_ORDER with their source names."""
    home = tmp_path
    layout = {
        "pyenv": home / ".pyenv/versions/3.12.1/bin/python3.12",
        "asdf": home / ".asdf/installs/python/3.12.1/bin/python3.12",
        "mise": home / ".local/share/mise/installs/python/3.12.1/bin/python3.12",
        "uv": home / ".local/share/uv/python/cpython-3.12.8-linux-x86_64-gnu/bin/python3.12",
        "rye": home / ".rye/py/cpython@3.12.3/bin/python3",
        "hatch": home / ".local/share/hatch/pythons/3.12/python/bin/python3.12",
        "pdm": home / ".local/share/pdm/python/cpython@3.12.8/bin/python3.12",
        "conda": home / "miniconda3/bin/python",
    }
    for python in layout.values():
        exe(python)
    empty_root = tmp_path / "empty-root"
    empty_root.mkdir()
    found = discover(env={"HOME": str(home), "INTERPDB_SYSTEM_ROOT": str(empty_root)})
    assert [(c.source, c.path) for c in found] == [(source, str(p)) for source, p in layout.items()]
    assert all(os.path.isabs(c.path) for c in found)
