"""Initial schema: interpreters, their append-only probes, and each probe's fingerprint.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interpreters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("current_probe_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreters")),
        sa.UniqueConstraint("host", "path", name=op.f("uq_interpreters_host_path")),
    )
    op.create_table(
        "probes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("interpreter_id", sa.Integer(), nullable=False),
        sa.Column("probed_at", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("interpdb_version", sa.String(length=64), nullable=False),
        sa.Column("probe_hash", sa.String(length=64), nullable=False),
        sa.Column("command", sa.Text(), nullable=True),
        sa.Column("implementation", sa.String(length=32), nullable=True),
        sa.Column("implementation_version", sa.String(length=64), nullable=True),
        sa.Column("python_version", sa.String(length=64), nullable=True),
        sa.Column("version_major", sa.Integer(), nullable=True),
        sa.Column("version_minor", sa.Integer(), nullable=True),
        sa.Column("version_micro", sa.Integer(), nullable=True),
        sa.Column("version_releaselevel", sa.String(length=16), nullable=True),
        sa.Column("is_venv", sa.Boolean(), nullable=True),
        sa.Column("free_threaded", sa.Boolean(), nullable=True),
        sa.Column("debug_build", sa.Boolean(), nullable=True),
        sa.Column("pointer_size", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=64), nullable=True),
        sa.Column("executable", sa.Text(), nullable=True),
        sa.Column("real_executable", sa.Text(), nullable=True),
        sa.Column("prefix", sa.Text(), nullable=True),
        sa.Column("base_prefix", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["interpreter_id"],
            ["interpreters.id"],
            name=op.f("fk_probes_interpreter_id_interpreters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probes")),
    )
    op.create_index("ix_probes_interpreter_id_probed_at", "probes", ["interpreter_id", "probed_at"])
    op.create_index("ix_probes_probed_at", "probes", ["probed_at"])
    op.create_index("ix_probes_trigger_probed_at", "probes", ["trigger", "probed_at"])

    op.create_table(
        "fingerprint_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("probe_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("exists", sa.Boolean(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("ctime_ns", sa.BigInteger(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("ino", sa.BigInteger(), nullable=True),
        sa.Column("dev", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["probe_id"], ["probes.id"], name=op.f("fk_fingerprint_entries_probe_id_probes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprint_entries")),
    )
    op.create_index(op.f("ix_fingerprint_entries_probe_id"), "fingerprint_entries", ["probe_id"])

    # interpreters -> probes closes a cycle, so it is added once both tables exist
    # (a batch rebuild on SQLite, a plain ALTER elsewhere).
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_interpreters_current_probe_id_probes"),
            "probes",
            ["current_probe_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("interpreters") as batch_op:
        batch_op.drop_constraint(op.f("fk_interpreters_current_probe_id_probes"), type_="foreignkey")
    op.drop_index(op.f("ix_fingerprint_entries_probe_id"), table_name="fingerprint_entries")
    op.drop_table("fingerprint_entries")
    op.drop_index("ix_probes_trigger_probed_at", table_name="probes")
    op.drop_index("ix_probes_probed_at", table_name="probes")
    op.drop_index("ix_probes_interpreter_id_probed_at", table_name="probes")
    op.drop_table("probes")
    op.drop_table("interpreters")
