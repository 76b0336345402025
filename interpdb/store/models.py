"""SQLAlchemy tables: interpreters, their append-only probes, and each probe's fingerprint.

Also each interpreter's discovery sources and each probe's ``sys.path`` as rows. The
views (``interpreters_current``, ``probe_audit``, ``current_sys_path``) are not
models: they are SQL in the migration that creates them.

Only ``store.write``, ``store.schema`` and ``transfer`` import this module: reading goes through ``store.read`` with
the standard library's ``sqlite3``, so a warm command never pays for SQLAlchemy.
Column names here (named once in ``store.columns``) are the public schema that ``docs/schema.md`` describes; a change
to them needs a migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from interpdb.store.columns import TABLES
from interpdb.store.read import IRREGULAR_PROBES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Interpreter(Base):
    """One path on one host. Several paths may lead to the same real interpreter.

    ``host_id`` (``interpdb.hostid``) keys the row with its path; ``host`` is the
    host's name when the row was made, for people.
    """

    __tablename__ = "interpreters"
    # ``--host NAME`` looks rows up by name as well as by id.
    __table_args__ = (
        UniqueConstraint("host_id", "path"),
        Index("ix_interpreters_host", "host"),
        Index("ix_interpreters_current_probe_id", "current_probe_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host_id: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Set by ``forget``: the row and its history stay, but listings leave it out.
    forgotten_at: Mapped[Optional[datetime]] = mapped_column(DateTime, nullable=True)
    # The latest probe of this path, whatever its outcome. ``use_alter`` because
    # probes point back here: the cycle is closed after both tables exist.
    current_probe_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("probes.id", use_alter=True, ondelete="SET NULL"), nullable=True
    )

    probes: Mapped[list[Probe]] = relationship(
        back_populates="interpreter",
        foreign_keys="Probe.interpreter_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    current_probe: Mapped[Optional[Probe]] = relationship(foreign_keys=[current_probe_id], post_update=True)
    sources: Mapped[list[InterpreterSource]] = relationship(
        back_populates="interpreter", cascade="all, delete-orphan", passive_deletes=True
    )


class Probe(Base):
    """One attempt to learn an interpreter: never updated, never deleted by later probes.

    ``outcome`` is ``ok``, ``error`` (``error`` says why) or ``missing`` (the path
    disappeared; nothing was run). The facts people filter on are columns; the
    probe's whole answer is ``data``.
    """

    __tablename__ = "probes"
    __table_args__ = (
        Index("ix_probes_interpreter_id_probed_at", "interpreter_id", "probed_at"),
        Index("ix_probes_trigger_probed_at", "trigger", "probed_at"),
        Index("ix_probes_probed_at", "probed_at"),
        # What ``find`` ranks by (``store.read.not_venvs``, ``venvs_that_may_outrank``, ``venvs_in``).
        Index("ix_probes_kind", "is_venv", "outcome", "version_major", "version_minor"),
        # Hash on PostgreSQL: a prefix may be longer than a B-tree entry holds there.
        Index("ix_probes_prefix", "prefix", postgresql_using="hash"),
        Index(
            "ix_probes_irregular",
            "id",
            sqlite_where=text(IRREGULAR_PROBES),
            postgresql_where=text(IRREGULAR_PROBES),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interpreter_id: Mapped[int] = mapped_column(ForeignKey("interpreters.id", ondelete="CASCADE"))
    probed_at: Mapped[datetime] = mapped_column(DateTime)
    trigger: Mapped[str] = mapped_column(String(32))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[Optional[str]] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    interpdb_version: Mapped[str] = mapped_column(String(64))
    probe_hash: Mapped[str] = mapped_column(String(64))
    command: Mapped[Optional[str]] = mapped_column(Text)

    implementation: Mapped[Optional[str]] = mapped_column(String(32))
    implementation_version: Mapped[Optional[str]] = mapped_column(String(64))
    python_version: Mapped[Optional[str]] = mapped_column(String(64))
    version_major: Mapped[Optional[int]] = mapped_column(Integer)
    version_minor: Mapped[Optional[int]] = mapped_column(Integer)
    version_micro: Mapped[Optional[int]] = mapped_column(Integer)
    version_releaselevel: Mapped[Optional[str]] = mapped_column(String(16))
    is_venv: Mapped[Optional[bool]] = mapped_column(Boolean)
    free_threaded: Mapped[Optional[bool]] = mapped_column(Boolean)
    debug_build: Mapped[Optional[bool]] = mapped_column(Boolean)
    pointer_size: Mapped[Optional[int]] = mapped_column(Integer)
    platform: Mapped[Optional[str]] = mapped_column(String(64))
    executable: Mapped[Optional[str]] = mapped_column(Text)
    real_executable: Mapped[Optional[str]] = mapped_column(Text)
    prefix: Mapped[Optional[str]] = mapped_column(Text)
    base_prefix: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    interpreter: Mapped[Interpreter] = relationship(back_populates="probes", foreign_keys=[interpreter_id])
    entries: Mapped[list[FingerprintEntry]] = relationship(
        back_populates="probe", cascade="all, delete-orphan", passive_deletes=True, order_by="FingerprintEntry.position"
    )
    sys_path_entries: Mapped[list[SysPathEntry]] = relationship(
        back_populates="probe", cascade="all, delete-orphan", passive_deletes=True, order_by="SysPathEntry.position"
    )


class FingerprintEntry(Base):
    """One stat (or value) the probe's answer depends on; see ``interpdb.fingerprint``."""

    __tablename__ = "fingerprint_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    probe_id: Mapped[int] = mapped_column(ForeignKey("probes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    path: Mapped[str] = mapped_column(Text)
    exists: Mapped[bool] = mapped_column(Boolean)
    mtime_ns: Mapped[Optional[int]] = mapped_column(BigInteger)
    ctime_ns: Mapped[Optional[int]] = mapped_column(BigInteger)
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    ino: Mapped[Optional[int]] = mapped_column(BigInteger)
    dev: Mapped[Optional[int]] = mapped_column(BigInteger)
    target: Mapped[Optional[str]] = mapped_column(Text)

    probe: Mapped[Probe] = relationship(back_populates="entries")


class InterpreterSource(Base):
    """A discovery source (``path``, ``pyenv``, ``conda``, ``venv``...) that found this path."""

    __tablename__ = "interpreter_sources"

    interpreter_id: Mapped[int] = mapped_column(ForeignKey("interpreters.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)

    interpreter: Mapped[Interpreter] = relationship(back_populates="sources")


class SysPathEntry(Base):
    """One entry of an ``ok`` probe's ``sys.path``: rows, so "who has X on sys.path" is a join."""

    __tablename__ = "sys_path_entries"
    # Hash on PostgreSQL: an entry may be longer than a B-tree entry holds there.
    __table_args__ = (Index("ix_sys_path_entries_path", "path", postgresql_using="hash"),)

    probe_id: Mapped[int] = mapped_column(ForeignKey("probes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)

    probe: Mapped[Probe] = relationship(back_populates="sys_path_entries")


def _check_columns() -> None:
    """The models and ``store.columns`` name the same columns (the reader relies on it)."""
    for table in Base.metadata.sorted_tables:
        named = TABLES.get(table.name)
        if named is None or set(table.columns.keys()) != set(named):
            raise RuntimeError(f"interpdb.store.columns and the models disagree on table {table.name}")


_check_columns()
