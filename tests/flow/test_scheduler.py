"""Reminders, nudges and the dispatcher, with time moved by a test clock."""

from __future__ import annotations

import asyncio
from datetime import datetime, time

from sqlalchemy import func, select

from bot.demo.scene import Scene
from scheduler.timed.nudges import run_daily
from storage.models import Cell, Meeting, OutboxMessage, PlannedMessage, Role
from tests.conftest import VN, linked_cell, vn

NAMES = ["Bí Thư", "Đảng Viên Một", "Đảng Viên Hai", "Cụ Miễn"]


async def cell_with_members(scene: Scene) -> int:
    return await linked_cell(scene, [(NAMES[0], Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in NAMES[1:]],
                             exempt={"Cụ Miễn"})


def reminders(scene: Scene, name: str) -> list[str]:
    return [t for t in scene.server.texts(scene.who(name).chat_id) if t.startswith("🔔")]


async def tick(scene: Scene, when: datetime) -> None:
    scene.at(when)
    await scene.settle()


async def test_reminders_go_out_at_each_offset_once_and_not_to_the_exempt(scene: Scene):
    await cell_with_members(scene)
    await scene.say(NAMES[0], "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await tick(scene, vn(2026, 12, 2, 19, 29))
    assert reminders(scene, NAMES[1]) == []
    await tick(scene, vn(2026, 12, 2, 19, 30))  # 3 days before
    assert len(reminders(scene, NAMES[1])) == 1 and "19:30 05/12/2026" in reminders(scene, NAMES[1])[0]
    await tick(scene, vn(2026, 12, 4, 19, 30))  # 1 day before
    await tick(scene, vn(2026, 12, 5, 17, 30))  # 2 hours before
    await tick(scene, vn(2026, 12, 5, 17, 31))
    for name in NAMES[1:3]:
        assert len(reminders(scene, name)) == 3, name
    assert reminders(scene, "Cụ Miễn") == []
    assert reminders(scene, NAMES[0]) == []  # the secretary who scheduled it needs no reminder
    message = [m for m in scene.inbox(NAMES[1]) if m["text"].startswith("🔔")][-1]
    assert [b["text"] for b in message["reply_markup"]["inline_keyboard"][0]] == ["Tham dự", "Xin vắng"]


async def test_an_excused_member_gets_no_more_reminders(scene: Scene):
    await cell_with_members(scene)
    await scene.say(NAMES[0], "/lichhop 2026-12-05 19:30")
    await scene.say(NAMES[2], "/vang Đi viện")
    for when in (vn(2026, 12, 2, 19, 30), vn(2026, 12, 4, 19, 30), vn(2026, 12, 5, 17, 30)):
        await tick(scene, when)
    assert reminders(scene, NAMES[2]) == [] and len(reminders(scene, NAMES[1])) == 3


async def test_quiet_hours_move_a_reminder_to_the_morning(scene: Scene):
    scene.settings.quiet_hours = "22:00-06:00"
    scene.settings.__dict__.pop("quiet", None)
    await cell_with_members(scene)
    await scene.say(NAMES[0], "/lichhop 2026-12-05 07:00 sáng")  # the 2h reminder would be at 05:00
    async with scene.sessions()() as s:
        dues = sorted(r.due_at.astimezone(VN) for r in await s.scalars(
            select(PlannedMessage).where(PlannedMessage.kind == "reminder")))
    assert [d.strftime("%d %H:%M") for d in dues] == ["02 07:00", "04 07:00", "05 06:00"]
    await tick(scene, vn(2026, 12, 5, 5, 0))
    assert len(reminders(scene, NAMES[1])) == 2
    await tick(scene, vn(2026, 12, 5, 6, 0))
    assert len(reminders(scene, NAMES[1])) == 3


async def test_rescheduling_moves_the_reminders_and_cancelling_removes_them(scene: Scene):
    await cell_with_members(scene)
    await scene.say(NAMES[0], "/lichhop 2026-12-05 19:30")
    reply = await scene.say(NAMES[0], "/doilich 2026-12-06 19:30")
    assert "Đã đổi cuộc họp sang 19:30 06/12/2026" in reply[0]
    assert any("đổi sang" in t for t in scene.server.texts(scene.who(NAMES[1]).chat_id))
    await tick(scene, vn(2026, 12, 2, 19, 30))
    assert reminders(scene, NAMES[1]) == []  # the old 3-day reminder went with the old time
    await tick(scene, vn(2026, 12, 3, 19, 30))
    assert len(reminders(scene, NAMES[1])) == 1 and "06/12/2026" in reminders(scene, NAMES[1])[0]
    assert "chỉ đổi được trong tháng đó" in (await scene.say(NAMES[0], "/doilich 2027-01-03 19:30"))[0]
    reply = await scene.say(NAMES[0], "/huyhop")
    assert "muốn hủy" in reply[0]  # it asks first
    question = scene.last_with_button(NAMES[0], "cancel:yes:")
    await scene.press(NAMES[0], question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert "Đã hủy" in scene.last_text(NAMES[0])
    assert any("đã được hủy" in t for t in scene.server.texts(scene.who(NAMES[1]).chat_id))
    for when in (vn(2026, 12, 5, 19, 30), vn(2026, 12, 6, 17, 30)):
        await tick(scene, when)
    assert len(reminders(scene, NAMES[1])) == 1


async def test_a_restart_between_two_reminders_loses_none_and_repeats_none(scene: Scene):
    await cell_with_members(scene)
    await scene.say(NAMES[0], "/lichhop 2026-12-05 19:30")
    await tick(scene, vn(2026, 12, 2, 19, 30))
    await scene.stop_bot()
    scene.at(vn(2026, 12, 4, 20, 0))  # the 1-day reminder fell due while chibo was down
    await scene.start_bot()
    await scene.settle()
    assert len(reminders(scene, NAMES[1])) == 2
    await tick(scene, vn(2026, 12, 5, 17, 30))
    assert len(reminders(scene, NAMES[1])) == 3


async def test_a_reminder_that_fell_due_after_the_start_during_downtime_is_not_sent(scene: Scene):
    await cell_with_members(scene)
    await scene.say(NAMES[0], "/lichhop 2026-12-05 19:30")
    await scene.stop_bot()
    scene.at(vn(2026, 12, 5, 20, 0))
    await scene.start_bot()
    await scene.settle()
    assert reminders(scene, NAMES[1]) == []
    async with scene.sessions()() as s:
        plans = list(await s.scalars(select(PlannedMessage).where(PlannedMessage.kind == "reminder")))
        queued = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reminder"))
    assert [p.outcome for p in plans] == ["meeting already begun"] * 3 and all(p.done_at for p in plans)
    assert queued == 0


async def test_secretaries_are_nudged_and_standing_meetings_are_created(scene: Scene):
    cell = await cell_with_members(scene)
    committee = await scene.add_committee("Đảng ủy 2")
    standing = await scene.add_cell(committee, "Chi bộ cố định", [("Bí Thư Cố Định", Role.BI_THU), ("Viên", Role.DANG_VIEN)])
    async with scene.sessions()() as s, s.begin():
        c = await s.get(Cell, standing)
        c.standing_day, c.standing_time, c.standing_place = 5, time(19, 30), "Hội trường"
    await scene.link("Bí Thư Cố Định", "Viên")
    services = scene.runtime.services
    assert await run_daily(services) > 0
    await scene.settle()
    nudge = next(t for t in scene.server.texts(scene.who(NAMES[0]).chat_id) if "chưa có lịch sinh hoạt thường kỳ" in t)
    assert "tháng 12/2026" in nudge and "ví dụ /lichhop 2026-12-04 19:30 Nhà văn hóa" in nudge  # this month, ahead
    told = [t for t in scene.server.texts(scene.who("Bí Thư Cố Định").chat_id) if "tự đặt lịch" in t]
    assert len(told) == 1 and "19:30 05/12/2026" in told[0]
    assert "Cần đổi ngày giờ, đồng chí gõ /doilich NGÀY GIỜ" in told[0]  # /huyhop cancels, it does not move
    assert "/huyhop nếu cần đổi" not in told[0]
    assert any("Thông báo" in t for t in scene.server.texts(scene.who("Viên").chat_id))
    assert await run_daily(services) == 0  # idempotent: nothing twice
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(Meeting).where(Meeting.cell_id == standing)) == 1
    # February is the second month of Q1: a cell with no thematic meeting this quarter is nudged.
    scene.at(vn(2027, 2, 1, 8, 0))
    await run_daily(services)
    await scene.settle()
    assert any("sinh hoạt chuyên đề trong quý 1/2027" in t for t in scene.server.texts(scene.who(NAMES[0]).chat_id))
    assert cell


async def test_absence_warnings_reach_the_secretary_after_the_meeting(scene: Scene):
    await cell_with_members(scene)
    secretary = scene.who(NAMES[0]).chat_id

    async def missed(month: int, day: int, kind: str = "") -> list[str]:
        scene.at(vn(2026, month, 1, 8, 0))
        await scene.say(NAMES[0], f"/lichhop 2026-{month:02d}-{day:02d} 19:30 {kind}".strip())
        scene.at(vn(2026, month, day, 19, 30))
        await scene.say(NAMES[0], "/batdau")
        await scene.say(NAMES[1], "/diemdanh")
        scene.at(vn(2026, month, day, 21, 30))
        return await scene.say(NAMES[0], "/ketthuc", expect=1)

    # Two meetings missed without reason in November (regular, then thematic): one month (Điều lệ, Điều 8.1).
    await missed(11, 3)
    await missed(11, 4, "chuyende")
    assert not any("Cần nhắc nhở" in t for t in scene.server.texts(secretary))
    # A second month: the secretary hears of it.
    replies = await missed(12, 3)
    assert any("Đảng Viên Hai: vắng không lý do trong 2 tháng của năm 2026 (tháng 11, 12)" in t
               for t in replies + scene.server.texts(secretary))


async def test_the_dispatcher_stops_even_when_woken_at_the_same_moment(scene: Scene):
    await cell_with_members(scene)
    dispatcher = scene.runtime.dispatcher
    for _ in range(20):
        dispatcher.start()
        await asyncio.sleep(0)
        dispatcher.wake()
        await asyncio.wait_for(dispatcher.stop(), timeout=5)
        assert dispatcher._task is None
