"""``pdm``: ``python.install_root`` at its default, ``<user data dir>/pdm/python/*``.

That is ``$XDG_DATA_HOME/pdm/python`` (``~/.local/share``) on Linux and
``~/Library/Application Support/pdm/python`` on macOS; a configured ``install_root`` is
not read. Installs are named like ``cpython@3.12.8`` and hold ``bin/python3``
(``install/bin`` for some builds). ``pdm python link`` adds symlinks to other prefixes:
they are kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from interpdb.discovery._fs import pick_interpreter, user_data_dirs, version_dirs


def roots(env: Mapping[str, str]) -> list[str]:
    return user_data_dirs(env, "pdm", "python")


def find(env: Mapping[str, str]) -> list[str]:
    found = (
        pick_interpreter(prefix, ("install/bin", "bin"))
        for base in roots(env)
        for prefix in version_dirs(base, links=True)
    )
    return [python for python in found if python]
