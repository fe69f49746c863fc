"""committees form a tree: a committee may have a parent committee (a district under a city, a ward
under a district); its members see everything below it, and its rules apply below unless a lower
committee sets its own

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("committees") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_committees_parent_id_committees", "committees", ["parent_id"], ["id"],
                                 ondelete="RESTRICT")
        batch.create_index("ix_committees_parent_id", ["parent_id"])


def downgrade() -> None:
    with op.batch_alter_table("committees") as batch:
        batch.drop_index("ix_committees_parent_id")
        batch.drop_constraint("fk_committees_parent_id_committees", type_="foreignkey")
        batch.drop_column("parent_id")
