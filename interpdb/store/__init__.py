"""The database wing: everything that touches the store, one job per module.

=============  ==========================================================================
module         its job
=============  ==========================================================================
``gate``       **the one place that decides whether a store is current** and what may be
               done to it (read-only, older or newer schema, half-made, foreign); every
               command opens the store through ``gate.open_read`` or ``gate.open_write``
``columns``    every table's columns, named once (the models are checked against them,
               the reader selects and reads by these names)
``read``       standard-library reads: current records with their fingerprints, history;
               damaged rows come back as ``error`` records, never as tracebacks
``sandbox``    ``interpdb sql``: one query that the database itself keeps read-only
``write``      SQLAlchemy writes: record probes, forget, purge, discovery sources
``schema``     the schema's lifecycle: atomic private creation, upgrade/downgrade under a
               lock, backups, ``db check``
``models``     the SQLAlchemy ORM tables (the public schema, see ``docs/schema.md``)
=============  ==========================================================================

``gate``, ``columns``, ``read`` and ``sandbox`` use only the standard library on
SQLite: a warm command never imports SQLAlchemy or Alembic. Importing this package
imports nothing.
"""
