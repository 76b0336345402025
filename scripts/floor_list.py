"""The floor of a warm ``list --no-discover --format json``: the same work, nothing else.

A throw-away prototype kept as a yardstick for ``scripts/bench.py`` (rows 4g/4h), as
``floor_find.py`` is for ``find``: standard library only, no classes, no error handling,
no alias grouping, no damaged-row checks. It opens the same SQLite store read-only, reads
this host's current probes (one query), their fingerprint entries and discovery sources,
checks every entry against the disk with ``stat``/``lstat``/``readlink`` (one call per
path, shared as interpdb shares them; value entries only the probe hash), decodes each
answer once and writes the JSON array interpdb writes (``json.dumps(indent=2,
sort_keys=True)`` of each record, one at a time). A stale record exits 1: interpdb would
probe it. What interpdb costs above this is the price of its code; what this costs is
what any Python tool doing the same job pays.

    INTERPDB_DB=... python scripts/floor_list.py > listing.json
"""

import json
import os
import sqlite3
import sys

from floor_find import fresh  # the same fingerprint check as the find floor


def iso(text):
    return None if text is None else text.replace(" ", "T") + "Z"


def conda_env(prefix):
    if not prefix or not os.path.isdir(os.path.join(prefix, "conda-meta")):
        return None
    if os.path.basename(os.path.dirname(prefix)) == "envs":
        return os.path.basename(prefix)
    return "base"  # the floor does not tell an unnamed prefix from a base install


def main():
    conn = sqlite3.connect(f"file:{os.environ['INTERPDB_DB']}?mode=ro", uri=True)
    (probe_hash,) = conn.execute("SELECT probe_hash FROM probes ORDER BY id DESC LIMIT 1").fetchone()
    rows = conn.execute(
        "SELECT i.id, i.host, i.host_id, i.path, i.forgotten_at, p.id, p.outcome, p.trigger, p.probed_at,"
        " p.error, p.duration_ms, p.interpdb_version, p.implementation, p.implementation_version,"
        " p.python_version, p.is_venv, p.free_threaded, p.debug_build, p.pointer_size, p.platform,"
        " p.executable, p.real_executable, p.prefix, p.base_prefix, p.data"
        " FROM interpreters i JOIN probes p ON p.id = i.current_probe_id WHERE i.forgotten_at IS NULL ORDER BY i.id"
    ).fetchall()
    entries = {}
    for row in conn.execute(
        'SELECT e.probe_id, e.role, e.path, e."exists", e.mtime_ns, e.ctime_ns, e.size, e.ino, e.dev, e.target'
        " FROM fingerprint_entries e JOIN interpreters i ON e.probe_id = i.current_probe_id"
        " WHERE i.forgotten_at IS NULL ORDER BY e.probe_id, e.position"
    ):
        entries.setdefault(row[0], []).append(row[1:])
    sources = {}
    for interpreter, source in conn.execute(
        "SELECT interpreter_id, source FROM interpreter_sources ORDER BY interpreter_id, first_seen_at"
    ):
        sources.setdefault(interpreter, []).append(source)
    stats = {}
    for row in rows:
        if row[6] != "ok" or not fresh(entries.get(row[5], ()), probe_hash, stats):
            return 1  # interpdb would probe it, or show a failure: not this floor's work
    out = sys.stdout
    opening = "[\n  "
    for (
        interpreter,
        host,
        host_id,
        path,
        forgotten_at,
        _probe,
        outcome,
        trigger,
        probed_at,
        error,
        duration_ms,
        interpdb_version,
        implementation,
        implementation_version,
        version,
        is_venv,
        free_threaded,
        debug_build,
        pointer_size,
        platform,
        executable,
        real_executable,
        prefix,
        base_prefix,
        data,
    ) in rows:
        answer = json.loads(data) if data else {}
        document = {
            "id": interpreter,
            "host": host,
            "path": path,
            "status": "cached",
            "outcome": outcome,
            "error": error,
            "trigger": trigger,
            "probed_at": iso(probed_at),
            "duration_ms": duration_ms,
            "interpdb_version": interpdb_version,
            "implementation": implementation,
            "implementation_version": implementation_version,
            "version": version,
            "executable": executable,
            "real_executable": real_executable,
            "base_executable": answer.get("base_executable"),
            "is_venv": None if is_venv is None else bool(is_venv),
            "prefix": prefix,
            "base_prefix": base_prefix,
            "exec_prefix": answer.get("exec_prefix"),
            "sys_path": answer.get("sys_path") or [],
            "site_packages": answer.get("site_packages") or [],
            "user_site": answer.get("user_site"),
            "enable_user_site": answer.get("enable_user_site"),
            "platform": platform,
            "sys_platform": answer.get("sys_platform"),
            "pointer_size": pointer_size,
            "free_threaded": None if free_threaded is None else bool(free_threaded),
            "debug_build": None if debug_build is None else bool(debug_build),
            "abiflags": answer.get("abiflags"),
            "soabi": answer.get("soabi"),
            "ext_suffix": answer.get("ext_suffix"),
            "libc": answer.get("libc"),
            "libpython": answer.get("libpython"),
            "pyvenv_cfg": answer.get("pyvenv_cfg"),
            "sysconfig_paths": answer.get("sysconfig_paths") or {},
            "markers": answer.get("markers") or {},
            "manylinux": answer.get("manylinux"),
            "sys_version": answer.get("sys_version"),
            "stale_changes": [],
            "sources": sources.get(interpreter, []),
            "aliases": [],
            "launcher": answer.get("launcher"),
            "conda_env": conda_env(prefix),
            "forgotten_at": iso(forgotten_at),
            "host_id": host_id or host,
        }
        out.write(opening + json.dumps(document, sort_keys=True, indent=2).replace("\n", "\n  "))
        opening = ",\n  "
    out.write("[]\n" if opening == "[\n  " else "\n]\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
