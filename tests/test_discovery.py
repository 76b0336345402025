"""Discovery: the interface, PATH, the system folders and the venv scan, on fake trees.

Every test describes its machine with an ``env`` dict and files under ``tmp_path``:
nothing here depends on what is installed where the tests run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import exe, link
from hypothesis import given
from hypothesis import strategies as st

from interpdb.discovery import _FINDERS, SOURCE_ORDER, Candidate, bins, discover, envs
from interpdb.discovery._fs import is_interpreter_name, natural_key, preference


def venv(prefix: Path) -> str:
    """A fake venv: ``pyvenv.cfg`` and an executable ``bin/python``."""
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return exe(prefix / "bin" / "python")


# -- names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["python", "python2", "python2.7", "python3", "python3.12", "python3.13t", "pypy", "pypy3", "pypy3.10", "graalpy"],
)
def test_interpreter_names_accepted(name: str) -> None:
    """Plain, major, minor and free-threaded names of CPython, PyPy and GraalPy match."""
    assert is_interpreter_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "python3-config",
        "python3.12-config",
        "python3.12-gdb.py",
        "python3.6m",
        "python-argcomplete-check-easy-install-script",
        "pythonw",
        "python3.",
        "python3.12.1",
        "ipython3",
        "python\u0663",  # an Arabic-Indic digit is no version
        "pypy3.10-c",
    ],
)
def test_interpreter_names_rejected(name: str) -> None:
    """Tools beside interpreters (``-config``, ``-gdb.py``) and other names do not match."""
    assert not is_interpreter_name(name)


#: The rules as regular expressions: the oracle the hand-written readers are held to.
_NAME_ORACLE = r"(?:python|pypy|graalpy)(?:[0-9]+(?:\.[0-9]+)?t?)?"
_PREFERENCE_ORACLE = (
    r"python[0-9]+\.[0-9]+",
    r"python[0-9]+\.[0-9]+t",
    r"python[0-9]+",
    r"python",
    r"(?:pypy|graalpy)[0-9]+\.[0-9]+",
    r"(?:pypy|graalpy)[0-9]+",
    r"(?:pypy|graalpy)",
)


@given(
    st.builds(
        lambda head, body: head + body,
        st.sampled_from(["python", "pypy", "graalpy", "ipython", "py", ""]),
        st.text(alphabet="0123456789.t-m\u0663x", max_size=8),
    )
)
def test_name_rules_agree_with_their_regular_expressions(name: str) -> None:
    """``is_interpreter_name`` and ``preference`` read names exactly as these expressions match them."""
    assert is_interpreter_name(name) == bool(re.fullmatch(_NAME_ORACLE, name))
    expected = next((rank for rank, pattern in enumerate(_PREFERENCE_ORACLE) if re.fullmatch(pattern, name)), None)
    assert preference(name) == expected


def test_natural_order() -> None:
    """Versions sort as numbers: 3.9 before 3.10, python3 before python3.9."""
    names = ["python3.10", "python", "python3.9", "python3", "python3.13t", "python3.13"]
    assert sorted(names, key=natural_key) == [
        "python",
        "python3",
        "python3.9",
        "python3.10",
        "python3.13",
        "python3.13t",
    ]


def _split_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """The split ``natural_key`` made with a pattern, runs of ASCII digits read as numbers. (The
    old code then read every ``str.isdigit()`` part as a number: ``٣`` as 3, ``²`` a crash.)"""
    parts = (part for part in re.split("([0-9]+)", name) if part)
    return tuple((0, int(part)) if "0" <= part[0] <= "9" else (1, part) for part in parts)


@given(st.text(alphabet="0123456789.-tabc\u00b2\u0663\u2167", max_size=12))
def test_natural_key_splits_at_ascii_digits_as_the_pattern_did(name: str) -> None:
    """Runs of ASCII digits are numbers, everything else (``²``, Arabic-Indic ``٣``) is text."""
    assert natural_key(name) == _split_key(name)


def test_a_version_folder_with_a_digit_that_is_not_ascii_is_sorted_not_fatal(tmp_path: Path) -> None:
    """``versions/3.1²`` once made every discovery fail (``int('²')``), and with it every ``list``."""
    from interpdb.discovery import installs

    real = exe(tmp_path / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3.12")
    odd = exe(tmp_path / ".pyenv" / "versions" / "3.1\u00b2" / "bin" / "python3")
    assert installs.find_pyenv({"HOME": str(tmp_path)}) == [odd, real]


# -- the interface ----------------------------------------------------------------------


def test_unknown_source_is_a_one_line_value_error() -> None:
    """A typo names itself and every valid source, on one line."""
    with pytest.raises(ValueError, match=r"^unknown discovery source pyenvv, zz; valid: venv, path, ") as info:
        discover(["pyenv", "zz", "pyenvv"], env={})
    assert "\n" not in str(info.value)
    assert all(name in str(info.value) for name in SOURCE_ORDER)


def test_empty_environment_finds_nothing_at_home(tmp_path: Path) -> None:
    """Without HOME or PATH in ``env``, no source looks at the real machine's home or PATH."""
    fake_root = tmp_path / "root"
    fake_root.mkdir()
    assert discover(env={"INTERPDB_SYSTEM_ROOT": str(fake_root)}) == []


def test_order_dedup_and_one_row_per_source(tmp_path: Path) -> None:
    """Candidates come in SOURCE_ORDER whatever order ``sources`` has; a path found twice by
    one source is listed once; the same path from two sources is listed once per source."""
    bin_dir = tmp_path / "bin"
    python = exe(bin_dir / "python3")
    root = tmp_path / "root"
    system_python = exe(root / "usr" / "bin" / "python3")
    active = venv(tmp_path / "work" / "env")
    env = {
        "PATH": os.pathsep.join([str(bin_dir), str(bin_dir) + "/", str(root / "usr" / "bin")]),
        "VIRTUAL_ENV": str(tmp_path / "work" / "env"),
        "INTERPDB_SYSTEM_ROOT": str(root),
    }
    found = discover(["system", "path", "venv"], env=env, scan=[str(tmp_path / "work")])
    assert found == [
        Candidate(active, "venv"),
        Candidate(python, "path"),
        Candidate(system_python, "path"),
        Candidate(system_python, "system"),
    ]


def test_every_source_has_a_finder() -> None:
    """SOURCE_ORDER and the modules behind it name the same sources."""
    assert set(_FINDERS) | {"venv"} == set(SOURCE_ORDER)
    assert len(SOURCE_ORDER) == len(set(SOURCE_ORDER))


def test_a_bare_string_is_one_source(tmp_path: Path) -> None:
    """``sources="path"`` means the one source, not the letters p, a, t, h."""
    python = exe(tmp_path / "bin" / "python")
    assert discover("path", env={"PATH": str(tmp_path / "bin")}) == [Candidate(python, "path")]


def test_paths_are_normalised_not_resolved(tmp_path: Path) -> None:
    """Paths are absolute and normpath'd, and a symlink stays the symlink's own path."""
    real = exe(tmp_path / "real" / "python3.12")
    alias = link(tmp_path / "bin" / "python3", real)
    env = {"PATH": str(tmp_path / "bin" / ".." / "bin")}
    assert [c.path for c in discover(["path"], env=env)] == [alias]


# -- path -------------------------------------------------------------------------------


def test_path_finds_interpreters_in_path_order(tmp_path: Path) -> None:
    """Each PATH directory in turn, names in natural order; non-interpreters, non-executables,
    folders, dangling links, relative and empty entries are left out; links to interpreters
    and shim folders are kept."""
    first, second, shims = tmp_path / "first", tmp_path / "second", tmp_path / "pyenv" / "shims"
    expected_first = [
        exe(first / "python"),
        exe(first / "python3"),
        exe(first / "python3.9"),
        exe(first / "python3.12"),
        exe(first / "python3.13t"),
    ]
    for name in ("python3-config", "python3.12-config", "python3.12-gdb.py", "pip3", "python3.6m"):
        exe(first / name)
    (first / "python2").write_text("not executable")
    (first / "pypy3").mkdir()
    link(first / "python2.7", tmp_path / "missing")
    expected_second = [
        link(second / "graalpy", exe(tmp_path / "graal" / "bin" / "graalpy")),
        exe(second / "pypy3"),
        exe(second / "pypy3.10"),
    ]
    expected_shims = [exe(shims / "python"), exe(shims / "python3.12")]
    env = {"PATH": os.pathsep.join(["", "relative/bin", str(first), str(second), str(tmp_path / "nope"), str(shims)])}
    assert bins.find_path(env) == expected_first + expected_second + expected_shims


def test_a_folder_on_path_under_two_names_is_listed_once_and_reported_under_both(tmp_path: Path) -> None:
    """``/bin`` and ``/usr/bin`` on a merged-/usr system: one listing, both names kept,
    and a file added later is seen by the next discovery in the same process."""
    import time

    from interpdb.discovery import _fs

    real = tmp_path / "usr" / "bin"
    first = exe(real / "python3.12")
    link(tmp_path / "bin", real)
    env = {"PATH": os.pathsep.join([str(real), str(tmp_path / "bin")])}
    before = len(_fs._LISTED)
    assert bins.find_path(env) == [first, str(tmp_path / "bin" / "python3.12")]
    assert len(_fs._LISTED) == before + 1, "one folder, one listing"
    time.sleep(0.05)  # a new mtime for the folder, even on a coarse (jiffy) clock
    second = exe(real / "python3.13")
    assert bins.find_path(env) == [
        first,
        second,
        str(tmp_path / "bin" / "python3.12"),
        str(tmp_path / "bin" / "python3.13"),
    ]


def test_path_without_path_variable_is_empty() -> None:
    """No PATH in ``env`` means nothing to search (``os.defpath`` is not assumed)."""
    assert bins.find_path({}) == []


# -- system -----------------------------------------------------------------------------


def test_system_folders_below_a_fake_root(tmp_path: Path) -> None:
    """``usr/bin``, ``usr/local/bin``, Homebrew's bin and opt folders and the python.org
    framework versions are searched below ``INTERPDB_SYSTEM_ROOT``, with the PATH name rules;
    the framework's ``Current`` alias and other opt folders are not."""
    root = tmp_path / "root"
    expected = [
        exe(root / "usr/bin/python3"),
        exe(root / "usr/bin/python3.11"),
        exe(root / "usr/local/bin/python3.13"),
        exe(root / "opt/homebrew/bin/python3.12"),
        exe(root / "usr/local/opt/python@3.9/bin/python3.9"),
        exe(root / "usr/local/opt/python@3.12/bin/python3"),
        exe(root / "opt/homebrew/opt/python@3.13/bin/python3.13"),
        exe(root / "Library/Frameworks/Python.framework/Versions/3.10/bin/python3.10"),
        exe(root / "Library/Frameworks/Python.framework/Versions/3.13t/bin/python3.13t"),
    ]
    exe(root / "usr/bin/python3-config")
    exe(root / "usr/bin/python3.11-dbg")
    exe(root / "usr/local/opt/openssl@3/bin/python3")
    exe(root / "usr/local/opt/python@3.12/libexec/bin/python")
    link(root / "Library/Frameworks/Python.framework/Versions/Current", "3.10")
    exe(root / "bin/python3")  # /bin is /usr/bin on merged-usr systems: not searched twice
    assert bins.find_system({"INTERPDB_SYSTEM_ROOT": str(root)}) == expected


def test_system_root_defaults_to_slash() -> None:
    """Without ``INTERPDB_SYSTEM_ROOT`` the real ``/usr/bin`` is where ``system`` looks."""
    assert bins.system_directories({})[:2] == ["/usr/bin", "/usr/local/bin"]


# -- venv -------------------------------------------------------------------------------


def test_active_virtual_env_comes_first(tmp_path: Path) -> None:
    """``$VIRTUAL_ENV/bin/python`` is reported before anything the scan finds."""
    active = venv(tmp_path / "active")
    scanned = venv(tmp_path / "projects" / "a" / ".venv")
    env = {"VIRTUAL_ENV": str(tmp_path / "active")}
    assert envs.find_venv(env, [str(tmp_path / "projects")]) == [active, scanned]


def test_active_virtual_env_without_python_is_skipped(tmp_path: Path) -> None:
    """A ``VIRTUAL_ENV`` that names no usable ``bin/python`` (or a relative path) gives nothing."""
    (tmp_path / "gone").mkdir()
    assert envs.active_venv({"VIRTUAL_ENV": str(tmp_path / "gone")}) == []
    assert envs.active_venv({"VIRTUAL_ENV": "relative/env"}) == []


def test_scan_finds_nested_venvs_and_skips_what_it_should(tmp_path: Path) -> None:
    """The scan finds venvs at any depth up to the limit, hidden ones and tox's included; it
    skips node_modules, .git and friends, venvs inside venvs, venvs without an executable
    ``bin/python``, and never follows a directory symlink, so a link loop is harmless."""
    root = tmp_path / "projects"
    expected = [
        venv(root / "alpha" / ".tox" / "py312"),
        venv(root / "alpha" / ".venv"),
        venv(root / "beta" / "deep" / "er" / "env"),
        venv(root / "gamma"),
    ]
    venv(root / "alpha" / ".venv" / "lib" / "inner")  # inside a venv
    venv(root / "alpha" / "node_modules" / "pkg" / "env")
    venv(root / "alpha" / ".git" / "env")
    venv(root / "alpha" / "__pycache__" / "env")
    venv(root / "alpha" / "lib" / "site-packages" / "env")
    (root / "broken").mkdir()
    (root / "broken" / "pyvenv.cfg").write_text("home = /nowhere\n")
    link(root / "broken" / "bin" / "python", tmp_path / "nowhere" / "python")
    venv(root / "beta" / "deep" / "er" / "than" / "limit" / "env")  # 5 levels below root
    link(root / "beta" / "loop", root)
    link(root / "linked-env", root / "gamma")
    assert envs.scan([str(root)], depth=4) == expected


def test_scan_depth_counts_levels_below_each_root(tmp_path: Path) -> None:
    """Depth 0 checks only the roots themselves; depth N reaches folders N levels below."""
    root_env = venv(tmp_path / "env")
    one = venv(tmp_path / "p" / "env")
    two = venv(tmp_path / "q" / "x" / "env")
    assert envs.scan([str(tmp_path / "env"), str(tmp_path / "p")], depth=0) == [root_env]
    assert envs.scan([str(tmp_path)], depth=1) == [root_env]
    assert envs.scan([str(tmp_path / "p")], depth=1) == [one]
    assert envs.scan([str(tmp_path)], depth=3) == [root_env, one, two]
    with pytest.raises(ValueError, match="scan depth"):
        envs.scan([str(tmp_path)], depth=-1)


def test_scan_of_a_missing_root_is_empty(tmp_path: Path) -> None:
    """A scan root that does not exist (or is a file) finds nothing and raises nothing."""
    (tmp_path / "file").write_text("")
    assert envs.scan([str(tmp_path / "missing"), str(tmp_path / "file")]) == []


def test_scan_of_a_thousand_venvs(tmp_path: Path) -> None:
    """A thousand venvs, in name order, each once (timing belongs in scripts/, not here)."""
    root = tmp_path / "many"
    expected = [venv(root / f"group{g:02d}" / f"env{i:03d}") for g in range(20) for i in range(50)]
    assert envs.scan([str(root)]) == expected
