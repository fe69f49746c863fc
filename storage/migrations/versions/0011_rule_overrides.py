"""every rule figure can be overridden per committee: the two warning thresholds too

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("committees") as batch:
        batch.add_column(sa.Column("unexcused_warn_at", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("excused_streak_over", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("committees") as batch:
        batch.drop_column("excused_streak_over")
        batch.drop_column("unexcused_warn_at")
