"""What ``list`` prints: the filters and the one-row-per-interpreter grouping.

Shared by the click command and the click-free fast path (``interpdb._fast``) so
both print the same rows for the same flags.
"""

from __future__ import annotations

from collections.abc import Sequence

from interpdb.aliases import group, with_aliases
from interpdb.records import Record

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from interpdb.service import Result
    from interpdb.versions import Specifier

#: Shown without ``--all``: interpreters that work.
WORKING = ("cached", "probed", "stale")


def select(
    result: Result,
    *,
    implementation: str | None = None,
    version: Specifier | None = None,
    venv: bool | None = None,
    statuses: Sequence[str] = (),
    show_all: bool = False,
    per_path: bool = False,
) -> list[Record]:
    """Filter, then group aliases (or, ``per_path``, keep every path naming its aliases)."""
    from interpdb.service import source_rank

    kept = [r for r in result.records if _keep(r, implementation, version, venv, statuses, show_all)]
    return with_aliases(kept) if per_path else group(kept, source_rank(result))


def _keep(
    record: Record,
    implementation: str | None,
    version: Specifier | None,
    venv: bool | None,
    statuses: Sequence[str],
    show_all: bool,
) -> bool:
    if statuses:
        if record.status not in statuses:
            return False
    elif not show_all and record.status not in WORKING:
        return False
    if implementation and (record.implementation or "").lower() != implementation.lower():
        return False
    if version is not None and not version.contains(record.version or ""):
        return False
    return venv is None or record.is_venv == venv
