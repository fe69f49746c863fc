"""Two leaders send /batdau at the same moment, on one PostgreSQL database: one starts the meeting, the
other is told it has already begun; one audit row, one check-in prompt per member.

A third connection holds the meeting's row so both requests are under way at once, whatever the
machine's timing; then it lets them go."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene
from storage.models import AuditLog, Meeting, Role
from tests.conftest import needs_postgres, vn
from tests.postgres.test_corrections_race import waiting_on_locks

pytestmark = [needs_postgres, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]

SEC, DEP, MEMBER = "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"


async def test_two_leaders_start_the_same_meeting_at_once_one_starts_it(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (MEMBER, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SEC, DEP, MEMBER)
    scene.at(vn(2026, 12, 5, 8, 0))
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    await scene.settle()
    scene.at(vn(2026, 12, 5, 19, 30))
    async with scene.sessions()() as s:
        meeting_id = await s.scalar(select(Meeting.id))
    before = {name: scene.server.sent_count(scene.who(name).chat_id) for name in (SEC, DEP, MEMBER)}

    async with scene.sessions()() as blocker, blocker.begin():  # both /batdau come while the row is held
        await blocker.execute(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
        first = asyncio.create_task(scene.say(SEC, "/batdau", timeout=30))
        second = asyncio.create_task(scene.say(DEP, "/batdau", timeout=30))
        await waiting_on_locks(scene, 2)
    answers = (await first)[0], (await second)[0]
    await scene.settle()

    started = [a for a in answers if "Cuộc họp bắt đầu lúc" in a]
    already = [a for a in answers if "đã bắt đầu lúc" in a]
    assert len(started) == 1 and len(already) == 1, answers
    async with scene.sessions()() as s:
        audits = await s.scalar(select(func.count()).select_from(AuditLog)
                                .where(AuditLog.entity == "meeting", AuditLog.action == "start"))
    assert audits == 1
    prompts = [t for t in scene.server.texts(scene.who(MEMBER).chat_id)[before[MEMBER]:] if "điểm danh" in t.lower()]
    assert len(prompts) == 1, prompts
