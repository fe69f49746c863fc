"""Who spoke, a draft and comments, typed without "/" on Zalo."""

from __future__ import annotations

import httpx

from bot.demo.scene import Scene
from bot.runtime.runner import Runtime
from storage.models import Role
from tests.conftest import free_port, vn

SEC, DEP = "Nguyễn Văn An", "Trần Thị Bình"
MEMBERS = ["Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]


async def test_on_zalo_a_draft_comments_and_who_spoke(zalo_scene: Scene):
    scene = zalo_scene
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 2", [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)]
                         + [(n, Role.DANG_VIEN) for n in MEMBERS])
    await scene.start_bot()
    await scene.link_zalo(SEC, DEP, *MEMBERS)
    await scene.say_zalo(SEC, "lịch họp 2026-12-05 19:30 Nhà văn hóa")
    assert "Đã đính kèm" in (await scene.say_zalo(SEC, "tài liệu Dự thảo nghị quyết tháng 12"))[0]
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.settle()
    assert any("Dự thảo nghị quyết tháng 12" in t for t in scene.zalo_texts(MEMBERS[0]))
    assert "Đã ghi góp ý" in (await scene.say_zalo(MEMBERS[0], "góp ý Nhất trí"))[0]
    scene.at(vn(2026, 12, 2, 22, 30))
    await scene.settle()
    assert any("1 góp ý dự thảo" in t and "Nhất trí" in t for t in scene.zalo_texts(SEC))

    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say_zalo(SEC, "bắt đầu")
    for name in [DEP, *MEMBERS]:
        await scene.say_zalo(name, "điểm danh")
    reply = (await scene.say_zalo(SEC, "phát biểu Cường, Dung, Em"))[0]
    assert "3/5 đồng chí có mặt phát biểu" in reply and "<b>" not in reply
    scene.at(vn(2026, 12, 5, 21, 5))
    summary, _, question = await scene.say_zalo(SEC, "kết thúc", expect=3)
    assert "Phát biểu: 3/5 đồng chí có mặt" in summary and "Câu 1/4" in question


async def test_a_file_sent_on_telegram_reaches_a_zalo_member_by_signed_link(zalo_scene: Scene, tmp_path):
    scene = zalo_scene
    scene.settings.reports_dir = str(tmp_path / "reports")
    port = free_port()
    scene.settings.public_url = f"http://127.0.0.1:{port}"
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, http_port=port)
    await scene.runtime.start()
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 2", [(SEC, Role.BI_THU), (MEMBERS[0], Role.DANG_VIEN)])
    await scene.link(SEC)  # the secretary on Telegram, the member on Zalo
    await scene.link_zalo(MEMBERS[0])
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    sec = scene.who(SEC)
    before = scene.server.sent_count(sec.chat_id)
    scene.server.send_document(sec.user_id, "du-thao.pdf", b"%PDF-1.4 du thao nghi quyet", "/tailieu Dự thảo NQ")
    await scene.server.wait_for(lambda: scene.server.sent_count(sec.chat_id) > before)
    assert "Đã đính kèm" in scene.last_text(SEC)
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.settle()
    text = next(t for t in scene.zalo_texts(MEMBERS[0]) if "Dự thảo NQ" in t)
    link = text.split("Tệp du-thao.pdf: ", 1)[1].split(" ")[0]
    assert link.startswith(f"http://127.0.0.1:{port}/files/") and "sig=" in link
    async with httpx.AsyncClient() as client:
        got = await client.get(link)
    assert got.status_code == 200 and got.content == b"%PDF-1.4 du thao nghi quyet"
