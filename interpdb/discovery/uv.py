"""``uv``: ``$UV_PYTHON_INSTALL_DIR/*`` (default ``$XDG_DATA_HOME/uv/python``).

Installs are named like ``cpython-3.12.8-linux-x86_64-gnu`` and hold ``bin/python3.12``
(``install/bin`` in early uv releases). uv's minor-version links
(``cpython-3.12-linux-x86_64-gnu``, symlinks to the newest patch) and its dot-files
(``.lock``, ``.cache``, ``.temp``) are skipped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import data_home, first_root, pick_interpreter, version_dirs


def root(env: Mapping[str, str]) -> str | None:
    data = data_home(env)
    return first_root(env, "UV_PYTHON_INSTALL_DIR", data and os.path.join(data, "uv", "python"))


def find(env: Mapping[str, str]) -> list[str]:
    base = root(env)
    if base is None:
        return []
    found = (pick_interpreter(prefix, ("bin", "install/bin")) for prefix in version_dirs(base, links=False))
    return [python for python in found if python]
