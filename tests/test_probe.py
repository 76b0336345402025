"""The probe script on every real interpreter here, and the runner on broken ones."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Callable

import pytest
from conftest import EXPECTED_PYENV, python_for

from interpdb.probe import OUTPUT_LIMIT, run_probe


@pytest.mark.parametrize("line", EXPECTED_PYENV)
def test_probe_runs_on_every_pyenv_python(line: str) -> None:
    """The probe parses and answers on 2.7 and 3.6-3.13 with the facts the store needs."""
    python = python_for(line)
    result = run_probe(str(python))
    assert result.ok, result.error
    data = result.data
    assert data is not None
    assert data["python_version"].startswith(line + ".")
    assert data["implementation_name"] == "cpython"
    assert data["version_info"][:2] == [int(x) for x in line.split(".")]
    assert data["is_venv"] is False
    assert data["real_executable"] == os.path.realpath(python)
    assert "" not in data["sys_path"], "the probe's own '' entry must be removed"
    assert any(p.endswith("site-packages") for p in data["site_packages"])
    assert data["pointer_size"] in (32, 64)
    assert data["free_threaded"] is False
    assert data["markers"]["python_version"] == line
    # packaging reads sys.implementation, which Python 2.7 lacks (tests/test_markers.py).
    assert data["markers"]["implementation_name"] == ("" if line == "2.7" else "cpython")
    assert data["libc"]["name"] == "glibc"
    assert data["manylinux"]["glibc"] == ".".join(data["libc"]["version"].split(".")[:2])
    assert data["manylinux"]["tags"][0].startswith("manylinux_2_")
    assert data["pyvenv_cfg"] is None
    if data["libpython"]:  # pyenv builds here are shared
        assert Path(data["libpython"]).exists()
    assert result.duration_ms > 0


def test_probe_of_a_venv_reports_the_venv(make_venv: Callable[..., Path]) -> None:
    """A venv: is_venv, its own prefix and site-packages, the base prefix, pyvenv.cfg values."""
    python = make_venv()
    result = run_probe(str(python))
    assert result.data is not None
    data = result.data
    venv = python.parent.parent
    assert data["is_venv"] is True
    assert data["prefix"] == str(venv)
    assert data["base_prefix"] != str(venv)
    assert data["pyvenv_cfg"]["path"] == str(venv / "pyvenv.cfg")
    assert data["pyvenv_cfg"]["values"]["include-system-site-packages"] == "false"
    assert any(p.startswith(str(venv)) for p in data["site_packages"])
    assert data["enable_user_site"] is False


def test_probe_ignores_callers_python_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, base_python: Path
) -> None:
    """-E: a PYTHONPATH in the caller's environment does not reach the answer."""
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "injected"))
    result = run_probe(str(base_python))
    assert result.data is not None
    assert str(tmp_path / "injected") not in result.data["sys_path"]


def test_probe_sees_manylinux_override(make_venv: Callable[..., Path]) -> None:
    """A _manylinux module (what the no-manylinux package installs) empties the tag list."""
    python = make_venv()
    site = Path(run_probe(str(python)).data["site_packages"][0])  # type: ignore[index]
    (site / "_manylinux.py").write_text(
        "manylinux1_compatible = False\nmanylinux2010_compatible = False\n"
        "manylinux2014_compatible = False\n"
        "def manylinux_compatible(*_):\n    return False\n"
    )
    data = run_probe(str(python)).data
    assert data is not None
    assert data["manylinux"]["tags"] == []
    assert data["manylinux"]["override"] == str(site / "_manylinux.py")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("exit 3", "exited with code 3"),
        ("echo 'boom' >&2; exit 1", "exited with code 1: boom"),
        ("printf 'bad \\377\\376 utf8' >&2; exit 1", "exited with code 1: bad \\xff\\xfe utf8"),  # not U+FFFD
        ("kill -9 $$", "killed by SIGKILL"),
        ("echo hello", "not a Python interpreter"),
        ("echo '{\"a\": 1}'", "not a Python interpreter: printed '{\"a\": 1}' instead of the probe's answer"),
        ("printf '<<interpdb-answer %s>>{\"a\": 1}<<interpdb-end %s>>' $4 $4", "probe answer: 'executable' is missing"),
        ("echo '[1, 2]'", "not a Python interpreter"),
    ],
)
def test_broken_interpreters_give_one_line_reasons(fake: Callable[[str, str], Path], body: str, expected: str) -> None:
    result = run_probe(str(fake("python", body)))
    assert not result.ok
    assert result.error is not None
    assert expected in result.error
    assert "\n" not in result.error


def test_a_hung_interpreter_times_out_and_its_children_die(fake: Callable[[str, str], Path], tmp_path: Path) -> None:
    """A launcher that hangs is killed with its whole process group at the timeout."""
    marker = tmp_path / "child.pid"
    python = fake("python", f"sleep 30 & echo $! > {marker}; wait")
    result = run_probe(str(python), timeout=0.5)
    assert result.error == "timed out after 0.5 s"
    assert result.duration_ms < 5000
    child = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(child, 0)
            time.sleep(0.05)


def test_too_much_output_is_cut_off(fake: Callable[[str, str], Path]) -> None:
    python = fake("python", "yes garbage-garbage-garbage")
    result = run_probe(str(python), timeout=20)
    assert result.error == f"printed more than {OUTPUT_LIMIT // (1024 * 1024)} MiB"


def test_not_executable(tmp_path: Path) -> None:
    plain = tmp_path / "python"
    plain.write_text("not a program")
    result = run_probe(str(plain))
    assert result.error == "cannot execute: Permission denied"


def test_the_running_python_can_probe_itself() -> None:
    result = run_probe(sys.executable)
    assert result.data is not None
    assert result.data["python_version"] == ".".join(map(str, sys.version_info[:3]))
