"""docs/schema.md: every example query runs and answers its question; every table, view and column is described."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli

from interpdb import hostid, schema_docs
from interpdb.cli import cli
from interpdb.location import resolve
from interpdb.store import gate
from interpdb.store.write import Store

SCHEMA_MD = Path(__file__).resolve().parent.parent / "docs" / "schema.md"


def sql_blocks() -> dict[str, str]:
    """``{title: sql}``: every fenced ``sql`` block, titled by its first comment line."""
    blocks = re.findall(r"```sql\n(.*?)```", SCHEMA_MD.read_text(), flags=re.DOTALL)
    titled = {}
    for block in blocks:
        first = block.splitlines()[0]
        assert first.startswith("-- "), f"an example must open with a -- comment saying what it answers: {block}"
        titled[first[3:]] = block
    assert len(titled) == len(blocks), "two examples share a title"
    return titled


class Inventory:
    """A database the CLI filled: a base Python, two venvs (one re-probed after a .pth appeared), a broken one."""

    def __init__(self, run: Cli, base: Path, a: Path, b: Path, broken: Path) -> None:
        self.run, self.base, self.a, self.b, self.broken = run, base, a, b, broken
        self.a_record = run.json("show", a)
        self.a_site = next(p for p in self.a_record["sys_path"] if p.endswith("site-packages"))
        self.base_is_venv = bool(run.json("show", base)["is_venv"])

    def query(self, sql: str, **params: str) -> list[dict[str, Any]]:
        """Through stdin (``interpdb sql -``), as a block pasted from the docs would go."""
        args = [arg for name, value in params.items() for arg in ("--param", f"{name}={value}")]
        result = self.run.runner.invoke(cli, ["sql", "-", "--format", "json", *args], input=sql)
        assert result.exit_code == 0, (sql, result.stderr)
        rows: list[dict[str, Any]] = json.loads(result.stdout)
        return rows


@pytest.fixture
def inventory(
    run: Cli,
    db_path: Path,
    base_python: Path,
    make_venv: Callable[..., Path],
    fake: Callable[[str, str], Path],
) -> Inventory:
    a, b = make_venv("a"), make_venv("b")
    broken = fake("broken", "exit 3")
    run("probe", base_python, a, b, broken, code=1)
    [site] = [p for p in run.json("probe", a)[0]["site_packages"] if p.startswith(str(a.parent.parent))]
    (Path(site) / "extra.pth").write_text("/nowhere\n")
    assert run.json("probe", a)[0]["trigger"] == "changed"
    conn = sqlite3.connect(db_path)
    [(host_id, host)] = conn.execute("SELECT DISTINCT host_id, host FROM interpreters").fetchall()
    conn.close()
    store = Store.open(resolve(str(db_path)))
    store.add_sources(
        hostid.Host(host_id, host), {str(a): ["venv"], str(b): ["venv", "path"], str(base_python): ["pyenv"]}
    )
    store.close()
    return Inventory(run, base_python, a, b, broken)


def _expectations(inv: Inventory) -> dict[str, tuple[dict[str, str], Callable[[list[dict[str, Any]]], None]]]:
    """What the key examples must answer on the inventory: ``{title: (params, check)}``."""
    a, b, base, broken = str(inv.a), str(inv.b), str(inv.base), str(inv.broken)
    a_root = str(inv.a.parent.parent)

    def current(rows: list[dict[str, Any]]) -> None:
        assert sorted(r["path"] for r in rows) == sorted([a, b, base, broken])
        assert {r["path"]: r["outcome"] for r in rows}[broken] == "error"

    def on_sys_path(rows: list[dict[str, Any]]) -> None:
        assert [r["path"] for r in rows] == [a]
        assert rows[0]["position"] == inv.a_record["sys_path"].index(inv.a_site)

    def why(rows: list[dict[str, Any]]) -> None:
        assert [r["trigger"] for r in rows] == ["changed", "new"]
        [change] = json.loads(rows[0]["changes"])
        assert (change["role"], change["kind"], Path(change["path"]).name) == ("site-file", "added", "extra.pth")

    def what_changed(rows: list[dict[str, Any]]) -> None:
        assert [(r["trigger"], r["role"], r["kind"], Path(r["changed_path"]).name) for r in rows] == [
            ("changed", "site-file", "added", "extra.pth")
        ]

    def failed(rows: list[dict[str, Any]]) -> None:
        assert [(r["path"], r["outcome"]) for r in rows] == [(broken, "error")]

    def per_source(rows: list[dict[str, Any]]) -> None:
        assert rows == [
            {"source": "path", "interpreters": 1},
            {"source": "pyenv", "interpreters": 1},
            {"source": "venv", "interpreters": 2},
        ]

    def venvs(rows: list[dict[str, Any]]) -> None:
        assert [r["path"] for r in rows] == sorted([a, b])
        assert rows[0]["base_prefix"] == rows[1]["base_prefix"] != rows[0]["prefix"]

    def venv_bases(rows: list[dict[str, Any]]) -> None:
        expected = (
            [] if inv.base_is_venv else [{"venv": a, "base_interpreter": base}, {"venv": b, "base_interpreter": base}]
        )
        assert rows == expected

    def fingerprint(rows: list[dict[str, Any]]) -> None:
        roles = {r["role"] for r in rows}
        assert {"link", "executable", "pyvenv.cfg", "site-dir", "site-file", "host", "probe"} <= roles
        assert [r["position"] for r in rows] == list(range(len(rows)))
        assert {r["exists"] for r in rows} <= {0, 1}

    def revision(rows: list[dict[str, Any]]) -> None:
        assert rows == [{"version_num": gate.HEAD_REVISION}]

    here = {"dir": inv.a_site, "path": a}
    return {
        "The paths interpdb knows (what `interpdb list --all --aliases` shows), newest Python first.": (here, current),
        "Which interpreters have this directory on sys.path? (--param dir=/some/dir)": (here, on_sys_path),
        "Which interpreters have anything under this directory on sys.path?": (
            {"dir": a_root},
            lambda rows: assert_paths(rows, [a]),
        ),
        "Which interpreters ever had this directory on sys.path, and when was it last seen there?": (
            here,
            lambda rows: assert_paths(rows, [a]),
        ),
        "When and why was this interpreter (re-)probed? (--param path=/usr/bin/python3)": (here, why),
        "What changed on disk before each re-probe of this interpreter, one row per change.": (here, what_changed),
        "Probes that failed in the last week.": (here, failed),
        "How many interpreters each discovery source found.": (here, per_source),
        "Virtual environments and the installation each is based on.": (here, venvs),
        "Each venv with the known base interpreters whose prefix is its base prefix.": (here, venv_bases),
        'The current fingerprint of one interpreter ("exists" needs its quotes).': (here, fingerprint),
        "Which schema revision is this database at?": (here, revision),
        # One host here (tests/test_fleet.py runs both on several): no 3.8 among these,
        # and `a` was re-probed once, because a file changed.
        "Fleet: hosts that still have a Python 3.8, and where.": (here, lambda rows: _no_38(rows, inv)),
        "Fleet: interpreters re-probed this week (their fingerprint changed, and they were run), per host.": (
            {"since": "2000-01-01"},
            lambda rows: _assert_equal([(r["host"], r["reprobed"]) for r in rows], [(os.uname().nodename, 1)]),
        ),
    }


def _no_38(rows: list[dict[str, Any]], inv: Inventory) -> None:
    assert not inv.a_record["version"].startswith("3.8.")
    assert rows == []


def _assert_equal(got: object, expected: object) -> None:
    assert got == expected


def assert_paths(rows: list[dict[str, Any]], paths: list[str]) -> None:
    assert [r["path"] for r in rows] == paths


def test_every_example_query_runs_and_the_key_ones_answer_right(inventory: Inventory) -> None:
    """Each ```sql block of docs/schema.md through `interpdb sql`, on a database the CLI filled."""
    blocks = sql_blocks()
    expectations = _expectations(inventory)
    assert set(expectations) <= set(blocks), f"examples renamed or gone: {set(expectations) - set(blocks)}"
    for title, sql in blocks.items():
        params, check = expectations.get(title, ({"dir": inventory.a_site, "path": str(inventory.a)}, None))
        used = {name: params[name] for name in re.findall(r"(?<![:\w]):(\w+)", sql)}
        rows = inventory.query(sql, **used)
        if check is not None:
            try:
                check(rows)
            except AssertionError as error:
                raise AssertionError(f"{title}: {rows}") from error


def test_every_table_view_and_column_is_described(run: Cli, db_path: Path, base_python: Path) -> None:
    run("probe", base_python)
    text = SCHEMA_MD.read_text()
    conn = sqlite3.connect(db_path)
    try:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
            )
        ]
        columns = {name: [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')] for name in names}
    finally:
        conn.close()
    assert {"interpreters_current", "probe_audit", "current_sys_path"} <= set(names)
    assert sorted(names) == sorted(r.name for r in schema_docs.RELATIONS), "interpdb/schema_docs.py is not the schema"
    for name in names:
        assert f"### `{name}`" in text, f"docs/schema.md has no section for {name}"
        described = schema_docs.relation(name).column_names()
        assert sorted(described) == sorted(columns[name]), f"{name}: interpdb/schema_docs.py lists other columns"
        for column in columns[name]:
            assert f"`{column}`" in text or f'`"{column}"`' in text, f"{name}.{column} is not described"


def test_the_generated_parts_of_docs_schema_md_are_up_to_date() -> None:
    """Sections and examples come from interpdb/schema_docs.py (run scripts/update_schema_docs.py after a change)."""
    text = SCHEMA_MD.read_text()
    assert sorted(schema_docs.blocks_in(text)) == sorted([*(r.name for r in schema_docs.RELATIONS), "examples"])
    assert schema_docs.update_markdown(text) == text, "docs/schema.md is stale: run scripts/update_schema_docs.py"
    assert list(sql_blocks().values())[1:] == [e.sql for e in schema_docs.EXAMPLES]


def test_example_names_are_not_table_names() -> None:
    """Datasette serves a canned query in place of a table of the same name."""
    names = [e.name for e in schema_docs.EXAMPLES]
    assert len(set(names)) == len(names)
    assert not set(names) & {r.name for r in schema_docs.RELATIONS}
    assert all(e.title for e in schema_docs.EXAMPLES)


def test_every_key_of_the_probe_document_is_described(run: Cli, base_python: Path) -> None:
    run("probe", base_python)
    data = json.loads(run.probes()[0]["data"])
    text = SCHEMA_MD.read_text()
    missing = [key for key in data if f"`{key}`" not in text]
    assert missing == [], f"probes.data keys not in docs/schema.md: {missing}"
