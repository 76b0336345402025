"""``path``: interpreters in the directories of ``$PATH``, in ``PATH`` order.

Empty and relative entries are skipped: they name the current directory, which says
nothing about the machine. Shim directories (pyenv's, asdf's) are listed like any other:
their files are launchers, and the caller decides what to make of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import interpreters_in


def directories(env: Mapping[str, str]) -> list[str]:
    """The absolute ``PATH`` entries, normalised, each once."""
    seen: dict[str, None] = {}
    for entry in env.get("PATH", "").split(os.pathsep):
        if os.path.isabs(entry):
            seen.setdefault(os.path.normpath(entry), None)
    return list(seen)


def find(env: Mapping[str, str]) -> list[str]:
    return [path for directory in directories(env) for path in interpreters_in(directory)]
