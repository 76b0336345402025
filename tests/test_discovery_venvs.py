"""Discovery of the virtual environments tools keep by convention, with real venvs.

virtualenvwrapper (``$WORKON_HOME``, ``~/.virtualenvs``), Poetry (``virtualenvs.path`` of
its ``config.toml``, default ``<cache dir>/pypoetry/virtualenvs``), pipenv
(``$WORKON_HOME``, ``~/.local/share/virtualenvs``), a project's ``.venv`` below a
``--scan`` root, and the names of conda environments. Each layout is made as the tool
makes it: real venvs (``python -m venv --without-pip``) in its folder, beside the files
the tool writes there (hook scripts, ``envs.toml``, ``.project``, ``config.toml``).
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli

from interpdb.discovery import SOURCE_ORDER, discover, envs

#: Makes a real venv in a folder (parents too) and returns its ``bin/python``.
VenvAt = Callable[[Path], str]
#: What ``virtualenvwrapper.sh`` writes into ``$WORKON_HOME`` on first use.
WRAPPER_HOOKS = (
    "get_env_details",
    "initialize",
    "postactivate",
    "postdeactivate",
    "postmkproject",
    "postmkvirtualenv",
    "postrmvirtualenv",
    "preactivate",
    "predeactivate",
    "premkproject",
    "premkvirtualenv",
    "prermvirtualenv",
)


@pytest.fixture
def venv_at(base_python: Path) -> VenvAt:
    def make(folder: Path) -> str:
        folder.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(base_python), "-m", "venv", "--without-pip", str(folder)], check=True)
        return str(folder / "bin" / "python")

    return make


def test_virtualenvwrapper_workon_home(tmp_path: Path, venv_at: VenvAt) -> None:
    """Every venv in ``~/.virtualenvs`` (or ``$WORKON_HOME``), in name order; the hook scripts
    and a folder that is no venv are passed over; a relative WORKON_HOME is ignored."""
    home = tmp_path / "home"
    workon = home / ".virtualenvs"
    expected = [venv_at(workon / "api"), venv_at(workon / "tools-3.12")]
    for hook in WRAPPER_HOOKS:
        (workon / hook).write_text("#!/bin/bash\n# This hook is sourced after this virtualenv is activated.\n")
    (workon / "not-a-venv" / "bin").mkdir(parents=True)
    assert envs.find_virtualenvwrapper({"HOME": str(home)}) == expected
    assert envs.find_virtualenvwrapper({"HOME": str(home), "WORKON_HOME": "relative"}) == expected

    elsewhere = tmp_path / "envs"
    own = [venv_at(elsewhere / "only")]
    assert envs.find_virtualenvwrapper({"HOME": str(home), "WORKON_HOME": str(elsewhere)}) == own


def test_pipenv_virtualenvs(tmp_path: Path, venv_at: VenvAt) -> None:
    """pipenv's ``<project>-<hash>`` venvs under ``$XDG_DATA_HOME/virtualenvs`` (default
    ``~/.local/share``), each holding the ``.project`` file pipenv writes; ``$WORKON_HOME`` wins."""
    home = tmp_path / "home"
    default = home / ".local" / "share" / "virtualenvs"
    project = tmp_path / "code" / "shop"
    project.mkdir(parents=True)
    python = venv_at(default / "shop-Xq3vYh2m")
    (default / "shop-Xq3vYh2m" / ".project").write_text(str(project))
    assert envs.find_pipenv({"HOME": str(home)}) == [python]

    xdg = tmp_path / "xdg"
    assert envs.find_pipenv({"HOME": str(home), "XDG_DATA_HOME": str(xdg)}) == []
    moved = venv_at(xdg / "virtualenvs" / "shop-Xq3vYh2m")
    assert envs.find_pipenv({"HOME": str(home), "XDG_DATA_HOME": str(xdg)}) == [moved]
    assert envs.find_pipenv({"HOME": str(home), "WORKON_HOME": str(default)}) == [python]


def test_poetry_default_folder_under_the_cache_dir(tmp_path: Path, venv_at: VenvAt) -> None:
    """No ``config.toml``: ``$XDG_CACHE_HOME/pypoetry/virtualenvs`` (``~/.cache`` by default),
    its ``envs.toml`` not taken for an environment."""
    home = tmp_path / "home"
    folder = home / ".cache" / "pypoetry" / "virtualenvs"
    python = venv_at(folder / "shop-2Tq1xZ9c-py3.12")
    (folder / "envs.toml").write_text('[shop-2Tq1xZ9c]\nminor = "3.12"\npatch = "3.12.1"\n')
    assert envs.find_poetry({"HOME": str(home)}) == [python]
    assert envs.find_poetry({"HOME": str(home), "XDG_CACHE_HOME": str(tmp_path / "other")}) == []
    assert envs.find_poetry({"HOME": str(home), "POETRY_CACHE_DIR": str(home / ".cache" / "pypoetry")}) == [python]


def test_poetry_configured_virtualenvs_path(tmp_path: Path, venv_at: VenvAt) -> None:
    """``poetry config virtualenvs.path DIR`` writes ``[virtualenvs] path = "DIR"`` into
    ``~/.config/pypoetry/config.toml``: that folder replaces the default; ``{cache-dir}`` and
    ``~`` are expanded; ``$POETRY_VIRTUALENVS_PATH`` beats the file."""
    home = tmp_path / "home"
    config = home / ".config" / "pypoetry" / "config.toml"
    config.parent.mkdir(parents=True)
    venv_at(home / ".cache" / "pypoetry" / "virtualenvs" / "ignored-AAAAAAAA-py3.12")
    chosen = venv_at(tmp_path / "poetry-envs" / "shop-2Tq1xZ9c-py3.12")
    config.write_text(f'[virtualenvs]\npath = "{tmp_path / "poetry-envs"}"\nin-project = false\n')
    assert envs.find_poetry({"HOME": str(home)}) == [chosen]

    in_cache = venv_at(tmp_path / "cache" / "envs" / "api-BBBBBBBB-py3.12")
    config.write_text(f"cache-dir = '{tmp_path / 'cache'}'\nvirtualenvs.path = \"{{cache-dir}}/envs\"\n")
    assert envs.find_poetry({"HOME": str(home)}) == [in_cache]

    tilde = venv_at(home / "pe" / "x-CCCCCCCC-py3.12")
    config.write_text('[virtualenvs]\npath = "~/pe"\n')
    assert envs.find_poetry({"HOME": str(home)}) == [tilde]
    assert envs.find_poetry({"HOME": str(home), "POETRY_VIRTUALENVS_PATH": str(tmp_path / "poetry-envs")}) == [chosen]
    moved = tmp_path / "poetry-config"
    moved.mkdir()
    (moved / "config.toml").write_text(f'[virtualenvs]\npath = "{tmp_path / "cache" / "envs"}"\n')
    assert envs.find_poetry({"HOME": str(home), "POETRY_CONFIG_DIR": str(moved)}) == [in_cache]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[virtualenvs]\npath = "/a/b"\n', {"virtualenvs.path": "/a/b"}),
        ('virtualenvs.path = "/a/b"  # comment\n', {"virtualenvs.path": "/a/b"}),
        ("[virtualenvs]\npath = '/a/\\b'\n", {"virtualenvs.path": "/a/\\b"}),
        ('[virtualenvs]\npath = "/a/\\"q\\"/b"\n', {"virtualenvs.path": '/a/"q"/b'}),
        ("[virtualenvs]\ncreate = true\n[virtualenvs.options]\nno-pip = true\n", {}),
        (
            'cache-dir = "/c"\n[repositories.x]\nurl = "https://x"\n',
            {"cache-dir": "/c", "repositories.x.url": "https://x"},
        ),
        ('[virtualenvs]\npath = "/unterminated\n', {}),
        ("[virtualenvs\npath = /bare\n", {}),
    ],
)
def test_poetry_config_reader(text: str, expected: dict[str, str]) -> None:
    """The two settings are read from what Poetry writes; anything else is skipped, never raised."""
    assert envs.parse_poetry_settings(text) == expected


def test_every_venv_source_through_the_cli(
    tmp_path: Path, venv_at: VenvAt, run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``interpdb discover --source ...`` probes the venvs each tool keeps and records the
    source that found them; one ``$WORKON_HOME`` is both virtualenvwrapper's and pipenv's."""
    home = tmp_path / "home"
    wrapper = venv_at(home / ".virtualenvs" / "api")
    poetry_env = venv_at(home / ".cache" / "pypoetry" / "virtualenvs" / "shop-2Tq1xZ9c-py3.12")
    pipenv_env = venv_at(home / ".local" / "share" / "virtualenvs" / "site-Xq3vYh2m")
    monkeypatch.setenv("HOME", str(home))
    for variable in ("WORKON_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "POETRY_VIRTUALENVS_PATH"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("POETRY_CACHE_DIR", raising=False)
    monkeypatch.delenv("POETRY_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    sources = ["virtualenvwrapper", "poetry", "pipenv"]
    records = run.json("discover", *(arg for s in sources for arg in ("--source", s)))
    found = {r["path"]: (r["status"], r["is_venv"], r["sources"]) for r in records}
    assert found == {
        wrapper: ("probed", True, ["virtualenvwrapper"]),
        poetry_env: ("probed", True, ["poetry"]),
        pipenv_env: ("probed", True, ["pipenv"]),
    }

    monkeypatch.setenv("WORKON_HOME", str(home / ".virtualenvs"))
    again = run.json("discover", "--source", "virtualenvwrapper", "--source", "pipenv")
    assert [(r["path"], r["status"], sorted(r["sources"])) for r in again] == [
        (wrapper, "cached", ["pipenv", "virtualenvwrapper"])
    ]


def test_new_sources_are_in_source_order() -> None:
    """The venv keepers come after the Python installers and before conda and the system."""
    order = list(SOURCE_ORDER)
    assert order.index("pdm") < order.index("virtualenvwrapper") < order.index("poetry") < order.index("pipenv")
    assert order.index("pipenv") < order.index("conda")


def test_a_projects_dot_venv_below_a_scan_root(tmp_path: Path, venv_at: VenvAt, run: Cli) -> None:
    """``discover --scan ROOT`` finds each project's ``.venv`` (uv, Poetry in-project, pipenv's
    PIPENV_VENV_IN_PROJECT, ``python -m venv .venv``), beside its pyproject.toml."""
    root = tmp_path / "code"
    expected = []
    for name in ("alpha", "beta"):
        (root / name).mkdir(parents=True)
        (root / name / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\n')
        expected.append(venv_at(root / name / ".venv"))
    venv_at(root / "alpha" / "node_modules" / "pkg" / ".venv")  # never searched
    assert [c.path for c in discover(["venv"], env={}, scan=[str(root)])] == expected
    records = run.json("discover", "--source", "venv", "--scan", root)
    assert sorted(r["path"] for r in records) == sorted(expected)
    assert all(r["status"] == "probed" and r["sources"] == ["venv"] for r in records)


def test_conda_environments_carry_their_name(tmp_path: Path, venv_at: VenvAt, run: Cli) -> None:
    """``conda_env`` is ``base`` for a base install, NAME for ``envs/NAME``, null for an
    environment made with ``conda create -p`` elsewhere and for anything not conda; ``list``
    shows it in its ``conda`` column."""
    base = tmp_path / "miniforge3"
    base_python = venv_at(base)
    (base / "conda-meta").mkdir()
    (base / "condabin").mkdir()
    work = venv_at(base / "envs" / "work")
    (base / "envs" / "work" / "conda-meta").mkdir()
    loose = venv_at(tmp_path / "projects" / "env")
    (tmp_path / "projects" / "env" / "conda-meta").mkdir()
    plain = venv_at(tmp_path / "plain")
    records = run.json("probe", base_python, work, loose, plain)
    assert {r["path"]: r["conda_env"] for r in records} == {base_python: "base", work: "work", loose: None, plain: None}

    table = run("list", "--no-discover", "--format", "csv").stdout
    column = {row["path"]: row["conda"] for row in csv.DictReader(io.StringIO(table))}
    assert column == {base_python: "base", work: "work", loose: "", plain: ""}


def test_a_scanned_venv_whose_name_is_not_utf8_is_said_to_be_left_out(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path, base_python: Path
) -> None:
    """discover --scan passed over a venv in a folder named with a byte that is not UTF-8,
    without a word ("found 1 paths"); probe says of such a name that it cannot be stored."""
    import os

    scanned = tmp_path / "scanned"
    make_venv("scanned/ok")
    bad = os.fsencode(scanned) + b"/bad\xff"
    os.makedirs(bad + b"/bin")
    os.symlink(os.fsencode(base_python), bad + b"/bin/python")
    with open(bad + b"/pyvenv.cfg", "w") as config:
        config.write(f"home = {base_python.parent}\n")
    said = run("discover", "--scan", scanned, "--source", "venv").stderr.splitlines()
    assert f"note: left out: '{scanned}/bad\\xff/bin/python' is not valid UTF-8: it cannot be stored" in said, said
