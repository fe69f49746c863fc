"""The same meeting flows on Zalo, a mixed cell, the monthly quota, the webhook: against a fake Zalo Bot API."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.demo.scene import Scene
from bot.platforms import WebhookOptions
from bot.platforms.zalo.registration import webhook_secret as zalo_webhook_secret
from bot.runtime.runner import Runtime
from handlers.commands import COMMANDS, PHRASES
from storage.models import Attendance, AttendanceStatus, ChatLink, OutboxMessage, Platform, Role
from tests.conftest import free_port

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEC, DEP = "Nguyễn Văn An", "Trần Thị Bình"
MEMBERS = ["Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang", "Đỗ Văn Hải", "Bùi Thị Hoa",
           "Ngô Văn Khánh", "Lê <Hồng> & Cúc"]


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


async def cell(scene: Scene) -> int:
    committee = await scene.add_committee("Đảng ủy")
    return await scene.add_cell(committee, "Chi bộ Zalo", [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)]
                                + [(n, Role.DANG_VIEN) for n in MEMBERS])


async def test_a_whole_meeting_on_zalo_with_words_and_numbers(zalo_scene: Scene):
    scene = zalo_scene
    await cell(scene)
    await scene.start_bot()
    await scene.link_zalo(SEC, DEP, *MEMBERS[:-1])
    assert "Chào đồng chí Nguyễn Văn An" in scene.zalo_texts(SEC)[0]
    assert "<b>" not in scene.zalo_texts(SEC)[0]

    reply = await scene.say_zalo(SEC, "lịch họp 2026-12-05 19:30 Nhà văn hóa")
    assert "Đã đặt lịch" in reply[0]
    notice = scene.zalo_texts(MEMBERS[0])[-1]
    assert "Thông báo" in notice and "Trả lời bằng số: 1 – Tham dự; 2 – Xin vắng" in notice

    assert "vui lòng gửi lý do" in (await scene.say_zalo(MEMBERS[1], "2"))[0]
    assert "lý do: Ốm" in (await scene.say_zalo(MEMBERS[1], "Ốm"))[0]
    assert "sẽ tham dự" in (await scene.say_zalo(MEMBERS[0], "1"))[0]
    assert any("xin vắng" in t for t in scene.zalo_texts(SEC))
    assert "chưa hiểu tin nhắn này" in (await scene.say_zalo(MEMBERS[2], "Vâng ạ"))[0]  # "yes", not an absence

    scene.at(vn(2026, 12, 5, 19, 30))
    assert "dành cho bí thư" in (await scene.say_zalo(MEMBERS[0], "bat dau"))[0]
    assert "bắt đầu lúc 19:30" in (await scene.say_zalo(SEC, "Bắt đầu"))[0]
    prompt = scene.zalo_texts(MEMBERS[0])[-1]
    assert "Trả lời bằng số: 1 – Điểm danh" in prompt
    scene.at(vn(2026, 12, 5, 19, 35))
    assert "Đã điểm danh" in (await scene.say_zalo(MEMBERS[0], "1"))[0]
    assert "Đã điểm danh" in (await scene.say_zalo(MEMBERS[2], "điểm danh"))[0]
    assert "Đã điểm danh" in (await scene.say_zalo(MEMBERS[3], "diem danh"))[0]
    assert "Đã điểm danh" in (await scene.say_zalo(MEMBERS[4], "/diemdanh"))[0]
    assert "đã điểm danh lúc 19:35" in (await scene.say_zalo(MEMBERS[4], "Điểm danh"))[0]
    assert "Đã điểm danh" in (await scene.say_zalo(DEP, "diemdanh"))[0]
    scene.at(vn(2026, 12, 5, 19, 50))
    assert "muộn 20 phút" in (await scene.say_zalo(MEMBERS[5], "điểm danh"))[0]
    assert "Đã điểm danh hộ" in (await scene.say_zalo(SEC, f"điểm danh hộ {MEMBERS[-1]}"))[0]
    scene.at(vn(2026, 12, 5, 21, 5))
    summary = "\n".join(await scene.say_zalo(SEC, "kết thúc"))
    assert "95 phút" in summary and "Đạt thời lượng tối thiểu 90 phút" in summary
    assert "8/10" in summary and "80%" in summary
    assert "Vắng có lý do: Phạm Thị Dung – Ốm" in summary and "Vắng không lý do: Ngô Văn Khánh" in summary
    assert "<b>" not in summary and "&amp;" not in summary
    assert any("Tóm tắt" in t for t in scene.zalo_texts(DEP))
    async with scene.sessions()() as s:
        statuses = [a.status for a in await s.scalars(select(Attendance))]
    assert statuses.count(AttendanceStatus.LATE) == 2 and statuses.count(AttendanceStatus.EXCUSED) == 1
    # Zalo has no buttons: nothing said there asks to press one (the choices are numbers).
    said = [text for name in [SEC, DEP, *MEMBERS[:-1]] for text in scene.zalo_texts(name)]
    assert [t for t in said if re.search(r"\b(bấm|nhấn|nút)\b", t, re.IGNORECASE)] == []
    assert "Đồng chí chọn Điểm danh khi có mặt." in prompt


async def test_a_mixed_cell_counts_everyone_once_and_writes_each_on_one_app(zalo_scene: Scene):
    scene = zalo_scene
    await cell(scene)
    await scene.start_bot()
    on_telegram, on_zalo = [SEC] + MEMBERS[:4], [DEP] + MEMBERS[4:7]
    await scene.link(*on_telegram)
    await scene.link_zalo(*on_zalo)
    scene.clock.advance(minutes=5)
    await scene.link_zalo(MEMBERS[0])  # Cường links both apps; Zalo is now the one he used last
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    assert any("Thông báo" in t for t in scene.zalo_texts(MEMBERS[0]))
    assert not any("Thông báo" in t for t in scene.server.texts(scene.who(MEMBERS[0]).chat_id))
    assert "qua Telegram" in (await scene.say_zalo(MEMBERS[0], "kenh telegram"))[0]
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    assert any("bắt đầu" in t for t in scene.server.texts(scene.who(MEMBERS[0]).chat_id))
    assert not any("bắt đầu" in t for t in scene.zalo_texts(MEMBERS[0]))
    scene.at(vn(2026, 12, 5, 19, 33))
    for name in MEMBERS[:4]:
        await scene.say(name, "/diemdanh")
    for name in [DEP] + MEMBERS[4:6]:
        await scene.say_zalo(name, "điểm danh")
    await scene.say_zalo(MEMBERS[0], "điểm danh")  # the same person again, from the other app
    scene.at(vn(2026, 12, 5, 21, 0))
    summary = (await scene.say(SEC, "/ketthuc"))[0]
    assert "8/10" in summary  # 10 expected, 8 present: each person counted once
    assert "Vắng không lý do: Lê <Hồng> & Cúc, Ngô Văn Khánh" in summary
    assert "Chưa liên lạc được qua chibo: Lê <Hồng> & Cúc" in summary


async def test_when_the_zalo_quota_runs_short_repeat_reminders_are_cut_first(zalo_scene: Scene):
    scene = zalo_scene
    scene.settings.zalo_monthly_quota = 20
    await cell(scene)
    await scene.start_bot()
    await scene.link_zalo(SEC, *MEMBERS[:5])  # 6 answers
    await scene.say_zalo(SEC, "lich hop 2026-12-05 19:30")  # 1 answer + 5 notices = 12 of 20
    for when in (vn(2026, 12, 2, 19, 30), vn(2026, 12, 4, 19, 30)):  # the 3-day ones take 17; the 1-day ones are cut
        scene.at(when)
        await scene.settle()
    async with scene.sessions()() as s:
        cut = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.last_error.like("zalo quota short%")))
    assert cut >= 4
    scene.at(vn(2026, 12, 5, 17, 30))  # the last reminder (2h) still goes while there is quota
    await scene.settle()
    # Which members' rows the quota lets through depends on the order the dispatcher's workers reach it
    # (the rows are due together): counted by offset, not by member.
    async with scene.sessions()() as s:
        went = list(await s.scalars(select(OutboxMessage.key).where(
            OutboxMessage.kind == "reminder", OutboxMessage.sent_at.is_not(None))))
    offsets = [key.split(":")[3] for key in went]
    assert offsets.count("259200") >= 1 and offsets.count("86400") == 0  # 3 days before went, 1 day before cut
    assert offsets.count("7200") >= 1  # the last one still goes
    assert all(len([t for t in scene.zalo_texts(name) if t.startswith("🔔")]) <= 2 for name in MEMBERS[:5])
    sent = scene.zalo.sent_messages()
    assert len(sent) <= 20, "\n".join(m["text"][:40] for m in sent)


@pytest.mark.parametrize("wrapped", [False, True], ids=["plain body", "wrapped body"])
async def test_zalo_webhook_checks_the_secret_and_handles_a_repeat_once(zalo_scene: Scene, wrapped: bool):
    scene = zalo_scene
    await cell(scene)
    scene.zalo.wrap_webhook = wrapped
    port = free_port()
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace,
                            webhook=WebhookOptions(url=f"http://127.0.0.1:{port}", port=port))
    await scene.runtime.start()
    hook = scene.zalo.calls("setWebhook")[-1]
    assert hook["url"] == f"http://127.0.0.1:{port}/zalo" and hook["secret_token"] == zalo_webhook_secret(scene.settings)
    reply = await scene.say_zalo(SEC, scene.who(SEC).code)
    assert "Chào đồng chí" in reply[0]
    delivered = scene.zalo.webhook_deliveries[-1]
    async with httpx.AsyncClient() as client:
        again = await client.post(f"http://127.0.0.1:{port}/zalo", json=delivered,
                                  headers={"X-Bot-Api-Secret-Token": zalo_webhook_secret(scene.settings)})
        bad = await client.post(f"http://127.0.0.1:{port}/zalo", json=delivered,
                                headers={"X-Bot-Api-Secret-Token": "wrong-secret"})
    assert again.status_code == 200 and bad.status_code == 403
    await scene.settle()
    assert len(scene.zalo_texts(SEC)) == 1  # the repeat was handled once
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(ChatLink).where(ChatLink.platform == Platform.ZALO)) == 1


def test_every_command_exists_on_both_platforms():
    """A command is typed with a slash on Telegram and in words on Zalo: none may exist on one only."""
    in_words = set(PHRASES.values())
    missing = [name for name in COMMANDS if name not in in_words]
    assert not missing, f"commands without a word form for Zalo: {missing}"


async def test_the_weekly_chart_goes_to_zalo_as_a_signed_link_that_chibo_serves(zalo_scene: Scene, tmp_path):
    from scheduler.timed.weekly import run_weekly

    scene = zalo_scene
    port = free_port()
    scene.settings.public_url = f"http://127.0.0.1:{port}"
    scene.settings.reports_dir = str(tmp_path / "reports")
    await cell(scene)
    boss = await scene.add_committee_member(1, "Cấp Ủy Viên")
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace, http_port=port)
    await scene.runtime.start()
    await scene.link_zalo("Cấp Ủy Viên")
    await run_weekly(scene.runtime.services)
    await scene.settle()
    photo = scene.zalo.calls("sendPhoto")[-1]["photo"]
    assert photo.startswith(f"http://127.0.0.1:{port}/files/") and "sig=" in photo
    link = next(t for t in scene.zalo_texts("Cấp Ủy Viên") if ".xlsx" in t).split(": ", 1)[1].split(" ")[0]
    async with httpx.AsyncClient() as client:
        image, workbook = await client.get(photo), await client.get(link)
        forged = await client.get(photo.replace("sig=", "sig=0"))
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    assert forged.status_code == 404
    assert boss.committee_member_id


async def test_without_a_public_url_zalo_gets_the_text_and_how_to_get_the_workbook(zalo_scene: Scene, tmp_path):
    from scheduler.timed.weekly import run_weekly

    scene = zalo_scene
    scene.settings.reports_dir = str(tmp_path / "reports")
    await cell(scene)
    await scene.add_committee_member(1, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link_zalo("Cấp Ủy Viên")
    await run_weekly(scene.runtime.services)
    await scene.settle()
    texts = scene.zalo_texts("Cấp Ủy Viên")
    assert any("Tóm tắt tuần" in t for t in texts)
    assert any("chibo report weekly --committee 1" in t for t in texts)
    assert scene.zalo.calls("sendPhoto") == []


async def test_several_zalo_bots_each_serve_their_own_cells(zalo_scene: Scene):
    from storage.models import Cell

    scene = zalo_scene
    scene.settings.zalo_token = None
    scene.settings.zalo_bots = SecretStr("hangbac=zalo-test-token,hangdao=zalo-test-token")
    committee = await scene.add_committee("Đảng ủy")
    first = await scene.add_cell(committee, "Chi bộ Hàng Bạc", [("Bí Thư Bạc", Role.BI_THU), ("Viên Bạc", Role.DANG_VIEN)])
    second = await scene.add_cell(committee, "Chi bộ Hàng Đào", [("Bí Thư Đào", Role.BI_THU), ("Viên Đào", Role.DANG_VIEN)])
    async with scene.sessions()() as s, s.begin():
        (await s.get(Cell, first)).zalo_bot = "hangbac"
        (await s.get(Cell, second)).zalo_bot = "hangdao"
    await scene.start_bot()
    adapters = scene.runtime.platforms["zalo"].adapters
    assert set(adapters) == {"hangbac", "hangdao"}
    # The fake serves one bot; what tells the bots apart here is which adapter takes the event.
    await adapters["hangbac"].stop()  # only the Hàng Đào bot is listening now
    reply = await scene.say_zalo("Viên Bạc", scene.who("Viên Bạc").code)
    assert "bot Zalo khác" in reply[0] and "hangbac" in reply[0]
    reply = await scene.say_zalo("Viên Đào", scene.who("Viên Đào").code)
    assert "Chào đồng chí Viên Đào" in reply[0]
    async with scene.sessions()() as s:
        link = await s.scalar(select(ChatLink).where(ChatLink.platform == Platform.ZALO))
    assert link.bot_key == "hangdao"
    await scene.link_zalo("Bí Thư Đào")
    await scene.say_zalo("Bí Thư Đào", "lich hop 2026-12-05 19:30")
    async with scene.sessions()() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == "notice"))
    assert row.payload["bot_key"] == "hangdao" and row.sent_at is not None
    from storage.usage import sent_in

    async with scene.sessions()() as s:
        assert await sent_in(s, "hangdao", "2026-12") >= 4 and await sent_in(s, "hangbac", "2026-12") == 0


def test_the_operator_assigns_a_cell_to_a_zalo_bot(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli.app import app as cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIBO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    monkeypatch.setenv("CHIBO_ZALO_BOTS", "hangbac=1:a,hangdao=2:b")
    runner = CliRunner()
    for args in (["db", "upgrade"], ["committee", "add", "Đảng ủy"], ["cell", "add", "Chi bộ 1", "--committee", "1"]):
        assert runner.invoke(cli, args).exit_code == 0
    assert "'hangdao'" in runner.invoke(cli, ["cell", "zalo-bot", "1", "hangdao"]).output
    wrong = runner.invoke(cli, ["cell", "zalo-bot", "1", "khac"])
    assert wrong.exit_code != 0 and "hangbac, hangdao" in wrong.output
    assert "1:a" not in wrong.output and "2:b" not in wrong.output  # tokens are never printed
