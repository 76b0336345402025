"""Many paths, one interpreter: ``python``, ``python3``, ``python3.12``, a symlink, a shim.

Paths are grouped by what they really run: a venv by its own ``pyvenv.cfg`` (a
venv's ``bin/python`` is usually a symlink to its base interpreter, yet answers
differently; its prefix when the fingerprint is not at hand), anything else by
the device and inode of the executable the probe found (for a shim or wrapper,
the interpreter it runs). Failed and missing paths stand alone. The path that
represents a group is the one a person would type: not a launcher, found through
the earliest source, in a folder that is not a symlink (``/usr/bin``, not
``/bin`` on a merged-``/usr`` system), shortest, oldest.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from interpdb._frozen import replace
from interpdb.records import Record

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from interpdb.fingerprint import Entry


def identity(record: Record) -> tuple[object, ...]:
    """What makes two rows the same interpreter; rows of two hosts never are."""
    return (record.host_id, *_identity(record))


def _identity(record: Record) -> tuple[object, ...]:
    if record.outcome != "ok":
        return ("path", record.path)
    if record.is_venv:
        # Its pyvenv.cfg file, where the fingerprint has it: a venv reached through a
        # symlinked folder (pyenv-virtualenv's ``versions/NAME`` for ``versions/X/envs/NAME``)
        # reports that spelling as its prefix, yet it is the same venv.
        config = venv_config(record)
        return ("venv", record.prefix) if config is None else ("venv-file", config.dev, config.ino)
    final = None
    for entry in record.entries:
        if entry.role in ("executable", "real-executable") and entry.exists:
            final = entry  # the last one is the real interpreter for a launcher
    if final is None:
        return ("path", record.path)
    return ("file", final.dev, final.ino)


def venv_config(record: Record) -> Entry | None:
    """The ``pyvenv.cfg`` entry that tells a venv, whatever the spelling of its path: the
    first one of its fingerprint that exists (None without a fingerprint at hand)."""
    return next((e for e in record.entries if e.role == "pyvenv.cfg" and e.exists), None)


def group(records: Iterable[Record], source_rank: Mapping[int, int] | None = None) -> list[Record]:
    """One record per interpreter, carrying its other paths in ``aliases``; input order kept."""
    ranks = source_rank or {}
    groups: dict[tuple[object, ...], list[Record]] = {}
    for record in records:
        groups.setdefault(identity(record), []).append(record)
    leaders: list[Record] = []
    for members in groups.values():
        if len(members) == 1 and not members[0].aliases:
            leaders.append(members[0])  # alone: nothing to prefer (``_preference`` stats its folder)
            continue
        leader = min(members, key=lambda r: _preference(r, ranks))
        others = tuple(sorted(r.path for r in members if r is not leader))
        leaders.append(replace(leader, aliases=others))
    return sorted(leaders, key=lambda r: r.id)


def _preference(record: Record, ranks: Mapping[int, int]) -> tuple[bool, int, bool, int, str, int]:
    folder = os.path.dirname(record.path)
    return (
        bool(record.data.get("launcher")),
        ranks.get(record.id, 1_000),
        os.path.realpath(folder) != folder,  # /bin/python3 on a merged-/usr system: /usr/bin/python3 reads better
        len(record.path),
        record.path,
        record.id,
    )


def with_aliases(records: Sequence[Record]) -> list[Record]:
    """Every path kept (``list --aliases``), each naming the other paths to its interpreter."""
    groups: dict[tuple[object, ...], list[str]] = {}
    for record in records:
        groups.setdefault(identity(record), []).append(record.path)
    return [replace(r, aliases=tuple(sorted(p for p in groups[identity(r)] if p != r.path))) for r in records]
