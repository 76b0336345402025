"""Small things a user trips on (issue 10, section 4), each against a real database and real interpreters."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, python_for, query, write_script
from pgserver import Database

from interpdb.location import resolve
from interpdb.store import gate


def test_global_options_work_after_the_command(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """`interpdb probe X --db Y -q` is `interpdb --db Y -q probe X`; the default database stays untouched."""
    other = tmp_path / "other.sqlite3"
    run("probe", base_python, "--db", other, "-q")
    run("list", "--no-discover", f"--db={other}", "--format", "json")
    assert query(other, "SELECT path FROM interpreters") == [(str(base_python),)]
    assert not run.db.exists()
    found = run("find", "any", "--no-discover", "--db", other).stdout.strip()
    assert found == str(base_python)


def test_a_command_option_value_is_not_taken_for_a_global_option(run: Cli, base_python: Path) -> None:
    """`sql ... -p name=-q`: a value of the command's own option stays its value."""
    run("probe", base_python)
    result = run("sql", "SELECT :v AS v", "-p", "v=-q", "--format", "json")
    assert '"v": "-q"' in result.stdout


def test_history_trigger_is_repeatable(run: Cli, base_python: Path) -> None:
    """--trigger A --trigger B shows the probes of either trigger, like --outcome."""
    run("probe", base_python)
    run("probe", base_python, "--refresh")
    run("probe", base_python, "--refresh-interpreter", base_python)
    both = run.json("history", "--trigger", "new", "--trigger", "refresh")
    assert sorted(e["trigger"] for e in both) == ["new", "refresh"]
    assert [e["trigger"] for e in run.json("history", "--trigger", "refresh-interpreter")] == ["refresh-interpreter"]


def test_probe_looks_a_bare_name_up_on_path(
    run: Cli, tmp_path: Path, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`probe python3` probes the python3 that PATH finds, as a shell (and find) would."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(base_python)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin:/bin")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    [record] = run.json("probe", "python3")
    assert record["path"] == str(folder / "python3")
    result = run("probe", "no-such-python", code=1)
    assert "'no-such-python' is not on PATH" in result.stderr


def test_probe_of_an_empty_path_says_so(run: Cli) -> None:
    """`probe ""` is a usage error that says "empty path", not a probe of the working directory."""
    result = run("probe", "", code=2)
    assert "empty path" in result.stderr
    assert run.count() == 0


def test_discover_offline_counts_only_probes_that_ran(
    run: Cli, tmp_path: Path, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored broken interpreter is not "probed" again by an offline (or a warm) discover."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(base_python)
    write_script(folder / "python3.99", "echo broken >&2; exit 3")
    monkeypatch.setenv("PATH", str(folder))
    first = run("discover", "--source", "path", code=None)
    assert "probed 2" in first.stderr
    assert "probed 0" in run("discover", "--source", "path", "--offline", code=None).stderr
    assert "probed 0" in run("discover", "--source", "path", code=None).stderr


def test_db_downgrade_minus_one_as_its_help_says(run: Cli, db_path: Path, base_python: Path) -> None:
    """`db downgrade -1` goes one revision down (the example in its help), not "no such option"."""
    run("probe", base_python)
    assert "-1" in run("db", "downgrade", "--help").stdout
    result = run("db", "downgrade", "-1")
    assert f"downgraded {db_path}: {gate.HEAD_REVISION} -> " in result.stdout
    assert gate.inspect(resolve(str(db_path))).revision != gate.HEAD_REVISION


def test_list_forgotten_and_find_mentions_them(run: Cli, make_venv: Callable[..., Path]) -> None:
    """list --forgotten shows what forget hid; find says when a forgotten one would have matched."""
    keep, hide = make_venv("keep"), make_venv("hide")
    run("probe", keep, hide)
    run("forget", hide)
    assert [r["path"] for r in run.json("list", "--forgotten")] == [str(hide)]
    assert [r["path"] for r in run.json("list", "--no-discover")] == [str(keep)]
    answered = run("find", "3", "--no-discover")
    assert (answered.stdout.strip(), answered.stderr) == (str(keep), "")
    run("forget", keep)
    missing = run("find", "3", "--no-discover", code=1)
    assert f"forgotten {hide} would match" in missing.stderr
    assert f"forgotten {keep} would match" in missing.stderr


def _console_script() -> str:
    script = shutil.which("interpdb", path=os.path.dirname(sys.executable))
    if script is None:
        pytest.skip("the interpdb console script is not installed beside this Python")
    return script


@pytest.mark.parametrize(
    ("words", "expected", "absent"),
    [
        ("interpdb list --format j", {"json", "jira"}, {"csv"}),
        ("interpdb discover --source p", {"path", "pyenv", "pdm"}, {"venv"}),
        ("interpdb history --trigger refresh", {"refresh", "refresh-interpreter"}, {"new"}),
        ("interpdb hi", {"history"}, {"list"}),
    ],
)
def test_bash_completion_for_real(words: str, expected: set[str], absent: set[str], tmp_path: Path) -> None:
    """The README's `eval "$(_INTERPDB_COMPLETE=bash_source interpdb)"` completes values in a real bash."""
    script = _console_script()
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash here")
    program = (
        f'eval "$(_INTERPDB_COMPLETE=bash_source {script})"\n'
        f"COMP_WORDS=({words})\n"
        f"COMP_CWORD={len(words.split()) - 1}\n"
        f"_interpdb_completion {script}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "INTERPDB_DB": str(tmp_path / "db.sqlite3")}
    done = subprocess.run([bash, "--norc", "-c", program], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    offered = set(done.stdout.split())
    assert expected <= offered
    assert not absent & offered


def test_postgres_url_without_psycopg_names_the_extra(tmp_path: Path) -> None:
    """With psycopg unimportable, a PostgreSQL URL says to install interpdb[postgres], on one line."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    # A .pth-free import blocker: a psycopg module that refuses to load, first on sys.path.
    (blocker / "psycopg.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    # And psycopg2 (the test extra installs it): SQLAlchemy 2.0's driver for postgresql:// (Python 3.9).
    (blocker / "psycopg2.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg2'\", name='psycopg2')\n")
    url = "postgresql://someone:secret@127.0.0.1:1/inventory"
    for command in (["list"], ["db", "check"], ["find", "3.12"]):
        done = subprocess.run(
            [sys.executable, "-m", "interpdb", "--db", url, *command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(blocker)},
            timeout=60,
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert "pip install 'interpdb[postgres]'" in done.stderr
        assert "secret" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_a_url_naming_another_postgresql_driver_names_that_driver(tmp_path: Path) -> None:
    """``postgresql+pg8000://`` with psycopg 3 installed: the driver missing is pg8000, not
    psycopg, and the line says which URL interpdb[postgres] serves. (pg8000: the test
    extra installs psycopg2, for tests/test_postgres.py.)"""
    done = subprocess.run(
        [sys.executable, "-m", "interpdb", "--db", "postgresql+pg8000://someone:secret@/inventory", "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (
        1,
        "error: cannot connect to postgresql+pg8000://someone:***@/inventory: its driver, pg8000, is not "
        "installed (pip install 'interpdb[postgres]' installs psycopg 3, for postgresql+psycopg:// URLs)\n",
    )


def test_a_postgresql_database_with_no_tables_is_not_called_missing(postgres: Database) -> None:
    """``createdb`` made it and nothing wrote to it yet: it exists, it holds no interpdb tables.
    ``sql``, ``export`` and ``db check`` used to say "no database at" it."""
    for command in (["sql", "SELECT 1"], ["export"], ["db", "check"]):
        done = subprocess.run(
            [sys.executable, "-m", "interpdb", "--db", postgres.url, *command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stderr) == (
            1,
            f"error: {postgres.url} holds no interpdb tables yet: the first command that writes creates them\n",
        ), command


def test_a_new_postgresql_database_without_psycopg_names_the_extra(
    tmp_path: Path,
    postgres: Database,  # an empty database on a real server: the warm read (libpq) finds no schema
    base_python: Path,
) -> None:
    """The store must be created, which takes SQLAlchemy and its driver: without psycopg
    that is the same one line, not a ModuleNotFoundError from the migration lock."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "psycopg.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    for command in (["probe", str(base_python)], ["discover", "--source", "path"]):
        done = subprocess.run(
            [sys.executable, "-m", "interpdb", "--db", postgres.url, *command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(blocker)},
            timeout=60,
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr, (command, done.stderr)
        assert done.stderr.strip().splitlines() == [
            f"error: cannot connect to {postgres.url}: psycopg is not installed (pip install 'interpdb[postgres]')"
        ], (command, done.stderr)
    assert postgres.rows("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_a_dotdot_after_a_symlinked_folder_climbs_out_of_its_target(
    run: Cli, tmp_path: Path, make_venv: Callable[..., Path]
) -> None:
    """``LINK/../x/bin/python`` runs ``x`` beside the link's target, as the kernel climbs ``..``;
    normalising it by text would name the ``x`` beside the link, another interpreter."""
    (tmp_path / "deep" / "a").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "deep" / "a")
    runs = make_venv("deep/x", python_for("3.11"))
    make_venv("x", python_for("3.12"))
    given = f"{tmp_path}/link/../x/bin/python"
    [probed] = run.json("probe", given, "--format", "json")
    found = run.json("find", given, "--format", "json")
    truth = subprocess.run([given, "-c", "import platform; print(platform.python_version())"], capture_output=True)
    assert probed["path"] == found["path"] == str(runs)
    assert probed["version"] == found["version"] == truth.stdout.decode().strip()
    # PATH holding such an entry: discovery finds what the shell would run.
    env = dict(os.environ, PATH=f"{tmp_path}/link/../x/bin", HOME=str(tmp_path))
    discovered = subprocess.run(
        [sys.executable, "-m", "interpdb", "discover", "--source", "path", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert str(runs) in {r["path"] for r in json.loads(discovered.stdout)}, discovered.stderr
