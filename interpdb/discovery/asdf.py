"""``asdf``: ``$ASDF_DATA_DIR/installs/python/*`` (default ``~/.asdf``), one interpreter each.

asdf builds with pyenv's python-build, so an install is a plain prefix with ``bin/``.
Symlinked version folders are kept: asdf makes none itself, so a user made them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import first_root, in_home, pick_interpreter, version_dirs


def root(env: Mapping[str, str]) -> str | None:
    return first_root(env, "ASDF_DATA_DIR", in_home(env, ".asdf"))


def find(env: Mapping[str, str]) -> list[str]:
    base = root(env)
    if base is None:
        return []
    prefixes = version_dirs(os.path.join(base, "installs", "python"), links=True)
    return [python for python in map(pick_interpreter, prefixes) if python]
