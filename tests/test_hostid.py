"""Which host this is: INTERPDB_HOST, the OS machine id, else a generated id kept private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from interpdb import hostid
from interpdb.errors import UsageError


def test_interpdb_host_is_id_or_id_slash_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERPDB_HOST", "ci-07")
    assert hostid.current() == hostid.Host("ci-07", "ci-07")
    monkeypatch.setenv("INTERPDB_HOST", "3f2a9c/runner-7")
    me = hostid.current()
    assert (me.id, me.name) == ("3f2a9c", "runner-7")
    assert me.matches("3f2a9c") and me.matches("runner-7") and not me.matches("runner")


@pytest.mark.parametrize("value", [" lead", "id/", "/name", "tab\there", "x" * 256, "id/na\nme"])
def test_a_bad_interpdb_host_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("INTERPDB_HOST", value)
    with pytest.raises(UsageError, match="INTERPDB_HOST has an invalid"):
        hostid.current()


@pytest.mark.skipif(not os.path.exists("/etc/machine-id"), reason="no /etc/machine-id on this machine")
def test_the_os_machine_id_is_the_id_and_the_node_name_the_name() -> None:
    me = hostid.current()
    assert me.id == Path("/etc/machine-id").read_text().strip()
    assert me.name == os.uname().nodename


def test_without_a_machine_id_one_is_made_once_and_kept_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A real file under XDG_CONFIG_HOME (conftest points it into tmp_path), 0600 in a 0700 folder,
    whatever the umask; every later call (and process) reads the same id."""
    (tmp_path / "empty-machine-id").write_text("\n")  # systemd's not-yet-initialised id counts as none
    monkeypatch.setattr(hostid, "MACHINE_ID_FILES", (str(tmp_path / "empty-machine-id"),))
    old = os.umask(0)
    try:
        first = hostid.current()
    finally:
        os.umask(old)
    kept = Path(os.environ["XDG_CONFIG_HOME"]) / "interpdb" / "host-id"
    assert kept.read_text().strip() == first.id and len(first.id) == 32
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert hostid.current().id == first.id
    script = "from interpdb import hostid; hostid.MACHINE_ID_FILES = (); print(hostid.current().id)"
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert again.stdout.strip() == first.id
    assert list(kept.parent.iterdir()) == [kept]  # no temporary file left
