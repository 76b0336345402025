"""Where the database lives: ``--db``, then ``INTERPDB_DB``, then the user data directory.

Plain ``os.path`` strings on purpose: every command resolves its location, and
``pathlib`` costs a few milliseconds of import on the warm path.
"""

from __future__ import annotations

import os
import sys

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

ENV_VAR = "INTERPDB_DB"
FILENAME = "interpdb.sqlite3"


class Location:
    """A database address: ``url`` for SQLAlchemy, ``sqlite_file`` when it is a SQLite file.

    A plain immutable class rather than a dataclass: ``dataclasses`` imports
    ``inspect``, several milliseconds that ``interpdb sql`` would pay for nothing.
    """

    __slots__ = ("sqlite_file", "url")
    url: str
    sqlite_file: str | None

    def __init__(self, url: str, sqlite_file: str | None) -> None:
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "sqlite_file", sqlite_file)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Location is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Location is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[type[Location], tuple[str, str | None]]:
        return Location, (self.url, self.sqlite_file)  # pickle and copy through __init__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Location):
            return NotImplemented
        return (self.url, self.sqlite_file) == (other.url, other.sqlite_file)

    def __hash__(self) -> int:
        return hash((self.url, self.sqlite_file))

    def __repr__(self) -> str:
        return f"Location(url={self.url!r}, sqlite_file={self.sqlite_file!r})"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlite_file is not None

    @property
    def sqlite_path(self) -> Path | None:
        """``sqlite_file`` as a ``Path``, for the code that writes (pathlib imported here)."""
        if self.sqlite_file is None:
            return None
        from pathlib import Path

        return Path(self.sqlite_file)

    def describe(self) -> str:
        """The store, safe to print in a message: the file, or the URL with its password hidden."""
        return self.sqlite_file or hide_password(self.url)

    def exists(self) -> bool:
        """True for a SQLite file that exists, and for every other URL (a server decides)."""
        return self.sqlite_file is None or os.path.exists(self.sqlite_file)


def is_utf8(text: str) -> bool:
    """Can the store hold this text? Names that are not UTF-8 arrive surrogate-escaped."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_regular(path: str, limit: int) -> bytes | None:
    """Up to ``limit`` bytes of the regular file at ``path``; None for anything else: a FIFO,
    a device, a folder, a missing or unreadable file. Opened without blocking, so a FIFO
    where an interpreter, a ``.pth`` file or a config file belongs never waits for a writer
    (a plain ``open`` would, for ever, before any timeout applies)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks: list[bytes] = []
        left = limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def normalize_path(path: str) -> str:
    """An interpreter's path as stored: absolute and normalised, symlinks kept, so each
    path is its own interpreter row.

    But a ``..`` climbs out of the real folder it follows, as the kernel climbs it: in
    ``/link/../x`` out of the link's target, not back to the folder holding the link,
    where ``normpath`` would go and name another file. So the part up to the last ``..``
    is resolved (``realpath``), and only what follows it keeps its symlinks.
    """
    expanded = os.path.expanduser(path)
    full = expanded if os.path.isabs(expanded) else os.path.join(os.getcwd(), expanded)
    if ".." in full:  # the common path has none: one substring test
        parts = full.split(os.sep)
        if ".." in parts:
            last = len(parts) - parts[::-1].index("..")
            full = os.path.join(os.path.realpath(os.sep.join(parts[:last])), *parts[last:])
    return os.path.normpath(full)


def _xdg(variable: str) -> str | None:
    """An XDG base directory from the environment: only an absolute path counts.

    The XDG Base Directory spec: a relative path in ``$XDG_*_HOME`` is invalid and
    should be ignored, and an empty one means the default.
    """
    value = os.environ.get(variable)
    return value if value and os.path.isabs(value) else None


def _home() -> str:
    """``HOME`` when it is an absolute path, else the account's home from the password
    database: an empty or relative ``HOME`` (a CI job's ``env``) put the default store in
    ``/`` or in each job's working folder, a different store per folder."""
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return home
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_dir
    except (ImportError, KeyError):
        return os.path.expanduser("~")


def default_path() -> str:
    """``~/Library/Application Support/interpdb`` on macOS, else ``$XDG_DATA_HOME/interpdb``."""
    home = _home()
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Application Support")
    elif os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    else:
        base = _xdg("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(base, "interpdb", FILENAME)


def cache_dir() -> str:
    """Where interpdb keeps what can be rebuilt (the virtualenv plugin's answers).

    ``~/Library/Caches/interpdb`` on macOS, else ``$XDG_CACHE_HOME/interpdb``
    (``~/.cache/interpdb``).
    """
    home = _home()
    if sys.platform == "darwin":
        base = os.path.join(home, "Library", "Caches")
    elif os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
    else:
        base = _xdg("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "interpdb")


def resolve(value: str | None = None) -> Location:
    """Turn a path or URL (or nothing) into a Location. Relative paths are made absolute."""
    value = value or os.environ.get(ENV_VAR) or None
    if value is None:
        path = default_path()
    elif "://" in value:
        _refuse_memory(value)
        if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            path = value[len("sqlite:///") :]
        else:
            return Location(value, None)
    else:
        _refuse_odd_file(value)
        path = os.path.expanduser(value)
    path = os.path.abspath(path)
    return Location(f"sqlite:///{path}", path)


def hide_password(url: str) -> str:
    """``url`` with any password in it shown as ``***``, safe to print.

    Read without SQLAlchemy's parser, so a URL it rejects is shown safely too.
    Everything between ``://`` and the last ``@`` is the user part: a password
    holding ``@`` or ``/`` is hidden whole.
    """
    import re

    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if sep and at >= 0:
        user, colon, _password = rest[:at].partition(":")
        if colon:
            url = f"{scheme}://{user}:***{rest[at:]}"
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", url)


def cannot_connect(url: str, error: BaseException) -> str:
    """The one line that says ``url`` cannot be used, with neither its password nor a traceback."""
    dialect = url.partition("://")[0].partition("+")[0].lower()
    if dialect == "postgres":  # libpq's spelling, which SQLAlchemy does not read
        return f"cannot connect to {hide_password(url)}: write postgresql+psycopg:// (SQLAlchemy reads no postgres://)"
    if dialect not in ("sqlite", "postgresql"):
        return (
            f"cannot connect to {hide_password(url)}: interpdb keeps its store in SQLite (a file path) "
            f"or PostgreSQL (postgresql+psycopg://...), not {dialect}"
        )
    missing = _psycopg_missing(error)
    if missing == "psycopg":
        return f"cannot connect to {hide_password(url)}: psycopg is not installed (pip install 'interpdb[postgres]')"
    if missing:  # psycopg2, asyncpg...: another driver named by the URL
        return (
            f"cannot connect to {hide_password(url)}: its driver, {missing}, is not installed"
            " (pip install 'interpdb[postgres]' installs psycopg 3, for postgresql+psycopg:// URLs)"
        )
    import re
    from urllib.parse import unquote

    lines = str(getattr(error, "orig", None) or error).strip().splitlines()
    reason = lines[0] if lines else error.__class__.__name__
    _scheme, sep, rest = url.partition("://")
    password = rest[: rest.rfind("@")].partition(":")[2] if sep and "@" in rest else ""
    query_password = re.search(r"(?i)password=([^&]*)", url)
    for secret in (password, query_password.group(1) if query_password else ""):
        if secret:
            reason = reason.replace(secret, "***").replace(unquote(secret), "***")
    return f"cannot connect to {hide_password(url)}: {reason}"


def _psycopg_missing(error: BaseException | None) -> str | None:
    """The PostgreSQL driver that failed to import in ``error`` (or what caused it), or None."""
    seen = 0
    while error is not None and seen < 8:
        if isinstance(error, ImportError):
            name = (error.name or "").split(".")[0]
            if name in ("psycopg", "psycopg2", "asyncpg", "pg8000", "psycopg2cffi"):
                return name
            if "psycopg" in str(error):
                return "psycopg"
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
        seen += 1
    return None


def _refuse_odd_file(value: str) -> None:
    """A file name that is surely a slip, refused before it is created: blanks only
    (``--db "$DB "``), SQLite's ``:memory:`` (a file of that name, never in memory: say
    ``./:memory:`` to mean one), a trailing slash (a folder was meant)."""
    from interpdb.errors import InventoryError

    if not value.strip():
        raise InventoryError(f"{value!r} is only blanks, not a database file: give a file path")
    if value == ":memory:":
        raise InventoryError(":memory: names an in-memory database, empty again on every command: give a file path")
    if value.endswith(("/", os.sep)):
        raise InventoryError(f"{value} ends with '/': give a database file, not a folder")


def _refuse_memory(url: str) -> None:
    """An in-memory SQLite database would be empty again on every command: refused, one line."""
    scheme, _, rest = url.partition("://")
    if not scheme.lower().startswith("sqlite"):
        return
    if rest in ("", "/") or rest.startswith("/:memory:") or "mode=memory" in rest.lower():
        from interpdb.errors import InventoryError

        raise InventoryError(f"{url} is an in-memory database, empty again on every command: give a file path")
