"""``find`` checks fingerprints in rank order: the best stored match is judged, and only when it is
fresh does it answer; everything that could change the answer goes the exhaustive way."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, python_for
from test_warm_path import warm_db  # noqa: F401 (the fixture: a store that knows a few interpreters)

from interpdb import Inventory

REQUESTS = ["3.12", "3.11", "3", "any", ">=3.11,<3.13", "cpython@3.12", "python3.12", "3.12-64"]


def _site(run: Cli, python: Path) -> Path:
    prefix = str(python.parent.parent)
    return Path(next(p for p in run.json("show", python)["site_packages"] if p.startswith(prefix)))


@pytest.mark.parametrize("request_text", REQUESTS)
@pytest.mark.parametrize("allow_venv", [True, False])
def test_the_answer_is_the_exhaustive_answer(
    warm_db: dict[str, Path],  # noqa: F811 (the fixture imported above)
    db_path: Path,
    request_text: str,
    allow_venv: bool,
) -> None:
    """Same record, same aliases, same status as revalidating every interpreter first."""
    with Inventory(str(db_path)) as inventory:
        quick, _ = inventory.find(request_text, allow_venv=allow_venv)
        full, _ = inventory.find(request_text, allow_venv=allow_venv, exhaustive=True)
    assert quick is not None and full is not None
    assert quick.to_json() == full.to_json()


def test_only_the_best_matchs_paths_are_checked(
    warm_db: dict[str, Path],  # noqa: F811
    db_path: Path,
    run: Cli,
) -> None:
    """``considered`` is what was judged: the paths to the answer, not every known interpreter."""
    with Inventory(str(db_path)) as inventory:
        best, considered = inventory.find("3.12")
        _, everything = inventory.find("3.12", exhaustive=True)
    assert best is not None
    assert {r.path for r in considered.records} == {best.path, *best.aliases}
    assert len(everything.records) > len(considered.records)


def test_a_changed_best_match_is_reprobed(
    warm_db: dict[str, Path],  # noqa: F811
    db_path: Path,
    run: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The active venv ranks first; a .pth added to it makes find re-probe it before answering."""
    python = warm_db["venv"]
    monkeypatch.setenv("VIRTUAL_ENV", str(python.parent.parent))
    (_site(run, python) / "extra.pth").write_text(str(db_path.parent) + "\n")
    before = run.count(python)
    found = run.json("find", "3.12", "--format", "json")
    assert found["path"] == str(python)
    assert str(db_path.parent) in found["sys_path"]
    assert run.count(python) == before + 1


def test_a_changed_interpreter_ranked_lower_waits_for_list(
    warm_db: dict[str, Path],  # noqa: F811
    db_path: Path,
    run: Cli,
    make_venv: Callable[..., Path],
) -> None:
    """A venv that cannot be the answer (a base interpreter outranks it) is not probed by ``find``;
    ``list`` still re-probes it, so nothing stale is ever served as fresh."""
    python = warm_db["venv"]
    (_site(run, python) / "extra.pth").write_text(str(db_path.parent) + "\n")
    before = run.count()
    found = run.json("find", "3.12", "--format", "json")
    assert found["path"] == str(python_for("3.12")) or str(python_for("3.12")) in found["aliases"]
    assert found["status"] == "cached" and run.count() == before
    listed = {r["path"]: r for r in run.json("list", "--format", "json")}
    assert listed[str(python)]["status"] == "probed"
    assert run.count() == before + 1


def test_a_broken_interpreter_that_changed_goes_the_exhaustive_way(
    warm_db: dict[str, Path],  # noqa: F811
    db_path: Path,
    run: Cli,
    tmp_path: Path,
) -> None:
    """A stored failure whose file changed may work now (and outrank the rest): it is re-probed."""
    broken = tmp_path / "python3.99"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    run("probe", broken, code=1)
    broken.unlink()
    broken.symlink_to(python_for("3.11"))
    before = run.count(broken)
    run("find", "3.12")
    assert run.count(broken) == before + 1
    assert json.loads(run("find", "3.11", "--format", "json").stdout)["outcome"] == "ok"


def test_a_new_path_goes_the_exhaustive_way(
    warm_db: dict[str, Path],  # noqa: F811
    db_path: Path,
    run: Cli,
    monkeypatch: pytest.MonkeyPatch,
    make_venv: Callable[..., Path],
) -> None:
    """A path discovery finds that was never probed can only be ranked once probed."""
    fresh = make_venv("newer")
    monkeypatch.setenv("VIRTUAL_ENV", str(fresh.parent.parent))  # the active venv: discovered, unknown
    before = run.count()
    found = run.json("find", "3.12", "--format", "json")
    assert found["prefix"] == str(fresh.parent.parent) and found["status"] == "probed"
    assert run.count() == before + 1


def test_a_changed_base_interpreter_goes_the_exhaustive_way(
    warm_db: dict[str, Path],  # noqa: F811
    db_path: Path,
    run: Cli,
    tmp_path: Path,
) -> None:
    """Base interpreters are all judged: one replaced in place (here a link now leading to 3.12)
    is re-probed before ``find`` answers, since it may now rank first."""
    link = tmp_path / "bin" / "python-here"
    link.parent.mkdir()
    link.symlink_to(python_for("3.11"))
    run("probe", link)
    link.unlink()
    link.symlink_to(python_for("3.12"))
    before = run.count(link)
    found = run.json("find", "3.12", "--format", "json")
    assert run.count(link) == before + 1
    assert found["version"].startswith("3.12.")
