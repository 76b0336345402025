"""virtualenv and tox create environments through interpdb's store (``--discovery interpdb``).

The real programs run in subprocesses, against the pyenv Pythons and the test's own
database (``INTERPDB_DB``) and cache (``XDG_CACHE_HOME``). Each subprocess gets its own
virtualenv app-data folder, so virtualenv's own cache starts empty.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, python_for, query

pytest.importorskip("virtualenv", reason="the plugin needs virtualenv: pip install 'interpdb[virtualenv]'")

from interpdb.virtualenv_plugin import interpdb_request, split_platform

BIN = Path(sys.executable).parent
#: Runs virtualenv's CLI in-process with an audit hook that counts what it starts, then
#: prints one JSON line: the programs started and the interpreter discovery chose.
AUDITED = r"""
import json, sys
started = []
def hook(event, args):
    if event in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn", "os.system"):
        started.append(str(args[0]))
sys.addaudithook(hook)
import virtualenv
session = virtualenv.session_via_cli(sys.argv[1:], setup_logging=False)
info = session.interpreter
print(json.dumps({
    "started": started,
    "executable": info.executable,
    "system_executable": info.system_executable,
    "version": list(info.version_info[:3]),
    "path": info.path,
}))
"""


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUALENV_", "TOX_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env["VIRTUALENV_OVERRIDE_APP_DATA"] = str(tmp_path / "virtualenv-app-data")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def discover(tmp_path: Path, *args: str, plugin: bool = True) -> dict[str, Any]:
    """What virtualenv's discovery answers for ``args`` (no environment is created)."""
    argv = [*(["--discovery", "interpdb"] if plugin else []), "--no-seed", *args, str(tmp_path / "unused")]
    done = subprocess.run(
        [sys.executable, "-c", AUDITED, *argv],
        env=environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def virtualenv_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "virtualenv"), *args],
        env=environment(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def private_python(tmp_path: Path, line: str = "3.12") -> Path:
    """A base interpreter whose site-packages the test owns: the pyenv binary copied, the
    stdlib linked entry by entry, an empty real ``site-packages``."""
    real = python_for(line)
    prefix = tmp_path / f"private-{line}"
    (prefix / "bin").mkdir(parents=True)
    binary = prefix / "bin" / f"python{line}"
    shutil.copy2(real, binary)
    stdlib = prefix / "lib" / f"python{line}"
    stdlib.mkdir(parents=True)
    for entry in (real.parent.parent / "lib" / f"python{line}").iterdir():
        if entry.name == "site-packages":
            (stdlib / "site-packages").mkdir()
        else:
            (stdlib / entry.name).symlink_to(entry)
    return binary


@pytest.mark.parametrize(
    ("spec", "request_"),
    [
        ("py312", "3.12"),
        ("py3", "3"),
        ("py", "any"),
        ("py313t", "3.13t"),
        ("PY39", "3.9"),
        ("cpython312", "cpython3.12"),
        ("pypy310", "pypy3.10"),
        ("3.12", "3.12"),
        (">=3.10", ">=3.10"),
        ("/usr/bin/python3", "/usr/bin/python3"),
        ("python3.12", "python3.12"),
    ],
)
def test_tox_and_virtualenv_spellings_become_interpdb_requests(spec: str, request_: str) -> None:
    """tox's ``py312`` factors and virtualenv's undotted names map onto ``find``'s grammar;
    everything else is passed through unchanged."""
    assert interpdb_request(spec) == request_


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("3.12", ("3.12", None, None)),
        ("3.12-64", ("3.12", 64, None)),
        ("3.13t-32", ("3.13t", 32, None)),
        ("cpython3.12-64-arm64", ("cpython3.12", 64, "arm64")),
        ("pypy3.10-x86_64", ("pypy3.10", None, "x86_64")),
        (">=3.10,<3.13", (">=3.10,<3.13", None, None)),
        ("/opt/py-64/bin/python", ("/opt/py-64/bin/python", None, None)),
        # A word after a dash that names no machine is part of the request.
        ("cpython-3.12-linux-x86_64-gnu", ("cpython-3.12-linux-x86_64-gnu", None, None)),
        ("my-venv", ("my-venv", None, None)),
    ],
)
def test_virtualenvs_platform_suffixes_are_split_off(spec: str, expected: tuple[str, int | None, str | None]) -> None:
    """``-64``/``-32`` and a machine name become filters; a path keeps its dashes."""
    assert split_platform(spec) == expected


@pytest.mark.slow
def test_virtualenv_creates_a_working_venv_of_the_requested_python(tmp_path: Path, db_path: Path) -> None:
    """``virtualenv --discovery interpdb -p 3.12 DIR`` makes a venv whose python is 3.12,
    and the store recorded the probes it made for the plugin."""
    python_for("3.12")
    key = f"cpython-3.12-linux-{os.uname().machine}-gnu"  # uv's key: its -gnu was read as a machine
    for spec, folder in (("3.12", "env"), ("py312-64", "env64"), (key, "envkey")):
        done = virtualenv_cli(tmp_path, "--discovery", "interpdb", "-p", spec, "--no-seed", str(tmp_path / folder))
        assert done.returncode == 0, done.stdout + done.stderr
        version = subprocess.run(
            [str(tmp_path / folder / "bin" / "python"), "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert version.stdout.strip() == "(3, 12)"
    commands = {row[0] for row in query(db_path, "SELECT DISTINCT command FROM probes")}
    assert commands == {"virtualenv --discovery interpdb"}


@pytest.mark.slow
def test_a_fresh_record_runs_no_interpreter_and_a_pth_change_is_followed(tmp_path: Path) -> None:
    """Warm: discovery starts no process at all (interpdb's record is fresh and virtualenv's
    facts are cached under its probe). After a ``.pth`` edit in the target's site-packages
    interpdb re-probes, the plugin asks virtualenv's script once more, and the answer's
    ``sys.path`` changes, while the builtin discovery keeps serving the old one."""
    python = private_python(tmp_path)
    site = python.parent.parent / "lib" / "python3.12" / "site-packages"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (site / "extra.pth").write_text(f"{first}\n")

    cold = discover(tmp_path, "-p", str(python))
    assert cold["executable"] == str(python)
    assert str(first) in cold["path"]
    assert cold["started"], "the first answer needs interpdb's probe and virtualenv's"
    builtin_before = discover(tmp_path, "-p", str(python), plugin=False)
    assert str(first) in builtin_before["path"]

    cache = tmp_path / "xdg-cache" / "interpdb" / "virtualenv"  # XDG_CACHE_HOME from conftest
    [entry] = cache.glob("*.json")
    assert entry.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700

    warm = discover(tmp_path, "-p", str(python))
    assert warm["started"] == []
    assert warm["path"] == cold["path"]

    (site / "extra.pth").write_text(f"{second}\n")
    changed = discover(tmp_path, "-p", str(python))
    assert str(second) in changed["path"] and str(first) not in changed["path"]
    assert str(python) in changed["started"], "virtualenv's interrogation ran again for the new probe"
    [replaced] = cache.glob("*.json")
    assert replaced != entry, "the new probe's entry replaced the old one"
    builtin_after = discover(tmp_path, "-p", str(python), plugin=False)
    assert str(first) in builtin_after["path"], "virtualenv's own cache keys on the executable's mtime"

    again = discover(tmp_path, "-p", str(python))
    assert again["started"] == [] and again["path"] == changed["path"]


@pytest.mark.slow
def test_a_venv_request_resolves_to_its_base_and_try_first_with_wins(tmp_path: Path) -> None:
    """``-p VENV/bin/python`` answers with the base interpreter's facts and the venv's path,
    as the builtin discovery does; a ``--try-first-with`` interpreter that matches beats
    ``find``'s own choice (``3`` alone would pick the newest)."""
    base = python_for("3.11")
    venv = tmp_path / "venv311"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True)
    answer = discover(tmp_path, "-p", str(venv / "bin" / "python"))
    builtin = discover(tmp_path, "-p", str(venv / "bin" / "python"), plugin=False)
    assert answer["executable"] == str(venv / "bin" / "python")
    assert answer["system_executable"] == builtin["system_executable"]
    assert answer["version"][:2] == [3, 11]

    py39 = python_for("3.9")
    tried = discover(tmp_path, "-p", "3", "--try-first-with", str(py39))
    assert tried["version"][:2] == [3, 9]
    plain = discover(tmp_path, "-p", "3")
    assert plain["version"][:2] != [3, 9]


def test_a_forgotten_interpreter_named_by_path_still_answers(tmp_path: Path, run: Cli) -> None:
    """``find PATH`` leaves a forgotten interpreter out; the plugin, asked for that file by
    name (``-p PATH``), answered nothing and virtualenv failed where its builtin discovery
    works. It answers, and the interpreter stays forgotten."""
    python = python_for("3.11")
    run("probe", python)
    run("forget", python)
    answer = discover(tmp_path, "-p", str(python))
    assert answer["executable"] == str(python)
    assert [r["path"] for r in run.json("list", "--forgotten")] == [str(python)]


def test_nothing_matching_is_virtualenvs_usual_error(tmp_path: Path) -> None:
    """No interpreter for the request (or no request at all): virtualenv's own message, exit 1."""
    for spec in ("3.99", "not a request", "3.12-32", "3.12-riscv64"):
        done = virtualenv_cli(tmp_path, "--discovery", "interpdb", "-p", spec, "--no-seed", str(tmp_path / "env"))
        said = done.stdout + done.stderr  # virtualenv prints its error on stdout
        assert done.returncode == 1
        assert (
            f"RuntimeError: failed to find interpreter for InterpdbDiscovery discover of python_spec={spec!r}" in said
        )
        assert "Traceback" not in said
        assert not (tmp_path / "env").exists()


def test_an_unusable_store_is_named_before_virtualenvs_error(tmp_path: Path, db_path: Path) -> None:
    """A store interpdb cannot open: one ``interpdb: ...`` line saying why, then virtualenv's
    usual error; the file is left as it was."""
    db_path.write_text("not a database\n")
    done = virtualenv_cli(tmp_path, "--discovery", "interpdb", "-p", "3.12", "--no-seed", str(tmp_path / "env"))
    said = done.stdout + done.stderr
    assert done.returncode == 1
    assert f"interpdb: {db_path} is not an interpdb database" in said
    assert "failed to find interpreter for InterpdbDiscovery" in said
    assert "Traceback" not in said
    assert db_path.read_text() == "not a database\n"


@pytest.mark.slow
def test_tox_runs_its_environments_through_the_plugin(tmp_path: Path, db_path: Path) -> None:
    """``VIRTUALENV_DISCOVERY=interpdb tox`` builds py39 and py312 from the pyenv Pythons."""
    python_for("3.9")
    python_for("3.12")
    project = tmp_path / "project"
    project.mkdir()
    (project / "tox.ini").write_text(
        "[tox]\n"
        "env_list = py39, py312\n"
        "skip_missing_interpreters = false\n"
        "\n"
        "[testenv]\n"
        "skip_install = true\n"
        "package = skip\n"
        "commands = python -c \"import sys; print('running', sys.version_info[:2])\"\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "tox", "--workdir", str(tmp_path / "tox-work")],
        env=environment(tmp_path, VIRTUALENV_DISCOVERY="interpdb"),
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "running (3, 9)" in done.stdout
    assert "running (3, 12)" in done.stdout
    commands = {row[0] for row in query(db_path, "SELECT DISTINCT command FROM probes")}
    assert commands == {"virtualenv --discovery interpdb"}
