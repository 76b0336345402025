"""Every column of the store, named once.

The ORM models (``store.models``) are checked against these names when they are
imported, the stdlib reader (``store.read``) builds its ``SELECT`` lists from them
and reads rows by name, and the writer (``store.write``) maps a probe's answer to
its fact columns with ``PROBE_FACTS``. A new column is added here, in the models
and in a migration (``docs/schema.md`` describes it); ``ADDED_IN`` says which
revision brought it, so an older store is still read (the column reads as NULL).

Plain tuples and dicts: this module is on every warm command's path.
"""

from __future__ import annotations

INTERPRETERS = ("id", "host", "path", "created_at", "forgotten_at", "current_probe_id", "host_id")

#: The facts people filter on, as columns of ``probes``: column -> key of the probe's answer.
#: ``version_major``/``minor``/``micro``/``releaselevel`` come from ``version_info``.
PROBE_FACTS = {
    "implementation": "implementation_name",
    "implementation_version": "implementation_version",
    "python_version": "python_version",
    "version_major": None,
    "version_minor": None,
    "version_micro": None,
    "version_releaselevel": None,
    "is_venv": "is_venv",
    "free_threaded": "free_threaded",
    "debug_build": "debug_build",
    "pointer_size": "pointer_size",
    "platform": "platform",
    "executable": "executable",
    "real_executable": "real_executable",
    "prefix": "prefix",
    "base_prefix": "base_prefix",
}

PROBES = (
    "id",
    "interpreter_id",
    "probed_at",
    "trigger",
    "changes",
    "outcome",
    "error",
    "duration_ms",
    "interpdb_version",
    "probe_hash",
    "command",
    *PROBE_FACTS,
    "data",
)

FINGERPRINT_ENTRIES = (
    "id",
    "probe_id",
    "position",
    "role",
    "path",
    "exists",
    "mtime_ns",
    "ctime_ns",
    "size",
    "ino",
    "dev",
    "target",
)
#: What an ``Entry`` (``interpdb.fingerprint``) holds, in its field order.
ENTRY_FIELDS = ("role", "path", "exists", "mtime_ns", "ctime_ns", "size", "ino", "dev", "target")

INTERPRETER_SOURCES = ("interpreter_id", "source", "first_seen_at")
SYS_PATH_ENTRIES = ("probe_id", "position", "path")

TABLES = {
    "interpreters": INTERPRETERS,
    "probes": PROBES,
    "fingerprint_entries": FINGERPRINT_ENTRIES,
    "interpreter_sources": INTERPRETER_SOURCES,
    "sys_path_entries": SYS_PATH_ENTRIES,
}

#: (table, column or None for the whole table) -> the revision that added it. Absent: since ``0001_initial``.
ADDED_IN = {
    ("interpreters", "forgotten_at"): "0002_interface",
    ("interpreter_sources", None): "0002_interface",
    ("sys_path_entries", None): "0002_interface",
    ("interpreters", "host_id"): "0004_host_identity",
}

#: What a record row holds: its name in the row -> the column it is read from
#: (``i`` interpreters, ``p`` the current probe). The names are ``Record``'s fields.
RECORD = {
    "id": ("i", "id"),
    "host": ("i", "host"),
    "host_id": ("i", "host_id"),
    "path": ("i", "path"),
    "forgotten_at": ("i", "forgotten_at"),
    "probe_id": ("p", "id"),
    "outcome": ("p", "outcome"),
    "trigger": ("p", "trigger"),
    "probed_at": ("p", "probed_at"),
    "error": ("p", "error"),
    "duration_ms": ("p", "duration_ms"),
    "interpdb_version": ("p", "interpdb_version"),
    "changes": ("p", "changes"),
    "implementation": ("p", "implementation"),
    "implementation_version": ("p", "implementation_version"),
    "version": ("p", "python_version"),
    "version_major": ("p", "version_major"),
    "version_minor": ("p", "version_minor"),
    "version_micro": ("p", "version_micro"),
    "is_venv": ("p", "is_venv"),
    "free_threaded": ("p", "free_threaded"),
    "debug_build": ("p", "debug_build"),
    "pointer_size": ("p", "pointer_size"),
    "platform": ("p", "platform"),
    "executable": ("p", "executable"),
    "real_executable": ("p", "real_executable"),
    "prefix": ("p", "prefix"),
    "base_prefix": ("p", "base_prefix"),
    "data": ("p", "data"),
}

#: What a history event row holds, as ``RECORD`` does (``ProbeEvent``'s fields).
EVENT = {
    "probe_id": ("p", "id"),
    "interpreter_id": ("p", "interpreter_id"),
    "host": ("i", "host"),
    "host_id": ("i", "host_id"),
    "path": ("i", "path"),
    "probed_at": ("p", "probed_at"),
    "trigger": ("p", "trigger"),
    "outcome": ("p", "outcome"),
    "error": ("p", "error"),
    "duration_ms": ("p", "duration_ms"),
    "changes": ("p", "changes"),
    "interpdb_version": ("p", "interpdb_version"),
    "command": ("p", "command"),
    "version": ("p", "python_version"),
    "implementation": ("p", "implementation"),
}

_TABLE_OF = {"i": "interpreters", "p": "probes", "e": "fingerprint_entries"}


def select_list(spec: dict[str, tuple[str, str]], present: dict[str, frozenset[str]] | None = None) -> str:
    """``spec`` as SQL: ``i.path AS path, ...``; a column the store lacks (an older
    revision, see ``present``: table -> its columns) reads as NULL."""
    parts = []
    for name, (alias, column) in spec.items():
        table = _TABLE_OF[alias]
        if present is not None and column not in present.get(table, frozenset()):
            parts.append(f'NULL AS "{name}"')
        else:
            parts.append(f'{alias}."{column}" AS "{name}"')
    return ", ".join(parts)


ENTRY_SELECT = {"probe_id": ("e", "probe_id"), **{name: ("e", name) for name in ENTRY_FIELDS}}
