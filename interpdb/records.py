"""Plain frozen records: what every layer above the store passes around and renders.

They are built from database rows (``interpdb.store.read``) and never from ORM objects,
so a warm command needs neither SQLAlchemy nor a session to produce them.
"""

from __future__ import annotations

from interpdb._frozen import field, frozen, replace
from interpdb._stdlib import datetime, timezone

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from interpdb.diff import DiffItem
    from interpdb.fingerprint import Entry

#: What happened to an interpreter in this run. ``remote``: another host's row, shown
#: as it was last recorded there (this host never checks or probes it).
STATUSES = ("cached", "probed", "stale", "missing", "error", "remote")
TRIGGERS = ("new", "changed", "refresh", "refresh-interpreter", "probe-changed", "max-age", "forget", "unforget")
#: ``forgotten`` / ``remembered`` mark the history events of ``forget`` and of a probe that brings one back.
OUTCOMES = ("ok", "error", "missing", "forgotten", "remembered")
JSON_SCHEMA_VERSION = 1
#: Names and short names of the implementations a request or ``--implementation`` may name.
IMPLEMENTATION_NAMES = {
    "cpython": "cpython",
    "cp": "cpython",
    "pypy": "pypy",
    "pp": "pypy",
    "graalpy": "graalpy",
    "graalvm": "graalpy",
    "gp": "graalpy",
}


def implementation_name(text: str) -> str:
    """``--implementation``'s value as ``sys.implementation.name`` spells it: ``PP`` is ``pypy``."""
    lowered = text.strip().lower()
    return IMPLEMENTATION_NAMES.get(lowered, lowered)


#: The largest id an interpreter can have (SQLite and PostgreSQL integers are 64-bit at most).
MAX_ID = 2**63 - 1


def utcnow() -> datetime:
    """Naive UTC: what the DateTime columns hold on every backend."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@frozen
class Record:
    """An interpreter with its current probe, as stored, plus this run's ``status``."""

    id: int
    host: str
    path: str
    status: str
    probe_id: int | None
    outcome: str | None
    trigger: str | None
    probed_at: datetime | None
    error: str | None
    duration_ms: float | None
    interpdb_version: str | None
    changes: tuple[dict[str, Any], ...]
    implementation: str | None
    implementation_version: str | None
    version: str | None
    version_major: int | None
    version_minor: int | None
    version_micro: int | None
    is_venv: bool | None
    free_threaded: bool | None
    debug_build: bool | None
    pointer_size: int | None
    platform: str | None
    executable: str | None
    real_executable: str | None
    prefix: str | None
    base_prefix: str | None
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    entries: tuple[Entry, ...] = field(default=(), compare=False, hash=False)
    stale_changes: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    #: the discovery sources this path was ever found through (``path``, ``pyenv``...)
    sources: tuple[str, ...] = field(default=(), compare=False)
    #: other paths to the same interpreter (filled in by ``list``; see ``interpdb.aliases``)
    aliases: tuple[str, ...] = field(default=(), compare=False)
    #: True when this run recorded the current probe (``changes`` are then this run's)
    probed_now: bool = field(default=False, compare=False)
    #: when ``interpdb forget`` hid it from ``list`` and ``find`` (None: visible)
    forgotten_at: datetime | None = None
    #: the stored row could not be read back (``error`` says which and why)
    damaged: bool = field(default=False, compare=False)
    #: the id of the host the row belongs to (``interpdb.hostid``); ``host`` is its name
    host_id: str = ""

    def with_status(self, status: str, stale_changes: tuple[dict[str, Any], ...] = ()) -> Record:
        return replace(self, status=status, stale_changes=stale_changes)

    @property
    def sys_path(self) -> list[str]:
        return list(self.data.get("sys_path") or [])

    @property
    def site_packages(self) -> list[str]:
        return list(self.data.get("site_packages") or [])

    @property
    def markers(self) -> dict[str, Any]:
        return dict(self.data.get("markers") or {})

    @property
    def conda_env(self) -> str | None:
        """The conda environment's name (``base``, or ``NAME`` of ``envs/NAME``); None if not conda.

        Derived from the prefix on disk (``interpdb.discovery.envs.conda_env_name``) rather
        than stored, so the store needs no new column.
        """
        if self.outcome != "ok":
            return None
        from interpdb.discovery.envs import conda_env_name

        return conda_env_name(self.prefix)

    def document(self, **extra: Any) -> dict[str, Any]:
        """A standalone JSON document (``find``, ``show``): the record plus ``schema_version``."""
        return dict(self.to_json(), schema_version=JSON_SCHEMA_VERSION, **extra)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of ``probe`` / ``list`` / ``show`` output (keys never renamed)."""
        return {
            "id": self.id,
            "host": self.host,
            "path": self.path,
            "status": self.status,
            "outcome": self.outcome,
            "error": self.error,
            "trigger": self.trigger,
            "probed_at": _iso(self.probed_at),
            "duration_ms": self.duration_ms,
            "interpdb_version": self.interpdb_version,
            "implementation": self.implementation,
            "implementation_version": self.implementation_version,
            "version": self.version,
            "executable": self.executable,
            "real_executable": self.real_executable,
            "base_executable": self.data.get("base_executable"),
            "is_venv": self.is_venv,
            "prefix": self.prefix,
            "base_prefix": self.base_prefix,
            "exec_prefix": self.data.get("exec_prefix"),
            "sys_path": self.sys_path,
            "site_packages": self.site_packages,
            "user_site": self.data.get("user_site"),
            "enable_user_site": self.data.get("enable_user_site"),
            "platform": self.platform,
            "sys_platform": self.data.get("sys_platform"),
            "pointer_size": self.pointer_size,
            "free_threaded": self.free_threaded,
            "debug_build": self.debug_build,
            "abiflags": self.data.get("abiflags"),
            "soabi": self.data.get("soabi"),
            "ext_suffix": self.data.get("ext_suffix"),
            "libc": self.data.get("libc"),
            "libpython": self.data.get("libpython"),
            "pyvenv_cfg": self.data.get("pyvenv_cfg"),
            "sysconfig_paths": self.data.get("sysconfig_paths") or {},
            "markers": self.markers,
            "manylinux": self.data.get("manylinux"),
            "sys_version": self.data.get("sys_version"),
            "stale_changes": list(self.stale_changes),
            "sources": list(self.sources),
            "aliases": list(self.aliases),
            "launcher": self.data.get("launcher"),
            "conda_env": self.conda_env,
            "forgotten_at": _iso(self.forgotten_at),
            "host_id": self.host_id,
        }


@frozen
class ProbeEvent:
    """One row of the probe log: when, why, what changed, how it went."""

    probe_id: int
    interpreter_id: int
    host: str
    path: str
    probed_at: datetime
    trigger: str
    outcome: str
    error: str | None
    duration_ms: float
    changes: tuple[dict[str, Any], ...]
    interpdb_version: str
    command: str | None
    version: str | None
    implementation: str | None
    #: What the probe's answer changed since ``diff_against`` (the interpreter's
    #: previous ``ok`` probe); None when not asked for. Empty for a first probe
    #: (``diff_against`` None) and for a failed one, which has no answer.
    diff: tuple[DiffItem, ...] | None = None
    diff_against: int | None = None
    #: the id of the interpreter's host (``interpdb.hostid``); ``host`` is its name
    host_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of a ``history`` event; ``diff``/``diff_against`` only with ``--diff``."""
        document: dict[str, Any] = {
            "probe_id": self.probe_id,
            "interpreter_id": self.interpreter_id,
            "host": self.host,
            "path": self.path,
            "probed_at": _iso(self.probed_at),
            "trigger": self.trigger,
            "outcome": self.outcome,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "changes": list(self.changes),
            "interpdb_version": self.interpdb_version,
            "command": self.command,
            "version": self.version,
            "implementation": self.implementation,
            "host_id": self.host_id,
        }
        if self.diff is not None:
            document["diff"] = [item.to_json() for item in self.diff]
            document["diff_against"] = self.diff_against
        return document
