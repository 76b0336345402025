"""The exceptions every layer shares, in a module that imports nothing.

The click-free entry point catches them without importing ``interpdb.service``
(and with it dataclasses and the rest of the write side's vocabulary).
"""


class InventoryError(Exception):
    """An expected failure with a one-line message (bad reference, unusable database)."""


class BadRequest(InventoryError):
    """Input that cannot mean anything (a malformed ``find`` request): a usage error, exit 2."""


class NeedsWrite(Exception):  # a signal to fall back, not an error
    """Raised in ``read_only`` mode where answering would probe, migrate or write."""
