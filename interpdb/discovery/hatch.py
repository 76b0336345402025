"""``hatch``: ``<data dir>/pythons/*``, the data dir being ``$HATCH_DATA_DIR`` when set.

Otherwise ``$XDG_DATA_HOME/hatch`` (``~/.local/share``) on Linux and
``~/Library/Application Support/hatch`` on macOS; a configured ``dirs.python`` is not
read. Each install is named after its distribution (``3.12``, ``pypy3.10``) and records
its interpreter in ``hatch-dist.json`` (``python_path``, relative); without that file the
usual places are tried: ``python/bin`` (CPython), ``python/install/bin`` (3.7), and
``*/bin`` (PyPy unpacks into a folder named after its archive). ``NAME.bak`` folders,
left while an update runs, are skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from interpdb.discovery._fs import (
    is_executable_file,
    pick_interpreter,
    read_text,
    user_data_dirs,
    version_dirs,
)

METADATA = "hatch-dist.json"


def roots(env: Mapping[str, str]) -> list[str]:
    configured = env.get("HATCH_DATA_DIR")
    if configured and os.path.isabs(configured):
        return [os.path.join(configured, "pythons")]
    return user_data_dirs(env, "hatch", "pythons")


def _recorded(prefix: str) -> str | None:
    text = read_text(os.path.join(prefix, METADATA))
    if text is None:
        return None
    try:
        relative = json.loads(text).get("python_path")
    except (ValueError, AttributeError):
        return None
    if not isinstance(relative, str) or not relative or os.path.isabs(relative):
        return None
    path = os.path.normpath(os.path.join(prefix, relative))
    return path if is_executable_file(path) else None


def _interpreter(prefix: str) -> str | None:
    recorded = _recorded(prefix)
    if recorded:
        return recorded
    standard = pick_interpreter(prefix, ("python/bin", "python/install/bin"))
    if standard:
        return standard
    for unpacked in version_dirs(prefix, links=False):
        python = pick_interpreter(unpacked)
        if python:
            return python
    return None


def find(env: Mapping[str, str]) -> list[str]:
    found = (
        _interpreter(prefix)
        for base in roots(env)
        for prefix in version_dirs(base, links=False)
        if not prefix.endswith(".bak")
    )
    return [python for python in found if python]
