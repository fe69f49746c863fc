"""Kept results (storage.results): the summaries read each ended meeting's attendance as kept when it was
first read, and a correction from the chat drops it, so the next summary shows the corrected record. Kept
results always equal a count from scratch; members joining or leaving mid-month need nothing dropped."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select, text, update

from bot.demo.scene import Scene, members_by_name
from reports import weekly
from storage.models import Attendance, AttendanceStatus, Meeting, MeetingResult, Member, Role
from tests.conftest import DB_KINDS
from tests.flow.test_month_record import CELL, FORGOT, MISSED, OTHERS, SEC, SICK, hold_meeting, setup

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NEWCOMER = "Lương Văn Mới"


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


async def summary(scene: Scene, committee_id: int = 1) -> weekly.WeeklyReport:
    async with scene.sessions()() as s:
        return await weekly.compute(s, committee_id, scene.clock.now(), VN)


async def kept(scene: Scene) -> dict[int, dict[str, str | None]]:
    async with scene.sessions()() as s:
        return {r.meeting_id: {"present": r.present, "late": r.late, "excused": r.excused, "absent": r.absent}
                for r in await s.scalars(select(MeetingResult))}


async def from_scratch(scene: Scene) -> weekly.WeeklyReport:
    """The summary with nothing kept: every list counted from the attendance rows."""
    async with scene.sessions()() as s, s.begin():
        await s.execute(delete(MeetingResult))
    async with scene.sessions()() as s:
        report = await weekly.compute(s, 1, scene.clock.now(), VN)
        # Counted live within this read; kept for the next one (in a transaction of its own).
    return report


async def kept_once_read(scene: Scene, count: int) -> dict[int, dict[str, str | None]]:
    """What is kept once the summary has been read. Keeping is a courtesy of the read: it gives way at once
    to any writer (SQLite: the bot's own scheduler or outbox writing at that moment), and the next read keeps
    instead. So read until `count` results are kept, a few times at most: if keeping never happens, this
    returns what is there and the caller's assertion fails."""
    stored = await kept(scene)
    for _ in range(10):
        if len(stored) >= count:
            break
        await asyncio.sleep(0.05)
        await summary(scene)
        stored = await kept(scene)
    return stored


def ids(text: str | None) -> set[int]:
    return {int(i) for i in text.split(",")} if text else set()


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_correction_from_the_chat_changes_the_next_summary(scene: Scene):
    scene.at(vn(2026, 11, 25, 8, 0))
    cell = await setup(scene)
    members = await members_by_name(scene.sessions(), cell)
    await hold_meeting(scene, (2026, 12, 5), attend=[SEC] + OTHERS)
    scene.at(vn(2026, 12, 7, 8, 0))

    first = await summary(scene)
    regular = first.cells[0].regular
    assert (regular.status, regular.present, regular.expected) == ("held", 5, 10)
    stored = await kept_once_read(scene, 1)
    assert len(stored) == 1  # the ended meeting's, kept when first read
    (meeting_id, lists), = stored.items()
    assert members[FORGOT].id in ids(lists["absent"]) and members[SEC].id in ids(lists["present"])

    # The secretary corrects the record from the chat: the kept result goes in the same transaction...
    await scene.say(SEC, f"/suadiemdanh {FORGOT} | có mặt", expect=2)
    assert await kept(scene) == {}
    # ...and the next summary shows the correction, and keeps it.
    second = await summary(scene)
    assert (second.cells[0].regular.present, second.cells[0].regular.expected) == (6, 10)
    assert members[FORGOT].id in ids((await kept_once_read(scene, 1))[meeting_id]["present"])

    # An excuse given the day after (/vang_ho reaches the meeting just held) too.
    await scene.say(SEC, f"/vang_ho {MISSED} | đi công tác", expect=2)
    third = await summary(scene)
    assert members[MISSED].id in ids((await kept_once_read(scene, 1))[meeting_id]["excused"])
    assert third.cells[0].regular.present == 6
    assert await from_scratch(scene) == third

    # /baocao (the cell's latest meeting) after a restart says the same.
    await scene.stop_bot()
    await scene.start_bot()
    report = (await scene.say(SEC, "/baocao"))[0]
    assert "6/10" in report and f"{MISSED} – đi công tác" in report


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_kept_results_equal_a_count_from_scratch_over_a_month_with_members_joining_and_leaving(scene: Scene):
    """Three meetings of a month, absences flagged from them; a member who joins mid-month and one who
    leaves: who is expected is applied when reading, so nothing kept needs dropping, and the figures
    equal a count from scratch."""
    scene.at(vn(2026, 10, 1, 8, 0))
    cell = await setup(scene)
    members = await members_by_name(scene.sessions(), cell)
    everyone = [name for name, _ in CELL]
    await hold_meeting(scene, (2026, 10, 10), attend=[n for n in everyone if n not in (MISSED, SICK)])
    await hold_meeting(scene, (2026, 11, 7), attend=[n for n in everyone if n not in (MISSED, SICK)],
                       extra="chuyende", minutes=125)
    await hold_meeting(scene, (2026, 12, 2), attend=[n for n in everyone if n != MISSED])
    scene.at(vn(2026, 12, 7, 8, 0))
    before = await summary(scene)
    assert len(await kept_once_read(scene, 3)) == 3
    assert any(name == MISSED for name, _ in before.cells[0].flagged)  # unexcused in October, November, December
    assert await from_scratch(scene) == before

    # Mid-month: a newcomer joins (expected from the 8th), a member leaves on the 9th (the operator's import).
    async with scene.sessions()() as s, s.begin():
        s.add(Member(cell_id=cell, full_name=NEWCOMER, role=Role.DANG_VIEN, active_from=date(2026, 12, 8),
                     created_at=scene.clock.now()))
        await s.execute(update(Member).where(Member.id == members[OTHERS[0]].id).values(active_to=date(2026, 12, 9)))
    assert len(await kept(scene)) == 3  # nothing about attendance changed
    scene.at(vn(2026, 12, 14, 8, 0))
    after = await summary(scene)
    assert after.cells[0].members_active == before.cells[0].members_active  # one joined, one left
    assert after.cells[0].regular.expected == 10  # the meeting of the 2nd: as it was then
    assert await from_scratch(scene) == after


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_kept_results_are_dropped_by_any_write_to_attendance(scene: Scene):
    """Whoever writes (a handler, the operator, a bulk statement, plain SQL, a member deleted with their rows),
    the kept result does not outlive the change: the database's triggers drop it."""
    scene.at(vn(2026, 11, 25, 8, 0))
    cell = await setup(scene)
    members = await members_by_name(scene.sessions(), cell)
    await hold_meeting(scene, (2026, 12, 5), attend=[SEC] + OTHERS)
    scene.at(vn(2026, 12, 7, 8, 0))
    await summary(scene)
    async with scene.sessions()() as s:
        meeting_id = await s.scalar(select(Meeting.id).where(Meeting.cell_id == cell))
    assert meeting_id in await kept_once_read(scene, 1)

    async with scene.sessions()() as s, s.begin():  # an attendance row changed through the ORM
        row = await s.scalar(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                      Attendance.member_id == members[FORGOT].id))
        row.status = AttendanceStatus.EXCUSED
    assert meeting_id not in await kept(scene)
    await summary(scene)
    assert members[FORGOT].id in ids((await kept_once_read(scene, 1))[meeting_id]["excused"])

    async with scene.sessions()() as s, s.begin():  # plain SQL
        await s.execute(text("UPDATE attendance SET status = 'present' WHERE meeting_id = :m AND member_id = :p"),
                        {"m": meeting_id, "p": members[FORGOT].id})
    assert await kept(scene) == {}
    assert (await summary(scene)).cells[0].regular.present == 6
    assert members[FORGOT].id in ids((await kept_once_read(scene, 1))[meeting_id]["present"])

    async with scene.sessions()() as s, s.begin():  # a member deleted: the database deletes their rows
        await s.execute(delete(Member).where(Member.id == members[MISSED].id))
    assert await kept(scene) == {}
    await summary(scene)
    assert members[MISSED].id not in ids((await kept_once_read(scene, 1))[meeting_id]["absent"])

    async with scene.sessions()() as s, s.begin():  # the meeting itself changed (its end corrected)
        meeting = await s.get_one(Meeting, meeting_id)
        meeting.ended_at = vn(2026, 12, 5, 21, 10)
    assert await kept(scene) == {}


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_result_being_written_is_not_kept_until_the_writer_commits(scene: Scene):
    """A correction not yet committed (another process, or a request still running) and a summary read
    meanwhile: the reader counts what is committed and keeps nothing for that meeting (PostgreSQL: the
    writer's advisory lock; SQLite: the database is busy with the writer), so the correction is never
    hidden behind a result kept from before it."""
    scene.at(vn(2026, 11, 25, 8, 0))
    cell = await setup(scene)
    members = await members_by_name(scene.sessions(), cell)
    await hold_meeting(scene, (2026, 12, 5), attend=[SEC] + OTHERS)
    scene.at(vn(2026, 12, 7, 8, 0))
    async with scene.sessions()() as s:
        meeting_id = await s.scalar(select(Meeting.id).where(Meeting.cell_id == cell))

    async with scene.sessions()() as writer, writer.begin():
        row = await writer.scalar(select(Attendance).where(Attendance.meeting_id == meeting_id,
                                                           Attendance.member_id == members[FORGOT].id))
        row.status = AttendanceStatus.PRESENT
        await writer.flush()  # written, not committed
        during = await summary(scene)
        assert during.cells[0].regular.present == 5  # what is committed
        assert await kept(scene) == {}  # and nothing kept meanwhile
    after = await summary(scene)
    assert after.cells[0].regular.present == 6
    assert members[FORGOT].id in ids((await kept_once_read(scene, 1))[meeting_id]["present"])
