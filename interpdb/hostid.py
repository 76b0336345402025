"""Which host this is: a stable id for the store, and a name for people.

Rows in a shared (fleet) store are keyed by the host's **id**, so two machines
that happen to share a hostname never see each other's paths as their own, and a
machine keeps its rows when it is renamed. The id is, in order:

1. ``INTERPDB_HOST``: ``ID`` (used as both the id and the name) or ``ID/NAME``.
   For containers that share their machine's id, and for tests.
2. The OS machine id: ``/etc/machine-id``, else ``/var/lib/dbus/machine-id``.
3. A random id generated once and kept in ``<config dir>/interpdb/host-id``
   (``$XDG_CONFIG_HOME`` or ``~/.config``; the file 0600, its folder 0700).

The name is ``os.uname().nodename`` (or the ``NAME`` part of ``INTERPDB_HOST``).

Standard library only, and cheap: this is on every warm command's path.
"""

from __future__ import annotations

import os
import sys

from interpdb.errors import UsageError

ENV_VAR = "INTERPDB_HOST"
MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
#: The longest id or name a row can hold (``interpreters.host_id`` / ``host`` are 255 wide).
MAX_LENGTH = 255


class Host:
    """This host as the store knows it: ``id`` keys its rows, ``name`` is for people."""

    __slots__ = ("id", "name")

    def __init__(self, id: str, name: str) -> None:
        self.id = id
        self.name = name

    def __repr__(self) -> str:
        return f"Host(id={self.id!r}, name={self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Host) and (self.id, self.name) == (other.id, other.name)

    def __hash__(self) -> int:
        return hash((self.id, self.name))

    def matches(self, selector: str) -> bool:
        """Does ``--host SELECTOR`` (a name or an id) name this host?"""
        return selector in (self.id, self.name)


def _valid(value: str, what: str) -> str:
    if not value or len(value) > MAX_LENGTH or not value.isprintable() or value != value.strip():
        raise UsageError(
            f"{ENV_VAR} has an invalid {what}: {value[:60]!r}",
            hint=f"use ID or ID/NAME: printable, no leading or trailing spaces, at most {MAX_LENGTH} characters",
        )
    return value


def from_env(value: str) -> Host:
    """The host ``INTERPDB_HOST`` names: ``ID`` or ``ID/NAME``. Raises UsageError."""
    host_id, slash, name = value.partition("/")
    host_id = _valid(host_id, "id")
    return Host(host_id, _valid(name, "name") if slash else host_id)


def _read_id(path: str) -> str | None:
    try:
        # Bytes, decoded here: a text-mode open would look up the ASCII codec (an import) on every run.
        with open(path, "rb") as file:
            value = file.read(MAX_LENGTH + 1).decode("ascii", "replace").strip()
    except OSError:
        return None
    # An empty or "uninitialized" machine-id (systemd's first boot) is no id.
    if not value or len(value) > MAX_LENGTH or not value.isalnum():
        return None
    return value


def config_dir() -> str:
    """``$XDG_CONFIG_HOME/interpdb`` (only an absolute one counts), else ``~/.config/interpdb``."""
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Application Support")
    else:
        value = os.environ.get("XDG_CONFIG_HOME")
        base = value if value and os.path.isabs(value) else os.path.join(home, ".config")
    return os.path.join(base, "interpdb")


def _generated_id() -> str:
    """The id kept in ``<config dir>/host-id``, made (0600, folder 0700) the first time."""
    folder = config_dir()
    path = os.path.join(folder, "host-id")
    found = _read_id(path)
    if found is not None:
        return found
    import secrets

    new = secrets.token_hex(16)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(new + "\n")
        try:
            os.link(temporary, path)  # never replaces an id another process wrote first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    except OSError:
        return new  # nowhere to keep it: this run still has an id, the next makes another
    return _read_id(path) or new


def current() -> Host:
    """This host (see the module's docstring). Raises UsageError for a bad ``INTERPDB_HOST``."""
    value = os.environ.get(ENV_VAR)
    if value:
        return from_env(value)
    name = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "localhost")
    for path in MACHINE_ID_FILES:
        found = _read_id(path)
        if found is not None:
            return Host(found, name)
    return Host(_generated_id(), name)
