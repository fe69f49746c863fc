"""zalo: numbered choices, monthly usage, preferred channel

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLATFORM = sa.Enum("telegram", "zalo", name="platform", native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "chat_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", PLATFORM, nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", name="uq_chat_choice"),
    )
    op.create_table(
        "platform_usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_key", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bot_key", "month", name="uq_platform_usage"),
    )
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("preferred_platform", sa.Enum(
            "telegram", "zalo", name="ck_preferred_platform", native_enum=False, create_constraint=True, length=20),
            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_constraint("ck_preferred_platform", type_="check")
        batch.drop_column("preferred_platform")
    op.drop_table("platform_usage")
    op.drop_table("chat_choices")
