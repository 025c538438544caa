"""Virtual patients' recovery states between sessions, and next-session proposals (issue 13).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 05:36:17.892812
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("based_on_session_id", sa.String(length=36), nullable=True),
        sa.Column("from_prescription_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duration_min", sa.Float(), nullable=False),
        sa.Column("speed_kmh", sa.Float(), nullable=False),
        sa.Column("guidance_pct", sa.Float(), nullable=False),
        sa.Column("bws_pct", sa.Float(), nullable=False),
        sa.Column("controller", sa.String(length=64), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("twin_check", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("prescription_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on_session_id"],
            ["sessions.id"],
            name=op.f("fk_proposals_based_on_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["from_prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_proposals_from_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_proposals_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["prescription_id"],
            ["prescriptions.id"],
            name=op.f("fk_proposals_prescription_id_prescriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "recovery_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("onset_days_at_start_d", sa.Float(), nullable=False),
        sa.Column("days_since_onset_d", sa.Float(), nullable=False),
        sa.Column("sessions_done", sa.Integer(), nullable=False),
        sa.Column("training_min_total", sa.Float(), nullable=False),
        sa.Column("active_steps_total", sa.Float(), nullable=False),
        sa.Column("strength_left_frac", sa.Float(), nullable=False),
        sa.Column("strength_right_frac", sa.Float(), nullable=False),
        sa.Column("spasticity_left_nms_per_rad", sa.Float(), nullable=False),
        sa.Column("spasticity_right_nms_per_rad", sa.Float(), nullable=False),
        sa.Column("cadence_steps_per_min", sa.Float(), nullable=False),
        sa.Column("endurance_min", sa.Float(), nullable=False),
        sa.Column("participation_frac", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_recovery_states_patient_id_patients")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_recovery_states_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_states")),
    )
    with op.batch_alter_table("recovery_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recovery_states_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recovery_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_states_patient_id"))

    op.drop_table("recovery_states")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_patient_id"))

    op.drop_table("proposals")
