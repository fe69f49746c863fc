"""``chibo cell telegram-bot`` and ``chibo committee telegram-bot``: which Telegram bot serves whom.

With several Telegram bots (CHIBO_TELEGRAM_BOTS), each serves the committees and cells assigned to it and is
paced on its own. Moving a cell to another bot tells each of its members on Telegram how to relink: open the new
bot and send /start (their account stays as it is; until they do, chibo still reaches them through the old bot).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import emit, fail, now, with_db
from core import outgoing
from core.settings import DEFAULT_TELEGRAM_BOT, Settings
from core.texts import t
from storage.models import AuditLog, Cell, ChatLink, Committee, Member, Platform
from storage.queries import telegram_bot_of

BotArg = Annotated[str, typer.Argument(help="khóa bot trong CHIBO_TELEGRAM_BOTS ('telegram': bot mặc định) / bot key")]


def bot_key_of(settings: Settings, bot: str) -> str | None:
    """The stored key of ``bot`` (None for the default bot); refuses a key that is not configured."""
    known = settings.telegram_tokens()
    if bot not in known:
        fail(f"Không có bot Telegram '{bot}'. Các bot đã cấu hình: {', '.join(known) or '(chưa có)'} "
             f"(CHIBO_TELEGRAM_TOKEN là bot '{DEFAULT_TELEGRAM_BOT}', CHIBO_TELEGRAM_BOTS các bot khác) / unknown bot key.")
    return None if bot == DEFAULT_TELEGRAM_BOT else bot


async def tell_to_relink(session: AsyncSession, settings: Settings, cell: Cell, at: datetime) -> int:
    """Queue, to each member of ``cell`` who talks to chibo on Telegram through another bot than the one now
    serving the cell, how to relink (sent through the bot they talk to now). Returns how many were queued."""
    key = await telegram_bot_of(session, cell)
    key = None if key == DEFAULT_TELEGRAM_BOT else key
    links = list(await session.scalars(
        select(ChatLink).join(Member, Member.id == ChatLink.member_id)
        .where(Member.cell_id == cell.id, Member.active_to.is_(None), ChatLink.platform == Platform.TELEGRAM,
               ChatLink.blocked_at.is_(None)).order_by(ChatLink.id)))
    audience = [outgoing.Recipient(str(link.member_id), link, link.member_id) for link in links if link.bot_key != key]
    username = settings.telegram_username(key)
    text = (t(settings.language, "relink.telegram", cell=cell.name, bot=username) if username else
            t(settings.language, "relink.telegram_unnamed", cell=cell.name, bot=key or DEFAULT_TELEGRAM_BOT))
    return await outgoing.send(session, outgoing.RELINK, audience, {"text": text, "buttons": []}, now=at,
                               cell=cell.id, bot=key or DEFAULT_TELEGRAM_BOT, at=int(at.timestamp()))


async def move_cells(session: AsyncSession, settings: Settings, cells: list[Cell], at: datetime) -> int:
    """After an assignment: every moved cell's members told how to relink; how many notices were queued."""
    return sum([await tell_to_relink(session, settings, cell, at) for cell in cells])


def register(cell_app: typer.Typer, committee_app: typer.Typer,
             find_cell: Callable[[AsyncSession, str], Awaitable[Cell]]) -> None:
    @cell_app.command("telegram-bot")
    def cell_telegram_bot(cell: str, bot: BotArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Giao chi bộ cho một bot Telegram; đảng viên được nhắn cách liên kết lại / assign a cell to a Telegram bot."""

        async def work(session: AsyncSession, settings: Settings) -> tuple[Cell, int]:
            bot_key_of(settings, bot)  # a cell keeps "telegram" for the default bot (NULL: its committee's)
            c = await find_cell(session, cell)
            session.add(AuditLog(actor="operator", action="assign_telegram_bot", entity="cell", entity_id=c.id,
                                 before={"telegram_bot": c.telegram_bot}, after={"telegram_bot": bot}, at=now()))
            c.telegram_bot = bot
            await session.flush()
            return c, await move_cells(session, settings, [c], now())

        c, told = with_db(work)
        emit(as_json, {"cell": c.id, "telegram_bot": bot, "told": told},
             f"Chi bộ #{c.id} {c.name}: bot Telegram '{bot}'; {told} đảng viên được nhắn cách liên kết lại / "
             f"{told} member(s) told how to relink")

    @committee_app.command("telegram-bot")
    def committee_telegram_bot(committee_id: int, bot: BotArg,
                               as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """Giao các chi bộ của đảng ủy cho một bot Telegram (trừ chi bộ đã giao riêng) / assign a committee's cells."""

        async def work(session: AsyncSession, settings: Settings) -> tuple[Committee, int]:
            key = bot_key_of(settings, bot)
            committee = await session.get(Committee, committee_id)
            if committee is None:
                fail(f"Không có đảng ủy #{committee_id}. Xem: chibo committee add / no such committee.")
            session.add(AuditLog(actor="operator", action="assign_telegram_bot", entity="committee",
                                 entity_id=committee.id, before={"telegram_bot": committee.telegram_bot},
                                 after={"telegram_bot": key}, at=now()))
            committee.telegram_bot = key
            await session.flush()
            cells = list(await session.scalars(select(Cell).where(Cell.committee_id == committee.id,
                                                                  Cell.telegram_bot.is_(None))))
            return committee, await move_cells(session, settings, cells, now())

        committee, told = with_db(work)
        emit(as_json, {"committee": committee.id, "telegram_bot": bot, "told": told},
             f"Đảng ủy #{committee.id} {committee.name}: bot Telegram '{bot}'; {told} đảng viên được nhắn cách "
             f"liên kết lại / {told} member(s) told how to relink")
