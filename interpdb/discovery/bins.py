"""Interpreters among the executables of ``bin`` folders: ``$PATH``'s, and the system's.

One ``find_NAME(env)`` per source (its docstring says where it looks); file names
follow ``_fs.is_interpreter_name``. They share a module because every warm ``find`` and
``list`` runs both: a module of its own costs each about 0.1 ms of import at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import interpreters_in, natural_key
from interpdb.location import normalize_path


def find_path(env: Mapping[str, str]) -> list[str]:
    """``path``: interpreters in the directories of ``$PATH``, in ``PATH`` order.

    Empty and relative entries are skipped: they name the current directory, which says
    nothing about the machine. Shim directories (pyenv's, asdf's) are listed like any other:
    their files are launchers, and the caller decides what to make of them.
    """
    return [path for directory in path_directories(env) for path in interpreters_in(directory)]


def path_directories(env: Mapping[str, str]) -> list[str]:
    """The absolute ``PATH`` entries, normalised, each once."""
    seen: dict[str, None] = {}
    for entry in env.get("PATH", "").split(os.pathsep):
        if os.path.isabs(entry):
            seen.setdefault(normalize_path(entry), None)
    return list(seen)


#: Names a root other than ``/`` for the ``system`` source (tests build a fake tree there).
SYSTEM_ROOT_VARIABLE = "INTERPDB_SYSTEM_ROOT"
SYSTEM_FIXED = ("usr/bin", "usr/local/bin", "opt/homebrew/bin")
#: (parent, folder name pattern, folder inside it)
SYSTEM_PATTERNED = (
    ("usr/local/opt", r"^python@[0-9]+(?:\.[0-9]+)*t?$", "bin"),
    ("opt/homebrew/opt", r"^python@[0-9]+(?:\.[0-9]+)*t?$", "bin"),
    ("Library/Frameworks/Python.framework/Versions", r"^[0-9]+\.[0-9]+t?$", "bin"),
)


def find_system(env: Mapping[str, str]) -> list[str]:
    """``system``: the operating system's and Homebrew's ``bin`` folders, by path alone.

    Searched, below a root that is ``/`` unless ``env["INTERPDB_SYSTEM_ROOT"]`` names
    another: ``usr/bin``, ``usr/local/bin``, ``opt/homebrew/bin``,
    ``usr/local/opt/python@*/bin``, ``opt/homebrew/opt/python@*/bin`` and
    ``Library/Frameworks/Python.framework/Versions/X.Y/bin`` (``Current`` is an alias and
    skipped). Folders that do not exist cost one failed ``scandir``, so the macOS places
    are tried everywhere.
    """
    return [path for directory in system_directories(env) for path in interpreters_in(directory)]


def system_directories(env: Mapping[str, str]) -> list[str]:
    root = env.get(SYSTEM_ROOT_VARIABLE) or "/"
    found = [os.path.join(root, relative) for relative in SYSTEM_FIXED]
    for parent, pattern, inside in SYSTEM_PATTERNED:
        base = os.path.join(root, parent)
        try:
            listed = os.listdir(base)
        except OSError:
            continue
        import re  # only where the folder exists: macOS's Homebrew and python.org ones

        names = sorted((n for n in listed if re.match(pattern, n)), key=natural_key)
        found += [os.path.join(base, name, inside) for name in names]
    return [os.path.normpath(directory) for directory in found]
