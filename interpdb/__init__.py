"""interpdb: an inventory of Python interpreters that knows when what it knows is stale.

The Python API (see the README): ``Inventory`` answers, ``Refresh`` says what may be
re-probed, ``Record`` and ``ProbeEvent`` are the frozen values returned. They are
imported on first use, so ``import interpdb`` stays cheap for the console entry.
"""

from __future__ import annotations

#: ``typing`` costs milliseconds at start-up; annotations only need it for mypy.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


__version__ = "0.1.0"
__all__ = ["Inventory", "InventoryError", "ProbeEvent", "Record", "Refresh", "Result", "__version__"]

if TYPE_CHECKING:
    from interpdb.errors import InventoryError
    from interpdb.policy import Refresh
    from interpdb.records import ProbeEvent, Record
    from interpdb.service import Inventory, Result

_HOMES = {
    "Inventory": "interpdb.service",
    "InventoryError": "interpdb.errors",
    "Result": "interpdb.service",
    "Refresh": "interpdb.policy",
    "Record": "interpdb.records",
    "ProbeEvent": "interpdb.records",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'interpdb' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(home), name)
