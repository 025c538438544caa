"""Sessions keep the station's active participation in N*m (what the simulator reports).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("active_participation_nm", sa.Float(), nullable=True))


def downgrade() -> None:
    # SQLite cannot drop a column in place: batch mode copies the table.
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("active_participation_nm")
