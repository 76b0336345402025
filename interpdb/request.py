"""What ``interpdb find REQUEST`` asks for, and which known interpreter answers it best.

A request is one of:

- a version or release line: ``3``, ``3.12``, ``3.12.1``, ``3.13.0rc2``; a trailing ``t``
  (``3.13t``) asks for a free-threaded build;
- a version specifier: ``>=3.10,<3.13``, ``~=3.11``, ``==3.12.*``, ``!=3.8.*``;
- an implementation, alone or with a version: ``cpython``, ``pypy``, ``graalpy``,
  ``cpython3.12``, ``pypy3.10``, ``cpython3.13t``, ``cpython@3.12``, ``pypy@>=3.9``;
- an executable name: ``python``, ``python3``, ``python3.12``, ``python3.13t``;
- ``any`` or nothing at all;
- a path (it contains a ``/``, or starts with ``.`` or ``~``): exactly that file.

Versions are always the Python language version (``sys.version_info``), also for PyPy
and GraalPy, whose own release numbers differ. An executable name implies a version
and no implementation: ``python3.12`` is the name CPython, PyPy and GraalPy venvs all
provide, and the ranking below already puts CPython first.

Only working interpreters are candidates: status ``cached``, ``probed`` or ``stale``
with a probe outcome of ``ok``. Every filter (request, ``--implementation``, architecture,
the venv switch) applies to every request, an explicit path included.

Preference order, best first:

1. An explicit path request returns only that path's record.
2. The active virtual environment (the record whose prefix is ``$VIRTUAL_ENV``), if it
   matches the request.
3. The newest matching release line (``3.13`` before ``3.12``); within a line, CPython
   before other implementations, release before debug builds, the default build before
   a free-threaded one (unless free-threading was requested), a base interpreter before
   a virtual environment, and then the newest micro (and pre-release) version. So
   ``find 3.10`` picks CPython 3.10.12 over PyPy 3.10.14: the line decides first, the
   implementation next, the micro version last.
4. Ties go to the interpreter found by the earlier discovery source (``PATH`` before
   version managers), then to the one interpdb has known longest (lower id).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from interpdb.records import Record
from interpdb.versions import Specifier, Version

#: Statuses of records that may answer a request (``missing`` and ``error`` never do).
CANDIDATE_STATUSES = ("cached", "probed", "stale")
#: Implementations a request may name; ``--implementation`` accepts any name.
IMPLEMENTATIONS = ("cpython", "pypy", "graalpy")
#: ``platform.machine()`` spellings of one architecture, mapped to the Linux one.
ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}

_ACCEPTED = (
    "expected a version (3.12, 3.12.1, 3.13t), a specifier (>=3.10,<3.13, ~=3.11), "
    "an implementation with an optional version (cpython, pypy3.10, cpython@3.12, graalpy), "
    "an executable name (python3.12), a path, or 'any'"
)
# [0-9], not \d: a request in other scripts' digits is more likely a typo than a version.
_BARE = re.compile(r"^(?P<release>[0-9]+(?:\.[0-9]+){0,2})(?P<pre>(?:a|b|rc)[0-9]+)?(?P<t>t)?$")
_IMPLEMENTATION = re.compile(r"^(?P<name>" + "|".join(IMPLEMENTATIONS) + r")(?:(?P<at>@)(?P<spec>.*)|(?P<version>.*))$")
_EXECUTABLE = re.compile(r"^python(?:(?P<release>[0-9]+(?:\.[0-9]+)?)(?P<t>t)?)?$")
_OPERATOR_START = ("<", ">", "=", "!", "~=")


@dataclass(frozen=True)
class Request:
    """A parsed request; ``None`` in a field means "any"."""

    text: str
    implementation: str | None
    specifier: Specifier | None
    free_threaded: bool | None
    path: str | None
    executable_name: str | None

    def matches(self, record: Record, *, arch: str | None = None, allow_venv: bool = True) -> bool:
        """Whether ``record`` is a working interpreter that satisfies every part of the request."""
        if record.status not in CANDIDATE_STATUSES or record.outcome != "ok":
            return False
        if self.path is not None and record.path != self.path:
            return False
        if self.implementation is not None and (record.implementation or "").lower() != self.implementation:
            return False
        if self.specifier is not None and not self.specifier.contains(record.version or ""):
            return False
        if self.free_threaded is not None and bool(record.free_threaded) != self.free_threaded:
            return False
        if not allow_venv and record.is_venv:
            return False
        if arch is not None:
            # An interpreter whose machine is unknown cannot satisfy an explicit architecture.
            machine = record.markers.get("platform_machine")
            if not isinstance(machine, str) or normalise_arch(machine) != normalise_arch(arch):
                return False
        return True


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
    wanted = (implementation or "").strip().lower() or None
    if wanted is None:
        return request
    if request.implementation is not None and request.implementation != wanted:
        raise ValueError(
            f"{text.strip()!r} asks for {request.implementation}, which conflicts with --implementation {wanted}"
        )
    return replace(request, implementation=wanted)


def _parse(text: str) -> Request:
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("", "any"):
        return Request(text, None, None, None, None, None)
    if lowered.startswith(_OPERATOR_START):  # before paths: ``~=3.11`` starts with ``~`` too
        specifier, free_threaded = _version_part(lowered, text)
        return Request(text, None, specifier, free_threaded, None, None)
    if _is_path(stripped):
        if "\0" in stripped:
            raise ValueError(f"{text!r} is not an interpreter request: a path cannot contain a NUL byte; {_ACCEPTED}")
        return Request(text, None, None, None, os.path.abspath(os.path.expanduser(stripped)), None)
    match = _EXECUTABLE.match(lowered)
    if match:
        release = match.group("release")
        line = None if release is None else Specifier.parse(release)  # python3.12 means the 3.12 line
        return Request(text, None, line, True if match.group("t") else None, None, lowered)
    match = _IMPLEMENTATION.match(lowered)
    if match:
        name = match.group("name")
        if match.group("at"):  # cpython@3.12, pypy@>=3.9: the part after @ is required
            specifier, free_threaded = _version_part(match.group("spec"), text)
            return Request(text, name, specifier, free_threaded, None, None)
        if not match.group("version"):
            return Request(text, name, None, None, None, None)
        if _BARE.match(match.group("version")):  # cpython3.12; an operator needs the @ form
            specifier, free_threaded = _version_part(match.group("version"), text)
            return Request(text, name, specifier, free_threaded, None, None)
        raise _rejected(text)
    specifier, free_threaded = _version_part(lowered, text)
    return Request(text, None, specifier, free_threaded, None, None)


def _is_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.startswith((".", "~"))


def _version_part(part: str, text: str) -> tuple[Specifier, bool | None]:
    """``3.12`` / ``3.13t`` / ``3.13.0rc2`` / ``>=3.10,<3.13``: a specifier and the free-threading wish."""
    bare = _BARE.match(part)
    if bare:
        release, pre = bare.group("release"), bare.group("pre")
        # A bare release is a line (3.12 means 3.12.*); a pre-release names one exact version.
        specifier = Specifier.parse(f"=={release}{pre}" if pre else release)
        return specifier, True if bare.group("t") else None
    if not part.startswith(_OPERATOR_START) and "," not in part:
        raise _rejected(text)
    try:
        specifier = Specifier.parse(part)
    except ValueError as error:
        raise ValueError(f"{text.strip()!r} is not an interpreter request ({error}); {_ACCEPTED}") from None
    for op, value in specifier.clauses:
        # versions.Specifier accepts >=3.10.* and then matches nothing; say so instead.
        if value.endswith(".*") and op not in ("==", "!="):
            raise ValueError(
                f"{text.strip()!r} is not an interpreter request ({op}{value}: .* needs == or !=); {_ACCEPTED}"
            )
    return specifier, None


def _rejected(text: str) -> ValueError:
    return ValueError(f"{text.strip()!r} is not an interpreter request; {_ACCEPTED}")


def rank(
    records: Sequence[Record],
    request: Request,
    *,
    active_venv: str | None = None,
    source_order: Mapping[int, int] | None = None,
    arch: str | None = None,
    allow_venv: bool = True,
) -> list[Record]:
    """The records that match ``request``, best first, in the order the module docstring states.

    ``active_venv`` is ``$VIRTUAL_ENV``; ``source_order`` maps a record id to the rank of the
    best discovery source that found it (lower is preferred; unknown ids go after known ones).
    """
    candidates = [record for record in records if request.matches(record, arch=arch, allow_venv=allow_venv)]
    if request.path is not None:
        return _by_preference(candidates, request, source_order or {})
    order = source_order or {}
    if not active_venv:
        return _by_preference(candidates, request, order)
    active = os.path.normpath(active_venv)
    first = [r for r in candidates if r.prefix and os.path.normpath(r.prefix) == active]
    rest = [r for r in candidates if not (r.prefix and os.path.normpath(r.prefix) == active)]
    return _by_preference(first, request, order) + _by_preference(rest, request, order)


def _by_preference(records: list[Record], request: Request, source_order: Mapping[int, int]) -> list[Record]:
    def build(record: Record) -> tuple[bool, bool, bool, bool]:
        unwanted_free_threading = request.free_threaded is None and bool(record.free_threaded)
        return (
            (record.implementation or "").lower() != "cpython",
            bool(record.debug_build),
            unwanted_free_threading,
            bool(record.is_venv),
        )

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
    try:
        return True, Version.parse(record.version or "")
    except ValueError:
        return False, Version((0,))
