"""PostgreSQL breaks a deadlock by rolling one of the two transactions back (SQLSTATE 40P01), as when a member's
check-in in a batch waits for the group's roll-call row while another waits for it. The request that lost is
tried again once (``handlers.router._handle``): the member is answered as usual, once, and one row is written.

The deadlock is PostgreSQL's own error, raised by a trigger on the first write of an attendance row (a sequence
counts the writes: it is not rolled back with the transaction), so the retry is what the test sees, whatever
order the two requests of a real deadlock would take."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from bot.demo.scene import Scene
from storage.models import Attendance, AttendanceStatus
from tests.conftest import needs_postgres

ON_POSTGRES = [pytest.param("postgresql", marks=needs_postgres)]


async def _deadlock_on_writes(scene: Scene, failing: int) -> None:
    """The next ``failing`` writes of an attendance row are rolled back as PostgreSQL rolls back a deadlock's loser."""
    async with scene.sessions()() as s, s.begin():
        await s.execute(text("CREATE SEQUENCE attendance_writes"))
        await s.execute(text(f"""
            CREATE FUNCTION deadlock_first_writes() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF nextval('attendance_writes') <= {failing} THEN
                RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
              END IF;
              RETURN NEW;
            END $$"""))
        await s.execute(text("CREATE TRIGGER deadlock_first_writes BEFORE INSERT OR UPDATE ON attendance "
                             "FOR EACH ROW EXECUTE FUNCTION deadlock_first_writes()"))


async def _writes(scene: Scene) -> int:
    async with scene.sessions()() as s:
        return int(await s.scalar(text("SELECT last_value FROM attendance_writes")))


async def _status(scene: Scene, name: str) -> AttendanceStatus | None:
    member_id = scene.who(name).member_id
    async with scene.sessions()() as s:
        return await s.scalar(select(Attendance.status).where(Attendance.member_id == member_id))


@pytest.mark.parametrize("db_url", ON_POSTGRES, indirect=True)
async def test_a_check_in_rolled_back_by_a_deadlock_is_tried_again_and_answered_once(scene: Scene, caplog):
    caplog.set_level(logging.INFO)
    await scene.meeting_in_progress("Bí Thư", ["Đảng Viên A", "Đảng Viên B"])
    await _deadlock_on_writes(scene, failing=1)
    member = scene.who("Đảng Viên A")
    before = scene.server.sent_count(member.chat_id)

    answers = await scene.say("Đảng Viên A", "/diemdanh")

    assert await _writes(scene) == 2  # the write that PostgreSQL rolled back, then the one tried again
    assert await _status(scene, "Đảng Viên A") == AttendanceStatus.PRESENT
    assert scene.server.sent_count(member.chat_id) == before + 1, scene.server.texts(member.chat_id)[before:]
    assert "điểm danh" in answers[0].lower() and "thử lại" not in answers[0].lower(), answers
    assert any("wrote first; retrying" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("db_url", ON_POSTGRES, indirect=True)
async def test_a_check_in_that_loses_twice_is_told_busy_and_nothing_is_written(scene: Scene):
    """Tried again once only: a second deadlock in a row answers "busy" (with what happens next), writes nothing."""
    await scene.meeting_in_progress("Bí Thư", ["Đảng Viên A", "Đảng Viên B"])
    await _deadlock_on_writes(scene, failing=2)
    member = scene.who("Đảng Viên A")
    before = scene.server.sent_count(member.chat_id)

    answers = await scene.say("Đảng Viên A", "/diemdanh")

    assert await _writes(scene) == 2
    assert await _status(scene, "Đảng Viên A") is None
    assert scene.server.sent_count(member.chat_id) == before + 1
    assert answers[0].startswith("Hệ thống đang bận, chưa ghi được"), answers
