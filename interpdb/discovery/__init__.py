"""Where interpreters are: candidate paths, found by looking, never by running anything.

Only ``scandir``/``listdir``, ``stat``, ``lstat`` and reads of small text files
(``environments.txt``, ``hatch-dist.json``, rye's registered toolchains, Poetry's
``config.toml``). Every source reads its settings (``HOME``, ``PATH``, ``PYENV_ROOT``,
...) from the ``env`` mapping it is given, never from ``os.environ`` directly, so a test
can describe a whole machine in a dict and a ``tmp_path``. A source without ``HOME`` in
``env`` skips home-relative places.

=====================  ===========================================================================
source                 where it looks (``find_NAME`` in ``bins``, ``installs`` or ``envs`` says more)
=====================  ===========================================================================
``venv``               ``$VIRTUAL_ENV/bin/python``, then venvs (``pyvenv.cfg``) under the ``scan`` roots
                       (a project's ``.venv`` included)
``path``               interpreter-named executables in each ``$PATH`` directory (shims included)
``pyenv``              ``$PYENV_ROOT/versions/*`` and ``versions/*/envs/*`` (default ``~/.pyenv``)
``asdf``               ``$ASDF_DATA_DIR/installs/python/*`` (default ``~/.asdf``)
``mise``               ``$MISE_DATA_DIR/installs/python/*`` (default ``$XDG_DATA_HOME/mise``)
``uv``                 ``$UV_PYTHON_INSTALL_DIR/*`` (default ``$XDG_DATA_HOME/uv/python``)
``rye``                ``$RYE_HOME/py/*`` (default ``~/.rye``)
``hatch``              ``$HATCH_DATA_DIR/pythons/*`` (default ``$XDG_DATA_HOME/hatch/pythons``)
``pdm``                ``$XDG_DATA_HOME/pdm/python/*``
``virtualenvwrapper``  ``$WORKON_HOME/*`` (default ``~/.virtualenvs``)
``poetry``             ``<virtualenvs.path>/*`` from Poetry's ``config.toml`` (default
                       ``<user cache dir>/pypoetry/virtualenvs``)
``pipenv``             ``$WORKON_HOME/*`` (default ``$XDG_DATA_HOME/virtualenvs``)
``conda``              ``$CONDA_PREFIX``, ``~/.conda/environments.txt``, base installs and their ``envs``
``system``             ``/usr/bin``, ``/usr/local/bin``, Homebrew, python.org frameworks
                       (below ``$INTERPDB_SYSTEM_ROOT``, default ``/``)
=====================  ===========================================================================

Paths are absolute and normalised but symlinks are kept (as ``location.normalize_path``
does): ``python3`` and the ``python3.12`` it links to are two rows, and the store tells
them apart by their fingerprints.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from interpdb._frozen import frozen
from interpdb.discovery import bins, envs, installs
from interpdb.location import normalize_path

#: Every source, in tie-break order: the active venv first, PATH before the managers,
#: the Python installers before the tools that keep virtual environments.
SOURCE_ORDER = (
    "venv",
    "path",
    "pyenv",
    "asdf",
    "mise",
    "uv",
    "rye",
    "hatch",
    "pdm",
    "virtualenvwrapper",
    "poetry",
    "pipenv",
    "conda",
    "system",
)

#: The sources but ``venv`` (which also takes the scan roots): name -> its finder.
_FINDERS: dict[str, Callable[[Mapping[str, str]], list[str]]] = {
    "path": bins.find_path,
    "pyenv": installs.find_pyenv,
    "asdf": installs.find_asdf,
    "mise": installs.find_mise,
    "uv": installs.find_uv,
    "rye": installs.find_rye,
    "hatch": installs.find_hatch,
    "pdm": installs.find_pdm,
    "virtualenvwrapper": envs.find_virtualenvwrapper,
    "poetry": envs.find_poetry,
    "pipenv": envs.find_pipenv,
    "conda": envs.find_conda,
    "system": bins.find_system,
}


@frozen
class Candidate:
    """A path worth probing and the source that found it (one of ``SOURCE_ORDER``)."""

    path: str
    source: str


def check_sources(sources: Sequence[str] | None) -> tuple[str, ...]:
    """The chosen sources in ``SOURCE_ORDER``; ValueError naming the valid ones for a typo."""
    if sources is None:
        return SOURCE_ORDER
    chosen = {sources} if isinstance(sources, str) else set(sources)
    unknown = sorted(chosen.difference(SOURCE_ORDER))
    if unknown:
        raise ValueError(f"unknown discovery source {', '.join(unknown)}; valid: {', '.join(SOURCE_ORDER)}")
    return tuple(source for source in SOURCE_ORDER if source in chosen)


def discover(
    sources: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    scan: Sequence[str] = (),
    scan_depth: int = 4,
) -> list[Candidate]:
    """Candidates from ``sources`` (default: all), ordered by ``SOURCE_ORDER``, then as found.

    A path found twice by one source appears once; found by two sources, it appears once
    for each (the caller merges them per path). ``scan`` and ``scan_depth`` feed the
    ``venv`` source (see ``interpdb.discovery.envs.find_venv``).
    """
    chosen = check_sources(sources)
    environ: Mapping[str, str] = os.environ if env is None else env
    seen: set[Candidate] = set()
    found: list[Candidate] = []
    for source in chosen:
        if source == "venv":
            paths = envs.find_venv(environ, scan, scan_depth)
        else:
            paths = _FINDERS[source](environ)
        for found_path in paths:
            candidate = Candidate(normalize_path(found_path), source)
            if candidate not in seen:
                seen.add(candidate)
                found.append(candidate)
    return found


__all__ = ["SOURCE_ORDER", "Candidate", "check_sources", "discover"]
