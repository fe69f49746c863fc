"""Who spoke (/phatbieu): recorded by the secretary, the assessment no longer asks it, and the same count
reads in the summary, the minutes and the score sheet. Through the real bot on Telegram and Zalo."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import select

from bot.demo.scene import Scene
from storage.models import AuditLog, MeetingAssessment, MeetingSpeaker
from tests.conftest import DB_KINDS, vn
from tests.flow.test_quality_flow import DEP, M1, M2, OTHER_SEC, SEC, answer, hold_meeting, setup


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_who_spoke_is_counted_and_not_asked(scene: Scene, tmp_path):
    await setup(scene, tmp_path)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa tổ 3")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in (DEP, M1, M2):  # M3 does not come
        await scene.say(name, "/diemdanh")

    # A member may not record who spoke; nor another cell's secretary (their cell has no meeting).
    assert "dành cho bí thư" in (await scene.say(M1, "/phatbieu Lê Văn Cường"))[0]
    assert "Chưa có cuộc họp" in (await scene.say(OTHER_SEC, "/phatbieu Lê Văn Cường"))[0]
    # An unknown name, an absent member: nothing written, told what to type.
    reply = (await scene.say(SEC, "/phatbieu Lê Văn Cường, Nguyễn Văn Không"))[0]
    assert "Không tìm thấy đảng viên Nguyễn Văn Không" in reply and "/phatbieu Nguyễn Văn An" in reply
    reply = (await scene.say(SEC, "/phatbieu Hoàng Văn Em"))[0]
    assert "không có mặt" in reply and "/diemdanh_ho Hoàng Văn Em" in reply
    reply = (await scene.say(SEC, "/phatbieu Văn"))[0]
    assert "Có nhiều đồng chí có mặt khớp" in reply
    async with scene.sessions()() as s:
        assert not list(await s.scalars(select(MeetingSpeaker)))

    # Names as /diemdanh_ho matches them: without diacritics, a given name alone.
    reply = (await scene.say(SEC, "/phatbieu le van cuong, Dung"))[0]
    assert "2/4 đồng chí có mặt phát biểu" in reply and M1 in reply and M2 in reply
    reply = (await scene.say(SEC, "/phatbieu bỏ Dung"))[0]
    assert "1/4" in reply
    await scene.say(DEP, "/phatbieu Phạm Thị Dung")  # a deputy may too
    # The tap list: one button per member present, ✓ for those recorded; a tap marks or unmarks.
    await scene.say(SEC, "/phatbieu")
    listing = scene.last(SEC)
    labels = {b["text"]: b["callback_data"] for row in listing["reply_markup"]["inline_keyboard"] for b in row}
    assert set(labels) == {SEC, DEP, f"✓ {M1}", f"✓ {M2}"}  # Hoàng Văn Em is absent: not listed
    assert "dành cho bí thư" in (await scene.press(M1, listing, labels[DEP]))["text"]
    pressed = await scene.press(SEC, listing, labels[DEP])
    assert "3/4" in pressed["text"]
    pressed = await scene.press(SEC, listing, labels[DEP])  # pressed again: unmarked
    assert "2/4" in pressed["text"]

    scene.at(vn(2026, 12, 5, 21, 5))
    summary, intro, question = await scene.say(SEC, "/ketthuc", expect=3)
    assert "Phát biểu: 2/4 đồng chí có mặt (Lê Văn Cường, Phạm Thị Dung)" in summary
    # 2 of 4: half, full marks, judged by chibo: four questions left, not five.
    assert "Đảng viên phát biểu: 15/15 (2/4 đồng chí có mặt phát biểu)" in intro
    assert "Câu 1/4" in question
    await answer(scene, "Có")
    assert "Câu 3/4" in (await answer(scene, "Cả nội dung và dự thảo nghị quyết"))["text"]  # not "how many spoke"
    await answer(scene, "Có cả biểu dương và phê bình")
    result = (await answer(scene, "Đầy đủ"))["text"]
    assert "Đảng viên phát biểu: 15/15 (2/4 đồng chí có mặt phát biểu)" in result
    # 70 of the 90 points judged (M3 absent without reason: attendance 0; no task given): 77.
    assert "Đề xuất xếp loại: Khá – 77/100 điểm" in result

    # The next day, one of them taken off: 1 of 4 is under a third (0.3 of 15: 4.5 points), scored again:
    # 59.5 of 90 is 66.
    scene.at(vn(2026, 12, 6, 10, 0))
    reply = (await scene.say(SEC, "/phatbieu bỏ Phạm Thị Dung"))[0]
    assert "1/4 đồng chí có mặt phát biểu" in reply
    report = (await scene.say(SEC, "/baocao"))[0]
    assert "Phát biểu: 1/4 đồng chí có mặt (Lê Văn Cường)" in report
    assert "Trung bình – 66/100" in report
    async with scene.sessions()() as s:
        row = await s.scalar(select(MeetingAssessment))
        assert (row.score, row.level) == (66, "trung_binh") and "members_spoke" not in row.answers
        audits = list(await s.scalars(select(AuditLog).where(AuditLog.action == "spoke").order_by(AuditLog.id)))
        assert len(audits) == 6 and audits[-1].before["member_ids"] != audits[-1].after["member_ids"]

    await scene.say(SEC, "/bienban", expect=2)
    upload = scene.server.calls("sendDocument")[-1]["document"]
    text = "\n".join(p.text for p in Document(io.BytesIO(upload.content)).paragraphs)
    assert "Số đồng chí phát biểu: 1/4 đồng chí có mặt (Lê Văn Cường)." in text

    # More than 7 days after: too late.
    scene.at(vn(2026, 12, 12, 21, 6))
    assert "Chưa có cuộc họp" in (await scene.say(SEC, "/phatbieu Lê Văn Cường"))[0]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_without_who_spoke_the_question_is_still_asked(scene: Scene, tmp_path):
    cell = await setup(scene, tmp_path)
    _, _, question = await hold_meeting(scene, cell)
    assert "Câu 1/5" in question
