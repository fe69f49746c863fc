"""Several Telegram bots: the bot serving a committee's cells, or one cell (None: the default bot)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("committees") as batch:
        batch.add_column(sa.Column("telegram_bot", sa.String(length=40), nullable=True))
    with op.batch_alter_table("cells") as batch:
        batch.add_column(sa.Column("telegram_bot", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cells") as batch:
        batch.drop_column("telegram_bot")
    with op.batch_alter_table("committees") as batch:
        batch.drop_column("telegram_bot")
