"""Where the store lives by default: the XDG data dir (as the spec reads it), or macOS's."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from interpdb import location


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("INTERPDB_DB", raising=False)
    return tmp_path / "home"


def test_xdg_data_home_absolute_is_used(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert location.default_path() == str(tmp_path / "data" / "interpdb" / "interpdb.sqlite3")
    assert location.resolve().sqlite_file == str(tmp_path / "data" / "interpdb" / "interpdb.sqlite3")


@pytest.mark.parametrize("value", ["", "relative/data", "./data", "~/data"])
def test_a_relative_or_empty_xdg_data_home_is_ignored(home: Path, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The XDG spec: a relative path in ``$XDG_DATA_HOME`` is invalid and ignored; empty means unset."""
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", value)
    assert location.default_path() == str(home / ".local" / "share" / "interpdb" / "interpdb.sqlite3")


@pytest.mark.parametrize("value", ["", "relative/home", None])
def test_an_empty_or_relative_home_is_the_accounts_home(
    home: Path, value: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HOME=`` put the default store in ``/.local/share``, ``HOME=relhome`` in each working
    folder (a store per CI job's folder); the password database's home is used instead."""
    import os
    import pwd

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    if value is None:
        monkeypatch.delenv("HOME")
    else:
        monkeypatch.setenv("HOME", value)
    account = pwd.getpwuid(os.getuid()).pw_dir
    assert location.default_path() == os.path.join(account, ".local", "share", "interpdb", "interpdb.sqlite3")
    assert location.cache_dir() == os.path.join(account, ".cache", "interpdb")


def test_macos_default_is_application_support(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On macOS the store is under ``~/Library/Application Support/interpdb``, whatever XDG says."""
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    expected = home / "Library" / "Application Support" / "interpdb" / "interpdb.sqlite3"
    assert location.default_path() == str(expected)
    assert location.cache_dir() == str(home / "Library" / "Caches" / "interpdb")


@pytest.mark.parametrize("value", ["", "relative/cache"])
def test_cache_dir_follows_the_same_rule(home: Path, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", value)
    assert location.cache_dir() == str(home / ".cache" / "interpdb")
