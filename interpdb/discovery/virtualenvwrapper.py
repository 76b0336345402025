"""``virtualenvwrapper``: the environments ``mkvirtualenv`` makes, ``$WORKON_HOME/*``.

``$WORKON_HOME`` when set and absolute, else ``~/.virtualenvs`` (virtualenvwrapper's
default). Its hook scripts (``postactivate``, ``premkvirtualenv``...) live in the same
folder and are not environments; see ``_fs.venvs_in`` for what counts as one.
"""

from __future__ import annotations

from collections.abc import Mapping

from interpdb.discovery._fs import first_root, in_home, venvs_in


def root(env: Mapping[str, str]) -> str | None:
    return first_root(env, "WORKON_HOME", in_home(env, ".virtualenvs"))


def find(env: Mapping[str, str]) -> list[str]:
    return venvs_in(root(env))
