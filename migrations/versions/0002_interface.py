"""The database as an interface: forgotten interpreters, discovery sources, sys.path rows, views.

Revision ID: 0002_interface
Revises: 0001_initial
Create Date: 2026-11-25

``sys_path_entries`` is backfilled from the ``sys_path`` of every stored ``ok``
probe, so a database upgraded with data in it answers "who has X on sys.path"
for its whole history, not only for probes taken after the upgrade.

The three views are public (``docs/schema.md``): their SQL is portable (SQLite and
PostgreSQL) and lives here, frozen with this revision. A later migration that
changes a view drops and recreates it; one that rebuilds ``interpreters`` or
``probes`` in batch mode on SQLite must drop the views first and recreate them
after, because SQLite refuses to rename a table while a view names a missing one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_interface"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

#: Probes read per query while backfilling: bounded memory on a large history.
_BACKFILL_BATCH = 500

_VIEWS = {
    # One row per interpreter (forgotten ones included: see forgotten_at), with the
    # facts of its current probe; the probe columns are NULL if it has none.
    "interpreters_current": """
        SELECT i.id AS interpreter_id, i.host, i.path, i.created_at, i.forgotten_at,
               p.id AS probe_id, p.probed_at, p.trigger, p.outcome, p.error,
               p.implementation, p.implementation_version, p.python_version,
               p.version_major, p.version_minor, p.version_micro,
               p.is_venv, p.free_threaded, p.debug_build, p.pointer_size, p.platform,
               p.executable, p.real_executable, p.prefix, p.base_prefix
        FROM interpreters i
        LEFT JOIN probes p ON p.id = i.current_probe_id
    """,
    # One row per probe: the audit log. changes is cast to text so both databases
    # show the same JSON document (PostgreSQL would otherwise return its json type).
    "probe_audit": """
        SELECT p.id AS probe_id, p.interpreter_id, i.host, i.path, p.probed_at, p.trigger,
               p.outcome, p.error, p.duration_ms, CAST(p.changes AS TEXT) AS changes,
               p.interpdb_version, p.command, p.python_version, p.implementation
        FROM probes p
        JOIN interpreters i ON i.id = p.interpreter_id
    """,
    # sys.path of each interpreter's current probe, one row per entry, in order.
    "current_sys_path": """
        SELECT i.id AS interpreter_id, i.host, i.path, s.probe_id, s.position, s.path AS entry
        FROM interpreters i
        JOIN sys_path_entries s ON s.probe_id = i.current_probe_id
    """,
}


def upgrade() -> None:
    # A nullable column is a plain ALTER TABLE ... ADD COLUMN, even on SQLite.
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.add_column(sa.Column("forgotten_at", sa.DateTime(), nullable=True))

    op.create_table(
        "interpreter_sources",
        sa.Column("interpreter_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interpreter_id"],
            ["interpreters.id"],
            name=op.f("fk_interpreter_sources_interpreter_id_interpreters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interpreter_id", "source", name=op.f("pk_interpreter_sources")),
    )
    op.create_index(op.f("ix_interpreter_sources_source"), "interpreter_sources", ["source"])

    op.create_table(
        "sys_path_entries",
        sa.Column("probe_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["probe_id"], ["probes.id"], name=op.f("fk_sys_path_entries_probe_id_probes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("probe_id", "position", name=op.f("pk_sys_path_entries")),
    )
    op.create_index(op.f("ix_sys_path_entries_path"), "sys_path_entries", ["path"])
    _backfill_sys_path()

    for name, select in _VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select.strip()}")


def _backfill_sys_path() -> None:
    """Copy ``data["sys_path"]`` of every ``ok`` probe into rows, a batch of probes at a time."""
    bind = op.get_bind()
    # Lightweight table stubs: the JSON type decodes ``data`` on every backend, and
    # no later change to the models can alter what this revision reads or writes.
    probes = sa.table("probes", sa.column("id", sa.Integer()), sa.column("outcome"), sa.column("data", sa.JSON()))
    entries = sa.table("sys_path_entries", sa.column("probe_id"), sa.column("position"), sa.column("path"))
    last_id = 0
    while True:
        batch = bind.execute(
            sa.select(probes.c.id, probes.c.data)
            .where(probes.c.id > last_id, probes.c.outcome == "ok")
            .order_by(probes.c.id)
            .limit(_BACKFILL_BATCH)
        ).all()
        if not batch:
            return
        rows: list[dict[str, Any]] = []
        for probe_id, data in batch:
            sys_path = data.get("sys_path") if isinstance(data, dict) else None
            for position, path in enumerate(sys_path if isinstance(sys_path, list) else []):
                if isinstance(path, str):
                    rows.append({"probe_id": probe_id, "position": position, "path": path})
        if rows:
            bind.execute(entries.insert(), rows)
        last_id = batch[-1][0]


def downgrade() -> None:
    # Views first: they name the tables and the column dropped below.
    for name in reversed(list(_VIEWS)):
        op.execute(f"DROP VIEW {name}")
    op.drop_index(op.f("ix_sys_path_entries_path"), table_name="sys_path_entries")
    op.drop_table("sys_path_entries")
    op.drop_index(op.f("ix_interpreter_sources_source"), table_name="interpreter_sources")
    op.drop_table("interpreter_sources")
    # SQLite rebuilds the table here (batch mode); env.py keeps foreign keys off meanwhile.
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.drop_column("forgotten_at")
