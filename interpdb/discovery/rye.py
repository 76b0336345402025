"""``rye``: ``$RYE_HOME/py/*`` (default ``~/.rye``).

A folder there is a downloaded toolchain: ``bin/python3`` (``install/bin`` before rye
0.16). A file there is a registered one (``rye toolchain register``): a symlink to an
interpreter or an executable is reported as it stands; a text file holds the
interpreter's path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import first_root, in_home, is_executable_file, natural_key, pick_interpreter, read_text


def root(env: Mapping[str, str]) -> str | None:
    return first_root(env, "RYE_HOME", in_home(env, ".rye"))


def _registered(path: str) -> str | None:
    if is_executable_file(path):
        return path
    text = read_text(path)
    target = text.strip() if text else ""
    return os.path.normpath(target) if os.path.isabs(target) and is_executable_file(target) else None


def find(env: Mapping[str, str]) -> list[str]:
    base = root(env)
    if base is None:
        return []
    py = os.path.join(base, "py")
    try:
        names = sorted((n for n in os.listdir(py) if not n.startswith(".")), key=natural_key)
    except OSError:
        return []
    found: list[str] = []
    for name in names:
        entry = os.path.join(py, name)
        if os.path.isdir(entry):
            python = pick_interpreter(entry, ("install/bin", "bin"))
        else:
            python = _registered(entry)
        if python:
            found.append(python)
    return found
