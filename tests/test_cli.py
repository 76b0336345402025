"""The commands' surface: help, show, history, formats, exit codes and one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Callable

import pytest
from conftest import Cli

from interpdb.cli import COMMANDS as LAZY_COMMANDS
from interpdb.cli import cli

#: Each test that uses ``run`` runs on SQLite and on a PostgreSQL server (``conftest.py``).
pytestmark = pytest.mark.backends

COMMANDS = sorted(LAZY_COMMANDS)


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(run: Cli, command: list[str]) -> None:
    result = run(*command, "--help")
    assert "Usage:" in result.stdout
    assert run.count() == 0


def _every_command_line() -> list[list[str]]:
    import click

    lines: list[list[str]] = [[]]
    for name in COMMANDS:
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        lines.append([name])
        if isinstance(command, click.Group):
            lines += [[name, sub] for sub in command.list_commands(None)]  # type: ignore[arg-type]
    return lines


def test_help_fits_80_columns_and_lists_commands_whole() -> None:
    """In an 80-column terminal no help line wraps, and no command's summary is cut short."""
    from conftest import cli_runner

    runner = cli_runner()
    too_wide, cut = [], []
    for line in _every_command_line():
        result = runner.invoke(cli, [*line, "--help"], terminal_width=80)
        assert result.exit_code == 0, (line, result.output)
        too_wide += [(line, text) for text in result.stdout.splitlines() if len(text) > 80]
        listing = result.stdout.partition("\nCommands:\n")[2]
        cut += [(line, text) for text in listing.splitlines() if text.endswith("...")]
    assert len(_every_command_line()) > len(COMMANDS) + 5  # db's subcommands are in
    assert too_wide == [] and cut == []


def test_every_lazy_command_loads_and_is_listed(run: Cli) -> None:
    """The lazy registry names real click commands, and --help lists every one."""
    listing = run("--help").stdout
    for name in LAZY_COMMANDS:
        assert cli.get_command(None, name) is not None  # type: ignore[arg-type]
        assert f"  {name} " in listing


def test_show_has_facts_sys_path_fingerprint_and_probes(run: Cli, make_venv: Callable[..., Path]) -> None:
    python = make_venv()
    [record] = run.json("probe", python)
    document = run.json("show", str(record["id"]))
    assert document["schema_version"] == 1
    assert document["path"] == str(python)
    assert document["sys_path"] == record["sys_path"]
    roles = {e["role"] for e in document["fingerprint"]}
    assert {"link", "executable", "pyvenv.cfg", "site-dir", "host", "probe"} <= roles
    assert all(e["matches"] for e in document["fingerprint"])
    assert [p["trigger"] for p in document["probes"]] == ["new"]
    text = run("show", python).stdout
    assert "sys.path" in text and "fingerprint" in text and "latest probes" in text
    assert run.count() == 1


def test_show_offline_reports_which_entries_no_longer_match(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    python = make_venv()
    run("probe", python)
    cfg = python.parent.parent / "pyvenv.cfg"
    cfg.write_text(cfg.read_text() + "\n# edited\n")
    document = run.json("show", python, "--offline")
    assert document["status"] == "stale"
    mismatched = [e["path"] for e in document["fingerprint"] if not e["matches"]]
    assert mismatched == [str(cfg)]
    assert run.count() == 1


def test_show_unknown_id_is_a_one_line_error(run: Cli) -> None:
    result = run("show", "42", code=1)
    assert result.stderr.strip().count("\n") == 0
    assert "no interpreter '42'" in result.stderr


def test_history_filters(run: Cli, make_venv: Callable[..., Path]) -> None:
    a, b = make_venv("a"), make_venv("b")
    run("probe", a, b)
    run("probe", a, "--refresh")
    events = run.json("history")
    # Newest first; the two probes of one command are stamped as each finished, in either order.
    assert (events[0]["path"], events[0]["trigger"]) == (str(a), "refresh")
    assert sorted((e["path"], e["trigger"]) for e in events[1:]) == [(str(a), "new"), (str(b), "new")]
    assert all(e["outcome"] == "ok" and e["duration_ms"] > 0 for e in events)
    assert events[0]["command"].startswith("interpdb")
    assert [e["trigger"] for e in run.json("history", a)] == ["refresh", "new"]
    assert [e["path"] for e in run.json("history", "--trigger", "refresh")] == [str(a)]
    assert len(run.json("history", "--limit", "1")) == 1
    assert len(run.json("history", "--since", "1h")) == 3
    assert run.json("history", "--since", "2999-01-01") == []
    result = run("history", "--since", "yesterday-ish", code=2)
    assert "neither a duration" in result.stderr


def test_history_shows_what_changed(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    python = make_venv()
    [record] = run.json("probe", python)
    site = next(p for p in record["site_packages"] if p.startswith(record["prefix"]))
    Path(site, "new.pth").write_text(str(tmp_path))
    run("probe", python)
    latest = run.json("history", python)[0]
    assert latest["trigger"] == "changed"
    assert {"role": "site-file", "path": str(Path(site, "new.pth")), "kind": "added", "fields": []} in latest["changes"]
    table = run("history", python).stdout
    assert "new.pth added" in table  # the narrow table names the file; --wide gives role and path
    assert f"site-file added: {Path(site, 'new.pth')}" in run("history", python, "--wide").stdout


def test_csv_and_tabulate_formats(run: Cli, base_python: Path) -> None:
    run("probe", base_python)
    rows = list(csv.DictReader(io.StringIO(run("list", "--no-discover", "--format", "csv").stdout)))
    assert rows[0]["path"] == str(base_python)
    assert rows[0]["status"] == "cached"
    assert "| path" in run("list", "--no-discover", "--format", "github").stdout
    result = run("list", "--format", "nonsense", code=2)
    assert "use table, json, ndjson, csv or a tabulate format" in result.stderr


def test_probe_exit_codes(run: Cli, fake: Callable[[str, str], Path], base_python: Path, tmp_path: Path) -> None:
    """1 when any path asked for fails, but every record is still printed."""
    broken = fake("python", "exit 1")
    result = run("probe", base_python, broken, tmp_path / "nope", "--format", "json", code=1)
    records = json.loads(result.stdout)
    assert [r["status"] for r in records] == ["probed", "error"]
    assert f"error: {tmp_path / 'nope'}: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_garbage_printing_interpreter_never_breaks_the_cli(run: Cli, fake: Callable[[str, str], Path]) -> None:
    python = fake("python", "printf '\\377\\376 binary junk {'")
    result = run("probe", python, code=1)
    assert "not a Python interpreter" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_max_age_is_a_usage_error(run: Cli) -> None:
    result = run("list", "--max-age", "soon", code=2)
    assert "not a duration" in result.stderr


def test_an_empty_path_or_id_is_a_usage_error(run: Cli) -> None:
    """``show ''`` answered for the working folder ("is a directory, not an interpreter")."""
    for command in (["show", ""], ["history", ""], ["forget", ""]):
        result = run(*command, code=2)
        assert "is empty: name an interpreter's path or its id" in result.stderr, command
    assert run.count() == 0


def test_show_refuses_csv(run: Cli, base_python: Path) -> None:
    """show is one document: CSV has no honest shape for it."""
    result = run("show", base_python, "--format", "csv", code=2)
    assert "prints one document, not rows: use json" in result.stderr
    assert run.count() == 0
    assert "csv" not in run("show", "--help").stdout
