"""Discovery, shims, aliases and ``find`` against the real interpreters on this machine."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import PYENV_ROOT, PYTHONS, Cli, python_for

SHIM = """#!/usr/bin/env bash
set -e
[ -n "$PYENV_DEBUG" ] && set -x

program="${{0##*/}}"

export PYENV_ROOT="{root}"
SHIM_PATH=${{0%/*}}
if [[ $SHIM_PATH != "{root}/shims" ]]; then
  export _PYENV_SHIM_PATH="$SHIM_PATH"
fi
exec "{root}/libexec/pyenv" exec "$program" "$@"
"""


@pytest.fixture
def pyenv_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pyenv root of our own: 3.11 and 3.12 linked from the real one, real-shaped shims."""
    real_311, real_312 = python_for("3.11").parent.parent, python_for("3.12").parent.parent
    root = tmp_path / "pyenv"
    (root / "versions").mkdir(parents=True)
    (root / "shims").mkdir()
    for real in (real_311, real_312):
        (root / "versions" / real.name).symlink_to(real)
    if (PYENV_ROOT / "libexec").is_dir():
        (root / "libexec").symlink_to(PYENV_ROOT / "libexec")
    for name in ("python3", "python3.11", "python3.12"):
        shim = root / "shims" / name
        shim.write_text(SHIM.format(root=root))
        shim.chmod(0o755)
    (root / "version").write_text(real_311.name + "\n")
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return root


def test_shim_is_resolved_without_running_it_and_follows_pyenv_global(run: Cli, pyenv_root: Path) -> None:
    """`pyenv global` rewrites $PYENV_ROOT/version: the shim's next record shows the new
    version, and the recorded change names that file."""
    shim = pyenv_root / "shims" / "python3"
    [first] = run.json("probe", shim)
    assert first["version"].startswith("3.11.")
    assert (first["launcher"]["kind"], first["launcher"]["manager"]) == ("shim", "pyenv")
    assert first["launcher"]["origin"] == str(pyenv_root / "version")
    assert first["status"] == "probed"
    [again] = run.json("probe", shim)
    assert again["status"] == "cached"
    assert run.count() == 1
    (pyenv_root / "version").write_text(python_for("3.12").parent.parent.name + "\n")
    [switched] = run.json("probe", shim)
    assert switched["version"].startswith("3.12.")
    assert switched["trigger"] == "changed"
    event = run.json("history", shim)[0]
    assert any(c["path"] == str(pyenv_root / "version") for c in event["changes"])
    assert run.count() == 2


def test_local_python_version_file_is_noticed(run: Cli, pyenv_root: Path) -> None:
    """A new .python-version in the working directory (`pyenv local`) was fingerprinted while absent."""
    shim = pyenv_root / "shims" / "python3"
    assert run.json("probe", shim)[0]["version"].startswith("3.11.")
    Path(".python-version").write_text(python_for("3.12").parent.parent.name + "\n")
    [local] = run.json("probe", shim)
    assert local["version"].startswith("3.12.")
    assert local["launcher"]["origin"] == str(Path.cwd() / ".python-version")
    assert run.count() == 2


def test_shim_whose_version_lacks_the_command_is_recorded_not_rerun(
    run: Cli, pyenv_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv's exit-127 case: python3.12 with only 3.11 selected (and no system 3.12)."""
    monkeypatch.setenv("PATH", f"{pyenv_root / 'shims'}:/nonexistent")
    shim = pyenv_root / "shims" / "python3.12"
    [record] = run.json("probe", shim, code=1)
    assert record["status"] == "error"
    assert "command not found" in record["error"]
    run.json("probe", shim, code=1)
    assert run.count() == 1


def test_discover_pyenv_source_records_sources(run: Cli, pyenv_root: Path) -> None:
    records = run.json("discover", "--source", "pyenv")
    assert sorted(r["version"][:4] for r in records) == ["3.11", "3.12"]
    assert {tuple(r["sources"]) for r in records} == {("pyenv",)}
    assert run.count() == 2
    run.json("discover", "--source", "pyenv")
    assert run.count() == 2


def test_scan_finds_venvs(run: Cli, make_venv: Callable[..., Path], tmp_path: Path) -> None:
    a, b = make_venv("tree/one/a"), make_venv("tree/two/b")
    records = run.json("discover", "--source", "venv", "--scan", tmp_path / "tree")
    assert sorted(r["path"] for r in records) == sorted([str(a), str(b)])
    assert all(r["is_venv"] and r["sources"] == ["venv"] for r in records)


def test_aliases_share_one_probe_and_list_groups_them(run: Cli, tmp_path: Path) -> None:
    """python3 and python3.12 in one folder are one interpreter: one row, one probe run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = python_for("3.12")
    (bin_dir / "python3").symlink_to(real)
    (bin_dir / "python3.12").symlink_to(real)
    records = run.json("probe", bin_dir / "python3", bin_dir / "python3.12")
    assert [r["status"] for r in records] == ["probed", "probed"]
    via = [r for r in records if r["executable"] != r["path"]]
    assert not via, "each alias reports itself as sys.executable"
    rows = run.json("list", "--no-discover")
    assert len(rows) == 1
    assert rows[0]["path"] == str(bin_dir / "python3")
    assert rows[0]["aliases"] == [str(bin_dir / "python3.12")]
    per_path = run.json("list", "--no-discover", "--aliases")
    assert [r["path"] for r in per_path] == [str(bin_dir / "python3"), str(bin_dir / "python3.12")]


def test_a_hard_link_beside_a_symlink_to_one_file_is_probed_for_itself(run: Cli, tmp_path: Path) -> None:
    """One file, two names in one folder: a symlink (CPython resolves it, so its prefix is
    where the file lives) and a hard link (not resolved: its prefix is found from this
    folder, or is the built-in one). They shared one probe, and one of them was served
    the other's prefix for ever."""
    real = python_for("3.12")
    home = tmp_path / "home-of-3.12"
    (home / "bin").mkdir(parents=True)
    (home / "lib").mkdir()
    # A copy of the executable (its libpython is found by an absolute RUNPATH): a hard
    # link to the real one would change that file's ctime, and so every store's fingerprint.
    shutil.copy2(os.path.realpath(real), home / "bin" / "python3.12")
    (home / "lib" / "python3.12").symlink_to(Path(os.path.realpath(real)).parent.parent / "lib" / "python3.12")
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3.12").symlink_to(home / "bin" / "python3.12")
    try:
        os.link(home / "bin" / "python3.12", folder / "python3")
    except OSError as error:
        pytest.skip(f"no hard link here: {error}")
    truth = {
        str(p): subprocess.run(
            [str(p), "-E", "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True
        ).stdout.strip()
        for p in (folder / "python3.12", folder / "python3")
    }
    assert len(set(truth.values())) == 2, truth  # the premise: two answers
    records = run.json("probe", *truth)
    assert {r["path"]: r["prefix"] for r in records} == truth


def test_venv_is_not_an_alias_of_its_base(run: Cli, make_venv: Callable[..., Path], base_python: Path) -> None:
    venv = make_venv()
    run("probe", venv, base_python)
    rows = run.json("list", "--no-discover")
    assert len(rows) == 2


def test_a_venv_through_a_symlinked_folder_is_one_venv(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path
) -> None:
    """pyenv-virtualenv's ``versions/NAME`` links to ``versions/X/envs/NAME``: through the link
    the venv reports that spelling as its prefix, so it was listed twice (and, once gone,
    missing twice). It is one venv, its pyvenv.cfg, in the whole list and the light one."""
    real = make_venv("3.12.1/envs/tools")
    (tmp_path / "tools").symlink_to(tmp_path / "3.12.1" / "envs" / "tools")
    through_link = tmp_path / "tools" / "bin" / "python"
    records = run.json("probe", real, through_link)
    assert {r["prefix"] for r in records} == {str(real.parent.parent), str(through_link.parent.parent)}
    for args in (["list", "--no-discover", "--wide"], ["list", "--no-discover", "--format", "csv"]):
        listed = run(*args).stdout.splitlines()
        assert sum(str(real) in line or str(through_link) in line for line in listed) == 1, listed
    [venv] = [r for r in run.json("list", "--no-discover", "--venv")]
    assert venv["path"] == str(real) and venv["aliases"] == [str(through_link)]  # the real folder leads


def test_first_list_shows_every_python_and_second_runs_nothing(
    run: Cli, make_venv: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's done-when: every pyenv Python, the system Python and the active venv, each
    once with its aliases; a second list runs no interpreter at all, shims included."""
    venv = make_venv()
    monkeypatch.setenv("VIRTUAL_ENV", str(venv.parent.parent))
    first = run.json("list")
    versions = {r["version"] for r in first}
    for line, python in PYTHONS.items():
        real = os.path.realpath(python)
        assert any(os.path.realpath(r["real_executable"] or "") == real for r in first), line
    assert any(r["path"] == str(venv) for r in first)
    if Path("/usr/bin/python3").exists():
        system = os.path.realpath("/usr/bin/python3")
        assert sum(1 for r in first if os.path.realpath(r["real_executable"] or "") == system and not r["is_venv"]) == 1
    assert len({r["path"] for r in first}) == len(first)
    assert len(versions) >= len(PYTHONS)
    probes = run.count()
    second = run.json("list")
    assert run.count() == probes
    assert {r["status"] for r in second} == {"cached"}


@pytest.fixture
def known(run: Cli, make_venv: Callable[..., Path]) -> dict[str, Path]:
    pythons = {line: python_for(line) for line in ("2.7", "3.11", "3.12", "3.13")}
    venv = make_venv("venv313", pythons["3.13"])
    run("probe", *pythons.values(), venv)
    return {**pythons, "venv": venv}


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("3.12", "3.12"),
        ("3", "3.13"),
        ("2", "2.7"),
        (">=3.10,<3.13", "3.12"),
        ("cpython@3.11", "3.11"),
        ("cpython3.11", "3.11"),
        ("python3.12", "3.12"),
        ("python2.7", "2.7"),
        ("any", "3.13"),
        ("cpython", "3.13"),
        ("~=3.11", "3.13"),
    ],
)
def test_find_request_forms(run: Cli, known: dict[str, Path], request_text: str, expected: str) -> None:
    before = run.count()
    result = run("find", request_text, "--no-discover")
    assert result.stdout.strip() == str(known[expected])
    assert run.count() == before, "a warm find runs no interpreter"


def test_find_path_request_and_json(run: Cli, known: dict[str, Path]) -> None:
    document = run.json("find", str(known["venv"]), "--no-discover")
    assert document["path"] == str(known["venv"])
    assert document["schema_version"] == 1


def test_find_prefers_active_venv_when_it_matches(
    run: Cli, known: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTUAL_ENV", str(known["venv"].parent.parent))
    assert run("find", "3.13", "--no-discover").stdout.strip() == str(known["venv"])
    assert run("find", "3.12", "--no-discover").stdout.strip() == str(known["3.12"])
    assert run("find", "3.13", "--no-venv", "--no-discover").stdout.strip() == str(known["3.13"])


def test_the_active_venv_is_found_by_any_of_its_spellings(
    run: Cli, make_venv: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$VIRTUAL_ENV`` spelled through a symlinked folder: the venv ranks first whether the
    store knows it by that spelling and another (one interpreter, led by the real folder's
    path), or only by the other. Both used to answer with a base interpreter."""
    real = make_venv("real/.venv")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    linked = tmp_path / "link" / ".venv"
    monkeypatch.setenv("VIRTUAL_ENV", str(linked))
    run("probe", real, python_for("3.13"))  # the venv by its real path only, and a newer base
    for _ in range(2):  # the exhaustive way, then the rank-order one
        answer = run("find", "--no-discover").stdout.strip()
        assert os.path.realpath(answer) == os.path.realpath(real), answer
    run("probe", linked / "bin" / "python")  # and by the link too: one interpreter, two paths
    for _ in range(2):
        answer = run("find", "--no-discover").stdout.strip()
        assert os.path.realpath(answer) == os.path.realpath(real), answer


def test_find_nothing_matches_lists_what_was_considered(run: Cli, known: dict[str, Path]) -> None:
    result = run("find", "pypy", "--no-discover", code=1)
    assert result.stderr.startswith("error: no interpreter matches 'pypy' (known: cpython ")
    assert ", 3.12." in result.stderr  # each implementation named once, then its versions


def test_what_was_considered_is_listed_in_version_order(run: Cli, known: dict[str, Path]) -> None:
    """3.9 before 3.11, as a person reads versions, not as text sorts them (3.11 < 3.9)."""
    run("probe", python_for("3.9"))
    stderr = run("find", "pypy", "--no-discover", code=1).stderr
    listed = stderr.split("(known: cpython ", 1)[1].split(";")[0].split(")")[0].split(", ")
    versions = [tuple(int(part) for part in item.split(".")) for item in listed]
    assert versions[:2] == [(2, 7, versions[0][2]), (3, 9, versions[1][2])]
    assert versions == sorted(versions)


def test_find_bad_request_is_a_usage_error(run: Cli, known: dict[str, Path]) -> None:
    """Its error line and, as for every usage error, a hint naming the command's help."""
    result = run("find", "3.x", "--no-discover", code=2)
    error, hint = result.stderr.splitlines()
    assert error.startswith("error: '3.x' is not an interpreter request: ")
    assert hint == "hint: `interpdb find --help` shows the usage"


def test_find_arch_filter(run: Cli, known: dict[str, Path]) -> None:
    machine = os.uname().machine
    assert run("find", "3.12", "--arch", machine, "--no-discover").stdout.strip() == str(known["3.12"])
    run("find", "3.12", "--arch", "riscv64", "--no-discover", code=1)


def test_no_match_names_the_filters_that_ruled_out_what_is_known(run: Cli, known: dict[str, Path]) -> None:
    """The line "known: cpython ... 3.12.x" beside "no interpreter matches '3.12'" read as a
    contradiction when it was --arch, --implementation or --no-venv that said no."""
    stderr = run("find", "3.12", "--arch", "riscv64", "--no-venv", "--no-discover", code=1).stderr
    assert stderr.startswith("error: no interpreter matches '3.12' --arch riscv64 --no-venv (known: cpython ")
    stderr = run("find", "--implementation", "cpyhton", "--no-discover", code=1).stderr
    assert stderr.startswith("error: no interpreter matches 'any' --implementation cpyhton (known: ")


def test_list_names_the_known_implementations_after_a_misspelt_one(run: Cli, known: dict[str, Path]) -> None:
    """An empty table after a typo read as "none installed"; JSON stays a bare list."""
    result = run("list", "--implementation", "cpyhton", "--no-discover")
    assert result.stdout == ""
    assert "hint: no interpreter is 'cpyhton'; known implementations: cpython" in result.stderr
    assert run("list", "--implementation", "cpyhton", "--no-discover", "--format", "json").stdout.strip() == "[]"
    assert "hint" not in run("list", "--implementation", "CPython", "--version", "9", "--no-discover").stderr


def test_parallel_and_serial_probing_agree(run: Cli, make_venv: Callable[..., Path]) -> None:
    venvs = [make_venv(f"v{i}") for i in range(6)]
    serial = run.json("probe", *venvs[:3], "--jobs", "1")
    parallel = run.json("probe", *venvs[3:], "--jobs", "4")
    assert [r["status"] for r in serial + parallel] == ["probed"] * 6
    assert [r["path"] for r in parallel] == [str(v) for v in venvs[3:]]
    assert "probing" not in run("list", "--refresh", "--no-discover").stderr, "no progress bar when not a terminal"


def test_progress_bar_on_a_terminal(run: Cli, make_venv: Callable[..., Path], db_path: Path) -> None:
    """More than five probes due, stdout and stderr a terminal: a progress bar on stderr."""
    script, console = shutil.which("script"), Path(sys.executable).parent / "interpdb"
    if script is None or not console.exists():
        pytest.skip("needs util-linux `script` and the installed console script")
    venvs = [make_venv(f"p{i}") for i in range(6)]
    command = " ".join(shlex.quote(str(a)) for a in [console, "--db", db_path, "probe", *venvs])
    shown = subprocess.run([script, "-qec", command, "/dev/null"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0, shown.stdout
    assert "probing" in shown.stdout
    assert run.count() == 6
    piped = subprocess.run(
        [str(console), "--db", str(db_path), "probe", "--refresh", *map(str, venvs)], capture_output=True, text=True
    )
    assert "probing" not in piped.stderr


def test_alias_in_a_real_folder_leads_its_group(run: Cli, tmp_path: Path) -> None:
    """/bin -> usr/bin: the path through the real folder represents the interpreter."""
    real_bin = tmp_path / "usr" / "bin"
    real_bin.mkdir(parents=True)
    (real_bin / "python3").symlink_to(python_for("3.12"))
    (tmp_path / "bin").symlink_to(real_bin)
    run("probe", tmp_path / "bin" / "python3", real_bin / "python3")
    [row] = run.json("list", "--no-discover")
    assert row["path"] == str(real_bin / "python3")
    assert row["aliases"] == [str(tmp_path / "bin" / "python3")]


def test_shim_answer_follows_home_even_when_the_selection_holds(
    run: Cli, pyenv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOME places the user site: a new HOME re-probes a shim that still selects the same Python."""
    shim = pyenv_root / "shims" / "python3.12"
    monkeypatch.setenv("PYENV_VERSION", python_for("3.12").parent.parent.name)
    monkeypatch.setenv("HOME", str(tmp_path / "home1"))
    [first] = run.json("probe", shim)
    home2 = tmp_path / "home2"
    user_site = home2 / ".local" / "lib" / "python3.12" / "site-packages"
    user_site.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home2))
    [second] = run.json("probe", shim)
    assert second["status"] == "probed"
    assert second["user_site"] == str(user_site)
    assert str(user_site) in second["sys_path"]
    assert first["user_site"] != second["user_site"]


@pytest.mark.parametrize("real_known", [True, False], ids=["real-known", "shim-only"])
def test_find_answers_with_the_interpreter_behind_a_shim(run: Cli, pyenv_root: Path, real_known: bool) -> None:
    """A shim's meaning depends on the folder and the environment: find prints the interpreter it runs
    now (as uv does), and the JSON record names the shim among the aliases that lead to it."""
    shim = pyenv_root / "shims" / "python3"
    run("probe", shim)
    if real_known:
        run("probe", python_for("3.11"))
    printed = run("find", "3.11", "--no-discover").stdout.strip()
    assert "/shims/" not in printed
    assert os.path.realpath(printed) == os.path.realpath(python_for("3.11"))
    document = run.json("find", "3.11", "--no-discover")
    assert document["path"] == printed
    assert str(shim) in document["aliases"]
    by_path = run("find", str(shim), "--no-discover").stdout.strip()  # naming the shim itself
    assert "/shims/" not in by_path
    assert os.path.realpath(by_path) == os.path.realpath(printed)


def two_projects(tmp_path: Path, version: str) -> tuple[Path, Path]:
    """Two project folders: the first gets pyenv's global version, the second selects ``version``."""
    project_a, project_b = tmp_path / "project-a", tmp_path / "project-b"
    project_a.mkdir()
    project_b.mkdir()
    (project_b / ".python-version").write_text(version + "\n")
    return project_a, project_b


def test_moving_between_projects_answers_shims_from_the_store(
    run: Cli, pyenv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two project folders selecting different Pythons: after the first visit to each,
    `list` in either costs no probe and no write; each shim answers with the record of the
    interpreter it selects there (the version, the selection, and which record answered)."""
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    v311, v312 = python_for("3.11").parent.parent.name, python_for("3.12").parent.parent.name
    project_a, project_b = two_projects(tmp_path, v312)
    shim = str(pyenv_root / "shims" / "python3")

    def visit(folder: Path) -> dict[str, Any]:
        monkeypatch.chdir(folder)
        listed = run.json("list", "--aliases")
        return next(r for r in listed if r["path"] == shim)

    assert visit(project_a)["version"].startswith("3.11.")
    assert visit(project_b)["version"].startswith("3.12.")
    rows = run.count()
    for _ in range(3):
        in_a, in_b = visit(project_a), visit(project_b)
        assert in_a["version"].startswith("3.11.") and in_a["status"] == "cached"
        assert in_b["version"].startswith("3.12.") and in_b["status"] == "cached"
        assert in_a["launcher"]["version"] == v311 and in_b["launcher"]["version"] == v312
        assert in_b["launcher"]["origin"] == str(project_b / ".python-version")
    assert run.count() == rows  # no probe, no write


def test_a_change_to_what_a_shim_selected_elsewhere_costs_no_probe_here(
    run: Cli, pyenv_root: Path, tmp_path: Path, fake_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shim last probed in a project selecting 3.12 now selects 3.11, which the store
    knows fresh: a new .pth in 3.12's user site changes what the shim used to run, not what
    it runs here, so its answer is 3.11's record, with no probe. It used to re-probe every
    shim, each blamed on the 3.12 file."""
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    v311, v312 = python_for("3.11").parent.parent.name, python_for("3.12").parent.parent.name
    project_a, project_b = two_projects(tmp_path, v312)  # a: the global 3.11, b: 3.12
    shim = str(pyenv_root / "shims" / "python3")
    monkeypatch.chdir(project_b)
    run("list")  # the shims probed here, selecting 3.12
    monkeypatch.chdir(project_a)
    run("probe", pyenv_root / "versions" / v311 / "bin" / "python3.11")  # 3.11 known, the shims untouched
    user_site = fake_home / ".local" / "lib" / f"python{v312.rsplit('.', 1)[0]}" / "site-packages"
    user_site.mkdir(parents=True)
    (user_site / "zz.pth").write_text(f"{tmp_path}\n")
    # python3.12 selects nothing here (3.11 lacks it): that is recorded, as a failure.
    shims = {path: len(run.probes(path)) for path in (shim, str(pyenv_root / "shims" / "python3.11"))}
    monkeypatch.chdir(project_a)
    [answer] = [r for r in run.json("list", "--aliases") if r["path"] == shim]
    assert (answer["status"], answer["launcher"]["version"]) == ("cached", v311)
    # 3.12 itself is re-probed (its user site changed); the shims selecting 3.11 are not.
    assert {path: len(run.probes(path)) for path in shims} == shims
    monkeypatch.chdir(project_b)  # back where it selects 3.12: that change is its own now
    run("list")
    [why] = [p["changes"] for p in run.probes(shim)[-1:]]
    assert str(user_site) in why


def test_a_shim_selecting_the_same_version_elsewhere_names_the_file_that_selects_it_here(
    run: Cli, pyenv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two projects whose .python-version files select the same Python: the shim's answer
    in the second is the stored one (no probe), and its selection names the second
    project's file, not the first's, which was read when it was probed."""
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    v312 = python_for("3.12").parent.parent.name
    first, second = two_projects(tmp_path, v312)
    (first / ".python-version").write_text(v312 + "\n")
    shim = str(pyenv_root / "shims" / "python3")
    monkeypatch.chdir(first)
    [here] = [r for r in run.json("list", "--aliases") if r["path"] == shim]
    assert here["launcher"]["origin"] == str(first / ".python-version")
    rows = run.count()
    monkeypatch.chdir(second)
    for command in (["list", "--aliases"], ["show", shim]):
        answer = run.json(*command)
        [there] = [r for r in answer if r["path"] == shim] if isinstance(answer, list) else [answer]
        assert there["status"] == "cached" and there["launcher"], (command, there)
        assert there["launcher"]["version"] == v312, command
        assert there["launcher"]["origin"] == str(second / ".python-version"), command
    assert run.count() == rows  # the answer says so; nothing is written for it


def test_a_shim_named_in_another_project_is_answered_by_another_name_of_the_same_file(
    run: Cli, pyenv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``list`` learns each version by the names discovery finds (``python3.12``). In a project
    selecting the other version, ``find SHIM`` and ``show SHIM`` answer without a probe, as
    ``list`` does: the shim selects ``bin/python3``, the same file under another name, which
    the store knows fresh. ``find SHIM --offline`` answers so too, where it printed the shim."""
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    v312 = python_for("3.12").parent.parent.name
    project_a, project_b = two_projects(tmp_path, v312)
    shim = pyenv_root / "shims" / "python3"
    monkeypatch.chdir(project_a)
    run("list")
    rows = run.count()
    monkeypatch.chdir(project_b)
    for flags in ([], ["--offline"]):
        printed = run("find", shim, *flags).stdout.strip()
        assert "/shims/" not in printed and os.path.realpath(printed) == os.path.realpath(python_for("3.12")), flags
    shown = run.json("show", shim, "--format", "json")
    assert shown["version"].startswith("3.12.") and shown["status"] == "cached"
    assert run.count() == rows  # no probe, no write


def test_a_shim_no_project_provides_is_not_rewritten_on_every_switch(
    run: Cli, pyenv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pyenv's shims folder holds a `python3.10` shim that neither project's version provides:
    in each folder it fails with a reason naming that folder's version. Moving between the
    folders answers that failure from the shims' files (stat calls), with no probe row
    written: the day's case of ~/.pyenv/shims/python2.7 between a 3.13 and a 3.11 project."""
    extra = pyenv_root / "shims" / "python3.10"
    extra.write_text(SHIM.format(root=pyenv_root))
    extra.chmod(0o755)
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    v311, v312 = python_for("3.11").parent.parent.name, python_for("3.12").parent.parent.name
    project_a, project_b = two_projects(tmp_path, v312)

    def visit(folder: Path) -> dict[str, Any]:
        monkeypatch.chdir(folder)
        listed = run.json("list", "--aliases", "--all")
        return next(r for r in listed if r["path"] == str(extra))

    visit(project_a)
    visit(project_b)
    rows = run.count()
    for _ in range(2):
        in_a, in_b = visit(project_a), visit(project_b)
        assert (in_a["status"], in_b["status"]) == ("error", "error")
        assert in_a["error"] == f"pyenv: python3.10: command not found (version {v311} does not provide it)"
        assert in_b["error"] == f"pyenv: python3.10: command not found (version {v312} does not provide it)"
    assert run.count() == rows  # no probe, no write
    [event] = run.json("history", extra)  # recorded once, at the first visit
    assert event["outcome"] == "error"


def test_a_switched_shim_is_an_alias_of_what_it_selects_there(
    run: Cli, pyenv_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After moving to a project that selects another Python, the shims answered from the
    store are grouped with the interpreter they select there (by its file), in `list` and in
    `find --format json`'s aliases: not with the one they selected when last probed."""
    monkeypatch.setenv("PATH", str(pyenv_root / "shims"))
    project_a, project_b = two_projects(tmp_path, python_for("3.12").parent.parent.name)
    shim = str(pyenv_root / "shims" / "python3")

    def leads_to(folder: Path) -> list[str]:
        monkeypatch.chdir(folder)
        return [r["version"] for r in run.json("list") if shim in r["aliases"]]

    assert [v[:5] for v in leads_to(project_a)] == ["3.11."]
    assert [v[:5] for v in leads_to(project_b)] == ["3.12."]
    rows = run.count()
    for _ in range(2):
        assert [v[:5] for v in leads_to(project_a)] == ["3.11."]
        assert shim not in run.json("find", "3.12")["aliases"]
        assert [v[:5] for v in leads_to(project_b)] == ["3.12."]
        assert shim in run.json("find", "3.12")["aliases"]
    assert run.count() == rows


@pytest.mark.parametrize("manager", ["asdf", "mise"])
def test_moving_between_projects_answers_asdf_and_mise_shims_from_the_store(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manager: str
) -> None:
    """As for pyenv: an asdf or mise shim in two project folders selecting 3.11 and 3.12 (by
    .tool-versions, or mise.toml) answers with each folder's interpreter, and after the first
    visit to each, moving between them runs no probe and writes nothing."""
    real = {line: python_for(line).parent.parent for line in ("3.11", "3.12")}
    data = tmp_path / manager
    for line, folder in real.items():  # an install folder of the manager's, its python3 the real one
        bin_dir = data / "installs" / "python" / folder.name / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "python3").symlink_to(python_for(line))
    shim = data / "shims" / "python3"
    shim.parent.mkdir(parents=True)
    if manager == "asdf":
        plugins = "".join(f"# asdf-plugin: python {folder.name}\n" for folder in real.values())
        shim.write_text(f'#!/usr/bin/env bash\n{plugins}exec asdf exec "python3" "$@"\n')
        shim.chmod(0o755)
        monkeypatch.setenv("ASDF_DATA_DIR", str(data))
    else:
        binary = tmp_path / "bin" / "mise"
        binary.parent.mkdir()
        binary.write_text("#!/bin/sh\nexit 0\n")
        binary.chmod(0o755)
        shim.symlink_to(binary)
        monkeypatch.setenv("MISE_DATA_DIR", str(data))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(shim.parent))
    projects = {}
    for line, folder in real.items():
        project = tmp_path / f"project-{line}"
        project.mkdir()
        if manager == "asdf":
            (project / ".tool-versions").write_text(f"python {folder.name}\n")
        else:
            (project / "mise.toml").write_text(f'[tools]\npython = "{folder.name}"\n')
        projects[line] = project

    def visit(line: str) -> dict[str, Any]:
        monkeypatch.chdir(projects[line])
        return next(r for r in run.json("list", "--aliases") if r["path"] == str(shim))

    for line in real:
        assert visit(line)["version"].startswith(line + ".")
    rows = run.count()
    for _ in range(2):
        for line in real:
            answer = visit(line)
            assert answer["version"].startswith(line + ".") and answer["status"] == "cached"
            assert (answer["launcher"]["manager"], answer["launcher"]["version"]) == (manager, real[line].name)
    assert run.count() == rows  # no probe, no write
