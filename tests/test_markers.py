"""PEP 508 markers are what the target's own tools compute, on every interpreter on this machine.

Two oracles, each run inside the target interpreter:

- the ``packaging`` that the target's own pip vendors (``pip._vendor.packaging``): what
  ``pip install`` on that interpreter evaluates markers with. Every pyenv Python ships
  pip, so this needs no download and covers 2.7 and 3.6, which no current packaging runs on;
- this test run's own ``packaging`` (a copy of its pure-Python source on ``PYTHONPATH``)
  on the interpreters its ``Requires-Python`` admits, so a newer packaging's idea is
  checked too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import packaging
import pytest
from conftest import PYTHONS, Cli

_DUMP = "import json; from {module} import default_environment; print(json.dumps(default_environment()))"


def _environment(python: Path, module: str, pythonpath: Path | None = None) -> dict[str, str] | None:
    env = {"PATH": "/usr/bin:/bin"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [str(python), "-c", _DUMP.format(module=module)], capture_output=True, text=True, env=env, timeout=60
    )
    return json.loads(done.stdout) if done.returncode == 0 else None


@pytest.fixture(scope="module")
def own_packaging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only a copy of this run's packaging package."""
    folder = tmp_path_factory.mktemp("own-packaging")
    shutil.copytree(Path(packaging.__file__).parent, folder / "packaging")
    return folder


def _interpreters() -> dict[str, Path]:
    """Every pyenv Python, and the system's CPython and PyPy when there are some."""
    found = {line: path for line, path in PYTHONS.items()}
    for extra in ("/usr/bin/python3", "/usr/bin/pypy3"):
        if Path(extra).exists():
            found[extra] = Path(extra)
    return found


INTERPRETERS = _interpreters()


def _version_of(python: Path) -> tuple[int, ...]:
    done = subprocess.run(
        [str(python), "-c", "import sys; sys.stdout.write('%d %d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return tuple(int(p) for p in done.stdout.split())


@pytest.mark.parametrize("name", list(INTERPRETERS))
def test_markers_are_what_the_targets_own_packaging_computes(run: Cli, name: str, own_packaging: Path) -> None:
    """The whole marker dict equals default_environment() inside the interpreter (2.7: '' and '0')."""
    python = INTERPRETERS[name]
    [record] = run.json("probe", python)
    vendored = _environment(python, "pip._vendor.packaging.markers")
    if vendored is None:
        pytest.skip(f"{python} has no pip to ask")
    assert record["markers"] == vendored
    version = _version_of(python)
    if version >= (3, 10):  # packaging 26's Requires-Python
        assert record["markers"] == _environment(python, "packaging.markers", own_packaging)
    if version < (3, 3):
        assert (record["markers"]["implementation_name"], record["markers"]["implementation_version"]) == ("", "0")


def test_markers_of_the_running_interpreter_match_the_imported_packaging(run: Cli) -> None:
    """The interpreter running the tests, compared with the packaging module it imports."""
    from packaging.markers import default_environment

    [record] = run.json("probe", sys.executable)
    assert record["markers"] == default_environment()
