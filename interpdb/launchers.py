"""Which interpreter a version-manager shim would run, found without running the shim.

A pyenv, asdf or mise shim picks a version from the environment and from files around
the working directory, then execs the real interpreter. Probing the shim would answer
for whatever is selected at that moment and pay for a bash start-up and the manager's
scripts; reading what the manager reads costs a few ``stat`` calls and yields the list
of files to watch, so ``pyenv global``, ``pyenv local`` or a new ``.python-version`` is
noticed by the fingerprint instead of being guessed at.

pyenv, as its own ``libexec`` scripts (pyenv 2.6) do it:

* The shim bakes ``PYENV_ROOT`` in (``export PYENV_ROOT="..."`` from ``pyenv rehash``),
  so an inherited ``PYENV_ROOT`` does not move it; the variable (default
  ``$HOME/.pyenv``) matters only for a shim recognised by its directory alone. The
  shim execs the ``pyenv`` it names; ``pyenv`` then puts its ``libexec`` and the
  plugins' ``bin`` directories at the front of ``PATH``.
* ``PYENV_VERSION`` (``:``-separated) wins. Otherwise ``.python-version`` is looked for
  from ``PYENV_DIR`` up to ``/``, then from the working directory up to ``/``, then
  ``$PYENV_ROOT/version`` is used. The nearest file wins even when it names nothing: an
  empty one selects ``system`` rather than falling through (``pyenv-version-file``,
  ``pyenv-version-name``).
* A version file contributes the first word of each line, read 1024 characters at a
  time; empty words and ``#`` comments are skipped, and a word holding ``/`` or equal
  to ``..`` is dropped unless it stays inside ``$PYENV_ROOT/versions``
  (``pyenv-version-file-read``).
* Each name is used as is when ``versions/<name>`` is a directory, then without a
  ``python-`` prefix, then as a prefix for the newest installed match (``pyenv-latest``:
  ``3.12`` -> ``3.12.10``; pre-releases, ``-dev``/``-src``/``-latest`` and free-threaded
  ``3.13t`` builds are passed over unless the prefix asks for ``t``).
* ``pyenv-which`` tries the names in order and then ``system``, *always*: the first
  executable ``versions/<v>/bin/<command>`` wins, and ``system`` means ``command -v`` on
  ``PATH`` without ``$PYENV_ROOT/shims`` (nor the shim's own directory when it lives
  elsewhere, ``_PYENV_SHIM_PATHS_<PROGRAM>``). A name that is not installed is skipped
  without a word, so a stale ``.python-version`` quietly runs the system Python. Only
  when nothing provides the command does pyenv exit 127: then ``target`` is None and
  ``reason`` says why.

asdf: ``ASDF_PYTHON_VERSION``, else the nearest ``.tool-versions`` (or
``$ASDF_DEFAULT_TOOL_VERSIONS_FILENAME``) with a ``python`` line from the working
directory up, else ``$HOME/.tool-versions``; each listed version is tried in
``$ASDF_DATA_DIR/installs/python/<v>/bin`` (``system``, ``path:`` and ``ref:`` too).
There is no fallback to ``PATH`` unless ``system`` is listed.

mise: ``MISE_PYTHON_VERSION``, else the nearest directory holding a config file that
sets ``python`` (``mise.local.toml`` ... ``.tool-versions``, mise's order within a
directory), else the global ``config.toml``, else ``/etc/mise/config.toml``. Versions
resolve to ``installs/python/<v>``, or to the newest installed match for a prefix or
``latest``; when none provides the command mise falls back to ``PATH`` minus its shims.

Left out, on purpose:

* pyenv hook scripts (``pyenv.d/which``, ``version-name``, ``exec``) are not run. The
  ones in common use (pyenv-virtualenv's) act only when nothing was found, so they can
  turn a None ``target`` into a path, never change a found one. The hook directories
  are not fingerprinted (the plugins directory is, for the ``PATH`` it adds), and the
  ``PYENV_FILE_ARG`` of very old shims is not honoured.
* ``command -v`` is modelled as a ``PATH`` search for an executable regular file;
  bash builtins, functions and the hash table cannot apply inside pyenv's scripts.
* asdf: legacy version files (``.python-version`` with ``legacy_version_file = yes``),
  plugin ``list-bin-paths`` (only ``bin`` is searched) and ``latest`` in a file.
* mise: config environments (``MISE_ENV``), ``conf.d`` directories, idiomatic
  ``.python-version`` files, trust prompts, settings that switch the system fallback or
  auto-install, tool aliases and backends other than ``python``/``core:python``. Its
  TOML is read by ``tomllib`` (``tomli`` before Python 3.11), only when a shim is resolved;
  a file that is not TOML makes the shim fail, as mise does.
"""

from __future__ import annotations

import os
import stat as stat_module
import sys
from collections.abc import Callable, Iterator, Mapping
from functools import cmp_to_key

from interpdb._frozen import frozen

MANAGERS = ("pyenv", "asdf", "mise")

#: Bigger files are not shims; smaller reads are enough to recognise one.
_SHIM_MAX_SIZE = 64 * 1024
_HEAD_BYTES = 4096
#: Version files bigger than this are truncated (pyenv reads them a line at a time).
_VERSION_FILE_MAX = 1024 * 1024

# A warm ``find`` in another folder than the last one resolves the shims again: what every
# resolution reads (a shim's lines, a version file's words, pyenv's variable names) is
# scanned by hand, and the patterns of rarer cases (a version prefix to complete, a newest
# install to pick) are compiled on first use by ``re``'s own cache, not at import.
_PYENV_EXEC_START = 'exec "'
_PYENV_EXEC_END = '" exec '
_PYENV_ROOT_START = 'export PYENV_ROOT="'
_ASDF_PLUGIN = "# asdf-plugin: "
_MISE_BINARIES = frozenset({"mise", "rtx"})

# pyenv-version-file-read splits lines on the default IFS plus a carriage return.
_IFS = " \t\r\n"
_PYENV_READ_CHUNK = 1024
# pyenv-latest: what a prefix never resolves to, and its sort key's name-dash form.
_UNSTABLE = r"(?:-dev|-src|-latest|(?:a|b|rc)[0-9]+)\Z"
_FREE_THREADED = r"[0-9]t\Z"
_NAMED_HEAD = r"[A-Za-z0-9]+-"
_LEADING_NUMBER = r"[ \t]*(-?[0-9]+)"

# mise's per-directory config names, highest precedence first (LOCAL_CONFIG_FILENAMES
# in mise's src/config/mod.rs lists them lowest first).
_MISE_LOCAL_NAMES = (
    ".mise.local.toml",
    "mise.local.toml",
    ".config/mise/config.local.toml",
    ".config/mise.local.toml",
    ".mise/config.local.toml",
    ".mise.toml",
    "mise.toml",
    ".rtx.toml",
    "mise/config.toml",
    ".mise/config.toml",
    ".config/mise.toml",
    ".config/mise/config.toml",
    ".tool-versions",
)


@frozen
class Selection:
    """What a shim would run, and everything that decided it.

    ``version`` is the version that supplied ``target`` (``system`` included, also when
    pyenv fell back to it); when nothing did, the selection as the manager would name
    it, several joined with ``:``, or None when nothing was selected at all. ``origin``
    is ``PYENV_VERSION`` (or ``ASDF_PYTHON_VERSION``/``MISE_PYTHON_VERSION``), the
    absolute path of the file that selected, ``default``, or ``PYENV_DIR`` when that
    variable names no directory and pyenv would refuse to start. ``files`` lists, in the
    order they were consulted, every path whose existence or content decided the
    answer, absent candidates included, for the caller to stat-fingerprint.
    """

    manager: str
    shim: str
    command: str
    version: str | None
    origin: str
    target: str | None
    files: tuple[str, ...]
    env: tuple[tuple[str, str | None], ...]
    reason: str | None


class _Trail:
    """Everything one resolution looked at: the paths it tested and the variables it read."""

    def __init__(self, env: Mapping[str, str], cwd: str) -> None:
        self._env = env
        self.cwd = cwd
        self.files: dict[str, None] = {}
        self.variables: dict[str, str | None] = {}

    def var(self, name: str) -> str | None:
        value = self._env.get(name)
        self.variables[name] = value
        return value

    def home(self) -> str:
        return self.var("HOME") or ""

    def saw(self, path: str) -> str:
        self.files.setdefault(path, None)
        return path

    def is_file(self, path: str) -> bool:
        return os.path.isfile(self.saw(path))

    def is_dir(self, path: str) -> bool:
        return os.path.isdir(self.saw(path))

    def is_executable(self, path: str) -> bool:
        """bash's ``[ -x path ]``."""
        return os.access(self.saw(path), os.X_OK)

    def is_command(self, path: str) -> bool:
        """What a ``PATH`` search accepts: an executable that is not a directory."""
        return os.path.isfile(self.saw(path)) and os.access(path, os.X_OK)

    def names(self, directory: str) -> list[str]:
        try:
            return sorted(os.listdir(self.saw(directory)))
        except OSError:
            return []

    def read(self, path: str, limit: int = _VERSION_FILE_MAX) -> str | None:
        try:
            with open(self.saw(path), "rb") as handle:
                # Sized to the file: ``read(limit)`` allocates all of ``limit`` first, and a
                # warm ``find`` in another folder reads a version file per shim. One byte
                # more than the size shows a file that grew since: then it is read on.
                size = os.fstat(handle.fileno()).st_size
                data = handle.read(min(size + 1, limit) if size > 0 else limit)
                if 0 < size < len(data) < limit:
                    data += handle.read(limit - len(data))
        except OSError:
            return None
        return data.decode("utf-8", "surrogateescape")

    def search_path(self, command: str, entries: list[str]) -> str | None:
        """The first ``entry/command`` a shell would run; an empty entry is the working directory."""
        for entry in entries:
            candidate = os.path.normpath(os.path.join(self.cwd, entry or ".", command))
            if self.is_command(candidate):
                return candidate
        return None

    def selection(
        self,
        manager: str,
        shim: str,
        *,
        version: str | None,
        origin: str,
        target: str | None,
        reason: str | None = None,
    ) -> Selection:
        return Selection(
            manager=manager,
            shim=shim,
            command=os.path.basename(shim),
            version=version,
            origin=origin,
            target=target,
            files=tuple(self.files),
            env=tuple(sorted(self.variables.items())),
            reason=None if target else reason,
        )


# -- recognising a shim -------------------------------------------------------------------


def _head(path: str) -> str:
    """The start of a small script, or "" for anything else (binaries, directories, missing files)."""
    try:
        st = os.stat(path)
        if not stat_module.S_ISREG(st.st_mode) or st.st_size > _SHIM_MAX_SIZE:
            return ""
        with open(path, "rb") as handle:
            data = handle.read(_HEAD_BYTES)
    except OSError:
        return ""
    return data.decode("utf-8", "replace") if data.startswith(b"#!") else ""


_Getenv = Callable[[str], "str | None"]


def _pyenv_root(getenv: _Getenv) -> str:
    root = getenv("PYENV_ROOT")
    return _strip_slash(root) if root else f"{getenv('HOME') or ''}/.pyenv"


def _asdf_data(getenv: _Getenv) -> str:
    return getenv("ASDF_DATA_DIR") or f"{getenv('HOME') or ''}/.asdf"


def _mise_data(getenv: _Getenv) -> str:
    share = getenv("XDG_DATA_HOME") or f"{getenv('HOME') or ''}/.local/share"
    return getenv("MISE_DATA_DIR") or f"{share}/mise"


def _strip_slash(path: str) -> str:
    return path[:-1] if path.endswith("/") else path  # pyenv's ${PYENV_ROOT%/}


def _pyenv_exec(head: str) -> str | None:
    """The ``pyenv`` a pyenv shim execs: a line ``exec "<dir>/pyenv" exec ...``, or None."""
    for line in head.split("\n"):
        if line.startswith(_PYENV_EXEC_START):
            end = line.find('"', len(_PYENV_EXEC_START))
            pyenv = line[len(_PYENV_EXEC_START) : end]
            if end > 0 and pyenv.endswith("/pyenv") and line.startswith(_PYENV_EXEC_END, end):
                return pyenv
    return None


def _pyenv_baked_root(head: str) -> str | None:
    """The ``PYENV_ROOT`` of a whole line ``export PYENV_ROOT="<root>"`` (no quote inside), or None."""
    for line in head.split("\n"):
        root = line[len(_PYENV_ROOT_START) : -1]
        whole = line.startswith(_PYENV_ROOT_START) and len(line) > len(_PYENV_ROOT_START) and line.endswith('"')
        if whole and '"' not in root:
            return root
    return None


def _is_asdf_shim(head: str) -> bool:
    return head.startswith(_ASDF_PLUGIN) or f"\n{_ASDF_PLUGIN}" in head


def _is_mise_file_shim(head: str) -> bool:
    """A line ``exec [\"][<dir>/]mise[\"] x -- ...``: what mise writes into a file shim."""
    for line in head.split("\n"):
        if not line.startswith("exec "):
            continue
        rest = line[6:] if line.startswith('"', 5) else line[5:]
        end = 0
        while end < len(rest) and rest[end] != '"' and not rest[end].isspace():
            end += 1
        word, after = rest[:end], rest[end + 1 :] if rest.startswith('"', end) else rest[end:]
        if (word == "mise" or word.endswith("/mise")) and after.startswith(" x -- "):
            return True
    return False


def _identify(path: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """``(manager, head of the script)`` for a shim, by content first and location second."""
    if not os.path.isfile(path):
        return None
    head = _head(path)
    if _pyenv_exec(head) is not None:
        return "pyenv", head
    if _is_asdf_shim(head):
        return "asdf", head
    if _is_mise_file_shim(head):
        return "mise", head
    if (
        os.path.islink(path)
        and os.path.basename(path) not in _MISE_BINARIES
        and os.path.basename(os.path.realpath(path)) in _MISE_BINARIES
    ):
        return "mise", head
    folder = os.path.normpath(os.path.dirname(path))
    for manager, shims in (
        ("pyenv", f"{_pyenv_root(env.get)}/shims"),
        ("asdf", f"{_asdf_data(env.get)}/shims"),
        ("mise", f"{_mise_data(env.get)}/shims"),
    ):
        if folder == os.path.normpath(shims):
            return manager, head
    return None


def shim_manager(path: str, env: Mapping[str, str]) -> str | None:
    """``pyenv``, ``asdf`` or ``mise`` when ``path`` is one of their shims, else None.

    Decided from the first few kilobytes of a small script (a pyenv shim execs
    ``.../pyenv exec``, an asdf shim names its ``# asdf-plugin:``, a mise shim is a
    symlink to ``mise`` or runs ``mise x --``) or from the directory it sits in. No
    subprocess, at most one short read.
    """
    found = _identify(os.path.abspath(path), env)
    return found[0] if found else None


def resolve(path: str, env: Mapping[str, str], cwd: str) -> Selection | None:
    """What the shim at ``path`` would exec when started in ``cwd`` with ``env``; None if no shim."""
    shim = path if os.path.isabs(path) else os.path.join(cwd, path)
    found = _identify(shim, env)
    if found is None:
        return None
    manager, head = found
    trail = _Trail(env, os.path.abspath(cwd))
    trail.saw(shim)
    if manager == "pyenv":
        return _resolve_pyenv(shim, head, trail)
    if manager == "asdf":
        return _resolve_asdf(shim, trail)
    return _resolve_mise(shim, trail)


def _upward(start: str) -> Iterator[str]:
    folder = os.path.normpath(start)
    while True:
        yield folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


# -- pyenv --------------------------------------------------------------------------------


@frozen
class _PyenvName:
    """One selected version: ``name`` as ``pyenv version-name -f`` prints it, and whether it is there."""

    name: str
    installed: bool


def _resolve_pyenv(shim: str, head: str, trail: _Trail) -> Selection:
    command = os.path.basename(shim)
    baked_root = _pyenv_baked_root(head)
    root = _strip_slash(baked_root) if baked_root is not None else _pyenv_root(trail.var)
    pyenv = _pyenv_exec(head)
    if pyenv is not None and not trail.is_executable(pyenv):
        return trail.selection(
            "pyenv", shim, version=None, origin="default", target=None, reason=f"pyenv shim: {pyenv}: not found"
        )
    install_prefix = os.path.dirname(os.path.dirname(os.path.realpath(pyenv))) if pyenv else root

    pyenv_dir_value = trail.var("PYENV_DIR")
    pyenv_dir = os.path.normpath(os.path.join(trail.cwd, pyenv_dir_value)) if pyenv_dir_value else trail.cwd
    if pyenv_dir_value and not trail.is_dir(pyenv_dir):
        reason = f"pyenv: cannot change working directory to `{pyenv_dir_value}'"
        return trail.selection("pyenv", shim, version=None, origin="PYENV_DIR", target=None, reason=reason)

    requested = trail.var("PYENV_VERSION") or ""
    if requested:
        origin = "PYENV_VERSION"
    else:
        version_file = _pyenv_version_file(root, pyenv_dir, trail)
        requested = ":".join(_pyenv_read_version_file(version_file, root, trail))
        origin = version_file if os.path.isfile(version_file) else "default"
    names = _pyenv_version_names(requested, root, trail)

    lacking: list[str] = []
    for choice in [*names, _PyenvName("system", True)]:
        if not choice.installed or choice.name in lacking:
            continue
        if choice.name == "system":
            candidate = _pyenv_system_command(command, shim, root, install_prefix, trail)
        else:
            candidate = _pyenv_version_dir(root, choice.name) + "/bin/" + command
        if candidate and trail.is_executable(candidate):
            if choice.name == "system" and _pyenv_shim_root(candidate) == root:
                # PATH still holds this root's shims under another spelling: pyenv would run forever.
                reason = f"pyenv: {command}: PATH leads back to a pyenv shim ({candidate})"
                return trail.selection("pyenv", shim, version="system", origin=origin, target=None, reason=reason)
            return trail.selection("pyenv", shim, version=choice.name, origin=origin, target=candidate)
        lacking.append(choice.name)

    told = "PYENV_VERSION environment variable" if origin == "PYENV_VERSION" else origin
    details = [f"version `{c.name}' is not installed (set by {told})" for c in names if not c.installed]
    provided = [c.name for c in names if c.installed]
    if provided == ["system"]:
        details.append("PATH does not provide it")
    elif provided:
        listed = ", ".join(provided)
        many = len(provided) > 1
        details.append(f"versions {listed} do not provide it" if many else f"version {listed} does not provide it")
    return trail.selection(
        "pyenv",
        shim,
        version=":".join(c.name for c in names),
        origin=origin,
        target=None,
        reason=f"pyenv: {command}: command not found ({'; '.join(details)})",
    )


def _pyenv_shim_root(path: str) -> str | None:
    """The ``PYENV_ROOT`` a pyenv shim bakes in, or None for anything else."""
    head = _head(path)
    baked = _pyenv_baked_root(head) if _pyenv_exec(head) is not None else None
    return _strip_slash(baked) if baked is not None else None


def _pyenv_version_file(root: str, pyenv_dir: str, trail: _Trail) -> str:
    """pyenv-version-file: the nearest ``.python-version`` above PYENV_DIR, then above the cwd."""
    starts = [pyenv_dir] if pyenv_dir == trail.cwd else [pyenv_dir, trail.cwd]
    for start in starts:
        for folder in _upward(start):
            candidate = os.path.join(folder, ".python-version")
            if trail.is_file(candidate):
                return candidate
    return os.path.join(root, "version")


def _first_word(text: str) -> str:
    """``text`` up to its first IFS character (space, tab, carriage return, newline)."""
    return text[: min((at for at in map(text.find, _IFS) if at >= 0), default=len(text))]


def _pyenv_read_version_file(path: str, root: str, trail: _Trail) -> list[str]:
    """pyenv-version-file-read: the first word of each line (1024 characters at a time)."""
    text = trail.read(path) if os.path.isfile(trail.saw(path)) else None
    words: list[str] = []
    for line in (text or "").replace("\0", "").split("\n"):
        for start in range(0, max(len(line), 1), _PYENV_READ_CHUNK):
            word = _first_word(line[start : start + _PYENV_READ_CHUNK].strip(_IFS))
            if not word or word.startswith("#"):
                continue
            if (word == ".." or "/" in word) and not _pyenv_version_is_safe(word, root, trail):
                continue
            words.append(word)
    return words


def _pyenv_version_is_safe(word: str, root: str, trail: _Trail) -> bool:
    """A name that walks the tree must land inside ``$PYENV_ROOT/versions`` (CVE-2022-35861)."""
    versions = os.path.join(root, "versions")
    landing = os.path.normpath(_pyenv_version_dir(root, word))
    return landing.startswith(versions + "/") and trail.is_dir(landing)


def _pyenv_version_dir(root: str, name: str) -> str:
    """``${PYENV_ROOT}/versions/${name}``, the text pyenv builds: an absolute name stays
    under ``versions`` (``versions//opt/py``, no such folder), where ``os.path.join`` would
    drop the root and find the absolute folder pyenv never looks at."""
    return f"{root}/versions/{name}"


def _pyenv_version_names(requested: str, root: str, trail: _Trail) -> list[_PyenvName]:
    """pyenv-version-name -f: each ``:``-separated name made concrete, or kept as given."""
    if not requested or requested == "system":
        return [_PyenvName("system", True)]
    versions = os.path.join(root, "versions")
    names: list[_PyenvName] = []
    for word in requested.split(":"):
        if not word:
            continue
        plain = word[len("python-") :] if word.startswith("python-") else word
        if word == "system":
            names.append(_PyenvName(word, True))
            continue
        found = next((n for n in (word, plain) if trail.is_dir(_pyenv_version_dir(root, n))), None)
        if found is None:
            found = _pyenv_latest(word, versions, trail) or _pyenv_latest(plain, versions, trail)
        names.append(_PyenvName(found, True) if found else _PyenvName(plain, False))
    return names or [_PyenvName("system", True)]


def _pyenv_latest(prefix: str, versions: str, trail: _Trail) -> str | None:
    """pyenv-latest: ``prefix`` itself when installed, else the newest stable install under it."""
    if trail.is_dir(f"{versions}/{prefix}"):  # as pyenv builds it (``_pyenv_version_dir``)
        return prefix
    import re  # a prefix to complete (``3.12`` -> ``3.12.10``): the rare case

    installed = [name for name in trail.names(versions) if os.path.isdir(os.path.join(versions, name))]
    suffix = ""
    free_threaded = re.fullmatch(r"(.*[0-9])t", prefix, re.DOTALL)
    if free_threaded:
        prefix, suffix = free_threaded.group(1), "t"
    under = re.compile(re.escape(prefix) + r"[-.].*" + re.escape(suffix) + r"\Z", re.DOTALL)
    candidates = [
        name
        for name in installed
        if under.match(name) and not re.search(_UNSTABLE, name) and (suffix or not re.search(_FREE_THREADED, name))
    ]
    if not candidates:
        return None
    lines = sorted((_latest_sort_line(name) for name in candidates), key=cmp_to_key(_latest_order))
    return lines[0].rsplit("|", 1)[1]


def _latest_sort_line(name: str) -> str:
    """The line pyenv-latest's awk builds: ``miniconda3-4.7.12`` sorts as ``miniconda3.4.7.12..``."""
    import re

    head = re.match(_NAMED_HEAD, name)
    key = f"{name[: head.end() - 1]}.{name[head.end() :]}.." if head else f"{name}..."
    return f"{key}|{name}"


def _latest_order(a: str, b: str) -> int:
    """``sort -t. -k1,1r -k2,2nr -k3,3nr -k4,4nr``, newest first, then the whole line as the tie-break."""
    fa, fb = a.split("."), b.split(".")
    first_a, first_b = fa[0], fb[0]
    if first_a != first_b:
        return -1 if first_a > first_b else 1
    for index in (1, 2, 3):
        na = _sort_number(fa[index] if index < len(fa) else "")
        nb = _sort_number(fb[index] if index < len(fb) else "")
        if na != nb:
            return -1 if na > nb else 1
    return (a > b) - (a < b)


def _sort_number(field: str) -> int:
    import re

    match = re.match(_LEADING_NUMBER, field)
    return int(match.group(1)) if match else 0


def _pyenv_system_command(command: str, shim: str, root: str, install_prefix: str, trail: _Trail) -> str | None:
    """pyenv-which for ``system``: ``command -v`` on the PATH pyenv sets up, minus the shims."""
    shims = f"{root}/shims"
    shim_dir = os.path.dirname(shim)
    upper = "".join(c.upper() if "a" <= c <= "z" else c for c in command)  # tr a-z- A-Z_, then sed
    program = "".join(c if "A" <= c <= "Z" or "0" <= c <= "9" or c == "_" else "_" for c in upper)
    extra = trail.var(f"_PYENV_SHIM_PATHS_{program}") or ""
    if shim_dir != shims:  # the shim exports _PYENV_SHIM_PATH and pyenv-exec adds it to the list
        extra = f"{shim_dir}:{extra}" if extra else shim_dir
    removed = [entry for entry in f"{shims}:{extra}".split(":") if entry]

    original = trail.var("PATH")
    path = os.defpath if original is None else original
    for plugins in dict.fromkeys([install_prefix, root]):
        for plugin in trail.names(os.path.join(plugins, "plugins")):
            plugin_bin = os.path.join(plugins, "plugins", plugin, "bin")
            if not plugin.startswith(".") and os.path.isdir(plugin_bin):
                path = f"{plugin_bin}:{path}"
    path = f"{install_prefix}/libexec:{path}"
    if "~" in path:
        path = path.replace("~", trail.home())
    return trail.search_path(command, [entry for entry in path.split(":") if entry not in removed])


# -- asdf ---------------------------------------------------------------------------------


def _tool_versions_python(path: str, trail: _Trail) -> list[str] | None:
    """The versions on the ``python`` line of a ``.tool-versions`` file, if it has one."""
    text = trail.read(path) if trail.is_file(path) else None
    for line in (text or "").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) > 1 and fields[0] == "python":
            return fields[1:]
    return None


def _resolve_asdf(shim: str, trail: _Trail) -> Selection:
    command = os.path.basename(shim)
    data = _asdf_data(trail.var)
    installs = os.path.join(data, "installs", "python")
    requested: list[str] | None = None
    origin = "default"
    from_env = trail.var("ASDF_PYTHON_VERSION")
    if from_env and from_env.split():
        requested, origin = from_env.split(), "ASDF_PYTHON_VERSION"
    else:
        filename = trail.var("ASDF_DEFAULT_TOOL_VERSIONS_FILENAME") or ".tool-versions"
        candidates = [os.path.join(folder, filename) for folder in _upward(trail.cwd)]
        candidates.append(os.path.join(trail.home() or "/", filename))
        for version_file in dict.fromkeys(candidates):
            requested = _tool_versions_python(version_file, trail)
            if requested:
                origin = version_file
                break
    if not requested:
        reason = f"asdf: No version is set for command {command}"
        return trail.selection("asdf", shim, version=None, origin=origin, target=None, reason=reason)

    for version in requested:
        if version == "system":
            candidate = _system_command(command, os.path.join(data, "shims"), trail)
        else:
            candidate = os.path.join(_asdf_install(version, installs, trail), "bin", command)
        if candidate and trail.is_command(candidate):
            return trail.selection("asdf", shim, version=version, origin=origin, target=candidate)
    reason = f"asdf: No preset version installed for command {command} (python {' '.join(requested)}, set by {origin})"
    return trail.selection("asdf", shim, version=":".join(requested), origin=origin, target=None, reason=reason)


def _asdf_install(version: str, installs: str, trail: _Trail) -> str:
    if version.startswith("path:"):
        return os.path.join(trail.cwd, os.path.expanduser(version[len("path:") :]))
    if version.startswith("ref:"):
        return os.path.join(installs, "ref-" + version[len("ref:") :])
    return os.path.join(installs, version)


# -- mise ---------------------------------------------------------------------------------


class _BadConfig(Exception):
    """A mise config file that is not TOML: mise itself refuses to run then."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


def _mise_toml_python(text: str, path: str) -> list[str] | None:
    """``tools.python`` (or ``tools."core:python"``) of a mise config file, read by a real TOML parser.

    A string, an array of strings or of tables with ``version``, or a table with ``version``,
    however the file spells it: ``[tools]``, ``tools.python = ...``, ``tools = {python = ...}``,
    multi-line arrays. ``tomllib`` (``tomli`` before Python 3.11) is imported only here.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9 and 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _BadConfig(f"mise: {path} is not valid TOML ({error})", path) from None
    tools = document.get("tools")
    if not isinstance(tools, dict):
        return None
    for key in ("python", "core:python"):
        if key in tools:
            return _mise_versions(tools[key])
    return None


def _mise_versions(value: object) -> list[str] | None:
    items = value if isinstance(value, list) else [value]
    versions = []
    for item in items:
        version = item.get("version") if isinstance(item, dict) else item
        if isinstance(version, str) and version.strip():
            versions.append(version.strip())
    return versions or None


def _mise_config_python(path: str, trail: _Trail) -> list[str] | None:
    if os.path.basename(path) == ".tool-versions":
        return _tool_versions_python(path, trail)
    text = trail.read(path) if trail.is_file(path) else None
    return _mise_toml_python(text, path) if text else None


def _mise_request(trail: _Trail) -> tuple[list[str] | None, str]:
    from_env = trail.var("MISE_PYTHON_VERSION")
    if from_env and from_env.split():
        return from_env.split(), "MISE_PYTHON_VERSION"
    for folder in _upward(trail.cwd):
        for name in _MISE_LOCAL_NAMES:
            candidate = os.path.join(folder, name)
            requested = _mise_config_python(candidate, trail)
            if requested:
                return requested, candidate
    config_dir = trail.var("MISE_CONFIG_DIR") or f"{trail.var('XDG_CONFIG_HOME') or trail.home() + '/.config'}/mise"
    global_file = trail.var("MISE_GLOBAL_CONFIG_FILE") or os.path.join(config_dir, "config.toml")
    for candidate in (global_file, "/etc/mise/config.toml"):
        requested = _mise_config_python(candidate, trail)
        if requested:
            return requested, candidate
    return None, "default"


def _mise_install(version: str, installs: str, trail: _Trail) -> tuple[str, str] | None:
    """``(resolved version, install directory)`` for one request, None if nothing installed fits."""
    if version.startswith("path:"):
        return version, os.path.join(trail.cwd, os.path.expanduser(version[len("path:") :]))
    if version.startswith("ref:"):
        return version, os.path.join(installs, "ref-" + version[len("ref:") :])
    prefix = version[len("prefix:") :] if version.startswith("prefix:") else version
    if prefix == version and version != "latest" and trail.is_dir(os.path.join(installs, version)):
        return version, os.path.join(installs, version)
    import re  # a prefix or ``latest`` to complete: the rare case

    fits = [
        name
        for name in trail.names(installs)
        if (prefix == "latest" or name.startswith((prefix + ".", prefix + "-")) or name == prefix)
        and not name.startswith(".")
        and not re.search(_UNSTABLE, name)
        and not os.path.islink(os.path.join(installs, name))
        and os.path.isdir(os.path.join(installs, name))
    ]
    if not fits:
        return None
    newest = max(fits, key=lambda name: [int(part) for part in re.findall(r"[0-9]+", name)])
    return newest, os.path.join(installs, newest)


def _resolve_mise(shim: str, trail: _Trail) -> Selection:
    command = os.path.basename(shim)
    data = _mise_data(trail.var)
    installs = os.path.join(data, "installs", "python")
    try:
        requested, origin = _mise_request(trail)
    except _BadConfig as error:
        return trail.selection("mise", shim, version=None, origin=error.path, target=None, reason=str(error))
    for version in [*(requested or []), "system"]:
        if version == "system":
            candidate = _system_command(command, os.path.join(data, "shims"), trail)
        else:
            install = _mise_install(version, installs, trail)
            if install is None:
                continue
            version, prefix = install
            candidate = os.path.join(prefix, "bin", command)
        if candidate and trail.is_command(candidate):
            return trail.selection("mise", shim, version=version, origin=origin, target=candidate)
    detail = f"python {' '.join(requested)} from {origin} does not provide it" if requested else "no python version set"
    return trail.selection(
        "mise",
        shim,
        version=":".join(requested) if requested else None,
        origin=origin,
        target=None,
        reason=f"mise: {command} is not a valid shim ({detail}, nor does PATH)",
    )


def _system_command(command: str, shims: str, trail: _Trail) -> str | None:
    """asdf's and mise's ``system``: the command on ``PATH`` once their shims directory is left out."""
    shims = os.path.normpath(shims)
    entries = (trail.var("PATH") or "").split(":")
    return trail.search_path(command, [e for e in entries if os.path.normpath(os.path.join(trail.cwd, e)) != shims])
