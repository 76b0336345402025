"""scripts/bench.py runs end to end and prints its report: rows, ratios, targets.

Behaviour only, never timings (those are the script's business). The two cheapest
groups, with 20 scale venvs and few repetitions, keep this to a few seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import python_for

BENCH = Path(__file__).resolve().parent.parent / "scripts" / "bench.py"


def test_quick_report_has_rows_ratios_and_targets(tmp_path: Path) -> None:
    """--only help,revalidate prints the 3x and 6x rows with a ratio and a met column, and exits 0."""
    results = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--only", "help,revalidate", "--venvs", "20", "--reps", "3",
         "--json", str(results)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("#"))
    for column in ("subject", "baseline", "ratio", "target", "met"):
        assert column in header
    keys = [line.split()[0] for line in lines[lines.index(header) + 2 :] if line.strip() and not line.startswith("-")]
    assert keys[:6] == ["3a", "3b", "3c", "3d", "6a", "6b"]
    assert "interpdb" in done.stdout and "cpus" in done.stdout
    report = json.loads(results.read_text())
    rows = {row["key"]: row for row in report["rows"]}
    assert rows["6b"]["ratio"] > 0 and rows["6b"]["target"] == "ratio <= 2"
    assert rows["3a"]["met"] in (True, False)
    assert all(row["subject"] is not None for row in rows.values())


def test_unknown_group_is_a_usage_error() -> None:
    """A typo in --only names the valid groups and exits 2 before building anything."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--only", "help,nope"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "nope" in done.stderr and "revalidate" in done.stderr


def test_the_floor_prototype_answers_as_find_does(tmp_path: Path) -> None:
    """scripts/floor_find.py (bench row 9g, the floor of a warm ``find``) picks the interpreter
    ``find`` picks (maybe through another of its paths: it knows no alias rules), and refuses
    (exit 1) where ``find`` would have to probe: its figures are for the same work."""
    pythons = [python_for(line) for line in ("3.11", "3.12")]
    env = {
        "PATH": str(pythons[1].parent),
        "HOME": str(tmp_path),
        "INTERPDB_DB": str(tmp_path / "interpdb.sqlite3"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    interpdb = [sys.executable, "-m", "interpdb"]
    subprocess.run([*interpdb, "-q", "probe", *map(str, pythons)], env=env, check=True, capture_output=True)
    floor = [sys.executable, str(BENCH.with_name("floor_find.py")), "3.12"]
    assert subprocess.run(floor, env=env, capture_output=True, text=True).returncode == 1  # PATH not yet learned
    subprocess.run([*interpdb, "-q", "list"], env=env, check=True, capture_output=True)
    found = subprocess.run([*interpdb, "find", "3.12"], env=env, capture_output=True, text=True, check=True)
    prototype = subprocess.run(floor, env=env, capture_output=True, text=True, check=True)
    answers = {os.path.realpath(done.stdout.strip()) for done in (prototype, found)}
    assert answers == {os.path.realpath(pythons[1])}


def test_the_list_floor_writes_the_bytes_list_writes(tmp_path: Path, make_venv: Callable[..., Path]) -> None:
    """scripts/floor_list.py (bench rows 4g/4h, the floor of a long ``list``) writes exactly what
    ``list --no-discover --format json`` writes for a store of fresh venvs, and refuses (exit 1)
    once one is stale, where interpdb would probe: its figures are for the same work."""
    venvs = [make_venv(f"v{i}") for i in range(3)]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "INTERPDB_DB": str(tmp_path / "interpdb.sqlite3"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    interpdb = [sys.executable, "-m", "interpdb"]
    subprocess.run([*interpdb, "-q", "probe", *map(str, venvs)], env=env, check=True, capture_output=True)
    listed = subprocess.run(
        [*interpdb, "list", "--no-discover", "--format", "json"], env=env, capture_output=True, check=True
    )
    floor = [sys.executable, str(BENCH.with_name("floor_list.py"))]
    prototype = subprocess.run(floor, env=env, capture_output=True, check=True)
    assert len(json.loads(listed.stdout)) == 3 and prototype.stdout == listed.stdout
    (site,) = (venvs[1].parent.parent / "lib").glob("python*/site-packages")
    (site / "extra.pth").write_text("/nowhere\n")
    assert subprocess.run(floor, env=env, capture_output=True).returncode == 1
