"""Papers for the meeting sent from Zalo. The Zalo Bot API delivers pictures (``message.image.received``, with
their caption) but no PDF or Word files: a picture with /tailieu in its caption is attached to the meeting (a
copy kept), members on Zalo get it by its Zalo address, members on Telegram get the copy uploaded; what Zalo
does not pass on (``message.unsupported.received``) is answered with what to send instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.demo.scene import Scene
from storage.models import MeetingDocument, Role
from tests.conftest import DB_KINDS, vn

SEC, ZALO_MEMBER, TG_MEMBER, LATE = "Nguyễn Văn An", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"
PICTURE = b"\xff\xd8\xff\xe0 so do phan loai rac \xff\xd9"


async def send_picture(scene: Scene, name: str, caption: str | None) -> list[dict]:
    assert scene.zalo is not None
    zalo, person = scene.zalo, scene.who(name)
    assert person.zalo_id is not None  # linked on Zalo
    before = zalo.sent_count(person.zalo_id)
    zalo.send_image(person.zalo_id, caption=caption, content=PICTURE, display_name=name)
    await zalo.wait_for(lambda: zalo.sent_count(person.zalo_id) > before)
    await scene.settle()
    return zalo.sent_messages(person.zalo_id)[before:]


async def send_unsupported(scene: Scene, name: str) -> str:
    assert scene.zalo is not None
    zalo, person = scene.zalo, scene.who(name)
    assert person.zalo_id is not None
    before = zalo.sent_count(person.zalo_id)
    zalo.send_unsupported(person.zalo_id, display_name=name)
    await zalo.wait_for(lambda: zalo.sent_count(person.zalo_id) > before)
    await scene.settle()
    return zalo.sent_messages(person.zalo_id)[-1]["text"]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_picture_with_tailieu_on_zalo_reaches_zalo_and_telegram_members(zalo_scene: Scene, tmp_path):
    scene = zalo_scene
    scene.settings.reports_dir = str(tmp_path / "reports")
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 2", [(SEC, Role.BI_THU)] + [
        (n, Role.DANG_VIEN) for n in (ZALO_MEMBER, TG_MEMBER, LATE)])
    await scene.start_bot()
    await scene.link_zalo(SEC, ZALO_MEMBER)
    await scene.link(TG_MEMBER)
    await scene.say_zalo(SEC, "lịch họp 2026-12-05 19:30 Nhà văn hóa")

    # A member cannot attach papers; a picture without a command is not taken for one.
    reply = await send_picture(scene, ZALO_MEMBER, "/tailieu Ảnh của tôi")
    assert "dành cho bí thư và phó bí thư" in reply[0]["text"]
    reply = await send_picture(scene, SEC, None)
    assert "chưa hiểu tin nhắn này" in reply[0]["text"]
    async with scene.sessions()() as s:
        assert list(await s.scalars(select(MeetingDocument))) == []

    reply = await send_picture(scene, SEC, "tài liệu Sơ đồ phân loại rác của tổ 3")  # typed without "/"
    assert "Đã đính kèm tài liệu vào cuộc họp 19:30 05/12/2026" in reply[0]["text"]
    async with scene.sessions()() as s:
        document = (await s.scalars(select(MeetingDocument))).one()
    assert (document.platform, document.file_kind, document.text) == ("zalo", "photo", "Sơ đồ phân loại rác của tổ 3")
    assert document.file_copy is not None
    assert (Path(scene.settings.reports_dir) / document.file_copy).read_bytes() == PICTURE

    await scene.stop_bot()  # what was attached holds after a restart
    await scene.start_bot()
    scene.at(vn(2026, 12, 2, 19, 30))  # the reminder three days before carries the paper
    await scene.settle()
    assert scene.zalo is not None
    on_zalo = scene.zalo.sent_messages(scene.who(ZALO_MEMBER).zalo_id)
    assert any("Tài liệu 1" in (m.get("text") or "") and "Sơ đồ phân loại rác của tổ 3" in m["text"] for m in on_zalo)
    assert [m["photo"] for m in on_zalo if m["kind"] == "photo"] == [document.file_id]
    assert any("Sơ đồ phân loại rác của tổ 3" in (m.get("text") or "") for m in scene.inbox(TG_MEMBER))
    photos = [c for c in scene.server.calls("sendPhoto") if str(c["chat_id"]) == str(scene.who(TG_MEMBER).chat_id)]
    assert len(photos) == 1 and photos[0]["photo"].content == PICTURE  # the copy, uploaded

    # Someone who links on Zalo afterwards gets the paper and its picture at once.
    await scene.link_zalo(LATE)
    late = scene.zalo.sent_messages(scene.who(LATE).zalo_id)
    assert any("Sơ đồ phân loại rác của tổ 3" in (m.get("text") or "") for m in late)
    assert [m["photo"] for m in late if m["kind"] == "photo"] == [document.file_id]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_file_zalo_does_not_pass_on_is_answered_with_what_to_send_instead(zalo_scene: Scene):
    scene = zalo_scene
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 2", [(SEC, Role.BI_THU), (ZALO_MEMBER, Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link_zalo(SEC, ZALO_MEMBER)
    to_leader = await send_unsupported(scene, SEC)
    assert "Zalo không chuyển tệp PDF, Word cho chibo" in to_leader
    assert "/tailieu Dự thảo nghị quyết tháng này: https://" in to_leader and "gửi qua Telegram" in to_leader
    assert "<code>" not in to_leader  # plain text on Zalo
    to_member = await send_unsupported(scene, ZALO_MEMBER)
    assert "chibo chỉ đọc được chữ" in to_member and "diem danh" in to_member and "tailieu" not in to_member
