"""scripts/bench.py runs end to end and prints its report: rows, ratios, targets.

Behaviour only, never timings (those are the script's business). The two cheapest
groups, with 20 scale venvs and few repetitions, keep this to a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
