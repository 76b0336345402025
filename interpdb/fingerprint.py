"""The stat fingerprint: everything that decides a probe's answer, and how to re-check it.

A fingerprint is a list of :class:`Entry`. Checking one (``changes``) uses only
``lstat``, ``stat``, ``readlink`` and ``listdir``: never an interpreter. Taking one
(``take``, right after a probe) also reads the ``.pth`` files to learn the folders
they name. Roles and how each is compared:

=================  =========  ===============================================================
role               syscall    what it guards
=================  =========  ===============================================================
``link``           lstat      the path as given and each symlink after it (target kept too)
``executable``     stat       the file the chain ends at
``real-executable`` stat      ``sys.executable`` when it is not the file that was run
``libpython``      stat       the shared libpython (or libpypy) the interpreter mapped
``libc``           stat       the libc it mapped: a glibc upgrade changes the manylinux tags
``library-path``   value      the first ``LD_LIBRARY_PATH`` folder holding a file of the
                              libpython's name (recorded as none too): the loader looks
                              there before the RUNPATH a shared build (pyenv's) carries
``pyvenv.cfg``     stat       the venv marker, also where it is *absent*, so creating it counts
``site-dir``       stat       a site directory; when its own stat changed, its listing is
                              compared instead: only tracked names matter (see ``tracked``)
``site-file``      stat       a ``.pth`` / ``sitecustomize`` / ``usercustomize`` / ``_manylinux``
``pth-path``       exists     a folder a ``.pth`` file names: ``site`` adds it only if it exists
``pth-import``     name       a module a ``.pth`` ``import`` line names: not checked itself, the
                              folder listings look for it (present or not when probed)
``module``         stat       one of those modules found elsewhere on ``sys.path``, and any
                              other non-stdlib module ``site`` had imported before the probe
                              ran (a ``.pth`` ``import`` line's module can edit ``sys.path``)
``path-dir``       stat       any other ``sys.path`` folder (or zip), absent ones too: when its
                              stat changed, its listing is compared, as for ``site-dir``
                              (``site.addsitedir`` can make any folder a site directory)
``path-file``      stat       one of those names found in a ``path-dir``
``path-config``    stat       a ``._pth`` file, recorded absent: CPython 3.11+ reads
                              ``<path as run>._pth`` or ``<its real file>._pth`` (a venv copy:
                              also its base's) instead of building ``sys.path``, skipping ``site``
``launcher-file``  stat       a file a version manager's shim reads to pick its interpreter
                              (``.python-version`` candidates, absent ones too; ``version``)
``host``           value      ``os.uname()`` release, version and machine (markers use them)
``env``            value      ``HOME`` and ``PYTHONUSERBASE``: ``site`` reads them even under
                              ``-E`` to place the user site
``launcher-env``   value      variables a shim's manager reads (``PYENV_VERSION``, ``PATH``...)
``cwd``            value      the working directory a shim was resolved from
``probe``          value      the probe script's hash: a new interpdb probe re-probes
=================  =========  ===============================================================

``LAYOUT`` numbers what ``take`` records; it is part of the ``probe`` value, so an
interpdb that records more re-probes rows taken under an older layout once.

Stats compared: existence, ``st_mtime_ns``, ``st_ctime_ns``, ``st_size``, ``st_ino``,
``st_dev`` (and the link target). ``st_ctime`` moves on any write or ``utime``, so an
edit that restores size and mtime is still seen.
"""

from __future__ import annotations

import os
import stat as stat_module
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from interpdb._frozen import frozen
from interpdb.location import is_utf8, read_regular

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STAT_ROLES = frozenset(
    {
        "executable",
        "real-executable",
        "libpython",
        "libc",
        "pyvenv.cfg",
        "site-dir",
        "site-file",
        "module",
        "path-dir",
        "path-file",
        "path-config",
        "launcher-file",
    }
)
VALUE_ROLES = frozenset({"host", "env", "launcher-env", "cwd", "probe", "library-path"})
#: Variables ``site`` consults even when ``-E`` is given (they place the user site).
USER_SITE_VARIABLES = ("HOME", "PYTHONUSERBASE")
_TRACKED_STEMS = frozenset({"sitecustomize", "usercustomize", "_manylinux"})
_MAX_LINKS = 40
#: Bump when ``take`` starts recording something new (2: ``path-dir`` / ``path-file``,
#: ``path-config``, likely site directories after a failed probe; 3: ``library-path``, ``.pth``
#: files in every ``sys.path`` folder, ``pth-import``, ``.pth`` lines read as the version reads them).
LAYOUT = 3


@frozen
class Entry:
    role: str
    path: str
    exists: bool
    mtime_ns: int | None = None
    ctime_ns: int | None = None
    size: int | None = None
    ino: int | None = None
    dev: int | None = None
    target: str | None = None  # symlink target, or the value of a value entry

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "path": self.path,
            "exists": self.exists,
            "mtime_ns": self.mtime_ns,
            "ctime_ns": self.ctime_ns,
            "size": self.size,
            "ino": self.ino,
            "dev": self.dev,
            "target": self.target,
        }


@frozen
class Change:
    """One entry that no longer matches: ``kind`` is ``added``, ``removed`` or ``modified``."""

    role: str
    path: str
    kind: str
    fields: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "path": self.path, "kind": self.kind, "fields": list(self.fields)}

    def describe(self) -> str:
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{self.role} {self.kind}: {self.path}{detail}"


def tracked(name: str, imported: Iterable[str] = ()) -> bool:
    """Is this folder entry one that can change ``sys.path`` or the markers?

    ``imported``: the modules the interpreter's ``.pth`` ``import`` lines name (``pth-import``
    entries), whose file is whichever ``sys.path`` finds first: one appearing where there was
    none, or ahead of the one found, changes what runs.

    ``.pth`` files count in every ``sys.path`` folder, not only in the site directories
    the probe reports: a ``sitecustomize`` or a ``.pth`` line may have made any folder a
    site directory (``site.addsitedir``), which leaves no trace to tell it by. Where one
    is only a plain folder, its ``.pth`` files change nothing and cost a re-probe.

    A name that is not valid UTF-8 cannot be stored in the database's text
    columns, so it is not tracked (a known gap: such a ``.pth`` goes unwatched).
    """
    if not (name.endswith(".pth") or _importable_as_tracked(name, imported)):
        return False
    return is_utf8(name)


#: What an importable module file can end with (``.so`` covers ``.cpython-312-x86_64-linux-gnu.so``).
_MODULE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd")


def _importable_as_tracked(name: str, imported: Iterable[str] = ()) -> bool:
    """``sitecustomize.py``, ``sitecustomize/`` or an extension module, not ``sitecustomize.py~``."""
    stem, dot, _ = name.partition(".")
    return (stem in _TRACKED_STEMS or stem in imported) and (not dot or name.endswith(_MODULE_SUFFIXES))


# -- taking a fingerprint ---------------------------------------------------------------


def _from_stat(role: str, path: str, st: os.stat_result, target: str | None = None) -> Entry:
    return Entry(role, path, True, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev, target)


def _stat_entry(role: str, path: str) -> Entry:
    try:
        return _from_stat(role, path, os.stat(path))
    except OSError:
        return Entry(role, path, False)


def chain(path: str, final_role: str = "executable") -> list[Entry]:
    """lstat every symlink from ``path`` on (keeping its target), then stat the file reached."""
    entries: list[Entry] = []
    current = os.path.abspath(path)
    for _ in range(_MAX_LINKS):
        try:
            st = os.lstat(current)
        except OSError:
            entries.append(Entry(final_role, current, False))
            return entries
        if not stat_module.S_ISLNK(st.st_mode):
            entries.append(_stat_entry(final_role, current))
            return entries
        target = os.readlink(current)
        entries.append(_from_stat("link", current, st, target))
        current = _follow(current, target)
    entries.append(Entry(final_role, current, False))  # a loop: as good as missing
    return entries


def _follow(link: str, target: str) -> str:
    """Where ``link -> target`` leads, as the kernel resolves it.

    A relative target is relative to the folder the link really sits in, and its
    ``..`` climbs out of that real folder, not out of the symlinked path that led
    there: so the folder is resolved first, and ``..`` inside the target is left
    for the kernel (normpath would climb through a symlink the wrong way).
    """
    joined = os.path.join(os.path.realpath(os.path.dirname(link)), target)
    return joined if ".." in target.split(os.sep) else os.path.normpath(joined)


@lru_cache(maxsize=1)
def host_value() -> str:
    uname = os.uname()
    return f"{uname.release} | {uname.version} | {uname.machine}"


def _value_entry(role: str, name: str, value: str | None) -> Entry:
    return Entry(role, name, value is not None, target=value)


def watch(role: str, paths: Iterable[str]) -> list[Entry]:
    """Stat entries for files that decide an answer, recorded absent where they are."""
    return [_stat_entry(role, path) for path in _unique(paths)]


def values(role: str, named: Mapping[str, str | None]) -> list[Entry]:
    """Value entries (``env``, ``cwd``): compared by value, None meaning unset."""
    return [_value_entry(role, name, value) for name, value in named.items()]


#: Folder roles whose own stat may move freely: only their tracked names count.
_FOLDER_ROLES = {"site-dir": "site-file", "path-dir": "path-file"}


def _folder_entries(
    directory: str, site: bool, imported: Iterable[str] = (), version: tuple[int, ...] | None = None
) -> list[Entry]:
    """A site directory (``site``) or another ``sys.path`` folder, and the tracked files in it
    (``imported``, ``version``: see ``tracked`` and ``_pth_lines``)."""
    role = "site-dir" if site else "path-dir"
    file_role = _FOLDER_ROLES[role]
    entries = [_stat_entry(role, directory)]
    if not entries[0].exists:
        return entries
    try:
        names = sorted(os.listdir(directory))
    except OSError:  # not a folder (a zip on sys.path) or unreadable: its stat is enough
        return entries
    for name in names:
        if not tracked(name, imported):
            continue
        full = os.path.join(directory, name)
        entries.append(_stat_entry(file_role, full))
        init = os.path.join(full, "__init__.py")
        if "." not in name and os.path.isfile(init):
            entries.append(_stat_entry(file_role, init))
        if name.endswith(".pth"):
            entries += [_presence_entry(folder) for folder in _pth_folders(directory, full, version)]
    return entries


#: A .pth file longer than this is not a list of folders worth watching one by one (a known limit).
_PTH_LINES = 1000
_PTH_BYTES = 256 * 1024


def _pth_lines(pth: str, version: tuple[int, ...] | None) -> list[str]:
    """A ``.pth`` file's lines as ``site`` reads them on ``version``: 3.13 skips a UTF-8 BOM and
    splits as ``str.splitlines`` does (a form feed too); older ones split only at line ends
    and keep a BOM. ``version`` None (a failed probe): the lines of both readings."""
    data = read_regular(pth, _PTH_BYTES)  # site reads only regular files; a FIFO would block here
    if data is None:
        return []
    text = data.decode("utf-8", "surrogateescape")
    new = text.removeprefix("\ufeff").splitlines() if version is None or version >= (3, 13) else []
    old = text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if version is None or version < (3, 13) else []
    return list(dict.fromkeys(old + new))[:_PTH_LINES]


def _pth_folders(directory: str, pth: str, version: tuple[int, ...] | None = None) -> list[str]:
    """The folders a ``.pth`` file names: ``site`` adds each one only if it exists.

    So whether each exists is part of the answer (an editable install's checkout
    moved away, or created later). ``import`` lines and comments are not folders.
    """
    folders = []
    for line in _pth_lines(pth, version):
        if not line.strip() or line.startswith("#") or line.startswith(("import ", "import\t")):
            continue
        if not is_utf8(line):
            continue  # the store cannot hold it (and site itself fails on such a file)
        folders.append(os.path.abspath(os.path.join(directory, line.rstrip())))
    return _unique(folders)


def pth_imports(directories: Iterable[str], version: tuple[int, ...] | None = None) -> list[str]:
    """The top-level modules the ``.pth`` files in ``directories`` import: ``import a, b.c as d``,
    ``from e import f`` and ``__import__('g')``, in any statement of an ``import`` line (which
    ``site`` runs whole). The standard library's too (which names are its own depends on the
    interpreter probed), but not those every Python has imported before ``site`` reads a
    ``.pth`` file (``import os``): no file is looked for then."""
    names: dict[str, None] = {}
    for directory in directories:
        try:
            pths = sorted(n for n in os.listdir(directory) if n.endswith(".pth"))
        except OSError:
            continue
        for pth in pths:
            for line in _pth_lines(os.path.join(directory, pth), version):
                if line.startswith(("import ", "import\t")):
                    names.update(dict.fromkeys(_imported_by(line)))
    return [name for name in names if name.isidentifier() and name not in _IMPORTED_BEFORE_SITE and is_utf8(name)]


#: Modules every Python (2.7 to 3.13) has imported by the time ``site`` runs a ``.pth`` line.
_IMPORTED_BEFORE_SITE = frozenset(
    {"sys", "os", "site", "builtins", "__builtin__", "io", "abc", "codecs", "stat", "posixpath", "genericpath"}
)


def _imported_by(line: str) -> list[str]:
    found = []
    for statement in line.split(";"):
        words = statement.split()
        if words[:1] == ["import"]:
            found += [part.split()[0].split(".")[0] for part in " ".join(words[1:]).split(",") if part.strip()]
        elif words[:1] == ["from"] and len(words) > 1:
            found.append(words[1].split(".")[0])
    at = line.find("__import__(")
    while at >= 0:
        rest = line[at + len("__import__(") :].lstrip()
        if rest[:1] in ("'", '"'):
            found.append(rest[1 : rest.find(rest[0], 1)].split(".")[0])
        at = line.find("__import__(", at + 1)
    return found


def _presence_entry(path: str) -> Entry:
    """An existence-only entry (``pth-path``): a folder's contents changing is no reason."""
    return Entry("pth-path", path, os.path.exists(path))


def _unique(paths: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for path in paths:
        if path:
            seen.setdefault(os.path.normpath(path), None)
    return list(seen)


def runs_elsewhere(path: str, data: Mapping[str, Any] | None) -> bool:
    """Is ``path`` a wrapper: does its interpreter report a real executable that is another file?"""
    real = (data or {}).get("real_executable")
    return bool(real) and os.path.realpath(path) != real


def take(path: str, data: Mapping[str, Any] | None, probe_hash: str) -> list[Entry]:
    """The fingerprint of ``path`` as it is now, shaped by what its probe reported.

    ``data`` is the probe's answer, or None after a failed probe: then the path, the
    ``pyvenv.cfg`` places, the host and the probe hash are recorded, plus the site
    directories the layout suggests (``_likely_site_dirs``): a broken ``.pth`` or
    ``sitecustomize.py`` kills an interpreter at start-up, and fixing it must count.
    """
    entries = chain(path)
    given = os.path.abspath(path)
    venv_homes = [os.path.dirname(given)]
    if data is not None:
        executable = data.get("executable")
        if executable and runs_elsewhere(given, data):
            entries += chain(executable, "real-executable")
            venv_homes.append(os.path.dirname(os.path.abspath(executable)))
        if data.get("libpython"):
            entries.append(_stat_entry("libpython", data["libpython"]))
            name = os.path.basename(data["libpython"])
            entries.append(_value_entry("library-path", name, library_path_hit(name)))
        libc = (data.get("libc") or {}).get("path")
        if libc:
            entries.append(_stat_entry("libc", libc))
    entries += [_stat_entry("path-config", p) for p in _pth_config_paths(given, data)]
    cfg_paths = _unique(
        os.path.join(folder, "pyvenv.cfg") for home in venv_homes for folder in (home, os.path.dirname(home))
    )
    entries += [_stat_entry("pyvenv.cfg", cfg) for cfg in cfg_paths]
    if data is None:
        likely = [(d, True) for d in _likely_site_dirs(given)] + [(d, False) for d in _likely_stdlib_dirs(given)]
        imported = pth_imports(d for d, _ in likely)
        entries += [Entry("pth-import", name, False) for name in imported]
        for directory, site in likely:
            entries += _folder_entries(directory, site=site, imported=imported)
        # The folders those .pth files name are on sys.path when they exist: a sitecustomize
        # there (what may have killed it) is watched as in any sys.path folder.
        seen = {directory for directory, _ in likely}
        for directory in _unique(e.path for e in entries if e.role == "pth-path" and e.exists):
            if directory not in seen:
                entries += _folder_entries(directory, site=False, imported=imported)
        entries += _user_site_env()
    else:
        user_site = data.get("user_site") if data.get("enable_user_site") else None
        site_dirs = _unique([*(data.get("site_packages") or []), user_site])
        version = tuple(data.get("version_info") or ())[:2] or None
        # ``site`` imports sitecustomize / usercustomize (and the markers ``_manylinux``)
        # from wherever on sys.path they are first found: creating one in the stdlib
        # folder or in a folder a .pth added changes the answer too. So do the modules
        # the .pth files' ``import`` lines name, present or not when probed.
        others = [p for p in _unique(data.get("sys_path") or []) if p.startswith("/") and p not in site_dirs]
        imported = pth_imports([*site_dirs, *others], version)
        entries += [Entry("pth-import", name, False) for name in imported]
        seen_files: set[str] = set()
        for directory, site in [*((d, True) for d in site_dirs), *((d, False) for d in others)]:
            for entry in _folder_entries(directory, site=site, imported=imported, version=version):
                entries.append(entry)
                seen_files.add(entry.path)
        modules = data.get("modules") or {}
        for file in _unique([*modules.values(), *(data.get("site_modules") or [])]):
            if file.startswith("/") and file not in seen_files:
                entries.append(_stat_entry("module", file))
        if user_site:
            entries += _user_site_env()
    entries.append(_value_entry("host", "uname", host_value()))
    entries.append(_value_entry("probe", "probe-script", probe_hash))
    # A name that is not UTF-8 cannot be stored: such a file goes unwatched (a known gap).
    return [entry for entry in entries if is_utf8(entry.path)]


def _pth_config_paths(path: str, data: Mapping[str, Any] | None) -> list[str]:
    """Where CPython 3.11+'s ``getpath`` looks for a ``._pth`` file: the whole file name plus
    ``._pth``, beside the path as run and beside its real file (not beside links between),
    and for a venv also beside its base's real file. (Beside the library only on Windows
    and macOS framework builds.) After a failed probe the version is unknown: a bad
    ``._pth`` is a likely cause, so the first two are watched whatever the version.
    """
    if data is not None:
        version = tuple(data.get("version_info") or ())[:2]
        if data.get("implementation_name") != "cpython" or version < (3, 11):
            return []
    files: list[str | None] = [path, os.path.realpath(path)]
    if data is not None:
        files += [data.get("executable"), data.get("real_executable")]
        base = data.get("base_executable")
        if base:
            files.append(os.path.realpath(base))
    return [file + "._pth" for file in _unique(files)]


def library_path_hit(name: str, stats: dict[str, os.stat_result | None] | None = None) -> str | None:
    """The first ``LD_LIBRARY_PATH`` folder's file called ``name``, or None.

    The dynamic loader searches those folders before a library's RUNPATH, the way
    pyenv's shared builds find their libpython: another libpython of the same name
    there (a conda ``lib`` folder, an HPC module's) is the one that runs. So the
    fingerprint holds where the variable leads, not the variable itself: changing it
    to folders without such a file re-probes nothing. An empty item is the working
    folder, as the loader reads it. ``stats`` as for ``changes``: a thousand venvs of
    one base share its libpython, and look its name up once.
    """
    folders = os.environ.get("LD_LIBRARY_PATH")
    for folder in folders.split(":") if folders else ():
        candidate = os.path.abspath(os.path.join(folder or ".", name))
        st = stats.get(candidate, _UNSEEN) if stats is not None else _UNSEEN
        if st is _UNSEEN:
            try:
                st = os.stat(candidate)
            except OSError:
                st = None
            if stats is not None:
                stats[candidate] = st
        if st is not None:
            return candidate
    return None


def _user_site_env() -> list[Entry]:
    return [_value_entry("env", name, user_site_variable(name)) for name in USER_SITE_VARIABLES]


def user_site_variable(name: str) -> str | None:
    """``HOME`` or ``PYTHONUSERBASE`` as the interpreter reads it: a relative value names a
    folder under the working folder, so it is recorded (and given to the probe) absolute."""
    value = os.environ.get(name)
    if value and not os.path.isabs(value):
        try:
            return os.path.join(os.getcwd(), value)
        except OSError:  # the working folder is gone
            return value
    return value


def _prefixes(path: str) -> list[str]:
    """The install prefixes ``path`` and its real file sit in (``<prefix>/bin/python``)."""
    return _unique(os.path.dirname(os.path.dirname(p)) for p in (path, os.path.realpath(path)))


def _language_dirs(prefixes: Iterable[str], libs: Sequence[str] = ("lib",)) -> list[str]:
    """``<prefix>/<lib>/python*`` and ``pypy*`` entries, in name order."""
    found = []
    for prefix in _unique(prefixes):
        for lib in libs:
            try:
                names = sorted(os.listdir(os.path.join(prefix, lib)))
            except OSError:
                continue
            found += [os.path.join(prefix, lib, n) for n in names if n.startswith(("python", "pypy"))]
    return found


def _likely_stdlib_dirs(path: str) -> list[str]:
    """``<prefix>/lib/{python,pypy}X.Y`` beside ``path`` and its real file: a sitecustomize
    there (Debian's lives in the stdlib folder) can kill an interpreter at start-up."""
    return [d for d in _language_dirs(_prefixes(path)) if "." in os.path.basename(d) and os.path.isdir(d)]


def _likely_site_dirs(path: str) -> list[str]:
    """Where to look when the interpreter could not say it itself: ``{lib,lib64}/
    {python,pypy}X.Y/{site,dist}-packages`` under the prefix ``path`` (and its real file)
    sits in, and under the user base (``PYTHONUSERBASE`` or ``~/.local``)."""
    user_base = os.environ.get("PYTHONUSERBASE") or os.path.expanduser("~/.local")
    folders = _language_dirs([*_prefixes(path), user_base], ("lib", "lib64"))
    sites = (os.path.join(folder, leaf) for folder in folders for leaf in ("site-packages", "dist-packages"))
    return _unique(site for site in sites if os.path.isdir(site))


# -- checking one -----------------------------------------------------------------------

#: ``stats`` has no answer for this path yet (None there means "does not exist").
_UNSEEN: Any = object()


def _compare(old: Entry, new: Entry) -> Change | None:
    if old.exists != new.exists:
        return Change(old.role, old.path, "added" if new.exists else "removed")
    fields = tuple(
        name
        for name, a, b in (
            ("mtime", old.mtime_ns, new.mtime_ns),
            ("ctime", old.ctime_ns, new.ctime_ns),
            ("size", old.size, new.size),
            ("inode", old.ino, new.ino),
            ("device", old.dev, new.dev),
            ("target" if old.role == "link" else "value", old.target, new.target),
        )
        if a != b
    )
    return Change(old.role, old.path, "modified", fields) if fields else None


def _value_now(entry: Entry, probe_hash: str, stats: dict[str, os.stat_result | None] | None) -> str | None:
    """What a value entry (``host``, ``probe``, ``env``, ``launcher-env``, ``cwd``,
    ``library-path``) reads now."""
    role = entry.role
    if role == "host":
        return host_value()
    if role == "probe":
        return probe_hash
    if role == "cwd":
        return os.getcwd()
    if role == "library-path":
        return library_path_hit(entry.path, stats)
    if role == "env":
        return user_site_variable(entry.path)
    return os.environ.get(entry.path)


def _same_stat(st: os.stat_result, entry: Entry) -> bool:
    return (
        st.st_mtime_ns == entry.mtime_ns
        and st.st_ctime_ns == entry.ctime_ns
        and st.st_size == entry.size
        and st.st_ino == entry.ino
        and st.st_dev == entry.dev
    )


def changes(
    entries: Sequence[Entry], probe_hash: str, stats: dict[str, os.stat_result | None] | None = None
) -> list[Change]:
    """Every way ``entries`` no longer describe the disk; empty means the probe is fresh.

    A site directory whose own stat moved (a package was installed) is fine as long
    as the tracked names in it are the ones recorded; the files themselves are
    separate entries and checked on their own.

    ``stats``: a dict shared by the checks of one command, so that files many
    interpreters share (a base Python's executable, libpython, stdlib folders and
    libc, for a thousand venvs of it) are stat-ed once per command, not once each.
    """
    found: list[Change] = []
    stat = os.stat
    for entry in entries:
        if entry.role == "pth-path":
            if os.path.exists(entry.path) != entry.exists:
                found.append(Change(entry.role, entry.path, "removed" if entry.exists else "added"))
            continue
        if entry.role in STAT_ROLES:
            # The common case, kept cheap: one stat call (or dict lookup) and five comparisons.
            st = stats.get(entry.path, _UNSEEN) if stats is not None else _UNSEEN
            if st is _UNSEEN:
                try:
                    st = stat(entry.path)
                except (OSError, ValueError):  # ValueError: a NUL, in a row older interpdbs let in
                    st = None
                if stats is not None:
                    stats[entry.path] = st
            if st is None:
                if entry.exists:
                    found.append(Change(entry.role, entry.path, "removed"))
                continue
            if not entry.exists:
                found.append(Change(entry.role, entry.path, "added"))
                continue
            if _same_stat(st, entry):
                continue
            now = _from_stat(entry.role, entry.path, st)  # no second stat for what changed
        elif entry.role == "link":
            try:
                st = os.lstat(entry.path)
                target = os.readlink(entry.path) if stat_module.S_ISLNK(st.st_mode) else None
            except (OSError, ValueError):
                st = target = None
            if st is not None and entry.exists and target == entry.target and _same_stat(st, entry):
                continue
            now = Entry("link", entry.path, False) if st is None else _from_stat("link", entry.path, st, target)
        elif entry.role in VALUE_ROLES:
            value = _value_now(entry, probe_hash, stats)
            if value == entry.target and entry.exists == (value is not None):
                continue  # unchanged: no Entry built
            now = _value_entry(entry.role, entry.path, value)
        elif entry.role == "pth-import":
            continue  # a name, not a file: the folders' listings look for it
        else:
            now = _stat_entry(entry.role, entry.path)  # a role this interpdb does not know
        change = _compare(entry, now)
        if change is None:
            continue
        if entry.role in _FOLDER_ROLES and change.kind == "modified":
            found += _listing_changes(entry, entries)
            continue
        found.append(change)
    return found


def _listing_changes(folder: Entry, entries: Sequence[Entry]) -> list[Change]:
    directory, file_role = folder.path, _FOLDER_ROLES[folder.role]
    recorded = {
        os.path.basename(e.path) for e in entries if e.role == file_role and os.path.dirname(e.path) == directory
    }
    try:
        names = os.listdir(directory)
    except NotADirectoryError:  # a zip on sys.path: any change to it counts
        return [Change(folder.role, directory, "modified", ("content",))]
    except PermissionError:
        # site and the import system cannot list it either: whatever was found in it
        # before is not found now, though each file may still stat fine.
        return [Change(file_role, os.path.join(directory, n), "removed") for n in sorted(recorded)]
    except OSError:
        return [Change(folder.role, directory, "removed")]
    imported = {e.path for e in entries if e.role == "pth-import"}
    present = {name for name in names if tracked(name, imported)}
    added = [Change(file_role, os.path.join(directory, n), "added") for n in sorted(present - recorded)]
    return added  # removals show up on the file entries themselves
