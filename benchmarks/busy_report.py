"""Answers while a committee's report is delivered: a committee member sends ``/baocao`` on a
committee of 300 cells (every cell with a year of meetings, as the summary measure generates them),
and while the report's messages go out, an ordinary member sends ``/huongdan`` every 1.5 seconds.

chibo's real ``bot.runtime.runner.Runtime`` (system clock) polls a ``TimedServer`` that enforces Telegram's
flood limits, in this process's event loop. Timed from each injection to the answer the server
accepted: every ``/huongdan`` (p50 / p99 / max), the ``/baocao`` request's first answer, and the
whole report (until its last message was accepted).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks.common import TimedServer, bench_settings, percentile, rounded, sqlite_url
from bot.runtime.runner import Runtime
from storage.copy import copy_database
from storage.db import create_engine
from storage.models import Cell, ChatLink, CommitteeMember, Member, OutboxMessage, Platform, Role

COMMITTEE = 1  # the generated database's first committee: its first CELLS_PER_COMMITTEE cells
COMMITTEE_USER = 9_000_001  # below the generated members' user ids
FIRST_ASK_S = 0.1  # the first /huongdan, after the /baocao
SPACING_S = 1.5  # slower than Telegram's pace for one private chat (1/s): no backlog of its own


class ChatTimes(TimedServer):
    """TimedServer that also keeps, per chat, when each bot message was accepted and its text."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log: dict[int, list[tuple[float, str]]] = {}

    def _deliver_bot_message(self, chat, content, params):
        message = super()._deliver_bot_message(chat, content, params)
        self.log.setdefault(chat["id"], []).append((time.perf_counter(), message.get("text", "")))
        return message

    async def wait_count(self, chat_id: int, count: int, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while len(self.log.get(chat_id, [])) < count:
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True


def _linked_member():
    """The Telegram user id of an ordinary member of the committee: linked, active, reachable."""
    return (select(ChatLink.platform_user_id).join(Member, Member.id == ChatLink.member_id)
            .join(Cell, Cell.id == Member.cell_id)
            .where(Cell.committee_id == COMMITTEE, Member.role == Role.DANG_VIEN, Member.active_to.is_(None),
                   Member.exempt.is_(False), Member.active_from < datetime.now(UTC).date(),
                   ChatLink.blocked_at.is_(None))
            .order_by(ChatLink.id).limit(1))


async def add_people(url: str) -> tuple[int, int]:
    """A committee member of the first committee, linked; and an ordinary member of it already linked.
    Returns their Telegram user ids."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            member_user = await conn.scalar(_linked_member())
            if member_user is None:
                raise RuntimeError("no linked member in the generated database")
            person = await conn.execute(insert(CommitteeMember).values(
                committee_id=COMMITTEE, full_name="Trần Thị Ủy Viên", created_at=now).returning(CommitteeMember.id))
            await conn.execute(insert(ChatLink).values(
                platform=Platform.TELEGRAM, platform_user_id=str(COMMITTEE_USER), chat_id=str(COMMITTEE_USER),
                committee_member_id=person.scalar_one(), display_name="Ủy Viên", linked_at=now))
    finally:
        await engine.dispose()
    return COMMITTEE_USER, int(member_user)


def prepare(db: Path, cells: int) -> dict:
    """The summary measure's database (a committee per 300 cells, a year of meetings), the two people
    added; what was written, and ``users`` for :func:`measure`."""
    from benchmarks.summary import generate

    generated = generate(db, cells)
    return {**generated, "users": asyncio.run(add_people(sqlite_url(db)))}


async def copy_to(db: Path, url: str) -> None:
    source, target = create_engine(sqlite_url(db)), create_engine(url)
    try:
        await copy_database(source, target)
    finally:
        await source.dispose()
        await target.dispose()


async def _report_rows(url: str) -> tuple[int, int]:
    """(report messages queued, of which not yet sent nor dropped)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            kind = OutboxMessage.kind == "report"
            total = await conn.scalar(select(func.count()).select_from(OutboxMessage).where(kind))
            left = await conn.scalar(select(func.count()).select_from(OutboxMessage).where(
                kind, OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None)))
    finally:
        await engine.dispose()
    return total or 0, left or 0


async def _ask(server: ChatTimes, user: int, asks: int, began: float) -> list[float]:
    """``asks`` /huongdan from ``user``, FIRST_ASK_S after ``began`` then every SPACING_S (not waiting
    for the answers: a slow one shows in the next ones too)."""
    sent = []
    for i in range(asks):
        await asyncio.sleep(max(0.0, began + FIRST_ASK_S + i * SPACING_S - time.perf_counter()))
        sent.append(time.perf_counter())
        server.send_text(user, "/huongdan", first_name="Đảng viên")
    return sent


async def measure(url: str, workdir: Path, asks: int, users: tuple[int, int]) -> dict:
    """On a database that ``add_people`` prepared (``users``: what it returned): the /baocao, the
    /huongdan meanwhile, the figures."""
    committee_user, member_user = users
    async with ChatTimes(enforce_limits=True) as server:
        runtime = Runtime(settings=bench_settings(url, server, workdir))
        await runtime.start()
        assert runtime.scheduler is not None  # started
        for job in ("daily-planner-startup", "retention-startup"):  # start-up passes: not what is measured
            if runtime.scheduler.get_job(job) is not None:
                runtime.scheduler.remove_job(job)
        try:
            began = time.perf_counter()
            server.send_text(committee_user, "/baocao", first_name="Ủy Viên")
            sent = await _ask(server, member_user, asks, began)
            answered = await server.wait_count(member_user, asks, timeout=120 + asks * SPACING_S)
            first = await server.wait_count(committee_user, 1, timeout=600)
            total, left = await _report_rows(url)  # queued with the first answer, in its transaction
            deadline = time.perf_counter() + 120 + total * 3
            while first and left and time.perf_counter() < deadline:
                await asyncio.sleep(0.25)
                total, left = await _report_rows(url)
            await asyncio.sleep(0.5)  # anything still in flight
        finally:
            await runtime.stop()
    answers = server.log.get(member_user, [])
    latencies = [at - asked for asked, (at, _) in zip(sent, answers, strict=False)]
    committee_chat = server.log.get(committee_user, [])
    return {
        "cells": await _cells(url),
        "asks": asks,
        "answered": len(latencies),
        "wrong_answers": sum(1 for _, text in answers if "/diemdanh" not in text),
        "help_p50_s": rounded(percentile(latencies, 50)) if latencies else None,
        "help_p99_s": rounded(percentile(latencies, 99)) if latencies else None,
        "help_max_s": rounded(max(latencies)) if latencies else None,
        "help_latencies_s": [rounded(x) for x in latencies],
        "report_first_answer_s": rounded(committee_chat[0][0] - began) if committee_chat else None,
        "report_first_answer": committee_chat[0][1][:80] if committee_chat else None,
        # The next message in that chat: the report's first part (when it went through the outbox).
        "report_second_message_s": rounded(committee_chat[1][0] - began) if len(committee_chat) > 1 else None,
        "report_messages": total,
        "report_unsent": left,
        "report_delivered_s": rounded(committee_chat[-1][0] - began) if committee_chat and not left else None,
        "committee_chat_messages": len(committee_chat),
        "http_429": server.http_429,
        "answered_in_time": answered,
        "database": url.split(":", 1)[0].split("+", 1)[0],
    }


async def _cells(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(select(func.count()).select_from(Cell).where(Cell.committee_id == COMMITTEE)) or 0
    finally:
        await engine.dispose()
