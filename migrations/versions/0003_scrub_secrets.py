"""Scrub passwords from the command lines stored with each probe.

Revision ID: 0003_scrub_secrets
Revises: 0002_interface
Create Date: 2026-12-02

Before this revision ``probes.command`` kept argv verbatim, so ``--db
postgresql+psycopg://user:PASSWORD@host/db`` and ``?password=...`` were stored
and shown by ``history``, the ``probe_audit`` view and ``export``. Each stored
command is rewritten word by word with the password shown as ``***`` (what
interpdb now records). Portable: rows are read and written through SQLAlchemy
Core, in batches, on SQLite and PostgreSQL alike. There is no way back: the
downgrade leaves the scrubbed commands as they are.

The rule is frozen here rather than imported, so this migration keeps meaning
what it meant when later versions of interpdb change theirs.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0003_scrub_secrets"
down_revision = "0002_interface"
branch_labels = None
depends_on = None

_BATCH = 500
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&\s]*")


def scrub(command: str) -> str:
    """``command`` with the password of every URL in it, and every ``password=`` value, as ``***``."""
    words = []
    for word in command.split(" "):
        scheme, sep, rest = word.partition("://")
        at = rest.rfind("@")
        if sep and at >= 0:
            user, colon, _password = rest[:at].partition(":")
            if colon:
                word = f"{scheme}://{user}:***{rest[at:]}"
        words.append(_QUERY_PASSWORD.sub(r"\1***", word))
    return " ".join(words)


def upgrade() -> None:
    probes = sa.table("probes", sa.column("id", sa.Integer), sa.column("command", sa.Text))
    conn = op.get_bind()
    suspect = sa.or_(probes.c.command.like("%://%@%"), sa.func.lower(probes.c.command).like("%password=%"))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(probes.c.id, probes.c.command)
            .where(probes.c.id > last, suspect)
            .order_by(probes.c.id)
            .limit(_BATCH)
        ).fetchall()
        if not rows:
            break
        for probe_id, command in rows:
            cleaned = scrub(command)
            if cleaned != command:
                conn.execute(sa.update(probes).where(probes.c.id == probe_id).values(command=cleaned))
        last = rows[-1][0]


def downgrade() -> None:
    """Nothing to undo: a scrubbed password cannot be put back (and must not be)."""
