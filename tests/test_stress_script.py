"""scripts/stress.py runs its short loops end to end and reports zero tracebacks, leaks and losses.

Behaviour only: one zoo round and one small concurrent batch (the long loops are the
script's business, its timings too).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_one_zoo_round_and_a_concurrent_batch_report_zeroes() -> None:
    """Every hostile interpreter answered in one JSON document; nothing left running, lost or traced."""
    done = subprocess.run(
        [sys.executable, str(STRESS), "--quick", "--only", "zoo,concurrent", "--rounds", "1", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = _figures(done.stdout)
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
    done = subprocess.run(
        [sys.executable, str(STRESS), "--quick", "--only", "kills", "--kills", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = _figures(done.stdout)
    assert figures["commands"] >= 6
    for name in ("failures", "rows lost", "processes left", "tracebacks"):
        assert figures[name] == 0, done.stdout
    assert "4 SIGKILLs" in done.stdout and "result: ok" in done.stdout
