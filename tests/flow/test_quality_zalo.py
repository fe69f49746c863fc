"""The quality questions answered with numbers, the next-day reminder and the minutes by signed link, on Zalo."""

from __future__ import annotations

import io

import httpx
import pytest
from docx import Document
from sqlalchemy import func, select

from bot.demo.scene import Scene
from bot.runtime.runner import Runtime
from storage.models import OutboxMessage, Role
from tests.conftest import free_port, vn

SEC, DEP = "Nguyễn Văn An", "Trần Thị Bình"
MEMBERS = ["Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


@pytest.fixture(autouse=True)
def reports_dir(settings, tmp_path) -> None:
    settings.reports_dir = str(tmp_path / "reports")


async def hold_meeting(scene: Scene) -> list[str]:
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 2", [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)]
                         + [(n, Role.DANG_VIEN) for n in MEMBERS])
    if scene.runtime is None:
        await scene.start_bot()
    await scene.link_zalo(SEC, DEP, *MEMBERS)
    await scene.say_zalo(SEC, "lịch họp 2026-12-05 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say_zalo(SEC, "bắt đầu")
    for name in [DEP, *MEMBERS]:
        await scene.say_zalo(name, "điểm danh")
    scene.at(vn(2026, 12, 5, 21, 5))
    return await scene.say_zalo(SEC, "kết thúc", expect=3)


async def test_the_questions_are_answered_with_numbers_and_the_minutes_come_by_signed_link(zalo_scene: Scene):
    scene = zalo_scene
    port = free_port()
    scene.settings.public_url = f"http://127.0.0.1:{port}"
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, http_port=port)
    await scene.runtime.start()
    summary, intro, question = await hold_meeting(scene)
    assert "Chất lượng: chưa đánh giá" in summary and "Thời lượng: 10/10" in intro
    assert "Câu 1/5" in question and "Trả lời bằng số: 1 – Có; 2 – Không; 3 – Để sau" in question
    assert "Câu 2/5" in (await scene.say_zalo(SEC, "1"))[0]
    assert "Câu 3/5" in (await scene.say_zalo(SEC, "1"))[0]
    assert "Câu 4/5" in (await scene.say_zalo(SEC, "1"))[0]
    assert "Câu 5/5" in (await scene.say_zalo(SEC, "1"))[0]
    result = (await scene.say_zalo(SEC, "1"))[0]
    # 80 of the 90 points judged (no task given, no earlier meeting) = 88.9, shown cut down to 88: Khá.
    assert "Đề xuất xếp loại: Khá – 88/100 điểm" in result and "<b>" not in result
    assert any("Khá – 88/100" in t for t in scene.zalo_texts(DEP))
    assert "Khá – 88/100" in "\n".join(await scene.say_zalo(SEC, "báo cáo"))

    replies = await scene.say_zalo(SEC, "biên bản", expect=2)
    assert "Đang gửi dự thảo biên bản" in replies[0]
    link = next(t for t in scene.zalo_texts(SEC) if "/files/chibo-bien-ban-" in t).split(": ", 1)[1].split(" ")[0]
    assert link.startswith(f"http://127.0.0.1:{port}/files/") and "sig=" in link
    async with httpx.AsyncClient() as client:
        got = await client.get(link)
    assert got.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(got.content)).paragraphs)
    assert "SINH HOẠT CHI BỘ THƯỜNG KỲ THÁNG 12 NĂM 2026" in text and "chibo đề xuất Khá (88/100 điểm)" in text
    assert "Có mặt: 5/5 đồng chí (100%)" in text
    assert "dành cho bí thư" in (await scene.say_zalo(MEMBERS[0], "bien ban"))[0]


async def test_later_then_reminded_the_next_day_after_a_restart_and_answered_by_number(zalo_scene: Scene):
    scene = zalo_scene
    question = (await hold_meeting(scene))[-1]
    assert "3 – Để sau" in question
    assert "gõ /danhgia" in (await scene.say_zalo(SEC, "3"))[0]
    await scene.stop_bot()
    scene.at(vn(2026, 12, 6, 9, 0))
    await scene.start_bot()
    await scene.settle()
    reminder = scene.zalo_texts(SEC)[-1]
    assert "chưa được đánh giá chất lượng" in reminder and "Trả lời bằng số: 1 – Đánh giá ngay" in reminder
    assert "Câu 1/5" in (await scene.say_zalo(SEC, "1"))[0]
    assert "Câu 2/5" in (await scene.say_zalo(SEC, "2"))[0]  # "Không": the cell committee did not meet
    assert "Câu 2/5" in (await scene.say_zalo(SEC, "đánh giá"))[0]


async def test_without_a_public_url_the_minutes_say_how_to_get_them(zalo_scene: Scene, tmp_path):
    scene = zalo_scene
    await hold_meeting(scene)
    reports = scene.settings.reports_dir
    (tmp_path / "not-a-folder").write_text("")
    scene.settings.reports_dir = str(tmp_path / "not-a-folder")  # the bot shares the settings object
    assert "Không ghi được tệp biên bản" in (await scene.say_zalo(SEC, "bien ban"))[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "minutes")) == 0
    scene.settings.reports_dir = reports
    await scene.say_zalo(SEC, "bien ban", expect=2)
    assert any("chưa đặt CHIBO_PUBLIC_URL" in t and "chibo-bien-ban-" in t for t in scene.zalo_texts(SEC))
