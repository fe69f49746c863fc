"""Reminders that arrive in time, at a small scale, through the code the city simulation runs
(benchmarks/city.py): chibo's planner plans, its dispatcher (with ``scheduler.release``) lets bursts go
for the bots' pace, bots paced on a virtual clock send into a fake with Telegram's flood limits.

The bots are made slow (a message every ten or two hundred seconds) so a few dozen members make a
burst too big for its hour, as 125,000 do at 30 a second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from benchmarks.city import Month
from core.clock import FakeClock
from scheduler import planner
from storage.models import (
    Cell,
    ChatLink,
    Committee,
    Meeting,
    MeetingKind,
    Member,
    OutboxMessage,
    PlannedMessage,
    Platform,
    Role,
)
from tests.conftest import DB_KINDS

TWO_HOURS = timedelta(hours=2)
EVENING = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # 19:00 in Hà Nội


async def _city(sessions, settings, meetings: list[datetime], members: int | list[int], now: datetime) -> None:
    """One cell per meeting time, ``members`` linked members each (on Telegram), every meeting planned."""
    async with sessions() as s, s.begin():
        committee = Committee(name="Đảng ủy phường", created_at=now)
        s.add(committee)
        await s.flush()
        for c, at in enumerate(meetings):
            cell = Cell(committee_id=committee.id, name=f"Chi bộ {c + 1}", created_at=now)
            s.add(cell)
            await s.flush()
            for i in range(members if isinstance(members, int) else members[c]):
                m = Member(cell_id=cell.id, full_name=f"Đảng viên {c}-{i}", role=Role.BI_THU if i == 0 else Role.DANG_VIEN,
                           active_from=(now - timedelta(days=100)).date(), created_at=now)
                s.add(m)
                await s.flush()
                chat = str(5_000 + c * 1000 + i)
                s.add(ChatLink(platform=Platform.TELEGRAM, platform_user_id=chat, chat_id=chat, member_id=m.id,
                               linked_at=now))
            meeting = Meeting(cell_id=cell.id, kind=MeetingKind.THUONG_KY, period="2027-03", scheduled_at=at,
                              created_at=now)
            s.add(meeting)
            await s.flush()
            await planner.plan_meeting(s, settings, meeting, now)


async def _month(engine, settings, rate: float, meetings: list[datetime], members: int | list[int],
                 script: bool = False):
    settings = settings.model_copy(update={"reminder_offsets": "2h", "quiet_hours": "off",
                                           "telegram_per_second": rate, "zalo_per_second": rate})
    now = EVENING - timedelta(hours=6)
    clock = FakeClock(now)
    month = Month(str(engine.url.render_as_string(hide_password=False)), settings, 1, clock, rate=rate)
    await _city(month.sessions, settings, meetings, members, now)
    try:
        if script:  # the meetings begin, members check in (each answered with a message), and end
            await month.script()
        await month.run(max(meetings) + timedelta(hours=1))
        async with month.sessions() as s:
            rows = (await s.execute(select(OutboxMessage, Meeting.scheduled_at)
                                    .join(Meeting, Meeting.id == OutboxMessage.meeting_id)
                                    .where(OutboxMessage.kind == "reminder"))).all()
            plans = list(await s.scalars(select(PlannedMessage).where(PlannedMessage.kind == "reminder")))
    finally:
        await month.engine.dispose()
    return month, rows, plans


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_burst_too_big_for_its_hour_is_let_go_early_enough_and_not_too_early(engine, settings):
    # 3 cells of 30 at 19:00, 19:00 and 19:30; a message every 10 s: 90 messages take 15 minutes, and
    # queued when due the first 60 would arrive up to 10 minutes after their "2 hours before".
    meetings = [EVENING, EVENING, EVENING + timedelta(minutes=30)]
    month, rows, _ = await _month(engine, settings, 0.1, meetings, 30)
    assert len(rows) == 90 and all(row.sent_at is not None for row, _ in rows)
    for row, scheduled in rows:
        intended = scheduled - TWO_HOURS
        assert intended - TWO_HOURS / 4 <= row.sent_at <= intended, (row.sent_at, intended)
    sender = month.senders[Platform.TELEGRAM]
    assert sender.http_429 == 0 and sender.accepted == 90
    assert min(row.sent_at for row, _ in rows) < EVENING - TWO_HOURS - timedelta(minutes=5)  # it did start early


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_what_could_only_arrive_after_the_meeting_began_is_dropped_and_counted(engine, settings):
    # 2 cells of 30 at 19:00; a message every 200 s: from 16:30 only 45 fit before 19:00.
    month, rows, _ = await _month(engine, settings, 0.005, [EVENING, EVENING], 30)
    sent = [row for row, _ in rows if row.sent_at is not None]
    dropped = [row for row, _ in rows if row.dropped_at is not None]
    assert len(sent) + len(dropped) == 60 and 0 < len(dropped) < 60
    assert all(row.last_error == "meeting already begun" for row in dropped)
    assert month.dispatcher.stats.dropped_late == len(dropped)
    for row, scheduled in rows:
        if row.sent_at is not None:
            assert scheduled - TWO_HOURS - TWO_HOURS / 4 <= row.sent_at < scheduled  # never after the meeting began
    assert month.senders[Platform.TELEGRAM].http_429 == 0


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_reminder_that_could_only_arrive_late_is_not_even_queued(engine, settings, caplog):
    # A message every 10,000 s: the first could arrive only 2 h 47 after 16:30, after the meeting began.
    month, rows, plans = await _month(engine, settings, 0.0001, [EVENING], 5)
    assert rows == []
    assert [p.outcome for p in plans] == [planner.TOO_LATE]
    assert month.senders[Platform.TELEGRAM].accepted == 0
    lines = [r.getMessage() for r in caplog.records if "reminder plan dropped" in r.getMessage()]
    assert len(lines) == 1 and "Đảng viên" not in lines[0]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_reminders_stay_in_their_window_while_a_meeting_s_check_ins_are_answered(engine, settings):
    # 80 members check in at a meeting at 17:00 (800 s of the bot's 900 until 17:15), each answered with a
    # message; 20 members of a 19:10 meeting are due their "2 hours before" at 17:10.
    meetings = [EVENING - TWO_HOURS, EVENING + timedelta(minutes=10)]
    month, rows, _ = await _month(engine, settings, 0.1, meetings, [80, 20], script=True)
    assert len(rows) == 100  # the first meeting's reminders went at 15:00
    for row, scheduled in rows:
        intended = scheduled - TWO_HOURS
        assert intended - TWO_HOURS / 4 <= row.sent_at <= intended, (row.sent_at, intended)
    async with month.sessions() as s:
        answers = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")))
    assert len(answers) == 100 and all(a.sent_at is not None for a in answers)
    assert month.senders[Platform.TELEGRAM].http_429 == 0
