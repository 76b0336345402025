"""``pyenv``: ``$PYENV_ROOT/versions/*`` (default ``~/.pyenv``), pyenv-virtualenv envs included.

Each version folder gives one interpreter (see ``pick_interpreter``). A version's
``envs/NAME`` folders are pyenv-virtualenv environments; pyenv-virtualenv also puts a
symlink ``versions/NAME`` to each, and symlinks are kept here: that link is the name
users select, so it is a path of its own. The ``envs`` of a symlinked version are not
listed again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import first_root, in_home, pick_interpreter, version_dirs


def root(env: Mapping[str, str]) -> str | None:
    return first_root(env, "PYENV_ROOT", in_home(env, ".pyenv"))


def find(env: Mapping[str, str]) -> list[str]:
    base = root(env)
    if base is None:
        return []
    found: list[str] = []
    for prefix in version_dirs(os.path.join(base, "versions"), links=True):
        prefixes = [prefix]
        if not os.path.islink(prefix):
            prefixes += version_dirs(os.path.join(prefix, "envs"), links=True)
        found += [python for python in map(pick_interpreter, prefixes) if python]
    return found
