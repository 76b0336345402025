"""What ``interpdb find REQUEST`` asks for, and which known interpreter answers it best.

The grammar is the union of what ``uv python find`` and ``virtualenv -p`` accept, with
their meaning (the README's "Requests" table has an example of each form):

- nothing, ``any`` or ``default``: any interpreter;
- a version: ``3``, ``3.12``, ``312`` / ``38`` (wheel-tag spelling), ``3.12.1``,
  ``3.13.0rc2``, ``3.13rc2``. ``3`` and ``3.12`` are release lines (pre-releases
  included, as uv and virtualenv match them); ``3.12.1`` is that final release;
  a pre-release is exactly that pre-release;
- a PEP 440 specifier: ``>=3.10,<3.13``, ``~=3.11``, ``==3.12.*``, ``!=3.8.*``;
  pre-releases match only when a clause names one (see ``interpdb.versions``);
- a build variant after the version or specifier: ``t`` / ``+freethreaded``
  (free-threaded), ``d`` / ``+debug`` (a debug build), ``td`` /
  ``+freethreaded+debug``, ``+gil`` (not free-threaded), ``+gil+debug``:
  ``3.13t``, ``3.12d``, ``>=3.13t``, ``>=3.12,<3.14t``;
- an implementation, alone or with any of the above, after an optional ``@``:
  ``cpython``/``cp``, ``pypy``/``pp``, ``graalpy``/``gp`` (``graalvm``):
  ``cpython3.12``, ``cp312``, ``pp39``, ``cpython@3.12``, ``cpython>=3.12``,
  ``cpython >=3.12``, ``pypy@>=3.9``; ``python`` and ``py`` name no
  implementation: ``python312``, ``python3.12.1``, ``python>=3.12``, ``py3.12``;
- virtualenv's bitness and machine suffixes: ``3.12-64``, ``cpython3.12-64-arm64``;
- uv's installation key ``implementation-version[-os[-arch[-libc]]]``, any part
  ``any``, the implementation and the version may be left off: ``cpython-3.12.1-linux-x86_64-gnu``,
  ``pypy-3.9``, ``3.12-linux``, ``linux-x86_64``;
- a path (it contains a ``/``, starts with ``.`` or ``~``, or names a file or folder
  that exists here): that file, or for a folder (a venv, an installation) its
  ``bin/python3`` or ``bin/python``;
- anything else that can be a file name is an executable name (``python3.6m``,
  ``pypy3.9-c``): an interpreter whose path has that name, or whose folder holds a
  file of that name that is the same file as the interpreter; when none does, the
  file of that name on ``PATH`` (uv's lookup; ``Inventory.find`` does it).

Versions are always the Python language version (``sys.version_info``), also for PyPy
and GraalPy, whose own release numbers differ.

Where uv and virtualenv disagree, or disagree with interpdb's preference order: ``python``
alone is any interpreter (virtualenv), not the first ``python`` on ``PATH`` (uv); with
no variant, free-threaded builds still match and rank after default builds (uv skips
them before 3.14); text that starts like a version or a specifier (a digit, an operator,
``@``) and does not parse is a usage error (unless a file or folder of that name is
here: ``3venv``), where uv would look for an executable of
that name.

Only working interpreters are candidates: status ``cached``, ``probed`` or ``stale``
with a probe outcome of ``ok``. Every filter (request, ``--implementation``, architecture,
the venv switch) applies to every request, an explicit path included.

Preference order, best first:

1. An explicit path request returns only that path's interpreter.
2. The active virtual environment (the record whose prefix is ``$VIRTUAL_ENV``), if it
   matches the request.
3. The newest matching release line (``3.13`` before ``3.12``); within a line, CPython
   before other implementations, release before debug builds (unless a debug build was
   requested), the default build before a free-threaded one (unless free-threading was
   requested), a base interpreter before a virtual environment, and then the newest
   micro (and pre-release) version. So ``find 3.10`` picks CPython 3.10.12 over PyPy
   3.10.14: the line decides first, the implementation next, the micro version last.
4. Ties go to the interpreter found by the earlier discovery source (``PATH`` before
   version managers), then to the one interpdb has known longest (lower id).

Paths that lead to one interpreter (``python``, ``python3``, a symlink, a pyenv, asdf or
mise shim) count once, answered by the path a person would type that does not depend on
the working directory or the environment: never a shim (see ``interpdb.aliases``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from interpdb._frozen import frozen, replace
from interpdb.location import normalize_path
from interpdb.records import IMPLEMENTATION_NAMES, Record, implementation_name
from interpdb.versions import Specifier, Version, cached_parse, plain_release

#: ``re`` is imported where a pattern is used, not at import (a warm answer needs none).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

#: Statuses of records that may answer a request (``missing`` and ``error`` never do);
#: ``remote``: another host's, as recorded there (only ``find --host``/``--all-hosts`` has them).
CANDIDATE_STATUSES = ("cached", "probed", "stale", "remote")
IMPLEMENTATIONS = ("cpython", "pypy", "graalpy")
#: Prefixes that name no implementation: ``python3.12``, ``py3.12``.
_ANY_PREFIXES = ("python", "py")
#: Longest first, so ``pypy`` is not read as ``py`` + ``py``.
_PREFIXES = sorted([*IMPLEMENTATION_NAMES, *_ANY_PREFIXES], key=len, reverse=True)
#: ``platform.machine()`` spellings of one architecture, mapped to the Linux one.
ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}
#: variant suffix -> (free_threaded, debug); None: either.
VARIANTS: dict[str, tuple[bool | None, bool | None]] = {
    "t": (True, None),
    "freethreaded": (True, None),
    "d": (None, True),
    "debug": (None, True),
    "td": (True, True),
    "freethreaded+debug": (True, True),
    "gil": (False, None),
    "gil+debug": (False, True),
}
#: uv's operating-system names -> ``sys.platform`` prefixes.
_OS_NAMES = {"linux": "linux", "macos": "darwin", "darwin": "darwin", "windows": "win32", "freebsd": "freebsd"}
_LIBCS = ("gnu", "musl", "none")

_ACCEPTED = (
    "expected a version (3.12, 312, 3.12.1, 3.13t), a specifier (>=3.10,<3.13), "
    "an implementation with an optional version (cpython, pp39, cpython@3.12, cpython>=3.12), "
    "an executable name (python3.12), a path, or 'any' (see the README's request table)"
)
_OPERATOR_START = ("<", ">", "=", "!", "~=")
#: Compiled on first use (``re`` caches them): the common requests (``3.12``, ``>=3.10``,
#: ``cpython3.12``) need none of them, or are read by hand first (``_bare``).
_BITNESS = r"(?P<body>.+?)-(?P<bits>32|64)(?:-(?P<machine>[a-z0-9_.]+))?"
_KEY = r"(?P<impl>[a-z]+)-(?P<version>[^-]+)(?:-(?P<os>[a-z0-9]+))?(?:-(?P<arch>[a-z0-9_]+))?(?:-(?P<libc>[a-z]+))?"
_BARE = r"(?P<release>[0-9]+(?:\.[0-9]+)*)(?P<pre>(?:a|b|rc)[0-9]+)?"
_NAME = r"[a-z0-9_][a-z0-9._+-]*"


@frozen
class Request:
    """A parsed request; ``None`` in a field means "any"."""

    text: str
    implementation: str | None = None
    specifier: Specifier | None = None
    free_threaded: bool | None = None
    path: str | None = None
    executable_name: str | None = None
    debug: bool | None = None
    pointer_size: int | None = None
    #: ``platform.machine()``, normalised (``x86_64``, ``aarch64``)
    machine: str | None = None
    #: ``sys.platform`` prefix (``linux``, ``darwin``, ``win32``)
    os: str | None = None
    #: ``gnu``, ``musl`` or ``none`` (no libc found)
    libc: str | None = None

    def matches(self, record: Record, *, arch: str | None = None, allow_venv: bool = True) -> bool:
        """Whether ``record`` is a working interpreter that satisfies every part of the request."""
        if record.status not in CANDIDATE_STATUSES or record.outcome != "ok":
            return False
        return self.satisfied_by(record, arch=arch, allow_venv=allow_venv)

    def satisfied_by(self, record: Record, *, arch: str | None = None, allow_venv: bool = True) -> bool:
        """Whether what is known of ``record`` satisfies the request, whatever its status (``list --version``)."""
        if self.path is not None and record.path != self.path:
            return False
        if self.implementation is not None and (record.implementation or "").lower() != self.implementation:
            return False
        if self.specifier is not None and not self.specifier.contains(record.version or ""):
            return False
        if self.free_threaded is not None and bool(record.free_threaded) != self.free_threaded:
            return False
        if self.debug is not None and bool(record.debug_build) != self.debug:
            return False
        if self.pointer_size is not None and record.pointer_size != self.pointer_size:
            return False
        if not allow_venv and record.is_venv:
            return False
        machine = record.markers.get("platform_machine")
        for wanted in (arch, self.machine):
            # An interpreter whose machine is unknown cannot satisfy an explicit architecture.
            if wanted is None:
                continue
            if not isinstance(machine, str) or normalise_arch(machine) != normalise_arch(wanted):
                return False
        if self.os is not None and not str(record.markers.get("sys_platform") or "").startswith(self.os):
            return False
        if self.libc is not None and _libc_kind(record) != self.libc:
            return False
        return self.executable_name is None or provides(record, self.executable_name)


def _libc_kind(record: Record) -> str:
    libc = record.data.get("libc")
    name = str(libc.get("name") or "") if isinstance(libc, dict) else str(libc or "")
    if "glibc" in name:
        return "gnu"
    return "musl" if "musl" in name else "none"


def provides(record: Record, name: str) -> bool:
    """Whether the interpreter can be run as ``name``: its path or a path to it has that name,
    or its folder holds a file of that name that is the same file (``python3.6m`` beside ``python3.6``)."""
    if any(os.path.basename(path) == name for path in (record.path, *record.aliases)):
        return True
    sibling = os.path.join(os.path.dirname(record.path), name)
    try:
        return os.path.samefile(sibling, record.path)
    except OSError:
        return False


def normalise_arch(machine: str) -> str:
    """One spelling per architecture: ``AMD64`` and ``x86_64`` compare equal, so do ``arm64`` and ``aarch64``."""
    machine = machine.strip().lower()
    return ARCH_ALIASES.get(machine, machine)


def parse_request(text: str, implementation: str | None = None) -> Request:
    """Parse what the user typed; ``implementation`` (the ``--implementation`` option) narrows it.

    Raises ``ValueError`` with a one-line message for anything that is not a request, and
    when the request names a different implementation than ``implementation``.
    """
    request = _parse(text)
    wanted = implementation_name(implementation or "") or None
    if wanted is None:
        return request
    if request.implementation is not None and request.implementation != wanted:
        raise ValueError(
            f"{text.strip()!r} asks for {request.implementation}, which conflicts with --implementation {wanted}"
        )
    return replace(request, implementation=wanted)


def _fullmatch(pattern: str, text: str) -> re.Match[str] | None:
    """``re.fullmatch``, with ``re`` imported on first use: ``3.12``, the common request, needs none."""
    import re

    return re.fullmatch(pattern, text)


def _rejected(text: str, reason: str = "") -> ValueError:
    """One line: the reason when there is one, else the forms a request can take."""
    return ValueError(f"{text.strip()!r} is not an interpreter request: {reason or _ACCEPTED}")


def _parse(text: str) -> Request:
    stripped = text.strip()
    lowered = stripped.lower()
    if "\0" in stripped:
        raise _rejected(text, "it contains a NUL byte")
    if lowered in ("", "any", "default"):
        return Request(text)
    if lowered.startswith(_OPERATOR_START):  # before paths: ``~=3.11`` starts with ``~`` too
        return _versioned(text, None, lowered)
    if "/" in stripped or os.sep in stripped or stripped.startswith((".", "~")):
        return _path_request(text, stripped)
    if lowered.startswith("@"):
        raise _rejected(text, "nothing before the @")
    try:
        return _named(text, stripped, lowered)
    except ValueError:
        if os.path.exists(stripped):  # uv: what is no request may be a folder here (3venv, pypy-venv)
            return _path_request(text, stripped)
        raise


def _named(text: str, stripped: str, lowered: str) -> Request:
    """Every form that is not a specifier or a path: a version, an implementation, a key, a name."""
    found = _prefixed(text, lowered)
    if found is not None:
        return found
    bits = _fullmatch(_BITNESS, lowered) if "-" in lowered else None
    if bits:  # virtualenv's 3.12-64, cpython3.12-64-arm64
        inner = _prefixed(text, bits["body"]) or (
            _versioned(text, None, bits["body"]) if bits["body"][0].isdigit() else None
        )
        if inner is not None:
            machine = normalise_arch(bits["machine"]) if bits["machine"] else None
            return replace(inner, pointer_size=int(bits["bits"]), machine=machine)
    if lowered[0] == "v" and lowered[1:2].isdigit() and not os.path.exists(stripped):
        lowered = lowered[1:]  # v3.12, as uv reads it (a leading v, as PEP 440 allows)
    if lowered[0].isdigit():
        if "-" in lowered:  # uv's key without its implementation: 3.12-linux, 3.12.1-linux-x86_64-gnu
            return _key_request(text, f"any-{lowered}") or _versioned(text, None, lowered)
        return _versioned(text, None, lowered)
    key = _key_request(text, lowered)
    if key is not None:
        return key
    parts = lowered.split("-")
    if parts[0] in _OS_NAMES and not os.path.exists(stripped):  # and without its version: linux-x86_64
        if len(parts) == 2 and parts[1] in _LIBCS:  # linux-gnu: a libc, not a machine
            parts.insert(1, "any")
        key = _key_request(text, "-".join(["any", "any", *parts]))
        if key is not None:
            return key
    if os.path.exists(stripped):  # uv: an existing file or folder here
        return _path_request(text, stripped)
    if not _fullmatch(_NAME, lowered) and not _on_path(stripped):  # a space or a letter beyond ASCII
        raise _rejected(text)  # (cpython 3.12, two words): unless a program of that name is on PATH
    return Request(text, executable_name=stripped)


def _prefixed(text: str, lowered: str) -> Request | None:
    """``cpython3.12``, ``cp312``, ``pypy@>=3.9``, ``python3.12.1``, ``cpython >=3.12``, ``pypy``, ``python``.

    None when no prefix fits or what follows is no version (``python3.6m``: an executable name).
    """
    for prefix in _PREFIXES:
        if not lowered.startswith(prefix):
            continue
        rest = lowered[len(prefix) :]
        implementation = IMPLEMENTATION_NAMES.get(prefix)
        if not rest:
            return Request(text, implementation=implementation)
        if rest.startswith("@"):  # the part after @ must be a version
            after = rest[1:].strip()
            if not after:
                raise _rejected(text, "nothing after the @")
            return _versioned(text, implementation, after[1:] if after[:1] == "v" and after[1:2].isdigit() else after)
        if rest.lstrip().startswith(_OPERATOR_START):  # virtualenv: cpython>=3.12, cpython >=3.12
            return _versioned(text, implementation, rest.strip())
        if rest.startswith("v") and rest[1:2].isdigit():  # cpythonv3.12: a leading v, as on 3.12
            rest = rest[1:]
        if rest[0].isdigit():
            try:
                return _versioned(text, implementation, rest)
            except _NoFreeThreadedBuild:
                raise  # cpython3.12t as 3.12t: a usage error, not an executable name
            except ValueError:
                return None
        return None
    return None


def _on_path(name: str) -> bool:
    """Is there a program called ``name`` on ``PATH`` (``wrap py``, ``pythön3``)? Asked only
    of a name the pattern refuses, never of ``3.12``: ``shutil`` stays off the warm path."""
    import shutil

    return "\0" not in name and shutil.which(name) is not None


class _NoFreeThreadedBuild(ValueError):
    """``3.12t``: that line has no free-threaded build, however the request spells it."""


def _versioned(text: str, implementation: str | None, part: str) -> Request:
    """A version or specifier with an optional variant suffix, as a request."""
    body, free_threaded, debug = _split_variant(part)
    specifier = _version_specifier(text, body)
    exact = len(specifier.clauses) == 1 and specifier.clauses[0].op == "=="
    if free_threaded and exact:  # a release line or a release: uv refuses 3.12t and 3.12.1t
        line = specifier.clauses[0].version.release
        if len(line) >= 2 and line[:2] < (3, 13):
            line_text = ".".join(map(str, line[:2]))
            raise _NoFreeThreadedBuild(_rejected(text, f"Python {line_text} has no free-threaded build").args[0])
    return Request(text, implementation=implementation, specifier=specifier, free_threaded=free_threaded, debug=debug)


def _split_variant(part: str) -> tuple[str, bool | None, bool | None]:
    """``3.13t`` -> (``3.13``, True, None); the variant is what follows the last digit."""
    last = max((i for i, c in enumerate(part) if c.isdigit()), default=-1)
    suffix = part[last + 1 :]
    name = suffix[1:] if suffix.startswith("+") else suffix
    if last < 0 or name not in VARIANTS:
        return part, None, None
    return part[: last + 1], *VARIANTS[name]


def _bare(body: str) -> tuple[str, str | None] | None:
    """``3.12`` as (release, None) or ``3.13rc2`` as (release, pre-release), else None."""
    if plain_release(body) is not None:  # the common case, without compiling ``_BARE``
        return body, None
    found = _fullmatch(_BARE, body)
    return None if found is None else (found["release"], found["pre"])


def _version_specifier(text: str, body: str) -> Specifier:
    bare = _bare(body)
    if bare is None:
        if not body.startswith(_OPERATOR_START) and "," not in body and not body.endswith(".*"):
            raise _rejected(text)
        try:
            return Specifier.parse(body)
        except ValueError as error:
            raise _rejected(text, str(error)) from None
    release_text, pre = bare
    release = tuple(int(part) for part in release_text.split("."))
    if len(release) == 1 and len(release_text) > 1:  # wheel-tag spelling: 312 is 3.12, 38 is 3.8
        release = (int(release_text[0]), int(release_text[1:]))
    if len(release) > 3:
        raise _rejected(text, "a version has at most three parts")
    if pre:
        if len(release) == 1:
            raise _rejected(text, "a pre-release needs a minor version (3.13rc2)")
        return Specifier.exactly(Version.parse(".".join(map(str, release)) + pre))
    if len(release) == 3:  # 3.12.1: that release, never one of its pre-releases
        return Specifier.exactly(Version(release))
    return Specifier.line(release)


def _key_request(text: str, lowered: str) -> Request | None:
    """uv's ``cpython-3.12.1-linux-x86_64-gnu`` (any part may be ``any``), or None."""
    match = _fullmatch(_KEY, lowered)
    if match is None or (match["impl"] not in IMPLEMENTATION_NAMES and match["impl"] != "any"):
        return None
    implementation = None if match["impl"] == "any" else IMPLEMENTATION_NAMES[match["impl"]]
    request = Request(text, implementation=implementation)
    if match["version"] != "any":
        request = replace(_versioned(text, implementation, match["version"]), text=text)
    os_name, arch, libc = match["os"], match["arch"], match["libc"]
    if os_name not in (None, "any") and os_name not in _OS_NAMES:
        raise _rejected(text, f"unknown operating system {os_name!r}")
    if libc not in (None, "any") and libc not in _LIBCS:
        raise _rejected(text, f"unknown libc {libc!r} (gnu, musl, none)")
    return replace(
        request,
        os=None if os_name in (None, "any") else _OS_NAMES[os_name],
        machine=None if arch in (None, "any") else normalise_arch(arch),
        libc=None if libc in (None, "any") else libc,
    )


def _path_request(text: str, stripped: str) -> Request:
    path = normalize_path(stripped)
    if os.path.isdir(path):  # a venv or an installation: its interpreter
        for name in ("python3", "python"):
            candidate = os.path.join(path, "bin", name)
            if os.path.lexists(candidate):  # a broken link too: its error says where it leads
                return Request(text, path=candidate)
    return Request(text, path=path)


def rank(
    records: Sequence[Record],
    request: Request,
    *,
    active_venv: str | None = None,
    source_order: Mapping[int, int] | None = None,
    arch: str | None = None,
    allow_venv: bool = True,
) -> list[Record]:
    """The interpreters that match ``request``, best first, in the order the module docstring states.

    ``active_venv`` is ``$VIRTUAL_ENV``; ``source_order`` maps a record id to the rank of the
    best discovery source that found it (lower is preferred; unknown ids go after known ones).
    Paths to one interpreter count once: the result holds one record per interpreter, the one
    ``interpdb.aliases`` prefers (never a shim when another path leads there), carrying the
    others in ``aliases``.
    """
    from interpdb.aliases import group, identity

    order = dict(source_order or {})
    candidates = [record for record in records if request.matches(record, arch=arch, allow_venv=allow_venv)]
    members: dict[tuple[object, ...], list[Record]] = {}
    for record in candidates:
        members.setdefault(identity(record), []).append(record)
    leaders = group(candidates, order)
    for leader in leaders:  # an interpreter is found as early as its earliest path
        known = [order[r.id] for r in members[identity(leader)] if r.id in order]
        if known:
            order[leader.id] = min(known)
    if request.path is not None or not active_venv:
        return _by_preference(leaders, request, order)
    active = os.path.normpath(active_venv)
    # The active venv by any of its paths (a symlinked project folder, pyenv-virtualenv's
    # versions/NAME): the group's leader may be another spelling of it.
    config = _file_key(os.path.join(active, "pyvenv.cfg"))
    chosen = {
        identity(leader)
        for leader in leaders
        if any(in_venv(r, active) or _has_config(r, config) for r in members[identity(leader)])
    }
    first = [r for r in leaders if identity(r) in chosen]
    rest = [r for r in leaders if identity(r) not in chosen]
    return _by_preference(first, request, order) + _by_preference(rest, request, order)


def _file_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _has_config(record: Record, key: tuple[int, int] | None) -> bool:
    """Is ``key`` (device, inode) the pyvenv.cfg ``record``'s fingerprint holds?"""
    from interpdb.aliases import venv_config

    config = venv_config(record) if key is not None and record.is_venv else None
    return config is not None and (config.dev, config.ino) == key


def in_venv(record: Record, prefix: str) -> bool:
    """Is ``record`` an interpreter of the venv at ``prefix`` (``$VIRTUAL_ENV``, normalised)?"""
    return bool(record.prefix and os.path.normpath(record.prefix) == prefix)


def build_rank(record: Record, request: Request) -> int:
    """The build preferences within a release line as one number, lower first: 4 for an
    implementation other than CPython, plus 2 for a debug build and 1 for a free-threaded
    one when the request leaves that open. ``store.read.venvs_that_may_outrank`` says the same in SQL."""
    return (
        4 * ((record.implementation or "").lower() != "cpython")
        + 2 * (request.debug is None and bool(record.debug_build))
        + (request.free_threaded is None and bool(record.free_threaded))
    )


def line_of(record: Record) -> tuple[int, int] | None:
    """The release line ``rank`` sorts ``record`` by (``(3, 12)``); None when its version cannot be read."""
    parsable, line = _line_key(record)
    return (line[0], line[1]) if parsable else None


def _by_preference(records: list[Record], request: Request, source_order: Mapping[int, int]) -> list[Record]:
    def build(record: Record) -> tuple[int, bool]:
        return build_rank(record, request), bool(record.is_venv)

    def discovered(record: Record) -> tuple[bool, int, int]:
        return record.id not in source_order, source_order.get(record.id, 0), record.id

    # Stable sorts from the least to the most significant rule: discovery order, the
    # micro version, the build preferences, then the release line, which outranks all.
    ordered = sorted(records, key=discovered)
    ordered.sort(key=_version_key, reverse=True)
    ordered.sort(key=build)
    ordered.sort(key=_line_key, reverse=True)
    return ordered


def _line_key(record: Record) -> tuple[bool, tuple[int, ...]]:
    parsable, version = _version_key(record)
    return parsable, (*version.release, 0, 0)[:2]


def _version_key(record: Record) -> tuple[bool, Version]:
    """Newest first once reversed; a record whose version is missing or unreadable goes last."""
    parsed = cached_parse(record.version or "")
    return (False, _UNKNOWN) if parsed is None else (True, parsed)


_UNKNOWN = Version((0,))
