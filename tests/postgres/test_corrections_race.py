"""A secretary's correction racing the meeting's end in another process, on one PostgreSQL database.

Two chibo processes share the database, as in a deployment where one serves Telegram and the other
Zalo: the deputy ends the meeting on Telegram (process one) while the secretary corrects the record on
Zalo (process two), with /suadiemdanh or with /vang_ho. A third connection holds a row lock to stop one
of the two mid-transaction, so each order happens for certain rather than by chance. Whatever the order,
the correction lands in the record and in a summary the leaders get, the record has no half-written
rows, and nobody is told "busy"."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import func, select, text

from bot.demo.scene import Scene, members_by_name
from bot.runtime.runner import Runtime
from storage.models import Attendance, AttendanceStatus, AuditLog, Meeting, Role
from tests.conftest import needs_postgres, vn

pytestmark = [needs_postgres, pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)]

SEC, DEP, FORGOT = "Nguyễn Văn An", "Trần Thị Bình", "Phạm Thị Quên"
OTHERS = ["Lê Văn Cường", "Hoàng Văn Em"]
# What the secretary sends, what the member's record becomes, and what chibo answers when it has done it.
CORRECTIONS = {
    # (a tuple even for one: send() unpacks it, and a string would unpack into letters matching any message)
    "/suadiemdanh": (f"sửa điểm danh {FORGOT} | có mặt", AttendanceStatus.PRESENT, ("Đã sửa điểm danh",)),
    "/vang_ho": (f"vắng hộ {FORGOT} | ốm", AttendanceStatus.EXCUSED, ("Đã sửa điểm danh", "Đã ghi đồng chí")),
}
ORDERS = ["the end, then the correction", "the correction while the end is under way",
          "the end while the correction is under way"]
# A /suadiemdanh has nothing under way to stop halfway: its request takes no lock and writes nothing before
# it reads the meeting (the time a chat was last seen is written behind the requests), so an end that comes
# "while it is under way" is an end before it, the first order.
CASES = [(command, order) for command in CORRECTIONS for order in ORDERS
         if not (command == "/suadiemdanh" and order == ORDERS[2])]


async def two_processes(scene: Scene) -> Runtime:
    """Process one (the scene's runtime) serves Telegram, process two Zalo; returns process two."""
    scene.runtime = Runtime(settings=scene.settings.model_copy(update={"zalo_token": None}), clock=scene.clock,
                            pace=scene.pace)
    await scene.runtime.start()
    zalo_process = Runtime(settings=scene.settings.model_copy(update={"telegram_token": None}), clock=scene.clock,
                           pace=scene.pace)
    await zalo_process.start()
    return zalo_process


async def settle(scene: Scene, zalo_process: Runtime) -> None:
    """What both processes have queued is sent."""
    await scene.settle()
    while await zalo_process.dispatcher.run_once():
        pass


async def hold(scene: Scene, day: int, *, kind: str = "", end: bool = True) -> None:
    """The deputy holds a meeting on ``day`` of December; the others check in, the forgetful member only
    answers the notice with "Tham dự"."""
    scene.at(vn(2026, 12, day, 8, 0))
    await scene.say(DEP, f"/lichhop 2026-12-{day:02d} 19:30 {kind}".strip())
    notice = scene.last_with_button(FORGOT, "rsvp:yes")
    await scene.press(FORGOT, notice, next(b["callback_data"] for b in notice["reply_markup"]["inline_keyboard"][0]
                                           if b["callback_data"].startswith("rsvp:yes")))
    scene.at(vn(2026, 12, day, 19, 30))
    await scene.say(DEP, "/batdau")
    for name in OTHERS:
        await scene.say(name, "/diemdanh")
    scene.at(vn(2026, 12, day, 21, 30))
    if end:
        await scene.say(DEP, "/ketthuc")


async def waiting_on_locks(scene: Scene, count: int) -> None:
    """Returns once ``count`` transactions wait for a lock."""
    for _ in range(500):
        async with scene.sessions()() as s:
            waiting = await s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database()"))
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} transaction(s) did not come to wait for a lock")


async def send(scene: Scene, words: str, done: tuple[str, ...]) -> tuple[str, str | None]:
    """The secretary sends ``words`` on Zalo: chibo's answer, and the corrected summary when one follows
    (other messages, such as the summary of the end, may come in between)."""
    mark = len(scene.zalo_texts(SEC))

    def new(*marks: str) -> list[str]:
        return [t for t in scene.zalo_texts(SEC)[mark:] if any(m in t for m in marks)]

    scene.zalo.send_text(scene.who(SEC).zalo_id, words, display_name=SEC)
    await scene.zalo.wait_for(lambda: new(*done), timeout=30)
    answer = new(*done)[0]
    if "Đã sửa điểm danh" not in answer:
        return answer, None
    await scene.zalo.wait_for(lambda: new("Tóm tắt đã sửa"), timeout=30)
    return answer, new("Tóm tắt đã sửa")[0]


def line(summary: str, head: str) -> str:
    return "".join(x for x in summary.splitlines() if head in x)


@pytest.mark.parametrize(("command", "order"), CASES)
async def test_a_correction_racing_the_end_in_another_process(zalo_scene: Scene, command: str, order: str,
                                                              caplog):
    scene = zalo_scene
    words, status, done = CORRECTIONS[command]
    caplog.set_level(logging.WARNING)
    committee = await scene.add_committee("Đảng ủy")
    cell = await scene.add_cell(committee, "Chi bộ hai ứng dụng", [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)]
                                + [(n, Role.DANG_VIEN) for n in OTHERS + [FORGOT]])
    zalo_process = await two_processes(scene)
    try:
        await scene.link(DEP, *OTHERS, FORGOT)
        await scene.link_zalo(SEC)
        await hold(scene, 5)  # the regular meeting: the forgetful member is recorded absent
        await hold(scene, 19, kind="chuyende", end=False)  # the thematic one, in progress
        members = await members_by_name(scene.sessions(), cell)
        async with scene.sessions()() as s:
            earlier, meeting = list(await s.scalars(select(Meeting).order_by(Meeting.scheduled_at)))
            row = await s.scalar(select(Attendance.id).where(Attendance.meeting_id == meeting.id,
                                                             Attendance.member_id == members[FORGOT].id))
        await settle(scene, zalo_process)

        if order == "the end, then the correction":
            await scene.say(DEP, "/ketthuc")
            answer, corrected = await send(scene, words, done)
        elif order == "the correction while the end is under way":
            async with scene.sessions()() as blocker, blocker.begin():  # the end waits to take the meeting
                await blocker.execute(select(Meeting).where(Meeting.id == meeting.id).with_for_update())
                ending = asyncio.create_task(scene.say(DEP, "/ketthuc", timeout=30))
                await waiting_on_locks(scene, 1)
                correcting = asyncio.create_task(send(scene, words, done))
                await waiting_on_locks(scene, 2)
            await ending
            answer, corrected = await correcting
        else:
            async with scene.sessions()() as blocker, blocker.begin():  # the excuse waits halfway,
                # holding the meeting open, before it writes the member's row
                await blocker.execute(select(Attendance).where(Attendance.id == row).with_for_update())
                correcting = asyncio.create_task(send(scene, words, done))
                await waiting_on_locks(scene, 1)
                ending = asyncio.create_task(scene.say(DEP, "/ketthuc", timeout=30))
                await waiting_on_locks(scene, 2)  # the end waits for the excuse
            await ending
            answer, corrected = await correcting
        await settle(scene, zalo_process)

        # The answer says what was done, and the last summary the leaders have shows it.
        if corrected is None:  # /vang_ho done within the meeting, before its end
            assert command == "/vang_ho" and order == "the end while the correction is under way"
            assert "vắng có lý do cuộc họp 19:30 19/12/2026" in answer
            corrected = [m["text"] for m in scene.inbox(DEP) if "Tóm tắt" in m.get("text", "")][-1]
        else:
            assert f"ngày 19/12/2026: đồng chí {FORGOT} từ vắng không lý do thành" in answer, answer
            assert any("Tóm tắt đã sửa" in m.get("text", "") for m in scene.inbox(DEP))  # the deputy has it too
        assert FORGOT not in line(corrected, "Vắng không lý do")
        if status is AttendanceStatus.EXCUSED:
            assert f"{FORGOT} – ốm" in line(corrected, "Vắng có lý do")

        async with scene.sessions()() as s:
            rows = {(a.meeting_id, a.member_id): a for a in await s.scalars(select(Attendance))}
            audits = list(await s.scalars(select(AuditLog).where(AuditLog.entity == "attendance",
                                                                  AuditLog.entity_id == meeting.id)
                                          .order_by(AuditLog.id)))
            ended = await s.scalar(select(func.count()).select_from(Meeting).where(Meeting.ended_at.is_not(None)))
        assert ended == 2
        for m in (earlier, meeting):  # every member recorded once at each meeting, none left without a status
            assert all(rows[m.id, member.id].status is not None for member in members.values())
        mine = rows[meeting.id, members[FORGOT].id]
        assert mine.status is status and mine.reason == ("ốm" if status is AttendanceStatus.EXCUSED else None)
        assert rows[earlier.id, members[FORGOT].id].status is AttendanceStatus.ABSENT  # the other meeting untouched
        assert audits[-1].after["status"] == status.value  # the last change recorded is the one that stands
        assert not [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
        assert not any("đang bận" in m.get("text", "") for m in scene.inbox(DEP))
        assert not any("đang bận" in t for t in scene.zalo_texts(SEC))
    finally:
        await zalo_process.stop()
