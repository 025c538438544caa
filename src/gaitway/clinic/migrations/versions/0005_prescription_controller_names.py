"""Prescriptions name a registered controller: "impedance" (the name before the controller
registry) becomes "guidance", the controller it always meant.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 07:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text("UPDATE prescriptions SET controller = 'guidance' "
                       "WHERE controller = 'impedance'"))


def downgrade() -> None:
    """Nothing to undo: "guidance" is what "impedance" meant."""
