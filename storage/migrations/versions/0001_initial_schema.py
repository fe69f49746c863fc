"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('committees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('min_regular_minutes', sa.Integer(), nullable=True),
    sa.Column('min_thematic_minutes', sa.Integer(), nullable=True),
    sa.Column('min_small_cell_minutes', sa.Integer(), nullable=True),
    sa.Column('small_cell_size', sa.Integer(), nullable=True),
    sa.Column('attendance_target', sa.Float(), nullable=True),
    sa.Column('late_after_minutes', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('processed_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('telegram', 'zalo', name='platform', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('update_key', sa.String(length=128), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'update_key', name='uq_processed_update')
    )
    op.create_table('cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('standing_day', sa.Integer(), nullable=True),
    sa.Column('standing_time', sa.Time(), nullable=True),
    sa.Column('standing_place', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('standing_day BETWEEN 1 AND 31', name='ck_standing_day'),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('committee_id', 'name', name='uq_cell_name')
    )
    with op.batch_alter_table('cells', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cells_committee_id'), ['committee_id'], unique=False)

    op.create_table('committee_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['committees.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_committee_members_committee_id'), ['committee_id'], unique=False)

    op.create_table('group_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('telegram', 'zalo', name='platform', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'chat_id', name='uq_group_link_chat')
    )
    with op.batch_alter_table('group_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_links_cell_id'), ['cell_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('bi_thu', 'pho_bi_thu', 'chi_uy', 'dang_vien', name='member_role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('chinh_thuc', 'du_bi', name='member_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('exempt', sa.Boolean(), nullable=False),
    sa.Column('exempt_reason', sa.String(length=500), nullable=True),
    sa.Column('exempt_since', sa.Date(), nullable=True),
    sa.Column('active_from', sa.Date(), nullable=False),
    sa.Column('active_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_cell_id'), ['cell_id'], unique=False)

    op.create_table('invite_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('member', 'committee', 'group', name='invite_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('committee_member_id', sa.Integer(), nullable=True),
    sa.Column('cell_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['committee_member_id'], ['committee_members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('thuong_ky', 'chuyen_de', name='meeting_kind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('topic', sa.String(length=500), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('start_manual', sa.Boolean(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_manual', sa.Boolean(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('auto_created', sa.Boolean(), nullable=False),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cells.id'], ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_cell_scheduled', ['cell_id', 'scheduled_at'], unique=False)
        batch_op.create_index('uq_regular_meeting_per_month', ['cell_id', 'period'], unique=True, sqlite_where=sa.text("kind = 'thuong_ky' AND cancelled_at IS NULL"), postgresql_where=sa.text("kind = 'thuong_ky' AND cancelled_at IS NULL"))

    op.create_table('attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rsvp', sa.Boolean(), nullable=True),
    sa.Column('status', sa.Enum('present', 'late', 'excused', 'absent', name='attendance_status', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_member_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_member_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meeting_id', 'member_id', name='uq_attendance_member')
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_member_id'), ['member_id'], unique=False)

    op.create_table('chat_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('telegram', 'zalo', name='platform', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('platform_user_id', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('committee_member_id', sa.Integer(), nullable=True),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pending_action', sa.String(length=40), nullable=True),
    sa.Column('pending_meeting_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(member_id IS NULL) <> (committee_member_id IS NULL)', name='ck_chat_link_owner'),
    sa.ForeignKeyConstraint(['committee_member_id'], ['committee_members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pending_meeting_id'], ['meetings.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'platform_user_id', name='uq_chat_link_account')
    )
    with op.batch_alter_table('chat_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_links_committee_member_id'), ['committee_member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_links_member_id'), ['member_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.Enum('telegram', 'zalo', name='platform', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dropped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['sent_at', 'failed_at', 'due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('chat_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_links_member_id'))
        batch_op.drop_index(batch_op.f('ix_chat_links_committee_member_id'))

    op.drop_table('chat_links')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_member_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_meeting_id'))

    op.drop_table('attendance')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index('uq_regular_meeting_per_month', sqlite_where=sa.text("kind = 'thuong_ky' AND cancelled_at IS NULL"), postgresql_where=sa.text("kind = 'thuong_ky' AND cancelled_at IS NULL"))
        batch_op.drop_index('ix_meetings_cell_scheduled')

    op.drop_table('meetings')
    op.drop_table('invite_codes')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_cell_id'))

    op.drop_table('members')
    with op.batch_alter_table('group_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_links_cell_id'))

    op.drop_table('group_links')
    with op.batch_alter_table('committee_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_committee_members_committee_id'))

    op.drop_table('committee_members')
    with op.batch_alter_table('cells', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cells_committee_id'))

    op.drop_table('cells')
    op.drop_table('processed_updates')
    op.drop_table('committees')
    op.drop_table('audit_log')
