"""Care teams: which therapists see which patients (issue 14, least privilege).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 06:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE",
                                name=op.f("fk_care_team_patient_id_patients")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_care_team_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_team")),
        sa.UniqueConstraint("patient_id", "user_id", name=op.f("uq_care_team_patient_id")),
    )
    op.create_index(op.f("ix_care_team_patient_id"), "care_team", ["patient_id"])
    op.create_index(op.f("ix_care_team_user_id"), "care_team", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_care_team_user_id"), table_name="care_team")
    op.drop_index(op.f("ix_care_team_patient_id"), table_name="care_team")
    op.drop_table("care_team")
