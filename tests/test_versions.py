"""interpdb.versions gives packaging's answers: ordering, specifiers, and pre-releases in ranges."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version as PVersion

from interpdb.versions import Specifier, Version

releases = st.lists(st.integers(0, 14), min_size=1, max_size=4).map(lambda parts: ".".join(map(str, parts)))
pres = st.one_of(
    st.just(""), st.tuples(st.sampled_from(["a", "b", "rc"]), st.integers(0, 3)).map(lambda p: f"{p[0]}{p[1]}")
)
versions = st.builds(lambda release, pre: release + pre, releases, pres)
# Small numbers so that clauses and versions often meet on the same boundary.
near = st.builds(
    lambda parts, pre: ".".join(map(str, parts)) + pre, st.lists(st.integers(0, 3), min_size=1, max_size=3), pres
)


def _join(parts: list[int]) -> str:
    return ".".join(map(str, parts))


@st.composite
def specifiers(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "==*", "!=*"]))
        if op.endswith("*"):
            parts.append(op[:-1] + _join(draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))) + ".*")
            continue
        version = draw(near)
        if op == "~=" and len(PVersion(version).release) < 2:
            version = "3." + version
        parts.append(op + version)
    return ",".join(parts)


def _packaging_contains(spec: str, version: str) -> bool:
    """packaging's answer with pre-releases admitted only when the specifier names one.

    packaging 26 admits a lone pre-release by default (nothing else is on offer); PEP 440's
    rule for a range, which interpdb applies, is its ``prereleases`` property.
    """
    specifier_set = SpecifierSet(spec)
    return specifier_set.contains(version, prereleases=bool(specifier_set.prereleases))


@given(versions, versions)
@example("3.12", "3.12.0")
@example("3.13.0rc2", "3.13.0")
@example("3.13.0b1", "3.13.0rc1")
def test_version_order_is_packaging_order(a: str, b: str) -> None:
    """Equal, less and greater agree with packaging.version for every release and pre-release."""
    ours, theirs = (Version.parse(a), Version.parse(b)), (PVersion(a), PVersion(b))
    assert (ours[0] == ours[1]) is (theirs[0] == theirs[1])
    assert (ours[0] < ours[1]) is (theirs[0] < theirs[1])
    if ours[0] == ours[1]:
        assert hash(ours[0]) == hash(ours[1])


@given(specifiers(), near)
@example("<3.13", "3.13.0rc2")
@example(">=3.10,<3.13", "3.13.0rc2")
@example(">=3.12.0rc1,<3.13", "3.13.0rc2")
@example(">=3.13.0rc1", "3.13.0rc2")
@example("!=3.13.0rc1", "3.13.0rc2")
@example("~=3.13.0rc1", "3.13.0")
@example("==3.13.*", "3.13.0rc2")
@example("<3.13.0rc3", "3.13.0rc2")
@example(">3.13.0rc1", "3.13.0rc2")
def test_specifier_contains_as_packaging_decides(spec: str, version: str) -> None:
    """Every generated specifier matches exactly the versions packaging matches, pre-releases included."""
    assert Specifier.parse(spec).contains(version) is _packaging_contains(spec, version)


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        ("<3.13", "3.13.0rc2", False),
        (">=3.10,<3.13", "3.13.0rc2", False),
        (">=3.10,<3.13", "3.12.9", True),
        (">=3.12", "3.13.0rc2", False),  # no clause names a pre-release
        (">=3.13.0rc1", "3.13.0rc2", True),
        ("==3.13.0rc2", "3.13.0rc2", True),
    ],
)
def test_prereleases_match_a_range_only_when_it_names_one(spec: str, version: str, expected: bool) -> None:
    """The issue's cases, spelled out: 3.13.0rc2 is not <3.13, and only a named pre-release admits one."""
    assert Specifier.parse(spec).contains(version) is expected
    assert _packaging_contains(spec, version) is expected


@given(st.lists(st.integers(0, 14), min_size=1, max_size=2), versions)
def test_a_bare_prefix_is_the_release_line_prereleases_included(prefix: list[int], version: str) -> None:
    """`3.13` means the 3.13 line as uv and virtualenv read it: packaging's ==3.13.* with pre-releases."""
    line = _join(prefix)
    expected = SpecifierSet(f"=={line}.*").contains(version, prereleases=True)
    assert Specifier.parse(line).contains(version) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (">=3.10.*", ".* needs == or !="),
        ("~=3", "~= needs at least two release parts"),
        ("==3.13.0rc1.*", "a pre-release cannot end in .*"),
        (">=3.12.post1", "is not a version"),
        (">=3.12,", "an empty clause"),
        (">=3.12,,<3.13", "an empty clause"),
        ("", "an empty version specifier"),
        ("3.12,<3.13", "needs an operator"),
    ],
)
def test_specifier_parse_refuses_what_cannot_match(text: str, message: str) -> None:
    """Forms that packaging refuses (or that would silently match nothing) are a ValueError saying why."""
    with pytest.raises(ValueError, match=message):
        Specifier.parse(text)


def test_stored_versions_with_a_local_suffix_still_compare() -> None:
    """A CPython built from git reports 3.12.1+; it is 3.12.1 for every comparison."""
    assert Version.parse("3.12.1+") == Version.parse("3.12.1")
    assert Specifier.parse(">=3.12").contains("3.12.1+")
    assert not Specifier.parse(">=3.12").contains("not a version")


def test_an_arbitrary_equality_naming_a_pre_release_matches_it() -> None:
    """``===3.13.0rc1`` never matched 3.13.0rc1: its clause did not count as naming one."""
    assert Specifier.parse("===3.13.0rc1").contains("3.13.0rc1")
    assert not Specifier.parse("===3.13.0rc1").contains("3.13.0")
    assert not Specifier.parse("===3.13.0").contains("3.13.0rc1")
