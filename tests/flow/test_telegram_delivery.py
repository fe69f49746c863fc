"""Running modes and delivery problems: webhook with its secret, the menu, 429, 5xx, long texts."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from bot.demo.scene import Scene
from bot.platforms import WebhookOptions
from bot.platforms.telegram.registration import webhook_secret
from storage.models import OutboxMessage, Role
from tests.conftest import vn


async def small_cell(scene: Scene, n: int = 3) -> list[str]:
    committee = await scene.add_committee("Đảng ủy")
    names = ["Bí Thư"] + [f"Đảng Viên {i}" for i in range(1, n)]
    await scene.add_cell(committee, "Chi bộ 1", [(names[0], Role.BI_THU)] + [(x, Role.DANG_VIEN) for x in names[1:]])
    return names


async def test_the_command_menu_is_set_at_start_up_in_vietnamese(scene: Scene):
    await small_cell(scene)
    await scene.start_bot()
    scope = {"type": "all_private_chats"}
    commands = [c["command"] for c in scene.server.my_commands(scope)]
    assert commands[0] == "diemdanh" and {"lichhop", "batdau", "ketthuc", "vang", "baocao"} <= set(commands)
    assert next(c["command"] for c in scene.server.my_commands(scope, "en")) == "checkin"


async def test_webhook_mode_checks_the_secret_on_every_request(scene: Scene, port):
    names = await small_cell(scene)
    from bot.runtime.runner import Runtime

    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace,
                            webhook=WebhookOptions(url=f"http://127.0.0.1:{port}", listen="127.0.0.1", port=port))
    await scene.runtime.start()
    info = scene.server.calls("setWebhook")[-1]
    assert info["url"] == f"http://127.0.0.1:{port}/telegram"
    assert info["secret_token"] == webhook_secret(scene.settings)
    # Updates arrive through the webhook (the fake server POSTs them with the secret).
    reply = await scene.say(names[0], f"/start {scene.who(names[0]).code}")
    assert "Chào đồng chí" in reply[0]
    # A request without the right secret is refused and changes nothing.
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 999, "message": {}},
                                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
    assert bad.status_code == 403


async def test_429_and_5xx_from_the_api_are_retried_and_nothing_is_lost(scene: Scene):
    names = await small_cell(scene, 4)
    await scene.start_bot()
    await scene.link(*names)
    member_chat = scene.who(names[1]).chat_id
    scene.server.fail_next("sendMessage", status=429, retry_after=1, chat_id=member_chat)
    scene.server.fail_next("sendMessage", status=502, chat_id=scene.who(names[2]).chat_id)
    await scene.say(names[0], "/lichhop 2026-12-05 19:30")
    async with scene.sessions()() as s:
        rows = {r.chat_id: r for r in await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice"))}
    assert rows[str(scene.who(names[3]).chat_id)].sent_at is not None
    retried = rows[str(scene.who(names[2]).chat_id)]
    assert retried.sent_at is None and retried.attempts == 1 and retried.last_error
    waiting = rows[str(member_chat)]
    assert waiting.sent_at is None and waiting.attempts == 0  # a 429 is not a failed attempt
    assert scene.runtime.dispatcher.stats.http_429 == 1
    # Time passes beyond retry_after and the backoff: both go out, once each.
    scene.clock.advance(seconds=30)
    await asyncio.sleep(1.05)  # the pacer honours retry_after (counted at the scene's pace: a tenth of it)
    await scene.settle()
    for name in names[1:]:
        notices = [t for t in scene.server.texts(scene.who(name).chat_id) if "Thông báo" in t]
        assert len(notices) == 1, name


async def test_a_summary_longer_than_4096_characters_is_split(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    members = [("Bí Thư", Role.BI_THU)] + [(f"Đồng chí Có Tên Rất Dài Số {i:03d} <&>", Role.DANG_VIEN) for i in range(160)]
    await scene.add_cell(committee, "Chi bộ đông", members)
    await scene.start_bot()
    await scene.link("Bí Thư")
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30")
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.say("Bí Thư", "/batdau")
    scene.at(vn(2026, 12, 2, 21, 30))
    parts = await scene.say("Bí Thư", "/ketthuc", expect=2, timeout=30)  # 160 members: slow on a loaded machine
    assert len(parts) >= 2 and all(len(p) <= 4096 for p in parts)
    joined = "\n".join(parts)
    assert "Số 000 <&>" in joined and "Số 159 <&>" in joined and "1/161" in joined


async def test_a_committee_member_reads_every_cell_and_cannot_act_in_one(scene: Scene):
    names = await small_cell(scene)
    boss = await scene.add_committee_member(1, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link(names[0], "Cấp Ủy Viên")
    assert "tóm tắt hằng tuần" in scene.last_text("Cấp Ủy Viên")
    assert "chưa có cuộc họp nào kết thúc" in (await scene.say("Cấp Ủy Viên", "/baocao"))[0]
    assert "không có chi bộ nào thuộc Đảng ủy đang họp" in (await scene.say("Cấp Ủy Viên", "/diemdanh"))[0]  # a guest
    assert "dành cho bí thư" in (await scene.say("Cấp Ủy Viên", "/batdau"))[0]
    assert boss.committee_member_id


async def test_english_texts_when_configured(scene: Scene):
    scene.settings.language = "en"
    names = await small_cell(scene)
    await scene.start_bot()
    reply = await scene.say(names[0], f"/start {scene.who(names[0]).code}")
    assert reply[0].startswith("Welcome")
    assert "Scheduled the regular meeting" in (await scene.say(names[0], "/schedule 2026-12-05 19:30"))[0]


async def test_help_shows_what_each_role_can_do(scene: Scene):
    names = await small_cell(scene)
    await scene.add_committee_member(1, "Cấp Ủy")
    await scene.start_bot()
    stranger_help = scene.who(names[0]).__class__("Khách", 4242)
    scene.people["Khách"] = stranger_help
    assert "/start MÃ" in (await scene.say("Khách", "/huongdan"))[0]
    await scene.link(names[0], names[1], "Cấp Ủy")
    leader = (await scene.say(names[0], "/huongdan"))[0]
    member = (await scene.say(names[1], "/help"))[0]
    committee = (await scene.say("Cấp Ủy", "/huongdan"))[0]
    assert "/diemdanh" in member and "/batdau" not in member and "Chi bộ 1" in member
    assert "/batdau" in leader and "/diemdanh_ho" in leader and "/doilich" in leader
    assert "/baocao" in committee and "/batdau" not in committee and "/diemdanh – ghi nhận đồng chí dự" in committee
