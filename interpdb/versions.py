"""Python version numbers and the specifiers people filter them with.

A deliberately small subset of PEP 440, enough for interpreter versions
(``3.12.1``, ``3.13.0rc2``, ``3.14.0a1``, ``2.7.18``) and the specifiers a user
types: ``>=3.10``, ``>=3.9,<3.13``, ``~=3.11``, ``==3.12.*``, ``!=3.8.*``, and a bare
prefix such as ``3.12`` or ``3``, which means "that release line". Written here
rather than depending on ``packaging``: it is forty lines, and ``list`` imports it
on its warm path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_VERSION = re.compile(r"^\s*v?(\d+(?:\.\d+)*)(?:(a|b|rc|c)(\d+))?(?:\+\S*)?\s*$", re.IGNORECASE)
_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|>=|<=|>|<)?\s*(\S+?)\s*$")
_PRE = {"a": 0, "b": 1, "rc": 2, "c": 2}
_FINAL = 3


@total_ordering
@dataclass(frozen=True)
class Version:
    release: tuple[int, ...]
    pre: tuple[int, int] = (_FINAL, 0)

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a Python version")
        release = tuple(int(part) for part in match.group(1).split("."))
        pre = (_PRE[match.group(2).lower()], int(match.group(3))) if match.group(2) else (_FINAL, 0)
        return cls(release, pre)

    def _key(self, width: int = 4) -> tuple[tuple[int, ...], tuple[int, int]]:
        return self.release + (0,) * (width - len(self.release)), self.pre

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        width = max(len(self.release), len(other.release))
        return self._key(width) < other._key(width)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        width = max(len(self.release), len(other.release))
        return self._key(width) == other._key(width)

    def __hash__(self) -> int:
        release = list(self.release)
        while release and release[-1] == 0:
            release.pop()
        return hash((tuple(release), self.pre))

    def __str__(self) -> str:
        text = ".".join(map(str, self.release))
        if self.pre[0] != _FINAL:
            text += ("a", "b", "rc")[self.pre[0]] + str(self.pre[1])
        return text


def _starts_with(version: Version, prefix: tuple[int, ...]) -> bool:
    return version.release[: len(prefix)] + (0,) * max(0, len(prefix) - len(version.release)) == prefix


@dataclass(frozen=True)
class Specifier:
    """A comma-separated set of clauses; a version matches when every clause does."""

    clauses: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, text: str) -> Specifier:
        parts = [part for part in text.split(",") if part.strip()]
        if not parts:
            raise ValueError("an empty version specifier")
        clauses = []
        for part in parts:
            match = _CLAUSE.match(part)
            if not match:
                raise ValueError(f"{part.strip()!r} is not a version specifier")
            op, value = match.group(1) or "", match.group(2)
            if not op:  # a bare prefix: 3.12 means the 3.12 line
                op, value = "==", value.rstrip(".*") + ".*"
            if op == "~=" and (value.endswith(".*") or "." not in value):
                raise ValueError(f"{part.strip()!r}: ~= needs at least two release parts (~=3.11)")
            Version.parse(value[:-2] if value.endswith(".*") else value)  # validate now
            clauses.append((op, value))
        return cls(tuple(clauses))

    def contains(self, version: str | Version) -> bool:
        if isinstance(version, str):
            try:
                version = Version.parse(version)
            except ValueError:
                return False
        return all(_clause_matches(op, value, version) for op, value in self.clauses)

    def __str__(self) -> str:
        return ",".join(op + value for op, value in self.clauses)


def _clause_matches(op: str, value: str, version: Version) -> bool:
    if value.endswith(".*"):
        prefix = Version.parse(value[:-2]).release
        inside = _starts_with(version, prefix)
        return inside if op == "==" else (not inside if op == "!=" else False)
    target = Version.parse(value)
    if op in ("==", "==="):
        return version == target
    if op == "!=":
        return version != target
    if op == ">=":
        return version >= target
    if op == "<=":
        return version <= target
    if op == ">":
        return version > target
    if op == "<":
        return version < target
    # ~=X.Y[.Z]: >= X.Y[.Z] and the same release line without its last part.
    return version >= target and _starts_with(version, target.release[:-1])
