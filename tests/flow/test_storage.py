"""The schema and its migrations, on SQLite and (with CHIBO_TEST_POSTGRES_URL) on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from storage.db import (
    SchemaNotReady,
    create_engine,
    current_revision,
    downgrade,
    ensure_ready,
    head_revision,
    session_factory,
    upgrade,
)
from storage.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    Base,
    Cell,
    ChatLink,
    Committee,
    CommitteeMember,
    GroupLink,
    InboxUpdate,
    InviteCode,
    InviteKind,
    Meeting,
    MeetingKind,
    Member,
    MemberStatus,
    OutboxMessage,
    Platform,
    Role,
)
from storage.outbox import enqueue_raw
from tests.conftest import DB_KINDS

pytestmark = pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# 19:30:15.123456 in Hà Nội is 12:30:15.123456 UTC: microseconds must survive too.
EVENING = datetime(2026, 12, 5, 19, 30, 15, 123456, tzinfo=VN)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def table_names(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


# --- migrations -------------------------------------------------------------------------------

async def test_an_empty_database_is_not_ready(db_url):
    engine = create_engine(db_url)
    try:
        assert await current_revision(engine) is None
        with pytest.raises(SchemaNotReady):
            await ensure_ready(engine)
    finally:
        await engine.dispose()


async def test_migrating_an_empty_database_to_head_makes_it_ready(db_url):
    engine = create_engine(db_url)
    try:
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        await ensure_ready(engine)  # does not raise
        tables = await table_names(engine)
        assert set(Base.metadata.tables) <= tables
        await upgrade(engine)  # a second upgrade is a no-op
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_downgrade_to_base_then_upgrade_again(engine):
    await downgrade(engine, "base")
    assert await current_revision(engine) is None
    assert await table_names(engine) <= {"alembic_version"}
    with pytest.raises(SchemaNotReady):
        await ensure_ready(engine)
    await upgrade(engine)
    await ensure_ready(engine)
    assert set(Base.metadata.tables) <= await table_names(engine)


async def test_a_database_behind_the_code_is_not_ready(engine):
    await downgrade(engine, "base")
    await upgrade(engine, "0001")
    if head_revision() == "0001":
        pytest.skip("there is a single migration")
    with pytest.raises(SchemaNotReady):
        await ensure_ready(engine)


async def test_the_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


# --- a round trip of every model --------------------------------------------------------------

async def test_every_model_round_trips_with_aware_datetimes(engine):
    sessions = session_factory(engine)
    payload = {"text": "Họp chi bộ <b>tháng 12</b> & điểm danh", "buttons": [["Có", "yes"], ["Vắng", "no"]], "n": 3}
    async with sessions() as s, s.begin():
        committee = Committee(name="Đảng ủy phường Hàng Bạc", min_regular_minutes=100, attendance_target=0.85,
                              created_at=EVENING)
        cell = Cell(committee=committee, name="Chi bộ khu dân cư số 1", standing_day=5, standing_time=time(19, 30),
                    standing_place="Nhà văn hóa", created_at=EVENING)
        secretary = Member(cell=cell, full_name="Nguyễn Thị Ánh", role=Role.BI_THU, phone="+84912345678",
                           active_from=date(2020, 1, 1), created_at=EVENING)
        elder = Member(cell=cell, full_name="Trần Đức Đạt", status=MemberStatus.DU_BI, exempt=True,
                       exempt_reason="tuổi cao", exempt_since=date(2025, 3, 1), active_from=date(2021, 6, 1),
                       active_to=date(2027, 1, 1), created_at=EVENING)
        person = CommitteeMember(committee_id=None, full_name="Lê Văn Cấp", created_at=EVENING)
        s.add_all([committee, cell, secretary, elder])
        await s.flush()
        person.committee_id = committee.id
        s.add(person)
        await s.flush()
        meeting = Meeting(cell_id=cell.id, kind=MeetingKind.THUONG_KY, period="2026-12", scheduled_at=EVENING,
                          place="Hội trường", topic="Nghị quyết tháng 12", started_at=EVENING + timedelta(minutes=2),
                          ended_at=EVENING + timedelta(minutes=95), end_manual=True, created_by_member_id=secretary.id,
                          created_at=NOW)
        s.add(meeting)
        await s.flush()
        s.add_all([
            ChatLink(platform=Platform.TELEGRAM, platform_user_id="1001", chat_id="1001", member_id=secretary.id,
                     display_name="Ánh", linked_at=EVENING, last_seen_at=EVENING, pending_action="absence_reason",
                     pending_meeting_id=meeting.id),
            ChatLink(platform=Platform.ZALO, platform_user_id="z-7", chat_id="z-7", committee_member_id=person.id,
                     linked_at=NOW),
            GroupLink(platform=Platform.TELEGRAM, chat_id="-100123", cell_id=cell.id, title="Chi bộ 1", linked_at=NOW),
            InviteCode(code="ABCD2345", kind=InviteKind.MEMBER, member_id=elder.id, created_at=EVENING,
                       expires_at=EVENING + timedelta(days=30)),
            Attendance(meeting_id=meeting.id, member_id=secretary.id, rsvp=True, status=AttendanceStatus.LATE,
                       checked_in_at=EVENING + timedelta(minutes=20), recorded_by_member_id=secretary.id,
                       updated_at=EVENING),
            Attendance(meeting_id=meeting.id, member_id=elder.id, rsvp=False, status=AttendanceStatus.EXCUSED,
                       reason="ốm", updated_at=EVENING),
            OutboxMessage(key="reminder:1:1d:1001", kind="reminder", platform=Platform.TELEGRAM, chat_id="1001",
                          member_id=secretary.id, meeting_id=meeting.id, payload=payload, priority=3,
                          due_at=EVENING - timedelta(days=1), created_at=NOW),
            AuditLog(actor="member:1", action="schedule", entity="meeting", entity_id=meeting.id,
                     before=None, after={"place": "Hội trường", "at": EVENING.isoformat()}, at=EVENING),
            InboxUpdate(platform=Platform.TELEGRAM, update_key="tg:42", chat_key="tg:1001", payload={"update_id": 42},
                        received_at=EVENING, attempts=0),
        ])
        ids = {"committee": committee.id, "cell": cell.id, "meeting": meeting.id, "secretary": secretary.id}

    async with sessions() as s:  # a fresh session: everything comes from the database
        committee = await s.get(Committee, ids["committee"])
        assert (committee.name, committee.min_regular_minutes, committee.attendance_target) == \
            ("Đảng ủy phường Hàng Bạc", 100, 0.85)
        assert committee.min_thematic_minutes is None
        assert committee.created_at == EVENING
        assert committee.created_at.utcoffset() == timedelta(0)
        assert committee.created_at.tzinfo is not None
        assert committee.created_at.replace(tzinfo=None) == datetime(2026, 12, 5, 12, 30, 15, 123456)

        cell = await s.get(Cell, ids["cell"])
        assert (cell.standing_day, cell.standing_time, cell.standing_place) == (5, time(19, 30), "Nhà văn hóa")

        members = list(await s.scalars(select(Member).where(Member.cell_id == cell.id).order_by(Member.id)))
        assert [(m.full_name, m.role, m.status, m.exempt) for m in members] == [
            ("Nguyễn Thị Ánh", Role.BI_THU, MemberStatus.CHINH_THUC, False),
            ("Trần Đức Đạt", Role.DANG_VIEN, MemberStatus.DU_BI, True),
        ]
        assert members[0].phone == "+84912345678"
        assert (members[1].exempt_since, members[1].active_from, members[1].active_to) == \
            (date(2025, 3, 1), date(2021, 6, 1), date(2027, 1, 1))

        meeting = await s.get(Meeting, ids["meeting"])
        assert (meeting.kind, meeting.period, meeting.topic) == (MeetingKind.THUONG_KY, "2026-12", "Nghị quyết tháng 12")
        assert meeting.scheduled_at == EVENING and meeting.scheduled_at.utcoffset() == timedelta(0)
        assert meeting.ended_at - meeting.started_at == timedelta(minutes=93)
        assert meeting.cancelled_at is None and meeting.start_manual is False and meeting.end_manual is True
        assert meeting.auto_created is False

        links = list(await s.scalars(select(ChatLink).order_by(ChatLink.id)))
        assert [(l.platform, l.member_id is not None, l.committee_member_id is not None) for l in links] == [
            (Platform.TELEGRAM, True, False), (Platform.ZALO, False, True)]
        assert links[0].last_seen_at == EVENING and links[0].blocked_at is None
        assert links[0].pending_meeting_id == meeting.id

        group = await s.scalar(select(GroupLink))
        assert (group.chat_id, group.cell_id, group.linked_at) == ("-100123", cell.id, NOW)

        invite = await s.scalar(select(InviteCode))
        assert (invite.code, invite.kind, invite.used_at) == ("ABCD2345", InviteKind.MEMBER, None)
        assert invite.expires_at - invite.created_at == timedelta(days=30)
        assert invite.expires_at.tzinfo is not None

        rows = list(await s.scalars(select(Attendance).order_by(Attendance.id)))
        assert [(a.status, a.rsvp, a.reason) for a in rows] == [
            (AttendanceStatus.LATE, True, None), (AttendanceStatus.EXCUSED, False, "ốm")]
        assert rows[0].checked_in_at == EVENING + timedelta(minutes=20)

        message = await s.scalar(select(OutboxMessage))
        assert message.payload == payload
        assert (message.priority, message.attempts, message.sent_at) == (3, 0, None)
        assert message.due_at == EVENING - timedelta(days=1) and message.due_at.utcoffset() == timedelta(0)

        log = await s.scalar(select(AuditLog))
        assert log.after == {"place": "Hội trường", "at": EVENING.isoformat()} and log.before is None
        assert log.at == EVENING

        update = await s.scalar(select(InboxUpdate))
        assert (update.update_key, update.payload, update.received_at, update.handled_at) == \
            ("tg:42", {"update_id": 42}, EVENING, None)

        person = await s.scalar(select(CommitteeMember))
        assert (person.full_name, person.committee_id) == ("Lê Văn Cấp", committee.id)

        # Comparisons in SQL use the instant, not the wall clock.
        just_before = datetime(2026, 12, 5, 12, 30, 15, tzinfo=UTC)
        assert await s.scalar(select(func.count()).select_from(Meeting).where(Meeting.scheduled_at > just_before)) == 1
        assert await s.scalar(select(func.count()).select_from(Meeting).where(
            Meeting.scheduled_at > EVENING + timedelta(microseconds=1))) == 0


async def test_a_naive_datetime_is_refused(engine):
    sessions = session_factory(engine)
    async with sessions() as s:
        s.add(Committee(name="Đảng ủy", created_at=datetime(2026, 12, 1, 8, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await s.flush()
        await s.rollback()
    async with sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Committee)) == 0


# --- constraints ------------------------------------------------------------------------------

async def make_cell(sessions, name: str = "Chi bộ 1") -> tuple[int, int]:
    async with sessions() as s, s.begin():
        committee = Committee(name="Đảng ủy", created_at=NOW)
        cell = Cell(committee=committee, name=name, created_at=NOW)
        member = Member(cell=cell, full_name="Nguyễn Văn An", active_from=date(2020, 1, 1), created_at=NOW)
        s.add_all([committee, cell, member])
        await s.flush()
        return cell.id, member.id


def meeting(cell_id: int, kind: MeetingKind, period: str = "2026-12", cancelled: bool = False) -> Meeting:
    return Meeting(cell_id=cell_id, kind=kind, period=period, scheduled_at=EVENING,
                   cancelled_at=NOW if cancelled else None, created_at=NOW)


async def count(sessions, model) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(model))


async def test_a_second_regular_meeting_in_the_same_month_is_refused(engine):
    sessions = session_factory(engine)
    cell_id, _ = await make_cell(sessions)
    async with sessions() as s, s.begin():
        s.add(meeting(cell_id, MeetingKind.THUONG_KY))
    async with sessions() as s:
        s.add(meeting(cell_id, MeetingKind.THUONG_KY))
        with pytest.raises(IntegrityError):
            await s.commit()
    assert await count(sessions, Meeting) == 1


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(dict(kind=MeetingKind.CHUYEN_DE), id="a thematic meeting in the same month"),
        pytest.param(dict(kind=MeetingKind.THUONG_KY, cancelled=True), id="a cancelled regular meeting"),
        pytest.param(dict(kind=MeetingKind.THUONG_KY, period="2027-01"), id="a regular meeting next month"),
    ],
)
async def test_other_meetings_beside_the_months_regular_one_are_allowed(engine, second):
    sessions = session_factory(engine)
    cell_id, _ = await make_cell(sessions)
    async with sessions() as s, s.begin():
        s.add(meeting(cell_id, MeetingKind.THUONG_KY))
    async with sessions() as s, s.begin():
        s.add(meeting(cell_id, **second))
    assert await count(sessions, Meeting) == 2


async def test_a_cancelled_regular_meeting_can_be_replaced(engine):
    sessions = session_factory(engine)
    cell_id, _ = await make_cell(sessions)
    async with sessions() as s, s.begin():
        s.add(meeting(cell_id, MeetingKind.THUONG_KY, cancelled=True))
        s.add(meeting(cell_id, MeetingKind.THUONG_KY, cancelled=True))
    async with sessions() as s, s.begin():
        s.add(meeting(cell_id, MeetingKind.THUONG_KY))
    assert await count(sessions, Meeting) == 3


async def test_two_cells_each_have_their_regular_meeting(engine):
    sessions = session_factory(engine)
    first, _ = await make_cell(sessions, "Chi bộ 1")
    second, _ = await make_cell(sessions, "Chi bộ 2")
    async with sessions() as s, s.begin():
        s.add_all([meeting(first, MeetingKind.THUONG_KY), meeting(second, MeetingKind.THUONG_KY)])
    assert await count(sessions, Meeting) == 2


@pytest.mark.parametrize("owner", ["both", "neither"])
async def test_a_chat_link_belongs_to_exactly_one_owner(engine, owner):
    sessions = session_factory(engine)
    cell_id, member_id = await make_cell(sessions)
    async with sessions() as s, s.begin():
        committee_id = (await s.get(Cell, cell_id)).committee_id
        person = CommitteeMember(committee_id=committee_id, full_name="Lê Văn Cấp", created_at=NOW)
        s.add(person)
        await s.flush()
        person_id = person.id
    ids = dict(member_id=member_id, committee_member_id=person_id) if owner == "both" else {}
    async with sessions() as s:
        s.add(ChatLink(platform=Platform.TELEGRAM, platform_user_id="1", chat_id="1", linked_at=NOW, **ids))
        with pytest.raises(IntegrityError, match=r"ck_chat_link_owner|CHECK constraint failed"):
            await s.commit()
    assert await count(sessions, ChatLink) == 0


async def test_foreign_keys_are_enforced(engine):
    sessions = session_factory(engine)
    async with sessions() as s:
        s.add(Member(cell_id=999, full_name="Không Có Chi Bộ", active_from=date(2020, 1, 1), created_at=NOW))
        with pytest.raises(IntegrityError):
            await s.commit()
    assert await count(sessions, Member) == 0


async def test_a_cell_name_is_unique_within_its_committee(engine):
    sessions = session_factory(engine)
    cell_id, _ = await make_cell(sessions)
    async with sessions() as s:
        committee_id = (await s.get(Cell, cell_id)).committee_id
        s.add(Cell(committee_id=committee_id, name="Chi bộ 1", created_at=NOW))
        with pytest.raises(IntegrityError):
            await s.commit()


# --- the outbox -------------------------------------------------------------------------------

async def test_the_same_outbox_key_is_stored_once(engine):
    sessions = session_factory(engine)
    values = dict(key="reminder:7:2h:1001", kind="reminder", platform=Platform.TELEGRAM, chat_id="1001",
                  payload={"text": "Nhắc lịch họp"}, priority=5, due_at=EVENING, attempts=0, created_at=NOW)
    async with sessions() as s, s.begin():
        assert await enqueue_raw(s, values) is True
    async with sessions() as s, s.begin():
        assert await enqueue_raw(s, dict(values, payload={"text": "khác"})) is False
        assert await enqueue_raw(s, dict(values, key="reminder:7:1d:1001")) is True
    async with sessions() as s:
        rows = list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    assert [(r.key, r.payload["text"]) for r in rows] == [
        ("reminder:7:2h:1001", "Nhắc lịch họp"), ("reminder:7:1d:1001", "Nhắc lịch họp")]
    assert rows[0].due_at == EVENING


async def test_a_new_platform_needs_no_migration_but_a_bad_name_is_refused(engine):
    """The ``platform`` columns are plain strings checked by code (``storage.types.PlatformName``)."""
    sessions = session_factory(engine)
    async with sessions() as s, s.begin():
        s.add(InboxUpdate(platform="viber", update_key="v:1", chat_key="v:1", payload={}, received_at=EVENING))
    async with sessions() as s:
        row = await s.scalar(select(InboxUpdate).where(InboxUpdate.platform == "viber"))
    assert row.platform == "viber" and type(row.platform) is str
    async with sessions() as s:
        s.add(InboxUpdate(platform="Viber Bot", update_key="v:2", chat_key="v:2", payload={}, received_at=EVENING))
        with pytest.raises(StatementError, match="not a platform name"):
            await s.commit()
