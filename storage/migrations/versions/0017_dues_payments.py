"""Party dues: each member's monthly amount set by the cell, the collector chosen by the secretary, and the
months paid (one row per member and month)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("dues_amount", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dues_collector", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "dues_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("recorded_by_member_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["cells.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_member_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "month", name="uq_dues_member_month"),
    )
    op.create_index("ix_dues_cell_month", "dues_payments", ["cell_id", "month"])


def downgrade() -> None:
    op.drop_index("ix_dues_cell_month", table_name="dues_payments")
    op.drop_table("dues_payments")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("dues_collector")
        batch.drop_column("dues_amount")
