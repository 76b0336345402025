"""scripts/stress.py runs its short loops end to end and reports zero tracebacks, leaks and losses.

Behaviour only: one zoo round and one small concurrent batch (the long loops are the
script's business, its timings too).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

STRESS = Path(__file__).resolve().parent.parent / "scripts" / "stress.py"


def _figures(stdout: str) -> dict[str, int]:
    lines = stdout[stdout.index("figures:") :].splitlines()[1:]
    found = {}
    for line in lines:
        words = line.split()
        for size in (2, 1):
            if len(words) > size and words[size].isdigit():
                found[" ".join(words[:size])] = int(words[size])
                break
    return found


def _ran(*args: str, timeout: int) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    """``scripts/stress.py ARGS``, which must exit 0, and the figures it printed."""
    done = subprocess.run([sys.executable, str(STRESS), *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done, _figures(done.stdout)


def test_one_zoo_round_and_a_concurrent_batch_report_zeroes() -> None:
    """Every hostile interpreter answered in one JSON document; nothing left running, lost or traced."""
    done, figures = _ran("--quick", "--only", "zoo,concurrent", "--rounds", "1", "--workers", "2", timeout=300)
    assert figures["commands"] >= 5 and figures["probes"] >= 19
    for name in ("failures", "rows lost", "processes left", "tracebacks"):
        assert figures[name] == 0, done.stdout
    assert "19 hostile interpreters" in done.stdout and "result: ok" in done.stdout


def test_an_unknown_section_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, str(STRESS), "--only", "zoo,nope"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "nope" in done.stderr and "concurrent" in done.stderr


def test_a_short_kills_round_loses_nothing() -> None:
    """Two rounds of SIGKILL (a first run, then a discover recording into the store): the next runs work."""
    done, figures = _ran("--quick", "--only", "kills", "--kills", "2", timeout=300)
    assert figures["commands"] >= 6
    for name in ("failures", "rows lost", "processes left", "tracebacks"):
        assert figures[name] == 0, done.stdout
    assert "4 SIGKILLs" in done.stdout and "result: ok" in done.stdout


@pytest.mark.slow
def test_a_short_fleet_run_loses_duplicates_and_touches_nothing() -> None:
    """4 simulated hosts, each probing its own venvs (one changed) and listing and reading every
    host's rows at once, on SQLite and on a throwaway PostgreSQL server: 0 lost, 0 duplicated,
    0 rows touched by another host, 0 errors. Under CI the server must have started."""
    done, figures = _ran("--quick", "--only", "fleet", "--hosts", "4", "--seconds", "1", timeout=900)
    for name in ("failures", "rows lost", "processes left", "tracebacks", "rows duplicated", "foreign touched"):
        assert figures[name] == 0, done.stdout
    assert "result: ok" in done.stdout
    assert re.search(r"fleet on sqlite: \d+ commands by 4 hosts .*, 0 lost, 0 duplicated", done.stdout), done.stdout
    on_postgres = re.search(r"fleet on postgresql: (.*)", done.stdout)
    assert on_postgres is not None, done.stdout
    if not on_postgres.group(1).startswith("not run") or os.environ.get("CI"):
        assert re.match(r"\d+ commands by 4 hosts .*, 0 lost, 0 duplicated", on_postgres.group(1)), done.stdout
    assert figures["commands"] >= 2 * 4 * 4, "each host ran each kind of command"
