"""``mise``: ``$MISE_DATA_DIR/installs/python/*`` (default ``$XDG_DATA_HOME/mise``).

mise makes alias symlinks beside each install (``3``, ``3.12``, ``latest``); they are
skipped so one install is one candidate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import data_home, first_root, pick_interpreter, version_dirs


def root(env: Mapping[str, str]) -> str | None:
    data = data_home(env)
    return first_root(env, "MISE_DATA_DIR", data and os.path.join(data, "mise"))


def find(env: Mapping[str, str]) -> list[str]:
    base = root(env)
    if base is None:
        return []
    prefixes = version_dirs(os.path.join(base, "installs", "python"), links=False)
    return [python for python in map(pick_interpreter, prefixes) if python]
