"""interpdb: an inventory of Python interpreters that knows when what it knows is stale."""

__version__ = "0.1.0"
