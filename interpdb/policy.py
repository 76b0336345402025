"""The refresh policy: one small value, computed once per command from its flags.

=============================  ===========================================================
flag                           what gets re-probed
=============================  ===========================================================
(none)                         what is new, or whose fingerprint no longer matches
                               (trigger ``changed``), or whose probe script changed
                               (``probe-changed``)
``--max-age 7d``               ...and whatever was last probed longer ago (``max-age``)
``--refresh``                  everything the command touches (``refresh``)
``--refresh-interpreter P``    P, whatever its fingerprint says (``refresh-interpreter``)
``--offline``                  nothing: changed rows are shown ``stale``, unknown paths fail
=============================  ===========================================================

Nothing else (filters, formats) causes a probe. ``started`` makes an explicit refresh
happen once per run even when a path is reached twice (an alias, a second argument).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from interpdb._frozen import field, frozen
from interpdb._stdlib import datetime, timedelta
from interpdb.fingerprint import Change
from interpdb.location import normalize_path
from interpdb.records import utcnow

#: Compiled on first use (``re`` caches it): the warm path never parses a duration.
_DURATION = r"^\s*(\d+(?:\.\d+)?)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)?\s*$"
#: The longest duration accepted: a century back from now is still a valid date.
MAX_DURATION = timedelta(days=36_500)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class DurationTooLong(ValueError):
    """A well-formed duration beyond ``MAX_DURATION``."""


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``12h``, ``7d``, ``2w`` (a bare number is seconds)."""
    import re  # here, not at import: a warm answer never parses a duration

    match = re.match(_DURATION, text, re.IGNORECASE)
    if not match:
        raise ValueError(f"{text!r} is not a duration (try 90s, 15m, 12h, 7d or 2w)")
    unit = (match.group(2) or "s").lower()[0]
    seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if seconds > MAX_DURATION.total_seconds():
        raise DurationTooLong(f"{text!r} is longer than interpdb can count back (at most {MAX_DURATION.days}d)")
    return timedelta(seconds=seconds)


@frozen
class Refresh:
    """What may be re-probed in this run. Build it once, pass it everywhere."""

    everything: bool = False
    interpreters: frozenset[str] = frozenset()
    offline: bool = False
    max_age: timedelta | None = None
    started: datetime = field(default_factory=utcnow)
    #: Why nothing may be probed, for a path never probed: ``--offline``, or a read-only store.
    offline_reason: str = "--offline runs nothing"

    @classmethod
    def from_flags(
        cls,
        refresh: bool = False,
        refresh_interpreters: Iterable[str] = (),
        offline: bool = False,
        max_age: timedelta | None = None,
    ) -> Refresh:
        if offline and (refresh or tuple(refresh_interpreters)):
            raise ValueError("--offline cannot be combined with --refresh or --refresh-interpreter")
        return cls(
            everything=refresh,
            interpreters=frozenset(normalize_path(p) for p in refresh_interpreters),
            offline=offline,
            max_age=max_age,
        )

    def trigger(self, path: str, probed_at: datetime | None, changes: Sequence[Change]) -> str | None:
        """Why ``path`` must be probed now, or None when the stored probe stands.

        ``probed_at`` is None for a path never probed. Offline, nothing is probed.
        """
        if self.offline:
            return None
        if probed_at is None:
            return "new"
        if changes:  # whatever else holds, a changed fingerprint is never served
            return "probe-changed" if all(c.role == "probe" for c in changes) else "changed"
        ahead = False
        if probed_at >= self.started:
            if probed_at <= utcnow():
                return None  # already probed in this very run: an explicit refresh happens once
            # A time ahead of this clock (recorded before the clock was stepped back, or
            # imported): it proves nothing, so it is as old as --max-age can ask.
            ahead = True
        if path in self.interpreters:
            return "refresh-interpreter"
        if self.everything:
            return "refresh"
        if self.max_age is not None and (ahead or self.started - probed_at > self.max_age):
            return "max-age"
        return None
