"""``system``: the operating system's and Homebrew's ``bin`` folders, by path alone.

Searched, below a root that is ``/`` unless ``env["INTERPDB_SYSTEM_ROOT"]`` names
another (tests build a fake tree there): ``usr/bin``, ``usr/local/bin``,
``opt/homebrew/bin``, ``usr/local/opt/python@*/bin``, ``opt/homebrew/opt/python@*/bin``
and ``Library/Frameworks/Python.framework/Versions/X.Y/bin`` (``Current`` is an alias
and skipped). Folders that do not exist cost one failed ``scandir``, so the macOS
places are tried everywhere. File names follow the ``path`` rules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from interpdb.discovery._fs import interpreters_in, natural_key

ROOT_VARIABLE = "INTERPDB_SYSTEM_ROOT"
FIXED = ("usr/bin", "usr/local/bin", "opt/homebrew/bin")
#: (parent, folder name pattern, folder inside it)
PATTERNED = (
    ("usr/local/opt", r"^python@[0-9]+(?:\.[0-9]+)*t?$", "bin"),
    ("opt/homebrew/opt", r"^python@[0-9]+(?:\.[0-9]+)*t?$", "bin"),
    ("Library/Frameworks/Python.framework/Versions", r"^[0-9]+\.[0-9]+t?$", "bin"),
)


def directories(env: Mapping[str, str]) -> list[str]:
    root = env.get(ROOT_VARIABLE) or "/"
    found = [os.path.join(root, relative) for relative in FIXED]
    for parent, pattern, inside in PATTERNED:
        base = os.path.join(root, parent)
        try:
            names = sorted((n for n in os.listdir(base) if re.match(pattern, n)), key=natural_key)
        except OSError:
            continue
        found += [os.path.join(base, name, inside) for name in names]
    return [os.path.normpath(directory) for directory in found]


def find(env: Mapping[str, str]) -> list[str]:
    return [path for directory in directories(env) for path in interpreters_in(directory)]
