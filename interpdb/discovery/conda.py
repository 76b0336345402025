"""``conda``: the interpreter ``PREFIX/bin/python`` of every conda environment we can name.

Prefixes, in this order:

1. ``$CONDA_PREFIX``, the active environment;
2. each line of ``~/.conda/environments.txt``, conda's own list of the environments it made;
3. each base install and its ``envs/*``: the one ``$CONDA_PREFIX`` lives in (its parent's
   parent when it is an ``envs/NAME`` folder), the one ``$CONDA_EXE`` belongs to, and
   ``~/miniconda3``, ``~/anaconda3``, ``~/miniforge3``, ``~/mambaforge``;
4. ``~/.conda/envs/*``, where conda puts environments when the base is not writable.

A prefix without ``bin/python`` (an R-only environment) gives nothing.

:func:`env_name` names a prefix as ``conda env list`` does: ``base`` for a base install,
``NAME`` for ``.../envs/NAME``, nothing for an environment made with ``conda create -p``
elsewhere. Records derive their ``conda_env`` from it (no column in the store).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from interpdb.discovery._fs import absolute, in_home, is_executable_file, read_text, version_dirs

BASE_NAMES = ("miniconda3", "anaconda3", "miniforge3", "mambaforge")


def _registered(env: Mapping[str, str]) -> list[str]:
    listing = in_home(env, ".conda", "environments.txt")
    text = read_text(listing) if listing else None
    lines = (line.strip() for line in (text or "").splitlines())
    return [os.path.normpath(line) for line in lines if os.path.isabs(line)]


def _bases(env: Mapping[str, str]) -> list[str]:
    bases: list[str] = []
    active = absolute(env.get("CONDA_PREFIX"))
    if active:
        parent = os.path.dirname(active)
        bases.append(os.path.dirname(parent) if os.path.basename(parent) == "envs" else active)
    executable = absolute(env.get("CONDA_EXE"))  # BASE/bin/conda or BASE/condabin/conda
    if executable:
        bases.append(os.path.dirname(os.path.dirname(executable)))
    bases += [path for path in (in_home(env, name) for name in BASE_NAMES) if path]
    return bases


def prefixes(env: Mapping[str, str]) -> list[str]:
    found: dict[str, None] = {}
    active = absolute(env.get("CONDA_PREFIX"))
    ordered = [active] if active else []
    ordered += _registered(env)
    for base in _bases(env):
        ordered += [base, *version_dirs(os.path.join(base, "envs"), links=True)]
    user_envs = in_home(env, ".conda", "envs")
    if user_envs:
        ordered += version_dirs(user_envs, links=True)
    for prefix in ordered:
        found.setdefault(prefix, None)
    return list(found)


def env_name(prefix: str | None) -> str | None:
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


def find(env: Mapping[str, str]) -> list[str]:
    pythons = (os.path.join(prefix, "bin", "python") for prefix in prefixes(env))
    return [python for python in pythons if is_executable_file(python)]
