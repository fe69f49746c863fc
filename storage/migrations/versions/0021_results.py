"""Kept results: each ended meeting's member ids by status, so the summaries need not count every
attendance row of the year (filled when first read: storage.results)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_results",
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("present", sa.Text(), nullable=True),
        sa.Column("late", sa.Text(), nullable=True),
        sa.Column("excused", sa.Text(), nullable=True),
        sa.Column("absent", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meeting_results")
