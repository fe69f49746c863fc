"""The yearly rating of a cell's meetings: each level the committee confirmed or changed, with who, when,
from what and why (an audit of its own); and two figures of the proposed level a committee may set

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("committees") as batch:
        batch.add_column(sa.Column("year_good_share", sa.Float(), nullable=True))
        batch.add_column(sa.Column("year_poor_missed_months", sa.Integer(), nullable=True))
    op.create_table(
        "cell_year_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("previous_level", sa.String(length=20), nullable=True),
        sa.Column("proposed_level", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("committee_member_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cell_id"], ["cells.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["committee_member_id"], ["committee_members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_cell_year_ratings_cell_year", "cell_year_ratings", ["cell_id", "year"])


def downgrade() -> None:
    op.drop_index("ix_cell_year_ratings_cell_year", table_name="cell_year_ratings")
    op.drop_table("cell_year_ratings")
    with op.batch_alter_table("committees") as batch:
        batch.drop_column("year_poor_missed_months")
        batch.drop_column("year_good_share")
