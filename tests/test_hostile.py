"""Hostile interpreters: wrong answers, noisy start-up, escaping processes, files that change under the probe."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPECTED_PYENV, PYTHONS, Cli, python_for, query, write_script
from hypothesis import given
from hypothesis import strategies as st

from interpdb import answer
from interpdb.probe import run_probe, script_source


@pytest.fixture(scope="module")
def real_answer() -> dict[str, Any]:
    """What the probe prints on the running Python: the base of every crafted answer."""
    done = subprocess.run([sys.executable, "-E", "-c", script_source()], capture_output=True, check=True)
    document: dict[str, Any] = json.loads(done.stdout)
    return document


@pytest.fixture
def answering(tmp_path: Path) -> Callable[..., Path]:
    """A fake interpreter that prints ``document`` framed with the token it is given (``$4``)."""

    def make(name: str, document: Any, before: str = "", after: str = "", raw: bytes | None = None) -> Path:
        body = tmp_path / f"{name}.json"
        body.write_bytes(raw if raw is not None else json.dumps(document).encode())
        return write_script(
            tmp_path / name,
            f"printf '%s' '{before}'\n"
            "printf '<<interpdb-answer %s>>' \"$4\"\n"
            f"cat '{body}'\n"
            "printf '<<interpdb-end %s>>' \"$4\"\n"
            f"printf '%s' '{after}'",
        )

    return make


def _framed(token: str, body: bytes) -> bytes:
    begin, end = answer.markers(token)
    return begin + body + end


# -- the answer's shape --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version_info": 5}, "probe answer: 'version_info' is not a list"),
        ({"sys_path": "/usr/lib/python3"}, "probe answer: 'sys_path' is not a list"),
        ({"prefix": 7}, "probe answer: 'prefix' is not a string"),
        ({"is_venv": "yes"}, "probe answer: 'is_venv' is not a boolean"),
        ({"version_info": [3, 12, 10**30, "final", 0]}, "probe answer: 'version_info[2]' is out of range (0..9999)"),
        ({"version_info": [-3, 12, 0, "final", 0]}, "probe answer: 'version_info[0]' is out of range (0..99)"),
        ({"version_info": [3, 12]}, "probe answer: 'version_info' has 2 items, not 5"),
        ({"pointer_size": True}, "probe answer: 'pointer_size' is not an integer"),
        ({"libc": {"name": ["glibc"]}}, "probe answer: 'libc.name' is not a string"),
        ({"sys_path": ["/a", None]}, "probe answer: 'sys_path[1]' is not a string"),
        ({"implementation_name": "x" * 33}, "probe answer: 'implementation_name' is longer than 32 characters"),
        # What find --implementation and list filter on: an empty name matched no request.
        ({"implementation_name": ""}, "probe answer: 'implementation_name' is empty"),
        ({"surprise": 1}, "probe answer: 'surprise' is not a key the probe prints"),
        ({"prefix": "/opt/\udcff"}, "probe answer: 'prefix' is not valid UTF-8"),
        # A NUL is in no path (os.listdir raised, losing the run's other probes) and in no
        # PostgreSQL text column.
        ({"sys_path": ["/a\0b"]}, "probe answer: 'sys_path[0]' contains a NUL character"),
        ({"executable": "/opt/x\0/bin/python"}, "probe answer: 'executable' contains a NUL character"),
        ({"markers": {"os_name": "posix\0"}}, "probe answer: 'markers.os_name' contains a NUL character"),
        ({"su\0rprise": 1}, "probe answer: 'su\\x00rprise' is not a key the probe prints"),
        # A binary that lies about its version: find 2.7 answered with it, list --version 3.x did not.
        (
            {"python_version": "2.7.18"},
            "probe answer: 'python_version' '2.7.18' is not version_info's {}.{}.{}".format(*sys.version_info[:3]),
        ),
        (
            {"python_version": "3.1"},
            "probe answer: 'python_version' '3.1' is not version_info's {}.{}.{}".format(*sys.version_info[:3]),
        ),
    ],
)
def test_a_wrong_answer_is_a_failed_probe_with_one_line(
    run: Cli, answering: Callable[..., Path], real_answer: dict[str, Any], change: dict[str, Any], reason: str
) -> None:
    """Recorded as an error row with the reason, cached under its fingerprint: no traceback, no second run."""
    python = answering("python", dict(real_answer, **change))
    result = run("probe", python, "--format", "json", code=1)
    assert "Traceback" not in result.stderr
    [record] = json.loads(result.stdout)
    assert (record["status"], record["error"]) == ("error", reason)
    assert result.stderr.splitlines() == [f"error: {python}: {reason}"]
    [again] = run.json("probe", python, code=1)
    assert again["status"] == "error"
    assert run.count(python) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, f"probe answer: nested deeper than {answer.MAX_DEPTH} levels"),
        (b"[" * 100_000, "probe answer: not valid JSON (its brackets do not match)"),
        (b'{"a": "[[[[[[[[[[[[[[[["}', "probe answer: 'executable' is missing"),
        (b'{"a": ' + b"1" * 5000 + b"}", "probe answer: a number longer than 100 digits"),
        (b"\xff\xfe{}", "probe answer: not valid JSON"),
    ],
    # short ids: pytest 8 puts the whole id in PYTEST_CURRENT_TEST, and a 200 kB
    # variable makes every exec fail with E2BIG
    ids=["deep", "unbalanced", "brackets-in-a-string", "long-number", "not-utf8"],
)
def test_hostile_json_is_refused_before_it_is_decoded(
    run: Cli, answering: Callable[..., Path], raw: bytes, reason: str
) -> None:
    """Deep nesting is found by a scan that does not recurse; brackets inside strings do not count."""
    python = answering("python", None, raw=raw)
    [record] = run.json("probe", python, code=1)
    assert record["error"].startswith(reason)


def test_a_ten_thousand_entry_sys_path_is_stored(
    run: Cli, answering: Callable[..., Path], real_answer: dict[str, Any], db_path: Path, tmp_path: Path
) -> None:
    """Large but valid: every entry reaches ``current_sys_path`` (the time it takes is in scripts/stress.py)."""
    entries = [str(tmp_path / f"dir{i}") for i in range(10_000)]
    python = answering("python", dict(real_answer, sys_path=entries))
    [record] = run.json("probe", python)
    assert record["status"] == "probed"
    assert query(db_path, "SELECT count(*) FROM current_sys_path")[0][0] == 10_000


def test_what_site_prints_around_the_answer_is_kept_as_a_note(
    run: Cli, answering: Callable[..., Path], real_answer: dict[str, Any]
) -> None:
    python = answering("python", real_answer, before="hello from a .pth", after="bye")
    [record] = run.json("probe", python)
    assert record["status"] == "probed"
    [row] = run.probes(python)
    assert json.loads(row["data"])["probe_output"] == "hello from a .pth\nbye".replace("\n", "")  # printf adds none


def test_a_venv_whose_sitecustomize_prints_is_still_an_interpreter(
    run: Cli, make_venv: Callable[..., Path], db_path: Path
) -> None:
    """A real venv: sitecustomize.py prints a line at start-up; the probe still reads its answer."""
    python = make_venv()
    [site] = [p for p in run_probe(str(python)).data["site_packages"] if "/venv/" in p]  # type: ignore[index]
    Path(site, "sitecustomize.py").write_text("print('sitecustomize says hello')\n")
    [record] = run.json("probe", python, "--refresh")
    assert (record["status"], record["is_venv"]) == ("probed", True)
    [data] = query(db_path, "SELECT data FROM probes ORDER BY id DESC LIMIT 1")
    assert json.loads(data[0])["probe_output"] == "sitecustomize says hello"


@pytest.mark.parametrize("line", EXPECTED_PYENV)
def test_every_real_answer_fits_the_shape(line: str) -> None:
    """The declared shape is the probe's own: it must accept what each real Python prints, 2.7 included."""
    result = run_probe(str(python_for(line)))
    assert result.ok, result.error
    assert "probe_output" not in (result.data or {})


@given(st.binary(max_size=2_000), st.text(alphabet="0123456789abcdef", min_size=1, max_size=8))
def test_the_parser_takes_any_bytes(junk: bytes, token: str) -> None:
    """Arbitrary output, framed or not: a record, or the documented error, never anything else."""
    for output in (junk, _framed(token, junk), junk + _framed(token, junk) + junk):
        try:
            document, note = answer.parse(output, token)
        except answer.AnswerError as error:
            assert "\n" not in str(error)
        else:
            assert isinstance(document, dict) and (note is None or len(note) <= answer.NOTE_LIMIT)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)


@given(_json, st.sampled_from(sorted(answer.REQUIRED_KEYS)))
def test_the_parser_takes_any_json(value: Any, key: str) -> None:
    """Any JSON document, and any value in any key of a real answer: a record or one line."""
    for document in (value, {key: value}):
        try:
            body = json.dumps(document).encode()
        except ValueError:
            continue
        try:
            answer.parse(_framed("t0k", body), "t0k")
        except answer.AnswerError as error:
            assert "\n" not in str(error) and str(error).startswith(("probe answer: ", "not a Python"))


def test_any_value_in_a_real_answer_is_a_record_or_one_line(real_answer: dict[str, Any]) -> None:
    """Every key of a real answer replaced by each odd value: only AnswerError, and the reason names the key."""
    odd: list[Any] = [None, 0, -1, 10**40, 1.5, "", "x" * 20_000, [], [1], {}, {"a": 1}, True]
    for key in real_answer:
        for value in odd:
            body = json.dumps(dict(real_answer, **{key: value})).encode()
            try:
                answer.parse(_framed("t", body), "t")
            except answer.AnswerError as error:
                assert f"'{key}" in str(error), (key, value, error)


# -- processes -------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    """Is ``pid`` a process that still runs (a zombie does not count)?"""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def _pids(folder: Path) -> list[int]:
    return [int(p.read_text()) for p in sorted(folder.glob("*.pid"))]


def _note(name: str, pid: str = "$$") -> str:
    """Shell that writes ``pid`` to ``$PIDS/<name>.pid`` atomically (the test reads it after)."""
    return f'echo {pid} > "$PIDS/{name}.tmp"; mv "$PIDS/{name}.tmp" "$PIDS/{name}.pid"'


LEAVERS = {
    "background": (1, f"sleep 60 & {_note('bg', '$!')}"),
    "setsid": (1, f"setsid sh -c '{_note('setsid')}; exec sleep 60' </dev/null >/dev/null 2>&1 &"),
    "double-fork": (1, f"( sh -c '{_note('df')}; exec sleep 60' </dev/null >/dev/null 2>&1 & )"),
    "five-daemons": (
        5,
        f"for i in 1 2 3 4 5; do setsid sh -c '{_note('d$0')}; exec sleep 60' $i </dev/null >/dev/null 2>&1 & done",
    ),
}


def _leaver(pids: Path, how: str, tail: str) -> str:
    count, start = LEAVERS[how]
    wait = f'while [ "$(ls "$PIDS" | grep -c pid$)" -lt {count} ]; do sleep 0.01; done'
    return f"export PIDS={pids}\n{start}\n{wait}\n{tail}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finding orphans needs Linux /proc")
@pytest.mark.parametrize("how", sorted(LEAVERS))
@pytest.mark.parametrize("then", ["exit", "answer"])
def test_no_process_outlives_its_probe(tmp_path: Path, base_python: Path, how: str, then: str) -> None:
    """Children left in the group, ``setsid`` ones and double-forked daemons are all gone when the probe returns."""
    pids = tmp_path / "pids"
    pids.mkdir()
    tail = "exit 0" if then == "exit" else f'exec {base_python} "$@"'
    python = write_script(tmp_path / "python", _leaver(pids, how, tail))
    result = run_probe(str(python), timeout=30)
    assert result.ok == (then == "answer"), result.error
    left = _pids(pids)
    assert len(left) == LEAVERS[how][0], "the fake interpreter did not start its children"
    assert [pid for pid in left if _alive(pid)] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finding orphans needs Linux /proc")
def test_orphans_are_found_without_the_children_files(
    tmp_path: Path, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel without /proc/<pid>/task/<tid>/children: the scan of /proc/*/stat finds them."""
    from interpdb import contain

    monkeypatch.setattr(contain, "_children", contain._children_by_scan)
    pids = tmp_path / "pids"
    pids.mkdir()
    python = write_script(tmp_path / "python", _leaver(pids, "five-daemons", "exit 0"))
    run_probe(str(python), timeout=30)
    left = _pids(pids)
    assert len(left) == 5
    assert [pid for pid in left if _alive(pid)] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finding orphans needs Linux /proc")
@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
def test_a_setsid_child_holding_stdout_does_not_hold_the_probe(
    tmp_path: Path, base_python: Path, monkeypatch: pytest.MonkeyPatch, pidfd: bool
) -> None:
    """The interpreter answered and exited: its answer counts, at once, and the child holding the pipe dies.

    Without a pidfd (before Linux 5.3, or Python 3.9 elsewhere) the runner polls for the exit.
    """
    from interpdb import probe

    if not pidfd:
        monkeypatch.setattr(probe, "_exit_watch", lambda _pid: None)
    pids = tmp_path / "pids"
    pids.mkdir()
    python = write_script(
        tmp_path / "python",
        f"export PIDS={pids}\nsetsid sh -c '{_note('holder')}; exec sleep 60' &\n"
        f'while [ ! -e {pids}/holder.pid ]; do sleep 0.01; done\n{base_python} "$@"',
    )
    result = run_probe(str(python), timeout=30)
    assert result.ok, result.error
    [holder] = _pids(pids)
    assert not _alive(holder)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finding orphans needs Linux /proc")
def test_a_hung_setsid_child_is_killed_at_the_timeout(tmp_path: Path) -> None:
    """The interpreter itself hangs after starting a detached child: both die when the probe times out."""
    pids = tmp_path / "pids"
    pids.mkdir()
    python = write_script(
        tmp_path / "python", f"export PIDS={pids}\nsetsid sh -c '{_note('holder')}; exec sleep 60' &\nexec sleep 60"
    )
    result = run_probe(str(python), timeout=1)
    assert result.error == "timed out after 1 s"
    [holder] = _pids(pids)
    assert not _alive(holder)


def test_other_children_of_the_caller_are_left_alone(tmp_path: Path, base_python: Path) -> None:
    """An application that embeds interpdb keeps its own child processes, orphaned ones too."""
    own = subprocess.Popen(["sleep", "60"])
    try:
        pids = tmp_path / "pids"
        pids.mkdir()
        python = write_script(tmp_path / "python", _leaver(pids, "setsid", "exit 0"))
        run_probe(str(python))
        assert own.poll() is None
    finally:
        own.kill()
        own.wait()


def test_a_fifo_where_an_interpreter_or_a_pth_file_belongs_never_blocks(
    tmp_path: Path, make_venv: Callable[..., Path], db_path: Path
) -> None:
    """Opening a FIFO waits for a writer, before any timeout applies: interpdb looked at the
    first bytes of an interpreter (``contain.die_with_parent``) and read each ``.pth`` file
    that way, and hung for ever (with Ctrl-C unable to end a run of several paths). Each is
    now one line within the timeout: the kernel's refusal to run a FIFO, and the probe's
    own timeout (``site`` does open the FIFO, in the probed interpreter)."""
    fake = tmp_path / "fake" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    os.mkfifo(fake)
    fake.chmod(0o755)
    venv = make_venv()
    env = dict(os.environ, INTERPDB_DB=str(db_path))
    probe = [sys.executable, "-m", "interpdb", "probe", "--timeout", "2"]
    subprocess.run([*probe, str(venv)], env=env, check=True, capture_output=True, timeout=60)
    site = next((venv.parent.parent / "lib").glob("python*/site-packages"))
    os.mkfifo(site / "evil.pth")
    for python, message in ((fake, "cannot execute: Permission denied"), (venv, "timed out after 2 s")):
        done = subprocess.run([*probe, str(python)], env=env, capture_output=True, text=True, timeout=60)
        assert (done.returncode, done.stderr) == (1, f"error: {python}: {message}\n"), done


# -- files that change while they are probed --------------------------------------------------


def test_an_interpreter_that_deletes_itself_is_not_recorded_fresh(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """The answer is refused, and the next command sees the file missing rather than ``ok``."""
    python = write_script(tmp_path / "python", f'rm -f "$0"\nexec {base_python} "$@"')
    [record] = run.json("probe", python, code=1)
    assert (record["status"], record["error"]) == ("error", "deleted while it was probed")
    [again] = run.json("probe", python, code=1)
    assert (again["status"], again["outcome"]) == ("missing", "missing")


def test_an_interpreter_rewritten_while_probed_is_probed_again(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """Rewritten once during its first probe: that answer is refused; the next command sees the change and re-probes."""
    flag = tmp_path / "rewritten"
    python = write_script(
        tmp_path / "python",
        f'if [ ! -e {flag} ]; then touch {flag}; echo "# edited" >> "$0"; fi\nexec {base_python} "$@"',
    )
    [record] = run.json("probe", python, code=1)
    assert (record["status"], record["error"]) == ("error", "changed while it was probed")
    [again] = run.json("probe", python)
    assert (again["status"], again["trigger"]) == ("probed", "changed")
    [third] = run.json("probe", python)
    assert third["status"] == "cached"


def test_an_interpreter_replaced_while_probed_is_not_recorded_fresh(
    run: Cli, tmp_path: Path, base_python: Path
) -> None:
    """A link re-pointed during the probe (an upgrade swapping versions): the answer may be the old one's."""
    real = write_script(
        tmp_path / "real", f'ln -sfn {tmp_path / "other"} {tmp_path / "python"}\nexec {base_python} "$@"'
    )
    (tmp_path / "other").symlink_to(base_python)
    (tmp_path / "python").symlink_to(real)
    [record] = run.json("probe", tmp_path / "python", code=1)
    assert record["error"] == "replaced while it was probed (a link now points elsewhere)"
    [again] = run.json("probe", tmp_path / "python")
    assert again["status"] == "probed"


# -- one bad path never spoils the others ------------------------------------------------------


BAD_NAME = os.fsdecode(b"bad\xff")


def test_refresh_of_a_good_path_beside_an_undecodable_one(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """``probe --refresh good bad``: the good one is re-probed and recorded; the bad one is one line."""
    good = tmp_path / "good"
    good.symlink_to(base_python)
    bad = tmp_path / BAD_NAME
    write_script(bad, "exit 0")
    run("probe", good)
    result = run("probe", "--refresh", good, bad, "--format", "json", code=1)
    assert "Traceback" not in result.stderr
    [record] = json.loads(result.stdout)
    assert (record["path"], record["status"], record["trigger"]) == (str(good), "probed", "refresh")
    shown = os.fsencode(bad).decode("utf-8", "backslashreplace")
    assert result.stderr.splitlines() == [f"error: '{shown}' is not valid UTF-8: it cannot be stored"]
    assert run.count(good) == 2
    [command] = [row["command"] for row in run.probes(good)][1:]
    assert command.endswith("bad\\xff --format json")


def test_an_unrunnable_and_a_vanishing_path_affect_only_their_rows(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """A file without execute permission and one deleted by its own run, next to a real Python."""
    plain = tmp_path / "plain"
    plain.write_text("not a program")
    vanishing = write_script(tmp_path / "vanishing", 'rm -f "$0"; exit 0')
    records = run.json("probe", base_python, plain, vanishing, code=1)
    by_path = {r["path"]: (r["status"], r["error"]) for r in records}
    assert by_path == {
        str(base_python): ("probed", None),
        str(plain): ("error", "cannot execute: Permission denied"),
        str(vanishing): ("error", "deleted while it was probed"),
    }


def test_probing_leaks_no_file_descriptor(tmp_path: Path) -> None:
    """Pipes and the pidfd of every probe are closed, whatever the interpreter did."""
    python = write_script(tmp_path / "python", "exit 0")
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd")
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        assert (
            run_probe(str(python)).error == "not a Python interpreter: printed 'nothing' instead of the probe's answer"
        )
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_probe_cannot_plant_a_module_for_the_next_one(run: Cli, tmp_path: Path, base_python: Path) -> None:
    """Every probe of a run shares one working folder, which ``-c`` puts first on
    ``sys.path``: a ``struct.py`` one binary leaves there answered the next real
    interpreter's ``import struct`` (its pointer size 128 bits, stored as fresh)."""
    planter = write_script(
        tmp_path / "planter",
        "printf 'def calcsize(fmt):\\n    return 16\\n' > struct.py\n"
        "printf 'import sys\\nsys.stdout.write(\"forged\")\\nsys.exit(0)\\n' > json.py\n"
        "exit 1",
    )
    records = {r["path"]: r for r in run.json("probe", "-j", "1", planter, base_python, code=1)}
    assert records[str(base_python)]["status"] == "probed"
    assert records[str(base_python)]["pointer_size"] == 8 * struct.calcsize("P")
    assert "" not in records[str(base_python)]["sys_path"]


def test_a_probe_cannot_plant_a_command_or_remove_the_probe_folder(
    run: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``.`` on ``PATH``, ``platform`` on 3.6 and 3.8 runs ``uname -p`` from the probe
    folder, where one binary can leave its own ``uname`` (the probe timed out, and that
    failure stayed cached). And a binary that removes the folder made the next real
    interpreter 'cannot execute: No such file or directory', cached too."""
    python = python_for("3.8") if "3.8" in PYTHONS else python_for("3.6")
    ran = tmp_path / "planted-uname-ran"
    planter = write_script(
        tmp_path / "planter",
        f"printf '#!/bin/sh\\ntouch {ran}\\nsleep 30\\n' > uname; chmod +x uname\nexit 1",
    )
    remover = write_script(tmp_path / "remover", 'd="$PWD"; cd /; rm -rf "$d"; exit 1')
    monkeypatch.setenv("PATH", f".:{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    records = {r["path"]: r for r in run.json("probe", "-j", "1", "--timeout", "10", planter, python, code=1)}
    assert records[str(python)]["status"] == "probed" and not ran.exists()
    records = {r["path"]: r for r in run.json("probe", "-j", "1", remover, python, "--refresh", code=1)}
    assert records[str(python)]["status"] == "probed", records[str(python)]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_nul_printed_around_the_answer_or_on_stderr_is_stored_escaped(
    run: Cli, tmp_path: Path, base_python: Path, backend: str
) -> None:
    """What an interpreter prints is kept as text (the note beside an answer, the last line
    of stderr in an error): a NUL in it as ``\\x00``, which PostgreSQL's text takes too. A
    good interpreter in the same run is stored with them."""
    noisy = write_script(tmp_path / "noisy", f"printf 'a\\000b'\nexec '{base_python}' \"$@\"")
    failing = write_script(tmp_path / "failing", "printf 'err\\000or' >&2\nexit 3")
    result = run("probe", noisy, failing, base_python, "--format", "json", code=1)
    assert "Traceback" not in result.stderr
    by_path = {r["path"]: r for r in json.loads(result.stdout)}
    assert by_path[str(noisy)]["status"] == "probed"
    [row] = run.probes(noisy)
    assert json.loads(row["data"])["probe_output"] == "a\\x00b"
    assert by_path[str(failing)]["error"] == "exited with code 3: err\\x00or"
    assert by_path[str(base_python)]["status"] == "probed"
    assert run.count() == 3


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_longest_paths_an_answer_may_hold_are_stored(
    run: Cli, answering: Callable[..., Path], real_answer: dict[str, Any], backend: str
) -> None:
    """A prefix and a ``sys.path`` entry of 16,384 characters that do not compress (the most
    ``answer`` accepts) make an answer like another: no index of the store refuses them.
    PostgreSQL's B-tree entries hold about 2.7 kB, so ``probes.prefix`` and
    ``sys_path_entries.path`` have hash indexes there; before, the whole batch was lost."""
    prefix = "/" + "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(answer.MAX_STRING - 1))
    entry = "/" + "".join(chr(0x4E00 + (i * 104729) % 20000) for i in range(answer.MAX_STRING - 1))
    liar = dict(real_answer, prefix=prefix, base_prefix=prefix, sys_path=[*real_answer["sys_path"], entry])
    python = answering("python", liar)
    [record] = run.json("probe", python, "--format", "json")
    assert record["status"] == "probed" and record["prefix"] == prefix
    shown = run.json("show", python, "--format", "json")
    assert shown["prefix"] == prefix and shown["sys_path"][-1] == entry
    assert run.rows(f"SELECT entry FROM current_sys_path WHERE entry = '{entry}'") == [(entry,)]
