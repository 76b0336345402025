"""Python installs that version managers keep: pyenv, asdf, mise, uv, rye, hatch and pdm.

One ``find_NAME(env)`` per source (its docstring says where it looks), each giving one
interpreter per install folder (``_fs.pick_interpreter``). They share a module because
each is a few lines and every warm ``find`` and ``list`` runs them all: a module of its
own costs each about 0.1 ms of import at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import (
    data_home,
    first_root,
    in_home,
    is_executable_file,
    natural_key,
    pick_interpreter,
    read_text,
    user_data_dirs,
    version_dirs,
)


def pyenv_root(env: Mapping[str, str]) -> str | None:
    return first_root(env, "PYENV_ROOT", in_home(env, ".pyenv"))


def find_pyenv(env: Mapping[str, str]) -> list[str]:
    """``pyenv``: ``$PYENV_ROOT/versions/*`` (default ``~/.pyenv``), pyenv-virtualenv envs included.

    Each version folder gives one interpreter. A version's ``envs/NAME`` folders are
    pyenv-virtualenv environments; pyenv-virtualenv also puts a symlink ``versions/NAME``
    to each, and symlinks are kept here: that link is the name users select, so it is a
    path of its own. The ``envs`` of a symlinked version are not listed again.
    """
    base = pyenv_root(env)
    if base is None:
        return []
    found: list[str] = []
    for prefix in version_dirs(os.path.join(base, "versions"), links=True):
        prefixes = [prefix]
        if not os.path.islink(prefix):
            prefixes += version_dirs(os.path.join(prefix, "envs"), links=True)
        found += [python for python in map(pick_interpreter, prefixes) if python]
    return found


def find_asdf(env: Mapping[str, str]) -> list[str]:
    """``asdf``: ``$ASDF_DATA_DIR/installs/python/*`` (default ``~/.asdf``), one interpreter each.

    asdf builds with pyenv's python-build, so an install is a plain prefix with ``bin/``.
    Symlinked version folders are kept: asdf makes none itself, so a user made them.
    """
    base = first_root(env, "ASDF_DATA_DIR", in_home(env, ".asdf"))
    if base is None:
        return []
    prefixes = version_dirs(os.path.join(base, "installs", "python"), links=True)
    return [python for python in map(pick_interpreter, prefixes) if python]


def find_mise(env: Mapping[str, str]) -> list[str]:
    """``mise``: ``$MISE_DATA_DIR/installs/python/*`` (default ``$XDG_DATA_HOME/mise``).

    mise makes alias symlinks beside each install (``3``, ``3.12``, ``latest``); they are
    skipped so one install is one candidate.
    """
    data = data_home(env)
    base = first_root(env, "MISE_DATA_DIR", data and os.path.join(data, "mise"))
    if base is None:
        return []
    prefixes = version_dirs(os.path.join(base, "installs", "python"), links=False)
    return [python for python in map(pick_interpreter, prefixes) if python]


def find_uv(env: Mapping[str, str]) -> list[str]:
    """``uv``: ``$UV_PYTHON_INSTALL_DIR/*`` (default ``$XDG_DATA_HOME/uv/python``).

    Installs are named like ``cpython-3.12.8-linux-x86_64-gnu`` and hold ``bin/python3.12``
    (``install/bin`` in early uv releases). uv's minor-version links
    (``cpython-3.12-linux-x86_64-gnu``, symlinks to the newest patch) and its dot-files
    (``.lock``, ``.cache``, ``.temp``) are skipped.
    """
    data = data_home(env)
    base = first_root(env, "UV_PYTHON_INSTALL_DIR", data and os.path.join(data, "uv", "python"))
    if base is None:
        return []
    found = (pick_interpreter(prefix, ("bin", "install/bin")) for prefix in version_dirs(base, links=False))
    return [python for python in found if python]


def find_rye(env: Mapping[str, str]) -> list[str]:
    """``rye``: ``$RYE_HOME/py/*`` (default ``~/.rye``).

    A folder there is a downloaded toolchain: ``bin/python3`` (``install/bin`` before rye
    0.16). A file there is a registered one (``rye toolchain register``): a symlink to an
    interpreter or an executable is reported as it stands; a text file holds the
    interpreter's path.
    """
    base = first_root(env, "RYE_HOME", in_home(env, ".rye"))
    if base is None:
        return []
    py = os.path.join(base, "py")
    try:
        names = sorted((n for n in os.listdir(py) if not n.startswith(".")), key=natural_key)
    except OSError:
        return []
    found: list[str] = []
    for name in names:
        entry = os.path.join(py, name)
        python = pick_interpreter(entry, ("install/bin", "bin")) if os.path.isdir(entry) else _rye_registered(entry)
        if python:
            found.append(python)
    return found


def _rye_registered(path: str) -> str | None:
    if is_executable_file(path):
        return path
    text = read_text(path)
    target = text.strip() if text else ""
    return os.path.normpath(target) if os.path.isabs(target) and is_executable_file(target) else None


#: What hatch writes beside each install, naming its interpreter.
HATCH_METADATA = "hatch-dist.json"


def hatch_roots(env: Mapping[str, str]) -> list[str]:
    configured = env.get("HATCH_DATA_DIR")
    if configured and os.path.isabs(configured):
        return [os.path.join(configured, "pythons")]
    return user_data_dirs(env, "hatch", "pythons")


def find_hatch(env: Mapping[str, str]) -> list[str]:
    """``hatch``: ``<data dir>/pythons/*``, the data dir being ``$HATCH_DATA_DIR`` when set.

    Otherwise ``$XDG_DATA_HOME/hatch`` (``~/.local/share``) on Linux and
    ``~/Library/Application Support/hatch`` on macOS; a configured ``dirs.python`` is not
    read. Each install is named after its distribution (``3.12``, ``pypy3.10``) and records
    its interpreter in ``hatch-dist.json`` (``python_path``, relative); without that file the
    usual places are tried: ``python/bin`` (CPython), ``python/install/bin`` (3.7), and
    ``*/bin`` (PyPy unpacks into a folder named after its archive). ``NAME.bak`` folders,
    left while an update runs, are skipped.
    """
    found = (
        _hatch_interpreter(prefix)
        for base in hatch_roots(env)
        for prefix in version_dirs(base, links=False)
        if not prefix.endswith(".bak")
    )
    return [python for python in found if python]


def _hatch_recorded(prefix: str) -> str | None:
    text = read_text(os.path.join(prefix, HATCH_METADATA))
    if text is None:
        return None
    import json

    try:
        relative = json.loads(text).get("python_path")
    except (ValueError, AttributeError):
        return None
    if not isinstance(relative, str) or not relative or os.path.isabs(relative):
        return None
    path = os.path.normpath(os.path.join(prefix, relative))
    return path if is_executable_file(path) else None


def _hatch_interpreter(prefix: str) -> str | None:
    recorded = _hatch_recorded(prefix)
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


def find_pdm(env: Mapping[str, str]) -> list[str]:
    """``pdm``: ``python.install_root`` at its default, ``<user data dir>/pdm/python/*``.

    That is ``$XDG_DATA_HOME/pdm/python`` (``~/.local/share``) on Linux and
    ``~/Library/Application Support/pdm/python`` on macOS; a configured ``install_root`` is
    not read. Installs are named like ``cpython@3.12.8`` and hold ``bin/python3``
    (``install/bin`` for some builds). ``pdm python link`` adds symlinks to other prefixes:
    they are kept.
    """
    found = (
        pick_interpreter(prefix, ("install/bin", "bin"))
        for base in user_data_dirs(env, "pdm", "python")
        for prefix in version_dirs(base, links=True)
    )
    return [python for python in found if python]
