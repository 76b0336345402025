"""Indexes that let ``find`` start from the few interpreters that can rank first.

Revision ID: 0005_ranking_indexes
Revises: 0004_host_identity
Create Date: 2026-12-07

A warm ``find`` reads the base interpreters and stored failures, and of the venvs
only those that could outrank the best base (``store.read.not_venvs`` and
``venvs_that_may_outrank``). Without these indexes both queries visit every
interpreter of the host and its current probe: about 11 ms each with 10,000 venvs.
With them each starts from an index range of probes and reaches the interpreters
through ``current_probe_id``:

- ``ix_interpreters_current_probe_id``: the interpreter whose current probe this is
  (also what ``ON DELETE SET NULL`` looks up);
- ``ix_probes_kind`` (``is_venv``, ``outcome``, ``version_major``, ``version_minor``):
  probes that are not working venvs, and working venvs of a newer line;
- ``ix_probes_prefix``: the venvs with a given prefix (the active venv, the other
  paths into a venv). A hash index on PostgreSQL: a prefix comes from the probe's
  answer and may be 16,384 characters long, more than a B-tree entry holds there
  (about 2.7 kB); SQLite's B-tree takes any length;
- ``ix_sys_path_entries_path`` (from ``0002_interface``) becomes a hash index on
  PostgreSQL, for the same reason as ``ix_probes_prefix``: a ``sys.path`` entry of an
  answer may be 16,384 characters long, and a B-tree entry that long made PostgreSQL
  refuse the whole batch of probes being recorded. Equality is all it serves there (a
  B-tree on PostgreSQL serves ``LIKE 'x%'`` only with the C collation). SQLite keeps
  its B-tree.
- ``ix_probes_irregular``, partial: the probes whose version columns disagree with
  ``python_version`` or whose prefix is not normalised, few in any store, which the
  ranking keeps whatever their columns say.

The partial index's condition is frozen here; ``store.read.IRREGULAR_PROBES`` must
stay the very same text, or SQLite no longer uses the index
(``tests/test_find_plans.py`` checks both). Indexes only: nothing is rewritten, and
the downgrade drops them. ``IF NOT EXISTS``: SQLite used to commit each ``CREATE INDEX``
at once (migrations run in one transaction since ``env.py`` begins one), so a store an
upgrade stopped part-way before that may hold some of them behind its ``0004``
revision, and the next attempt must get past them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_ranking_indexes"
down_revision = "0004_host_identity"
branch_labels = None
depends_on = None

IRREGULAR = (
    "version_major IS NULL OR version_minor IS NULL OR python_version IS NULL "
    "OR python_version NOT LIKE version_major || '.' || version_minor || '.%' "
    "OR prefix NOT LIKE '/%' OR prefix LIKE '%//%' OR prefix LIKE '%/./%' OR prefix LIKE '%/../%' "
    "OR prefix LIKE '%/' OR prefix LIKE '%/.' OR prefix LIKE '%/..'"
)


def upgrade() -> None:
    op.create_index("ix_interpreters_current_probe_id", "interpreters", ["current_probe_id"], if_not_exists=True)
    op.create_index(
        "ix_probes_kind", "probes", ["is_venv", "outcome", "version_major", "version_minor"], if_not_exists=True
    )
    op.create_index("ix_probes_prefix", "probes", ["prefix"], postgresql_using="hash", if_not_exists=True)
    op.create_index(
        "ix_probes_irregular",
        "probes",
        ["id"],
        sqlite_where=sa.text(IRREGULAR),
        postgresql_where=sa.text(IRREGULAR),
        if_not_exists=True,
    )
    _sys_path_index("hash")


def _sys_path_index(method: str) -> None:
    """``ix_sys_path_entries_path`` made again with ``method`` (PostgreSQL only: its DDL is
    transactional, so there is no half-done state to get past)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_sys_path_entries_path", table_name="sys_path_entries")
    op.create_index("ix_sys_path_entries_path", "sys_path_entries", ["path"], postgresql_using=method)


def downgrade() -> None:
    _sys_path_index("btree")
    op.drop_index("ix_probes_irregular", table_name="probes", if_exists=True)
    op.drop_index("ix_probes_prefix", table_name="probes", if_exists=True)
    op.drop_index("ix_probes_kind", table_name="probes", if_exists=True)
    op.drop_index("ix_interpreters_current_probe_id", table_name="interpreters", if_exists=True)
