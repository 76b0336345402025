"""``poetry``: the environments Poetry keeps outside projects, ``<virtualenvs.path>/*``.

Where that folder is, as Poetry decides it:

1. ``$POETRY_VIRTUALENVS_PATH``;
2. ``virtualenvs.path`` in Poetry's ``config.toml`` (what ``poetry config virtualenvs.path
   DIR`` writes: a ``[virtualenvs]`` table with ``path = "DIR"``, or the dotted key);
3. ``{cache-dir}/virtualenvs``, the default.

``{cache-dir}`` in a configured path is replaced, and ``~`` expanded, as Poetry does.
The cache dir is ``$POETRY_CACHE_DIR``, else ``cache-dir`` in ``config.toml``, else
``$XDG_CACHE_HOME/pypoetry`` (``~/.cache/pypoetry``), or ``~/Library/Caches/pypoetry`` on
macOS. ``config.toml`` is in ``$POETRY_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/pypoetry``
(``~/.config/pypoetry``), or ``~/Library/Application Support/pypoetry`` on macOS
(``~/Library/Preferences/pypoetry`` before Poetry 1.2). Both spellings of each are
tried, as for hatch: the one that is not this platform's costs a failed ``stat``.

Environments are named ``<project>-<hash>-py3.12``; Poetry's ``envs.toml`` beside them is
not one. ``virtualenvs.in-project`` puts ``.venv`` in the project: ``discover --scan``
finds those. A project's own ``poetry.toml`` is not read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping

from interpdb.discovery._fs import absolute, cache_home, config_home, home, in_home, read_text, venvs_in

CONFIG = "config.toml"
#: Only where a poetry config exists: compiled on first use (``re`` caches them).
_TABLE = r"^\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(?:#.*)?$"
_KEY = r"^([A-Za-z0-9_.\"-]+)\s*=\s*(.+?)\s*$"


def config_dirs(env: Mapping[str, str]) -> list[str]:
    configured = absolute(env.get("POETRY_CONFIG_DIR"))
    if configured:
        return [configured]
    xdg = config_home(env)
    candidates = [
        xdg and os.path.join(xdg, "pypoetry"),
        in_home(env, "Library", "Application Support", "pypoetry"),
        in_home(env, "Library", "Preferences", "pypoetry"),
    ]
    return [candidate for candidate in candidates if candidate]


def read_config(env: Mapping[str, str]) -> dict[str, str]:
    """The string settings of the first ``config.toml`` found, by dotted key."""
    for folder in config_dirs(env):
        text = read_text(os.path.join(folder, CONFIG))
        if text is not None:
            return parse_settings(text)
    return {}


def parse_settings(text: str) -> dict[str, str]:
    """``{"virtualenvs.path": ..., "cache-dir": ...}`` from Poetry's ``config.toml``.

    Only what Poetry writes there: tables, ``key = "string"`` (basic or literal) and
    dotted keys. Other values (booleans, numbers) and anything unreadable are skipped:
    this is a reader of two settings, not a TOML parser.
    """
    settings: dict[str, str] = {}
    table = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.match(_TABLE, line)
        if header:
            table = header.group(1)
            continue
        pair = re.match(_KEY, line)
        if not pair:
            continue
        value = _string(pair.group(2))
        if value is not None:
            key = pair.group(1).replace('"', "")
            settings[f"{table}.{key}" if table else key] = value
    return settings


def _string(value: str) -> str | None:
    if value.startswith("'"):
        end = value.find("'", 1)
        return value[1:end] if end > 0 else None
    if value.startswith('"'):
        end = 1
        while end < len(value):
            if value[end] == "\\":
                end += 2
                continue
            if value[end] == '"':
                try:
                    decoded = json.loads(value[: end + 1])  # TOML basic strings escape as JSON does
                except ValueError:
                    return None
                return decoded if isinstance(decoded, str) else None
            end += 1
    return None


def _expand(env: Mapping[str, str], path: str) -> str | None:
    base = home(env)
    if path == "~" or path.startswith("~/"):
        if base is None:
            return None
        path = base + path[1:]
    return os.path.normpath(path) if os.path.isabs(path) else None


def cache_dirs(env: Mapping[str, str], settings: Mapping[str, str]) -> list[str]:
    configured = absolute(env.get("POETRY_CACHE_DIR"))
    if configured:
        return [configured]
    from_file = settings.get("cache-dir")
    expanded = _expand(env, from_file) if from_file else None
    if expanded:
        return [expanded]
    xdg = cache_home(env)
    candidates = [xdg and os.path.join(xdg, "pypoetry"), in_home(env, "Library", "Caches", "pypoetry")]
    return [candidate for candidate in candidates if candidate]


def roots(env: Mapping[str, str]) -> list[str]:
    from_env = absolute(env.get("POETRY_VIRTUALENVS_PATH"))
    if from_env:
        return [from_env]
    settings = read_config(env)
    caches = cache_dirs(env, settings)
    configured = settings.get("virtualenvs.path")
    if configured:
        if "{cache-dir}" in configured:
            expanded = [_expand(env, configured.replace("{cache-dir}", cache)) for cache in caches]
        else:
            expanded = [_expand(env, configured)]
        return [path for path in expanded if path]
    return [os.path.join(cache, "virtualenvs") for cache in caches]


def find(env: Mapping[str, str]) -> list[str]:
    return [python for root in roots(env) for python in venvs_in(root)]
