"""The web view at scale: a committee's pages on the summary's generated database, over HTTP.

Chibo's real ``HttpServer`` (tornado) serves the web view on loopback; a committee member of the
first committee (300 cells) and the secretary of its largest cell get signed links, and each page
is fetched with httpx: the time from request to the last byte, so the figure is the whole of what
the person waits for on the server (queries, page data, Jinja2), not a part of it. Median of
``REPEAT`` fetches after a first (cold) one."""

from __future__ import annotations

import statistics
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from benchmarks.common import rounded, sqlite_url
from benchmarks.summary import NOW

REPEAT = 5


async def measure(db: Path) -> dict:
    from storage.db import create_engine, session_factory
    from storage.models import ChatLink, Member, Role

    url = sqlite_url(db)
    engine = create_engine(url)
    sessions = session_factory(engine)
    committee_link = await committee_viewer(sessions, 1)
    async with sessions() as s, s.begin():
        cell_id, size = (await s.execute(
            sa.select(Member.cell_id, sa.func.count()).where(Member.cell_id <= 300).group_by(Member.cell_id)
            .order_by(sa.func.count().desc()).limit(1))).one()
        secretary = await s.scalar(sa.select(ChatLink.id).join(Member, Member.id == ChatLink.member_id)
                                   .where(Member.cell_id == cell_id, Member.role == Role.BI_THU))
    cells = await _count(sessions)
    out: dict = {"cells": cells, "largest_cell_members": size}
    try:
        async with served(url, sessions) as (client, link):
            committee = link(committee_link)
            pages = {"committee_page": f"{committee}/", "cell_page": f"{committee}/cell/{cell_id}"}
            if secretary is not None:
                pages["secretary_cell_page"] = f"{link(secretary)}/cell/{cell_id}"
            for name, path in pages.items():
                out.update(await timed(client, name, path))
            out.update(await timed(client, "committee_chart", f"{committee}/chart.svg", repeat=1))
            # Any period (reports.period_report): the year's table, its rating page and its workbook.
            year = NOW.year
            out.update(await timed(client, "year_page", f"{committee}/?ky={year}"))
            out.update(await timed(client, "rating_page", f"{committee}/rating?ky={year}", repeat=1))
            out.update(await timed(client, "year_workbook", f"{committee}/period.xlsx?ky={year}", repeat=1))
    finally:
        await engine.dispose()
    out["timing_note"] = (f"median of {REPEAT} HTTP fetches after a cold one, request to last byte, chibo's "
                          "HttpServer on loopback; the chart (an image the page loads after) once")
    return out


async def committee_viewer(sessions, committee_id: int) -> int:
    """A committee member of ``committee_id``, linked: the id of the chat link its web links are signed for."""
    from storage.models import ChatLink, CommitteeMember, Platform

    created = datetime(2026, 1, 1, tzinfo=UTC)
    async with sessions() as s, s.begin():
        person = CommitteeMember(committee_id=committee_id, full_name="Cấp ủy viên đo thời gian", created_at=created)
        s.add(person)
        await s.flush()
        link = ChatLink(platform=Platform.TELEGRAM, platform_user_id=f"bench-web-{committee_id}",
                        chat_id=f"bench-web-{committee_id}", committee_member_id=person.id, linked_at=created)
        s.add(link)
        await s.flush()
        return link.id


@asynccontextmanager
async def served(url: str, sessions):
    """chibo's ``HttpServer`` on loopback over ``url`` (clock at the summary's NOW), and an httpx client to it;
    yields (client, the web view's path for a chat link id)."""
    from bot.runtime.http_server import HttpServer
    from core.clock import FakeClock
    from core.services import Services
    from core.settings import Settings
    from core.weblinks import web_token

    settings = Settings(_env_file=None, database_url=url, files_secret="bench", public_url="http://127.0.0.1")
    services = Services(settings=settings, sessions=sessions, clock=FakeClock(NOW))
    server = HttpServer(services, listen="127.0.0.1", port=0)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=120) as client:
            yield client, lambda link_id: f"/web/{web_token(settings, link_id, NOW)}"
    finally:
        await server.stop()


async def _count(sessions) -> int:
    from storage.models import Cell

    async with sessions() as s:
        return await s.scalar(sa.select(sa.func.count()).select_from(Cell).where(Cell.committee_id == 1))


async def timed(client: httpx.AsyncClient, name: str, path: str, repeat: int = REPEAT) -> dict:
    started = time.perf_counter()
    first = await client.get(path)
    cold = time.perf_counter() - started
    if first.status_code != 200:
        raise RuntimeError(f"{name}: HTTP {first.status_code}")
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path)
        runs.append(time.perf_counter() - started)
        response.raise_for_status()
    return {f"{name}_s": rounded(statistics.median(runs)), f"{name}_cold_s": rounded(cold),
            f"{name}_runs_s": [rounded(r) for r in runs], f"{name}_bytes": len(first.content)}
