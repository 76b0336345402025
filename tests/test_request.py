"""``find`` requests: what each typed form means, which records match, and in what order."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpdb.records import Record
from interpdb.request import Request, parse_request, rank
from interpdb.versions import Specifier


def record(ident: int, version: str | None = "3.12.1", **fields: Any) -> Record:
    """A working CPython record; ``fields`` override any Record field, ``machine`` sets the marker."""
    machine = fields.pop("machine", "x86_64")
    parts = [int(p) for p in (version or "").split(".")[:3] if p.isdigit()] + [None, None, None]
    values: dict[str, Any] = {
        "id": ident,
        "host": "box",
        "path": f"/opt/python/{ident}/bin/python",
        "status": "cached",
        "probe_id": ident,
        "outcome": "ok",
        "trigger": "new",
        "probed_at": None,
        "error": None,
        "duration_ms": 10.0,
        "interpdb_version": "0.1",
        "changes": (),
        "implementation": "cpython",
        "implementation_version": version,
        "version": version,
        "version_major": parts[0],
        "version_minor": parts[1],
        "version_micro": parts[2],
        "is_venv": False,
        "free_threaded": False,
        "debug_build": False,
        "pointer_size": 64,
        "platform": "linux-x86_64",
        "executable": f"/opt/python/{ident}/bin/python",
        "real_executable": f"/opt/python/{ident}/bin/python",
        "prefix": f"/opt/python/{ident}",
        "base_prefix": f"/opt/python/{ident}",
        "data": {"markers": {"platform_machine": machine}} if machine is not None else {},
    }
    values.update(fields)
    return Record(**values)


def ids(records: list[Record]) -> list[int]:
    return [r.id for r in records]


# --- parsing -----------------------------------------------------------------------------

# text -> (implementation, specifier text, free_threaded, executable_name); the README's table, form by form.
PARSED: dict[str, tuple[str | None, str | None, bool | None, str | None]] = {
    "3.12": (None, "==3.12.*", None, None),
    "3": (None, "==3.*", None, None),
    "312": (None, "==3.12.*", None, None),
    "38": (None, "==3.8.*", None, None),
    "3.12.1": (None, "==3.12.1", None, None),
    "3.13.0rc2": (None, "==3.13.0rc2", None, None),
    "3.13rc2": (None, "==3.13rc2", None, None),
    ">=3.10,<3.13": (None, ">=3.10,<3.13", None, None),
    ">=3.10, <3.13": (None, ">=3.10,<3.13", None, None),
    "~=3.11": (None, "~=3.11", None, None),
    "==3.12.*": (None, "==3.12.*", None, None),
    "3.12.*": (None, "==3.12.*", None, None),
    ">=3.13t": (None, ">=3.13", True, None),
    ">=3.12,<3.14t": (None, ">=3.12,<3.14", True, None),
    "3.13t": (None, "==3.13.*", True, None),
    "3.13+freethreaded": (None, "==3.13.*", True, None),
    "3.14+gil": (None, "==3.14.*", False, None),
    "cpython@3.12": ("cpython", "==3.12.*", None, None),
    "cpython@>=3.10": ("cpython", ">=3.10", None, None),
    "cpython>=3.10": ("cpython", ">=3.10", None, None),
    "cpython >=3.10": ("cpython", ">=3.10", None, None),
    "cpython3.12": ("cpython", "==3.12.*", None, None),
    "cp312": ("cpython", "==3.12.*", None, None),
    "cpython": ("cpython", None, None, None),
    "cp": ("cpython", None, None, None),
    "CPython3.12": ("cpython", "==3.12.*", None, None),
    "pypy3.10": ("pypy", "==3.10.*", None, None),
    "pp39": ("pypy", "==3.9.*", None, None),
    "pypy3": ("pypy", "==3.*", None, None),
    "pypy": ("pypy", None, None, None),
    "pypy@3.10": ("pypy", "==3.10.*", None, None),
    "graalpy": ("graalpy", None, None, None),
    "graalvm": ("graalpy", None, None, None),
    "cpython3.13t": ("cpython", "==3.13.*", True, None),
    "cpython@3.13t": ("cpython", "==3.13.*", True, None),
    "python3.12": (None, "==3.12.*", None, None),
    "python312": (None, "==3.12.*", None, None),
    "python3.12.1": (None, "==3.12.1", None, None),
    "python>=3.12": (None, ">=3.12", None, None),
    "python@3.12": (None, "==3.12.*", None, None),
    "py3.12": (None, "==3.12.*", None, None),
    "python3.13t": (None, "==3.13.*", True, None),
    "python3": (None, "==3.*", None, None),
    "python": (None, None, None, None),
    "python3.6m": (None, None, None, "python3.6m"),
    "mypython3": (None, None, None, "mypython3"),
    "any": (None, None, None, None),
    "default": (None, None, None, None),
    "ANY": (None, None, None, None),
    "": (None, None, None, None),
    "  3.12  ": (None, "==3.12.*", None, None),
}


@pytest.mark.parametrize("text", list(PARSED))
def test_parse_accepts_every_documented_form(text: str) -> None:
    """Each documented request form parses to its implementation, version, build and name."""
    implementation, specifier, free_threaded, executable_name = PARSED[text]
    request = parse_request(text)
    assert request.text == text
    assert request.implementation == implementation
    assert (None if request.specifier is None else str(request.specifier)) == specifier
    assert request.free_threaded is free_threaded
    assert request.executable_name == executable_name
    assert request.path is None


@pytest.mark.parametrize(
    ("text", "free_threaded", "debug"),
    [
        ("3.12d", None, True),
        ("3.12.0d", None, True),
        ("3.12+debug", None, True),
        ("3.13td", True, True),
        ("3.13+freethreaded+debug", True, True),
        ("3.13+gil+debug", False, True),
        ("3.13", None, None),
    ],
)
def test_variant_suffixes(text: str, free_threaded: bool | None, debug: bool | None) -> None:
    """uv's short and long variant suffixes set the free-threading and debug wishes."""
    request = parse_request(text)
    assert (request.free_threaded, request.debug) == (free_threaded, debug)


def test_bitness_machine_and_installation_key() -> None:
    """virtualenv's -64 / -64-arm64 and uv's cpython-3.12.1-linux-x86_64-gnu narrow the build."""
    bits = parse_request("cpython3.12-64-arm64")
    assert (bits.implementation, str(bits.specifier), bits.pointer_size, bits.machine) == (
        "cpython",
        "==3.12.*",
        64,
        "aarch64",
    )
    assert parse_request("3.12-32").pointer_size == 32
    key = parse_request("cpython-3.12.1-linux-x86_64-gnu")
    assert (key.implementation, str(key.specifier), key.os, key.machine, key.libc) == (
        "cpython",
        "==3.12.1",
        "linux",
        "x86_64",
        "gnu",
    )
    assert parse_request("pypy-3.9").implementation == "pypy"
    assert parse_request("any-3.13-any-aarch64").machine == "aarch64"
    # uv's keys may leave the implementation off, and the version too.
    short = parse_request("3.12-linux-x86_64-gnu")
    assert (short.implementation, str(short.specifier), short.os, short.machine, short.libc) == (
        None,
        "==3.12.*",
        "linux",
        "x86_64",
        "gnu",
    )
    assert (parse_request("3.12.1-linux").os, str(parse_request("3.12.1-linux").specifier)) == ("linux", "==3.12.1")
    bare = parse_request("linux-arm64")
    assert (bare.specifier, bare.os, bare.machine) == (None, "linux", "aarch64")
    assert (parse_request("linux-gnu").machine, parse_request("linux-gnu").libc) == (None, "gnu")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/usr/bin/python3", "/usr/bin/python3"),
        ("/usr/bin/../bin/python3", "/usr/bin/python3"),
        ("./venv/bin/python", os.path.join(os.getcwd(), "venv/bin/python")),
        (".venv/bin/python", os.path.join(os.getcwd(), ".venv/bin/python")),
        ("venv/bin/python", os.path.join(os.getcwd(), "venv/bin/python")),
        ("~/bin/python", os.path.join(os.path.expanduser("~"), "bin/python")),
    ],
)
def test_parse_path_is_absolute_and_normalised(text: str, expected: str) -> None:
    """A request with '/' or a leading '.' or '~' is a path, made absolute with '~' expanded."""
    request = parse_request(text)
    assert request.path == expected
    assert (request.implementation, request.specifier, request.free_threaded, request.executable_name) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3.x", "expected a version"),
        ("cpython@", "nothing after the @"),
        ("@3.12", "nothing before the @"),
        ("cpython 3.12", "expected a version"),
        ("cpython@foo", "expected a version"),
        (">=", "is not a version"),
        (">=3.10.*", ".* needs == or !="),
        ("~=3", "~= needs at least two release parts"),
        ("=3.12", "needs an operator"),
        ("3.12.1.1", "at most three parts"),
        ("3rc1", "a pre-release needs a minor version"),
        ("3.12tt", "expected a version"),
        ("3.12t", "Python 3.12 has no free-threaded build"),
        ("3.12.1t", "Python 3.12 has no free-threaded build"),
        # However spelled: these fell through to an executable name (no match, exit 1).
        ("cpython3.12t", "Python 3.12 has no free-threaded build"),
        ("cp312t", "Python 3.12 has no free-threaded build"),
        ("python3.12t", "Python 3.12 has no free-threaded build"),
        (">3.12 <3.14", "separate the clauses with commas (>3.12,<3.14)"),
        ("cpython-3.12-beos", "unknown operating system"),
        ("cpython-3.12-linux-x86_64-bionic", "unknown libc"),
        ("٣.١٢", "expected a version"),
        ("two words", "expected a version"),
    ],
)
def test_parse_rejects_malformed_text_with_one_line_saying_why(text: str, reason: str) -> None:
    """Text that starts like a version, a specifier or a request and does not parse is a ValueError
    whose single line says what is wrong (or, with nothing more precise to say, the accepted forms)."""
    with pytest.raises(ValueError, match=re.escape(reason)) as info:
        parse_request(text)
    assert str(info.value).startswith(f"{text.strip()!r} is not an interpreter request: ")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", ["v3.12", "V3.12", "cpython@v3.12", "cpythonv3.12"])
def test_a_leading_v_is_read_as_uv_reads_it(text: str) -> None:
    """``>=v3.12`` worked and ``v3.12`` was an executable name (no match)."""
    assert str(parse_request(text).specifier) == "==3.12.*"


def test_implementation_option_narrows_a_request_without_one() -> None:
    """--implementation fills in the implementation when the request names none, case-insensitively."""
    assert parse_request("3.12", implementation="PyPy").implementation == "pypy"
    assert parse_request("python3", implementation="graalpy").implementation == "graalpy"
    assert parse_request("cpython3.12", implementation="cpython").implementation == "cpython"
    assert parse_request("3.12", implementation="").implementation is None


def test_implementation_option_conflicting_with_the_request_is_an_error() -> None:
    """A request for one implementation and --implementation for another cannot both hold."""
    with pytest.raises(ValueError, match="conflicts with --implementation cpython"):
        parse_request("pypy3.10", implementation="cpython")


@given(st.text(max_size=30))
def test_parse_fails_only_with_value_error(text: str) -> None:
    """Arbitrary text either parses or raises ValueError; nothing else escapes."""
    try:
        parse_request(text)
    except ValueError as error:
        assert "\n" not in str(error)


# --- matching ----------------------------------------------------------------------------

versions = st.tuples(st.integers(0, 20), st.integers(0, 40), st.integers(0, 40))


@given(st.integers(0, 20), st.integers(0, 40), st.lists(versions, max_size=12))
def test_major_minor_request_matches_exactly_that_release_line(x: int, y: int, found: list[tuple[int, ...]]) -> None:
    """`X.Y` matches exactly the records whose version starts with X.Y. (never X.Y0 or X.YZ)."""
    request = parse_request(f"{x}.{y}")
    records = [record(i, ".".join(map(str, v))) for i, v in enumerate(found)]
    matched = {r.id for r in records if request.matches(r)}
    assert matched == {r.id for r in records if (r.version or "").startswith(f"{x}.{y}.")}


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("3", "3.12.1", True),
        ("3", "2.7.18", False),
        ("3.12.1", "3.12.1", True),
        ("3.12.1", "3.12.10", False),
        ("3.13.0", "3.13.0rc2", False),
        ("3.13", "3.13.0rc2", True),
        ("<3.13", "3.13.0rc2", False),
        (">=3.10,<3.13", "3.13.0rc2", False),
        (">=3.13.0rc1", "3.13.0rc2", True),
        (">=3.10,<3.13", "3.12.9", True),
        (">=3.10,<3.13", "3.13.0", False),
        ("~=3.11", "3.14.0", True),
        ("~=3.11", "3.10.4", False),
        ("3.13.0rc2", "3.13.0rc2", True),
        ("3.13.0rc2", "3.13.0", False),
        ("3.12", "3.12.1+", True),
        ("3.12", None, False),
        ("any", None, True),
    ],
)
def test_version_matching(text: str, version: str | None, expected: bool) -> None:
    """The version part of a request is matched against the record's Python version."""
    assert parse_request(text).matches(record(1, version)) is expected


def test_implementation_matching_is_case_insensitive_and_uses_the_python_version() -> None:
    """pypy3.10 matches a PyPy whose Python version is 3.10 (not its own 7.3 release number)."""
    pypy = record(1, "3.10.14", implementation="PyPy", implementation_version="7.3.17")
    assert parse_request("pypy3.10").matches(pypy)
    assert not parse_request("cpython3.10").matches(pypy)
    assert not parse_request("pypy3.7").matches(pypy)


def test_executable_name_matches_any_implementation() -> None:
    """python3.12 names no implementation: a PyPy 3.12 matches it too (ranking puts CPython first)."""
    request = parse_request("python3.12")
    assert request.matches(record(1, "3.12.3", implementation="pypy"))
    assert request.matches(record(2, "3.12.3"))
    assert not request.matches(record(3, "3.11.3"))


def test_free_threaded_suffix_requires_a_free_threaded_build() -> None:
    """3.13t matches only free-threaded builds; 3.13 matches both kinds."""
    default, threaded = record(1, "3.13.1"), record(2, "3.13.1", free_threaded=True)
    assert ids([r for r in (default, threaded) if parse_request("3.13t").matches(r)]) == [2]
    assert ids([r for r in (default, threaded) if parse_request("3.13").matches(r)]) == [1, 2]


def test_path_request_matches_only_that_path() -> None:
    """A path request matches the record stored under that normalised path and nothing else."""
    request = parse_request("/opt/python/2/bin/../bin/python")
    assert ids([r for r in (record(1), record(2)) if request.matches(r)]) == [2]


@pytest.mark.parametrize("status", ["missing", "error"])
def test_missing_and_error_records_never_match(status: str) -> None:
    """Only cached/probed/stale records are candidates, even for 'any' or their own path."""
    broken = record(1, status=status)
    assert not parse_request("any").matches(broken)
    assert not parse_request(broken.path).matches(broken)


@pytest.mark.parametrize("outcome", [None, "error", "timeout"])
def test_records_whose_probe_failed_never_match(outcome: str | None) -> None:
    """A record with a working status but no successful probe is not a candidate."""
    assert not parse_request("any").matches(record(1, outcome=outcome, status="stale"))


@pytest.mark.parametrize(
    ("machine", "arch", "expected"),
    [
        ("x86_64", "x86_64", True),
        ("x86_64", "amd64", True),
        ("AMD64", "x86_64", True),
        ("aarch64", "arm64", True),
        ("arm64", "aarch64", True),
        ("aarch64", "x86_64", False),
        (None, "x86_64", False),
        (None, None, True),
    ],
)
def test_arch_matches_platform_machine_with_aliases(machine: str | None, arch: str | None, expected: bool) -> None:
    """arch compares with markers.platform_machine; amd64=x86_64, arm64=aarch64; unknown machine fails."""
    assert parse_request("any").matches(record(1, machine=machine), arch=arch) is expected


def test_allow_venv_false_excludes_venvs() -> None:
    """allow_venv=False drops virtual environments, even when named by path; unknown is_venv is kept."""
    venv = record(1, is_venv=True)
    assert parse_request("any").matches(venv)
    assert not parse_request("any").matches(venv, allow_venv=False)
    assert not parse_request(venv.path).matches(venv, allow_venv=False)
    assert parse_request("any").matches(record(2, is_venv=None), allow_venv=False)


# --- ranking -----------------------------------------------------------------------------


def test_rank_path_request_returns_only_that_record() -> None:
    """Rule 1: a path request returns that path's record alone, even with a newer one or a venv active."""
    records = [record(1, "3.13.1"), record(2, "3.9.0"), record(3, "3.14.0", is_venv=True, prefix="/venv")]
    assert ids(rank(records, parse_request("/opt/python/2/bin/python"), active_venv="/venv")) == [2]


def test_rank_active_venv_first_when_it_matches() -> None:
    """Rule 2: the record whose prefix is $VIRTUAL_ENV comes first, ahead of newer versions."""
    records = [record(1, "3.13.1"), record(2, "3.11.4", is_venv=True, prefix="/home/me/proj/.venv")]
    assert ids(rank(records, parse_request("3"), active_venv="/home/me/proj/.venv/")) == [2, 1]
    assert ids(rank(records, parse_request("3"))) == [1, 2]


def test_rank_active_venv_not_returned_when_it_does_not_match() -> None:
    """Rule 2 only applies to a matching venv: an active 3.11 venv is not an answer to 3.13."""
    records = [record(1, "3.13.1"), record(2, "3.11.4", is_venv=True, prefix="/venv")]
    assert ids(rank(records, parse_request("3.13"), active_venv="/venv")) == [1]
    assert ids(rank(records, parse_request("any"), active_venv="/venv", allow_venv=False)) == [1]


def test_rank_newest_version_first_including_micro_and_prereleases() -> None:
    """Rule 3: newer versions first, compared numerically (3.12.10 > 3.12.9 > 3.12.9rc1)."""
    records = [record(1, "3.12.9"), record(2, "3.12.10"), record(3, "3.12.9rc1"), record(4, "3.9.20")]
    assert ids(rank(records, parse_request("3"))) == [2, 1, 3, 4]


def test_rank_line_then_implementation_then_micro() -> None:
    """Rule 3 order: within a release line CPython (any micro) beats a newer PyPy;
    a newer line beats everything."""
    records = [
        record(1, "3.10.12"),
        record(2, "3.10.14", implementation="pypy"),
        record(3, "3.10.14"),
        record(4, "3.11.0", implementation="pypy"),
    ]
    assert ids(rank(records, parse_request("3.10"))) == [3, 1, 2]
    assert ids(rank(records, parse_request(">=3.10"))) == [4, 3, 1, 2]


def test_rank_prefers_cpython_over_other_implementations() -> None:
    """Rule 3: at the same version, CPython before PyPy and GraalPy, whatever the ids."""
    records = [record(1, "3.11.9", implementation="pypy"), record(2, "3.11.9", implementation="graalpy")]
    records.append(record(3, "3.11.9"))
    assert ids(rank(records, parse_request("3.11"))) == [3, 1, 2]


def test_rank_prefers_release_over_debug_builds() -> None:
    """Rule 3: at the same version, a non-debug build before a debug build."""
    records = [record(1, "3.12.1", debug_build=True), record(2, "3.12.1")]
    assert ids(rank(records, parse_request("3.12"))) == [2, 1]


def test_rank_prefers_default_build_unless_free_threading_requested() -> None:
    """Rule 3: the GIL build before the free-threaded one; 3.13t returns only free-threaded builds."""
    records = [record(1, "3.13.1", free_threaded=True), record(2, "3.13.1")]
    assert ids(rank(records, parse_request("3.13"))) == [2, 1]
    assert ids(rank(records, parse_request("3.13t"))) == [1]


def test_rank_prefers_base_interpreter_over_venv() -> None:
    """Rule 3: at the same version, a base interpreter before a (non-active) venv."""
    records = [record(1, "3.12.1", is_venv=True), record(2, "3.12.1")]
    assert ids(rank(records, parse_request("3.12"))) == [2, 1]


def test_rank_ties_broken_by_source_order_then_id() -> None:
    """Rule 4: equal records by discovery-source rank (unknown last), then by id."""
    records = [record(i, "3.12.1") for i in (1, 2, 3, 4)]
    assert ids(rank(records, parse_request("3.12"), source_order={3: 0, 4: 1, 2: 1})) == [3, 2, 4, 1]
    assert ids(rank(records, parse_request("3.12"))) == [1, 2, 3, 4]


def test_rank_records_without_a_readable_version_go_last() -> None:
    """A record with no version can still answer 'any', but after every versioned one."""
    records = [record(1, None), record(2, "2.7.18")]
    assert ids(rank(records, parse_request("any"))) == [2, 1]


def test_rank_never_returns_error_or_missing_records() -> None:
    """Broken and vanished interpreters never appear, however new their last known version."""
    records = [
        record(1, "3.14.0", status="missing"),
        record(2, "3.14.0", status="error", outcome="error"),
        record(3, "3.12.1", status="stale"),
        record(4, "3.12.0", status="probed"),
        record(5, "3.11.0", status="cached", outcome="timeout"),
    ]
    assert ids(rank(records, parse_request("any"))) == [3, 4]


def test_rank_filters_by_arch_and_venv() -> None:
    """arch and allow_venv filter the ranked result the same way as matches()."""
    records = [record(1, "3.13.0", machine="aarch64"), record(2, "3.12.0", machine="AMD64"), record(3, is_venv=True)]
    assert ids(rank(records, parse_request("any"), arch="arm64")) == [1]
    assert ids(rank(records, parse_request("any"), allow_venv=False)) == [1, 2]


def test_request_is_a_frozen_value() -> None:
    """Requests compare by value, so the CLI can cache or compare them."""
    assert parse_request("3.12") == Request("3.12", specifier=Specifier.parse("3.12"))


def _readme_examples() -> list[str]:
    """Every `example` in the README's request table (its second column)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("### Requests", 1)[1].split("\n\n")[2]
    examples = []
    for line in table.splitlines()[2:]:
        examples += re.findall(r"`([^`]*)`", line.split(" | ")[1])
    return examples


@pytest.mark.parametrize("example", _readme_examples())
def test_every_readme_example_parses(example: str) -> None:
    """The README's table shows only requests that parse (3.12t, its counter-example, is not in the column)."""
    if example == "find":
        example = ""
    parse_request(example)


@given(
    st.integers(3, 3),
    st.integers(0, 20),
    st.sampled_from(["", "t", "+freethreaded", "d", "+debug", "td", "+gil", "+gil+debug"]),
    st.sampled_from([("cpython", "cp"), ("pypy", "pp"), ("graalpy", "gp"), ("python", "py")]),
)
def test_spellings_of_one_request_agree(major: int, minor: int, variant: str, names: tuple[str, str]) -> None:
    """cpython3.12t, cpython@3.12t, cp312t, CPython3.12+freethreaded... are one request, whatever the spelling."""
    if "t" in variant.replace("+gil", "") and minor < 13:
        return  # no free-threaded build before 3.13: a usage error, tested above
    long_name, short_name = names
    forms = [
        f"{long_name}{major}.{minor}{variant}",
        f"{long_name}@{major}.{minor}{variant}",
        f"{short_name}{major}{minor}{variant}",
        f"{long_name.upper()}{major}.{minor}{variant}",
        f"  {long_name}{major}.{minor}{variant}  ",
    ]
    parsed = {(r.implementation, str(r.specifier), r.free_threaded, r.debug) for r in (parse_request(f) for f in forms)}
    assert len(parsed) == 1, parsed
    [(implementation, specifier, _free_threaded, _debug)] = parsed
    assert implementation == (None if long_name == "python" else long_name)
    assert specifier == f"=={major}.{minor}.*"
