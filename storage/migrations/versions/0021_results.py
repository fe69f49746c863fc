"""Kept results: each ended meeting's member ids by status, so the summaries need not count every
attendance row of the year (filled when first read: storage.results); triggers drop a meeting's kept
result whenever its attendance or the meeting itself is written, whoever writes

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


LOCKS = 21061  # storage.results.LOCKS: the advisory locks' first key (PostgreSQL)

# SQLite: one transaction writes at a time; the trigger drops the kept result in the writer's transaction.
SQLITE = [
    """CREATE TRIGGER meeting_results_attendance_insert AFTER INSERT ON attendance
       BEGIN DELETE FROM meeting_results WHERE meeting_id = NEW.meeting_id; END""",
    """CREATE TRIGGER meeting_results_attendance_update AFTER UPDATE ON attendance
       BEGIN DELETE FROM meeting_results WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id); END""",
    """CREATE TRIGGER meeting_results_attendance_delete AFTER DELETE ON attendance
       BEGIN DELETE FROM meeting_results WHERE meeting_id = OLD.meeting_id; END""",
    """CREATE TRIGGER meeting_results_meeting_update AFTER UPDATE ON meetings
       BEGIN DELETE FROM meeting_results WHERE meeting_id = OLD.id; END""",
]

# PostgreSQL: once per statement, over the rows it wrote; each meeting's shared advisory lock is held until the
# writer commits, so that storage.results never keeps what an uncommitted writer is changing.
_DROP = f"""
    PERFORM pg_advisory_xact_lock_shared({LOCKS}, m) FROM (SELECT DISTINCT meeting_id AS m FROM {{rows}} ORDER BY 1) s;
    DELETE FROM meeting_results WHERE meeting_id IN (SELECT meeting_id FROM {{rows}});"""
POSTGRESQL = [
    f"""CREATE FUNCTION meeting_results_drop_new() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_DROP.format(rows="new_rows")} RETURN NULL; END $$""",
    f"""CREATE FUNCTION meeting_results_drop_old() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_DROP.format(rows="old_rows")} RETURN NULL; END $$""",
    f"""CREATE FUNCTION meeting_results_drop_both() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_DROP.format(rows="old_rows")} {_DROP.format(rows="new_rows")} RETURN NULL; END $$""",
    f"""CREATE FUNCTION meeting_results_drop_meetings() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_DROP.format(rows="(SELECT id AS meeting_id FROM old_rows) o")} RETURN NULL; END $$""",
    """CREATE TRIGGER meeting_results_attendance_insert AFTER INSERT ON attendance
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION meeting_results_drop_new()""",
    """CREATE TRIGGER meeting_results_attendance_update AFTER UPDATE ON attendance
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
       EXECUTE FUNCTION meeting_results_drop_both()""",
    """CREATE TRIGGER meeting_results_attendance_delete AFTER DELETE ON attendance
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION meeting_results_drop_old()""",
    """CREATE TRIGGER meeting_results_meeting_update AFTER UPDATE ON meetings
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION meeting_results_drop_meetings()""",
]
TRIGGERS = ("meeting_results_attendance_insert", "meeting_results_attendance_update",
            "meeting_results_attendance_delete", "meeting_results_meeting_update")
FUNCTIONS = ("meeting_results_drop_new", "meeting_results_drop_old", "meeting_results_drop_both",
             "meeting_results_drop_meetings")


def upgrade() -> None:
    op.create_table(
        "meeting_results",
        sa.Column("meeting_id", sa.Integer(), sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("present", sa.Text(), nullable=True),
        sa.Column("late", sa.Text(), nullable=True),
        sa.Column("excused", sa.Text(), nullable=True),
        sa.Column("absent", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        table = "meetings" if trigger.endswith("meeting_update") else "attendance"
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("meeting_results")
