"""Papers before the meeting (/tailieu) sent with the next reminder and to whoever links later; members'
comments (/gopy) reaching the leaders in one digest, and listed in the minutes draft. Through the real bot."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import select

from bot.demo.scene import Scene
from bot.web.render import render
from reports import web_cell
from storage.models import AuditLog, MeetingComment, MeetingDocument, Role
from tests.conftest import DB_KINDS, vn

SEC, DEP = "Nguyễn Văn An", "Trần Thị Bình"
M1, M2, M3 = "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"
DRAFT = "Dự thảo nghị quyết tháng 12: vận động 100% hộ gia đình phân loại rác"


def count(scene: Scene, name: str, words: str) -> int:
    return sum(words in text for text in scene.server.texts(scene.who(name).chat_id))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_draft_goes_with_the_reminder_and_comments_come_back_in_one_digest(scene: Scene, tmp_path):
    scene.settings.reports_dir = str(tmp_path / "reports")
    scene.settings.quiet_hours = "22:00-06:00"
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    cell = await scene.add_cell(committee, "Chi bộ khu dân cư số 1",
                         [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (M1, Role.DANG_VIEN), (M2, Role.DANG_VIEN),
                          (M3, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SEC, DEP, M1, M2)  # M3 links later

    assert "Chưa có cuộc họp sắp tới" in (await scene.say(SEC, f"/tailieu {DRAFT}"))[0]
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa tổ 3")
    assert "dành cho bí thư" in (await scene.say(M1, f"/tailieu {DRAFT}"))[0]  # a member may not
    assert "Cách dùng" in (await scene.say(SEC, "/tailieu"))[0]
    assert "Chưa có dự thảo" in (await scene.say(M1, "/gopy Tôi nhất trí"))[0]  # nothing sent yet
    assert "Đã đính kèm" in (await scene.say(SEC, "/tailieu Bản nháp gửi nhầm"))[0]
    assert "Không có tài liệu số 2" in (await scene.say(SEC, "/tailieu bỏ 2"))[0]
    assert "Đã bỏ tài liệu số 1" in (await scene.say(SEC, "/tailieu bỏ 1"))[0]
    reply = (await scene.say(SEC, f"/tailieu {DRAFT}"))[0]
    assert "Đã đính kèm" in reply and "02/12/2026" in reply  # with the reminder three days ahead
    await scene.settle()
    assert count(scene, M1, DRAFT) == 0  # not before the reminder

    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.settle()
    for name in (DEP, M1, M2):
        assert count(scene, name, DRAFT) == 1, name
        assert count(scene, name, "Bản nháp gửi nhầm") == 0, name
    assert "đã gửi đến các đảng viên, không rút lại được" in (await scene.say(SEC, "/tailieu bỏ 1"))[0]

    assert "Cách dùng" in (await scene.say(M1, "/gopy"))[0]
    assert "Bí thư nhận cùng các góp ý khác" in (await scene.say(M1, "/gopy Đề nghị bổ sung chỉ tiêu vệ sinh"))[0]
    scene.at(vn(2026, 12, 2, 19, 45))
    await scene.say(M2, "/gopy Nhất trí với dự thảo")
    # Three hours after the first comment is 22:30, in the quiet hours: the digest waits for 06:00, across a restart.
    await scene.stop_bot()
    scene.at(vn(2026, 12, 3, 5, 59))
    await scene.start_bot()
    await scene.settle()
    assert count(scene, SEC, "góp ý dự thảo") == 0
    scene.at(vn(2026, 12, 3, 6, 0))
    await scene.settle()
    for name in (SEC, DEP):
        assert count(scene, name, "2 góp ý dự thảo") == 1, name
    digest = next(t for t in scene.server.texts(scene.who(SEC).chat_id) if "góp ý dự thảo" in t)
    assert f"{M1}: Đề nghị bổ sung chỉ tiêu vệ sinh" in digest and f"{M2}: Nhất trí với dự thảo" in digest

    # The next reminder does not send the draft again; a member linking now gets it at once.
    scene.at(vn(2026, 12, 4, 19, 30))
    await scene.settle()
    assert count(scene, M1, DRAFT) == 1
    await scene.link(M3)
    await scene.settle()
    assert count(scene, M3, DRAFT) == 1

    # A later comment goes in a new digest, not one message each.
    await scene.say(M3, "/gopy Đề nghị thêm thời hạn")
    scene.at(vn(2026, 12, 5, 8, 0))
    await scene.settle()
    assert count(scene, SEC, "1 góp ý dự thảo") == 1 and count(scene, SEC, "góp ý dự thảo") == 2

    async with scene.sessions()() as s:
        assert len(list(await s.scalars(select(MeetingDocument)))) == 1
        assert len(list(await s.scalars(select(MeetingComment)))) == 3
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "document_added")) is not None
        assert await s.scalar(select(AuditLog).where(AuditLog.action == "document_removed")) is not None

    # The minutes draft lists the comments.
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    scene.at(vn(2026, 12, 5, 21, 5))
    await scene.say(SEC, "/ketthuc", expect=3)
    # The web view of the cell lists the paper (the meetings held so far).
    async with scene.sessions()() as s:
        page = await web_cell.cell_year(s, cell, scene.clock.now(), scene.settings.tz)
    assert page.meetings[-1].documents == [DRAFT]
    html = render("cell.html", "vi", scene.settings.tz, base="", p=page, committee_view=False, nonce="n")
    assert "Tài liệu gửi trước cuộc họp:" in html and DRAFT in html
    await scene.say(SEC, "/bienban", expect=2)
    upload = scene.server.calls("sendDocument")[-1]["document"]
    text = "\n".join(p.text for p in Document(io.BytesIO(upload.content)).paragraphs)
    assert "Tài liệu gửi trước cuộc họp: 1." in text
    assert "Góp ý của đảng viên về dự thảo trước cuộc họp (3):" in text
    assert f"• {M3}: Đề nghị thêm thời hạn" in text


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_file_sent_with_tailieu_goes_on_with_the_reminder(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 1",
                         [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (M1, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SEC, DEP, M1)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa tổ 3")
    sec = scene.who(SEC)

    async def send_file(name: str, caption: str) -> str:
        before = scene.server.sent_count(sec.chat_id)
        scene.server.send_document(sec.user_id, name, b"%PDF-1.4 du thao", caption, first_name="An")
        await scene.server.wait_for(lambda: scene.server.sent_count(sec.chat_id) > before)
        await scene.settle()
        return scene.last_text(SEC)

    assert "không phải" in await send_file("virus.exe", "/tailieu")  # not a PDF, Word file or picture
    assert "Đã đính kèm" in await send_file("du-thao-nghi-quyet.pdf", "/tailieu Dự thảo nghị quyết tháng 12")
    async with scene.sessions()() as s:
        (paper,) = list(await s.scalars(select(MeetingDocument)))
        assert paper.file_name == "du-thao-nghi-quyet.pdf" and paper.file_id
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.settle()
    got = [m for m in scene.server.sent_messages(scene.who(M1).chat_id) if "document" in m]
    assert len(got) == 1 and got[0]["document"]["file_id"] == paper.file_id
    assert count(scene, M1, "Dự thảo nghị quyết tháng 12") == 1
