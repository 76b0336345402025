"""Interrupted work is kept: Ctrl-C, SIGTERM or SIGHUP mid-way keeps every finished probe,
starts no new one, kills the running ones, and says in one line how many were kept."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import write_script

SLOW = 0.4  # seconds each fake interpreter waits before it answers


def slow_pythons(folder: Path, base_python: Path, count: int) -> list[Path]:
    """Wrapper scripts around a real Python that take SLOW seconds: interpreters to interrupt."""
    folder.mkdir()
    return [write_script(folder / f"python{i}", f'sleep {SLOW}; exec "{base_python}" "$@"') for i in range(count)]


def as_from_a_terminal() -> None:
    """The child's signals as a terminal leaves them: default. A suite started in the background
    (``pytest &`` in a script) runs with SIGINT ignored, which children inherit and Python keeps
    ignoring, as it should: interpdb started that way is meant not to stop on Ctrl-C."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def interrupted(args: list[str], db: Path, signum: int) -> tuple[subprocess.Popen[str], str]:
    """Run ``interpdb ARGS``, send ``signum`` once two probes are recorded, and return the
    ended process with its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "interpdb", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, INTERPDB_DB=str(db)),
        preexec_fn=as_from_a_terminal,
    )
    deadline = time.monotonic() + 60
    while probe_rows(db) < 2 and time.monotonic() < deadline:  # some have finished and are recorded
        time.sleep(0.05)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    return proc, err


def probe_rows(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM probes").fetchone()[0])
    finally:
        conn.close()


def own_probes_alive(marker: str) -> list[int]:
    """Processes still running whose command line names this test's folder."""
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker.encode() in handle.read():
                    alive.append(int(entry))
        except OSError:
            continue
    return alive


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_keeps_finished_probes_and_starts_no_more(
    tmp_path: Path, base_python: Path, db_path: Path, signum: int, code: int
) -> None:
    pythons = slow_pythons(tmp_path / "slow", base_python, 16)
    proc, err = interrupted(["probe", "--jobs", "2", *map(str, pythons)], db_path, signum)
    assert proc.returncode == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: interrupted by "), err
    kept = int(lines[0].rsplit(": ", 1)[1].split()[0])
    assert 2 <= kept < len(pythons)
    assert probe_rows(db_path) == kept  # every finished probe, and nothing else
    time.sleep(SLOW * 2)
    assert probe_rows(db_path) == kept  # no probe started after the signal
    assert own_probes_alive(str(tmp_path / "slow")) == []
    if signum != signal.SIGINT:
        return  # what was kept is the same rows whichever signal kept them: one resumption suffices
    # The next run picks up where it stopped: the kept ones are cached.
    again = subprocess.run(
        [sys.executable, "-m", "interpdb", "probe", "--format", "json", *map(str, pythons)],
        capture_output=True,
        text=True,
        env=dict(os.environ, INTERPDB_DB=str(db_path)),
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert probe_rows(db_path) == len(pythons)


def signalled_warm_answer(
    args: list[str], db: Path, signum: int, preexec: Callable[[], None]
) -> subprocess.CompletedProcess[str]:
    """``interpdb ARGS`` on the click-free warm path (``interpdb._fast``), which sends itself
    ``signum`` where a warm answer does its work and, if that does not stop it, answers
    ``still here`` a moment later. ``preexec`` sets the signals as the caller left them."""
    script = (
        "import os, sys, time\n"
        "import interpdb._fast as fast\n"
        "def signalled(parsed):\n"
        f"    os.kill(os.getpid(), {int(signum)})\n"
        "    time.sleep(0.5)\n"
        "    return 'still here'\n"
        "fast._answer = signalled\n"
        "sys.argv = ['interpdb', *sys.argv[1:]]\n"
        "fast.main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, INTERPDB_DB=str(db)),
        timeout=60,
        preexec_fn=preexec,
    )


def test_an_ignored_hangup_stays_ignored(db_path: Path) -> None:
    """Started under ``nohup`` (SIGHUP ignored), a warm answer goes on through a hangup,
    as Python leaves an ignored SIGINT ignored."""

    def as_under_nohup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    done = signalled_warm_answer(["list"], db_path, signal.SIGHUP, as_under_nohup)
    assert (done.returncode, done.stdout, done.stderr) == (0, "still here\n", "")


def test_a_sigkilled_interpdb_takes_its_running_probes_with_it(tmp_path: Path, db_path: Path) -> None:
    """SIGKILL cannot be caught; the kernel ends the probes then (PR_SET_PDEATHSIG), and the
    temp folder holds nothing new (every probe runs in one fixed private folder)."""
    hanging = write_script(tmp_path / "hangs", "exec sleep 37.25")
    env = dict(os.environ, INTERPDB_DB=str(db_path), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "interpdb", "probe", "--timeout", "60", str(hanging)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 30
    while not own_probes_alive("37.25") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert own_probes_alive("37.25"), "the probe never started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while own_probes_alive("37.25") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert own_probes_alive("37.25") == []
    assert sorted(p.name for p in (tmp_path / "tmp").iterdir()) == [f"interpdb-{os.getuid()}"]


def test_ctrl_c_during_discover_scan_keeps_what_finished(tmp_path: Path, base_python: Path, db_path: Path) -> None:
    """The issue's case: SIGINT during ``discover --scan`` of many venvs (each slow to answer)."""
    folder = tmp_path / "venvs"
    for i in range(12):
        venv = folder / f"v{i}"
        subprocess.run([str(base_python), "-m", "venv", "--without-pip", str(venv)], check=True)
        (venv / "bin" / "python").unlink()
        write_script(venv / "bin" / "python", f'sleep {SLOW}; exec "{base_python}" "$@"')
    proc, err = interrupted(
        ["discover", "--source", "venv", "--scan", str(folder), "--jobs", "2"], db_path, signal.SIGINT
    )
    assert proc.returncode == 130, err
    [line] = err.strip().splitlines()
    kept = int(line.removeprefix("error: interrupted by SIGINT: ").split()[0])
    assert 2 <= kept == probe_rows(db_path)
    time.sleep(SLOW * 2)
    assert probe_rows(db_path) == kept
    assert own_probes_alive(str(folder)) == []


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_during_a_warm_answer_is_one_line(db_path: Path, signum: int, code: int) -> None:
    """The click-free warm path (``interpdb._fast``) words Ctrl-C, SIGTERM and SIGHUP as the
    full CLI does: one line, exit 128 + the signal, no traceback (SIGTERM and SIGHUP used to
    kill it without a word). The signal arrives where a warm answer does its work (a real one
    lands there at any moment: importing, reading, ranking, waiting on a locked store)."""
    name = signal.Signals(signum).name
    for args in (["find", "3.12"], ["list", "--format", "json"]):
        done = signalled_warm_answer(args, db_path, signum, as_from_a_terminal)
        assert (done.returncode, done.stdout) == (code, ""), (args, done.returncode, done.stderr)
        # A warm answer probes nothing, so it has no count of finished probes to give.
        assert done.stderr == f"error: interrupted by {name}\n", args


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_stops_a_query_that_never_ends(db_path: Path, base_python: Path, signum: int, code: int) -> None:
    """``interpdb sql`` spent a long query inside one C call, where Python runs no signal
    handler: Ctrl-C printed ``^C`` and the query went on, for ever if it never ended; only
    SIGKILL stopped it. The warm path (table) and click's (CSV) both stop in one line."""
    subprocess.run([sys.executable, "-m", "interpdb", "--db", str(db_path), "probe", str(base_python)], check=True)
    endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    for extra in ([], ["--format", "csv"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "interpdb", "--db", str(db_path), "sql", endless, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=as_from_a_terminal,
        )
        time.sleep(1.5)  # well into the query
        proc.send_signal(signum)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail(f"{signal.Signals(signum).name} did not stop the query")
        assert (proc.returncode, out, err) == (code, "", f"error: interrupted by {signal.Signals(signum).name}\n")


#: Sends the signal to itself from inside the first write of finished probes, where the ORM is
#: being imported for the first time: the moment a signal used to cut that write in half.
SIGNAL_DURING_THE_WRITE = """
import os, signal, sys
from interpdb.store import write
real, signum = write.Store.record, getattr(signal, sys.argv[1])
def record(self, host, batch):
    os.kill(os.getpid(), signum)
    return real(self, host, batch)
write.Store.record = record
from interpdb.cli import main
sys.argv = ["interpdb", "probe", *sys.argv[2:]]
main()
"""


@pytest.mark.parametrize(("name", "code"), [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_a_signal_in_the_middle_of_a_write_waits_for_it(db_path: Path, base_python: Path, name: str, code: int) -> None:
    """The write of what finished is not cut in half (it used to leave a half-imported ORM, a
    traceback and nothing kept): the signal is handled once the batch is written and counted."""
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_DURING_THE_WRITE, name, str(base_python)],
        capture_output=True,
        text=True,
        env=dict(os.environ, INTERPDB_DB=str(db_path)),
        preexec_fn=as_from_a_terminal,
        timeout=60,
    )
    kept = f"error: interrupted by {name}: 1 finished probe kept"
    assert (done.returncode, done.stderr.splitlines()) == (code, [kept])
    assert probe_rows(db_path) == 1


def test_a_second_signal_while_held_is_not_held() -> None:
    """A write waiting on a server's lock must stay stoppable: the first signal waits for the
    write, a second one is handled at once; afterwards the handlers are the ones before."""
    from interpdb.errors import Interrupted, SignalsHeld, stop_on_signals

    restore = stop_on_signals()
    before = signal.getsignal(signal.SIGTERM)
    reached = []
    try:
        with pytest.raises(Interrupted), SignalsHeld():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # held: the block goes on
            reached.append("after the first")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
            reached.append("after the second")
        assert reached == ["after the first"]
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        restore()
