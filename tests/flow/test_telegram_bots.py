"""Several Telegram bots (CHIBO_TELEGRAM_BOTS): each serves its committees and cells, paced on its own.

Two fake Bot API servers with their own tokens answer at one address, as Telegram does for every bot. A
member links through the bot serving their cell (the other bot sends them to it), hears from chibo through
it, signs in to the web view with its initData, and is told how to relink when their cell moves to another bot.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.cli.telegram_bots import move_cells
from bot.demo.scene import Scene
from bot.runtime.http_server import HttpServer
from bot.web.initdata import sign_init_data
from core.clock import FakeClock
from core.settings import Settings
from fakeapi.telegram import FakeTelegramServer
from storage.models import Cell, ChatLink, Committee, OutboxMessage, Role
from storage.queries import telegram_bot_of
from tests.conftest import DB_KINDS, vn

SECOND_TOKEN = "654321:SECOND-TOKEN"


@pytest.fixture
async def two_bots(engine, settings: Settings) -> AsyncIterator[tuple[Scene, FakeTelegramServer]]:
    """The scene's bot (the default, CHIBO_TELEGRAM_TOKEN) and a second bot "quan2" at the same address."""
    first = FakeTelegramServer()
    second = FakeTelegramServer(token=SECOND_TOKEN, bot_username="chibo_quan2_bot", bot_id=654321)
    await first.start()
    await second.start()
    first.serve_also(second)
    settings.telegram_api_url = first.root
    settings.telegram_bots = SecretStr(f"quan2={SECOND_TOKEN}")
    settings.telegram_bot_usernames = "quan2=chibo_quan2_bot"
    scene = Scene(server=first, settings=settings, clock=FakeClock(vn(2026, 12, 1, 8, 0)))
    yield scene, second
    await scene.close()
    await second.stop()
    await first.stop()


async def say_to(scene: Scene, server: FakeTelegramServer, name: str, text: str, expect: int = 1) -> list[str]:
    """``name`` writes ``text`` to the bot of ``server``; the bot's answers there."""
    person = scene.who(name)
    before = server.sent_count(person.chat_id)
    server.send_text(person.user_id, text, first_name=name.split()[-1])
    await server.wait_for(lambda: server.sent_count(person.chat_id) >= before + expect, timeout=10)
    await scene.settle()
    return server.texts(person.chat_id)[before:]


async def link_of(scene: Scene, name: str) -> ChatLink:
    async with scene.sessions()() as s:
        link = await s.scalar(select(ChatLink).where(ChatLink.member_id == scene.who(name).member_id))
    assert link is not None
    return link


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_each_bot_serves_its_committee_and_a_moved_cell_is_told_how_to_relink(two_bots):
    scene, second = two_bots
    first = scene.server
    home = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    other = await scene.add_committee("Đảng ủy phường Hàng Đào")
    await scene.add_cell(home, "Chi bộ 1", [("Bí Thư Một", Role.BI_THU), ("Đảng Viên Một", Role.DANG_VIEN)])
    moved = await scene.add_cell(other, "Chi bộ 2", [("Bí Thư Hai", Role.BI_THU), ("Đảng Viên Hai", Role.DANG_VIEN)])
    async with scene.sessions()() as s, s.begin():  # what `chibo committee telegram-bot <id> quan2` writes
        (await s.get_one(Committee, other)).telegram_bot = "quan2"
    await scene.start_bot()

    # The first cell links through the default bot, as with one bot.
    await scene.link("Bí Thư Một", "Đảng Viên Một")
    assert (await link_of(scene, "Đảng Viên Một")).bot_key is None

    # A member of the second committee writing to the default bot is sent to the bot serving their cell.
    code = scene.who("Đảng Viên Hai").code
    answer = await say_to(scene, first, "Đảng Viên Hai", f"/start {code}")
    assert f"https://t.me/chibo_quan2_bot?start={code}" in answer[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(ChatLink).where(ChatLink.member_id == scene.who("Đảng Viên Hai").member_id)) is None
    for name in ("Bí Thư Hai", "Đảng Viên Hai"):
        answer = await say_to(scene, second, name, f"/start {scene.who(name).code}")
        assert "Chào đồng chí" in answer[0]
        assert (await link_of(scene, name)).bot_key == "quan2"

    # The secretary schedules through the second bot: the notice reaches the member through it, not the first.
    await say_to(scene, second, "Bí Thư Hai", "/lichhop 2026-12-05 19:30 Hội trường", expect=1)
    member_chat = scene.who("Đảng Viên Hai").chat_id
    await second.wait_for(lambda: any("Thông báo" in t for t in second.texts(member_chat)), timeout=10)
    assert not any("Thông báo" in t for t in first.texts(member_chat))
    # Each bot keeps its own pace: the dispatcher sends the second bot's rows in that bot's pacer.
    runtime = scene.runtime
    assert runtime is not None
    sender = runtime.dispatcher.senders["telegram"]
    async with scene.sessions()() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.chat_id == str(member_chat),
                                                         OutboxMessage.kind == "notice"))
    assert row is not None and row.payload["bot_key"] == "quan2"
    assert runtime.dispatcher._pacer(row, sender) is not runtime.dispatcher.pacers["telegram"]

    # The Mini App's initData is checked against the right bot's token: the second bot's signs in.
    http = HttpServer(runtime.services, listen="127.0.0.1", port=0)
    await http.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http.port}", follow_redirects=False) as client:
            def init_data(token: str) -> str:
                return sign_init_data({"auth_date": str(int(scene.clock.now().timestamp())),
                                       "user": json.dumps({"id": scene.who("Bí Thư Hai").user_id})}, token)
            assert (await client.post("/web/tg", data={"init_data": init_data(SECOND_TOKEN)})).status_code == 303
            assert (await client.post("/web/tg", data={"init_data": init_data("999:NOT-OURS")})).status_code == 403
    finally:
        await http.stop()

    # The cell moves to the default bot (`chibo cell telegram-bot 2 telegram`): its members are told, through
    # the bot they use now, how to relink.
    async with scene.sessions()() as s, s.begin():
        cell = await s.get_one(Cell, moved)
        cell.telegram_bot = "telegram"
        assert await move_cells(s, scene.settings, [cell], scene.clock.now()) == 2
    await scene.settle()
    told = second.texts(member_chat)[-1]
    assert "@chibo_test_bot" in told and "/start" in told
    # The member opens the default bot and sends /start: linked as before, now reached through it.
    answer = await say_to(scene, first, "Đảng Viên Hai", "/start")
    assert answer
    assert (await link_of(scene, "Đảng Viên Hai")).bot_key is None
    # Moving again tells only who has not relinked yet (the secretary), through the bot they still use.
    secretary_chat = scene.who("Bí Thư Hai").chat_id
    async with scene.sessions()() as s, s.begin():
        cell = await s.get_one(Cell, moved)
        assert await move_cells(s, scene.settings, [cell], scene.clock.now() + timedelta(minutes=1)) == 1
    await scene.settle()
    assert "@chibo_test_bot" in second.texts(secretary_chat)[-1]
    assert not any("@chibo_test_bot" in t for t in first.texts(member_chat))

async def test_one_token_keeps_working_as_before(scene: Scene):
    """CHIBO_TELEGRAM_TOKEN alone: one bot, links without a bot key, the webhook at /telegram."""
    assert scene.settings.telegram_tokens() == {"telegram": "123456:TEST-TOKEN"}
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Bí Thư", Role.BI_THU)])
    await scene.start_bot()
    await scene.link("Bí Thư")
    assert (await link_of(scene, "Bí Thư")).bot_key is None


def test_the_cli_assigns_a_committee_and_a_cell_to_a_bot_and_refuses_an_unknown_one(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli.app import app

    for name in [n for n in __import__("os").environ if n.startswith("CHIBO_") and not n.startswith("CHIBO_TEST_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    env = {"CHIBO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}", "CHIBO_TELEGRAM_TOKEN": "123456:TEST-TOKEN",
           "CHIBO_TELEGRAM_BOT_USERNAME": "chibo_test_bot", "CHIBO_TELEGRAM_BOTS": f"quan2={SECOND_TOKEN}",
           "CHIBO_TELEGRAM_BOT_USERNAMES": "quan2=chibo_quan2_bot"}
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args), env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result

    run("db", "upgrade")
    run("committee", "add", "Đảng ủy phường Hàng Đào")
    run("cell", "add", "Chi bộ 1", "--committee", "1")
    members = tmp_path / "members.csv"
    members.write_text("cell,full_name,role,status,exempt,phone\nChi bộ 1,Nguyễn Văn An,dang_vien,chinh_thuc,,\n",
                       encoding="utf-8")
    run("members", "import", str(members))
    refused = run("committee", "telegram-bot", "1", "quan9", ok=False)
    assert "quan9" in refused.output and "quan2" in refused.output
    assert json.loads(run("committee", "telegram-bot", "1", "quan2", "--json").stdout)["told"] == 0
    invites = json.loads(run("invites", "1", "--json").stdout)
    assert invites[0]["link"].startswith("https://t.me/chibo_quan2_bot?start=")
    run("cell", "telegram-bot", "1", "telegram")
    assert json.loads(run("invites", "1", "--json").stdout)[0]["link"].startswith("https://t.me/chibo_test_bot?start=")


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_bot_given_to_a_district_serves_its_wards_cells_unless_one_below_names_its_own(engine):
    """The tree: a ward's cell is served by its district's bot; a ward or a cell naming its own bot keeps it."""
    from datetime import UTC, datetime

    from sqlalchemy.ext.asyncio import async_sessionmaker

    at = datetime(2026, 12, 1, tzinfo=UTC)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session, session.begin():
        district = Committee(name="Quận ủy", telegram_bot="quan1", created_at=at)
        session.add(district)
        await session.flush()
        ward, own_ward = Committee(name="Phường A", parent_id=district.id, created_at=at), Committee(name="Phường B",
                                                                                   parent_id=district.id,
                                                                                   telegram_bot="phuongb", created_at=at)
        session.add_all([ward, own_ward])
        await session.flush()
        cells = [Cell(committee_id=ward.id, name="Chi bộ 1", created_at=at), Cell(committee_id=own_ward.id, name="Chi bộ 2", created_at=at),
                 Cell(committee_id=ward.id, name="Chi bộ 3", telegram_bot="rieng", created_at=at)]
        session.add_all(cells)
        await session.flush()
        assert [await telegram_bot_of(session, c) for c in cells] == ["quan1", "phuongb", "rieng"]
        district.telegram_bot = None  # nothing named up the tree: the default bot
        assert await telegram_bot_of(session, cells[0]) is None
