"""Analysis versions: re-analyses of the store's recordings stored beside the old results
(issue 15, ``gaitway reanalyze``). Nothing existing changes: the analysis made at import stays
in ``sessions``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=64), nullable=False),
        sa.Column("gaitway_version", sa.String(length=32), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("cluster", sa.String(length=200), nullable=False),
        sa.Column("sessions_total", sa.Integer(), nullable=False),
        sa.Column("sessions_failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_versions")),
    )
    op.create_table(
        "session_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_version_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("analysed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("strides", sa.Integer(), nullable=False),
        sa.Column("numbers", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["analysis_version_id"], ["analysis_versions.id"],
                                ondelete="CASCADE",
                                name=op.f("fk_session_analyses_analysis_version_id_analysis_versions")),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE",
                                name=op.f("fk_session_analyses_session_id_sessions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_analyses")),
        sa.UniqueConstraint("analysis_version_id", "session_id",
                            name=op.f("uq_session_analyses_analysis_version_id")),
    )
    op.create_index(op.f("ix_session_analyses_analysis_version_id"), "session_analyses",
                    ["analysis_version_id"])
    op.create_index(op.f("ix_session_analyses_session_id"), "session_analyses", ["session_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_session_analyses_session_id"), table_name="session_analyses")
    op.drop_index(op.f("ix_session_analyses_analysis_version_id"), table_name="session_analyses")
    op.drop_table("session_analyses")
    op.drop_table("analysis_versions")
