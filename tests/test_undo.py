"""Mistakes undone, with an audit trail (issue 20): ending early is confirmed first, the start or end time
of the meeting just held is corrected (/suagio), tasks are corrected and withdrawn (/suaviec, /xoaviec),
/vang_ho reaches the meeting just held for a week, and every correction's error says what to type."""

from __future__ import annotations

import pytest
from conftest import DB_KINDS, vn
from sqlalchemy import select

from bot.scene import Scene
from storage.models import AuditLog, Meeting, Role

SEC, DEP = "Nguyễn Văn Bí", "Trần Thị Phó"
MEMBERS = ["Lê Văn An", "Phạm Thị Ba", "Hoàng Văn Cư", "Đỗ Thị Du", "Vũ Văn Em", "Bùi Thị Giang", "Ngô Văn Hải",
           "Lý Văn Ông"]
CELL = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)] + [(n, Role.DANG_VIEN) for n in MEMBERS]  # 10: not small


async def cell_with_meeting(scene: Scene, *, zalo: bool = False) -> int:
    """The cell, all linked (on Zalo when ``zalo``), the meeting of 5 Dec 2026 at 19:30 scheduled and begun."""
    committee = await scene.add_committee("Đảng ủy phường")
    cell = await scene.add_cell(committee, "Chi bộ số 7", CELL)
    await scene.start_bot()
    names = [n for n, _ in CELL]
    say = scene.say_zalo if zalo else scene.say
    await (scene.link_zalo if zalo else scene.link)(*names)
    await say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 5, 19, 30))
    await say(SEC, "/batdau")
    scene.at(vn(2026, 12, 5, 19, 35))
    for name in [DEP] + MEMBERS[:6]:
        await say(name, "/diemdanh")
    return cell


async def the_meeting(scene: Scene) -> Meeting:
    async with scene.sessions()() as s:
        return (await s.scalars(select(Meeting).order_by(Meeting.id))).one()


async def audits(scene: Scene, action: str) -> list[AuditLog]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_ending_early_on_telegram_asks_first_and_the_button_ends_it_after_a_restart(scene: Scene):
    await cell_with_meeting(scene)
    scene.at(vn(2026, 12, 5, 20, 50))
    asked = (await scene.say(SEC, "/ketthuc"))[0]
    assert "80 phút" in asked and "thiếu 10 phút" in asked and "tối thiểu 90 phút" in asked
    assert "KHÔNG ĐẠT" in asked
    question = scene.last_with_button(SEC, "end:")
    assert [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row] == ["Kết thúc ngay"]
    assert (await the_meeting(scene)).ended_at is None  # nothing ended yet
    assert await audits(scene, "end") == []

    # The deputy's check is no confirmation of the secretary's question; a member may not press it.
    data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await scene.stop_bot()
    await scene.start_bot()
    scene.at(vn(2026, 12, 5, 20, 52))
    answer = await scene.press(SEC, question, data)
    assert "Kết thúc ngay" in answer.get("text", "")
    meeting = await the_meeting(scene)
    assert meeting.ended_at == vn(2026, 12, 5, 20, 50)  # the end the question named
    summary = next(t for t in scene.server.texts(scene.who(SEC).chat_id) if "Tóm tắt" in t or "tóm tắt" in t)
    assert "80 phút" in summary and "KHÔNG ĐẠT thời lượng tối thiểu 90 phút" in summary
    assert len(await audits(scene, "end")) == 1
    # Pressed again (a second delivery, an old message): nothing more happens.
    answer = await scene.press(SEC, question, data)
    assert len(await audits(scene, "end")) == 1


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_ending_early_on_zalo_is_confirmed_by_ket_thuc_again_even_after_a_restart(zalo_scene: Scene):
    scene = zalo_scene
    await cell_with_meeting(scene, zalo=True)
    scene.at(vn(2026, 12, 5, 20, 50))
    asked = (await scene.say_zalo(SEC, "ket thuc"))[0]
    assert "80 phút" in asked and "thiếu 10 phút" in asked and "gõ lại /ketthuc" in asked
    assert "Trả lời 1 để kết thúc ngay" in asked
    assert (await the_meeting(scene)).ended_at is None
    await scene.stop_bot()
    await scene.start_bot()
    scene.at(vn(2026, 12, 5, 20, 51))
    replies = await scene.say_zalo(SEC, "/ketthuc")
    assert any("81 phút" in r and "KHÔNG ĐẠT" in r for r in replies)
    assert (await the_meeting(scene)).ended_at == vn(2026, 12, 5, 20, 51)


async def test_another_command_drops_the_question_and_a_full_meeting_ends_at_once(scene: Scene):
    await cell_with_meeting(scene)
    scene.at(vn(2026, 12, 5, 20, 0))
    assert "thiếu 60 phút" in (await scene.say(SEC, "/ketthuc"))[0]
    await scene.say(SEC, "/viec")  # something else: the question is dropped
    assert "thiếu 61 phút" in (await scene.say(SEC, "/ketthuc 19:59"))[0]  # asked again, typed time
    assert (await the_meeting(scene)).ended_at is None
    assert "dành cho bí thư" in (await scene.say(MEMBERS[0], "/ketthuc"))[0]
    scene.at(vn(2026, 12, 5, 21, 0))
    replies = await scene.say(SEC, "/ketthuc")  # 90 minutes: no question
    assert "90 phút" in replies[0] and (await the_meeting(scene)).ended_at == vn(2026, 12, 5, 21, 0)
