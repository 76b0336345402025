"""The probe's answer: found in what the interpreter printed, bounded, and checked against one shape.

The interpreter is not trusted. A ``sitecustomize.py`` or a ``.pth`` may print before
or after the probe, a fake may print anything, so the probe frames its JSON between
two markers built from a random token chosen per run (``markers``); what else was
printed is kept, cut short, as a note. The framed text is then bounded before it is
decoded (nesting depth, found by a scan that never recurses: ``json.loads`` would
raise RecursionError on 100,000 nested brackets) and checked against ``SHAPE``
(types, sizes, ranges) before anything is stored. Every way of failing is one
:class:`AnswerError` with a one-line reason; the caller records it as a failed probe.

The limits are far above anything a real interpreter prints (a real answer is about
10 KiB, 3 levels deep, with a few dozen ``sys.path`` entries) and are documented in
the README's Reliability section.
"""

from __future__ import annotations

import json

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    Check = Callable[[Any, str], "str | None"]

#: Deepest nesting of arrays and objects accepted (a real answer has 3 levels).
MAX_DEPTH = 8
#: Most items in one list or object (a 10,000-entry ``sys.path`` is valid).
MAX_ITEMS = 50_000
#: Longest string, in characters (Linux paths stop at 4,096 bytes).
MAX_STRING = 16_384
#: Longest run of digits in a number (no real answer has more than 7).
_MAX_DIGITS = 100
#: What else the interpreter printed to stdout, kept as ``probe_output`` (characters).
NOTE_LIMIT = 400


class AnswerError(ValueError):
    """Why the output is not a probe answer, one line (recorded as the probe's error)."""


def markers(token: str) -> tuple[bytes, bytes]:
    """The lines the probe prints before and after its JSON (see ``_probe_script.main``)."""
    return f"<<interpdb-answer {token}>>".encode(), f"<<interpdb-end {token}>>".encode()


def parse(stdout: bytes, token: str) -> tuple[dict[str, Any], str | None]:
    """The validated answer framed by ``token`` in ``stdout``, and a note of what else was printed."""
    begin, end = markers(token)
    start = stdout.find(begin)
    stop = stdout.find(end, start + len(begin)) if start >= 0 else -1
    if start < 0 or stop < 0:
        shown = stdout[:60].decode("utf-8", "replace").strip() or "nothing"
        raise AnswerError(f"not a Python interpreter: printed {shown!r} instead of the probe's answer")
    body = stdout[start + len(begin) : stop]
    document = decode(body)
    problem = SHAPE(document, "") or disagreement(document)
    if problem is not None:
        raise AnswerError(f"probe answer: {problem}")
    other = (stdout[:start] + stdout[stop + len(end) :]).strip()
    note = None
    if other:
        text = printed_text(other)
        note = text if len(text) <= NOTE_LIMIT else text[: NOTE_LIMIT - 1] + "…"
    return document, note


def printed_text(raw: bytes) -> str:
    """What an interpreter printed, as storable text (PostgreSQL's too): a byte that is not
    UTF-8 as ``\\xff``, a NUL as ``\\x00``."""
    return raw.decode("utf-8", "backslashreplace").replace("\0", "\\x00")


def disagreement(document: Mapping[str, Any]) -> str | None:
    """Two answers to one question that disagree (a binary that lies): ``python_version``
    is what ``find`` and ``list --version`` match, ``version_info`` what ranks."""
    major, minor, micro = document["version_info"][:3]
    numbers = f"{major}.{minor}.{micro}"
    text = document["python_version"]
    if text == numbers or (text.startswith(numbers) and not text[len(numbers)].isdigit()):
        return None  # 3.12.1, 3.13.0rc1, 3.12.1+
    return f"'python_version' {_shown(text)} is not version_info's {numbers}"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:39] + "…").encode("ascii", "backslashreplace").decode("ascii")


#: Every byte but the brackets is deleted before the depth scan; openers become "(".
_BRACKETS_ONLY = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_problem(body: bytes, max_depth: int = MAX_DEPTH) -> str | None:
    """Why ``body`` must not reach ``json.loads`` (too deep, unbalanced, a huge number), or None.

    A scan at C speed that never recurses: strings are blanked first (brackets in
    them do not nest), then each pass removes the innermost bracket pairs, so after
    ``max_depth`` passes a document no deeper than that has none left.
    """
    import re

    outside = re.sub(rb'"[^"\\]*(?:\\.[^"\\]*)*"', b"", body)
    brackets = outside.translate(_BRACKETS_ONLY, _NOT_BRACKETS)
    for _ in range(max_depth):
        shorter = brackets.replace(b"()", b"")
        if shorter == brackets:
            break
        brackets = shorter
    if b"()" in brackets:
        return f"nested deeper than {max_depth} levels"
    if brackets:
        return "not valid JSON (its brackets do not match)"
    # Python before 3.11 converts a long run of digits in quadratic time.
    if re.search(rb"[0-9]{%d}" % (_MAX_DIGITS + 1), outside):
        return f"a number longer than {_MAX_DIGITS} digits"
    return None


def decode(body: bytes) -> Any:
    """``json.loads`` of ``body`` once its nesting is known to be at most MAX_DEPTH."""
    problem = nesting_problem(body)
    if problem is not None:
        raise AnswerError(f"probe answer: {problem}")
    try:
        return json.loads(body)
    except ValueError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise AnswerError(f"probe answer: not valid JSON ({reason[:120]})") from None


# -- the shape ------------------------------------------------------------------------------


def _name(where: str) -> str:
    """A field's name for the one-line reason: storable (no lone surrogates) and short."""
    if not where:
        return "the answer"
    shown = where.encode("utf-8", "backslashreplace").decode("utf-8")
    shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)
    return f"'{shown if len(shown) <= 80 else shown[:79] + '…'}'"


def text(limit: int = MAX_STRING, *, empty: bool = True) -> Check:
    """A string of at most ``limit`` characters; ``empty=False``: at least one."""

    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, str):
            return f"{_name(where)} is not a string"
        if not value and not empty:
            return f"{_name(where)} is empty"
        if len(value) > limit:
            return f"{_name(where)} is longer than {limit} characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{_name(where)} is not valid UTF-8"
        if "\0" in value:  # no path holds one, no PostgreSQL text column takes one
            return f"{_name(where)} contains a NUL character"
        return None

    return check


def integer(low: int, high: int) -> Check:
    def check(value: Any, where: str) -> str | None:
        if type(value) is not int:  # not bool, not float
            return f"{_name(where)} is not an integer"
        if not low <= value <= high:
            return f"{_name(where)} is out of range ({low}..{high})"
        return None

    return check


def boolean(value: Any, where: str) -> str | None:
    return None if type(value) is bool else f"{_name(where)} is not a boolean"


def optional(inner: Check) -> Check:
    def check(value: Any, where: str) -> str | None:
        return None if value is None else inner(value, where)

    return check


def array(item: Check, min_len: int = 0, max_len: int = MAX_ITEMS) -> Check:
    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, list):
            return f"{_name(where)} is not a list"
        if not min_len <= len(value) <= max_len:
            size = f"{min_len}" if min_len == max_len else f"{min_len}..{max_len}"
            return f"{_name(where)} has {len(value)} items, not {size}"
        for i, each in enumerate(value):
            problem = item(each, f"{where}[{i}]")
            if problem is not None:
                return problem
        return None

    return check


def sequence(*items: Check) -> Check:
    """A list of fixed length, one check per position (``version_info``)."""
    whole = array(lambda _v, _w: None, len(items), len(items))

    def check(value: Any, where: str) -> str | None:
        problem = whole(value, where)
        if problem is not None:
            return problem
        for i, (each, item) in enumerate(zip(value, items)):
            problem = item(each, f"{where}[{i}]")
            if problem is not None:
                return problem
        return None

    return check


def mapping(value_check: Check) -> Check:
    """An object with any string keys (``markers``, ``sysconfig_paths``)."""
    key_check = text(MAX_STRING)

    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{_name(where)} is not an object"
        if len(value) > MAX_ITEMS:
            return f"{_name(where)} has more than {MAX_ITEMS} keys"
        for key, each in value.items():
            problem = key_check(key, f"{where} key") or value_check(each, f"{where}.{key}" if where else key)
            if problem is not None:
                return problem
        return None

    return check


def one_of(*allowed: str) -> Check:
    def check(value: Any, where: str) -> str | None:
        return None if value in allowed else f"{_name(where)} is not one of {', '.join(allowed)}"

    return check


def record(fields: dict[str, Check], required: frozenset[str] = frozenset()) -> Check:
    """An object with these keys only; ``required`` ones must be present."""

    def check(value: Any, where: str) -> str | None:
        if not isinstance(value, dict):
            return f"{_name(where)} is not an object"
        for key in sorted(required - value.keys()):
            return f"{_name(f'{where}.{key}' if where else key)} is missing"
        for key, each in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if key not in fields:
                return f"{_name(inner)} is not a key the probe prints"
            problem = fields[key](each, inner)
            if problem is not None:
                return problem
        return None

    return check


_PATH = text()
_OPT_PATH = optional(_PATH)
_SHORT = text(255)
_OPT_SHORT = optional(_SHORT)

#: Keys a document must have to count as a probe's answer.
REQUIRED_KEYS = frozenset({"implementation_name", "python_version", "version_info", "executable", "prefix", "sys_path"})

#: What ``_probe_script.main`` prints, key by key. Column widths follow ``interpdb.store.models``
#: (``implementation`` 32, versions 64, ``version_releaselevel`` 16, ``platform`` 64).
FIELDS: dict[str, Check] = {
    "probe_format": integer(0, 1_000),
    "implementation_name": text(32, empty=False),  # what find and list filter on
    "implementation_version": text(64),
    "python_version": text(64, empty=False),
    "version_info": sequence(integer(0, 99), integer(0, 999), integer(0, 9_999), text(16), integer(0, 999)),
    "sys_version": text(4_096),
    "executable": _OPT_PATH,
    "real_executable": _OPT_PATH,
    "base_executable": _OPT_PATH,
    "prefix": _PATH,
    "base_prefix": _OPT_PATH,
    "exec_prefix": _OPT_PATH,
    "base_exec_prefix": _OPT_PATH,
    "is_venv": boolean,
    "sys_path": array(_PATH),
    "site_packages": array(_PATH),
    "user_site": _OPT_PATH,
    "user_base": _OPT_PATH,
    "enable_user_site": optional(boolean),
    "sysconfig_paths": mapping(_PATH),
    "platform": optional(text(64)),
    "sys_platform": _SHORT,
    "pointer_size": integer(8, 256),
    "free_threaded": boolean,
    "gil_enabled": boolean,
    "debug_build": boolean,
    "abiflags": _SHORT,
    "soabi": _OPT_SHORT,
    "ext_suffix": _OPT_SHORT,
    "libc": record({"name": _OPT_SHORT, "version": _OPT_SHORT, "path": _OPT_PATH}),
    "libpython": _OPT_PATH,
    "pyvenv_cfg": optional(record({"path": _PATH, "values": mapping(_PATH)}, frozenset({"path", "values"}))),
    "markers": mapping(text(4_096)),
    "manylinux": record({"glibc": _OPT_SHORT, "arch": _OPT_SHORT, "tags": array(_SHORT), "override": _OPT_PATH}),
    "site_modules": array(_PATH),
    "modules": mapping(_OPT_PATH),
    "byteorder": _SHORT,
    "maxunicode": integer(0, 0x10FFFF),
}
SHAPE: Check = record(FIELDS, REQUIRED_KEYS)

#: What interpdb itself adds to a stored answer (``interpdb.service``, ``probe``): an
#: imported document's ``data`` must fit ``STORED_SHAPE``.
STORED_FIELDS: dict[str, Check] = {
    **FIELDS,
    "probe_output": text(NOTE_LIMIT),
    "probed_via": _PATH,
    "launcher": record(
        {name: _OPT_PATH for name in ("kind", "manager", "command", "version", "origin", "target")},
    ),
}
STORED_SHAPE: Check = record(STORED_FIELDS, REQUIRED_KEYS)
