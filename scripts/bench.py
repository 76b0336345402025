#!/usr/bin/env python3
"""Does a warm interpdb answer cost less than the probe it replaces? Print medians and ratios.

    python scripts/bench.py [--quick] [--rows N] [--venvs N] [--reps N] [--only GROUPS] [--json FILE]

Run it with the Python that has interpdb installed: it measures the ``interpdb``
console script beside that Python (``python -m interpdb`` when there is none).

Everything is built in a temporary folder, so neither the user's database nor their
PATH or version managers take part: a copy of ``~/.pyenv/versions`` made of symlinks,
venvs made from those Pythons with ``--without-pip``, one database per scenario.
Children run with ``HOME``, ``PATH``, ``PYENV_ROOT``, ``XDG_*`` and
``INTERPDB_SYSTEM_ROOT`` pointing into it and every ``PYTHON*`` variable dropped;
``PYTHONPYCACHEPREFIX`` points there too, so bytecode is cached as after a ``pip
install`` even where ``PYTHONDONTWRITEBYTECODE`` is set.

Groups (``--only``, comma-separated), in the report's order:

==========  =============================================================================
find        warm ``find 3.12 --format json`` vs one direct run of the probe script
list        warm ``list`` over 20 interpreters vs probing all 20; vs ``uv python list``
revalidate  ``fingerprint.changes`` in-process: one interpreter, then every scale venv
scale       1,000 venvs (``--venvs``): cold ``discover`` parallel vs ``--jobs 1``, warm
            ``list`` and its floor (``floor_list.py``), database size, peak memory
history     1,000,000 probe rows (``--rows``): ``history PATH`` and the ``probe_audit`` view
help        ``interpdb --help`` vs ``python -c pass`` and ``python -c "import click"``
virtualenv  warm ``virtualenv -p 3.12 --no-seed DIR`` through ``--discovery interpdb`` vs
            virtualenv's builtin discovery (each with its own cache warm), when the
            ``virtualenv`` console script is beside this Python
warm        issue 11's targets: warm ``find 3.12`` vs one direct probe and vs ``python -S -E
            -c pass``; the default ``list`` of 20 vs the same; interpdb's own import time
            (``-X importtime``) vs ``python -c pass``; ``find`` with the scale venvs known vs none;
            the tables people read (``show PATH``, ``history --limit 20``) vs the same probe
postgres    issue 12: warm ``list`` of 20 and ``history`` on a throwaway PostgreSQL server
            (``scripts/_pgserver.py``) vs the same on SQLite; skipped, saying why, without one
==========  =============================================================================

Compared cases run in turns (see ``_benchlib.interleaved``). The exit status is 0
whatever the timings, since this is a report, and 1 when the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from _benchlib import BenchError, Command, Row, Run, Samples, interleaved, run, run_all, table, write_json
from _pgserver import NoServer, throwaway_server

GROUPS = (
    "find", "list", "revalidate", "scale", "history", "help", "virtualenv", "tables", "projects", "warm", "postgres",
)  # fmt: skip
#: Groups run in this order so that ``revalidate`` can reuse the venvs ``scale`` built.
RUN_ORDER = (
    "help", "find", "list", "tables", "warm", "postgres", "projects", "virtualenv", "scale", "revalidate", "history",
)  # fmt: skip
#: Interpreters in the ``list`` scenario: the pyenv Pythons, then venvs up to this many.
SMALL_N = 20
#: Interpreters the synthetic history is spread over.
HISTORY_INTERPRETERS = 50
TRIGGERS = ("changed", "changed", "changed", "refresh", "max-age", "probe-changed", "changed", "refresh-interpreter")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
AUDIT_QUERY = "SELECT * FROM probe_audit WHERE path = :p ORDER BY probed_at DESC LIMIT 20"
MICRO = 1e-6


@dataclass(frozen=True)
class Python:
    version: tuple[int, ...]
    path: str

    @property
    def line(self) -> str:
        return ".".join(map(str, self.version[:2]))


@dataclass(frozen=True)
class Settings:
    reps: int
    venvs: int
    rows: int


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def interpdb_command() -> list[str]:
    """The console script a user would run: beside this Python, else ``python -m interpdb``."""
    script = Path(sys.executable).with_name("interpdb")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "interpdb"]


def real_pyenv_versions() -> list[Path]:
    """CPython install folders (``3.12.1``) of the real pyenv, newest patch of each line."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    newest: dict[str, tuple[tuple[int, ...], Path]] = {}
    for folder in root.iterdir() if root.is_dir() else ():
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)+", folder.name):
            continue  # pyenv-virtualenv envs, PyPy, ...: not what the scenarios count on
        version = tuple(int(part) for part in folder.name.split("."))
        line = ".".join(folder.name.split(".")[:2])
        if (folder / "bin" / f"python{line}").exists() and version > newest.get(line, ((), folder))[0]:
            newest[line] = (version, folder)
    return [folder for _, folder in sorted(newest.values())]


#: A shim the shape ``pyenv rehash`` writes (interpdb recognises it by these lines and
#: resolves it by reading what pyenv reads, without running it).
PYENV_SHIM = """#!/usr/bin/env bash
set -e
program="${{0##*/}}"
export PYENV_ROOT="{root}"
exec "{root}/libexec/pyenv" exec "$program" "$@"
"""


def child_environment(root: Path) -> dict[str, str]:
    dropped = (
        "PYTHON",
        "VIRTUAL_ENV",
        "CONDA",
        "PYENV",
        "UV_",
        "ASDF_",
        "MISE_",
        "RYE_",
        "HATCH_",
        "PDM_",
        "INTERPDB_",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    home = root / "home"
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PYENV_ROOT=str(home / ".pyenv"),
        INTERPDB_SYSTEM_ROOT=str(root / "system-root"),
        PATH=str(root / "bin"),
        PYTHONPYCACHEPREFIX=str(root / "pycache"),
    )
    return env


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def db_bytes(db: Path) -> int:
    return sum(Path(f"{db}{suffix}").stat().st_size for suffix in ("", "-wal") if Path(f"{db}{suffix}").exists())


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BenchError(f"{path.name} is not JSON: {error}") from error


def expect_cached(path: Path, count: int, what: str) -> None:
    """The timed runs must have answered from the store: otherwise they measured probes."""
    document = load_json(path)
    records = document if isinstance(document, list) else [document]
    statuses = sorted({record.get("status") for record in records})
    if len(records) != count or statuses != ["cached"]:
        raise BenchError(f"{what}: expected {count} cached records, got {len(records)} with statuses {statuses}")


class Bench:
    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.interpdb = interpdb_command()
        self.env = child_environment(root)
        for folder in ("bin", "empty", "out", "db", "system-root", "pycache", "home/.pyenv/versions"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        self.empty = root / "empty"
        self.pythons = self._link_pyenv()
        self.target = next((p for p in self.pythons if p.line == "3.12"), self.pythons[-1])
        self._small: tuple[Path, list[str]] | None = None
        self._scale_folder: Path | None = None
        self._scale_db: Path | None = None
        self._cold_runs = 0
        self._source: str | None = None

    # -- fixtures -------------------------------------------------------------------------

    def _link_pyenv(self) -> list[Python]:
        versions = self.root / "home" / ".pyenv" / "versions"
        found = []
        for real in real_pyenv_versions():
            (versions / real.name).symlink_to(real, target_is_directory=True)
            line = ".".join(real.name.split(".")[:2])
            found.append(
                Python(tuple(int(p) for p in real.name.split(".")), str(versions / real.name / "bin" / f"python{line}"))
            )
        if not found:
            base = os.path.realpath(sys.executable)
            self.notes.append(f"no pyenv Pythons found: every scenario uses {base}, which discovery does not see")
            found.append(Python(tuple(sys.version_info[:3]), base))
        return found

    def command(
        self, args: list[str], db: Path | str, out: str | None = None, env: dict[str, str] | None = None
    ) -> Command:
        env = dict(env or self.env, INTERPDB_DB=str(db))
        return Command([*self.interpdb, *args], env, self.empty, self.root / "out" / out if out else None)

    def probe_script(self) -> str:
        if self._source is None:
            from interpdb.probe import script_source

            self._source = script_source()
        return self._source

    def shim_store(self) -> tuple[Path, dict[str, str]]:
        """A pyenv root of its own (the target's version, shims for it on ``PATH`` and nothing
        else) and a store that learned them by a ``list`` in ``self.empty``: the store a pyenv
        user has, and the environment to ask it in."""
        root = self.root / "shim-pyenv"
        env = dict(self.env, PATH=str(root / "shims"), PYENV_ROOT=str(root))
        db = self.root / "db" / "shims.sqlite3"
        if not db.exists():
            (root / "versions").mkdir(parents=True)
            (root / "shims").mkdir()
            version = Path(self.target.path).parent.parent
            (root / "versions" / version.name).symlink_to(os.path.realpath(version), target_is_directory=True)
            (root / "version").write_text(version.name + "\n")
            real_libexec = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "libexec"
            if real_libexec.is_dir():
                (root / "libexec").symlink_to(real_libexec, target_is_directory=True)
            for name in ("python", "python3", f"python{self.target.line}"):
                shim = root / "shims" / name
                shim.write_text(PYENV_SHIM.format(root=root))
                shim.chmod(0o755)
            run(self.command(["-q", "list", "--format", "json"], db, "shims-list.json", env))
        return db, env

    def plain_start_script(self) -> Path:
        """A console script that imports nothing before interpdb (uv writes such a one; pip's imports ``re``)."""
        script = self.root / "plain-bin" / "interpdb"
        if not script.exists():
            script.parent.mkdir(parents=True, exist_ok=True)
            script.write_text(f"#!{sys.executable}\nimport sys\nfrom interpdb._fast import main\nsys.exit(main())\n")
            script.chmod(0o755)
        return script

    def direct_probe(self, python: str, out: str = "probe.json") -> Command:
        """What interpdb runs for one probe, run by hand: ``python -E -c <probe script>``."""
        return Command([python, "-E", "-c", self.probe_script()], self.env, self.empty, self.root / "out" / out)

    def python_c(self, code: str) -> Command:
        return Command([sys.executable, "-c", code], self.env, self.empty)

    def make_venvs(self, jobs: list[tuple[Python, Path]]) -> None:
        def make(job: tuple[Python, Path]) -> None:
            python, folder = job
            done = subprocess.run(
                [python.path, "-m", "venv", "--without-pip", str(folder)],
                env=self.env,
                cwd=self.empty,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines() or ["no message"]
                raise BenchError(f"python{python.line} -m venv {folder.name} failed: {lines[-1]}")

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(make, jobs))

    def small(self) -> tuple[Path, list[str]]:
        """A database holding SMALL_N interpreters (the pyenv Pythons, then venvs), all probed."""
        if self._small is None:
            bases = self.pythons[:SMALL_N]
            makers = [p for p in self.pythons if p.version >= (3, 3)]
            extra = SMALL_N - len(bases) if makers else 0
            jobs = [
                (makers[i % len(makers)], self.root / "venvs" / f"{makers[i % len(makers)].line}-{i}")
                for i in range(extra)
            ]
            say(f"making {len(jobs)} venvs and probing {len(bases) + len(jobs)} interpreters")
            self.make_venvs(jobs)
            paths = [p.path for p in bases] + [str(folder / "bin" / "python") for _, folder in jobs]
            if len(paths) < SMALL_N:
                self.notes.append(f"only {len(paths)} interpreters for the {SMALL_N}-interpreter rows")
            db = self.root / "db" / "small.sqlite3"
            run(self.command(["-q", "probe", *paths, "--format", "json"], db, "small-probe.json"))
            run(self.command(["-q", "list", "--format", "json"], db, "small-list.json"))  # records discovery sources
            self._small = (db, paths)
        return self._small

    def scale_folder(self) -> Path:
        """``settings.venvs`` venvs of the target Python, copies of one made by ``venv``."""
        if self._scale_folder is None:
            count = self.settings.venvs
            started = time.perf_counter()
            template = self.root / "scale-template"
            self.make_venvs([(self.target, template)])
            config = (template / "pyvenv.cfg").read_text(encoding="utf-8")
            folder = self.root / "scale"
            for index in range(count):
                copy = folder / f"v{index:05d}"
                shutil.copytree(template, copy, symlinks=True)
                # pyvenv.cfg names the folder it was made in (the `command` line): name the copy.
                (copy / "pyvenv.cfg").write_text(config.replace(str(template), str(copy)), encoding="utf-8")
            self.notes.append(
                f"{count} scale venvs of Python {self.target.line} made by copying one venv "
                f"in {time.perf_counter() - started:.1f} s"
            )
            self._scale_folder = folder
        return self._scale_folder

    def cold_discover(self, jobs: list[str], tag: str, memory: bool = False) -> tuple[Run, Path]:
        """``discover`` of every scale venv into a new database."""
        self._cold_runs += 1
        db = self.root / "db" / f"cold-{tag}-{self._cold_runs}.sqlite3"
        args = ["-q", "discover", "--source", "venv", "--scan", str(self.scale_folder()), *jobs, "--format", "json"]
        return run(self.command(args, db, f"cold-{tag}.json"), memory=memory), db

    def scale_db(self) -> Path:
        if self._scale_db is None:
            say(f"discovering {self.settings.venvs} venvs (untimed)")
            self._scale_db = self.cold_discover([], "setup")[1]
        return self._scale_db

    # -- groups ---------------------------------------------------------------------------

    def group_find(self) -> None:
        db, _ = self.small()
        target = self.target
        cases: dict[str, Callable[[], Run]] = {
            "probe": lambda: run(self.direct_probe(target.path)),
            "find": lambda: run(self.command(["find", target.line, "--format", "json"], db, "find.json")),
            "find-nd": lambda: run(
                self.command(["find", target.line, "--no-discover", "--format", "json"], db, "find-nd.json")
            ),
        }
        found = interleaved(cases, self.settings.reps)
        expect_cached(self.root / "out" / "find.json", 1, "find")
        expect_cached(self.root / "out" / "find-nd.json", 1, "find --no-discover")
        probe = f"probe python{target.line} directly"
        self.rows.append(self.ratio_row("1a", f"find {target.line} --format json", probe, found, "find", "probe", 1.0))
        self.rows.append(
            self.ratio_row(
                "1b", f"find {target.line} --no-discover --format json", probe, found, "find-nd", "probe", 1.0
            )
        )

    def group_list(self) -> None:
        db, paths = self.small()
        n = len(paths)
        probes = [self.direct_probe(path, f"serial-{i}.json") for i, path in enumerate(paths)]
        cases: dict[str, Callable[[], Run]] = {
            "serial": lambda: run_all(probes),
            "list-nd": lambda: run(self.command(["list", "--no-discover", "--format", "json"], db, "list-nd.json")),
            "list": lambda: run(self.command(["list", "--format", "json"], db, "list.json")),
        }
        found = interleaved(cases, self.settings.reps)
        expect_cached(self.root / "out" / "list-nd.json", n, "list --no-discover")
        expect_cached(self.root / "out" / "list.json", n, "list")
        serial = f"{n} probes, one after another"
        self.rows.append(
            self.ratio_row("2a", f"list --no-discover --format json ({n})", serial, found, "list-nd", "serial", 0.1)
        )
        self.rows.append(
            self.ratio_row("2b", f"list --format json ({n}, discovering)", serial, found, "list", "serial", 0.1)
        )
        self.compare_uv(paths)

    def compare_uv(self, paths: list[str]) -> None:
        uv = shutil.which("uv")
        if uv is None:
            self.notes.append("2c skipped: uv is not installed (no `uv` on PATH)")
            return
        # Both see the same PATH: the bin folder of each interpreter of rows 2a/2b.
        folders = list(dict.fromkeys(os.path.dirname(path) for path in paths))
        env = dict(
            self.env,
            PATH=os.pathsep.join(folders),
            UV_CACHE_DIR=str(self.root / "uv" / "cache"),
            UV_PYTHON_INSTALL_DIR=str(self.root / "uv" / "python"),
            UV_NO_CONFIG="1",
        )
        uv_argv = [uv, "python", "list", "--only-installed"]
        helped = subprocess.run([*uv_argv, "--help"], env=env, capture_output=True, text=True)
        if "--output-format" in helped.stdout:
            uv_argv += ["--output-format", "json"]
        db = self.root / "db" / "uv-path.sqlite3"
        run(self.command(["-q", "list", "--format", "json"], db, "uv-path-list.json", env))
        cases: dict[str, Callable[[], Run]] = {
            "uv": lambda: run(Command(uv_argv, env, self.empty, self.root / "out" / "uv.json")),
            "list": lambda: run(self.command(["list", "--format", "json"], db, "uv-path-list.json", env)),
        }
        found = interleaved(cases, self.settings.reps, warmup=2)
        records = load_json(self.root / "out" / "uv-path-list.json")
        if {r.get("status") for r in records} != {"cached"}:
            raise BenchError("list on the uv PATH was not answered from the store")
        version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
        self.rows.append(
            self.ratio_row(
                "2c",
                f"list --format json (PATH = {len(folders)} bin dirs)",
                " ".join(["uv", *uv_argv[1:]]),
                found,
                "list",
                "uv",
                1.0,
                strict=True,
            )
        )
        self.notes.append(f"2c: {version}, warm cache in the temporary folder; list printed {len(records)} rows")

    @contextmanager
    def fixture_environ(self) -> Iterator[None]:
        """In-process checks compare HOME (the user site's place) with what the children had."""
        saved = {name: os.environ.get(name) for name in ("HOME", "PYTHONUSERBASE")}
        os.environ["HOME"] = self.env["HOME"]
        os.environ.pop("PYTHONUSERBASE", None)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def group_revalidate(self) -> None:
        from interpdb import fingerprint, hostid
        from interpdb.location import resolve
        from interpdb.probe import script_hash
        from interpdb.store import gate, read

        small_db, _ = self.small()
        scale_db = self.scale_db()
        host = hostid.current()
        probe_hash = script_hash()
        reps = self.settings.reps
        probe = Samples()
        for _ in range(reps):
            probe.add(run(self.direct_probe(self.target.path)))

        def load(db: Path) -> list[Any]:
            conn = gate.open_read(resolve(str(db)))
            if conn is None:
                raise BenchError(f"no database at {db}")
            try:
                return read.current_records(conn, host)
            finally:
                conn.close()

        with self.fixture_environ():
            one = next((r for r in load(small_db) if r.path == self.target.path), None)
            if one is None:
                raise BenchError(f"{self.target.path} is not in the small database")
            stale = fingerprint.changes(one.entries, probe_hash)
            if stale:
                raise BenchError(f"{one.path} is not fresh in-process: {stale[0].describe()}")
            timer = timeit.Timer(lambda: fingerprint.changes(one.entries, probe_hash))
            loops, _ = timer.autorange()
            per_call = statistics.median(timer.repeat(repeat=reps, number=loops)) / loops

            conn = gate.open_read(resolve(str(scale_db)))
            assert conn is not None
            try:
                loading = [timeit.timeit(lambda: read.current_records(conn, host), number=1) for _ in range(reps)]
            finally:
                conn.close()
            many = load(scale_db)
            not_fresh = sum(1 for r in many if fingerprint.changes(r.entries, probe_hash))
            if not_fresh:
                raise BenchError(f"{not_fresh} of {len(many)} scale venvs are not fresh in-process")

            def check_all() -> None:  # as one command does: one stat cache shared by every check
                stats: dict[str, os.stat_result | None] = {}
                for record in many:
                    fingerprint.changes(record.entries, probe_hash, stats)

            passes = timeit.Timer(check_all).repeat(repeat=reps, number=1)
        n = len(many)
        total = statistics.median(passes)
        base = f"probe python{self.target.line} directly"
        entries = sum(len(r.entries) for r in many) / max(1, n)

        def under_50us(value: float) -> bool:
            return value <= 50 * MICRO

        self.rows += [
            Row(
                "3a",
                f"changes(), one interpreter ({len(one.entries)} entries)",
                base,
                per_call,
                probe.median,
                target="<= 50 µs",
                met=under_50us(per_call),
            ),
            Row("3b", f"changes(), all {n} scale venvs", base, total, probe.median),
            Row(
                "3c",
                f"changes(), per venv (~{entries:.0f} entries)",
                base,
                total / max(1, n),
                probe.median,
                target="<= 50 µs",
                met=under_50us(total / max(1, n)),
            ),
            Row("3d", f"current_records(), all {n} scale venvs", base, statistics.median(loading), probe.median),
        ]
        self.notes.append(f"3a: timeit, {loops} loops x {reps} repeats; 3b-3d: {reps} repeats")

    def group_scale(self) -> None:
        from interpdb.service import default_jobs

        count = self.settings.venvs
        self.scale_folder()
        cold_reps = max(1, min(3, 100 // max(1, count)))
        say(f"cold discover of {count} venvs, parallel and --jobs 1, {cold_reps} time(s) each")
        made: list[Path] = []

        def cold(jobs: list[str], tag: str) -> Run:
            # Through the memory launcher: its ~20 ms start-up is in both cases' times.
            result, db = self.cold_discover(jobs, tag, memory=True)
            made.append(db)
            return result

        found = interleaved(
            {"parallel": lambda: cold([], "parallel"), "serial": lambda: cold(["--jobs", "1"], "serial")},
            cold_reps,
            warmup=0,
        )
        expect_cached_or_probed(self.root / "out" / "cold-parallel.json", count)
        self.notes.append(
            f"4a: {found['parallel'].median / count * 1e3:.1f} ms per venv with -j {default_jobs()}, "
            f"{found['serial'].median / count * 1e3:.1f} ms with --jobs 1 ({cold_reps} run(s) each)"
        )
        keep = next(db for db in reversed(made) if "parallel" in db.name)
        for db in made:
            if db != keep:
                remove_db(db)
        self._scale_db = keep
        self.rows.append(
            self.ratio_row(
                "4a",
                f"cold discover --scan, {count} venvs, -j {default_jobs()}",
                "the same, --jobs 1",
                found,
                "parallel",
                "serial",
                0.55,  # issue 11: two probes at once on two cores, each answer written as it comes
            )
        )
        say(f"warm list of {count} venvs")
        cases: dict[str, Callable[[], Run]] = {
            "probe": lambda: run(self.direct_probe(self.target.path)),
            "pass": lambda: run(self.python_c("pass")),
            "list": lambda: run(self.command(["list", "--no-discover", "--format", "json"], keep, "scale-list.json")),
            "floor": lambda: run(self.floor("floor_list.py", [], keep, "floor-list.json")),
        }
        warm = interleaved(cases, self.settings.reps)
        expect_cached(self.root / "out" / "scale-list.json", count, f"list of {count}")
        if (self.root / "out" / "floor-list.json").read_bytes() != (self.root / "out" / "scale-list.json").read_bytes():
            raise BenchError("scripts/floor_list.py and interpdb list --format json wrote different listings")
        listed = warm["list"].median
        memory_cases: dict[str, Callable[[], Run]] = {
            "pass": lambda: run(self.python_c("pass"), memory=True),
            "list": lambda: run(
                self.command(["list", "--no-discover", "--format", "json"], keep, "scale-list.json"), memory=True
            ),
        }
        peaks = interleaved(memory_cases, 3, warmup=0)
        floor = max(max(s.floor_bytes) for s in (*peaks.values(), found["parallel"]))
        tenth = max(1, count // 10)
        small = self.first_of(keep, tenth)
        say(f"warm list of {count} venvs against {tenth}")
        listing = ["list", "--no-discover", "--format", "json"]
        scaling = interleaved(
            {
                "many": lambda: run(self.command(listing, keep, "scale-list.json")),
                "tenth": lambda: run(self.command(listing, small, "tenth.json")),
            },
            self.settings.reps,
        )
        expect_cached(self.root / "out" / "tenth.json", tenth, f"list of {tenth}")
        per_many, per_tenth = scaling["many"].median / count, scaling["tenth"].median / tenth
        self.rows += [
            Row(
                "4b",
                f"list --no-discover --format json ({count})",
                f"probe python{self.target.line} directly",
                listed,
                warm["probe"].median,
                target="<= 1.5 s",
                met=listed <= 1.5,
            ),
            Row(
                "4g",
                f"floor: floor_list.py ({count})",
                f"probe python{self.target.line} directly",
                warm["floor"].median,
                warm["probe"].median,
            ),
            self.ratio_row(
                "4h",
                f"list --no-discover --format json ({count})",
                "floor_list.py, the same bytes",
                warm,
                "list",
                "floor",
                None,
            ),
            Row(
                "4f",
                f"list --format json, per interpreter ({count})",
                f"the same, per interpreter ({tenth})",
                per_many,
                per_tenth,
                target="ratio <= 1.2",
                met=per_many / per_tenth <= 1.2,
            ),
            Row("4c", f"database size ({count} venvs)", "-", db_bytes(keep), unit="bytes"),
            Row(
                "4d",
                f"peak RSS, cold discover ({count}, -j {default_jobs()})",
                "python -c pass",
                found["parallel"].median_rss,
                peaks["pass"].median_rss,
                unit="bytes",
            ),
            Row(
                "4e",
                f"peak RSS, warm list ({count})",
                "python -c pass",
                peaks["list"].median_rss,
                peaks["pass"].median_rss,
                unit="bytes",
                target="<= 150 MiB",
                met=peaks["list"].median_rss <= 150 * 2**20,
            ),
        ]
        self.notes.append(
            f"4f: median wall time of the whole command divided by the interpreters listed "
            f"({per_many * 1e6:.0f} us at {count}, {per_tenth * 1e6:.0f} us at {tenth}: start-up weighs "
            f"more on the smaller store); the {tenth} are the first of the same store"
        )
        self.notes.append(
            "4g/4h: scripts/floor_list.py does the same listing's work with the standard library alone "
            "(one query per table, one stat per path, one decode per answer, json.dumps per record) and "
            "writes the same bytes (checked): 4g is the floor any Python tool pays here, 4h what interpdb "
            "costs above it"
        )
        self.notes.append(
            "4d/4e: peak RSS of the largest single process (interpdb, or one of its probes), from wait4 in a "
            f"small launcher whose own {floor / 2**20:.1f} MiB is the smallest value it can report; medians of 3 "
            "runs (4d: of the timed runs)"
        )

    def first_of(self, db: Path, count: int) -> Path:
        """A copy of ``db`` that keeps its first ``count`` interpreters (their probes, fingerprints
        and sources go with them, by the schema's cascades)."""
        small = db.with_name(f"first-{count}.sqlite3")
        shutil.copyfile(db, small)
        conn = sqlite3.connect(small)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            with conn:
                conn.execute(
                    "DELETE FROM interpreters WHERE id NOT IN (SELECT id FROM interpreters ORDER BY id LIMIT ?)",
                    (count,),
                )
            conn.execute("VACUUM")
        finally:
            conn.close()
        return small

    def group_history(self) -> None:
        from interpdb import __version__
        from interpdb.probe import script_hash

        rows = self.settings.rows
        db = self.root / "db" / "history.sqlite3"
        path = self.target.path
        run(self.command(["-q", "probe", path], db))
        say(f"writing {rows:,} synthetic probe rows")
        started = time.perf_counter()
        fill_history(db, os.uname().nodename, path, rows, self.pythons, script_hash(), __version__, self.root)
        self.notes.append(
            f"5: {rows:,} probe rows over {HISTORY_INTERPRETERS} interpreters written in "
            f"{time.perf_counter() - started:.1f} s; database {db_bytes(db) / 2**20:.0f} MiB "
            "(synthetic rows carry a small `data` document)"
        )
        cases: dict[str, Callable[[], Run]] = {
            "pass": lambda: run(self.python_c("pass")),
            "history": lambda: run(
                self.command(["history", path, "--limit", "20", "--format", "json"], db, "history.json")
            ),
        }
        has_sql = (
            run(Command([*self.interpdb, "sql", "--help"], self.env, self.empty, expect=(0, 1, 2))).returncode == 0
        )
        if has_sql:
            audit = ["sql", AUDIT_QUERY, "--param", f"p={path}", "--format", "json"]
            cases["audit"] = lambda: run(self.command(audit, db, "audit.json"))
        found = interleaved(cases, self.settings.reps)
        for name in [n for n in ("history", "audit") if n in found]:
            printed = load_json(self.root / "out" / f"{name}.json")
            if len(printed) != 20:
                raise BenchError(f"{name} printed {len(printed)} rows, not 20")
        pass_median = found["pass"].median
        label = f"{rows / 1e6:g}M" if rows >= 1_000_000 else f"{rows // 1000}k"
        self.rows.append(
            Row(
                "5a",
                f"history PATH --limit 20 --format json ({label})",
                "python -c pass",
                found["history"].median,
                pass_median,
                target="<= 50 ms",
                met=found["history"].median <= 0.05,
            )
        )
        if has_sql:
            self.rows.append(
                Row(
                    "5b",
                    f"sql probe_audit WHERE path LIMIT 20 ({label})",
                    "python -c pass",
                    found["audit"].median,
                    pass_median,
                    target="<= 50 ms",
                    met=found["audit"].median <= 0.05,
                )
            )
        else:
            self.notes.append("5b skipped: this interpdb has no `sql` command")

    def group_help(self) -> None:
        cases: dict[str, Callable[[], Run]] = {
            "pass": lambda: run(self.python_c("pass")),
            "click": lambda: run(self.python_c("import click")),
            "help": lambda: run(Command([*self.interpdb, "--help"], self.env, self.empty)),
        }
        found = interleaved(cases, self.settings.reps)
        self.rows.append(self.ratio_row("6a", "interpdb --help", "python -c pass", found, "help", "pass", None))
        self.rows.append(
            self.ratio_row("6b", "interpdb --help", 'python -c "import click"', found, "help", "click", 2.0)
        )
        self.notes.append(
            "6b: 'import click' is pass + the click import, so the ratio is help / (pass + (import click - pass))"
        )

    def group_tables(self) -> None:
        """The default output for people against the JSON for programs, warm: the table must cost no more."""
        db, paths = self.small()
        n = len(paths)
        env = dict(self.env, COLUMNS="80")  # stdout is a file: the table fits 80 columns, as documented
        target = self.target.line

        def interpdb(args: list[str], out: str) -> Callable[[], Run]:
            return lambda: run(self.command(args, db, out, env))

        cases: dict[str, Callable[[], Run]] = {
            "list-json": interpdb(["list", "--format", "json"], "tables-list.json"),
            "list-table": interpdb(["list"], "tables-list.txt"),
            "find-json": interpdb(["find", target, "--format", "json"], "tables-find.json"),
            "find-path": interpdb(["find", target], "tables-find.txt"),
        }
        found = interleaved(cases, self.settings.reps)
        expect_cached(self.root / "out" / "tables-list.json", n, "list --format json")
        lines = (self.root / "out" / "tables-list.txt").read_text(encoding="utf-8").splitlines()
        if len(lines) != n + 2 or max(len(line) for line in lines) > 80 or any("cached" not in x for x in lines[2:]):
            raise BenchError(f"list: expected a header, a rule and {n} cached rows within 80 columns, got {lines[:3]}")
        expect_cached(self.root / "out" / "tables-find.json", 1, "find --format json")
        self.rows.append(
            self.ratio_row(
                "8a", f"list, default table ({n})", "list --format json", found, "list-table", "list-json", 1.1
            )
        )
        self.rows.append(
            self.ratio_row(
                "8b", f"find {target}, default path", "find --format json", found, "find-path", "find-json", 1.1
            )
        )

    def own_import_seconds(self, args: list[str], db: Path) -> float:
        """interpdb's own modules' import time in one warm run: the sum of their ``-X importtime`` self times."""
        script = self.interpdb[-1] if len(self.interpdb) == 1 else None
        argv = [sys.executable, "-X", "importtime", *([script] if script else ["-m", "interpdb"]), *args]
        done = subprocess.run(
            argv, env=dict(self.env, INTERPDB_DB=str(db)), cwd=self.empty, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise BenchError(f"interpdb {' '.join(args)} under -X importtime exited {done.returncode}")
        total = 0
        for line in done.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) == 3 and parts[0].strip().isdigit():
                name = parts[2].strip()
                if name == "interpdb" or name.startswith("interpdb."):
                    total += int(parts[0])
        return total * MICRO

    def group_warm(self) -> None:
        """Issue 11: a warm answer at the floor of a Python start-up, whatever the number of venvs."""
        db, paths = self.small()
        n = len(paths)
        target = self.target
        env = dict(self.env, COLUMNS="80")
        bare = Command([sys.executable, "-S", "-E", "-c", "pass"], self.env, self.empty)
        cases: dict[str, Callable[[], Run]] = {
            "probe": lambda: run(self.direct_probe(target.path)),
            "bare": lambda: run(bare),
            "pass": lambda: run(self.python_c("pass")),
            "find": lambda: run(self.command(["find", target.line], db, "warm-find.txt", env)),
            "find-json": lambda: run(self.command(["find", target.line, "--format", "json"], db, "warm-find.json")),
            "list": lambda: run(self.command(["list"], db, "warm-list.txt", env)),
            "show": lambda: run(self.command(["show", str(target.path)], db, "warm-show.txt", env)),
            "history": lambda: run(self.command(["history", "--limit", "20"], db, "warm-history.txt", env)),
            "floor": lambda: run(self.floor("floor_find.py", [target.line], db, "floor-find.txt")),
        }
        if len(self.interpdb) == 1:  # a console script: the same find, started without its ``import re``
            plain = self.plain_start_script()
            cases["find-plain"] = lambda: run(
                Command(
                    [str(plain), "find", target.line],
                    dict(env, INTERPDB_DB=str(db)),
                    self.empty,
                    self.root / "out" / "warm-find-plain.txt",
                )
            )
        shims_db, shims_env = self.shim_store()
        elsewhere = self.root / "another-project"
        elsewhere.mkdir(exist_ok=True)
        for key, folder in (("shims-same", self.empty), ("shims-elsewhere", elsewhere)):
            shim_find = replace(
                self.command(["find", target.line], shims_db, f"warm-find-{key}.txt", shims_env), cwd=folder
            )
            cases[key] = partial(run, shim_find)
        shim_probes = probe_count(shims_db)
        found = interleaved(cases, self.settings.reps)
        if probe_count(shims_db) != shim_probes:
            raise BenchError("a warm find through the shims probed: the shim rows would time probes")
        shim_answers = {
            (self.root / "out" / f"warm-find-{key}.txt").read_text(encoding="utf-8")
            for key in ("shims-same", "shims-elsewhere")
        }
        if len(shim_answers) != 1:
            raise BenchError(f"find through the shims answered differently by folder: {sorted(shim_answers)}")
        answers = {
            (self.root / "out" / name).read_text(encoding="utf-8").strip()
            for name in ("floor-find.txt", "warm-find.txt", "warm-find-plain.txt")
            if (self.root / "out" / name).exists()
        }
        if len({os.path.realpath(answer) for answer in answers}) != 1:
            raise BenchError(f"scripts/floor_find.py and interpdb answered differently: {sorted(answers)}")
        expect_cached(self.root / "out" / "warm-find.json", 1, "find --format json")
        listed = (self.root / "out" / "warm-list.txt").read_text(encoding="utf-8").splitlines()
        if len(listed) != n + 2:
            raise BenchError(f"list: expected a header, a rule and {n} rows, got {len(listed)} lines")
        shown = (self.root / "out" / "warm-show.txt").read_text(encoding="utf-8")
        if "fingerprint" not in shown or "latest probes" not in shown:
            raise BenchError("show: expected its fingerprint and latest probes sections")
        logged = (self.root / "out" / "warm-history.txt").read_text(encoding="utf-8").splitlines()
        if len(logged) != 22:
            raise BenchError(f"history --limit 20: expected a header, a rule and 20 rows, got {len(logged)} lines")
        probe = f"probe python{target.line} directly"
        bare_what = f"python{sys.version_info[0]}.{sys.version_info[1]} -S -E -c pass"
        own = sorted(self.own_import_seconds(["find", target.line], db) for _ in range(self.settings.reps))
        own_median = statistics.median(own)
        self.rows += [
            self.ratio_row("9a", f"find {target.line} (path)", probe, found, "find", "probe", 0.8),
            self.ratio_row("9b", f"find {target.line} --format json", probe, found, "find-json", "probe", 0.8),
            self.ratio_row("9c", f"find {target.line} (path)", bare_what, found, "find", "bare", 3.0),
            self.ratio_row("9d", f"list, default table ({n})", bare_what, found, "list", "bare", 3.5),
            self.ratio_row("9g", f"floor: floor_find.py {target.line}", probe, found, "floor", "probe", None),
            self.ratio_row("9k", f"show PATH of {target.line} (sections)", probe, found, "show", "probe", None),
            self.ratio_row("9l", "history --limit 20 (table)", probe, found, "history", "probe", None),
            self.ratio_row(
                "9h", f"find {target.line} (path)", "floor_find.py, the same answer", found, "find", "floor", None
            ),
            self.ratio_row(
                "9j",
                f"find {target.line} via pyenv's shims, in another folder",
                "the same, in the folder of the last list",
                found,
                "shims-elsewhere",
                "shims-same",
                None,
            ),
            *(
                [
                    self.ratio_row(
                        "9i", f"find {target.line}, no 'import re' start", probe, found, "find-plain", "probe", 0.8
                    )
                ]
                if "find-plain" in found
                else []
            ),
            Row(
                "9e",
                f"interpdb's own imports, find {target.line}",
                "python -c pass",
                own_median,
                found["pass"].median,
                target="ratio <= 0.5",
                met=own_median / found["pass"].median <= 0.5,
            ),
        ]
        self.notes.append(
            f"9e: sum of the interpdb modules' -X importtime self times, median of {len(own)} runs "
            f"(min {own[0] * 1e3:.1f} ms); the console script pip writes imports re before interpdb"
        )
        if "find-plain" in found:
            self.notes.append(
                "9i: the same find through a three-line script that imports sys and calls interpdb's "
                "entry point, as the console script uv writes does; pip's (9a) imports re first"
            )
        self.notes.append(
            "9j: a shim's fingerprint holds the working folder, so in another folder find resolves "
            f"the shims again (reading what pyenv reads, no probe); {found['shims-same'].median * 1e3:.1f} ms "
            "in the folder of the last list"
        )
        self.notes.append(
            "9k/9l: the tables a person reads (show's sections, the probe log), answered without click "
            "as find and list are; no target (issue 11 names find and list), kept here so they stay so"
        )
        self.notes.append(
            "9g/9h: scripts/floor_find.py does a warm find's work with the standard library alone "
            "(no classes, no checks beyond stat): 9g is the floor any Python tool pays on this "
            "interpreter, 9h what interpdb costs above it"
        )
        self.find_at_scale()

    def group_postgres(self) -> None:
        """Issue 12: the warm read route on PostgreSQL (psycopg, the same queries) against SQLite."""
        db, paths = self.small()
        n = len(paths)
        try:
            with throwaway_server() as server:
                url = server.create_database()
                run(self.command(["-q", "probe", *paths, "--format", "json"], url, "pg-probe.json"))
                run(self.command(["-q", "list", "--format", "json"], url, "pg-setup.json"))  # discovery sources
                history = ["history", "--limit", "20", "--format", "json"]
                cases: dict[str, Callable[[], Run]] = {
                    "sqlite": lambda: run(self.command(["list", "--format", "json"], db, "sq-list.json")),
                    "postgres": lambda: run(self.command(["list", "--format", "json"], url, "pg-list.json")),
                    "sqlite-history": lambda: run(self.command(history, db, "sq-history.json")),
                    "postgres-history": lambda: run(self.command(history, url, "pg-history.json")),
                }
                found = interleaved(cases, self.settings.reps)
        except NoServer as error:
            self.notes.append(f"11a/11b: not measured: {error}")
            return
        expect_cached(self.root / "out" / "pg-list.json", n, "list on PostgreSQL")
        expect_cached(self.root / "out" / "sq-list.json", n, "list on SQLite")
        for name in ("pg-history.json", "sq-history.json"):
            if len(load_json(self.root / "out" / name)) != 20:
                raise BenchError(f"{name}: expected 20 events")
        self.rows += [
            self.ratio_row("11a", f"list --format json ({n}), PostgreSQL", "the same on SQLite", found, "postgres",
                           "sqlite", 2.0),
            self.ratio_row("11b", "history --limit 20 --format json, PostgreSQL", "the same on SQLite", found,
                           "postgres-history", "sqlite-history", 2.0),
        ]  # fmt: skip
        self.notes.append(
            "11a/11b: a throwaway PostgreSQL on a unix socket of this machine (fsync off); both warm, "
            "read through libpq (interpdb.store.libpq; no psycopg, no SQLAlchemy)"
        )

    def floor(self, script: str, args: list[str], db: Path, out: str) -> Command:
        """``scripts/SCRIPT``, a floor prototype (``floor_find.py``, ``floor_list.py``): the same
        work as the warm interpdb command it stands beside, stdlib only."""
        env = dict(self.env, INTERPDB_DB=str(db))
        return Command(
            [sys.executable, str(Path(__file__).with_name(script)), *args], env, self.empty, self.root / "out" / out
        )

    def find_at_scale(self) -> None:
        """``find`` over a store that knows the scale venvs, against one that knows none of them."""
        count = self.settings.venvs
        many = self.root / "db" / "find-many.sqlite3"
        shutil.copyfile(self.scale_db(), many)
        none = self.root / "db" / "find-none.sqlite3"
        target = self.target.line
        for db in (many, none):  # untimed: learns what discovery finds (the pyenv Pythons)
            run(self.command(["-q", "find", target, "--format", "json"], db, "find-setup.json"))
        cases: dict[str, Callable[[], Run]] = {
            "none": lambda: run(self.command(["find", target, "--format", "json"], none, "find-none.json")),
            "many": lambda: run(self.command(["find", target, "--format", "json"], many, "find-many.json")),
        }
        found = interleaved(cases, self.settings.reps)
        expect_cached(self.root / "out" / "find-none.json", 1, "find, no venvs known")
        expect_cached(self.root / "out" / "find-many.json", 1, f"find, {count} venvs known")
        self.rows.append(
            self.ratio_row(
                "9f",
                f"find {target} --format json, {count} venvs known",
                "the same, none known",
                found,
                "many",
                "none",
                1.3,
            )
        )

    def group_projects(self) -> None:
        """A pyenv user moving between two projects: `list` in each folder, alternately.

        PATH holds only the pyenv shims; one folder's `.python-version` selects 3.12, the
        other gets pyenv's global 3.11 (so `python2.7` fails in both, for a different
        reason). After one visit to each, switching must run no
        probe (the shims answer from the selected interpreters' records) and cost about
        what a warm `list` that stays in one folder costs.
        """
        lines = {p.line: p for p in self.pythons}
        if "3.11" not in lines or "3.12" not in lines:
            self.notes.append("10a skipped: needs pyenv's 3.11 and 3.12")
            return
        root = self.root / "home" / ".pyenv"
        libexec = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "libexec"
        if not (libexec / "pyenv").is_file():
            self.notes.append(f"10a skipped: no {libexec}/pyenv (the shims name it; interpdb reads, never runs it)")
            return
        if not (root / "libexec").exists():
            (root / "libexec").symlink_to(libexec, target_is_directory=True)
        shims = root / "shims"
        shims.mkdir(exist_ok=True)
        shim = (
            '#!/usr/bin/env bash\nset -e\nprogram="${0##*/}"\n'
            f'export PYENV_ROOT="{root}"\nexec "{root}/libexec/pyenv" exec "$program" "$@"\n'
        )
        # python2.7: a shim neither project's version provides, as ~/.pyenv/shims holds
        for name in ("python", "python3", "python3.11", "python3.12", "python2.7"):
            (shims / name).write_text(shim)
            (shims / name).chmod(0o755)
        (root / "version").write_text(Path(lines["3.11"].path).parent.parent.name + "\n")
        project_a, project_b = self.root / "project-a", self.root / "project-b"
        for folder in (project_a, project_b):
            folder.mkdir(exist_ok=True)
        (project_b / ".python-version").write_text(Path(lines["3.12"].path).parent.parent.name + "\n")
        db = self.root / "db" / "projects.sqlite3"
        env = dict(self.env, PATH=str(shims), PYENV_ROOT=str(root), INTERPDB_DB=str(db))

        def listing(folder: Path, out: str) -> Command:
            return Command([*self.interpdb, "list", "--format", "json"], env, folder, self.root / "out" / out)

        for folder, line in ((project_a, "3.11"), (project_b, "3.12")):  # the first visit to each: these probe
            run(listing(folder, "projects-first.json"))
            shim = str(shims / "python3")
            records = load_json(self.root / "out" / "projects-first.json")
            ran = [r.get("version") for r in records if shim == r.get("path") or shim in r.get("aliases", ())]
            if len(ran) != 1 or not str(ran[0]).startswith(line + "."):
                raise BenchError(f"10a: the python3 shim in {folder.name} should run {line}, ran {ran}")
        probes_before = probe_count(db)
        turn = [0]

        def switching() -> Run:
            turn[0] += 1
            return run(listing(project_a if turn[0] % 2 else project_b, "projects-switch.json"))

        cases: dict[str, Callable[[], Run]] = {
            "switch": switching,
            "stay": lambda: run(listing(project_a, "projects-stay.json")),
        }
        found = interleaved(cases, max(self.settings.reps, 10))
        if probe_count(db) != probes_before:
            raise BenchError(f"switching projects probed: {probe_count(db) - probes_before} new probe rows")
        self.rows.append(
            self.ratio_row(
                "10a", "list, alternating two project folders", "list, staying in one", found, "switch", "stay", 1.2
            )
        )
        self.notes.append(
            f"10a: {probe_count(db) - probes_before} probes while switching folders (after one visit each)"
        )

    def group_virtualenv(self) -> None:
        """virtualenv's discovery, builtin vs the interpdb plugin, both warm.

        Both see the same machine: PATH holds each pyenv Python's ``bin`` (the builtin
        discovery looks there), and interpdb also finds them through ``PYENV_ROOT``.
        ``--no-seed`` leaves pip out, so the time is discovery plus writing the venv.
        """
        script = Path(sys.executable).with_name("virtualenv")
        if not script.is_file():
            self.notes.append("7a skipped: no virtualenv beside this Python (pip install 'interpdb[virtualenv]')")
            return
        bins = os.pathsep.join(str(Path(p.path).parent) for p in reversed(self.pythons))
        env = dict(self.env, PATH=bins, VIRTUALENV_OVERRIDE_APP_DATA=str(self.root / "virtualenv-app-data"))
        db = self.root / "db" / "virtualenv.sqlite3"
        env["INTERPDB_DB"] = str(db)
        line = self.target.line

        def create(tag: str, *discovery: str) -> Command:
            folder = self.root / "virtualenvs" / tag
            return Command([str(script), *discovery, "-p", line, "--no-seed", "--clear", str(folder)], env, self.empty)

        def discover_only(*discovery: str) -> Command:
            code = "import sys, virtualenv; virtualenv.session_via_cli(sys.argv[1:], setup_logging=False).interpreter"
            argv = [sys.executable, "-c", code, *discovery, "-p", line, "--no-seed", str(self.root / "unused")]
            return Command(argv, env, self.empty)

        builtin, plugin = create("builtin"), create("plugin", "--discovery", "interpdb")
        run(builtin)  # untimed: virtualenv's cache of each Python it looked at
        run(plugin)  # untimed: interpdb's store and the plugin's cache of virtualenv's facts
        probes_before = probe_count(db)
        only_builtin, only_plugin = discover_only(), discover_only("--discovery", "interpdb")
        cases: dict[str, Callable[[], Run]] = {
            "builtin": lambda: run(builtin),
            "plugin": lambda: run(plugin),
            "only-builtin": lambda: run(only_builtin),
            "only-plugin": lambda: run(only_plugin),
        }
        found = interleaved(cases, self.settings.reps)
        if probe_count(db) != probes_before:
            raise BenchError("the warm plugin runs probed: they measured probes, not the store")
        self.rows.append(
            self.ratio_row(
                "7a",
                f"virtualenv --discovery interpdb -p {line}",
                f"virtualenv -p {line} (builtin discovery)",
                found,
                "plugin",
                "builtin",
                1.0,
            )
        )
        self.rows.append(
            self.ratio_row(
                "7b",
                "the same, discovery only (session_via_cli)",
                "the same, builtin discovery",
                found,
                "only-plugin",
                "only-builtin",
                1.0,
            )
        )
        self.notes.append(
            "7a/7b: both warm, --no-seed --clear; the plugin ran no interpreter (no interpdb probe, "
            "virtualenv's facts from the plugin's cache)"
        )

    # -- rows -----------------------------------------------------------------------------

    @staticmethod
    def ratio_row(
        key: str,
        what: str,
        baseline_what: str,
        found: dict[str, Samples],
        subject: str,
        baseline: str,
        at_most: float | None,
        strict: bool = False,
    ) -> Row:
        value, base = found[subject].median, found[baseline].median
        ratio = value / base
        if at_most is None:
            return Row(key, what, baseline_what, value, base)
        met = ratio < at_most if strict else ratio <= at_most
        return Row(
            key, what, baseline_what, value, base, target=f"ratio {'<' if strict else '<='} {at_most:g}", met=met
        )

    def facts(self) -> dict[str, Any]:
        import interpdb

        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return {
            "cpus": f"{os.cpu_count()} ({usable} usable)",
            "platform": platform.platform(),
            "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
            "interpdb": f"{interpdb.__version__} run as `{' '.join(self.interpdb)}`",
            "sqlite": sqlite3.sqlite_version,
            "pyenv Pythons": " ".join(p.line for p in self.pythons),
            "load average": " ".join(f"{load:.2f}" for load in os.getloadavg()),
            "repetitions": f"{self.settings.reps} per case, interleaved; medians",
            "bytecode": "cached under the temporary folder (PYTHONPYCACHEPREFIX)"
            + (
                "; PYTHONDONTWRITEBYTECODE was set here and is dropped"
                if "PYTHONDONTWRITEBYTECODE" in os.environ
                else ""
            ),
        }


def probe_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM probes").fetchone()[0])
    finally:
        conn.close()


def expect_cached_or_probed(path: Path, count: int) -> None:
    records = load_json(path)
    bad = [r.get("path") for r in records if r.get("status") not in ("probed", "cached")]
    if len(records) != count or bad:
        raise BenchError(f"cold discover gave {len(records)} records, {len(bad)} not probed (first: {bad[:1]})")


def fill_history(
    db: Path,
    host: str,
    real_path: str,
    rows: int,
    pythons: list[Python],
    probe_hash: str,
    version: str,
    root: Path,
) -> None:
    """Append ``rows`` probes, oldest first, over the real interpreter and fake ones, in one transaction.

    They end an hour before now, so the real probe stays each query's newest row.
    """
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # a benchmark fixture: nothing to lose
        found = conn.execute(
            "SELECT id, host_id FROM interpreters WHERE host = ? AND path = ?", (host, real_path)
        ).fetchone()
        if found is None:
            raise BenchError(f"{real_path} was not recorded by `interpdb probe`")
        host_id = found[1]  # the fake interpreters are this host's too
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        start = now - timedelta(days=730)
        span = (now - timedelta(hours=1)) - start
        with conn:
            ids = [found[0]]
            for n in range(1, HISTORY_INTERPRETERS):
                fake = root / "history" / f"venv-{n:02d}" / "bin" / "python"
                cursor = conn.execute(
                    "INSERT INTO interpreters (host, host_id, path, created_at) VALUES (?, ?, ?, ?)",
                    (host, host_id, str(fake), start.strftime(SQLITE_TIME)),
                )
                ids.append(int(cursor.lastrowid or 0))
            columns = (
                'interpreter_id, probed_at, "trigger", changes, outcome, error, duration_ms, interpdb_version, '
                "probe_hash, command, implementation, implementation_version, python_version, version_major, "
                "version_minor, version_micro, version_releaselevel, is_venv, free_threaded, debug_build, "
                "pointer_size, platform, executable, real_executable, prefix, base_prefix, data"
            )
            marks = ", ".join("?" * (columns.count(",") + 1))
            generated = _probe_rows(ids, rows, start, span, pythons, probe_hash, version)
            conn.executemany(f"INSERT INTO probes ({columns}) VALUES ({marks})", generated)
            conn.execute(
                "UPDATE interpreters SET current_probe_id = (SELECT max(p.id) FROM probes p "
                "WHERE p.interpreter_id = interpreters.id) WHERE id != ?",
                (ids[0],),
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _probe_rows(
    ids: list[int],
    rows: int,
    start: datetime,
    span: timedelta,
    pythons: list[Python],
    probe_hash: str,
    version: str,
) -> Iterator[tuple[Any, ...]]:
    step = span / max(1, rows)
    for i in range(rows):
        owner = i % len(ids)
        python = pythons[owner % len(pythons)]
        major, minor, micro = (*python.version, 0, 0)[:3]
        full = f"{major}.{minor}.{micro}"
        trigger = "new" if i < len(ids) else TRIGGERS[i % len(TRIGGERS)]
        failed = trigger != "new" and i % 97 == 0
        changes = "[]"
        if trigger == "changed":
            pth = f"/venv-{owner:02d}/lib/python{major}.{minor}/site-packages/extra-{i % 7}.pth"
            changes = json.dumps([{"role": "site-file", "path": pth, "kind": "added", "fields": []}])
        prefix = f"/venv-{owner:02d}"
        yield (
            ids[owner],
            (start + step * i).strftime(SQLITE_TIME),
            trigger,
            changes,
            "error" if failed else "ok",
            "exited with code 1: ImportError: cannot import name 'x'" if failed else None,
            30.0 + i % 50,
            version,
            probe_hash,
            "interpdb list --refresh" if trigger == "refresh" else "interpdb list",
            None if failed else "cpython",
            None if failed else full,
            None if failed else full,
            None if failed else major,
            None if failed else minor,
            None if failed else micro,
            None if failed else "final",
            None if failed else owner > 0,
            None if failed else False,
            None if failed else False,
            None if failed else 64,
            None if failed else "linux-x86_64",
            None if failed else f"{prefix}/bin/python",
            None if failed else python.path,
            None if failed else prefix,
            None if failed else os.path.dirname(os.path.dirname(python.path)),
            None if failed else json.dumps({"python_version": full, "synthetic": True}),
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, 100 venvs, 100,000 history rows")
    parser.add_argument("--rows", type=int, help="synthetic probe rows for the history rows [1,000,000]")
    parser.add_argument("--venvs", type=int, help="venvs for the scale rows [1,000]")
    parser.add_argument("--reps", type=int, help="timed runs per case [21; --quick 7]")
    parser.add_argument("--only", help=f"comma-separated groups: {','.join(GROUPS)}")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    args = parser.parse_args(argv)
    args.groups = GROUPS
    if args.only:
        args.groups = tuple(name.strip() for name in args.only.split(",") if name.strip())
        unknown = sorted(set(args.groups) - set(GROUPS))
        if unknown:
            parser.error(f"unknown group {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    for name in ("rows", "venvs", "reps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name} must be 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import interpdb  # noqa: F401
    except ImportError:
        print(f"bench: interpdb is not importable by {sys.executable}: run this with its Python", file=sys.stderr)
        return 1
    settings = Settings(
        reps=args.reps or (7 if args.quick else 21),
        venvs=args.venvs or (100 if args.quick else 1000),
        rows=args.rows or (100_000 if args.quick else 1_000_000),
    )
    root = Path(tempfile.mkdtemp(prefix="interpdb-bench-"))
    failed = False
    started = time.perf_counter()
    try:
        bench = Bench(root, settings)
        facts = bench.facts()
        for group in RUN_ORDER:
            if group not in args.groups:
                continue
            say(f"{group} ({time.perf_counter() - started:.0f} s in)")
            try:
                getattr(bench, f"group_{group}")()
            except (BenchError, OSError, sqlite3.Error) as error:
                failed = True
                bench.rows.append(Row(f"{GROUPS.index(group) + 1}", f"{group}: FAILED", "-", None, note=str(error)))
                bench.notes.append(f"{group} FAILED: {error}")
        facts["load average after"] = " ".join(f"{load:.2f}" for load in os.getloadavg())
        facts["wall time"] = f"{time.perf_counter() - started:.0f} s"
        rows = sorted(bench.rows, key=lambda r: r.key)
        width = max(len(name) for name in facts)
        print("\n".join(f"{name.ljust(width)}  {value}" for name, value in facts.items()))
        print()
        print(table(rows))
        if bench.notes:
            print()
            print("\n".join(f"- {note}" for note in bench.notes))
        if args.json:
            write_json(args.json, facts, rows, bench.notes)
    finally:
        if args.keep:
            say(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
