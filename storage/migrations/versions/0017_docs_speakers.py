"""meeting_speakers: who spoke at a meeting (/phatbieu), so HD 12's "many members speak" is computed, not asked

Revision ID: 0017_docs
Revises: 0014
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_docs"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_speakers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("recorded_by_member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("meeting_id", "member_id", name="uq_meeting_speaker"),
    )
    op.create_index("ix_meeting_speakers_meeting_id", "meeting_speakers", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_speakers_meeting_id", table_name="meeting_speakers")
    op.drop_table("meeting_speakers")
