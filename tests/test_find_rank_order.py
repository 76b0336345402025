"""``find`` checks fingerprints in rank order: the best stored match is judged, and only when it is
fresh does it answer; everything that could change the answer goes the exhaustive way."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, python_for
from test_warm_path import warm_db  # noqa: F401 (the fixture: a store that knows a few interpreters)

from interpdb import Inventory
from interpdb.store import read

REQUESTS = ["3.12", "3.11", "3", "any", ">=3.11,<3.13", "cpython@3.12", "python3.12", "3.12-64"]


def _site(run: Cli, python: Path) -> Path:
    prefix = str(python.parent.parent)
    return Path(next(p for p in run.json("show", python)["site_packages"] if p.startswith(prefix)))


def test_the_answer_is_the_exhaustive_answer(
    warm_db: dict[str, Path],  # noqa: F811 (the fixture imported above)
    db_path: Path,
) -> None:
    """Same record, same aliases, same status as revalidating every interpreter first: each
    request, with and without venvs, on one store, which none of them writes to."""

    def probes() -> int:
        with sqlite3.connect(db_path) as conn:
            return int(conn.execute("SELECT count(*) FROM probes").fetchone()[0])

    before, differ = probes(), []
    for request_text in REQUESTS:
        for allow_venv in (True, False):
            with Inventory(str(db_path)) as inventory:
                quick, _ = inventory.find(request_text, allow_venv=allow_venv)
                full, _ = inventory.find(request_text, allow_venv=allow_venv, exhaustive=True)
            assert quick is not None and full is not None, (request_text, allow_venv)
            if quick.to_json() != full.to_json():
                differ.append((request_text, allow_venv, quick.to_json(), full.to_json()))
    assert not differ, differ
    assert probes() == before


def test_the_active_venvs_other_paths_are_its_aliases_as_in_the_exhaustive_answer(
    run: Cli, make_venv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rank-order way read the venv's other paths without fingerprints, so their identity
    (the venv's pyvenv.cfg) was unknown: a warm ``find --json`` in an active venv listed no
    aliases, the exhaustive one (the first run) its ``bin/python3``."""
    python = make_venv("project", python_for("3.12"))
    run("probe", python, python.parent / "python3")
    monkeypatch.setenv("VIRTUAL_ENV", str(python.parent.parent))
    run("list")  # discovery's paths (the active venv's bin/python among them) all known
    for request_text in ("3", "3.12", "any"):
        with Inventory(str(run.db)) as inventory:
            quick, considered = inventory.find(request_text)
            full, _ = inventory.find(request_text, exhaustive=True)
        assert quick is not None and full is not None
        assert quick.aliases == full.aliases == (str(python.parent / "python3"),), request_text
        assert quick.to_json() == full.to_json()
        assert len(considered.records) == 2, "the rank-order way answered"


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


def test_the_active_venv_rebuilt_on_another_python_is_ranked_by_its_answer_now(
    warm_db: dict[str, Path],  # noqa: F811
    run: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The active venv comes first whenever it matches, and it is stored as a 3.12 venv: rebuilt
    on 3.11 in place (as ``uv venv`` or ``--clear`` does), ``find 3.11`` must see that, not
    rank it out by its stored version and answer with the base 3.11."""
    python = warm_db["venv"]
    monkeypatch.setenv("VIRTUAL_ENV", str(python.parent.parent))
    run("list")  # records the venv as the active one: no new source or path sends find the exhaustive way
    subprocess.run(
        [str(warm_db["3.11"]), "-m", "venv", "--without-pip", "--clear", str(python.parent.parent)], check=True
    )
    before = run.count(python)
    found = run.json("find", "3.11", "--format", "json")
    assert found["path"] == str(python) and found["version"].startswith("3.11."), found["path"]
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


# -- venvs that outrank the best base interpreter, among many that do not ----------------------------

LESSER = 12


@pytest.fixture
def lesser_venvs(
    warm_db: dict[str, Path],  # noqa: F811
    run: Cli,
    make_venv: Callable[..., Path],
) -> list[Path]:
    """Venvs of the 3.12 base interpreter: each ranks after it (same line, same build, a venv)."""
    venvs = [make_venv(f"lesser-{index:02d}", python_for("3.12")) for index in range(LESSER)]
    run("probe", *venvs)
    return venvs


def _quick_and_exhaustive(db_path: Path, request_text: str, *, discover: bool = True) -> tuple[Any, Any]:
    with Inventory(str(db_path)) as inventory:
        quick, considered = inventory.find(request_text, discover=discover)
        full, _ = inventory.find(request_text, discover=discover, exhaustive=True)
    assert quick is not None and full is not None
    assert quick.to_json() == full.to_json()
    assert {r.path for r in considered.records} == {quick.path, *quick.aliases}  # answered the quick way
    return quick, full


def test_a_venv_of_a_newer_line_wins_among_many_lesser_venvs(
    lesser_venvs: list[Path], db_path: Path, run: Cli, make_venv: Callable[..., Path]
) -> None:
    """No 3.13 base is known: a 3.13 venv is the newest line, so it answers ``find 3``."""
    newer = make_venv("newer", python_for("3.13"))
    run("probe", newer)
    before = run.count()
    quick, _ = _quick_and_exhaustive(db_path, "3")
    assert quick.path == str(newer) and quick.status == "cached"
    assert run.json("find", "3", "--format", "json")["path"] == str(newer)
    assert run.count() == before


def test_the_active_venv_wins_among_many_lesser_venvs(
    lesser_venvs: list[Path], db_path: Path, run: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$VIRTUAL_ENV`` ranks first however it is spelt, found by discovery or (``--no-discover``) in the
    store: each spelling in turn, on one store (twelve venvs take seconds to make and probe)."""
    active = lesser_venvs[LESSER // 2].parent.parent
    spellings = {
        "plain": str(active),
        "trailing slash": f"{active}/",
        "doubled slash": f"{active.parent}//{active.name}",
    }
    wrong = []
    for discover in (False, True):  # the store alone first: no discovery has recorded it yet
        flags = [] if discover else ["--no-discover"]
        for spelling, value in spellings.items():
            monkeypatch.setenv("VIRTUAL_ENV", value)
            run("find", "3.12", *flags)  # discovery found it as the active venv: that source is recorded once
            before = run.count()
            quick, _ = _quick_and_exhaustive(db_path, "3.12", discover=discover)
            answered = run.json("find", "3.12", *flags, "--format", "json")["prefix"]
            if (quick.prefix, answered, run.count()) != (str(active), str(active), before):
                wrong.append((spelling, flags, quick.prefix, answered, run.count() - before))
    assert not wrong, wrong


def test_a_venv_of_a_better_build_wins_among_many_lesser_venvs(
    lesser_venvs: list[Path], db_path: Path, run: Cli, make_venv: Callable[..., Path]
) -> None:
    """When the only 3.12 base interpreters are debug builds (as stored), a release venv of 3.12
    ranks before them: CPython, release, default build come before base-before-venv."""
    better = make_venv("better", python_for("3.12"))
    run("probe", better)
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE probes SET debug_build = 1 WHERE id IN (SELECT i.current_probe_id FROM interpreters i "
            "JOIN probes p ON p.id = i.current_probe_id WHERE p.is_venv = 0 AND p.version_minor = 12)"
        )
        # Every venv but ``better`` is a debug build too: it is the one release 3.12 left.
        conn.execute(
            "UPDATE probes SET debug_build = 1 WHERE id IN (SELECT i.current_probe_id FROM interpreters i "
            "JOIN probes p ON p.id = i.current_probe_id WHERE p.is_venv = 1 AND i.path <> :better)",
            {"better": str(better)},
        )
    conn.close()
    before = run.count()
    quick, _ = _quick_and_exhaustive(db_path, "3.12")
    assert quick.path == str(better) and quick.is_venv and not quick.debug_build
    assert run.json("find", "3.12", "--format", "json")["path"] == str(better)
    debug, _ = _quick_and_exhaustive(db_path, "3.12d")  # asked for: a debug base comes before debug venvs
    assert debug.debug_build and not debug.is_venv
    assert run.count() == before


def test_find_reads_no_venv_that_cannot_outrank(
    lesser_venvs: list[Path], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a 3.12 base interpreter fresh, ``find 3.12`` builds no record of the lesser venvs:
    its cost does not grow with them."""
    built: list[str] = []
    original = read.current_records

    def counting(*args: Any, **kwargs: Any) -> list[Any]:
        records = original(*args, **kwargs)
        built.extend(r.path for r in records)
        return records

    monkeypatch.setattr(read, "current_records", counting)
    with Inventory(str(db_path)) as inventory:
        best, _ = inventory.find("3.12")
    assert best is not None and not best.is_venv
    assert not {str(v) for v in lesser_venvs} & set(built)
