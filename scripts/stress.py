#!/usr/bin/env python3
"""Long loops of the hostile cases: does interpdb stay one-line, leak-free and lossless?

    python scripts/stress.py [--quick] [--only SECTIONS] [--rounds N] [--kills N] [--workers N]

Run it with the Python that has interpdb installed: it drives the ``interpdb``
console script beside that Python (``python -m interpdb`` when there is none), in
a temporary folder with its own database, ``HOME`` and ``TMPDIR``.

Sections (``--only``, comma-separated), in the report's order:

===========  ==============================================================================
kills        SIGKILL of a first run (``db upgrade`` or ``discover --scan`` creating the store)
             and of a ``discover --scan --refresh`` recording into it, at random points;
             each followed by a run that must work and find every probe row that was there
zoo          a zoo of hostile fake interpreters (garbage, hangs, forks, setsid and double-
             forked daemons, self-deleting, self-rewriting, huge answers, wrong types, deep
             nesting, a 10,000-entry sys.path, a noisy sitecustomize) probed again and again
concurrent   several interpdb processes probing, listing and reading one store at once
runner       the probe runner's own cost: ``run_probe`` of a tiny fake vs a bare subprocess,
             and storing a 10,000-entry sys.path vs a real answer, in the same run
fleet        8 simulated hosts (``--hosts``, each its own ``INTERPDB_HOST``), each probing its
             own venvs (changed now and then) and running ``list --all-hosts``, ``history
             --all-hosts`` and ``list`` at once, for ``--seconds``, on one SQLite file and one
             throwaway PostgreSQL server (``scripts/_pgserver.py``; said so when none starts)
===========  ==============================================================================

Each section adds to one set of figures: commands run, probes recorded, failures
(a wrong exit code or an answer missing from the output), rows lost (a probe the
output reported that the database does not hold), processes left (any process still
carrying a probe's ``INTERPDB_PROBE`` mark after a command ended), tracebacks (any
stderr containing one), and from ``fleet``: rows duplicated (an interpreter or probe
stored twice, or a probe row no command reported) and rows touched by another host (a
host's probe reported by another host, a row forgotten, another host's record shown
with a status other than ``remote``). The exit status is 1 when any of these is not 0.

To add a section: write ``def my_section(ctx: Context) -> None`` that runs commands
with ``ctx.interpdb(...)`` (which counts commands, tracebacks and stray processes),
adds to ``ctx.figures``, prints with ``ctx.say``, and register it in ``SECTIONS``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

MARK = "INTERPDB_PROBE"


@dataclass
class Figures:
    commands: int = 0
    probes: int = 0
    failures: int = 0
    rows_lost: int = 0
    processes_left: int = 0
    tracebacks: int = 0
    #: what a section measured, shown after the counts (name -> text)
    measured: dict[str, str] = field(default_factory=dict)

    rows_duplicated: int = 0
    foreign_touched: int = 0

    MUST_BE_ZERO = ("failures", "rows_lost", "processes_left", "tracebacks", "rows_duplicated", "foreign_touched")


@dataclass
class Context:
    root: Path
    quick: bool
    rounds: int
    kills: int
    workers: int
    figures: Figures
    env: dict[str, str]
    db: Path
    base_python: str
    seconds: float = 40.0
    hosts: int = 8
    problems: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        print(f"  {text}", flush=True)

    def problem(self, text: str) -> None:
        self.problems.append(text)
        print(f"  PROBLEM: {text}", flush=True)

    def interpdb(
        self,
        *args: str,
        db: Path | str | None = None,
        codes: tuple[int, ...] = (0, 1),
        sweep: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the installed interpdb once, and check what it left behind.

        ``sweep=False`` while other commands of this run are still probing (their
        probes are alive, not left behind): the caller sweeps once they are done.
        """
        done = subprocess.run(
            [*_interpdb_command(), *args],
            env=dict(self.env, **(env or {}), INTERPDB_DB=str(db or self.db)),
            capture_output=True,
            text=True,
            errors="backslashreplace",
            timeout=600,
            cwd=self.root,
        )
        self.figures.commands += 1
        if "Traceback" in done.stderr:
            self.figures.tracebacks += 1
            self.problem(f"traceback from {' '.join(args)[:80]}: {done.stderr.strip().splitlines()[-1][:200]}")
        if done.returncode not in codes:
            self.figures.failures += 1
            self.problem(f"exit {done.returncode} from {' '.join(args)[:80]}: {done.stderr.strip()[:200]}")
        if sweep:
            self.figures.processes_left += sweep_marked()
        return done

    def probe_rows(self, db: Path | None = None) -> int:
        conn = sqlite3.connect(db or self.db)
        try:
            return int(conn.execute("SELECT count(*) FROM probes").fetchone()[0])
        except sqlite3.Error:
            return 0
        finally:
            conn.close()


def _interpdb_command() -> list[str]:
    script = Path(sys.executable).with_name("interpdb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "interpdb"]


#: Set in every command this run starts, inherited by every probe: only this run's
#: processes are counted and killed, never another interpdb's on the same machine.
RUN_MARK = f"INTERPDB_STRESS_RUN={os.getpid()}-{time.time_ns()}"


def marked_processes() -> list[int]:
    """This run's processes still carrying a probe's mark: what a probe left behind (Linux /proc)."""
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as handle:
                environ = handle.read().split(b"\0")
            with open(f"/proc/{name}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        ours = RUN_MARK.encode() in environ
        if ours and state != b"Z" and any(item.startswith(MARK.encode() + b"=") for item in environ):
            found.append(int(name))
    return found


def sweep_marked() -> int:
    """Count what a probe left behind, and kill it so the next round starts clean."""
    # A process being killed (by its sweep, or by PR_SET_PDEATHSIG when its interpdb was
    # SIGKILLed) may take a moment to leave /proc on a busy machine: up to a second.
    left = marked_processes()
    deadline = time.monotonic() + 1.0
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = marked_processes()
    for pid in left:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                shown = handle.read().replace(b"\0", b" ").decode(errors="replace")[:120]
        except OSError:
            shown = "?"
        print(f"  PROBLEM: process {pid} outlived its probe: {shown}", flush=True)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(left)


# -- the zoo ------------------------------------------------------------------------------------


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def _framed(document: Any = None, raw: str | None = None, file: Path | None = None) -> str:
    """Shell that prints ``document``, ``raw`` or ``file`` framed with the token the probe passes as $4."""
    if file is not None:
        body = f"cat '{file}'"
    else:
        text = raw if raw is not None else json.dumps(document)
        body = f"cat <<'EOF'\n{text}\nEOF"
    return f"printf '<<interpdb-answer %s>>' \"$4\"; {body}\nprintf '<<interpdb-end %s>>' \"$4\""


def real_answer(python: str) -> dict[str, Any]:
    from interpdb.probe import script_source

    done = subprocess.run([python, "-E", "-c", script_source()], capture_output=True, check=True)
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def build_zoo(folder: Path, base_python: str) -> dict[str, Path]:
    """Each hostile interpreter, by name: a small shell script (a data file beside some)."""
    folder.mkdir(parents=True, exist_ok=True)
    answer = real_answer(base_python)
    big = dict(answer, sys_path=[f"{folder}/sp/{i}" for i in range(10_000)])
    (folder / "big.json").write_text(json.dumps(big))
    deep = "[" * 100_000 + "]" * 100_000
    zoo = {
        "garbage": "head -c 20000 /dev/urandom",
        "hang": "exec sleep 60",
        "fork": f'sleep 60 & exec {base_python} "$@"',
        "setsid": f'setsid sleep 60 </dev/null >/dev/null 2>&1 & exec {base_python} "$@"',
        "double-fork": "( setsid sh -c 'sleep 60' </dev/null >/dev/null 2>&1 & ); exit 0",
        "holds-stdout": f'setsid sleep 60 & {base_python} "$@"',
        "five-daemons": "for i in 1 2 3 4 5; do setsid sleep 60 </dev/null >/dev/null 2>&1 & done; exit 0",
        "self-deleting": f'rm -f "$0"; exec {base_python} "$@"',
        "self-rewriting": f'echo "# $$" >> "$0"; exec {base_python} "$@"',
        "huge": "yes 0123456789abcdef | head -c 6000000",
        "wrong-types": _framed(dict(answer, version_info=5, sys_path="x", prefix=7, is_venv="yes")),
        "absurd-values": _framed(dict(answer, version_info=[10**30, -1, 0, "final", 0])),
        "deep": _framed(raw=deep),
        "big-sys-path": _framed(file=folder / "big.json"),
        "noisy-site": f'echo "sitecustomize: hello"; {base_python} "$@"; echo "atexit: bye"',
        "stderr-flood": f'head -c 200000 /dev/urandom >&2; exec {base_python} "$@"',
        "exits-3": "echo boom >&2; exit 3",
        "killed": "kill -9 $$",
        "real": f'exec {base_python} "$@"',
    }
    return {name: _script(folder / name, body) for name, body in zoo.items()}


def zoo_section(ctx: Context) -> None:
    folder = ctx.root / "zoo"
    zoo = build_zoo(folder, ctx.base_python)
    ctx.say(f"{len(zoo)} hostile interpreters: {', '.join(zoo)}")
    for round_ in range(ctx.rounds):
        if not (folder / "self-deleting").exists():  # it deleted itself last round
            _script(folder / "self-deleting", f'rm -f "$0"; exec {ctx.base_python} "$@"')
        before = ctx.probe_rows()
        done = ctx.interpdb("probe", "--refresh", "--timeout", "2", "--format", "json", *map(str, zoo.values()))
        try:
            records = {r["path"]: r for r in json.loads(done.stdout)}
        except ValueError:
            ctx.figures.failures += 1
            ctx.problem(f"round {round_}: the output is not JSON")
            continue
        missing = [name for name, path in zoo.items() if str(path) not in records]
        if missing:
            ctx.figures.failures += len(missing)
            ctx.problem(f"round {round_}: no record for {', '.join(missing)}")
        added = ctx.probe_rows() - before
        ctx.figures.probes += added
        if added < len(records):
            ctx.figures.rows_lost += len(records) - added
            ctx.problem(f"round {round_}: {len(records)} records printed, {added} probe rows written")
        wrong = [
            n
            for n in ("real", "noisy-site", "big-sys-path", "fork", "setsid")
            if records.get(str(zoo[n]), {}).get("status") != "probed"
        ]
        if wrong:
            ctx.figures.failures += len(wrong)
            ctx.problem(f"round {round_}: should have been probed fine: {', '.join(wrong)}")
        # Cached answers: the next command must not re-run what failed and did not change.
        again = ctx.interpdb("probe", "--timeout", "2", "--format", "json", *map(str, zoo.values()))
        rerun = [
            r["path"] for r in json.loads(again.stdout or "[]") if r["status"] == "probed" and "self-" not in r["path"]
        ]
        if rerun:
            ctx.figures.failures += len(rerun)
            ctx.problem(f"round {round_}: re-probed although nothing changed: {', '.join(rerun)}")
    statuses: dict[str, int] = {}
    for record in json.loads(
        ctx.interpdb("list", "--no-discover", "--all", "--aliases", "--format", "json").stdout or "[]"
    ):
        statuses[record["status"]] = statuses.get(record["status"], 0) + 1
    ctx.say(f"{ctx.rounds} rounds of probe --refresh over the zoo; last statuses: {statuses}")


# -- concurrency --------------------------------------------------------------------------------


def concurrent_section(ctx: Context) -> None:
    db = ctx.root / "shared.sqlite3"
    venvs = []
    for i in range(3 if ctx.quick else 6):
        target = ctx.root / "venvs" / f"v{i}"
        subprocess.run([ctx.base_python, "-m", "venv", "--without-pip", str(target)], check=True)
        venvs.append(str(target / "bin" / "python"))
    fakes = [str(_script(ctx.root / f"broken{i}", f"exit {i + 1}")) for i in range(3)]
    jobs: list[tuple[str, ...]] = []
    for i in range(ctx.workers * (2 if ctx.quick else 6)):
        pick = [venvs[i % len(venvs)], venvs[(i + 1) % len(venvs)], fakes[i % len(fakes)]]
        jobs.append(
            [
                ("probe", "--format", "json", *pick),
                ("probe", "--refresh", "--format", "json", *pick),
                ("list", "--no-discover", "--format", "json"),
                ("history", "--limit", "5", "--format", "json"),
                ("sql", "SELECT count(*) AS n FROM probes", "--format", "json"),
            ][i % 5]
        )
    before = ctx.probe_rows(db)
    with ThreadPoolExecutor(max_workers=ctx.workers) as pool:
        results = list(pool.map(lambda args: (args, ctx.interpdb(*args, db=db, sweep=False)), jobs))
    ctx.figures.processes_left += sweep_marked()
    reported = 0
    conn = sqlite3.connect(db)
    try:
        stored = {
            (row[0], row[1])
            for row in conn.execute(
                "SELECT i.path, p.probed_at FROM probes p JOIN interpreters i ON i.id = p.interpreter_id"
            )
        }
    finally:
        conn.close()
    for args, done in results:
        if args[0] != "probe":
            continue
        for record in json.loads(done.stdout or "[]"):
            if record["status"] in ("probed", "error") and record.get("trigger") in ("new", "refresh", "changed"):
                reported += 1
                when = record["probed_at"].replace("T", " ").rstrip("Z")
                if (record["path"], when) not in stored:
                    ctx.figures.rows_lost += 1
                    ctx.problem(f"{record['path']} probed at {when} is not in the store")
    ctx.figures.probes += ctx.probe_rows(db) - before
    ctx.say(
        f"{len(jobs)} commands by {ctx.workers} processes at once on one store; {reported} probes reported, all checked"
    )


# -- many hosts, one store ----------------------------------------------------------------------


def _when(value: object) -> datetime:
    """A probe time from JSON (``...T...Z``), SQLite text or a PostgreSQL value, comparable."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("T", " ").rstrip("Z"))


def _fleet_rows(db: str) -> list[tuple[str, str, datetime, int, bool]]:
    """Every probe row: (host id, path, probed at, interpreter id, interpreter forgotten)."""
    sql = (
        "SELECT i.host_id, i.path, p.probed_at, i.id, i.forgotten_at IS NOT NULL "
        "FROM probes p JOIN interpreters i ON i.id = p.interpreter_id"
    )
    if "://" not in db:
        conn = sqlite3.connect(db)
        try:
            found = conn.execute(sql).fetchall()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(db.replace("postgresql+psycopg://", "postgresql://", 1)) as server:
            found = server.execute(sql).fetchall()
    return [(str(h), str(p), _when(t), int(i), bool(f)) for h, p, t, i, f in found]


def _fleet_host(
    ctx: Context, db: str, host: str, venvs: list[Path], seconds: float, reported: list[tuple[str, str, datetime]]
) -> int:
    """One host's loop for ``seconds`` (and at least one round): probe its venvs (one
    changed every other round), ``list --all-hosts``, ``history --all-hosts``, ``list``
    (revalidating its own). Returns the commands it ran."""
    deadline = time.monotonic() + seconds
    env = {"INTERPDB_HOST": host}
    pythons = [str(v / "bin" / "python") for v in venvs]
    commands = 0
    while commands < 4 or time.monotonic() < deadline:  # each kind of command at least once
        step = commands % 4
        if step == 0:
            if commands % 8 == 4:  # a new .pth: the next probe of that venv is 'changed'
                venv = venvs[(commands // 8) % len(venvs)]
                [site] = venv.glob("lib/python*/site-packages")
                (site / f"stress{commands}.pth").write_text(f"{ctx.root}\n")
            args: tuple[str, ...] = ("probe", "--format", "json", *pythons)
        elif step == 1:
            args = ("list", "--all-hosts", "--no-discover", "--format", "json")
        elif step == 2:
            args = ("history", "--all-hosts", "--limit", "20", "--format", "json")
        else:
            args = ("list", "--no-discover", "--format", "json")
        done = ctx.interpdb(*args, db=db, codes=(0,), sweep=False, env=env)
        commands += 1
        if done.returncode != 0 or args[0] == "history":
            continue
        for record in json.loads(done.stdout or "[]"):
            if record["host_id"] != host:
                if record["status"] != "remote":
                    ctx.figures.foreign_touched += 1
                    ctx.problem(f"{host} shows {record['host_id']}'s {record['path']} as {record['status']}")
            elif record["status"] == "probed":
                reported.append((host, record["path"], _when(record["probed_at"])))
    return commands


def _fleet_run(ctx: Context, db: str, label: str, seconds: float) -> None:
    hosts = [f"host{n}" for n in range(ctx.hosts)]
    venvs: dict[str, list[Path]] = {}
    for host in hosts:
        venvs[host] = []
        for i in range(1 if ctx.quick else 2):
            target = ctx.root / label / host / f"v{i}"
            subprocess.run([ctx.base_python, "-m", "venv", "--without-pip", str(target)], check=True)
            venvs[host].append(target)
    reported: list[tuple[str, str, datetime]] = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        counts = list(pool.map(lambda h: _fleet_host(ctx, db, h, venvs[h], seconds, reported), hosts))
    elapsed = time.monotonic() - started
    ctx.figures.processes_left += sweep_marked()
    rows = _fleet_rows(db)
    stored = Counter((host_id, path, when) for host_id, path, when, _id, _forgotten in rows)
    for host_id, path, _at, _id, forgotten in rows:
        if forgotten:
            ctx.figures.foreign_touched += 1
            ctx.problem(f"{label}: {host_id}'s {path} was forgotten by someone")
    said = Counter(reported)
    lost = [key for key in said if key not in stored]
    twice = sum(n - 1 for n in stored.values() if n > 1) + sum(n - 1 for n in said.values() if n > 1)
    unreported = [key for key in stored if key not in said]
    paths = {(h, p) for h, p, *_ in rows}
    interpreters = {(h, p, i) for h, p, _t, i, _f in rows}
    twice += len(interpreters) - len(paths)  # one (host, path), two interpreter rows
    ctx.figures.rows_lost += len(lost)
    ctx.figures.rows_duplicated += twice + len(unreported)
    ctx.figures.probes += len(rows)
    for host, path, when in lost[:5]:
        ctx.problem(f"{label}: {host} reported probing {path} at {when}; not stored")
    for host, path, when in unreported[:5]:
        ctx.problem(f"{label}: a probe of {host}'s {path} at {when} that no command of {host} reported")
    mine = {h for h, *_ in rows}
    if mine != set(hosts):
        ctx.problem(f"{label}: probe rows for hosts {sorted(mine)}, expected {hosts}")
        ctx.figures.rows_lost += len(set(hosts) - mine)
    ctx.figures.measured[f"fleet on {label}"] = (
        f"{sum(counts)} commands by {len(hosts)} hosts in {elapsed:.0f} s, {len(rows)} probe rows, "
        f"{len(reported)} probes reported, {len(lost)} lost, {twice + len(unreported)} duplicated"
    )
    ctx.say(ctx.figures.measured[f"fleet on {label}"])


def fleet_section(ctx: Context) -> None:
    seconds = ctx.seconds
    _fleet_run(ctx, str(ctx.root / "fleet.sqlite3"), "sqlite", seconds)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _pgserver import NoServer, throwaway_server

    try:
        with throwaway_server() as server:
            _fleet_run(ctx, server.create_database("fleet"), "postgresql", seconds)
    except NoServer as error:
        ctx.figures.measured["fleet on postgresql"] = f"not run: {error}"
        ctx.say(f"postgresql: not run: {error}")


# -- the runner's own cost ------------------------------------------------------------------------


def _median_ms(action: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def runner_section(ctx: Context) -> None:
    from interpdb.probe import run_probe

    tiny = _script(ctx.root / "tiny", "exit 0")
    reps = 30 if ctx.quick else 200
    bare: list[float] = []
    ours: list[float] = []
    for _ in range(3):  # in turns, so both see the same machine
        bare.append(_median_ms(lambda: subprocess.run([str(tiny)], capture_output=True), reps))
        ours.append(_median_ms(lambda: run_probe(str(tiny)), reps))
    b, o = statistics.median(bare), statistics.median(ours)
    ctx.figures.measured["runner: run_probe(tiny) vs bare subprocess"] = f"{o:.2f} ms vs {b:.2f} ms (x{o / b:.2f})"
    big_ms, real_ms = _store_cost(ctx, 3 if ctx.quick else 9)
    ctx.figures.measured["fingerprinting and storing a 10,000-entry sys.path answer vs a real one"] = (
        f"{big_ms:.0f} ms vs {real_ms:.1f} ms (x{big_ms / real_ms:.0f})"
    )
    ctx.say("runner cost and a large answer's write, each against a baseline in the same run")


def _store_cost(ctx: Context, reps: int) -> tuple[float, float]:
    """``Store.record`` of one probe with a 10,000-entry sys.path (and its fingerprint) vs a real one."""
    from interpdb import fingerprint, hostid
    from interpdb.location import resolve
    from interpdb.probe import script_hash
    from interpdb.records import utcnow
    from interpdb.store.write import NewProbe, Store

    answer = real_answer(ctx.base_python)
    folders = ctx.root / "sys-path"
    big = dict(answer, sys_path=[str(folders / str(i)) for i in range(10_000)])
    for entry in big["sys_path"]:
        os.makedirs(entry, exist_ok=True)
    store = Store.open(resolve(str(ctx.root / "store-cost.sqlite3")))

    def record(data: dict[str, Any], path: str) -> None:
        entries = fingerprint.take(path, data, script_hash())
        probe = NewProbe(path, "new", "ok", utcnow(), 1.0, script_hash(), entries, data)
        store.record(hostid.Host("stress", "stress"), [probe])

    try:
        timed: dict[str, list[float]] = {"big": [], "real": []}
        for _ in range(reps):
            for name, data in (("big", big), ("real", answer)):
                started = time.perf_counter()
                record(data, ctx.base_python)
                timed[name].append(time.perf_counter() - started)
    finally:
        store.close()
    return statistics.median(timed["big"]) * 1000, statistics.median(timed["real"]) * 1000


# -- SIGKILL at random points ----------------------------------------------------------------------


def kills_section(ctx: Context) -> None:
    """SIGKILL a first run (creating the store) and ``discover --scan`` (recording probes) at
    random points: the next run always works, and no probe row once stored is ever lost."""
    import random
    import signal

    rng = random.Random(14)
    venvs = ctx.root / "kill-venvs"
    for i in range(4 if ctx.quick else 12):
        subprocess.run([ctx.base_python, "-m", "venv", "--without-pip", str(venvs / f"v{i}")], check=True)
    rounds = ctx.kills
    for i in range(rounds):
        db = ctx.root / "kills" / f"r{i}" / "interpdb.sqlite3"
        first = ["db", "upgrade"] if i % 2 else ["discover", "--scan", str(venvs), "--jobs", "2"]
        proc = subprocess.Popen(
            [*_interpdb_command(), *first],
            env=dict(ctx.env, INTERPDB_DB=str(db)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ctx.figures.commands += 1
        kept = ctx.probe_rows(db) if db.exists() else 0
        # A second kill, now of a run that records probes into a store holding rows.
        proc = subprocess.Popen(
            [*_interpdb_command(), "discover", "--scan", str(venvs), "--refresh", "--jobs", "2"],
            env=dict(ctx.env, INTERPDB_DB=str(db)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        ctx.figures.commands += 1
        ctx.figures.processes_left += sweep_marked()
        after_kill = ctx.probe_rows(db) if db.exists() else 0
        if after_kill < kept:
            ctx.figures.rows_lost += kept - after_kill
            ctx.problem(f"round {i}: {kept - after_kill} probe rows lost to a SIGKILL")
        done = ctx.interpdb("discover", "--scan", str(venvs), "--format", "json", db=db, codes=(0,))
        if done.returncode == 0:
            final = ctx.probe_rows(db)
            ctx.figures.probes += final - after_kill
            if final < after_kill:
                ctx.figures.rows_lost += after_kill - final
    leftovers = [p for p in (ctx.root / "tmp").iterdir() if p.name.startswith("interpdb-probe-")]
    if leftovers:
        ctx.problem(f"{len(leftovers)} interpdb-probe-* folders left in the temp folder by killed runs")
        ctx.figures.failures += len(leftovers)
    ctx.say(f"{rounds * 2} SIGKILLs (first runs and discover --scan); every next run checked")


SECTIONS: dict[str, Callable[[Context], None]] = {
    "kills": kills_section,
    "zoo": zoo_section,
    "concurrent": concurrent_section,
    "runner": runner_section,
    "fleet": fleet_section,
}


def _base_python() -> str:
    versions = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    for line in ("3.12", "3.11", "3.13", "3.10"):
        found = sorted(versions.glob(f"{line}.*/bin/python{line}"))
        if found:
            return str(found[-1])
    return sys.executable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short run (a minute or so)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections, comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--rounds", type=int, default=None, help="zoo rounds [quick: 2, else 10]")
    parser.add_argument("--kills", type=int, default=None, help="kill rounds, two kills each [quick: 10, else 60]")
    parser.add_argument("--workers", type=int, default=None, help="concurrent processes [quick: 3, else 6]")
    parser.add_argument("--seconds", type=float, default=None, help="fleet: seconds per store [quick: 8, else 40]")
    parser.add_argument("--hosts", type=int, default=8, help="fleet: simulated hosts [8]")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    root = Path(tempfile.mkdtemp(prefix="interpdb-stress-"))
    (root / "home").mkdir()
    (root / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != MARK}
    env.update(HOME=str(root / "home"), TMPDIR=str(root / "tmp"), XDG_DATA_HOME=str(root / "xdg"))
    name, _, value = RUN_MARK.partition("=")
    env[name] = os.environ[name] = value  # the runner section probes in this process
    ctx = Context(
        root=root,
        quick=args.quick,
        rounds=args.rounds or (2 if args.quick else 10),
        kills=args.kills or (10 if args.quick else 60),
        workers=args.workers or (3 if args.quick else 6),
        figures=Figures(),
        env=env,
        db=root / "stress.sqlite3",
        base_python=_base_python(),
        seconds=args.seconds or (8.0 if args.quick else 40.0),
        hosts=args.hosts,
    )
    print(f"interpdb stress ({'quick' if args.quick else 'full'}) in {root}, base Python {ctx.base_python}")
    try:
        for name in chosen:
            print(f"[{name}]", flush=True)
            started = time.monotonic()
            SECTIONS[name](ctx)
            ctx.say(f"took {time.monotonic() - started:.1f} s")
    finally:
        ctx.figures.processes_left += sweep_marked()
        shutil.rmtree(root, ignore_errors=True)
    figures = ctx.figures
    print("figures:")
    for name in ("commands", "probes", *Figures.MUST_BE_ZERO):
        value = getattr(figures, name)
        must = " (must be 0)" if name in Figures.MUST_BE_ZERO else ""
        print(f"  {name.replace('_', ' '):<15} {value}{must}")
    for name, text in figures.measured.items():
        print(f"  {name}: {text}")
    bad = [name for name in Figures.MUST_BE_ZERO if getattr(figures, name)]
    print("result: " + ("FAILED (" + ", ".join(bad) + ")" if bad else "ok"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
