"""Shims resolved without running them: pyenv as its libexec scripts decide, asdf and mise basics.

Every pyenv case builds a fake ``PYENV_ROOT`` whose shims have the shape ``pyenv rehash``
writes and whose "interpreters" are two-line shell scripts, so nothing here depends on
the machine except the one test that compares with the real pyenv.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpdb import launchers
from interpdb.launchers import Selection, resolve, shim_manager

INTERPRETER = '#!/bin/sh\necho "$0"\n'


def write_executable(path: Path, text: str = INTERPRETER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def write_pyenv_shim(folder: Path, name: str, root: Path) -> Path:
    """A shim as ``pyenv rehash`` writes it: PYENV_ROOT baked in, then ``pyenv exec``."""
    return write_executable(
        folder / name,
        "#!/usr/bin/env bash\n"
        "set -e\n"
        '[ -n "$PYENV_DEBUG" ] && set -x\n'
        "\n"
        'program="${0##*/}"\n'
        "\n"
        f'export PYENV_ROOT="{root}"\n'
        "SHIM_PATH=${0%/*}\n"
        f'if [[ $SHIM_PATH != "{root}/shims" ]]; then\n'
        '  export _PYENV_SHIM_PATH="$SHIM_PATH"\n'
        "fi\n"
        f'exec "{root}/libexec/pyenv" exec "$program" "$@"\n',
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A fake PYENV_ROOT: 3.11.7 and 3.12.1 installed, shims for python3 and python3.12."""
    root = tmp_path / "pyenv"
    for version, commands in {
        "3.11.7": ("python3.11", "python3", "python"),
        "3.12.1": ("python3.12", "python3", "python"),
    }.items():
        for command in commands:
            write_executable(root / "versions" / version / "bin" / command)
    write_executable(root / "libexec" / "pyenv", "#!/bin/sh\nexit 99\n")
    for command in ("python3", "python3.12"):
        write_pyenv_shim(root / "shims", command, root)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A working directory two levels below a project root, with no version file yet."""
    cwd = tmp_path / "home" / "project" / "src" / "pkg"
    cwd.mkdir(parents=True)
    return cwd


@pytest.fixture
def sysbin(tmp_path: Path) -> Path:
    """A directory standing for /usr/bin: a system python3 only."""
    folder = tmp_path / "sysbin"
    write_executable(folder / "python3")
    return folder


def environment(tmp_path: Path, root: Path, sysbin: Path, **extra: str) -> dict[str, str]:
    return {
        "HOME": str(tmp_path / "home"),
        "PATH": f"{root}/shims:{sysbin}",
        "PYENV_ROOT": str(root),
        **extra,
    }


def pyenv(root: Path, name: str, env: dict[str, str], cwd: Path) -> Selection:
    selection = resolve(str(root / "shims" / name), env, str(cwd))
    assert selection is not None
    assert selection.manager == "pyenv"
    assert selection.command == name
    return selection


def version_bin(root: Path, version: str, command: str) -> str:
    return str(root / "versions" / version / "bin" / command)


def parents(folder: Path) -> list[Path]:
    return [folder, *folder.parents]


# -- pyenv: where the version comes from -------------------------------------------------


def test_global_version_file(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """With no PYENV_VERSION and no .python-version, $PYENV_ROOT/version selects, and is watched."""
    (root / "version").write_text("3.11.7\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == version_bin(root, "3.11.7", "python3")
    assert selection.version == "3.11.7"
    assert selection.origin == str(root / "version")
    assert str(root / "version") in selection.files
    assert str(root / "shims" / "python3") in selection.files
    assert selection.reason is None


def test_pyenv_version_overrides_every_file(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """PYENV_VERSION wins over both version files, and then no version file is consulted."""
    (root / "version").write_text("3.11.7\n")
    (project / ".python-version").write_text("3.11.7\n")
    env = environment(tmp_path, root, sysbin, PYENV_VERSION="3.12.1")
    selection = pyenv(root, "python3", env, project)
    assert selection.target == version_bin(root, "3.12.1", "python3")
    assert selection.origin == "PYENV_VERSION"
    assert ("PYENV_VERSION", "3.12.1") in selection.env
    assert not [f for f in selection.files if f.endswith("version")]


def test_python_version_in_cwd(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """A .python-version in the working directory beats the global file."""
    (root / "version").write_text("3.11.7\n")
    (project / ".python-version").write_text("3.12.1\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == version_bin(root, "3.12.1", "python3")
    assert selection.origin == str(project / ".python-version")
    assert str(root / "version") not in selection.files


def test_python_version_in_parent_lists_absent_candidates(
    tmp_path: Path, root: Path, project: Path, sysbin: Path
) -> None:
    """The nearest .python-version upward wins; every nearer candidate is in ``files``, absent or not."""
    (root / "version").write_text("3.11.7\n")
    found = tmp_path / "home" / "project" / ".python-version"
    found.write_text("3.12.1\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == version_bin(root, "3.12.1", "python3")
    assert selection.origin == str(found)
    assert str(project / ".python-version") in selection.files
    assert str(project.parent / ".python-version") in selection.files
    assert str(found) in selection.files
    assert str(tmp_path / "home" / ".python-version") not in selection.files  # the search stopped


def test_absent_candidates_reach_the_root_before_the_global_file(
    tmp_path: Path, root: Path, project: Path, sysbin: Path
) -> None:
    """With no local file, every directory from cwd up to / is a watched candidate, then the global file."""
    (root / "version").write_text("3.11.7\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    candidates = [str(folder / ".python-version") for folder in parents(project)]
    assert [f for f in selection.files if f.endswith(".python-version")] == candidates
    assert selection.files.index(candidates[-1]) < selection.files.index(str(root / "version"))


def test_empty_local_file_selects_system(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """An empty (or comment-only) .python-version means system: pyenv does not fall through to the global file."""
    (root / "version").write_text("3.11.7\n")
    (project / ".python-version").write_text("# nothing here\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == str(sysbin / "python3")
    assert selection.version == "system"
    assert selection.origin == str(project / ".python-version")


def test_a_version_file_is_read_up_to_one_mib(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """A huge version file is read only so far (the read is sized to the file, never past
    the limit): a name within its first MiB selects, one past it is never seen."""
    padding = "#" + " " * (1 << 20) + "\n"
    (project / ".python-version").write_text("3.12.1\n" + padding)
    assert pyenv(root, "python3", environment(tmp_path, root, sysbin), project).version == "3.12.1"
    (project / ".python-version").write_text(padding + "3.12.1\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.version == "system"
    assert selection.target == str(sysbin / "python3")


def test_a_version_file_that_grows_while_it_is_read_is_read_on(
    tmp_path: Path, root: Path, project: Path, sysbin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read is sized by ``fstat``; a line written between that and the read still counts."""
    version_file = project / ".python-version"
    version_file.write_text("# chosen below\n")
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        found = real_fstat(fd)
        with version_file.open("a") as handle:
            handle.write("3.12.1\n")
        return found

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    assert pyenv(root, "python3", environment(tmp_path, root, sysbin), project).version == "3.12.1"


def test_no_global_file_is_system_by_default(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """Without any version file the choice is system, its origin "default", and the missing global file is watched."""
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == str(sysbin / "python3")
    assert selection.origin == "default"
    assert str(root / "version") in selection.files


def test_pyenv_dir_is_searched_before_cwd(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """PYENV_DIR's .python-version chain comes before the working directory's."""
    (project / ".python-version").write_text("3.11.7\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".python-version").write_text("3.12.1\n")
    env = environment(tmp_path, root, sysbin, PYENV_DIR=str(elsewhere))
    selection = pyenv(root, "python3", env, project)
    assert selection.target == version_bin(root, "3.12.1", "python3")
    assert selection.origin == str(elsewhere / ".python-version")


def test_pyenv_dir_that_is_not_a_directory(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """pyenv refuses to start when PYENV_DIR is not a directory: no target, pyenv's message."""
    env = environment(tmp_path, root, sysbin, PYENV_DIR=str(tmp_path / "missing"))
    selection = pyenv(root, "python3", env, project)
    assert selection.target is None
    assert selection.reason == f"pyenv: cannot change working directory to `{tmp_path / 'missing'}'"


def test_baked_root_beats_the_environment(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """The shim exports its own PYENV_ROOT, so an inherited one pointing elsewhere changes nothing."""
    (root / "version").write_text("3.12.1\n")
    env = environment(tmp_path, root, sysbin, PYENV_ROOT=str(tmp_path / "other-root"))
    selection = pyenv(root, "python3", env, project)
    assert selection.target == version_bin(root, "3.12.1", "python3")
    assert "PYENV_ROOT" not in dict(selection.env)


# -- pyenv: which version provides the command ------------------------------------------


def test_several_versions_fall_back_to_the_one_with_the_command(
    tmp_path: Path, root: Path, project: Path, sysbin: Path
) -> None:
    """Versions listed in one file are tried in order; the first that has the command wins."""
    (project / ".python-version").write_text("3.11.7\n3.12.1\n")
    env = environment(tmp_path, root, sysbin)
    assert pyenv(root, "python3", env, project).target == version_bin(root, "3.11.7", "python3")
    selection = pyenv(root, "python3.12", env, project)
    assert selection.target == version_bin(root, "3.12.1", "python3.12")
    assert selection.version == "3.12.1"
    assert version_bin(root, "3.11.7", "python3.12") in selection.files  # the miss is watched too


def test_version_file_takes_the_first_word_of_each_line(
    tmp_path: Path, root: Path, project: Path, sysbin: Path
) -> None:
    """pyenv-version-file-read: one word per line (the rest is ignored), comments and CRLF skipped."""
    (project / ".python-version").write_text("# pinned\r\n  3.12.1 3.11.7\r\n\r\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == version_bin(root, "3.12.1", "python3")
    multi = pyenv(root, "python3", environment(tmp_path, root, sysbin, PYENV_VERSION="3.13:3.11.7"), project)
    assert multi.target == version_bin(root, "3.11.7", "python3")


def test_version_walking_out_of_versions_is_ignored(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """A name with '/' that leaves $PYENV_ROOT/versions is dropped (CVE-2022-35861); one that stays is kept."""
    (project / ".python-version").write_text("../../sysbin\n")
    assert pyenv(root, "python3", environment(tmp_path, root, sysbin), project).version == "system"
    (project / ".python-version").write_text("../versions/3.12.1\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == str(root / "versions" / "../versions/3.12.1" / "bin" / "python3")


def test_an_absolute_version_is_no_version(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """pyenv looks for ``$PYENV_ROOT/versions/<name>`` by pasting text: an absolute path
    names no installed version (``versions//opt/py``). From a file it is ignored as
    invalid; from PYENV_VERSION it is a version not installed. Neither is the folder the
    path names, which the shim never runs (``os.path.join`` used to jump there)."""
    installed = str(root / "versions" / "3.11.7")
    (project / ".python-version").write_text(f"{installed}\n")
    from_file = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert (from_file.version, from_file.target) == ("system", str(sysbin / "python3"))
    (project / ".python-version").unlink()
    from_env = pyenv(root, "python3", environment(tmp_path, root, sysbin, PYENV_VERSION=installed), project)
    assert (from_env.version, from_env.target) == ("system", str(sysbin / "python3"))
    lacking = pyenv(root, "python3.12", environment(tmp_path, root, sysbin, PYENV_VERSION=installed), project)
    assert lacking.target is None
    assert f"version `{installed}' is not installed (set by PYENV_VERSION environment variable)" in str(lacking.reason)


def test_prefix_resolves_to_the_installed_version(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """'3.12' and 'python-3.12' select the installed 3.12.1, as pyenv-latest does."""
    for request in ("3.12", "python-3.12"):
        env = environment(tmp_path, root, sysbin, PYENV_VERSION=request)
        selection = pyenv(root, "python3", env, project)
        assert selection.target == version_bin(root, "3.12.1", "python3")
        assert selection.version == "3.12.1"
        assert str(root / "versions") in selection.files  # a new install can change the answer


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ("3.12", "3.12.10"),  # numeric, not string, order
        ("3.13", "3.13.1"),  # pre-releases and free-threaded builds are passed over
        ("3.13t", "3.13.0t"),  # ...unless asked for
        ("3", "3.13.1"),
        ("miniconda3", "miniconda3-23.1.0"),
    ],
)
def test_prefix_picks_the_newest_stable_install(tmp_path: Path, project: Path, request_: str, expected: str) -> None:
    """pyenv-latest's filters and ``sort -t. -k1,1r -k2,2nr -k3,3nr`` order."""
    root = tmp_path / "pyenv"
    for name in ("3.12.1", "3.12.10", "3.12.2", "3.12-dev", "3.13.0t", "3.13.1", "3.13.2rc1", "miniconda3-4.7.12"):
        write_executable(root / "versions" / name / "bin" / "python")
    write_executable(root / "versions" / "miniconda3-23.1.0" / "bin" / "python")
    write_pyenv_shim(root / "shims", "python", root)
    write_executable(root / "libexec" / "pyenv", "#!/bin/sh\n")
    env = {"HOME": str(tmp_path), "PATH": f"{root}/shims", "PYENV_VERSION": request_}
    assert pyenv(root, "python", env, project).target == version_bin(root, expected, "python")


def test_system_uses_path_without_the_shims(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """'system' is the command on PATH once $PYENV_ROOT/shims is left out; earlier misses are watched."""
    env = environment(tmp_path, root, sysbin, PYENV_VERSION="system")
    selection = pyenv(root, "python3", env, project)
    assert selection.target == str(sysbin / "python3")
    assert selection.version == "system"
    assert str(root / "shims" / "python3") in selection.files  # the shim itself, not as a PATH hit
    assert str(root / "libexec" / "python3") in selection.files  # pyenv puts libexec first on PATH
    assert ("PATH", env["PATH"]) in selection.env


def test_shim_outside_the_shims_directory(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """A shim copied elsewhere takes its own directory out of the system search (_PYENV_SHIM_PATH)."""
    copy = write_pyenv_shim(tmp_path / "bin", "python3", root)
    env = environment(tmp_path, root, sysbin, PYENV_VERSION="system", PATH=f"{copy.parent}:{sysbin}")
    selection = resolve(str(copy), env, str(project))
    assert selection is not None
    assert selection.target == str(sysbin / "python3")


def test_command_missing_everywhere_is_pyenvs_127(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """The python3.12 shim with only 3.11.7 selected and no python3.12 on PATH: no target, and why."""
    env = environment(tmp_path, root, sysbin, PYENV_VERSION="3.11.7")
    selection = pyenv(root, "python3.12", env, project)
    assert selection.target is None
    assert selection.version == "3.11.7"
    assert selection.reason == "pyenv: python3.12: command not found (version 3.11.7 does not provide it)"
    assert version_bin(root, "3.11.7", "python3.12") in selection.files
    assert str(sysbin / "python3.12") in selection.files  # installing one there would change the answer


def test_command_missing_from_the_version_falls_back_to_system(
    tmp_path: Path, root: Path, project: Path, sysbin: Path
) -> None:
    """pyenv-which always tries system last: a python3.12 on PATH is run even though 3.11.7 is selected."""
    write_executable(sysbin / "python3.12")
    env = environment(tmp_path, root, sysbin, PYENV_VERSION="3.11.7")
    selection = pyenv(root, "python3.12", env, project)
    assert selection.target == str(sysbin / "python3.12")
    assert selection.version == "system"


def test_uninstalled_version_falls_back_to_system(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """A stale .python-version naming an uninstalled version silently runs the system command."""
    (project / ".python-version").write_text("3.9.1\n")
    selection = pyenv(root, "python3", environment(tmp_path, root, sysbin), project)
    assert selection.target == str(sysbin / "python3")
    missing = pyenv(root, "python3.12", environment(tmp_path, root, sysbin), project)
    assert missing.target is None
    assert missing.reason is not None
    assert "version `3.9.1' is not installed" in missing.reason


def test_path_leading_back_to_a_shim(tmp_path: Path, root: Path, project: Path) -> None:
    """When PATH reaches this root's shims under another spelling, pyenv would loop forever: no target."""
    env = {"HOME": str(tmp_path), "PATH": f"{root}/shims/", "PYENV_VERSION": "3.11.7"}
    selection = pyenv(root, "python3.12", env, project)
    assert selection.target is None
    assert selection.reason is not None
    assert "leads back to a pyenv shim" in selection.reason


# -- recognising shims -------------------------------------------------------------------


def test_non_shims_are_not_resolved(tmp_path: Path, root: Path, project: Path, sysbin: Path) -> None:
    """An interpreter, a script, a directory or a missing path is not a shim."""
    env = environment(tmp_path, root, sysbin)
    for path in (sysbin / "python3", version_bin(root, "3.12.1", "python3"), tmp_path, tmp_path / "missing"):
        assert shim_manager(str(path), env) is None
        assert resolve(str(path), env, str(project)) is None


def test_pyenv_shim_recognised_by_content_or_location(tmp_path: Path, root: Path, sysbin: Path) -> None:
    """A pyenv shim is known by its ``exec ".../pyenv" exec`` line anywhere, or by sitting in $PYENV_ROOT/shims."""
    env = environment(tmp_path, root, sysbin)
    assert shim_manager(str(root / "shims" / "python3"), {}) == "pyenv"
    odd = write_executable(root / "shims" / "odd", "#!/bin/sh\nexit 0\n")
    assert shim_manager(str(odd), env) == "pyenv"
    assert shim_manager(str(odd), {"HOME": str(tmp_path)}) is None


# -- asdf --------------------------------------------------------------------------------


def asdf_setup(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "asdf"
    for version in ("3.11.7", "3.12.1"):
        write_executable(data / "installs" / "python" / version / "bin" / "python3")
    shim = write_executable(
        data / "shims" / "python3",
        "#!/usr/bin/env bash\n"
        "# asdf-plugin: python 3.11.7\n"
        "# asdf-plugin: python 3.12.1\n"
        'exec asdf exec "python3" "$@" # asdf_allow: \' asdf \'\n',
    )
    return data, shim


def test_asdf_tool_versions(tmp_path: Path, project: Path, sysbin: Path) -> None:
    """asdf: the nearest .tool-versions with a python line selects; ASDF_PYTHON_VERSION overrides it."""
    data, shim = asdf_setup(tmp_path)
    home = tmp_path / "home"
    (home / ".tool-versions").write_text("python 3.11.7\n")
    (project.parent / ".tool-versions").write_text("nodejs 20.1.0\npython 3.10.1 3.12.1  # fallback\n")
    env = {"HOME": str(home), "ASDF_DATA_DIR": str(data), "PATH": f"{data}/shims:{sysbin}"}
    assert shim_manager(str(shim), env) == "asdf"
    selection = resolve(str(shim), env, str(project))
    assert selection is not None
    assert selection.manager == "asdf"
    assert selection.target == str(data / "installs" / "python" / "3.12.1" / "bin" / "python3")
    assert selection.origin == str(project.parent / ".tool-versions")
    assert str(project / ".tool-versions") in selection.files

    overridden = resolve(str(shim), {**env, "ASDF_PYTHON_VERSION": "3.11.7"}, str(project))
    assert overridden is not None
    assert overridden.origin == "ASDF_PYTHON_VERSION"
    assert overridden.target == str(data / "installs" / "python" / "3.11.7" / "bin" / "python3")


def test_asdf_home_file_system_and_nothing_set(tmp_path: Path, project: Path, sysbin: Path) -> None:
    """asdf: $HOME/.tool-versions is the last resort, ``system`` searches PATH minus the shims, none means none."""
    data, shim = asdf_setup(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"
    env = {"HOME": str(home), "ASDF_DATA_DIR": str(data), "PATH": f"{data}/shims:{sysbin}"}

    nothing = resolve(str(shim), env, str(elsewhere))
    assert nothing is not None
    assert (nothing.target, nothing.version, nothing.origin) == (None, None, "default")
    assert nothing.reason == "asdf: No version is set for command python3"

    (home / ".tool-versions").write_text("python system\n")
    system = resolve(str(shim), env, str(elsewhere))
    assert system is not None
    assert system.origin == str(home / ".tool-versions")
    assert (system.target, system.version) == (str(sysbin / "python3"), "system")


# -- mise --------------------------------------------------------------------------------


def mise_setup(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "mise-data"
    for version in ("3.11.7", "3.12.1"):
        write_executable(data / "installs" / "python" / version / "bin" / "python3")
    mise = write_executable(tmp_path / "bin" / "mise", "#!/bin/sh\nexit 0\n")
    shim = data / "shims" / "python3"
    shim.parent.mkdir(parents=True)
    shim.symlink_to(mise)
    return data, shim


def test_mise_config_files(tmp_path: Path, project: Path, sysbin: Path) -> None:
    """mise: a [tools] prefix resolves to the newest install; mise.local.toml beats mise.toml in one directory."""
    data, shim = mise_setup(tmp_path)
    env = {"HOME": str(tmp_path / "home"), "MISE_DATA_DIR": str(data), "PATH": f"{data}/shims:{sysbin}"}
    assert shim_manager(str(shim), {}) == "mise"
    (project.parent / "mise.toml").write_text('[env]\npython = "no"\n\n[tools]\nnode = "20"\npython = "3.12"  # pin\n')
    selection = resolve(str(shim), env, str(project))
    assert selection is not None
    assert selection.manager == "mise"
    assert selection.target == str(data / "installs" / "python" / "3.12.1" / "bin" / "python3")
    assert selection.version == "3.12.1"
    assert str(project / "mise.toml") in selection.files

    (project.parent / "mise.local.toml").write_text("[tools]\npython = { version = '3.11.7', virtualenv = '.venv' }\n")
    local = resolve(str(shim), env, str(project))
    assert local is not None
    assert local.origin == str(project.parent / "mise.local.toml")
    assert local.version == "3.11.7"


def test_mise_environment_global_and_system(tmp_path: Path, project: Path, sysbin: Path) -> None:
    """mise: MISE_PYTHON_VERSION wins, the global config.toml is the fallback, then PATH minus the shims."""
    data, shim = mise_setup(tmp_path)
    home = tmp_path / "home"
    env = {"HOME": str(home), "MISE_DATA_DIR": str(data), "PATH": f"{data}/shims:{sysbin}"}
    config = home / ".config" / "mise" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('tools.python = ["3.10", "3.11"]\n')
    selection = resolve(str(shim), env, str(project))
    assert selection is not None
    assert (selection.origin, selection.version) == (str(config), "3.11.7")

    forced = resolve(str(shim), {**env, "MISE_PYTHON_VERSION": "3.12.1"}, str(project))
    assert forced is not None
    assert (forced.origin, forced.version) == ("MISE_PYTHON_VERSION", "3.12.1")

    config.write_text("[tools]\npython = '3.9'\n")
    system = resolve(str(shim), env, str(project))
    assert system is not None
    assert (system.target, system.version) == (str(sysbin / "python3"), "system")


# -- the real pyenv ----------------------------------------------------------------------


def test_matches_the_real_pyenv(tmp_path: Path) -> None:
    """On a machine with pyenv, resolve() names the file ``pyenv which python3`` prints (a prefix request)."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    shim = root / "shims" / "python3"
    installed = sorted(
        p.name
        for p in (root / "versions").glob("*")
        if re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", p.name) and (p / "bin" / "python3").exists()
    )
    if not (shim.exists() and (root / "libexec" / "pyenv").exists() and installed):
        pytest.skip("pyenv with an installed CPython is not on this machine")
    request = installed[-1].rsplit(".", 1)[0]  # a major.minor prefix: exercises pyenv-latest too
    env = {"HOME": str(Path.home()), "PATH": os.environ["PATH"], "PYENV_VERSION": request}
    if os.environ.get("PYENV_ROOT"):
        env["PYENV_ROOT"] = os.environ["PYENV_ROOT"]
    which = subprocess.run(
        [str(root / "libexec" / "pyenv"), "which", "python3"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    selection = resolve(str(shim), env, str(tmp_path))
    assert selection is not None
    assert selection.target is not None
    assert os.path.realpath(selection.target) == os.path.realpath(which.stdout.strip())


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ('tools = {python = "3.11"}\n', "3.11.7"),
        ('tools = { node = "20", "core:python" = "3.12" }\n', "3.12.1"),
        ('[tools]\npython = [\n  "3.10",  # not installed\n  "3.11",\n]\n', "3.11.7"),
        ("[tools]\npython = [\n  { version = '3.9' },\n  { version = '3.12.1', virtualenv = '.venv' },\n]\n", "3.12.1"),
        ('[tools.python]\nversion = "3.11.7"\n', "3.11.7"),
        ('[env]\n_.python.venv = ".venv"\n[tools]\npython = """3.12"""\n', "3.12.1"),
        ('[tools]\nnode = "20"\n\n[settings]\npython = "3.11"\n', None),  # not a tool: mise falls back to PATH
    ],
    ids=["inline", "inline-core", "multiline-array", "array-of-tables", "table", "multiline-string", "settings"],
)
def test_mise_config_is_read_as_toml(
    tmp_path: Path, project: Path, sysbin: Path, text: str, version: str | None
) -> None:
    """Real mise files in the forms a line reader misses: inline tables, multi-line arrays, tables."""
    data, shim = mise_setup(tmp_path)
    env = {"HOME": str(tmp_path / "home"), "MISE_DATA_DIR": str(data), "PATH": f"{data}/shims:{sysbin}"}
    (project / "mise.toml").write_text(text)
    selection = resolve(str(shim), env, str(project))
    assert selection is not None
    if version is None:
        assert (selection.target, selection.version) == (str(sysbin / "python3"), "system")
    else:
        assert selection.origin == str(project / "mise.toml")
        assert (selection.target, selection.version) == (
            str(data / "installs" / "python" / version / "bin" / "python3"),
            version,
        )


def test_mise_config_that_is_not_toml_fails_the_shim(tmp_path: Path, project: Path, sysbin: Path) -> None:
    """mise refuses to run with a broken config: the shim has no target and the reason names the file."""
    data, shim = mise_setup(tmp_path)
    env = {"HOME": str(tmp_path / "home"), "MISE_DATA_DIR": str(data), "PATH": f"{data}/shims:{sysbin}"}
    (project / "mise.toml").write_text('[tools]\npython = "3.12\n')
    selection = resolve(str(shim), env, str(project))
    assert selection is not None
    assert selection.target is None
    assert selection.reason is not None
    assert selection.reason.startswith(f"mise: {project / 'mise.toml'} is not valid TOML")


# -- the hand scans, held to the patterns they replaced ------------------------------------

#: Pieces a shim's lines are made of, so that near misses are common.
_PIECES = st.sampled_from(
    [
        'exec "',
        '" exec ',
        "/pyenv",
        "pyenv",
        "export PYENV_ROOT=",
        '"',
        "\n",
        " ",
        "\t",
        "\r",
        "x",
        "/",
        "# asdf-plugin: ",
        "#",
        "exec ",
        "mise",
        "/usr/bin/",
        " x -- ",
        "\u00a0",
        "rtx",
    ]
)
_LINES = st.lists(_PIECES, max_size=14).map("".join)


@given(_LINES)
def test_shim_lines_are_recognised_as_the_patterns_did(head: str) -> None:
    pyenv_exec = re.search(r'(?m)^exec "(?P<pyenv>[^"\n]*/pyenv)" exec ', head)
    assert launchers._pyenv_exec(head) == (pyenv_exec["pyenv"] if pyenv_exec else None)
    root_line = re.search(r'(?m)^export PYENV_ROOT="(?P<root>[^"\n]*)"$', head)
    assert launchers._pyenv_baked_root(head) == (root_line["root"] if root_line else None)
    assert launchers._is_asdf_shim(head) == bool(re.search(r"(?m)^# asdf-plugin: ", head))
    assert launchers._is_mise_file_shim(head) == bool(re.search(r'(?m)^exec "?(?:[^"\s]*/)?mise"? x -- ', head))


@given(st.text(alphabet=" \t\r\n\u00a0ab#.", max_size=12))
def test_a_version_file_word_is_cut_as_the_pattern_did(chunk: str) -> None:
    text = chunk.strip(" \t\r\n")
    assert launchers._first_word(text) == re.split(r"[ \t\r\n]+", text, maxsplit=1)[0]
