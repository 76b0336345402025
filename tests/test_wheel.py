"""interpdb installed from its built wheel: what a PyPI user gets.

The wheel is built once per module; each test installs it into a fresh venv.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [built] = dist.glob("interpdb-*.whl")
    return built


def fresh_venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    return venv


@pytest.mark.slow
def test_wheel_carries_migrations_and_creates_the_database(tmp_path: Path, base_python: Path, wheel: Path) -> None:
    venv = fresh_venv(tmp_path)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True)
    db = tmp_path / "installed.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "INTERPDB_DB"}
    out = subprocess.run(
        [str(venv / "bin" / "interpdb"), "--db", str(db), "probe", str(base_python), "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert json.loads(out.stdout)[0]["status"] == "probed"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import interpdb.store.schema as s; print(s.migrations_dir())"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert where.stdout.strip().startswith(str(venv)), "migrations must come from the installed wheel"
    schema = subprocess.run(
        [str(venv / "bin" / "interpdb"), "schema", "list"], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert json.loads(schema.stdout)["$schema"].endswith("/2020-12/schema"), "the JSON Schemas must ship in the wheel"


def test_wheel_metadata_is_what_pypi_shows(wheel: Path) -> None:
    """py.typed, the LICENSE file, the console script and the virtualenv plugin's entry
    point, the schema document, and metadata with extras, classifiers and the license."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        license_text = archive.read(f"{info}/licenses/LICENSE").decode()
    assert {"interpdb/py.typed", "interpdb/docs/schema.md", "interpdb/virtualenv_plugin.py"} <= names
    assert license_text.startswith("MIT License")
    assert "[virtualenv.discovery]\ninterpdb = interpdb.virtualenv_plugin:InterpdbDiscovery" in entry_points
    assert "interpdb = interpdb._fast:main" in entry_points
    assert metadata["License-Expression"] == "MIT"
    assert {"postgres", "virtualenv", "test"} <= set(metadata.get_all("Provides-Extra") or [])
    classifiers = set(metadata.get_all("Classifier") or [])
    assert {"Programming Language :: Python :: 3.9", "Programming Language :: Python :: 3.13"} <= classifiers
    assert "Operating System :: POSIX :: Linux" in classifiers and "Typing :: Typed" in classifiers
    assert any(c.startswith("Topic :: ") for c in classifiers)
    assert 'psycopg[binary]>=3.1; extra == "postgres"' in [
        d.replace("'", '"') for d in metadata.get_all("Requires-Dist")
    ]


def test_the_long_description_has_no_link_that_breaks_on_pypi(wheel: Path) -> None:
    """PyPI shows the README from the wheel's METADATA, away from the source tree: every
    Markdown link or image there is absolute (http or https), or a ``#name`` with an
    ``<a id="name"></a>`` to land on (PyPI gives headings no ids: pypa/readme_renderer#169)."""
    with zipfile.ZipFile(wheel) as archive:
        info = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        description = Parser().parsestr(archive.read(info).decode()).get_payload()
    assert isinstance(description, str) and "## Set-up" in description
    targets = re.findall(r"\]\(([^)\s]+)\)", description)
    assert targets, "the README has links"
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', description))
    broken = [t for t in targets if not t.startswith(("https://", "http://")) and t[1:] not in anchors]
    assert broken == []


@pytest.mark.slow
def test_pip_install_with_the_extras_warns_of_nothing(tmp_path: Path, wheel: Path, base_python: Path) -> None:
    """``pip install 'interpdb[postgres,virtualenv]'`` from the wheel: no "does not provide
    the extra" warning, psycopg importable, and virtualenv offers ``--discovery interpdb``
    and builds an environment through it."""
    venv = fresh_venv(tmp_path)
    done = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--disable-pip-version-check", f"{wheel}[postgres,virtualenv]"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "does not provide the extra" not in said
    assert not [line for line in said.splitlines() if "WARNING" in line and "interpdb" in line.lower()]
    subprocess.run([str(venv / "bin" / "python"), "-c", "import psycopg, interpdb.virtualenv_plugin"], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUALENV_")}
    env["INTERPDB_DB"] = str(tmp_path / "store.sqlite3")
    env["VIRTUALENV_OVERRIDE_APP_DATA"] = str(tmp_path / "app-data")
    created = subprocess.run(
        [str(venv / "bin" / "virtualenv"), "--discovery", "interpdb", "-p", str(base_python), "--no-seed", "made"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert (tmp_path / "made" / "bin" / "python").exists()
