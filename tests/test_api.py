"""The README's Python API example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- api-example: run by tests/test_api.py -->\n```python\n(.*?)```", text, re.S)
    assert match, "the README lost its API example"
    return match.group(1)


def test_readme_api_example_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", readme_example()], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("probed ")
    assert lines[1] != "no match"
    assert [line.split()[2] for line in lines[2:]] == ["refresh", "new"]
    assert (tmp_path / "interpdb-example.sqlite3").exists()
