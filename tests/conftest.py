"""Shared fixtures: databases (SQLite always, PostgreSQL when CHIBO_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scene import Scene
from core.clock import FakeClock
from core.settings import Settings
from fakeapi.telegram import FakeTelegramServer
from fakeapi.zalo import FakeZaloServer
from storage.db import create_engine, upgrade

PG_URL = os.environ.get("CHIBO_TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not PG_URL, reason="CHIBO_TEST_POSTGRES_URL is not set")

DB_KINDS = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]


async def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture
async def db_url(request, tmp_path) -> str:
    """An empty database URL; parametrize with ``DB_KINDS`` to run on both."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        await reset_postgres(PG_URL)
        return PG_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'chibo.db'}"


@pytest.fixture
async def engine(db_url) -> AsyncIterator[AsyncEngine]:
    """A migrated database."""
    eng = create_engine(db_url)
    await upgrade(eng)
    yield eng
    await eng.dispose()


@pytest.fixture(autouse=True)
def _no_leftover_log_handler():
    """`chibo run`/`worker` driven through the CLI install chibo's log handler on the root logger: remove it after."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "chibo":
            root.removeHandler(handler)


DEMO_WEB_PAGES: dict[str, tuple[int, str]] = {}  # person -> (status, page) of the demo's web view


async def _open_web_view(demo, links: dict[str, str]) -> None:
    """What `chibo demo --serve` serves until Enter: each viewer's page, fetched while it is up."""
    import httpx

    async with httpx.AsyncClient(follow_redirects=True, timeout=60) as client:
        for person, link in links.items():
            response = await client.get(link)
            DEMO_WEB_PAGES[person] = (response.status_code, response.text)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The demo's month, played once per test session: (demo, output folder, its SQLite database).
    Its web view was served at the end, and each viewer's page fetched (``DEMO_WEB_PAGES``)."""
    from bot.demo import simulate

    out = tmp_path_factory.mktemp("demo")
    database = out / "demo.db"
    demo = asyncio.run(simulate(out, show_progress=False, keep_database=database, serve=_open_web_view))
    return demo, out, database


@pytest.fixture
def settings(db_url) -> Settings:
    return Settings(_env_file=None, database_url=db_url, telegram_token="123456:TEST-TOKEN",
                    telegram_bot_username="chibo_test_bot", quiet_hours="off")


VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args) -> datetime:
    """A time in Hà Nội: vn(2026, 12, 5, 19, 30)."""
    return datetime(*args, tzinfo=VN)


@pytest.fixture
async def scene(engine, settings) -> AsyncIterator[Scene]:
    """The real bot against a fake Telegram Bot API on loopback, the clock at 08:00 on 1 Dec 2026."""
    server = FakeTelegramServer()
    await server.start()
    settings.telegram_api_url = server.root
    sc = Scene(server=server, settings=settings, clock=FakeClock(vn(2026, 12, 1, 8, 0)))
    yield sc
    await sc.close()
    await server.stop()


@pytest.fixture
async def zalo_scene(scene: Scene) -> AsyncIterator[Scene]:
    """The same scene with a fake Zalo Bot API too: a cell whose members use Telegram, Zalo or both."""
    scene.zalo = FakeZaloServer()
    await scene.zalo.start()
    scene.settings.zalo_token = SecretStr("zalo-test-token")
    scene.settings.zalo_api_url = scene.zalo.root
    yield scene
    await scene.stop_bot()  # before the fake Zalo goes away, so the bot never polls a closed server
    await scene.zalo.stop()
