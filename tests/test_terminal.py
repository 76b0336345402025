"""The look in a real terminal: ``interpdb`` run inside tmux at 80 and 120 columns, read back with capture-pane.

Each test starts its own tmux server (``-L``, a private socket) and kills it after.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Cli, python_for

CONSOLE = Path(sys.executable).parent / "interpdb"
DONE = "__interpdb_done__"

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None or not CONSOLE.exists(),
    reason="needs tmux and the installed interpdb console script",
)


class Terminal:
    """A detached tmux session of a given size running one shell command; ``screen()`` is what it shows."""

    def __init__(self, socket: str) -> None:
        self.base = socket
        self.socket = socket
        self.sockets: list[str] = []

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def run(self, command: str, columns: int, rows: int = 50, timeout: float = 90) -> list[str]:
        """Run ``command`` (sh) in a new ``columns`` x ``rows`` window; the screen's lines once it is done."""
        if self._alive():
            self.tmux("kill-server")  # one window at a time
        # A server of its own for each window: a new session on a socket whose server is
        # still shutting down fails with "server exited unexpectedly" on a busy machine.
        self.socket = f"{self.base}-{len(self.sockets)}"
        self.sockets.append(self.socket)
        # The width must come from the terminal, not from a COLUMNS the test run inherited.
        script = f"env -u COLUMNS -u LINES TERM=xterm-256color {command}; printf '%s\\n' {DONE}; sleep 600"
        self.tmux("new-session", "-d", "-x", str(columns), "-y", str(rows), "sh", "-c", script)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.tmux("capture-pane", "-p").splitlines()
            if DONE in screen:
                return [line.rstrip() for line in screen[: screen.index(DONE)]]
            time.sleep(0.1)
        raise AssertionError("the command did not finish:\n" + "\n".join(screen))

    def _alive(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session"], capture_output=True).returncode == 0


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal(f"interpdb-test-{os.getpid()}")
    try:
        yield term
    finally:
        for socket in term.sockets:
            subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def _interpdb(db: Path, *args: str | Path) -> str:
    return " ".join(shlex.quote(str(a)) for a in [CONSOLE, "--db", db, *args])


@pytest.fixture
def inventory(run: Cli, make_venv: Callable[..., Path]) -> list[Path]:
    """Three known interpreters, one a venv whose path is longer than an 80-column table allows."""
    venv = make_venv("a-venv-in-a-folder-with-a-long-name-that-a-narrow-table-must-shorten")
    pythons = [python_for("3.11"), python_for("3.12"), venv]
    run("probe", *pythons)
    return pythons


@pytest.mark.parametrize("columns", [80, 120])
def test_list_fits_the_terminal(terminal: Terminal, db_path: Path, inventory: list[Path], columns: int) -> None:
    """No line wider than the terminal (so none wraps); the header and one row per interpreter."""
    screen = terminal.run(_interpdb(db_path, "list", "--no-discover"), columns)
    assert all(len(line) <= columns for line in screen), screen
    header, rule, *rows = screen
    assert header.split() == ["id", "path", "impl", "version", "venv", "status"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert len(rows) == 3
    by_id = {row.split()[0]: row.split() for row in rows}
    assert sorted(cells[3].rsplit(".", 1)[0] for cells in by_id.values()) == ["3.11", "3.12", "3.12"]
    assert sorted(cells[4] for cells in by_id.values()) == ["no", "no", "yes"]
    assert {cells[5] for cells in by_id.values()} == {"cached"}
    venv_row = next(cells for cells in by_id.values() if cells[4] == "yes")
    # Longer than either terminal allows: shortened in the middle, the start and the file name kept,
    # and given the room the terminal has (the other columns take 35 characters).
    assert "\u2026" in venv_row[1] and venv_row[1].endswith("/bin/python")
    assert str(inventory[2]).startswith(venv_row[1].split("\u2026")[0])
    assert columns - 35 - 12 <= len(venv_row[1]) <= columns - 35


def test_wide_list_wraps_but_is_whole(terminal: Terminal, db_path: Path, inventory: list[Path]) -> None:
    """``--wide`` keeps every column and every character, whatever the terminal does with it."""
    screen = terminal.run(_interpdb(db_path, "list", "--no-discover", "--wide") + " | cat", 80)
    joined = "".join(screen)
    assert str(inventory[2]) in joined and "probed at" in joined


def test_progress_bar_counts_and_is_erased(terminal: Terminal, db_path: Path, make_venv: Callable[..., Path]) -> None:
    """Six probes on a terminal: ``probing [...] n/6 1.2s`` while they run, and nothing of it left after."""
    venvs = [make_venv(f"p{i}") for i in range(6)]
    log = db_path.parent / "stderr.log"
    # The bar draws on stderr only when stderr is a terminal; record what the terminal was sent through `script`.
    command = f"script -qfec {shlex.quote(_interpdb(db_path, 'probe', *venvs))} {shlex.quote(str(log))}"
    if shutil.which("script") is None:
        pytest.skip("needs util-linux `script` to record what the terminal was sent")
    screen = terminal.run(command, 120)
    drawn = log.read_text(errors="replace")
    assert "probing [" in drawn and "/6 " in drawn and "6/6" in drawn
    assert re.search(r"\] [0-6]/6 [0-9]+\.[0-9]s", drawn), "done/total and the elapsed seconds"
    assert not any("probing" in line for line in screen), screen  # erased: the table is all that is left
    assert screen[0].split()[:2] == ["id", "path"] and len(screen) == 2 + 6


def test_find_escapes_a_hostile_path_on_a_terminal(
    terminal: Terminal, db_path: Path, run: Cli, tmp_path: Path, base_python: Path
) -> None:
    """On a terminal the path's ESC, BEL and newline are shown as escapes; nothing changes colour or title."""
    folder = tmp_path / "red\x1b[31m title\x1b]0;pwned\x07 new\nline"
    folder.mkdir()
    (folder / "python3").symlink_to(base_python)
    run("probe", folder / "python3")
    screen = terminal.run(_interpdb(db_path, "find", folder / "python3"), 200)
    assert screen == [str(folder / "python3").replace("\x1b", "\\x1b").replace("\x07", "\\x07").replace("\n", "\\n")]
    assert "pwned" not in terminal.tmux("display-message", "-p", "#{pane_title}")
    listed = terminal.run(_interpdb(db_path, "list", "--no-discover", "--wide"), 250)
    assert len(listed) == 3 and "\\x1b[31m title\\x1b]0;pwned\\x07 new\\nline" in listed[2]
    # CSV too: exact for a pipe or a file, escaped for a terminal (the title was set).
    csv_lines = terminal.run(_interpdb(db_path, "list", "--no-discover", "--format", "csv"), 250)
    assert len(csv_lines) == 2 and "\\x1b[31m title\\x1b]0;pwned\\x07 new\\nline" in csv_lines[1]
    assert "pwned" not in terminal.tmux("display-message", "-p", "#{pane_title}")
    assert str(folder) in run("list", "--no-discover", "--format", "csv").stdout


@pytest.mark.parametrize("columns", [80, 120])
def test_show_history_diff_and_hosts_fit_the_terminal(
    terminal: Terminal, db_path: Path, inventory: list[Path], columns: int
) -> None:
    """The other tables a person reads, in a real terminal: nothing wraps, and what matters survives
    (history --diff's diff cell, show's fingerprint table, the host's row)."""
    venv = inventory[2]
    site = next((venv.parent.parent / "lib").glob("python3*/site-packages"))
    (site / "extra.pth").write_text(str(db_path.parent) + "\n")
    subprocess.run(shlex.split(_interpdb(db_path, "-q", "probe", venv)), check=True, capture_output=True)
    screens = {
        "history": terminal.run(_interpdb(db_path, "history", venv, "--diff"), columns),
        "show": terminal.run(_interpdb(db_path, "show", venv), columns, rows=120),
        "hosts": terminal.run(_interpdb(db_path, "hosts"), columns),
    }
    for name, screen in screens.items():
        assert screen and all(len(line) <= columns for line in screen), (name, screen)
    header, _rule, changed, first = screens["history"]
    assert header.split()[-1] == "diff" and "sys.path + " in changed and first.endswith("(first probe)")
    assert screens["show"][0].split()[0] == "path"
    assert any(line.split()[:3] == ["role", "path", "exists"] for line in screens["show"])
    assert screens["hosts"][0].split()[0] == "host" and screens["hosts"][2].endswith("*")
