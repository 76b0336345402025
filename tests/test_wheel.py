"""interpdb installed from its built wheel into a fresh venv creates and upgrades its database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_carries_migrations_and_creates_the_database(tmp_path: Path, base_python: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("interpdb-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
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
