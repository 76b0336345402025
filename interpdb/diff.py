"""What changed in an interpreter's answer from one probe to the next.

The fingerprint says *why* interpdb probed again (a ``.pth`` file appeared); this
module says *what the interpreter now answers differently* (``sys.path`` gained a
directory). It compares two probe documents (what ``_probe_script`` prints and
``probes.data`` keeps) and nothing else: no database, no I/O, so the history
command, tests and any library caller share one definition of "changed".

Lists whose order means something (``sys.path``, site-packages) are compared entry
by entry: an entry is *moved* only when its order relative to the entries both
lists share changed, so inserting one directory at the front reports one addition,
not every later entry shifted by one.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["added", "removed", "moved", "changed"]

#: Display names for probe keys whose own name reads worse than the usual one.
_NAMES = {
    "python_version": "version",
    "implementation_name": "implementation",
    "sys_path": "sys.path",
    "site_packages": "site-packages",
}

#: Lists compared entry by entry; True when the order of entries matters.
_LISTS: dict[tuple[str, ...], bool] = {
    ("sys_path",): True,
    ("site_packages",): True,
    ("manylinux", "tags"): False,
}

#: Top-level keys that say nothing about the interpreter: the probe's own format
#: number, and ``version_info``, which ``python_version`` already reports.
_SKIPPED = frozenset({"probe_format", "version_info"})

#: The order people look for things in; other keys follow alphabetically.
_FIRST = (
    "python_version",
    "implementation_name",
    "implementation_version",
    "sys_version",
    "executable",
    "real_executable",
    "base_executable",
    "prefix",
    "base_prefix",
    "exec_prefix",
    "base_exec_prefix",
    "is_venv",
    "pyvenv_cfg",
    "sys_path",
    "site_packages",
    "user_site",
    "user_base",
    "enable_user_site",
    "markers",
    "manylinux",
)
_RANK = {key: rank for rank, key in enumerate(_FIRST)}
_MISSING = object()


@dataclass(frozen=True)
class DiffItem:
    """One difference between two probe documents.

    ``field`` is a dotted name (``sys.path``, ``markers.platform_release``). For
    ``changed``, ``old`` and ``new`` are the two values. For ``added``/``removed``
    ``value`` is the list entry (or the whole value of a key that appeared or
    vanished) and ``new``/``old`` its 0-based position in the list, when it is in
    one; for ``moved`` they are its position before and after.
    """

    field: str
    kind: Kind
    value: Any = None
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "kind": self.kind, "value": self.value, "old": self.old, "new": self.new}

    def __str__(self) -> str:
        """``sys.path + /dir``, ``sys.path - /dir``, ``sys.path ~ /dir (2 -> 5)``, ``version 3.12.0 -> 3.12.1``."""
        if self.kind == "changed":
            return f"{self.field} {_show(self.old)} -> {_show(self.new)}"
        if self.kind == "moved":
            return f"{self.field} ~ {_show(self.value)} ({self.old} -> {self.new})"
        return f"{self.field} {'+' if self.kind == 'added' else '-'} {_show(self.value)}"


def diff_probe_data(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[DiffItem]:
    """What ``new`` answers differently from ``old``, in a stable order.

    Either side missing (a first probe, a failed one) means there is nothing to
    compare: the answer is empty, and the caller says why.
    """
    if old is None or new is None:
        return []
    out: list[DiffItem] = []
    for key in _keys(old, new, top=True):
        if key in _SKIPPED or _redundant(key, old, new):
            continue
        _compare((key,), old.get(key, _MISSING), new.get(key, _MISSING), out)
    return out


def _redundant(key: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Values that only repeat a version change already reported."""
    if key == "implementation_version":
        # CPython's implementation version is its Python version: say it once.
        return all(doc.get("implementation_version") == doc.get("python_version") for doc in (old, new))
    if key == "sys_version":
        # The build string follows the version; alone, it tells of a rebuild.
        return old.get("python_version") != new.get("python_version")
    return False


def _keys(old: Mapping[str, Any], new: Mapping[str, Any], top: bool = False) -> list[str]:
    keys = set(old) | set(new)
    if top:
        return sorted(keys, key=lambda k: (_RANK.get(k, len(_RANK)), k))
    return sorted(keys)


def _name(path: tuple[str, ...]) -> str:
    return ".".join((_NAMES.get(path[0], path[0]), *path[1:]))


def _compare(path: tuple[str, ...], old: Any, new: Any, out: list[DiffItem]) -> None:
    name = _name(path)
    if path in _LISTS:
        _compare_lists(name, _as_list(old), _as_list(new), ordered=_LISTS[path], out=out)
    elif _is_table(old, new):
        # A table that appeared (``pyvenv_cfg`` from None) lists each of its keys as added.
        before: Mapping[str, Any] = old if isinstance(old, Mapping) else {}
        after: Mapping[str, Any] = new if isinstance(new, Mapping) else {}
        for key in _keys(before, after):
            _compare((*path, key), before.get(key, _MISSING), after.get(key, _MISSING), out)
    elif old is _MISSING:
        out.append(DiffItem(name, "added", value=new))
    elif new is _MISSING:
        out.append(DiffItem(name, "removed", value=old))
    elif old != new or type(old) is not type(new):
        out.append(DiffItem(name, "changed", old=old, new=new))


def _is_table(old: Any, new: Any) -> bool:
    """Both sides a mapping, or one a mapping and the other absent or null."""
    if not (isinstance(old, Mapping) or isinstance(new, Mapping)):
        return False
    return all(isinstance(side, Mapping) or side is None or side is _MISSING for side in (old, new))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _compare_lists(name: str, old: list[Any], new: list[Any], ordered: bool, out: list[DiffItem]) -> None:
    """Removed entries in old order, then added and moved ones in new order."""
    old_keys, new_keys = _occurrences(old), _occurrences(new)
    new_position = {key: i for i, key in enumerate(new_keys)}
    old_position = {key: i for i, key in enumerate(old_keys)}
    for i, key in enumerate(old_keys):
        if key not in new_position:
            out.append(DiffItem(name, "removed", value=old[i], old=i))
    shared = [key for key in old_keys if key in new_position]
    stayed = _longest_increasing([new_position[key] for key in shared]) if ordered else None
    for i, key in enumerate(new_keys):
        if key not in old_position:
            out.append(DiffItem(name, "added", value=new[i], new=i))
        elif stayed is not None and i not in stayed:
            out.append(DiffItem(name, "moved", value=new[i], old=old_position[key], new=i))


def _occurrences(items: Sequence[Any]) -> list[tuple[str, int]]:
    """Each entry as (entry, how many equal ones came before): a path listed twice is two entries."""
    seen: dict[str, int] = {}
    keys = []
    for item in items:
        text = item if isinstance(item, str) else json.dumps(item, sort_keys=True)
        keys.append((text, seen.get(text, 0)))
        seen[text] = seen.get(text, 0) + 1
    return keys


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """The values of one longest strictly increasing subsequence (patience sorting).

    ``values`` are the new positions of the shared entries in their old order: the
    entries on this subsequence kept their relative order; the others moved.
    """
    tails: list[int] = []  # tails[k]: index (into values) of the smallest tail of a run of length k+1
    tail_values: list[int] = []
    parent: list[int | None] = [None] * len(values)
    for i, value in enumerate(values):
        k = bisect_left(tail_values, value)
        parent[i] = tails[k - 1] if k else None
        if k == len(tails):
            tails.append(i)
            tail_values.append(value)
        else:
            tails[k] = i
            tail_values[k] = value
    kept: set[int] = set()
    at = tails[-1] if tails else None
    while at is not None:
        kept.add(values[at])
        at = parent[at]
    return kept


def _show(value: Any) -> str:
    """Strings as they are (one line); anything else as JSON (``true``, ``null``, lists)."""
    if isinstance(value, str) and value:
        return value.replace("\r", "\\r").replace("\n", "\\n")
    return json.dumps(value, sort_keys=True)
