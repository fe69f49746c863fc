"""guests from the committee at a meeting, and the cells a committee member follows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_guests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("committee_member_id", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["committee_member_id"], ["committee_members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "committee_member_id", name="uq_meeting_guest"),
    )
    op.create_index("ix_meeting_guests_meeting_id", "meeting_guests", ["meeting_id"])
    op.create_table(
        "cell_followers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("committee_member_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["cells.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["committee_member_id"], ["committee_members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cell_id", "committee_member_id", name="uq_cell_follower"),
    )
    op.create_index("ix_cell_followers_committee_member_id", "cell_followers", ["committee_member_id"])


def downgrade() -> None:
    op.drop_index("ix_cell_followers_committee_member_id", table_name="cell_followers")
    op.drop_table("cell_followers")
    op.drop_index("ix_meeting_guests_meeting_id", table_name="meeting_guests")
    op.drop_table("meeting_guests")
