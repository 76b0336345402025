"""The layout issue 8 asks for, held in place: one exceptions module, rows read by name,
and only the ``store`` package opening the database."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import interpdb
from interpdb import errors

PACKAGE = Path(interpdb.__file__).parent


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "_probe_script.py")


def test_every_expected_failure_is_defined_in_the_errors_module() -> None:
    """``errors.report`` words them all; a subclass kept elsewhere is a second exceptions module."""
    for info in pkgutil.walk_packages([str(PACKAGE)], "interpdb."):
        if info.name not in ("interpdb._probe_script", "interpdb.__main__"):
            importlib.import_module(info.name)
    found, todo = [], [errors.InventoryError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    assert {cls.__module__ for cls in found if cls.__module__.startswith("interpdb")} == {"interpdb.errors"}, [
        f"{cls.__module__}.{cls.__qualname__}" for cls in found
    ]


def test_rows_are_read_by_column_name_never_by_position() -> None:
    """``row[0]``, ``col[1]``: a positional read breaks silently when a column is added."""
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("row", "col", "column", "record")
                and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, int)
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []


def test_only_the_store_package_opens_the_database() -> None:
    """Every command goes through ``store.gate``: no other module connects on its own."""
    found = []
    for path in _modules():
        if path.parent.name == "store":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name)):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
                if name == "create_engine" or (name == "connect" and "sqlite3" in ast.unparse(node.func)):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == []
