"""A meeting whose time passed without /batdau: the secretary is told that evening or the next morning
(never in the quiet hours) what to do, and both ways out work from the chat: /batdau HH:MM records the
real start on the meeting's own day, /doilich moves it. And the preparation nudge never goes out while
the cell is in a meeting: it waits for the end. Through the real bot, with the FakeClock."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.demo.scene import Scene
from storage.models import Meeting, PlannedMessage, Role
from tests.conftest import DB_KINDS, linked_cell, vn

SEC, DEP, CU, A, B = "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi Ủy", "Phạm Văn Một", "Hoàng Thị Hai"
ROSTER = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (CU, Role.CHI_UY), (A, Role.DANG_VIEN), (B, Role.DANG_VIEN)]


async def cell(scene: Scene) -> int:
    return await linked_cell(scene, ROSTER, committee="Đảng ủy phường", name="Chi bộ số 1")


def texts(scene: Scene, name: str, prefix: str) -> list[str]:
    return [t for t in scene.server.texts(scene.who(name).chat_id) if t.startswith(prefix)]


async def tick(scene: Scene, when) -> None:
    scene.at(when)
    await scene.settle()


async def meeting(scene: Scene, cell_id: int) -> Meeting:
    async with scene.sessions()() as s:
        return await s.scalar(select(Meeting).where(Meeting.cell_id == cell_id).order_by(Meeting.id.desc()).limit(1))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_meeting_never_begun_is_told_the_next_morning_and_batdau_records_it_on_its_day(scene: Scene):
    scene.settings.quiet_hours = "22:00-06:00"
    scene.settings.__dict__.pop("quiet", None)
    cell_id = await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await scene.stop_bot()
    await scene.start_bot()  # the nudge is planned in the database: a restart loses nothing
    await tick(scene, vn(2026, 12, 5, 22, 59))  # 3 hours after 19:30 is in the quiet hours (22:00-06:00)
    assert texts(scene, SEC, "❗") == []
    await tick(scene, vn(2026, 12, 6, 6, 59))
    assert texts(scene, SEC, "❗") == []
    await tick(scene, vn(2026, 12, 6, 7, 0))  # the next morning
    for name in (SEC, DEP):
        told = texts(scene, name, "❗")
        assert len(told) == 1, name
    told = told[0]
    assert "lịch 19:30 05/12/2026 chưa được bắt đầu trên chibo" in told and "không họp theo lịch" in told
    assert "/batdau 19:30" in told and "/ketthuc 21:30" in told and "/doilich 2026-12-07 19:30" in told
    assert texts(scene, CU, "❗") == [] and texts(scene, A, "❗") == []
    await tick(scene, vn(2026, 12, 7, 7, 0))
    assert len(texts(scene, SEC, "❗")) == 1  # once

    # It did take place: the secretary records its real start, on its own day, then its end. Without a time,
    # chibo asks for it (it never takes "now" for a meeting of another day).
    scene.at(vn(2026, 12, 6, 7, 10))
    reply = (await scene.say(SEC, "/batdau"))[0]
    assert "lịch 19:30 05/12/2026 chưa được bắt đầu" in reply and "/batdau 19:30" in reply
    reply = (await scene.say(SEC, "/batdau 19:30"))[0]
    assert "Đã ghi cuộc họp ngày 05/12/2026 bắt đầu lúc 19:30 (nhập tay)" in reply and "/ketthuc" in reply
    assert "chưa tới" not in reply
    reply = "\n".join(await scene.say(SEC, "/ketthuc 21:05", expect=2))
    assert "95 phút" in reply
    mt = await meeting(scene, cell_id)
    assert mt.started_at == vn(2026, 12, 5, 19, 30) and mt.ended_at == vn(2026, 12, 5, 21, 5)
    assert mt.start_manual and mt.end_manual


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_meeting_never_begun_is_told_the_same_evening_and_doilich_moves_it(scene: Scene):
    cell_id = await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 14:00")
    await scene.say(SEC, "/lichhop 2026-12-20 19:30 chuyende")  # a later meeting: /doilich still moves the missed one
    await tick(scene, vn(2026, 12, 5, 16, 59))
    assert texts(scene, SEC, "❗") == []
    await tick(scene, vn(2026, 12, 5, 17, 0))  # 3 hours after its time, that afternoon
    assert len(told := texts(scene, SEC, "❗")) == 1 and "/doilich 2026-12-06 14:00" in told[0]
    # It did not take place: moved, as the nudge says.
    scene.at(vn(2026, 12, 6, 8, 0))
    reply = (await scene.say(SEC, "/doilich 2026-12-09 19:30"))[0]
    assert "Đã đổi cuộc họp lịch 14:00 05/12/2026 (chưa họp) sang" in reply and "09/12/2026" in reply
    assert any("19:30 09/12/2026" in t for t in scene.server.texts(scene.who(A).chat_id))
    async with scene.sessions()() as s:
        moved = await s.scalar(select(Meeting).where(Meeting.cell_id == cell_id).order_by(Meeting.id).limit(1))
        assert moved.scheduled_at == vn(2026, 12, 9, 19, 30) and moved.started_at is None
    # The new time has its own nudge (the next morning, 10/12), the old one none.
    await tick(scene, vn(2026, 12, 10, 7, 0))
    assert len(told := texts(scene, SEC, "❗")) == 2 and "lịch 19:30 09/12/2026" in told[1]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_preparation_nudge_waits_for_the_meeting_in_progress_to_end(scene: Scene):
    await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    await scene.say(SEC, "/lichhop 2026-12-12 19:45 chuyende")  # its preparation nudge falls due at 19:45 on 05/12
    await scene.settle()
    before = len(texts(scene, CU, "🗂"))  # the regular meeting's own nudge, at once
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    for when in (vn(2026, 12, 5, 19, 45), vn(2026, 12, 5, 20, 30), vn(2026, 12, 5, 21, 0)):
        await tick(scene, when)
        assert len(texts(scene, CU, "🗂")) == before, when  # not during the meeting
    async with scene.sessions()() as s:
        plan = await s.scalar(select(PlannedMessage).where(PlannedMessage.kind == "prep_nudge",
                                                           PlannedMessage.done_at.is_(None)))
        assert plan is not None  # deferred, not dropped
    scene.at(vn(2026, 12, 5, 21, 5))
    await scene.say(SEC, "/ketthuc", expect=2)
    await scene.stop_bot()
    await scene.start_bot()
    await tick(scene, vn(2026, 12, 5, 21, 20))
    for name in (SEC, DEP, CU):
        prep = texts(scene, name, "🗂")[before:]
        assert len(prep) == 1 and "Còn 7 ngày đến cuộc họp sinh hoạt chuyên đề lúc 19:45 12/12/2026" in prep[0], name
    await tick(scene, vn(2026, 12, 6, 7, 0))
    assert len(texts(scene, CU, "🗂")) == before + 1  # once


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_huyhop_cancels_the_missed_meeting_and_batdau_today_still_starts_todays(scene: Scene):
    cell_id = await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    await scene.say(SEC, "/lichhop 2026-12-20 19:30 chuyende")
    await tick(scene, vn(2026, 12, 6, 8, 0))
    assert len(texts(scene, SEC, "❗")) == 1  # told (quiet hours off: 22:30 last evening)
    reply = (await scene.say(SEC, "/huyhop"))[0]
    assert "19:30 05/12/2026" in reply and "20/12/2026" not in reply
    question = scene.last_with_button(SEC, "cancel:")
    await scene.press(SEC, question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    async with scene.sessions()() as s:
        first = await s.scalar(select(Meeting).where(Meeting.cell_id == cell_id).order_by(Meeting.id).limit(1))
        assert first.cancelled_at is not None
    # Nothing missed any more: /batdau HH:MM with no meeting today says so, as before.
    reply = (await scene.say(SEC, "/batdau 07:30"))[0]
    assert "Ngày 06/12/2026 chi bộ không có lịch họp" in reply
    await tick(scene, vn(2026, 12, 7, 7, 0))
    assert len(texts(scene, SEC, "❗")) == 1  # nothing more of a cancelled meeting


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_meeting_left_open_for_longer_than_a_meeting_lasts_does_not_hold_the_preparation_nudge(scene: Scene):
    await cell(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    await scene.say(SEC, "/lichhop 2026-12-13 19:30 chuyende")  # preparation nudge due 06/12 19:30
    await scene.settle()
    before = len(texts(scene, CU, "🗂"))
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")  # and never /ketthuc: left open (the secretary is nudged to end it)
    await tick(scene, vn(2026, 12, 6, 19, 30))
    prep = texts(scene, CU, "🗂")[before:]
    assert len(prep) == 1 and "Còn 7 ngày đến cuộc họp sinh hoạt chuyên đề lúc 19:30 13/12/2026" in prep[0]
