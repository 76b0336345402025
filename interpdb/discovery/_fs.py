"""What every source shares: stat-only tests, the interpreter name rules, the usual roots.

Nothing here runs a program or follows a directory symlink on its own: a source that
wants symlinked version folders asks for them (``links=True``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping

from interpdb.location import normalize_path

#: Interpreter names: ``python``, ``pypy`` or ``graalpy``, then optionally a major version,
#: ``.minor``, and ``t`` after a version (free-threaded): ``python``, ``python3``,
#: ``python3.12``, ``python3.13t``, ``pypy3.10``, ``graalpy``... but not ``python3-config``,
#: ``python3.12-gdb.py`` or ``python3.6m``. ASCII digits only: other scripts' digits are no version.
#: Read by hand rather than with regular expressions: compiling the nine this module
#: used cost about 0.5 ms of every warm command's start-up.
_FAMILIES = ("python", "pypy", "graalpy")


def _shape(name: str) -> tuple[str, int, bool] | None:
    """(family, how many version numbers: 0-2, free-threaded) of an interpreter name, else None."""
    for family in _FAMILIES:
        if name.startswith(family):
            rest = name[len(family) :]
            break
    else:
        return None
    threaded = rest.endswith("t")
    if threaded:
        rest = rest[:-1]
    if not rest:
        return None if threaded else (family, 0, False)
    major, dot, minor = rest.partition(".")
    if not _digits(major) or (dot and not _digits(minor)):
        return None
    return family, 2 if dot else 1, threaded


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def is_interpreter_name(name: str) -> bool:
    """Is ``name`` one a file on ``PATH`` (or in a system ``bin``) is worth probing under?"""
    return _shape(name) is not None


def preference(name: str) -> int | None:
    """Which name of one install is its interpreter, lowest first; None: never picked.

    The versioned name is the real file in a CPython install (``python3`` and ``python``
    link to it): ``pythonX.Y``, ``pythonX.Yt``, ``pythonX``, ``python``. PyPy and GraalPy
    ship the python names too, so their own names (the same order) only count when those
    are missing.
    """
    shape = _shape(name)
    return None if shape is None else _PREFERENCE.get((shape[0] != "python", shape[1], shape[2]))


#: (another family than CPython's, how many version numbers, free-threaded) -> preference.
_PREFERENCE = {
    (False, 2, False): 0,
    (False, 2, True): 1,
    (False, 1, False): 2,
    (False, 0, False): 3,
    (True, 2, False): 4,
    (True, 1, False): 5,
    (True, 0, False): 6,
}


#: Characters read from a small text file at most (``environments.txt``, ``hatch-dist.json``).
MAX_TEXT = 1 << 20


_ASCII_DIGITS = frozenset("0123456789")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort ``3.9`` before ``3.10``, ``python3`` before ``python3.12``, numbers before names."""
    key: list[tuple[int, int | str]] = []
    start, digits = 0, False
    for at, char in enumerate(name):  # a part ends where ASCII digits start or stop
        if (char in _ASCII_DIGITS) is not digits:
            if at:
                key.append((0, int(name[start:at])) if digits else (1, name[start:at]))
            start, digits = at, not digits
    if name:
        key.append((0, int(name[start:])) if digits else (1, name[start:]))
    return tuple(key)


def is_executable_file(path: str) -> bool:
    """A regular file (symlinks followed) with an execute bit: what a launcher can run."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte in a path read from a file
        return False
    return stat.S_ISREG(st.st_mode) and bool(st.st_mode & 0o111)


#: Every interpreter name starts with one of these: a cheap filter before the regex,
#: since /usr/bin holds thousands of names and this runs on every warm ``list``.
_NAME_STARTS = ("python", "pypy", "graalpy")


#: Listings already made in this process, by folder identity and mtime: on a merged-/usr
#: system ``/bin`` and ``/usr/bin`` are one folder of thousands of names, and PATH
#: usually holds both (discovery lists each PATH entry, then the system folders).
#: A long-lived process (the Python API) relists a folder once its mtime moves; a
#: file added within the same clock tick as the last listing waits for the next one.
_LISTED: dict[tuple[int, int, int], list[str]] = {}


def _names(directory: str) -> list[str]:
    try:
        st = os.stat(directory)
        key = (st.st_dev, st.st_ino, st.st_mtime_ns)
        if key not in _LISTED:
            if len(_LISTED) > 1024:  # a long-lived process: forget old generations
                _LISTED.clear()
            with os.scandir(directory) as entries:
                _LISTED[key] = [entry.name for entry in entries if entry.name.startswith(_NAME_STARTS)]
        return _LISTED[key]
    except OSError:
        return []


def interpreters_in(directory: str) -> list[str]:
    """Every file in ``directory`` named like an interpreter and executable, in natural order."""
    names = sorted((n for n in _names(directory) if is_interpreter_name(n)), key=natural_key)
    paths = (os.path.join(directory, name) for name in names)
    return [path for path in paths if is_executable_file(path)]


def pick_interpreter(prefix: str, bin_dirs: Iterable[str] = ("bin",)) -> str | None:
    """The one interpreter of the install at ``prefix``: the first of ``bin_dirs`` that has one.

    Within a ``bin`` folder: ``pythonX.Y``, else ``pythonX.Yt``, else ``python3``, else
    ``python``, else the PyPy or GraalPy names in the same order.
    """
    for bin_dir in bin_dirs:
        directory = os.path.join(prefix, bin_dir)
        ranked = [(preference(name), natural_key(name), name) for name in _names(directory)]
        for _rank, _key, name in sorted(entry for entry in ranked if entry[0] is not None):
            path = os.path.join(directory, name)
            if is_executable_file(path):
                return path
    return None


def version_dirs(root: str, links: bool) -> list[str]:
    """The install folders directly under ``root``, in natural order, dot-names skipped.

    ``links`` keeps symlinks to folders: pass False where the tool makes alias links
    itself (mise's ``3.12`` and ``latest``, uv's minor-version links), so that one
    install is reported once.
    """
    try:
        with os.scandir(root) as scanned:
            entries = list(scanned)
    except OSError:
        return []
    found: list[str] = []
    for entry in sorted(entries, key=lambda e: natural_key(e.name)):
        if entry.name.startswith("."):
            continue
        try:
            if not entry.is_dir() or (not links and entry.is_symlink()):
                continue
        except OSError:
            continue
        found.append(entry.path)
    return found


def read_text(path: str) -> str | None:
    """A small text file's content, or None when it is missing, unreadable or too big."""
    from interpdb.location import read_regular

    data = read_regular(path, MAX_TEXT + 1)  # None for a FIFO too, which would block an open
    if data is None or len(data) > MAX_TEXT:
        return None
    return data.decode("utf-8", "replace")


def absolute(value: str | None) -> str | None:
    """An environment value usable as a root: set and absolute (relative ones are ignored)."""
    return normalize_path(value) if value and os.path.isabs(value) else None


def home(env: Mapping[str, str]) -> str | None:
    """``$HOME`` from ``env`` only: with no HOME there, home-relative places are not searched."""
    return absolute(env.get("HOME"))


def in_home(env: Mapping[str, str], *parts: str) -> str | None:
    base = home(env)
    return os.path.join(base, *parts) if base else None


def data_home(env: Mapping[str, str]) -> str | None:
    """``$XDG_DATA_HOME``, else ``~/.local/share`` (where uv, mise, hatch and pdm keep data)."""
    return absolute(env.get("XDG_DATA_HOME")) or in_home(env, ".local", "share")


def first_root(env: Mapping[str, str], variable: str, *fallback: str | None) -> str | None:
    """``$variable`` when set and absolute, else the first fallback that is not None."""
    return absolute(env.get(variable)) or next((f for f in fallback if f), None)


def user_data_dirs(env: Mapping[str, str], *parts: str) -> list[str]:
    """platformdirs' user data dir for an app, both spellings: Linux (XDG) and macOS.

    Checking the one that is not this platform's costs a failed ``scandir``.
    """
    data = data_home(env)
    candidates = [data and os.path.join(data, *parts), in_home(env, "Library", "Application Support", *parts)]
    return [candidate for candidate in candidates if candidate]


def config_home(env: Mapping[str, str]) -> str | None:
    """``$XDG_CONFIG_HOME``, else ``~/.config``."""
    return absolute(env.get("XDG_CONFIG_HOME")) or in_home(env, ".config")


def cache_home(env: Mapping[str, str]) -> str | None:
    """``$XDG_CACHE_HOME``, else ``~/.cache``."""
    return absolute(env.get("XDG_CACHE_HOME")) or in_home(env, ".cache")


def venvs_in(root: str | None) -> list[str]:
    """``NAME/bin/python`` of every virtual environment directly under ``root``, in natural order.

    A folder counts when it holds ``pyvenv.cfg`` (what ``venv`` and virtualenv 20+ write)
    and an executable ``bin/python``; other folders and files (virtualenvwrapper's hook
    scripts, Poetry's ``envs.toml``) are passed over. Symlinked environments are kept.
    """
    if root is None:
        return []
    found: list[str] = []
    for prefix in version_dirs(root, links=True):
        python = os.path.join(prefix, "bin", "python")
        if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")) and is_executable_file(python):
            found.append(python)
    return found
