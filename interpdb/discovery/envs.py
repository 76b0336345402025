"""Virtual and conda environments: the active venv and ``--scan`` roots, virtualenvwrapper,
Poetry, pipenv and conda.

One ``find_NAME(env)`` per source (its docstring says where it looks). They share a
module because every warm ``find`` and ``list`` runs them all: a module of its own costs
each about 0.1 ms of import at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from interpdb.discovery._fs import (
    absolute,
    cache_home,
    config_home,
    data_home,
    first_root,
    home,
    in_home,
    is_executable_file,
    read_text,
    venvs_in,
    version_dirs,
)

# -- venv ---------------------------------------------------------------------------------

#: What makes a folder a virtual environment.
MARKER = "pyvenv.cfg"
#: Folders the scan never enters.
SKIPPED = frozenset({"node_modules", ".git", ".hg", ".svn", "__pycache__", "site-packages"})


def find_venv(env: Mapping[str, str], roots: Sequence[str] = (), depth: int = 4) -> list[str]:
    """``venv``: the active ``$VIRTUAL_ENV``, and virtual environments found under scan roots.

    A folder is a virtual environment when it holds ``pyvenv.cfg``; its candidate is
    ``bin/python``, reported only when it is an executable file (a venv whose base
    interpreter is gone is skipped). The scan looks at each root and at folders up to
    ``depth`` levels below it (a root of depth 0 is only checked itself). It does not go into
    a venv once found, nor into ``node_modules``, ``.git``, ``.hg``, ``.svn``,
    ``__pycache__`` or ``site-packages``, and never through a symlinked folder, so link loops
    cannot trap it. Other dot-folders are searched: ``.venv`` and ``.tox/py312`` are venvs.

    One ``scandir`` per folder, with the file types it already knows: no ``stat`` per entry.
    """
    return active_venv(env) + scan(roots, depth)


def venv_interpreter(prefix: str) -> str | None:
    python = os.path.join(prefix, "bin", "python")
    return python if is_executable_file(python) else None


def active_venv(env: Mapping[str, str]) -> list[str]:
    prefix = absolute(env.get("VIRTUAL_ENV"))
    python = venv_interpreter(prefix) if prefix else None
    return [python] if python else []


def scan(roots: Sequence[str], depth: int = 4) -> list[str]:
    """The ``bin/python`` of every venv under ``roots``, depth first, in name order."""
    if depth < 0:
        raise ValueError(f"scan depth must be 0 or more, not {depth}")
    found: list[str] = []
    for root in roots:
        _walk(os.path.normpath(os.path.abspath(root)), depth, found)
    return found


def _walk(directory: str, depth: int, found: list[str]) -> None:
    try:
        with os.scandir(directory) as scanned:
            entries = list(scanned)
    except OSError:
        return
    if any(entry.name == MARKER for entry in entries):
        python = venv_interpreter(directory)
        if python:
            found.append(python)
        return
    if depth == 0:
        return
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.name in SKIPPED:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        _walk(entry.path, depth - 1, found)


# -- virtualenvwrapper, pipenv ------------------------------------------------------------


def find_virtualenvwrapper(env: Mapping[str, str]) -> list[str]:
    """``virtualenvwrapper``: the environments ``mkvirtualenv`` makes, ``$WORKON_HOME/*``.

    ``$WORKON_HOME`` when set and absolute, else ``~/.virtualenvs`` (virtualenvwrapper's
    default). Its hook scripts (``postactivate``, ``premkvirtualenv``...) live in the same
    folder and are not environments; see ``_fs.venvs_in`` for what counts as one.
    """
    return venvs_in(first_root(env, "WORKON_HOME", in_home(env, ".virtualenvs")))


def find_pipenv(env: Mapping[str, str]) -> list[str]:
    """``pipenv``: the environments pipenv keeps outside projects, ``$WORKON_HOME/*``.

    ``$WORKON_HOME`` when set and absolute (shared with virtualenvwrapper, as pipenv
    intends), else ``$XDG_DATA_HOME/virtualenvs`` (``~/.local/share/virtualenvs``), on macOS
    too. Each is named ``<project>-<hash>``. ``PIPENV_VENV_IN_PROJECT`` puts a ``.venv`` in
    the project instead: ``discover --scan`` finds those.
    """
    data = data_home(env)
    return venvs_in(first_root(env, "WORKON_HOME", data and os.path.join(data, "virtualenvs")))


# -- poetry -------------------------------------------------------------------------------

#: Poetry's settings file, in its config folder.
POETRY_CONFIG = "config.toml"
#: Only where a poetry config exists: compiled on first use (``re`` caches them).
_TABLE = r"^\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(?:#.*)?$"
_KEY = r"^([A-Za-z0-9_.\"-]+)\s*=\s*(.+?)\s*$"


def find_poetry(env: Mapping[str, str]) -> list[str]:
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
    return [python for root in poetry_roots(env) for python in venvs_in(root)]


def _poetry_config_dirs(env: Mapping[str, str]) -> list[str]:
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


def _poetry_config(env: Mapping[str, str]) -> dict[str, str]:
    """The string settings of the first ``config.toml`` found, by dotted key."""
    for folder in _poetry_config_dirs(env):
        text = read_text(os.path.join(folder, POETRY_CONFIG))
        if text is not None:
            return parse_poetry_settings(text)
    return {}


def parse_poetry_settings(text: str) -> dict[str, str]:
    """``{"virtualenvs.path": ..., "cache-dir": ...}`` from Poetry's ``config.toml``.

    Only what Poetry writes there: tables, ``key = "string"`` (basic or literal) and
    dotted keys. Other values (booleans, numbers) and anything unreadable are skipped:
    this is a reader of two settings, not a TOML parser.
    """
    import re

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
        value = _toml_string(pair.group(2))
        if value is not None:
            key = pair.group(1).replace('"', "")
            settings[f"{table}.{key}" if table else key] = value
    return settings


def _toml_string(value: str) -> str | None:
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
                import json

                try:
                    decoded = json.loads(value[: end + 1])  # TOML basic strings escape as JSON does
                except ValueError:
                    return None
                return decoded if isinstance(decoded, str) else None
            end += 1
    return None


def _expand_home(env: Mapping[str, str], path: str) -> str | None:
    base = home(env)
    if path == "~" or path.startswith("~/"):
        if base is None:
            return None
        path = base + path[1:]
    return os.path.normpath(path) if os.path.isabs(path) else None


def _poetry_cache_dirs(env: Mapping[str, str], settings: Mapping[str, str]) -> list[str]:
    configured = absolute(env.get("POETRY_CACHE_DIR"))
    if configured:
        return [configured]
    from_file = settings.get("cache-dir")
    expanded = _expand_home(env, from_file) if from_file else None
    if expanded:
        return [expanded]
    xdg = cache_home(env)
    candidates = [xdg and os.path.join(xdg, "pypoetry"), in_home(env, "Library", "Caches", "pypoetry")]
    return [candidate for candidate in candidates if candidate]


def poetry_roots(env: Mapping[str, str]) -> list[str]:
    from_env = absolute(env.get("POETRY_VIRTUALENVS_PATH"))
    if from_env:
        return [from_env]
    settings = _poetry_config(env)
    caches = _poetry_cache_dirs(env, settings)
    configured = settings.get("virtualenvs.path")
    if configured:
        if "{cache-dir}" in configured:
            expanded = [_expand_home(env, configured.replace("{cache-dir}", cache)) for cache in caches]
        else:
            expanded = [_expand_home(env, configured)]
        return [path for path in expanded if path]
    return [os.path.join(cache, "virtualenvs") for cache in caches]


# -- conda --------------------------------------------------------------------------------

#: Where conda's installers put a base install, in the home folder.
CONDA_BASES = ("miniconda3", "anaconda3", "miniforge3", "mambaforge")


def find_conda(env: Mapping[str, str]) -> list[str]:
    """``conda``: the interpreter ``PREFIX/bin/python`` of every conda environment we can name.

    Prefixes, in this order:

    1. ``$CONDA_PREFIX``, the active environment;
    2. each line of ``~/.conda/environments.txt``, conda's own list of the environments it made;
    3. each base install and its ``envs/*``: the one ``$CONDA_PREFIX`` lives in (its parent's
       parent when it is an ``envs/NAME`` folder), the one ``$CONDA_EXE`` belongs to, and
       ``~/miniconda3``, ``~/anaconda3``, ``~/miniforge3``, ``~/mambaforge``;
    4. ``~/.conda/envs/*``, where conda puts environments when the base is not writable.

    A prefix without ``bin/python`` (an R-only environment) gives nothing.

    :func:`conda_env_name` names a prefix as ``conda env list`` does: ``base`` for a base install,
    ``NAME`` for ``.../envs/NAME``, nothing for an environment made with ``conda create -p``
    elsewhere. Records derive their ``conda_env`` from it (no column in the store).
    """
    pythons = (os.path.join(prefix, "bin", "python") for prefix in conda_prefixes(env))
    return [python for python in pythons if is_executable_file(python)]


def _conda_registered(env: Mapping[str, str]) -> list[str]:
    listing = in_home(env, ".conda", "environments.txt")
    text = read_text(listing) if listing else None
    lines = (line.strip() for line in (text or "").splitlines())
    return [os.path.normpath(line) for line in lines if os.path.isabs(line)]


def _conda_bases(env: Mapping[str, str]) -> list[str]:
    bases: list[str] = []
    active = absolute(env.get("CONDA_PREFIX"))
    if active:
        parent = os.path.dirname(active)
        bases.append(os.path.dirname(parent) if os.path.basename(parent) == "envs" else active)
    executable = absolute(env.get("CONDA_EXE"))  # BASE/bin/conda or BASE/condabin/conda
    if executable:
        bases.append(os.path.dirname(os.path.dirname(executable)))
    bases += [path for path in (in_home(env, name) for name in CONDA_BASES) if path]
    return bases


def conda_prefixes(env: Mapping[str, str]) -> list[str]:
    found: dict[str, None] = {}
    active = absolute(env.get("CONDA_PREFIX"))
    ordered = [active] if active else []
    ordered += _conda_registered(env)
    for base in _conda_bases(env):
        ordered += [base, *version_dirs(os.path.join(base, "envs"), links=True)]
    user_envs = in_home(env, ".conda", "envs")
    if user_envs:
        ordered += version_dirs(user_envs, links=True)
    for prefix in ordered:
        found.setdefault(prefix, None)
    return list(found)


def conda_env_name(prefix: str | None) -> str | None:
    """``base``, the ``envs/NAME`` folder's name, or None (not conda, or unnamed).

    A conda prefix holds ``conda-meta``; a base install also has ``condabin`` (conda
    4.6+) or ``bin/conda``. Three ``stat`` calls at most, one for anything else.
    """
    if not prefix or not os.path.isdir(os.path.join(prefix, "conda-meta")):
        return None
    if os.path.basename(os.path.dirname(prefix)) == "envs":
        return os.path.basename(prefix)
    if os.path.isdir(os.path.join(prefix, "condabin")) or os.path.isfile(os.path.join(prefix, "bin", "conda")):
        return "base"
    return None
