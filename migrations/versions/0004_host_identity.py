"""Host identity: rows keyed by a stable host id, the hostname kept for people; a ``hosts`` view.

Revision ID: 0004_host_identity
Revises: 0003_scrub_secrets
Create Date: 2026-12-02

Before this revision an interpreter was one ``(host, path)`` where ``host`` was
the hostname, so two machines with one name shared rows and a renamed machine
lost its own. ``interpreters.host_id`` (``interpdb.hostid``: the OS machine id,
a generated id, or ``INTERPDB_HOST``) now keys a row with its path; ``host``
stays, as the name people read. Existing rows get ``host_id = host``: interpdb
recognises such a row (``host_id = host =`` its hostname) as written by an older
interpdb on a machine of that name, shows it as that machine's, and moves it to
the machine's id when it next records a probe of it (``store.write``).

The views gain ``host_id`` (a column added at the end: additive); ``hosts`` is
new. SQLite rebuilds ``interpreters`` in batch mode here, so the views are
dropped first and made again after (SQLite refuses a rename a view depends on).
The downgrade fails if two hosts hold the same path (the old unique key cannot
hold them): export first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_host_identity"
down_revision = "0003_scrub_secrets"
branch_labels = None
depends_on = None

_OLD_VIEWS = {
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
    "probe_audit": """
        SELECT p.id AS probe_id, p.interpreter_id, i.host, i.path, p.probed_at, p.trigger,
               p.outcome, p.error, p.duration_ms, CAST(p.changes AS TEXT) AS changes,
               p.interpdb_version, p.command, p.python_version, p.implementation
        FROM probes p
        JOIN interpreters i ON i.id = p.interpreter_id
    """,
    "current_sys_path": """
        SELECT i.id AS interpreter_id, i.host, i.path, s.probe_id, s.position, s.path AS entry
        FROM interpreters i
        JOIN sys_path_entries s ON s.probe_id = i.current_probe_id
    """,
}

_VIEWS = {
    # As in 0002_interface, plus host_id last (a reader of the old columns sees them all).
    "interpreters_current": """
        SELECT i.id AS interpreter_id, i.host, i.path, i.created_at, i.forgotten_at,
               p.id AS probe_id, p.probed_at, p.trigger, p.outcome, p.error,
               p.implementation, p.implementation_version, p.python_version,
               p.version_major, p.version_minor, p.version_micro,
               p.is_venv, p.free_threaded, p.debug_build, p.pointer_size, p.platform,
               p.executable, p.real_executable, p.prefix, p.base_prefix, i.host_id
        FROM interpreters i
        LEFT JOIN probes p ON p.id = i.current_probe_id
    """,
    "probe_audit": """
        SELECT p.id AS probe_id, p.interpreter_id, i.host, i.path, p.probed_at, p.trigger,
               p.outcome, p.error, p.duration_ms, CAST(p.changes AS TEXT) AS changes,
               p.interpdb_version, p.command, p.python_version, p.implementation, i.host_id
        FROM probes p
        JOIN interpreters i ON i.id = p.interpreter_id
    """,
    "current_sys_path": """
        SELECT i.id AS interpreter_id, i.host, i.path, s.probe_id, s.position, s.path AS entry, i.host_id
        FROM interpreters i
        JOIN sys_path_entries s ON s.probe_id = i.current_probe_id
    """,
    # One row per host: its interpreters (forgotten ones not counted), how many of
    # them answered their latest probe, its latest probe and the interpdb that took it.
    # A host's name is one of the names its rows carry (MAX: a renamed host has two).
    "hosts": """
        SELECT i.host_id, MAX(i.host) AS host,
               SUM(CASE WHEN i.forgotten_at IS NULL THEN 1 ELSE 0 END) AS interpreters,
               SUM(CASE WHEN i.forgotten_at IS NULL AND p.outcome = 'ok' THEN 1 ELSE 0 END) AS ok,
               MAX(p.probed_at) AS last_probed_at,
               (SELECT q.interpdb_version FROM probes q JOIN interpreters j ON j.id = q.interpreter_id
                WHERE j.host_id = i.host_id ORDER BY q.probed_at DESC, q.id DESC LIMIT 1) AS interpdb_version
        FROM interpreters i
        LEFT JOIN probes p ON p.id = i.current_probe_id
        GROUP BY i.host_id
    """,
}


def upgrade() -> None:
    for name in _OLD_VIEWS:
        op.execute(f"DROP VIEW {name}")
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.add_column(sa.Column("host_id", sa.String(length=255), nullable=True))
    interpreters = sa.table("interpreters", sa.column("host", sa.String()), sa.column("host_id", sa.String()))
    op.execute(interpreters.update().values(host_id=interpreters.c.host))
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.alter_column("host_id", existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_constraint(op.f("uq_interpreters_host_path"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_interpreters_host_id_path"), ["host_id", "path"])
    op.create_index(op.f("ix_interpreters_host"), "interpreters", ["host"])
    for name, select in _VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select.strip()}")


def downgrade() -> None:
    for name in reversed(list(_VIEWS)):
        op.execute(f"DROP VIEW {name}")
    op.drop_index(op.f("ix_interpreters_host"), table_name="interpreters")
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.drop_constraint(op.f("uq_interpreters_host_id_path"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_interpreters_host_path"), ["host", "path"])
        batch_op.drop_column("host_id")
    for name, select in _OLD_VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {select.strip()}")
