"""``pipenv``: the environments pipenv keeps outside projects, ``$WORKON_HOME/*``.

``$WORKON_HOME`` when set and absolute (shared with virtualenvwrapper, as pipenv
intends), else ``$XDG_DATA_HOME/virtualenvs`` (``~/.local/share/virtualenvs``), on macOS
too. Each is named ``<project>-<hash>``. ``PIPENV_VENV_IN_PROJECT`` puts a ``.venv`` in
the project instead: ``discover --scan`` finds those.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import data_home, first_root, venvs_in


def root(env: Mapping[str, str]) -> str | None:
    data = data_home(env)
    return first_root(env, "WORKON_HOME", data and os.path.join(data, "virtualenvs"))


def find(env: Mapping[str, str]) -> list[str]:
    return venvs_in(root(env))
