"""The floor of a warm ``find``: the same work as ``interpdb find VERSION``, nothing else.

A throw-away prototype kept as a yardstick for ``scripts/bench.py`` (row 9g): standard
library only, no classes, no error handling, no escaping, no other request form. It
opens the same SQLite store read-only, reads this host's current probes and their
fingerprint entries, lists the same discovery folders (``PATH`` and pyenv's
``versions``), checks every stored base interpreter's fingerprint with ``stat``/
``lstat``/``readlink`` as interpdb does (venvs are ranked on their columns), ranks by
interpdb's preference order and prints the best match's path. What interpdb costs
above this is the price of its code (imports, objects, checks this skips); what this
costs is what any Python tool doing the same job pays.

    INTERPDB_DB=... python scripts/floor_find.py 3.12
"""

import json
import os
import sqlite3
import stat
import sys

#: Value entries: as cheap as a dict lookup, not the floor's concern (the probe hash is checked).
VALUE_ROLES = ("env", "host", "cwd", "launcher-env", "pth-path", "library-path", "pth-import")


def fresh(entries, probe_hash, stats):
    """Do ``entries`` still describe the disk? One ``stat`` (``lstat`` and ``readlink`` for a
    link) per path, kept in ``stats`` for every call of one run, as interpdb shares them."""
    for role, path, exists, mtime, ctime, size, ino, dev, target in entries:
        if role == "probe":
            if target != probe_hash:
                return False
            continue
        if role in VALUE_ROLES:
            continue
        link = role == "link"
        key = (link, path)
        if key not in stats:
            try:
                st = os.lstat(path) if link else os.stat(path)
                stats[key] = (st, os.readlink(path) if link and stat.S_ISLNK(st.st_mode) else None)
            except OSError:
                stats[key] = None
        seen = stats[key]
        if seen is None:
            if exists:
                return False
            continue
        st, now = seen
        if not exists or (link and now != target):
            return False
        if (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev) != (mtime, ctime, size, ino, dev):
            return False
    return True


def interpreter_name(name, versioned=False):
    """``python``, ``python3``, ``python3.12``, ``pypy3.10``... (``versioned``: ``pythonX.Y`` only)."""
    for family in ("python", "pypy", "graalpy"):
        if name.startswith(family):
            version = name[len(family) :].removesuffix("t")
            parts = version.split(".") if version else []
            return all(p.isdigit() for p in parts) and (len(parts) == 2 if versioned else len(parts) <= 2)
    return False


def discovered():
    found = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        try:
            found += [os.path.join(folder, n) for n in os.listdir(folder) if interpreter_name(n)]
        except OSError:
            continue
    versions = os.path.join(os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv"), "versions")
    try:
        installs = os.listdir(versions)
    except OSError:
        installs = []
    for install in installs:  # one interpreter per install: its pythonX.Y
        folder = os.path.join(versions, install, "bin")
        try:
            names = sorted(n for n in os.listdir(folder) if interpreter_name(n, versioned=True))
        except OSError:
            continue
        found += [os.path.join(folder, n) for n in names[:1]]
    return found


def main():
    major, minor = (int(part) for part in sys.argv[1].split(".")[:2])
    db = os.environ["INTERPDB_DB"]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    (probe_hash,) = conn.execute(
        "SELECT probe_hash FROM probes ORDER BY id DESC LIMIT 1"
    ).fetchone()  # interpdb computes its own; reading one is the floor's shortcut
    rows = conn.execute(
        "SELECT i.id, i.path, p.id, p.implementation, p.version_major, p.version_minor, p.version_micro,"
        " p.is_venv, p.debug_build, p.free_threaded, p.outcome, p.data, p.changes"
        " FROM interpreters i JOIN probes p ON p.id = i.current_probe_id WHERE i.forgotten_at IS NULL"
    ).fetchall()
    entries = {}
    for row in conn.execute(
        'SELECT e.probe_id, e.role, e.path, e."exists", e.mtime_ns, e.ctime_ns, e.size, e.ino, e.dev, e.target'
        " FROM fingerprint_entries e JOIN interpreters i ON e.probe_id = i.current_probe_id"
        " WHERE i.forgotten_at IS NULL AND NOT EXISTS (SELECT 1 FROM probes p"
        " WHERE p.id = e.probe_id AND p.is_venv = 1 AND p.outcome = 'ok') ORDER BY e.probe_id, e.position"
    ):
        entries.setdefault(row[0], []).append(row[1:])
    known = {row[1] for row in rows}
    if any(path not in known for path in discovered()):
        return 1  # interpdb would probe: not a warm answer
    stats = {}
    best = None
    for _id, path, probe_id, impl, vmajor, vminor, micro, venv, debug, threaded, outcome, data, _changes in rows:
        if not venv or outcome != "ok":
            json.loads(data or "{}")  # interpdb decodes what it judges
            if not fresh(entries.get(probe_id, ()), probe_hash, stats):
                return 1  # interpdb would probe
        if outcome != "ok" or (vmajor, vminor) != (major, minor):
            continue
        key = (impl != "cpython", bool(debug), bool(threaded), bool(venv), -(micro or 0), _id)
        if best is None or key < best[0]:
            best = (key, path, probe_id)
    if best is None:
        return 1
    if best[0][3] and not fresh(
        [
            row[1:]
            for row in conn.execute(
                'SELECT probe_id, role, path, "exists", mtime_ns, ctime_ns, size, ino, dev, target'
                " FROM fingerprint_entries WHERE probe_id = ? ORDER BY position",
                (best[2],),
            )
        ],
        probe_hash,
        stats,
    ):
        return 1
    sys.stdout.write(best[1] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
