"""Two interpdb versions on one PostgreSQL database: upgrading one host never breaks the others.

The older interpdb is the release before schema revision ``0004_host_identity``, built
as a wheel from git history (``git archive`` of the commit before the one that added
that migration, ``python -m build --wheel``) once per session, and installed without
its dependencies into a venv that borrows this one's (SQLAlchemy, Alembic, psycopg...).
What is pinned (docs/schema.md, "Schema version and compatibility"):

- this interpdb never migrates a shared database implicitly: on the older schema its
  reading commands answer, a writing command says in one line to run ``interpdb db
  upgrade``, and the revision stays where it was until that is run;
- the older interpdb reads the newer, additively changed schema (its rows, its
  history, ``sql``) and refuses, in one line, to write it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import python_for
from pgserver import Database

from interpdb.store.gate import HEAD_REVISION

ROOT = Path(__file__).resolve().parent.parent
FIRST_WITH_HOSTS = "migrations/versions/0004_host_identity.py"

pytestmark = pytest.mark.slow


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def _unavailable(reason: str) -> None:
    """No history to build from (a shallow clone, an sdist): skipped, saying why (``-ra``
    prints it). Not a failure under CI, unlike a missing server: CI's clone has history."""
    pytest.skip(f"the mixed-version test cannot run: {reason}")


@pytest.fixture(scope="session")
def older_interpdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``interpdb`` console script of the release before ``0004_host_identity``."""
    if shutil.which("git") is None:
        _unavailable("git is not installed")
    added = _git("log", "--diff-filter=A", "--format=%H", "--", FIRST_WITH_HOSTS).splitlines()
    if not added:
        _unavailable(f"no git history of {FIRST_WITH_HOSTS} here (a shallow clone or an sdist)")
    commit = _git("rev-parse", f"{added[-1]}^")
    top = tmp_path_factory.mktemp("older")
    archive = top / "source.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "--prefix=source/", "-o", str(archive), commit], check=True)
    subprocess.run(["tar", "-xf", str(archive), "-C", str(top)], check=True)
    source = top / "source"
    # Without build isolation: hatchling is a test dependency, so no download and no new venv.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(top / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = (top / "dist").glob("interpdb-*.whl")
    venv = top / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    # Its dependencies are this venv's (no download); interpdb itself is the old wheel's,
    # which comes first on sys.path (this venv's editable interpdb is not a site dir there).
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    script = venv / "bin" / "interpdb"
    assert script.exists()
    yield script


def interpdb(script: Path | str, db: str, *args: str | Path, code: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, INTERPDB_DB=db)
    env.pop("INTERPDB_HOST", None)
    done = subprocess.run([str(script), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)
    assert code is None or done.returncode == code, (script, args, done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def revision(postgres: Database) -> str:
    [(found,)] = postgres.rows("SELECT version_num FROM alembic_version")
    return str(found)


def test_an_older_and_this_interpdb_share_one_postgresql_database(
    older_interpdb: Path,
    postgres: Database,
) -> None:
    """The older release creates the database; this one reads it, refuses to write it until
    ``db upgrade``; after the upgrade the older one still reads every row (its own and this
    one's) and ``sql``, and refuses to write, each in one line, the data untouched."""
    newer = [sys.executable, "-m", "interpdb"]
    url = postgres.url
    old_python, new_python = python_for("3.11"), python_for("3.12")

    created = interpdb(older_interpdb, url, "probe", old_python, "--format", "json")
    assert json.loads(created.stdout)[0]["status"] == "probed"
    older_head = revision(postgres)
    assert older_head != HEAD_REVISION, "the older release must have an older schema head"

    def ours(*args: str | Path, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, INTERPDB_DB=url)
        env.pop("INTERPDB_HOST", None)
        done = subprocess.run([*newer, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)
        assert code is None or done.returncode == code, (args, done.returncode, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    # This interpdb on the older schema: reads, never migrates implicitly.
    listed = json.loads(ours("list", "--no-discover", "--offline", "--format", "json").stdout)
    assert [r["path"] for r in listed] == [str(old_python)]
    revalidated = ours("list", "--no-discover", "--format", "json", code=None)
    if revalidated.returncode != 0:  # a row to re-probe (a newer probe script): that is a write
        assert revalidated.stderr.endswith("shared database is never upgraded implicitly\nhint: interpdb db upgrade\n")
        assert revalidated.stderr.count("\n") == 2
    assert [e["path"] for e in json.loads(ours("history", "--format", "json").stdout)] == [str(old_python)]
    refused = ours("probe", new_python, code=1)
    assert refused.stderr.count("\n") == 2, refused.stderr  # error and hint
    assert "never upgraded implicitly" in refused.stderr and "hint: interpdb db upgrade" in refused.stderr
    assert revision(postgres) == older_head
    assert postgres.rows("SELECT count(*) FROM probes") == [(1,)]

    ours("db", "upgrade")
    assert revision(postgres) == HEAD_REVISION
    ours("probe", new_python)
    assert postgres.rows("SELECT count(*) FROM probes") == [(2,)]

    # The older interpdb on the newer schema: reads what it understands, never writes.
    old_listed = json.loads(
        interpdb(older_interpdb, url, "list", "--no-discover", "--offline", "--format", "json").stdout
    )
    assert sorted(r["path"] for r in old_listed) == sorted([str(old_python), str(new_python)])
    assert {r["status"] for r in old_listed} <= {"cached", "stale"}, "as stored: nothing probed, nothing written"
    revalidated = interpdb(older_interpdb, url, "list", "--no-discover", "--format", "json", code=None)
    if revalidated.returncode != 0:  # a row its probe script would re-probe: a write, refused in one line
        assert revalidated.stderr.startswith("error: ") and "newer interpdb" in revalidated.stderr
    old_history = json.loads(interpdb(older_interpdb, url, "history", "--format", "json").stdout)
    assert sorted(e["path"] for e in old_history) == sorted([str(old_python), str(new_python)])
    counted = interpdb(older_interpdb, url, "sql", "SELECT count(*) AS n FROM interpreters_current", "--format", "json")
    assert json.loads(counted.stdout) == [{"n": 2}]
    before = postgres.rows("SELECT id, interpreter_id, trigger FROM probes ORDER BY id")
    written = interpdb(older_interpdb, url, "probe", "--refresh", old_python, code=1)
    assert "newer interpdb" in written.stderr and written.stderr.startswith("error: ")
    assert postgres.rows("SELECT id, interpreter_id, trigger FROM probes ORDER BY id") == before
    assert revision(postgres) == HEAD_REVISION
