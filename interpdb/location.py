"""Where the database lives: ``--db``, then ``INTERPDB_DB``, then the user data directory."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "INTERPDB_DB"
FILENAME = "interpdb.sqlite3"


@dataclass(frozen=True)
class Location:
    """A database address: ``url`` for SQLAlchemy, ``sqlite_path`` when it is a SQLite file."""

    url: str
    sqlite_path: Path | None

    @property
    def is_sqlite(self) -> bool:
        return self.sqlite_path is not None


def default_path() -> Path:
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "interpdb" / FILENAME


def resolve(value: str | None = None) -> Location:
    """Turn a path or URL (or nothing) into a Location. Relative paths are made absolute."""
    value = value or os.environ.get(ENV_VAR) or None
    if value is None:
        path = default_path()
    elif "://" in value:
        if value.startswith("sqlite:///") and len(value) > len("sqlite:///"):
            path = Path(value[len("sqlite:///") :])
        else:
            return Location(value, None)
    else:
        path = Path(value).expanduser()
    path = path.absolute()
    return Location(f"sqlite:///{path}", path)
