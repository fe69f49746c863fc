"""several zalo bots: the bot a chat link talks to, the bot serving a cell

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cells") as batch:
        batch.add_column(sa.Column("zalo_bot", sa.String(length=40), nullable=True))
    with op.batch_alter_table("chat_links") as batch:
        batch.add_column(sa.Column("bot_key", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_links") as batch:
        batch.drop_column("bot_key")
    with op.batch_alter_table("cells") as batch:
        batch.drop_column("zalo_bot")
