"""planned messages (addressed when due), a pending text per chat

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "planned_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("stamp", sa.Integer(), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "kind", "stamp", "offset_seconds", name="uq_planned_message"),
    )
    op.create_index("ix_planned_messages_meeting_id", "planned_messages", ["meeting_id"])
    op.create_index("ix_planned_due", "planned_messages", ["done_at", "due_at"])
    with op.batch_alter_table("chat_links") as batch:
        batch.add_column(sa.Column("pending_text", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_links") as batch:
        batch.drop_column("pending_text")
    op.drop_index("ix_planned_due", table_name="planned_messages")
    op.drop_index("ix_planned_messages_meeting_id", table_name="planned_messages")
    op.drop_table("planned_messages")
