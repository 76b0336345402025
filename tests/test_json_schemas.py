"""Every JSON document interpdb prints validates against the schema `interpdb schema NAME` publishes, on real
interpreters: good records, failed and missing ones, forgotten ones, history with --diff; both through click and
through the click-free fast path. And the schemas are strict enough to catch a broken output."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import PYENV_ROOT, PYTHONS, Cli

from interpdb import json_schemas
from interpdb.records import OUTCOMES, STATUSES, TRIGGERS

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a test dependency: pip install -e '.[test]'")

INTERPDB = Path(sys.executable).parent / "interpdb"


def validator(name: str, run: Cli) -> Any:
    """The validator of the schema as the command prints it."""
    published = json.loads(run("schema", name).stdout)
    jsonschema.Draft202012Validator.check_schema(published)
    return jsonschema.Draft202012Validator(published)


def assert_valid(run: Cli, name: str, document: Any) -> None:
    errors = sorted(validator(name, run).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def fast(*args: str | os.PathLike[str], code: int = 0) -> Any:
    """The installed console script, as a tool calls it (the warm forms take the click-free path)."""
    result = subprocess.run([str(INTERPDB), *map(str, args)], capture_output=True, text=True, timeout=120)
    assert result.returncode == code, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.fixture
def inventory(
    run: Cli, base_python: Path, make_venv: Callable[..., Path], fake: Callable[[str, str], Path], tmp_path: Path
) -> dict[str, Path]:
    """A base Python, Python 2.7 where there is one, a venv re-probed after a .pth appeared, a broken interpreter,
    one that disappeared and a forgotten one."""
    venv, gone, hidden = make_venv("a"), make_venv("gone"), make_venv("hidden")
    broken = fake("broken", "exit 3")
    paths = [base_python, venv, gone, hidden, broken]
    if "2.7" in PYTHONS:
        paths.append(PYTHONS["2.7"])
    run("probe", *paths, code=1)
    [site] = [p for p in run.json("probe", venv)[0]["site_packages"] if p.startswith(str(tmp_path))]
    (Path(site) / "extra.pth").write_text(str(tmp_path) + "\n")
    assert run.json("probe", venv)[0]["trigger"] == "changed"
    gone.unlink()
    assert run.json("probe", gone, code=1)[0]["status"] == "missing"
    run("forget", hidden)
    return {"base": base_python, "venv": venv, "gone": gone, "hidden": hidden, "broken": broken}


def test_the_schemas_are_valid_and_standalone(run: Cli) -> None:
    """Each printed schema is a Draft 2020-12 schema whose every $ref resolves inside it."""
    listed = [line.split()[0] for line in run("schema").stdout.splitlines()]
    assert listed == list(json_schemas.NAMES)
    for name in json_schemas.NAMES:
        published = json.loads(run("schema", name).stdout)
        assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(published)
        assert json_schemas._refs(published) <= set(published.get("$defs", {})), name
        assert published["title"].startswith(f"interpdb {name}")


def test_the_enums_are_the_code_s_values() -> None:
    """status, outcome and trigger name every value interpdb writes (the schemas are checked against the code)."""
    defs = json_schemas.schema("show")["$defs"]
    assert set(defs["record"]["properties"]["status"]["enum"]) == set(STATUSES)
    assert set(defs["outcome"]["enum"]) == set(OUTCOMES)
    assert set(defs["trigger"]["enum"]) == set(TRIGGERS)  # nothing import would refuse


def test_list_probe_find_and_show_validate(run: Cli, inventory: dict[str, Path]) -> None:
    """Records that are ok, failed, missing and forgotten, from both entry points."""
    listed = run.json("list", "--all", "--no-discover")
    assert {r["status"] for r in listed} >= {"cached", "error", "missing"}
    assert_valid(run, "list", listed)
    assert_valid(run, "list", run.json("list", "--all", "--no-discover", "--aliases"))
    assert_valid(run, "list", fast("list", "--format", "json", "--no-discover"))
    probed = run.json("probe", *inventory.values(), code=1)
    assert {r["status"] for r in probed} >= {"cached", "error", "missing"}
    assert_valid(run, "probe", probed)
    version = run.json("show", inventory["base"])["version"]
    line = ".".join(version.split(".")[:2])
    assert_valid(run, "find", run.json("find", line, "--no-discover"))
    assert_valid(run, "find", fast("find", line, "--format", "json", "--no-discover"))
    for name in ("base", "venv", "broken"):
        code = 1 if name == "broken" else 0
        document = run.json("show", inventory[name], code=code)
        assert document["probes"], name
        assert_valid(run, "show", document)


def test_a_real_list_of_this_machine_validates(run: Cli) -> None:
    """Whatever discovery finds here (pyenv, its shims, the system Pythons) prints valid records."""
    records = run.json("list", "--all", code=None)
    assert records
    assert_valid(run, "list", records)
    every_path = run.json("list", "--all", "--aliases", "--no-discover", code=None)
    assert_valid(run, "list", every_path)
    if (PYENV_ROOT / "shims" / "python3").exists():
        assert any(r["launcher"] for r in every_path), "pyenv's shims are not described as launchers"


def test_history_validates_with_and_without_diff(run: Cli, inventory: dict[str, Path]) -> None:
    events = run.json("history")
    assert {e["outcome"] for e in events} >= {"ok", "error", "missing", "forgotten"}
    assert {e["trigger"] for e in events} >= {"new", "changed", "forget"}
    assert_valid(run, "history", events)
    diffed = run.json("history", "--diff")
    assert any(e["diff"] for e in diffed), "no diff to check"
    assert all("diff_against" in e for e in diffed)
    assert_valid(run, "history", diffed)
    assert_valid(run, "history", fast("history", inventory["venv"], "--format", "json", "--diff"))


def test_sql_and_export_validate(run: Cli, inventory: dict[str, Path]) -> None:
    query = "SELECT i.id, p.id, i.path, p.duration_ms, p.is_venv FROM interpreters i JOIN probes p"
    query += " ON p.interpreter_id = i.id"
    rows = run.json("sql", query)
    assert rows and "id_2" in rows[0]
    assert_valid(run, "sql", rows)
    assert_valid(run, "sql", fast("sql", query, "--format", "json"))
    document = json.loads(run("export").stdout)
    assert {p["outcome"] for i in document["interpreters"] for p in i["probes"]} >= {"ok", "error", "missing"}
    assert_valid(run, "export", document)


def test_the_schemas_catch_a_broken_output(run: Cli, inventory: dict[str, Path]) -> None:
    """A key removed, a type changed or an unknown status fails; a key added to a record does not (the policy), but
    one added to an export does (import refuses it)."""
    [record] = run.json("probe", inventory["venv"])
    check = validator("probe", run)
    assert check.is_valid([record])
    assert check.is_valid([dict(record, a_new_key="fine")])
    broken = [
        {k: v for k, v in record.items() if k != "sys_path"},
        dict(record, id=str(record["id"])),
        dict(record, status="fresh"),
        dict(record, trigger="because"),
        dict(record, version=None),  # an ok probe has a version
        dict(record, probed_at="2026-01-01 10:00:00"),
        dict(record, stale_changes=[{"role": "site-file", "path": "/x", "kind": "edited", "fields": []}]),
    ]
    for wrong in broken:
        assert not check.is_valid([wrong]), wrong
    [event] = run.json("history", inventory["venv"], "--diff", "--limit", "1")
    history = validator("history", run)
    assert history.is_valid([event])
    assert not history.is_valid([{k: v for k, v in event.items() if k != "diff_against"}])
    assert not history.is_valid([dict(event, diff=[dict(event["diff"][0], kind="swapped")])])
    document = json.loads(run("export").stdout)
    export = validator("export", run)
    assert export.is_valid(document)
    extra = copy.deepcopy(document)
    extra["interpreters"][0]["probes"][0]["new_field"] = 1
    assert not export.is_valid(extra)
    assert not export.is_valid(dict(document, schema_version=3))


def test_hosts_validates(run: Cli, inventory: dict[str, Path]) -> None:
    document = run.json("hosts")
    assert document["hosts"] and document["hosts"][0]["current"] is True
    assert_valid(run, "hosts", document)


def test_discover_and_prune_validate(run: Cli, inventory: dict[str, Path], tmp_path: Path) -> None:
    """`discover` and `prune` print records too: each has its published schema, and their real
    output (and each ndjson line) validates against it."""
    discovered = run.json("discover", "--source", "venv", "--scan", inventory["venv"].parent.parent.parent)
    assert any(r["path"] == str(inventory["venv"]) for r in discovered)
    assert_valid(run, "discover", discovered)
    for line in run("discover", "--offline", "--format", "ndjson").stdout.splitlines():
        assert_valid(run, "discover", [json.loads(line)])
    pruned = run.json("prune", "--missing-for", "0s", "--dry-run")
    assert [(r["path"], r["status"], r["outcome"]) for r in pruned] == [(str(inventory["gone"]), "missing", "missing")]
    assert_valid(run, "prune", pruned)
    assert_valid(run, "prune", run.json("prune", "--missing-for", "0s"))
