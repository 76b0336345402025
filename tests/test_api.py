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


def test_an_id_is_an_int_or_digits_and_a_bad_argument_is_an_inventory_error(tmp_path: Path, base_python: Path) -> None:
    """``resolve_ref(1)`` raised AttributeError ('int' object has no attribute 'isascii'),
    and ``history(limit=-1)`` listed everything (SQLite's LIMIT -1)."""
    import pytest

    from interpdb import Inventory, InventoryError

    with Inventory(db=tmp_path / "api.sqlite3") as inventory:  # a Path, as a tool holds one
        [record] = inventory.probe([str(base_python)]).records
        assert inventory.resolve_ref(record.id).path == inventory.resolve_ref(str(record.id)).path == str(base_python)
        assert len(inventory.history(ref=record.id)) == 1
        for limit in (0, -1, 1.5, True):
            with pytest.raises(InventoryError, match="limit must be a whole number of at least 1"):
                inventory.history(limit=limit)  # type: ignore[arg-type]
        with pytest.raises(InventoryError, match="by its id or its path"):
            inventory.resolve_ref(None)  # type: ignore[arg-type]
        # find(None) raised AttributeError ('NoneType' object has no attribute 'strip').
        with pytest.raises(InventoryError, match="request must be text"):
            inventory.find(None, discover=False)  # type: ignore[arg-type]
        with pytest.raises(InventoryError, match="implementation must be text"):
            inventory.find("3", implementation=3, discover=False)  # type: ignore[arg-type]
        assert inventory.find(discover=False)[0] is not None  # no request: any, as the CLI's default
