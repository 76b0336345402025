"""Python version numbers and the PEP 440 specifiers people filter them with.

The part of PEP 440 that interpreter versions use: a release (``3.12.1``, ``2.7.18``)
and a pre-release (``3.13.0rc2``, ``3.14.0a1``; ``alpha``/``beta``/``c``/``pre`` are
read as ``a``/``b``/``rc``), compared the way ``packaging.version`` compares them,
and specifiers (``>=3.10,<3.13``, ``~=3.11``, ``==3.12.*``, ``!=3.8.*``) that match
the way ``packaging.specifiers`` matches them, pre-releases included:

- a pre-release satisfies a specifier only when one of its clauses names a
  pre-release (``>=3.13.0rc1``); ``!=3.13.0rc1`` names none, as in packaging;
- ``<V`` never admits a pre-release of ``V`` itself unless ``V`` is one, so
  ``3.13.0rc2`` satisfies neither ``<3.13`` nor ``>=3.10,<3.13``.

A bare prefix (``3.12``, ``3``) means "that release line", pre-releases included
(``Specifier.line``): it is how uv and virtualenv read ``find 3.13``, and it is
not a PEP 440 specifier. Post, dev and local releases and epochs are refused in
specifiers: no interpreter carries them, and refusing beats guessing.

Written here rather than depending on ``packaging``: ``list`` and ``find`` import
it on their warm path. ``tests/test_versions.py`` holds it to packaging's answers.
"""

from __future__ import annotations

from functools import lru_cache, total_ordering

from interpdb._frozen import frozen

#: ``re`` is imported where a pattern is used, not at import (a warm answer needs none).
TYPE_CHECKING = False
if TYPE_CHECKING:
    import re

_PRE_SPELLINGS = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "rc": 2, "c": 2, "pre": 2, "preview": 2}
_PRE = r"(?:[-_.]?(?P<kind>alpha|beta|preview|pre|rc|a|b|c)[-_.]?(?P<n>[0-9]+)?)?"
# [0-9], not \d: a version in other scripts' digits is more likely a typo than a version.
#: Compiled on first use (``re`` caches them): a plain release (``3.12.1``, what stored
#: versions and most requests are) is read without them (``plain_release``).
_VERSION = r"v?(?P<release>[0-9]+(?:\.[0-9]+)*)" + _PRE + r"(?P<local>\+[a-z0-9.]*)?"
_STRICT = r"v?(?P<release>[0-9]+(?:\.[0-9]+)*)" + _PRE
_CLAUSE = r"(?P<op>===|==|!=|~=|>=|<=|>|<)?\s*(?P<value>\S+)"
_OPERATORS = ("===", "==", "!=", "~=", ">=", "<=", ">", "<")
_FINAL = (3, 0)


@total_ordering
@frozen
class Version:
    """A release and an optional pre-release; ``3.12`` equals ``3.12.0``, as in PEP 440."""

    release: tuple[int, ...]
    pre: tuple[int, int] = _FINAL

    @classmethod
    def parse(cls, text: str) -> Version:
        """A stored or typed version; a local suffix (``3.12.1+``, a build from git) is ignored."""
        stripped = text.strip()
        release = plain_release(stripped)
        if release is not None:
            return cls(release)
        import re  # on first use only: plain releases, the common case, need none

        return cls._from(re.fullmatch(_VERSION, stripped, re.IGNORECASE), text)

    @classmethod
    def parse_strict(cls, text: str) -> Version:
        """A version as a specifier may name it: no local suffix."""
        import re

        return cls._from(re.fullmatch(_STRICT, text.strip(), re.IGNORECASE), text)

    @classmethod
    def _from(cls, match: re.Match[str] | None, text: str) -> Version:
        if not match:
            raise ValueError(f"{text.strip()!r} is not a Python version")
        release = tuple(int(part) for part in match["release"].split("."))
        kind = match["kind"]
        pre = (_PRE_SPELLINGS[kind.lower()], int(match["n"] or 0)) if kind else _FINAL
        return cls(release, pre)

    @property
    def is_prerelease(self) -> bool:
        return self.pre != _FINAL

    @property
    def base(self) -> Version:
        """The release without its pre-release part: ``3.13.0rc2`` -> ``3.13.0``."""
        return Version(self.release)

    def _key(self) -> tuple[tuple[int, ...], tuple[int, int]]:
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        return tuple(release), self.pre

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        text = ".".join(map(str, self.release))
        if self.is_prerelease:
            text += ("a", "b", "rc")[self.pre[0]] + str(self.pre[1])
        return text


def plain_release(text: str) -> tuple[int, ...] | None:
    """``3.12.1`` as ``(3, 12, 1)``: ASCII digits between dots and nothing else; else None."""
    parts = text.split(".")
    if all(part.isascii() and part.isdigit() for part in parts):
        return tuple(int(part) for part in parts)
    return None


def _starts_with(version: Version, prefix: tuple[int, ...]) -> bool:
    """PEP 440 prefix matching: the release, padded with zeros, begins with ``prefix``."""
    padded = version.release + (0,) * max(0, len(prefix) - len(version.release))
    return padded[: len(prefix)] == prefix


@frozen
class Clause:
    """One ``op version`` part of a specifier; ``wildcard`` is the ``.*`` of ``==3.12.*``."""

    op: str
    version: Version
    wildcard: bool = False
    text: str = ""  # as typed, for ``===`` (which compares strings) and for messages

    @property
    def names_prerelease(self) -> bool:
        """Whether this clause lets pre-releases in (packaging's ``Specifier.prereleases``)."""
        return self.version.is_prerelease and self.op != "!=" and not self.wildcard

    def matches(self, version: Version) -> bool:
        op, target = self.op, self.version
        if self.wildcard:
            return _starts_with(version, target.release) == (op == "==")
        if op == "===":
            return str(version) == self.text.lower()
        if op == "==":
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
            # <3.13 must not admit 3.13.0rc2: a pre-release of V only if V is one itself.
            excluded = version.is_prerelease and not target.is_prerelease and version.base == target.base
            return version < target and not excluded
        # ~=X.Y[.Z]: >= X.Y[.Z] and the same release line without its last part.
        return version >= target and _starts_with(version, target.release[:-1])

    def __str__(self) -> str:
        if self.op == "===":
            return f"==={self.text}"
        return f"{self.op}{self.version}{'.*' if self.wildcard else ''}"


@frozen
class Specifier:
    """Comma-separated clauses; a version matches when every clause does.

    ``prereleases``: None lets the clauses decide (PEP 440); True admits them (a
    release line, ``Specifier.line``).
    """

    clauses: tuple[Clause, ...]
    prereleases: bool | None = None

    @classmethod
    def parse(cls, text: str) -> Specifier:
        """``>=3.10,<3.13``; a bare ``3.12`` (or ``3.12.*``) alone is the 3.12 line."""
        parts = [part.strip() for part in text.split(",")]
        if not any(parts):
            raise ValueError("an empty version specifier")
        if "" in parts:
            raise ValueError(f"{text.strip()!r}: an empty clause between commas")
        if len(parts) == 1 and parts[0][0].isdigit():
            value = parts[0][:-2] if parts[0].endswith(".*") else parts[0]
            return cls.line(Version.parse_strict(value).release)
        return cls(tuple(_clause(part) for part in parts))

    @classmethod
    def line(cls, release: tuple[int, ...]) -> Specifier:
        """Every version that starts with ``release``, pre-releases included."""
        return cls((Clause("==", Version(release), wildcard=True),), prereleases=True)

    @classmethod
    def exactly(cls, version: Version) -> Specifier:
        return cls((Clause("==", version),))

    @property
    def allows_prereleases(self) -> bool:
        if self.prereleases is not None:
            return self.prereleases
        return any(clause.names_prerelease for clause in self.clauses)

    def contains(self, version: str | Version) -> bool:
        if isinstance(version, str):
            parsed = cached_parse(version)
            if parsed is None:
                return False
            version = parsed
        if version.is_prerelease and not self.allows_prereleases:
            return False
        return all(clause.matches(version) for clause in self.clauses)

    def __str__(self) -> str:
        return ",".join(map(str, self.clauses))


def _clause(part: str) -> Clause:
    import re

    match = re.fullmatch(_CLAUSE, part)
    if not match or not match["op"]:
        words = part.split()
        if len(words) > 1 and all(word[0] in "<>=!~" for word in words):  # '>3.12 <3.14'
            raise ValueError(f"{part!r}: separate the clauses with commas ({','.join(words)})")
        raise ValueError(f"{part!r} is not a version specifier: it needs an operator (==, !=, <, <=, >, >=, ~=)")
    op, value = match["op"], match["value"]
    if op == "===":
        # Compared as text; its version, when it reads as one, says whether it names a
        # pre-release (===3.13.0rc1 matches 3.13.0rc1, as packaging lets it).
        try:
            named = Version.parse_strict(value)
        except ValueError:
            named = Version(())
        return Clause(op, named, text=value)
    wildcard = value.endswith(".*")
    if wildcard:
        if op not in ("==", "!="):
            raise ValueError(f"{part!r}: .* needs == or !=")
        value = value[:-2]
    try:
        version = Version.parse_strict(value)
    except ValueError:
        reason = f"{value!r} is not a version (post, dev and local releases are not supported)"
        raise ValueError(f"{part!r}: {reason}") from None
    if wildcard and version.is_prerelease:
        raise ValueError(f"{part!r}: a pre-release cannot end in .*")
    if op == "~=" and len(version.release) < 2:
        raise ValueError(f"{part!r}: ~= needs at least two release parts (~=3.11)")
    return Clause(op, version, wildcard)


@lru_cache(maxsize=512)
def cached_parse(text: str) -> Version | None:
    """``Version.parse``, remembered (None: not a version): ranking a thousand venvs
    parses the same few stored versions thousands of times."""
    try:
        return Version.parse(text)
    except ValueError:
        return None
