"""Tasks and guests on Zalo: words instead of slash commands, numbers instead of buttons, after a restart too."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.demo.scene import Scene
from storage.models import ChatChoice, Role

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEC, MEM, OTHER, SEC2 = "Nguyễn Văn Zalo", "Lê Thị Số", "Phạm Văn Khác", "Trần Văn Hai"
CM = "Đỗ Văn Cấp Ủy"


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


async def choices_stored(scene: Scene, name: str) -> None:
    chat = scene.who(name).zalo_id
    for _ in range(100):
        async with scene.sessions()() as s:
            row = await s.scalar(select(ChatChoice).where(ChatChoice.chat_id == chat))
        if row is not None and any(c.startswith("task_done:") for c in row.choices) and len(row.choices) == 2:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the numbered choices were not stored")


async def test_tasks_and_a_guest_on_zalo_with_words_and_numbers(zalo_scene: Scene):
    scene = zalo_scene
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ Zalo", [(SEC, Role.BI_THU), (MEM, Role.DANG_VIEN), (OTHER, Role.DANG_VIEN)])
    await scene.add_cell(committee, "Chi bộ Hai", [(SEC2, Role.BI_THU)])
    await scene.add_committee_member(committee, CM)
    await scene.start_bot()
    await scene.link_zalo(SEC, MEM, OTHER, SEC2, CM)
    await scene.say_zalo(SEC, "lịch họp 2026-12-05 19:30")
    await scene.say_zalo(SEC2, "lich hop 2026-12-05 19:00")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say_zalo(SEC, "bắt đầu")
    await scene.say_zalo(SEC2, "bat dau 19:00")
    await scene.say_zalo(MEM, "điểm danh")
    await scene.say_zalo(OTHER, "điểm danh")

    # A guest with two meetings open answers with a number.
    choice = (await scene.say_zalo(CM, "điểm danh"))[0]
    assert "Đang có 2 chi bộ họp" in choice and "Trả lời bằng số: 1 – Chi bộ Hai; 2 – Chi bộ Zalo" in choice
    assert "dự cuộc họp của Chi bộ Zalo" in (await scene.say_zalo(CM, "2"))[0]

    # Tasks given in words; the member reads "Trả lời bằng số: 1 – Đã xong".
    reply = (await scene.say_zalo(SEC, "giao việc Lê Thị Số | Tuyên truyền phòng chống cháy nổ | 20/12"))[0]
    assert "Đã giao việc cho Lê Thị Số" in reply and "<" not in reply
    told = scene.zalo_texts(MEM)[-1]
    assert "Tuyên truyền phòng chống cháy nổ" in told and "Trả lời bằng số: 1 – Đã xong" in told and "<b>" not in told
    await scene.say_zalo(SEC, "giao viec ca chi bo | Đóng đảng phí tháng 12 | 2026-12-10")
    scene.at(vn(2026, 12, 5, 21, 5))
    summary = "\n".join(await scene.say_zalo(SEC, "kết thúc"))
    assert "Việc được giao (4)" in summary and "Đại biểu cấp trên: Đỗ Văn Cấp Ủy" in summary

    # The bot restarts: the numbers offered before still mean the same thing.
    await scene.stop_bot()
    await scene.start_bot()
    listing = (await scene.say_zalo(MEM, "việc"))[0]
    # By deadline: the task given second, due first, is number 1 (the list, the numbers, "xong 1").
    assert "1. Đóng đảng phí tháng 12 – hạn 10/12/2026" in listing and "2. Tuyên truyền phòng chống cháy nổ" in listing
    assert "Trả lời bằng số: 1 – Xong việc 1; 2 – Xong việc 2" in listing
    await choices_stored(scene, MEM)  # remembered just after the answer is sent: wait for it before the "crash"
    await scene.stop_bot()
    await scene.start_bot()
    assert "hoàn thành việc: Đóng đảng phí tháng 12" in (await scene.say_zalo(MEM, "1"))[0]
    assert any("Lê Thị Số đã xong việc: Đóng đảng phí" in t for t in scene.zalo_texts(SEC))
    reply = (await scene.say_zalo(MEM, "xong 1 đã treo băng rôn"))[0]  # the one left is now number 1
    assert "hoàn thành việc: Tuyên truyền phòng chống cháy nổ – kết quả: đã treo băng rôn" in reply
    assert "không có việc nào đang chờ" in (await scene.say_zalo(MEM, "viec"))[0]

    # The reminder on Zalo, three days before, once across a restart; answered with its number.
    scene.at(vn(2026, 12, 7, 8, 0))
    await scene.settle()
    await scene.stop_bot()
    await scene.start_bot()
    await scene.settle()
    reminders = [t for t in scene.zalo_texts(OTHER) if t.startswith("⏳")]
    assert reminders == ["⏳ Nhắc việc: Đóng đảng phí tháng 12 – hạn 10/12/2026 (còn 3 ngày).\nTrả lời bằng số: 1 – Đã xong."]
    assert not [t for t in scene.zalo_texts(MEM) if t.startswith("⏳")]
    assert "hoàn thành việc: Đóng đảng phí" in (await scene.say_zalo(OTHER, "1"))[0]
