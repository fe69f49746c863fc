"""meeting_speakers: who spoke at a meeting (/phatbieu), so HD 12's "many members speak" is computed, not asked;
meeting_documents and meeting_comments: the papers before a meeting (/tailieu) and the members' comments (/gopy)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
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
    op.create_table(
        "meeting_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.String(3500), nullable=False),
        sa.Column("added_by_member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform", sa.String(20), nullable=True),
        sa.Column("file_id", sa.String(300), nullable=True),
        sa.Column("file_name", sa.String(255), nullable=True),
        sa.Column("file_kind", sa.String(10), nullable=True),
        sa.Column("file_copy", sa.String(100), nullable=True),
    )
    op.create_index("ix_meeting_documents_meeting_id", "meeting_documents", ["meeting_id"])
    op.create_table(
        "meeting_comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("digest_stamp", sa.Integer(), nullable=False),
    )
    op.create_index("ix_meeting_comments_meeting_id", "meeting_comments", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_meeting_comments_meeting_id", table_name="meeting_comments")
    op.drop_table("meeting_comments")
    op.drop_index("ix_meeting_documents_meeting_id", table_name="meeting_documents")
    op.drop_table("meeting_documents")
    op.drop_index("ix_meeting_speakers_meeting_id", table_name="meeting_speakers")
    op.drop_table("meeting_speakers")
