"""platform columns: plain strings validated by code, not CHECK constraints

A platform is now a registration in ``bot.platforms``; its name goes in the ``platform`` columns
as it is, so adding a platform needs no migration.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, CHECK constraint name, nullable)
COLUMNS = [
    ("processed_updates", "platform", "platform", False),
    ("group_links", "platform", "platform", False),
    ("chat_links", "platform", "platform", False),
    ("outbox", "platform", "platform", False),
    ("chat_choices", "platform", "platform", False),
    ("members", "preferred_platform", "ck_preferred_platform", True),
]


def _enum(name: str) -> sa.Enum:
    return sa.Enum("telegram", "zalo", name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    for table, column, check, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(check, type_="check")
            batch.alter_column(column, existing_type=sa.String(length=20), type_=sa.String(length=20),
                               existing_nullable=nullable)


def downgrade() -> None:
    for table, column, check, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=20), type_=_enum(check),
                               existing_nullable=nullable)
