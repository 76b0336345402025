"""The gate (``interpdb.store.gate``): read-only and shared stores, private files, a crash-safe
first run, damaged rows. Each behaviour against a real SQLite file and the real CLI."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Cli, query

from interpdb.cli import cli
from interpdb.location import resolve
from interpdb.store import gate


def interpdb(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interpdb", *(str(a) for a in args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """``chattr +i``: not even root may write ``path`` (a file) or create files in it (a folder).

    CI runs as root, for whom a 0444 file is writable; an immutable file is not, and
    ``os.access`` says so, as it does for a read-only mount.
    """
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not possible here ({done.stderr.strip() or 'no chattr'}): no read-only file to test")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


@pytest.fixture
def changed_store(run: Cli, make_venv: Callable[..., Path], db_path: Path, tmp_path: Path) -> dict[str, Path]:
    """A store knowing a venv whose fingerprint has changed since (a new .pth), and a path to it
    the store does not know."""
    venv = make_venv()
    [record] = run.json("probe", venv)
    site = next(p for p in record["site_packages"] if p.startswith(record["prefix"]))
    extra = tmp_path / "extra"
    extra.mkdir()
    Path(site, "extra.pth").write_text(f"{extra}\n")
    unknown = tmp_path / "elsewhere" / "python"  # another name for it, never probed
    unknown.parent.mkdir()
    unknown.symlink_to(venv)
    return {"venv": venv, "db": db_path, "unknown": unknown}


#: Every reading command; none may write, migrate or back up.
READING = [
    ("list", "--no-discover", "--format", "json"),
    ("list", "--no-discover"),
    ("find", "3", "--no-discover", "--format", "json"),
    ("show", "1"),
    ("history", "--format", "json"),
    ("history",),
    ("sql", "SELECT count(*) AS n FROM probes", "--format", "json"),
    ("export",),
    ("hosts",),
    ("hosts", "--format", "json"),
    ("db", "datasette-metadata"),
    ("db", "path"),
    ("db", "current"),
    ("db", "check"),
]


def assert_read_only_behaviour(store: dict[str, Path], *global_args: str, env: dict[str, str] | None = None) -> None:
    db, venv = store["db"], store["venv"]
    before, listing = digest(db), sorted(p.name for p in db.parent.iterdir())
    listed = interpdb("--db", db, *global_args, "list", "--no-discover", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    [record] = json.loads(listed.stdout)
    assert record["status"] == "stale" and record["stale_changes"], record
    assert "note: the store is read-only" in listed.stderr
    # show, find and discover too: the interpreter is stale, and the note says why nothing was probed
    for args in (
        ("show", venv),
        ("find", venv),
        ("show", venv, "--format", "json"),
        ("find", venv, "--json"),
        ("discover", "--scan", venv.parent.parent, "--source", "venv"),
    ):
        shown = interpdb("--db", db, *global_args, *args, env=env)
        assert shown.returncode == 0, (args, shown.stderr)
        assert shown.stderr.startswith("note: the store is read-only ("), (args, shown.stderr)
        if "--format" in args or "--json" in args:
            assert json.loads(shown.stdout)["status"] == "stale", args
    for args in READING:
        done = interpdb("--db", db, *global_args, *args, env=env)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    for args in (("probe", "--refresh", venv), ("forget", "1"), ("db", "upgrade")):
        refused = interpdb("--db", db, *global_args, *args, env=env)
        assert refused.returncode == 1, (args, refused.stdout, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 2 and lines[0].startswith("error: cannot write ") and str(db) in lines[0], lines
        assert "read-only" in lines[0] and lines[1].startswith("hint: ")
    # A path never probed: said to be because of the read-only store, not a flag nobody gave.
    unknown = store["unknown"]
    new = interpdb("--db", db, *global_args, "probe", unknown, env=env)
    assert new.returncode == 1 and new.stderr.splitlines()[-1] == (
        f"error: {unknown}: never probed, and the store is read-only: nothing is probed"
    ), new.stderr
    assert digest(db) == before
    assert not [name for name in db.parent.iterdir() if name.name.endswith(".bak")]
    if not global_args and env is None:
        assert sorted(p.name for p in db.parent.iterdir()) == listing


def test_a_store_locked_past_the_busy_timeout_is_called_busy_not_damaged(changed_store: dict[str, Path]) -> None:
    """Another program holding an exclusive lock (a rollback-journal store: WAL readers are never
    blocked) is waited for five seconds, then named in one line: never "no schema revision" with
    a hint to restore a backup, which would send someone to replace a healthy store."""
    db = changed_store["db"]
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=DELETE")
        holder.execute("BEGIN EXCLUSIVE")
        # The warm path and click (a write) at once: each waits out the five seconds.
        waiting = [
            subprocess.Popen(
                [sys.executable, "-m", "interpdb", "--db", str(db), *args],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in (
                ["list", "--no-discover", "--format", "json"],
                ["probe", str(changed_store["venv"])],
                ["db", "backup", str(db.parent / "copy.sqlite3")],  # the backup API alone would wait for ever
            )
        ]
        ended = []
        for proc in waiting:
            out, err = proc.communicate(timeout=60)
            ended.append((proc.returncode, out, err))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    busy = f"error: {db} is busy: another program has held it locked for 5 seconds; try again\n"
    assert ended == [(1, "", busy), (1, "", busy), (1, "", busy)]
    assert not (db.parent / "copy.sqlite3").exists()
    assert interpdb("--db", db, "list", "--no-discover", "--format", "json").returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 300 KiB tmpfs of the test's own (root only), to fill up."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_store_on_a_full_disk_is_called_unreadable_not_foreign(small_disk: Path, base_python: Path) -> None:
    """SQLite cannot make its -wal and -shm files on a full disk, even to read: a healthy store
    was called "not an interpdb database". It is a disk I/O error with a hint, and reads again
    once there is room."""
    db = small_disk / "interpdb.sqlite3"
    assert interpdb("--db", db, "probe", base_python).returncode == 0
    for name in ("interpdb.sqlite3-wal", "interpdb.sqlite3-shm"):
        (small_disk / name).unlink(missing_ok=True)
    with open(small_disk / "fill", "wb") as fill, contextlib.suppress(OSError):
        fill.write(b"\0" * 400_000)
    for args in (("list", "--no-discover"), ("db", "check"), ("sql", "SELECT 1")):
        done = interpdb("--db", db, *args)
        assert done.returncode == 1 and done.stderr.splitlines() == [
            f"error: cannot read {db}: disk I/O error",
            "hint: is its disk full? SQLite needs room beside the store (its -wal and -shm files) even to read",
        ], (args, done.stderr)
    (small_disk / "fill").unlink()
    assert interpdb("--db", db, "list", "--no-discover").returncode == 0


def test_an_immutable_file_is_read_not_written(changed_store: dict[str, Path]) -> None:
    """A file that cannot be written: every reading command works, a changed interpreter is
    stale with a note, a writing command fails with one line and a hint, the bytes stay."""
    with immutable(changed_store["db"]):
        assert_read_only_behaviour(changed_store)


def test_a_file_in_a_folder_that_cannot_be_written_is_read(changed_store: dict[str, Path]) -> None:
    """SQLite cannot open a WAL database read-only where it cannot create the -shm file;
    the gate opens it as immutable there, and the folder listing does not change. ``db
    backup`` to another folder is a read too: it goes through the same connection (a
    plain mode=ro one failed there with "unable to open database file")."""
    db = changed_store["db"]
    copy = db.parent.parent / "backup-of-a-read-only-store.sqlite3"
    with immutable(db.parent):
        assert_read_only_behaviour(changed_store)
        backed_up = interpdb("--db", db, "db", "backup", copy)
        assert (backed_up.returncode, backed_up.stdout, backed_up.stderr) == (0, f"{copy}\n", ""), backed_up
    assert query(copy, "SELECT count(*) FROM probes") == query(db, "SELECT count(*) FROM probes")


def test_read_only_flag_and_variable(changed_store: dict[str, Path]) -> None:
    assert_read_only_behaviour(changed_store, "--read-only")
    assert_read_only_behaviour(changed_store, env=dict(os.environ, INTERPDB_READ_ONLY="1"))


#: (file mode, folder mode, whether nobody owns the file): a teammate's read-only file in a
#: folder nobody may not write; the same file where nobody could create its -shm (the gate
#: must still leave nothing behind); nobody's own writable file in a folder it cannot write.
SHARED = {
    "0444 file in a 0555 folder": (0o444, 0o555, False),
    "0444 file in a 0777 folder": (0o444, 0o777, False),
    "own 0644 file in a 0555 folder": (0o644, 0o555, True),
}


@pytest.mark.parametrize("layout", sorted(SHARED))
def test_a_store_another_user_owns_is_read(tmp_path: Path, layout: str) -> None:
    """As an unprivileged user (nobody): reading commands work, a changed interpreter is stale
    with the note, writing commands fail with one line and a hint, nothing is left or changed.

    The interpreter is one nobody can reach (a venv of /usr/bin/python3 outside root's
    folders): one it could not would be out of its reach, not stale."""
    python = Path("/usr/bin/python3")
    if os.geteuid() != 0 or not python.exists():
        pytest.skip("needs root (to become nobody) and /usr/bin/python3")
    if sys.version_info[:2] != tuple(
        int(x)
        for x in subprocess.check_output(
            [python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"], text=True
        ).split()
    ):
        pytest.skip("/usr/bin/python3 is another Python than the suite's: its site-packages would not load")
    import sqlalchemy

    import interpdb as package

    sources = [Path(package.__file__).parent.parent, Path(sqlalchemy.__file__).parent.parent]
    nobody = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups", str(python)]
    probe = subprocess.run(
        [*nobody, "-c", "import os, sys; [os.listdir(p) for p in sys.argv[1:]]", *map(str, sources)],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip("nobody cannot read this checkout or its site-packages (a private home folder)")
    file_mode, folder_mode, owned = SHARED[layout]
    shared = Path("/tmp") / f"interpdb-shared-{os.getpid()}"
    shared.mkdir(mode=0o755)
    venv = Path("/tmp") / f"interpdb-shared-venv-{os.getpid()}"
    try:
        subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
        source = tmp_path / "team.sqlite3"
        [record] = json.loads(interpdb("--db", source, "probe", venv / "bin" / "python", "--format", "json").stdout)
        site = next(p for p in record["site_packages"] if p.startswith(record["prefix"]))
        Path(site, "extra.pth").write_text(f"{tmp_path}\n")  # changed since it was probed
        db = shared / "team.sqlite3"
        db.write_bytes(source.read_bytes())
        db.chmod(file_mode)
        if owned:
            os.chown(db, 65534, -1)
        shared.chmod(folder_mode)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(shared),
            "PYTHONPATH": os.pathsep.join(map(str, sources)),
            "INTERPDB_DB": str(db),
        }

        def as_nobody(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*nobody, "-m", "interpdb", *map(str, args)], capture_output=True, text=True, check=False, env=env
            )

        before = digest(db)
        for args in READING:
            done = as_nobody(*args)
            assert done.returncode == 0, (args, done.stderr)
        listed = as_nobody("list", "--no-discover", "--format", "json")
        assert [r["status"] for r in json.loads(listed.stdout)] == ["stale"]
        why = "its folder is not writable" if owned else "the file is not writable"
        assert f"note: the store is read-only ({why})" in listed.stderr
        for args in (("probe", "--refresh", venv / "bin" / "python"), ("forget", "1"), ("db", "upgrade")):
            refused = as_nobody(*args)
            assert refused.returncode == 1, (args, refused.stderr)
            assert refused.stderr.splitlines() == [
                f"error: cannot write {db}: the store is read-only ({why})",
                "hint: reading commands (list, find, show, history, sql, export) work on it; "
                "to write, use a store you can write (--db PATH)",
            ]
        assert digest(db) == before
        assert sorted(p.name for p in shared.iterdir()) == ["team.sqlite3"]
    finally:
        shared.chmod(0o755)
        for child in shared.iterdir():
            child.unlink()
        shared.rmdir()
        shutil.rmtree(venv, ignore_errors=True)


def test_no_regular_file_is_ever_read_as_a_store_or_replaced_by_one(tmp_path: Path, base_python: Path) -> None:
    """``--db`` naming a FIFO or a device (``/dev/null``) is one line for every command; and
    ``db upgrade`` used to take a zero-size one for an empty store, unlink it and put a new
    database in its place. A symlink to an empty file keeps being a symlink: the store is
    made where it leads."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    odd = [fifo]
    if os.geteuid() == 0:  # a character device as /dev/null is, made here rather than risk the real one
        os.mknod(tmp_path / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        odd.append(tmp_path / "null")
    for path in odd:
        kind = stat.S_IFMT(os.lstat(path).st_mode)
        commands = (
            ("db", "upgrade"),
            ("db", "backup"),
            ("db", "path"),
            ("list", "--no-discover"),
            ("probe", str(base_python)),
        )
        for command in commands:  # db path printed the FIFO's path, exit 0 (datasette "$(interpdb db path)")
            done = interpdb("--db", path, *command)
            assert (done.returncode, done.stderr.splitlines()) == (
                1,
                [f"error: {path} is not a regular file, so not a database file", "hint: choose another --db"],
            ), (path, command)
        assert stat.S_IFMT(os.lstat(path).st_mode) == kind
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in odd)
    target, link = tmp_path / "shared" / "store.sqlite3", tmp_path / "store.sqlite3"
    target.parent.mkdir()
    target.write_bytes(b"")
    link.symlink_to(target)
    assert interpdb("--db", link, "db", "upgrade").returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert query(target, "SELECT count(*) FROM alembic_version")[0][0] == 1


def test_a_store_made_through_a_symlink_waits_for_one_made_through_its_target(
    tmp_path: Path, base_python: Path
) -> None:
    """The creation lock sat beside the name given: an interpdb given the link and one given
    the target each took their own, and both could make the store, the second rename
    replacing the first's (and the probes written into it meanwhile)."""
    import fcntl

    target, link = tmp_path / "real" / "store.sqlite3", tmp_path / "store.sqlite3"
    target.parent.mkdir()
    link.symlink_to(target)
    fd = os.open(f"{target}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as an interpdb making the store through its target does
        waiting = subprocess.Popen(
            [sys.executable, "-m", "interpdb", "--db", str(link), "probe", str(base_python)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=3)
        early = waiting.poll()
    finally:
        os.close(fd)
    _, stderr = waiting.communicate(timeout=60)
    assert early is None, f"made the store past the lock: {stderr}"
    assert waiting.returncode == 0, stderr
    assert not Path(f"{link}.lock").exists()
    assert query(link, "SELECT count(*) FROM probes")[0][0] == 1


@pytest.mark.sqlite_only  # the lock file beside a SQLite store
def test_a_creation_lock_held_too_long_is_busy_not_an_endless_wait(
    run: Cli, db_path: Path, base_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interpdb stopped (or hung) while it creates the store held its lock, and every
    other command waited for ever without a word; they now wait as a busy write waits."""
    import fcntl

    monkeypatch.setattr("interpdb.store.schema.BUSY_TIMEOUT_MS", 300)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{db_path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        result = run("probe", base_python, code=1)
        assert time.monotonic() - started < 10
    finally:
        os.close(fd)
    assert result.stderr == f"error: {db_path} is busy: another program has held it locked for 0.3 seconds; try again\n"
    assert not db_path.exists()
    run("probe", base_python)  # free again: made


def test_reading_commands_never_migrate_an_old_store(run: Cli, make_venv: Callable[..., Path], db_path: Path) -> None:
    """An older schema is read as it is by every reading command: no migration, no backup."""
    run("probe", make_venv())
    run("db", "downgrade", "0001_initial")
    for backup in db_path.parent.glob("*.bak"):
        backup.unlink()
    before, listing = digest(db_path), sorted(p.name for p in db_path.parent.iterdir())
    for args in READING[:-1]:  # db check reports the old revision as a problem (exit 1)
        if args[0] == "export":
            continue  # the ORM export names every column of the head: it says what to run instead
        done = interpdb(*args, env=dict(os.environ, INTERPDB_DB=str(db_path)))
        assert done.returncode == 0, (args, done.stderr)
    check = interpdb("db", "check", env=dict(os.environ, INTERPDB_DB=str(db_path)))
    assert check.returncode == 1 and "revision 0001_initial is not the head" in check.stdout
    export = interpdb("export", env=dict(os.environ, INTERPDB_DB=str(db_path)))
    assert export.returncode == 1 and "hint: interpdb db upgrade" in export.stderr
    # Read-only, that hint went round in a circle (db upgrade said to use the reading commands).
    export = interpdb("--read-only", "export", env=dict(os.environ, INTERPDB_DB=str(db_path)))
    assert export.returncode == 1 and "hint: export from an upgraded copy" in export.stderr, export.stderr
    assert digest(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == listing
    assert query(db_path, "SELECT version_num FROM alembic_version") == [("0001_initial",)]


def test_an_implicit_upgrade_says_so_and_names_its_backup(run: Cli, make_venv: Callable[..., Path]) -> None:
    """The first write after an update upgraded the store and left a copy beside it without
    a word; a person finding ``*.upgrade-*.bak`` in their data folder could not tell why."""
    venv = make_venv()
    run("probe", venv)
    run("db", "downgrade", "0003_scrub_secrets")
    for backup in Path(run.db).parent.glob("*.bak"):
        backup.unlink()
    result = run("probe", "--refresh", venv)
    [backup] = Path(run.db).parent.glob("*.upgrade-*.bak")
    assert (
        f"note: upgraded {run.db} from 0003_scrub_secrets to {gate.HEAD_REVISION}; backup: {backup}"
        in result.stderr.splitlines()
    ), result.stderr
    assert "upgraded" not in run("probe", "--refresh", venv).stderr  # once
    # forget and import upgrade too (every writing command does): said as well.
    exported = run("export").stdout
    for args, stdin in ((("forget", venv), None), (("import", "-"), exported)):
        run("db", "downgrade", "0004_host_identity")
        for backup in Path(run.db).parent.glob("*.bak"):
            backup.unlink()
        result = run.runner.invoke(cli, [str(a) for a in args], input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        [backup] = Path(run.db).parent.glob("*.upgrade-*.bak")
        said = f"note: upgraded {run.db} from 0004_host_identity to {gate.HEAD_REVISION}; backup: {backup}"
        assert said in result.stderr.splitlines(), (args, result.stderr)


def test_export_reads_a_store_behind_the_head_that_has_every_column(run: Cli, make_venv: Callable[..., Path]) -> None:
    """A store one index-only revision behind (0004: 0005 adds indexes) was refused by
    export, read-only too, though every other reading command read it."""
    run("probe", make_venv())
    head = json.loads(run("export").stdout)
    run("db", "downgrade", "0004_host_identity")
    for args in (("export",), ("--read-only", "export")):
        behind = json.loads(run(*args).stdout)
        assert [i["probes"] for i in behind["interpreters"]] == [i["probes"] for i in head["interpreters"]]
    assert query(run.db, "SELECT version_num FROM alembic_version") == [("0004_host_identity",)]


# -- private by default --------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_everything_interpdb_creates_is_private(tmp_path: Path, base_python: Path, umask: int) -> None:
    """The database, its lock, its WAL/SHM files, its backups, exports and the folders made for it."""
    data = tmp_path / "data"
    db = data / "deep" / "er" / "interpdb.sqlite3"
    env = dict(os.environ, INTERPDB_DB=str(db))
    code = f"import os, sys, runpy; os.umask({umask}); sys.argv = ['interpdb'] + sys.argv[1:]; runpy.run_module('interpdb', run_name='__main__')"  # noqa: E501

    def run_with_umask(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env, check=False
        )

    assert run_with_umask("probe", base_python).returncode == 0
    assert mode(db) == 0o600
    assert mode(db.with_name(db.name + ".lock")) == 0o600
    for folder in (data, data / "deep", data / "deep" / "er"):
        assert mode(folder) == 0o700, folder
    backup = run_with_umask("db", "backup")
    assert backup.returncode == 0 and mode(Path(backup.stdout.strip())) == 0o600
    run_with_umask("db", "downgrade", "0001_initial")
    run_with_umask("db", "upgrade")
    backups = list(db.parent.glob("*.bak"))
    assert len(backups) >= 3 and all(mode(b) == 0o600 for b in backups)
    exported = tmp_path / "inventory.json"  # it lists every interpreter as the store does
    assert run_with_umask("export", "-o", exported).returncode == 0 and mode(exported) == 0o600
    conn = sqlite3.connect(db)  # a writer holds the WAL open: SQLite gives it the database's mode
    try:
        conn.execute("INSERT INTO interpreter_sources SELECT id, 'test', created_at FROM interpreters")
        conn.commit()
        assert mode(db.with_name(db.name + "-wal")) == 0o600
        assert mode(db.with_name(db.name + "-shm")) == 0o600
    finally:
        conn.close()


def test_an_existing_files_mode_is_left_alone_and_db_check_warns(run: Cli, db_path: Path, base_python: Path) -> None:
    run("probe", base_python)
    db_path.chmod(0o644)
    run("probe", "--refresh", base_python)
    assert mode(db_path) == 0o644
    checked = run("db", "check")
    assert "note:" in checked.stderr and "readable by other users (mode 0644)" in checked.stderr
    db_path.chmod(0o600)
    assert "warning" not in run("db", "check").stderr


# -- a crash-safe first run ------------------------------------------------------------------------


#: Iterations in the suite; ``scripts/stress.py`` runs the long version (120). The seeded
#: kill times of these 12 fall at 0.29-1.2 of an uninterrupted run, and the file appears at
#: about 0.65-0.82 of one (measured), so each first run is killed on both sides of its creation.
KILLS = 12


def test_a_first_run_killed_at_any_point_leaves_a_store_the_next_run_uses(tmp_path: Path, base_python: Path) -> None:
    """SIGKILL during creation: either no database or a whole one; the next run always works,
    and a store that holds probe rows is never lost."""
    rng = random.Random(8)
    outcomes = {"no file": 0, "whole": 0}
    firsts = (["db", "upgrade"], ["probe", str(base_python)])
    # The first run as a user makes it (a probe) or as `db upgrade` makes it; the kill lands
    # anywhere from the imports to a little after the whole run, timed here once, uninterrupted:
    # a loaded machine takes seconds where an idle one takes 0.3-1 s.
    lasts = []
    for first in firsts:
        env = dict(os.environ, INTERPDB_DB=str(tmp_path / f"timed-{first[0]}" / "interpdb.sqlite3"))
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "interpdb", *first], capture_output=True, env=env, check=True)
        lasts.append(time.monotonic() - started)
    for i in range(KILLS):
        db = tmp_path / f"run{i}" / "interpdb.sqlite3"
        env = dict(os.environ, INTERPDB_DB=str(db))
        first, lasting = firsts[i % 2], lasts[i % 2]
        proc = subprocess.Popen(
            [sys.executable, "-m", "interpdb", *first], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        time.sleep(rng.uniform(0.2 * lasting, 1.2 * lasting))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes["whole" if db.exists() else "no file"] += 1
        if db.exists():
            access = gate.inspect(resolve(str(db)))
            assert access.state == "current", (i, access.state)  # never half-made
        had = query(db, "SELECT count(*) FROM probes")[0][0] if db.exists() else 0
        again = interpdb("probe", base_python, env=env)
        assert again.returncode == 0, (i, again.stderr)
        assert query(db, "SELECT count(*) FROM probes")[0][0] >= max(had, 1)
    assert outcomes["no file"] and outcomes["whole"], outcomes  # the kills landed on both sides


def test_a_half_made_store_with_no_probe_is_rebuilt_one_with_probes_is_never(
    run: Cli, db_path: Path, base_python: Path
) -> None:
    """What an older interpdb killed mid-creation left (tables, no revision, no probe) is made whole;
    the same with a probe row in it is refused, never rebuilt."""
    run("probe", base_python)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("DELETE FROM alembic_version")
    conn.close()
    refused = run("probe", base_python, code=1)
    assert "no schema revision" in refused.stderr
    assert query(db_path, "SELECT count(*) FROM probes")[0][0] == 1
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        for table in ("fingerprint_entries", "sys_path_entries", "interpreter_sources", "probes", "interpreters"):
            conn.execute(f"DELETE FROM {table}")
    conn.close()
    run("probe", base_python)
    assert query(db_path, "SELECT version_num FROM alembic_version") == [(gate.HEAD_REVISION,)]
    assert query(db_path, "SELECT count(*) FROM probes")[0][0] == 1


# -- a damaged store -------------------------------------------------------------------------------


DAMAGE = {
    "non-UTF-8 text": (
        "UPDATE probes SET implementation = CAST(x'ff6370' AS TEXT) WHERE id = :id",
        "implementation is not UTF-8 text",
    ),
    # cut inside a string, as a truncated answer is: CPython 3.10 and 3.11's scanner then needs json.decoder
    "broken JSON": ('UPDATE probes SET data = \'{"sys_path": ["/usr/li\' WHERE id = :id', "data is not valid JSON"),
    "wrong type": ("UPDATE probes SET version_major = 'three' WHERE id = :id", "version_major is not int"),
    "a bad time": ("UPDATE probes SET probed_at = 'yesterday' WHERE id = :id", "probed_at is not a time"),
    "a change of the wrong shape": (
        """UPDATE probes SET changes = '[{"role": 1}]' WHERE id = :id""",
        "changes[0] is not a change",
    ),
    "data of the wrong shape": (
        "UPDATE probes SET data = json_set(data, '$.sys_path', 5) WHERE id = :id",
        "data.sys_path is not a JSON array",
    ),
    "a fingerprint entry not UTF-8": (
        "UPDATE fingerprint_entries SET path = CAST(x'ff2f61' AS TEXT) WHERE probe_id = :id",
        "path is not UTF-8 text",
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_row_is_an_error_row_never_a_traceback(
    run: Cli, make_venv: Callable[..., Path], db_path: Path, kind: str
) -> None:
    good, bad = make_venv("good"), make_venv("bad")
    run("probe", good, bad)
    [(probe_id,)] = query(db_path, f"SELECT current_probe_id FROM interpreters WHERE path = '{bad}'")
    sql, reason = DAMAGE[kind]
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(sql, {"id": probe_id})
    conn.close()
    before = digest(db_path)
    env = dict(os.environ, INTERPDB_DB=str(db_path))
    listed = interpdb("list", "--no-discover", "--all", "--format", "json", env=env)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    by_path = {r["path"]: r for r in json.loads(listed.stdout)}
    damaged = by_path[str(bad)]
    assert damaged["status"] == "error" and f"probe {probe_id}" in damaged["error"] and reason in damaged["error"]
    assert by_path[str(good)]["status"] == "cached"
    for args in (
        ("list", "--no-discover", "--all"),
        ("history",),
        ("history", "--format", "json"),
        ("history", str(bad), "--diff"),
        ("show", str(bad), "--offline"),
        ("show", str(bad), "--offline", "--format", "json"),
        ("find", str(bad), "--offline", "--format", "json"),
    ):
        done = interpdb(*args, env=env)
        assert "Traceback" not in done.stderr and done.returncode in (0, 1), (args, done.stderr)
    # export carries a row as it is stored; one it cannot read is one line naming it
    exported = interpdb("export", env=env)
    if kind in ("non-UTF-8 text", "a bad time", "broken JSON", "a fingerprint entry not UTF-8"):
        assert exported.returncode == 1 and exported.stdout == "", exported.stderr
        error, hint = exported.stderr.splitlines()
        assert error.startswith("error: cannot export: damaged row in the store (") and reason in error, error
        assert f"probe {probe_id})" in error and hint == "hint: `interpdb db check` lists every damaged row"
    else:
        assert exported.returncode == 0 and "Traceback" not in exported.stderr, exported.stderr
    events = json.loads(interpdb("history", "--format", "json", env=env).stdout)
    if kind in ("non-UTF-8 text", "a bad time", "a change of the wrong shape"):  # what an event reads
        assert any(e["probe_id"] == probe_id and e["outcome"] == "error" and reason in e["error"] for e in events)
    check = interpdb("db", "check", env=env)
    assert check.returncode == 1 and f"probe {probe_id}" in check.stdout and reason in check.stdout
    assert digest(db_path) == before  # nothing rewritten without the user asking
    refreshed = interpdb("probe", "--refresh-interpreter", bad, bad, env=env)
    assert refreshed.returncode == 0, refreshed.stderr
    assert json.loads(interpdb("list", "--no-discover", "--format", "json", env=env).stdout)[-1]["status"] == "cached"


def test_a_damaged_interpreter_row_never_breaks_a_write_or_an_export(
    run: Cli, make_venv: Callable[..., Path], db_path: Path
) -> None:
    """A column only the writer and ``export`` load (``created_at``): one line naming what failed, never a traceback."""
    python = make_venv()
    run("probe", python)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE interpreters SET created_at = 'yesterday'")
    conn.close()
    env = dict(os.environ, INTERPDB_DB=str(db_path))
    for args in (
        ("list", "--no-discover"),
        ("forget", str(python)),
        ("probe", "--refresh", str(python)),
        ("prune", "--missing-for", "1d"),
        ("export",),
    ):
        done = interpdb(*args, env=env)
        assert "Traceback" not in done.stderr and done.returncode in (0, 1), (args, done.stderr)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == done.returncode, (args, done.stderr)
    forget = interpdb("forget", str(python), env=env)
    assert forget.stderr.splitlines() == [
        "error: cannot forget them: a stored row is damaged (ValueError: Invalid isoformat string: 'yesterday')",
        "hint: `interpdb db check` lists every damaged row",
    ]
    exported = interpdb("export", env=env)
    assert exported.stderr.startswith(
        "error: cannot export: damaged row in the store (interpreter 1): created_at is not a time ('yesterday')"
    )
    check = interpdb("db", "check", env=env)
    assert check.returncode == 1 and "(interpreter 1): created_at is not a time" in check.stdout


def test_another_users_interpreter_is_out_of_reach_not_missing(
    tmp_path: Path, base_python: Path, db_path: Path
) -> None:
    """A store shared by several users: one may not enter the folder of another's
    interpreter (EACCES, which ``os.path.exists`` reports as absent). For that user it
    is an error saying so, never a candidate; and it is not recorded missing, so its
    owner's next command still answers it from the store instead of re-probing it.

    Root is not refused a folder; root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    (``setpriv``) is, like any other user."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to act as a user refused a folder")
    private = tmp_path / "theirs"
    private.mkdir()
    subprocess.run([str(base_python), "-m", "venv", "--without-pip", str(private / "v")], check=True)
    python = private / "v" / "bin" / "python"
    assert interpdb("--db", db_path, "probe", python).returncode == 0
    os.chown(private, 65534, 65534)  # nobody's, and theirs alone
    private.chmod(0o700)
    refused = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    look = subprocess.run([*refused, sys.executable, "-c", f"import os; os.stat({str(python)!r})"], check=False)
    if look.returncode == 0:
        pytest.skip("setpriv did not take the capabilities away here")
    probes = query(db_path, "SELECT count(*) FROM probes")

    def as_other(*args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
        command = [*refused, sys.executable, "-m", "interpdb", "--db", str(db_path), *(str(a) for a in args)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    listed = as_other("list", "--no-discover", "--status", "error", "--format", "json")
    [row] = [r for r in json.loads(listed.stdout) if r["path"] == str(python)]
    assert (row["status"], row["error"]) == ("error", "permission denied: this user cannot reach it"), row
    found = as_other("find", python)
    assert (found.returncode, found.stdout) == (1, ""), found
    assert found.stderr == f"error: {python}: permission denied: this user cannot reach it\n"
    assert query(db_path, "SELECT count(*) FROM probes") == probes  # nothing written
    owner = json.loads(interpdb("--db", db_path, "list", "--no-discover", "--format", "json").stdout)
    assert [r["status"] for r in owner if r["path"] == str(python)] == ["cached"]
