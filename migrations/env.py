"""Alembic environment for interpdb.

interpdb builds its Alembic ``Config`` in code and hands over an open connection in
``config.attributes["connection"]``; ``alembic`` run by hand with a URL also works.
On SQLite, migrations run in batch mode (SQLite cannot ALTER most things), in one
transaction (a step that fails leaves the store as it was; so on PostgreSQL), with foreign keys
switched off around them: rebuilding a parent table with them on
would silently delete its ``ON DELETE CASCADE`` children. ``PRAGMA
foreign_key_check`` before and after proves the migrations orphaned nothing: a row
that was already without its parent (an edit made with foreign keys off) stays as
it was, for ``interpdb db check`` to report, rather than making every upgrade fail.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from interpdb.store.models import Base

config = context.config
target_metadata = Base.metadata


def _orphans(connection: Connection) -> list[tuple[object, ...]]:
    """``(table, rowid, parent, constraint)`` of each row whose parent is missing."""
    return [tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()]


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
        # pysqlite opens a transaction only before a row changes: the DDL before that (0005's
        # DROP INDEX on the way down) committed at once, so a later step that failed (a full
        # disk, two hosts of one name meeting 0004's old unique key) left it done under the
        # revision before it. One transaction from here: all of it, or none of it.
        connection.exec_driver_sql("BEGIN")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        # SQLite: one transaction already (the BEGIN above). PostgreSQL's DDL is transactional
        # too: one transaction for the whole run, so a step that fails (two hosts of one name
        # on the way down to 0003) leaves the shared database at its revision, not between.
        transaction_per_migration=sqlite,
        compare_type=True,
    )
    already = set(_orphans(connection)) if sqlite else set()
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        orphans = [orphan for orphan in _orphans(connection) if orphan not in already]
        if orphans:
            raise RuntimeError(f"migration left rows without their parent: {orphans[:5]}")
        # Foreign keys stay off on this connection (the pragma is a no-op inside the
        # transaction it is in now): interpdb disposes of its pool after migrating, so
        # every later connection gets them back from the engine's connect listener.


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        _run(connection)
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
