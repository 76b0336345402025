"""Two standard-library C modules that the warm path imports without their Python wrappers.

A warm answer costs about as much as a Python start-up, so two wrappers show in its
time (``scripts/bench.py``; ``tests/test_import_budget.py`` holds the lists):

- ``sqlite3`` is a package around the C module ``_sqlite3``. It only adds
  adapters for ``date`` and ``datetime`` parameters, which Python 3.12 deprecates
  and interpdb never binds (its times go to SQLite as text), and imports
  ``datetime`` and ``collections.abc`` to do so.
- ``datetime`` on CPython 3.11 and older defines a pure-Python twin of each class,
  then replaces them all with ``_datetime``'s.

Together the two cost a warm ``find`` about 4% of its instructions on CPython 3.11
(``valgrind --tool=callgrind``). The objects are the very same either way
(``sqlite3.Connection is _sqlite3.Connection``, ``datetime.datetime is
_datetime.datetime``), so code that imports the public modules later, SQLAlchemy on
the write path among it, meets the same classes and exceptions. A Python without the
C modules (PyPy's ``datetime`` is pure Python) gets the public ones.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from datetime import datetime, timedelta, timezone
else:
    try:
        import _sqlite3 as sqlite3
    except ImportError:  # pragma: no cover (every CPython has it)
        import sqlite3
    try:
        from _datetime import datetime, timedelta, timezone
    except ImportError:  # pragma: no cover (PyPy)
        from datetime import datetime, timedelta, timezone

__all__ = ["datetime", "sqlite3", "timedelta", "timezone"]
