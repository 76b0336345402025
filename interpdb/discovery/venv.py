"""``venv``: the active ``$VIRTUAL_ENV``, and virtual environments found under scan roots.

A folder is a virtual environment when it holds ``pyvenv.cfg``; its candidate is
``bin/python``, reported only when it is an executable file (a venv whose base
interpreter is gone is skipped). The scan looks at each root and at folders up to
``depth`` levels below it (a root of depth 0 is only checked itself). It does not go into
a venv once found, nor into ``node_modules``, ``.git``, ``.hg``, ``.svn``,
``__pycache__`` or ``site-packages``, and never through a symlinked folder, so link loops
cannot trap it. Other dot-folders are searched: ``.venv`` and ``.tox/py312`` are venvs.

One ``scandir`` per folder, with the file types it already knows: no ``stat`` per entry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from interpdb.discovery._fs import absolute, is_executable_file

MARKER = "pyvenv.cfg"
SKIPPED = frozenset({"node_modules", ".git", ".hg", ".svn", "__pycache__", "site-packages"})


def interpreter(prefix: str) -> str | None:
    python = os.path.join(prefix, "bin", "python")
    return python if is_executable_file(python) else None


def active(env: Mapping[str, str]) -> list[str]:
    prefix = absolute(env.get("VIRTUAL_ENV"))
    python = interpreter(prefix) if prefix else None
    return [python] if python else []


def scan(roots: Sequence[str], depth: int = 4) -> list[str]:
    """The ``bin/python`` of every venv under ``roots``, depth first, in name order."""
    if depth < 0:
        raise ValueError(f"scan depth must be 0 or more, not {depth}")
    found: list[str] = []
    for root in roots:
        _walk(os.path.normpath(os.path.abspath(root)), depth, found)
    return found


def _walk(directory: str, depth: int, found: list[str]) -> None:
    try:
        with os.scandir(directory) as scanned:
            entries = list(scanned)
    except OSError:
        return
    if any(entry.name == MARKER for entry in entries):
        python = interpreter(directory)
        if python:
            found.append(python)
        return
    if depth == 0:
        return
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name in SKIPPED:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        _walk(entry.path, depth - 1, found)


def find(env: Mapping[str, str], roots: Sequence[str] = (), depth: int = 4) -> list[str]:
    return active(env) + scan(roots, depth)
