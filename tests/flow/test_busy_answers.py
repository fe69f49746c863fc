"""Every answer true: "busy, not recorded, try again" means nothing will be recorded.

A request the database refuses is either dropped and the member told to send it again (then it is
never handled later on its own), or retried by chibo and the member told so, and then told its outcome
once; never both. Driven through the fake Bot API, with the attendance table refusing writes for 7
seconds, and with two check-ins of one member racing (on PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from bot.demo.scene import Scene
from bot.runtime.intake import MAX_ATTEMPTS
from storage.models import Attendance, AttendanceStatus, AuditLog, InboxUpdate, Meeting
from tests.conftest import DB_KINDS, needs_postgres
from tests.postgres.test_corrections_race import waiting_on_locks

SEC, MEMBER = "Nguyễn Văn An", "Lê Văn Cường"
BUSY = "chưa ghi được"
PASS = 0.5  # the intake's maintenance pass, seconds (3 s in production): the tests wait for a few passes


@pytest.fixture
def settings(settings):
    settings.intake_maintenance_seconds = PASS
    return settings


async def present(scene: Scene) -> int:
    async with scene.sessions()() as s:
        return await s.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.LATE])))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_check_in_refused_for_7_seconds_is_not_recorded_behind_the_members_back(scene: Scene):
    await scene.meeting_in_progress(SEC, [MEMBER])
    chat = scene.who(MEMBER).chat_id
    async with scene.sessions()() as s, s.begin():  # the attendance table refuses writes
        await s.execute(text("ALTER TABLE attendance RENAME TO attendance_away"))
    before = scene.server.sent_count(chat)
    answer = await scene.say(MEMBER, "/diemdanh", timeout=10)
    assert BUSY in answer[0], answer
    await asyncio.sleep(7)
    async with scene.sessions()() as s, s.begin():
        await s.execute(text("ALTER TABLE attendance_away RENAME TO attendance"))
    await asyncio.sleep(4 * PASS)  # the intake's maintenance passes would have taken it again by now
    await scene.settle()
    assert await present(scene) == 1  # the secretary only: nothing recorded after "not recorded"
    assert len(scene.server.texts(chat)) == before + 1, scene.server.texts(chat)[before:]

    answer = await scene.say(MEMBER, "/diemdanh")  # the member sends it again, as told
    assert "điểm danh" in answer[0].lower() and BUSY not in answer[0], answer
    await asyncio.sleep(3 * PASS)
    assert await present(scene) == 2
    assert len(scene.server.texts(chat)) == before + 2, scene.server.texts(chat)[before:]  # told once


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=needs_postgres)], indirect=True)
async def test_two_check_ins_of_one_member_racing_are_answered_once_each_and_recorded_once(scene: Scene):
    """The member checks in in the cell's group and in private at the same moment: both wait on the
    meeting's row, then both insert the member's attendance row; the second must not be told "busy"."""
    await scene.meeting_in_progress(SEC, [MEMBER])
    group = -100777
    await scene.say(SEC, "/lienket", chat_id=group, chat_type="group")
    await scene.settle()
    person = scene.who(MEMBER)
    async with scene.sessions()() as s:
        meeting_id = await s.scalar(select(Meeting.id))
    before_private, before_group = scene.server.sent_count(person.chat_id), scene.server.sent_count(group)
    async with scene.sessions()() as blocker, blocker.begin():
        await blocker.execute(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
        scene.server.send_text(person.user_id, "/diemdanh", first_name="Cường")
        scene.server.send_text(person.user_id, "/diemdanh", chat_id=group, chat_type="group", first_name="Cường",
                               chat_title="Nhóm chi bộ")
        await waiting_on_locks(scene, 2)
    await scene.server.wait_for(lambda: scene.server.sent_count(person.chat_id) > before_private
                                and scene.server.sent_count(group) > before_group, timeout=15)
    await asyncio.sleep(3 * PASS)  # what the intake would take again, it would have by now
    await scene.settle()
    answers = scene.server.texts(person.chat_id)[before_private:] + scene.server.texts(group)[before_group:]
    assert not any(BUSY in a for a in answers), answers
    assert len(answers) == 2, answers
    assert await present(scene) == 2
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "attendance")) <= 1


async def _inbox_refuses_handling(scene: Scene, refuse: bool) -> None:
    """The inbox keeps updates but refuses to mark one handled: a request cannot be recorded nor dropped."""
    postgres = scene.settings.database_url.startswith("postgresql")
    async with scene.sessions()() as s, s.begin():
        if refuse and postgres:
            await s.execute(text("CREATE FUNCTION inbox_away() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'inbox away'; END $$"))
            await s.execute(text("CREATE TRIGGER inbox_away BEFORE UPDATE OF handled_at ON inbox FOR EACH ROW "
                                 "WHEN (NEW.handled_at IS NOT NULL) EXECUTE FUNCTION inbox_away()"))
        elif refuse:
            await s.execute(text("CREATE TRIGGER inbox_away BEFORE UPDATE OF handled_at ON inbox "
                                 "WHEN NEW.handled_at IS NOT NULL BEGIN SELECT RAISE(ABORT, 'inbox away'); END"))
        else:
            await s.execute(text("DROP TRIGGER inbox_away" + (" ON inbox" if postgres else "")))


async def _takes(scene: Scene) -> int:
    async with scene.sessions()() as s:
        return await s.scalar(select(func.max(InboxUpdate.attempts)).where(InboxUpdate.handled_at.is_(None))) or 0


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_chibo_will_retry_is_said_once_and_giving_up_says_not_recorded_once(scene: Scene):
    """Not recorded and not even dropped: the member is told chibo retries, once (not at every take); when the
    intake gives the update up, they are told once that it was not recorded, and nothing is recorded."""
    await scene.meeting_in_progress(SEC, [MEMBER])
    chat = scene.who(MEMBER).chat_id
    await _inbox_refuses_handling(scene, True)
    before = scene.server.sent_count(chat)
    answer = await scene.say(MEMBER, "/diemdanh", timeout=10)
    assert "tự thử lại" in answer[0], answer
    for _ in range(60):  # each take: the lease runs out, the intake's next pass takes it again
        if await _takes(scene) > MAX_ATTEMPTS + 1:
            break
        scene.clock.advance(seconds=11)
        await asyncio.sleep(PASS)
    assert await _takes(scene) > MAX_ATTEMPTS + 1  # given up once already, but not even droppable: nothing said
    assert len(scene.server.texts(chat)) == before + 1, scene.server.texts(chat)[before:]

    await _inbox_refuses_handling(scene, False)
    scene.clock.advance(seconds=11)
    await scene.server.wait_for(lambda: scene.server.sent_count(chat) > before + 1, timeout=15)
    for _ in range(3):  # more passes: nothing more is said
        scene.clock.advance(seconds=11)
        await asyncio.sleep(1.2 * PASS)
    await scene.settle()
    told = scene.server.texts(chat)[before:]
    assert len(told) == 2 and "không ghi được" in told[1] and "gửi lại" in told[1], told
    assert await present(scene) == 1  # the secretary only
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(InboxUpdate).where(
            InboxUpdate.handled_at.is_(None))) == 0
