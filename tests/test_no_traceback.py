"""Every command, given bad arguments, answers in one line with exit 1 or 2: never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PYTHONS, Cli, write_script

BAD_BYTES = os.fsdecode(b"/tmp/bad\xff")

#: (arguments, the exit code they must give). ``{tmp}`` is the test's folder.
CASES: list[tuple[tuple[str, ...], int]] = [
    (("--db", "sqlite://", "list"), 1),
    (("--db", "sqlite:///:memory:", "sql", "SELECT 1"), 1),
    (("--db", "{tmp}/plain/db.sqlite3", "list"), 1),
    (("list", "--max-age", "9999999999d"), 2),
    (("list", "--max-age", "soon"), 2),
    (("list", "--version", ">>3"), 2),
    (("list", "--status", "bogus"), 2),
    (("list", "--jobs", "0"), 2),
    (("list", "--timeout", "-1"), 2),
    (("list", "--timeout", "nan"), 2),  # NaN passed the range check: a ValueError in the poll
    (("list", "--timeout", "inf"), 2),  # and past about 24 days an OverflowError
    (("probe", "/usr/bin/python3", "--refresh", "--timeout", "3000000"), 2),
    (("find", ">=3."), 2),
    (("find", "cpython@"), 2),
    (("find", "99999999999999999999999.1"), 1),
    (("probe", ""), 2),
    (("probe", "{tmp}/nothing-here"), 1),
    (("probe", BAD_BYTES), 1),
    (("probe", "--refresh", "{tmp}/plain"), 1),
    (("probe", "{tmp}/garbage"), 1),
    (("discover", "--scan", "{tmp}/nothing-here"), 2),
    (("discover", "--source", "bogus"), 2),
    (("discover", "--depth", "-1"), 2),
    (("show", "99999999999999999999999"), 2),
    (("show", "²"), 1),
    (("show", "0"), 1),
    (("show", BAD_BYTES), 1),
    (("history", "99999999999999999999999"), 2),
    (("history", "99999999999999999999999", "--format", "json"), 2),
    (("history", "--since", "999999d"), 2),
    (("history", "--since", "9999-99-99"), 2),
    (("history", "--limit", "0"), 2),
    (("history", "--limit", "99999999999999999999999"), 2),
    (("history", "--limit", "99999999999999999999999", "--format", "json"), 2),
    (("history", "--trigger", "bogus"), 2),
    (("sql", "DROP TABLE probes"), 1),
    (("sql", "SELECT"), 1),
    (("sql", "SELECT :x"), 1),
    (("sql", "SELECT 1", "--param", "a"), 2),
    (("sql", "SELECT * FROM nowhere", "--format", "json"), 1),
    (("forget", "99999999999999999999999"), 2),
    (("forget", "--purge", "{tmp}/nothing-here"), 1),
    (("prune", "--missing-for", "9999999999d"), 2),
    (("prune", "--missing-for", "x"), 2),
    (("db", "upgrade", "bogus"), 1),
    (("db", "downgrade", "bogus"), 1),
    (("db", "backup", "{tmp}/plain/x.sqlite3"), 1),
    (("export", "-o", "{tmp}/plain/x.json"), 1),
    (("export", "-o", "{tmp}/no/such/folder/x.json"), 1),
    (("export", "--format", "xml"), 2),
    (("import", "{tmp}/nothing-here"), 1),
    (("import", "{tmp}/deep.json"), 1),
    (("import", "{tmp}/garbage"), 1),
    (("import", "{tmp}"), 2),
    (("hosts", "--format", "bogus"), 2),
    (("--db", "{tmp}/plain", "hosts"), 1),
    (("--db", "{tmp}", "hosts", "--format", "json"), 1),
    (("schema", "bogus"), 2),
    (("db", "current", "extra"), 2),
    (("--db", "{tmp}/plain", "db", "current"), 1),
    (("--db", "{tmp}/plain", "db", "check"), 1),
    (("--db", "{tmp}", "db", "check"), 1),
    (("--db", "{tmp}/plain", "db", "backup"), 1),
    (("db", "path", "--bogus"), 2),
    (("db", "datasette-metadata", "--bogus"), 2),
    (("--db", "{tmp}/plain", "export", "--all-hosts"), 1),
    (("--read-only", "forget", "1"), 1),
    (("--read-only", "import", "{tmp}/deep.json"), 1),
]


@pytest.fixture
def hostile_files(tmp_path: Path, run: Cli, base_python: Path) -> Path:
    """A store with one interpreter, a plain file, a garbage interpreter and a deeply nested document."""
    run("probe", base_python)
    (tmp_path / "plain").write_text("not a folder")
    write_script(tmp_path / "garbage", "head -c 3000 /dev/urandom")
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    return tmp_path


def _expand(args: tuple[str, ...], tmp: Path) -> list[str]:
    return [arg.replace("{tmp}", str(tmp)) for arg in args]


@pytest.mark.parametrize(("args", "code"), CASES, ids=[" ".join(args)[:60] for args, _ in CASES])
def test_bad_arguments_are_one_line(run: Cli, hostile_files: Path, args: tuple[str, ...], code: int) -> None:
    """In-process: the exit code says usage (2) or failure (1); stderr holds an error, never a traceback."""
    result = run(*_expand(args, hostile_files), code=None)
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.stderr.splitlines() if line.lower().startswith("error")]
    assert len(errors) == 1, result.stderr


#: A representative set through the installed console script (the click-free fast path included).
INSTALLED = [
    ("list", "--max-age", "9999999999d"),
    ("history", "99999999999999999999999", "--format", "json"),
    ("history", "--limit", "99999999999999999999999", "--format", "json"),
    ("show", "99999999999999999999999"),
    ("--db", "sqlite://", "list", "--format", "json"),
    ("sql", "SELECT * FROM nowhere", "--format", "json"),
    ("probe", BAD_BYTES, "{tmp}/garbage"),
    ("import", "{tmp}/deep.json"),
]


@pytest.mark.parametrize("args", INSTALLED, ids=[" ".join(args)[:60] for args in INSTALLED])
def test_the_installed_command_never_shows_a_traceback(
    hostile_files: Path, db_path: Path, args: tuple[str, ...]
) -> None:
    script = Path(sys.executable).with_name("interpdb")
    done = subprocess.run(
        [str(script), *_expand(args, hostile_files)],
        env=dict(os.environ, INTERPDB_DB=str(db_path)),
        capture_output=True,
        text=True,
        errors="backslashreplace",
        check=False,
    )
    assert done.returncode in (1, 2), (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.lower().startswith("error")]
    # One line per bad path; click's usage errors add a usage line and a hint.
    assert len(errors) == max(1, sum(arg in (BAD_BYTES, "{tmp}/garbage") for arg in args)), done.stderr


@pytest.fixture(scope="module")
def populated_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment of a warm store that knows one real interpreter (the only one discovery finds)."""
    folder = tmp_path_factory.mktemp("populated")
    python = next(iter(PYTHONS.values()), Path(sys.executable))
    env = dict(
        os.environ,
        INTERPDB_DB=str(folder / "interpdb.sqlite3"),
        PATH=str(python.parent),
        HOME=str(folder),
        XDG_CONFIG_HOME=str(folder / "config"),
        XDG_DATA_HOME=str(folder / "data"),
        XDG_CACHE_HOME=str(folder / "cache"),
    )
    for name in ("PYENV_ROOT", "VIRTUAL_ENV", "INTERPDB_HOST", "CONDA_PREFIX"):
        env.pop(name, None)
    script = Path(sys.executable).with_name("interpdb")
    subprocess.run([str(script), "-q", "list"], env=env, check=True, capture_output=True)
    yield env


#: Commands that print data on stdout, the warm (click-free) forms among them.
PRINTING = [
    ("export",),
    ("find", "3"),
    ("find", "3", "--format", "json"),
    ("list",),
    ("list", "--format", "json"),
    ("list", "--format", "csv"),
    ("show", "1"),
    ("history",),
    ("history", "--format", "json"),
    ("hosts",),
    ("sql", "SELECT * FROM probes"),
    ("db", "current"),
]
#: What click itself prints. A reader that stops reading gets click's own quiet exit 1 there.
CLICK_PRINTING = [("--help",), ("list", "--help"), ("--version",)]


@pytest.mark.parametrize("args", PRINTING + CLICK_PRINTING, ids=" ".join)
def test_output_to_a_full_disk_is_one_line(populated_db: dict[str, str], args: tuple[str, ...]) -> None:
    """``> /dev/full``: one ``error:`` line and exit 1, never a traceback, from every command."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done = _installed(args, populated_db, full.fileno())
    assert (done.returncode, done.stderr) == (1, "error: cannot write the output: No space left on device\n")


@pytest.mark.parametrize("args", PRINTING, ids=" ".join)
def test_a_reader_that_stops_reading_ends_the_command_quietly(
    populated_db: dict[str, str], args: tuple[str, ...]
) -> None:
    """``interpdb ... | head``: the pipe closed before a byte was read ends the command with
    its usual exit code and nothing on stderr (EPIPE is not the command's failure)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        done = _installed(args, populated_db, write_end)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (0, "")


def test_a_stream_the_shell_closed_is_one_line_or_nothing(populated_db: dict[str, str]) -> None:
    """``>&-``: one ``error:`` line (EBADF) and exit 1, as for a full disk; ``2>&-``: the
    data and exit 0, the notes going nowhere. Python leaves a closed stream None, which
    was an AttributeError traceback on every path."""
    script = str(Path(sys.executable).with_name("interpdb"))
    wrong = []
    for args in PRINTING + CLICK_PRINTING:
        closed = subprocess.run(
            [script, *args], env=populated_db, capture_output=True, text=True, preexec_fn=lambda: os.close(1)
        )
        if (closed.returncode, closed.stderr) != (1, "error: cannot write the output: Bad file descriptor\n"):
            wrong.append((args, ">&-", closed.returncode, closed.stderr[-300:]))
        quiet = subprocess.run(
            [script, *args], env=populated_db, capture_output=True, text=True, preexec_fn=lambda: os.close(2)
        )
        if quiet.returncode != 0 or not quiet.stdout:
            wrong.append((args, "2>&-", quiet.returncode, quiet.stdout[-300:]))
    assert not wrong, wrong
    # ``sql -`` reads the query from stdin: closed, it reads nothing, an empty query (one line,
    # as on every backend); a byte that is not UTF-8 is the query's one line whatever Python's
    # stdin would make of it.
    args = [script, "sql", "-", "--format", "json"]
    nothing = subprocess.run(args, env=populated_db, capture_output=True, text=True, preexec_fn=lambda: os.close(0))
    assert (nothing.returncode, nothing.stdout, nothing.stderr) == (1, "", "error: the query is empty\n"), nothing
    strict = dict(populated_db, PYTHONIOENCODING="utf-8:strict")
    for env in (populated_db, strict):
        bad = subprocess.run(args, env=env, capture_output=True, input=b"SELECT '\xff' AS x")
        assert (bad.returncode, bad.stderr) == (1, b"error: the query is not valid UTF-8 text\n"), bad


def _installed(args: tuple[str, ...], env: dict[str, str], stdout: int) -> subprocess.CompletedProcess[str]:
    """The installed console script (the warm path first, as a user runs it), stdout at ``stdout``."""
    script = Path(sys.executable).with_name("interpdb")
    return subprocess.run([str(script), *args], env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, check=False)
