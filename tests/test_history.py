"""``interpdb history`` as an audit log: ``--diff`` of the probe answers, who asked, filters."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import Cli, python_for

from interpdb import __version__
from interpdb.diff import DiffItem, diff_probe_data

#: Each test that uses ``run`` runs on SQLite and on a PostgreSQL server (``conftest.py``).
pytestmark = pytest.mark.backends


def _site_packages(record: dict[str, Any]) -> Path:
    return Path(next(p for p in record["site_packages"] if p.startswith(record["prefix"])))


def _latest(run: Cli, *args: str | Path) -> dict[str, Any]:
    events: list[dict[str, Any]] = run.json("history", "--diff", *args)
    return events[0]


# -- the CLI, on real interpreters --------------------------------------------------------


def test_pth_addition_is_a_sys_path_addition(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    """A ``.pth`` naming a directory shows as ``sys.path + DIR`` in text and as an ``added`` item in JSON."""
    python = make_venv()
    [record] = run.json("probe", python)
    extra = tmp_path / "extra"
    extra.mkdir()
    (_site_packages(record) / "extra.pth").write_text(f"{extra}\n")
    [after] = run.json("probe", python)
    assert str(extra) in after["sys_path"]

    assert f"sys.path + {extra}" in run("history", "--diff", "--wide").stdout
    latest = _latest(run, python)
    assert latest["diff_against"] == run.probes(python)[0]["id"]
    assert latest["diff"] == [
        {
            "field": "sys.path",
            "kind": "added",
            "value": str(extra),
            "old": None,
            "new": after["sys_path"].index(str(extra)),
        }
    ]


def test_wide_and_csv_name_every_change_the_narrow_table_counts_them(run: Cli, make_venv: Callable[..., Path]) -> None:
    """Three site files added: the narrow ``changed`` cell is the first and a count; --wide
    and CSV promised each role and path, and gave the first and "(+2 more)" too."""
    import csv
    import io

    python = make_venv()
    [record] = run.json("probe", python)
    site = _site_packages(record)
    for name in ("a.pth", "b.pth", "sitecustomize.py"):
        (site / name).write_text("")
    run("list", "--no-discover")
    assert run("history", python, "--limit", "1").stdout.splitlines()[2].endswith("a.pth added (+2 more)")
    every = "; ".join(f"site-file added: {site / name}" for name in ("a.pth", "b.pth", "sitecustomize.py"))
    [row] = list(csv.DictReader(io.StringIO(run("history", python, "--limit", "1", "--format", "csv").stdout)))
    assert row["changed"] == every
    assert every in run("history", python, "--limit", "1", "--wide").stdout


def test_include_system_site_packages_flip_adds_the_base_site_packages(
    run: Cli, make_venv: Callable[..., Path], base_python: Path
) -> None:
    """Turning on include-system-site-packages in pyvenv.cfg shows the base's site-packages added to sys.path."""
    python = make_venv()
    run("probe", python)
    cfg = python.parent.parent / "pyvenv.cfg"
    cfg.write_text(
        cfg.read_text().replace("include-system-site-packages = false", "include-system-site-packages = true")
    )
    run("probe", python)
    base_site = subprocess.run(
        [str(base_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()

    diff = _latest(run, python)["diff"]
    added = [item["value"] for item in diff if item["field"] == "sys.path" and item["kind"] == "added"]
    assert base_site in added
    assert {
        "field": "pyvenv_cfg.values.include-system-site-packages",
        "kind": "changed",
        "value": None,
        "old": "false",
        "new": "true",
    } in diff
    text = run("history", "--diff", "--wide", python).stdout
    assert f"sys.path + {base_site}" in text
    assert "pyvenv_cfg.values.include-system-site-packages false -> true" in text


def test_retargeted_symlink_shows_the_version_change(run: Cli, tmp_path: Path) -> None:
    """A symlink moved from one Python to another shows ``version A -> B`` first in its diff."""
    old_python, new_python = python_for("3.11"), python_for("3.12")
    link = tmp_path / "python"
    link.symlink_to(old_python)
    [before] = run.json("probe", link)
    link.unlink()
    link.symlink_to(new_python)
    [after] = run.json("probe", link)
    assert before["version"] != after["version"]

    diff = _latest(run, link)["diff"]
    assert diff[0] == {
        "field": "version",
        "kind": "changed",
        "value": None,
        "old": before["version"],
        "new": after["version"],
    }
    assert f"version {before['version']} -> {after['version']}" in run("history", "--diff", "--wide", link).stdout


def test_first_probe_diffs_against_nothing(run: Cli, make_venv: Callable[..., Path]) -> None:
    """The first probe of an interpreter has an empty diff against no probe, and says ``(first probe)``."""
    python = make_venv()
    run("probe", python)
    latest = _latest(run, python)
    assert (latest["diff"], latest["diff_against"]) == ([], None)
    assert "(first probe)" in run("history", "--diff", "--wide").stdout


def test_unchanged_answer_says_no_change(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A forced re-probe that learns nothing new has an empty diff against the previous probe: ``(no change)``."""
    python = make_venv()
    run("probe", python)
    run("probe", python, "--refresh")
    latest = _latest(run, python)
    assert latest["diff"] == [] and latest["diff_against"] is not None
    assert "(no change)" in run("history", "--diff", "--wide", "--limit", "1").stdout


def test_limit_still_diffs_against_the_probe_before_the_window(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """``--limit 1`` shows one event, compared with its previous ok probe even though that row is not shown."""
    python = make_venv()
    [record] = run.json("probe", python)
    (_site_packages(record) / "extra.pth").write_text(f"{tmp_path}\n")
    run("probe", python)
    [event] = run.json("history", "--diff", "--limit", "1")
    assert event["diff_against"] == run.probes(python)[0]["id"]
    assert [(d["field"], d["kind"], d["value"]) for d in event["diff"]] == [("sys.path", "added", str(tmp_path))]


def test_error_probe_shows_its_error_and_no_diff(run: Cli, fake: Callable[[str, str], Path], base_python: Path) -> None:
    """A failed probe has no answer: empty diff against nothing, its error shown, even after an ok probe."""
    python = fake("python", f'exec "{base_python}" "$@"')
    run("probe", python)
    python.write_text("#!/bin/sh\necho 'cannot start' >&2\nexit 3\n")
    run("probe", python, code=1)
    error = run.probes(python)[-1]["error"]
    assert error and "cannot start" in error

    latest = _latest(run, python)
    assert (latest["outcome"], latest["error"], latest["diff"], latest["diff_against"]) == ("error", error, [], None)
    table = run("history", "--diff", "--wide", "--limit", "1").stdout
    [line] = [line for line in table.splitlines() if "cannot start" in line]
    assert "->" not in line and "(first probe)" not in line and "(no change)" not in line


def test_outcome_filter(run: Cli, fake: Callable[[str, str], Path], base_python: Path) -> None:
    """``--outcome error`` shows only failures; the option repeats."""
    broken = fake("broken", "exit 1")
    run("probe", base_python, broken, code=1)
    failures = run.json("history", "--outcome", "error")
    assert [(e["path"], e["outcome"]) for e in failures] == [(str(broken), "error")]
    assert [e["outcome"] for e in run.json("history", "--outcome", "ok")] == ["ok"]
    assert len(run.json("history", "--outcome", "ok", "--outcome", "error")) == 2
    assert run.json("history", "--outcome", "missing") == []
    assert run("history", "--outcome", "fine", code=2).exit_code == 2


def test_host_filter(run: Cli, base_python: Path) -> None:
    """``--host`` keeps that host's probes; an unknown host has none (and says so), not an error."""
    run("probe", base_python)
    assert len(run.json("history", "--host", socket.gethostname())) == 1
    assert run.json("history", "--host", "no-such-host") == []
    result = run("history", "--host", "no-such-host")
    assert result.stdout == ""
    assert "no probes recorded that match" in result.stderr


def test_asked_by_and_interpdb_columns(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A wide table shows who asked (the command line) and which interpdb probed; a narrow one leaves them out."""
    python = make_venv("a-venv-with-a-rather-long-name-so-the-command-is-shortened")
    run("probe", python)
    command = f"interpdb probe {python}"
    [event] = run.json("history")
    assert (event["command"], event["interpdb_version"]) == (command, __version__)

    header, _rule, row = run("history", "--wide").stdout.splitlines()
    assert "asked by" in header and "interpdb" in header
    assert command in row and __version__ in row
    header, _rule, row = run("history").stdout.splitlines()  # 80 columns: not a terminal, no COLUMNS
    assert "asked by" not in header and "interpdb" not in header
    assert max(len(line) for line in (header, row)) <= 80


# -- diff_probe_data ------------------------------------------------------------------------


def test_diff_nothing_to_compare() -> None:
    """Either side missing (first probe, failed probe) is an empty diff, not everything added."""
    assert diff_probe_data(None, {"python_version": "3.12.1"}) == []
    assert diff_probe_data({"python_version": "3.12.1"}, None) == []


def test_diff_sys_path_moved_is_relative_order() -> None:
    """An entry is moved when its order among shared entries changed; an insertion does not move the rest."""
    old = {"sys_path": ["/a", "/b", "/c", "/d", "/e", "/f"]}
    new = {"sys_path": ["/front", "/a", "/b", "/d", "/e", "/f", "/c"]}
    assert diff_probe_data(old, new) == [
        DiffItem("sys.path", "added", value="/front", new=0),
        DiffItem("sys.path", "moved", value="/c", old=2, new=6),
    ]
    assert [str(i) for i in diff_probe_data(old, new)] == ["sys.path + /front", "sys.path ~ /c (2 -> 6)"]


def test_diff_sys_path_removed_and_repeated_entries() -> None:
    """A path listed twice counts twice: dropping the second copy is one removal, listed before additions."""
    old = {"sys_path": ["/a", "/b", "/a"]}
    new = {"sys_path": ["/a", "/b", "/z"]}
    assert [str(i) for i in diff_probe_data(old, new)] == ["sys.path - /a", "sys.path + /z"]
    assert diff_probe_data(old, new)[0] == DiffItem("sys.path", "removed", value="/a", old=2)


def test_diff_markers_per_key() -> None:
    """Markers differ key by key: changed ones as old -> new, new keys as added."""
    old = {"markers": {"platform_release": "6.1", "os_name": "posix"}}
    new = {"markers": {"platform_release": "6.2", "os_name": "posix", "extra_marker": "x"}}
    assert [str(i) for i in diff_probe_data(old, new)] == [
        "markers.extra_marker + x",
        "markers.platform_release 6.1 -> 6.2",
    ]


def test_diff_versions_and_redundant_fields() -> None:
    """The version comes first; CPython's identical implementation_version, version_info and the build
    string that follows a version change are not repeated; a rebuild of the same version shows its build."""
    old = {
        "python_version": "3.12.0",
        "implementation_version": "3.12.0",
        "version_info": [3, 12, 0, "final", 0],
        "sys_version": "3.12.0 (main)",
        "executable": "/x/python",
        "is_venv": False,
    }
    new = dict(old, python_version="3.12.1", implementation_version="3.12.1", version_info=[3, 12, 1, "final", 0])
    new.update(sys_version="3.12.1 (main)", is_venv=True)
    assert [str(i) for i in diff_probe_data(old, new)] == ["version 3.12.0 -> 3.12.1", "is_venv false -> true"]
    rebuilt = dict(old, sys_version="3.12.0 (main, rebuilt)\n[GCC 13]")
    assert [str(i) for i in diff_probe_data(old, rebuilt)] == [
        "sys_version 3.12.0 (main) -> 3.12.0 (main, rebuilt)\\n[GCC 13]"
    ]
    pypy_old = {"python_version": "3.10.14", "implementation_version": "7.3.16"}
    pypy_new = {"python_version": "3.10.14", "implementation_version": "7.3.17"}
    assert [str(i) for i in diff_probe_data(pypy_old, pypy_new)] == ["implementation_version 7.3.16 -> 7.3.17"]


def test_diff_tables_that_appear_and_unordered_tags() -> None:
    """A pyvenv.cfg that appears lists its values as added; manylinux tags are a set (no moves)."""
    old = {"pyvenv_cfg": None, "manylinux": {"glibc": "2.36", "tags": ["t1", "t2"]}}
    new = {
        "pyvenv_cfg": {"path": "/v/pyvenv.cfg", "values": {"home": "/usr/bin"}},
        "manylinux": {"glibc": "2.36", "tags": ["t2", "t1", "t3"]},
    }
    assert [str(i) for i in diff_probe_data(old, new)] == [
        "pyvenv_cfg.path + /v/pyvenv.cfg",
        "pyvenv_cfg.values.home + /usr/bin",
        "manylinux.tags + t3",
    ]


def test_diff_item_json_shape() -> None:
    """Every item has the same five keys, whatever its kind."""
    items = diff_probe_data({"prefix": "/old", "sys_path": ["/a", "/b"]}, {"prefix": "/new", "sys_path": ["/b", "/a"]})
    assert [i.to_json() for i in items] == [
        {"field": "prefix", "kind": "changed", "value": None, "old": "/old", "new": "/new"},
        {"field": "sys.path", "kind": "moved", "value": "/a", "old": 0, "new": 1},
    ]
