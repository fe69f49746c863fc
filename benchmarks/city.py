"""A city's month in virtual time: ``python -m benchmarks city [--scale 0.1] [--json FILE]``.

At scale 1: 631 committees (1 city over 30 districts over 600 wards, a tree as ``committees.parent_id``
keeps it; the cells belong to the wards), 20,000 cells, 400,000 members, half on Telegram and half on Zalo. Every cell meets once
in the month, on one of the first four evenings (a quarter of the cells each evening) at 19:00 (half),
19:30 (a third) or 20:00 (the rest). Reminders at chibo's default offsets (3 days, 1 day, 2 hours before).

What runs is chibo's own: ``scheduler.planner.plan_meeting`` plans every meeting; the real
``Dispatcher`` (its ``planner.send_due`` pass, with ``scheduler.release`` letting reminder plans go for
the bots' pace; its claims, outbox rows and marks) on PostgreSQL, and ``Pacer`` per bot. Time is a
``FakeClock``: the pacers' waits and the dispatcher's idle waits advance it, so days pass in minutes.

The bots: each platform has ``--bots`` bots; a chat belongs to one of them (its id modulo the count). Each
bot is paced on its own and sends into a fake with Telegram's flood limits (``fakeapi.telegram_limits``:
30 a second overall, 1 a second per private chat after 3; 429 with retry_after beyond) on the virtual
clock. The Zalo bots get the same limits (the Zalo fake keeps only the monthly quota; its quota is
left to the arithmetic in the guide, see below).

A smaller city (``--scale`` below 1) runs its bots' clock ``scale`` times slower (each bot still sends 30
per bot second), so its queues last as long as the full city's and its lateness and latencies are the full
city's; ``--real-rate`` turns that off.

Each meeting begins at its time and ends 90 minutes later (written to the database as /batdau and /ketthuc
would, their plans dropped the same way); every linked member checks in during its first fifteen minutes
(every ten seconds, in groups) and is answered with a message through the same bot (an outbox answer, priority 0: a typed check-in's
bound; button presses answered with answerCallbackQuery are not messages); at the end the secretary gets
the summary message. At the end of the month every committee's weekly summary is computed
(``reports.weekly.compute``) and timed.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import math
import os
import random
import resource
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update

from benchmarks.common import DEFAULT_POSTGRES_URL, fix_sequences, migrate, postgres_ready, rounded
from core import outgoing
from core.clock import FakeClock
from core.settings import Settings
from fakeapi.telegram_limits import _FloodControl
from rules.release import Burst, release_schedule
from scheduler import planner
from scheduler.delivery.dispatcher import Dispatcher
from scheduler.delivery.pacing import Limits, Pacer
from scheduler.delivery.senders import ADMITTED, Admission, RateLimited
from scheduler.release import capacity
from storage.db import create_engine, session_factory
from storage.models import (
    Cell,
    ChatLink,
    Committee,
    Meeting,
    MeetingKind,
    Member,
    MemberStatus,
    OutboxMessage,
    PlannedMessage,
    Platform,
    Role,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH_START = datetime(2027, 3, 1, tzinfo=TZ)  # a Monday
SIM_START = MONTH_START - timedelta(days=4, hours=-12)  # planned before the 3-day reminders fall due
EVENINGS = 4
STARTS = ((19, 0, 0.5), (19, 30, 0.35), (20, 0, 0.15))  # local time, share of the evening's meetings
MEETING_LENGTH = timedelta(minutes=90)
CHECKIN_SPREAD = 15 * 60  # seconds after the start over which members check in
CHECKIN_STEP = 10  # ... in groups every ten seconds (the simulated month has fewer passes to make)
FULL = {"committees": 631, "cells": 20_000, "members": 400_000}
PLATFORM_LIMIT = 30.0  # one bot, messages a second (Telegram's limit; the Zalo bots are given the same)
IDLE_STEP = timedelta(minutes=15)  # longest virtual jump while nothing is due


class VirtualSleep:
    """``asyncio.sleep`` on the virtual clock: the earliest sleeper moves the clock to when it wakes."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self._heap: list[tuple[datetime, int, asyncio.Future]] = []
        self._seq = itertools.count()
        self._kicking = False

    def monotonic(self) -> float:
        return self.clock.now().timestamp()

    async def __call__(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.clock.now() + timedelta(seconds=max(0.0, seconds)), next(self._seq), future))
        if not self._kicking:
            self._kicking = True
            asyncio.get_running_loop().call_soon(self._kick)
        await future

    def _kick(self) -> None:
        if not self._heap:
            self._kicking = False
            return
        wake, _, future = heapq.heappop(self._heap)
        if wake > self.clock.now():
            self.clock.set(wake)
        if not future.done():
            future.set_result(None)
        asyncio.get_running_loop().call_soon(self._kick)


class FakeBots:
    """A platform's bots as the dispatcher's sender: each paced on its own and sending into a fake with
    Telegram's flood limits on the virtual clock. Counts what each bot sent in each second."""

    def __init__(self, bots: int, clock: FakeClock, sleep: VirtualSleep, rate: float = PLATFORM_LIMIT,
                 dilation: float = 1.0):
        self.clock = clock
        # A smaller city keeps the full city's queues when its bots' time runs ``dilation`` times slower:
        # the pacer and the fake's flood control both see Telegram's own limits, on a clock that ticks
        # ``dilation`` seconds per second.
        self.monotonic = lambda: sleep.monotonic() * dilation

        async def slower(seconds: float) -> None:
            await sleep(seconds / dilation)

        limits = Limits(per_second=rate, burst=max(1.0, rate))
        self.pacers = [Pacer(limits, monotonic=self.monotonic, sleep=slower) for _ in range(bots)]
        self.floods = [_FloodControl(clock=self.monotonic) for _ in range(bots)]
        self.per_second: Counter[tuple[int, int]] = Counter()
        self.http_429 = 0
        self.accepted = 0

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def admit(self, row) -> Admission:
        return ADMITTED

    async def send(self, chat_id: str, payload: dict, admission: Admission = ADMITTED) -> None:
        bot = int(chat_id) % len(self.pacers)
        if len(self.pacers) == 1:  # one bot: the dispatcher's pacer is this one (Month), as in chibo run
            self._take(bot, chat_id)
            return
        async with self.pacers[bot].slot(chat_id, self.is_group(chat_id)):
            self._take(bot, chat_id)

    def _take(self, bot: int, chat_id: str) -> None:
        retry = self.floods[bot].admit(chat_id, self.is_group(chat_id))
        if retry is not None:
            self.http_429 += 1
            raise RateLimited(float(retry))
        self.accepted += 1
        self.per_second[(bot, int(self.monotonic()))] += 1  # per second of the bots' clock


def _unpaced() -> Pacer:
    """The dispatcher's own pacer for a platform of several bots: the bots' pacers do the pacing."""
    return Pacer(Limits(per_second=1e9, burst=1e9, per_chat_per_second=1e9, per_chat_burst=1e9))


# --- the city ---------------------------------------------------------------------------------------
def sizes(scale: float) -> dict[str, int]:
    return {k: max(1, round(v * scale)) for k, v in FULL.items()}


def tree(committees: int, scale: float, now: datetime) -> list[dict]:
    """The committees as rows: the city (id 1), its districts (30 at scale 1), the wards (the rest)
    spread over the districts, each with its parent, as ``chibo committee add --parent`` writes them."""
    districts = min(committees - 1, max(1, round(30 * scale))) if committees > 1 else 0
    rows = [dict(id=1, name="Thành ủy (mô phỏng)", parent_id=None, created_at=now)]
    rows += [dict(id=2 + d, name=f"Quận ủy {d + 1}", parent_id=1, created_at=now) for d in range(districts)]
    rows += [dict(id=2 + districts + w, name=f"Đảng ủy phường {w + 1}", parent_id=2 + w % districts, created_at=now)
             for w in range(committees - 1 - districts)]
    return rows


def meeting_times(cells: int, seed: int = 23) -> list[datetime]:
    """Each cell's meeting: a quarter of the cells on each of the first evenings, at 19:00, 19:30 or 20:00."""
    rng = random.Random(seed)
    times = []
    for c in range(cells):
        day = MONTH_START + timedelta(days=c % EVENINGS)
        pick, total, at = rng.random(), 0.0, STARTS[-1]
        for start in STARTS:
            total += start[2]
            if pick <= total:
                at = start
                break
        times.append(day.replace(hour=at[0], minute=at[1]))
    return times


async def seed(url: str, scale: float, settings: Settings) -> dict:
    """The city written straight to the database, every meeting planned by chibo's planner."""
    await migrate(url)
    n = sizes(scale)
    now = SIM_START
    engine = create_engine(url)
    began = time.perf_counter()
    try:
        async with engine.begin() as conn:
            committees = tree(n["committees"], scale, now)
            await conn.execute(insert(Committee), committees)
            # Cells belong to the committees with none below them: the wards (at tiny scales, what there is).
            parents = {c["parent_id"] for c in committees}
            wards = [c["id"] for c in committees if c["id"] not in parents]
            await conn.execute(insert(Cell), [dict(id=c + 1, committee_id=wards[c % len(wards)],
                                                   name=f"Chi bộ {c + 1}", created_at=now) for c in range(n["cells"])])
            when = meeting_times(n["cells"])
            await conn.execute(insert(Meeting), [dict(
                id=c + 1, cell_id=c + 1, kind=MeetingKind.THUONG_KY, period="2027-03",
                scheduled_at=when[c].astimezone(UTC), place="Nhà văn hóa", start_manual=False, end_manual=False,
                auto_created=False, created_at=now) for c in range(n["cells"])])
            per_cell = -(-n["members"] // n["cells"])
            for start in range(0, n["members"], 20_000):
                members, links = [], []
                for i in range(start, min(n["members"], start + 20_000)):
                    cell_id = i % n["cells"] + 1
                    members.append(dict(id=i + 1, cell_id=cell_id, full_name=f"Đảng viên {i + 1}",
                                        role=Role.BI_THU if i < n["cells"] else Role.DANG_VIEN,
                                        status=MemberStatus.CHINH_THUC, exempt=False,
                                        active_from=(now - timedelta(days=400)).date(), created_at=now))
                    platform = Platform.TELEGRAM if (i // n["cells"]) % 2 == 0 else Platform.ZALO  # half of each cell
                    links.append(dict(platform=platform, platform_user_id=str(10_000_000 + i),
                                      chat_id=str(10_000_000 + i), member_id=i + 1, linked_at=now))
                await conn.execute(insert(Member), members)
                await conn.execute(insert(ChatLink), links)
            await fix_sequences(conn, ["committees", "cells", "members", "meetings", "chat_links"])
        sessions = session_factory(engine)
        for start in range(0, n["cells"], 500):
            async with sessions() as session, session.begin():
                for meeting in await session.scalars(select(Meeting).where(Meeting.id > start,
                                                                           Meeting.id <= start + 500)):
                    await planner.plan_meeting(session, settings, meeting, now)
        async with sessions() as session:
            plans = await session.scalar(select(func.count()).select_from(PlannedMessage))
    finally:
        await engine.dispose()
    return {**n, "members_per_cell": per_cell, "plans": plans, "seed_s": rounded(time.perf_counter() - began, 1)}


# --- the month --------------------------------------------------------------------------------------
class Month:
    def __init__(self, url: str, settings: Settings, bots: int, clock: FakeClock, rate: float = PLATFORM_LIMIT,
                 dilation: float = 1.0):
        self.url, self.settings, self.clock = url, settings, clock
        self.sleep = VirtualSleep(clock)
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)
        self.senders = {p: FakeBots(bots, clock, self.sleep, rate, dilation) for p in (Platform.TELEGRAM, Platform.ZALO)}
        self.dispatcher = Dispatcher(settings, self.sessions, clock, {str(p): s for p, s in self.senders.items()},
                                     pacers={p: s.pacers[0] if bots == 1 else _unpaced() for p, s in self.senders.items()},
                                     batch_size=500, concurrency=16)
        self.events: list[tuple[datetime, int, str, int]] = []  # (when, seq, what, meeting id)
        self._seq = itertools.count()
        self.progress = False
        self.dilation = dilation
        self.interval = timedelta(seconds=settings.dispatch_interval_seconds)

    async def script(self) -> None:
        async with self.sessions() as session:
            for mid, at in (await session.execute(select(Meeting.id, Meeting.scheduled_at))).all():
                heapq.heappush(self.events, (at, next(self._seq), "start", mid))
                heapq.heappush(self.events, (at + MEETING_LENGTH, next(self._seq), "end", mid))

    async def _next_due(self) -> datetime | None:
        async with self.sessions() as session:
            outbox = await session.scalar(select(func.min(OutboxMessage.due_at)).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.dropped_at.is_(None)))
            plan = await session.scalar(select(func.min(PlannedMessage.due_at)).where(PlannedMessage.done_at.is_(None)))
        early = [min(r.send_not_before for r in parts) for parts in self.dispatcher.releases.by_plan.values()]
        candidates = [t for t in (outbox, plan, *early, self.events[0][0] if self.events else None)
                      if t is not None]
        return min(candidates) if candidates else None

    async def _start(self, meeting_id: int, now: datetime) -> None:
        """The meeting begins (as /batdau writes it); every linked member checks in over fifteen minutes,
        each answered with a message."""
        rng = random.Random(meeting_id)
        async with self.sessions() as session, session.begin():
            meeting = await session.get_one(Meeting, meeting_id)
            meeting.started_at = meeting.opened_at = now
            await planner.unplan_meeting(session, meeting, now)
            await planner.plan_open_meeting(session, self.settings, meeting, now)
            links = (await session.execute(select(ChatLink.platform, ChatLink.chat_id, ChatLink.member_id)
                                           .join(Member, Member.id == ChatLink.member_id)
                                           .where(Member.cell_id == meeting.cell_id))).all()
            rows = [dict(key=f"sim-checkin:{meeting_id}:{member}", kind="reply", platform=platform, chat_id=chat,
                         member_id=member, meeting_id=None, payload={"text": "Đã điểm danh.", "buttons": []},
                         priority=0, due_at=now + timedelta(seconds=CHECKIN_STEP * rng.randrange(CHECKIN_SPREAD // CHECKIN_STEP)), attempts=0,
                         created_at=now) for platform, chat, member in links]
            if rows:
                await session.execute(insert(OutboxMessage), rows)

    async def _end(self, meeting_id: int, now: datetime) -> None:
        """The meeting ends (as /ketthuc writes it); its secretary gets the summary."""
        async with self.sessions() as session, session.begin():
            meeting = await session.get_one(Meeting, meeting_id)
            meeting.ended_at = now
            await planner.unplan_meeting(session, meeting, now)
            await session.execute(update(PlannedMessage).where(PlannedMessage.meeting_id == meeting_id,
                                                               PlannedMessage.done_at.is_(None))
                                  .values(done_at=now, outcome="ended"))
            secretary = await session.scalar(select(Member).where(Member.cell_id == meeting.cell_id,
                                                                  Member.role == Role.BI_THU))
            if secretary is not None:
                await outgoing.send(session, outgoing.SUMMARY, await outgoing.to_members(session, [secretary]),
                                    {"text": "Tóm tắt cuộc họp (mô phỏng).", "buttons": []}, now=now,
                                    meeting_id=meeting_id, meeting=meeting_id, edit="")

    async def run(self, until: datetime) -> dict:
        passes = 0
        while self.clock.now() < until:
            now = self.clock.now()
            while self.events and self.events[0][0] <= now:
                _, _, what, mid = heapq.heappop(self.events)
                await (self._start if what == "start" else self._end)(mid, now)
            handled = await self.dispatcher.run_once()
            passes += 1
            if self.progress and passes % 200 == 0:
                print(f"  {self.clock.now().astimezone(TZ):%d %H:%M:%S} passes={passes} "
                      f"sent={sum(s.accepted for s in self.senders.values())}", file=sys.stderr, flush=True)
            if handled:
                continue
            # The dispatcher's own idle wait: it looks again every dispatch_interval_seconds (or sooner when
            # woken; here the clock jumps to whatever falls due next when that is further off).
            now, nxt = self.clock.now(), await self._next_due()
            target = min(nxt, now + IDLE_STEP) if nxt is not None else now + IDLE_STEP
            self.clock.set(min(max(target, now + self.interval), until))
        return {"passes": passes}


# --- figures ----------------------------------------------------------------------------------------
def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


async def zalo_month(session, scale: float, quota: int) -> dict:
    """Zalo's free plan counts messages a month per bot (``CHIBO_ZALO_MONTHLY_QUOTA``): what the month's meetings
    sent on Zalo, as the full city would (divided by the scale), and how many bots that quota needs for them.
    Weekly summaries, nudges and answers to commands come on top of it."""
    sent = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.platform == Platform.ZALO, OutboxMessage.sent_at.is_not(None))) or 0
    full = sent / scale
    return {"zalo_sent": sent, "zalo_sent_full_city": round(full), "zalo_monthly_quota": quota,
            "zalo_bots_for_quota": math.ceil(full / quota)}


async def figures(month: Month, settings: Settings, scale: float) -> dict:
    async with month.sessions() as session:
        zalo = await zalo_month(session, scale, settings.zalo_monthly_quota)
        reminders = (await session.execute(
            select(OutboxMessage.platform, OutboxMessage.key, OutboxMessage.sent_at, OutboxMessage.dropped_at,
                   OutboxMessage.last_error, Meeting.scheduled_at)
            .join(Meeting, Meeting.id == OutboxMessage.meeting_id)
            .where(OutboxMessage.kind == outgoing.REMINDER.kind))).all()
        answers = (await session.execute(
            select(OutboxMessage.due_at, OutboxMessage.sent_at).where(OutboxMessage.kind == "reply"))).all()
        summaries = (await session.execute(
            select(OutboxMessage.created_at, OutboxMessage.sent_at).where(OutboxMessage.kind == "summary"))).all()
        too_late_plans = await session.scalar(select(func.count()).select_from(PlannedMessage).where(
            PlannedMessage.outcome == planner.TOO_LATE))
        unsent = await session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None), OutboxMessage.failed_at.is_(None)))
        db_bytes = await session.scalar(text("SELECT pg_database_size(current_database())"))
    lateness: list[float] = []
    early_share: list[float] = []
    dropped, bursts = 0, Counter[tuple]()
    for platform, key, sent_at, dropped_at, _error, scheduled in reminders:
        offset = timedelta(seconds=int(key.split(":")[3]))
        intended = scheduled - offset
        bursts[(str(platform), key.rsplit(":", 1)[0], scheduled, offset)] += 1
        if dropped_at is not None and sent_at is None:
            dropped += 1
            continue
        if sent_at is None:
            continue
        lateness.append((sent_at - intended).total_seconds())
        early_share.append((intended - sent_at) / offset)
    ack = [(s - d).total_seconds() for d, s in answers if s is not None]
    summary = [(s - c).total_seconds() for c, s in summaries if s is not None]
    peaks = {}
    for platform, sender in month.senders.items():
        peaks[str(platform)] = max(sender.per_second.values(), default=0)
    # The ideal: every bot at its limit, all its share given to reminders (rules.release on what was queued).
    bots = len(next(iter(month.senders.values())).pacers)
    ideal = release_schedule(
        [Burst(i, platform, n, scheduled, offset) for i, ((platform, _, scheduled, offset), n) in enumerate(bursts.items())],
        dict.fromkeys(("telegram", "zalo"), PLATFORM_LIMIT * bots * month.dilation))
    ideal_late = sum(r.late for r in ideal.values())
    sent = sum(s.accepted for s in month.senders.values())
    return {
        "reminders": len(reminders), "reminders_sent": len(lateness), "reminders_dropped": dropped,
        "reminder_plans_dropped_too_late": too_late_plans,
        "lateness_p50_s": rounded(_pct(lateness, 50), 1), "lateness_p99_s": rounded(_pct(lateness, 99), 1),
        "lateness_max_s": rounded(max(lateness, default=0.0), 1),
        "late_reminders": sum(1 for x in lateness if x > 0),
        "earliest_share_of_offset": rounded(max(early_share, default=0.0), 3),
        "ideal_late_reminders": ideal_late,
        "checkin_answers": len(ack), "checkin_ack_p50_s": rounded(_pct(ack, 50), 1),
        "checkin_ack_p99_s": rounded(_pct(ack, 99), 1), "checkin_ack_max_s": rounded(max(ack, default=0.0), 1),
        "summary_latency_p99_s": rounded(_pct(summary, 99), 1),
        "summary_latency_max_s": rounded(max(summary, default=0.0), 1),
        "http_429": sum(s.http_429 for s in month.senders.values()),
        "peak_per_bot_per_s": peaks, "ideal_per_bot_per_s": PLATFORM_LIMIT, "bots_per_platform": bots,
        "messages_sent": sent, "unsent_rows": unsent, "db_mb": rounded(db_bytes / 1e6, 1),
        "capacity_for_reminders_per_s": capacity(settings), **zalo,
    }


async def weekly(month: Month, now: datetime) -> dict:
    from reports.weekly import compute  # reports is imported here only: the rest needs none of it
    async with month.sessions() as session:
        committees = list(await session.scalars(select(Committee.id)))
    began = time.perf_counter()
    slowest = 0.0
    for committee_id in committees:
        one = time.perf_counter()
        async with month.sessions() as session:
            await compute(session, committee_id, now, TZ)
        slowest = max(slowest, time.perf_counter() - one)
    return {"committees": len(committees), "all_committees_s": rounded(time.perf_counter() - began, 1),
            "slowest_committee_s": rounded(slowest, 2)}


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, scale: float, bots: int, dilate: bool = True) -> dict:
    """The month at ``scale``; ``dilate``: the bots' time runs ``scale`` times slower (their pace is ``scale``
    times the platform's), so that a smaller city's queues, lateness and latencies are the full city's."""
    note = await postgres_ready(url)
    if note:
        return {"skipped": note}
    dilation = min(1.0, scale) if dilate else 1.0
    settings = Settings(_env_file=None, database_url=url, telegram_token="1:sim", zalo_token="sim",
                        telegram_per_second=PLATFORM_LIMIT * bots * dilation,
                        zalo_per_second=PLATFORM_LIMIT * bots * dilation)
    city = await seed(url, scale, settings)
    clock = FakeClock(SIM_START)
    month = Month(url, settings, bots, clock, dilation=dilation)
    month.progress = True
    try:
        await month.script()
        cpu, wall = time.process_time(), time.perf_counter()
        run = await month.run(MONTH_START + timedelta(days=EVENINGS + 1))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        figs = await figures(month, settings, scale)
        week = await weekly(month, MONTH_START + timedelta(days=7, hours=8))
    finally:
        await month.engine.dispose()
    return {"scale": scale, "bots_time_dilation": dilation, "city": city, **figs, "weekly": week, "peak_rss_mb": rounded(_peak_rss_mb(), 1),
            "cpu_s": rounded(cpu, 1), "wall_s": rounded(wall, 1),
            "cpu_s_per_1000_messages": rounded(cpu / max(1, figs["messages_sent"]) * 1000, 2),
            "virtual_days": EVENINGS + 4.5, **run}


def table(r: dict) -> str:
    if "skipped" in r or "error" in r:
        return f"city: {r}"
    rows = [
        ("scale", f"{r['scale']} ({r['city']['cells']} cells, {r['city']['members']} members, "
                  f"{r['bots_per_platform']} bot(s) per platform, bots' time x{r['bots_time_dilation']})", ""),
        ("reminders sent / dropped", f"{r['reminders_sent']} / {r['reminders_dropped']}", "all / 0"),
        ("reminder lateness p50 / p99 / max (s)",
         f"{r['lateness_p50_s']} / {r['lateness_p99_s']} / {r['lateness_max_s']}", "≤ 0"),
        ("late reminders (chibo / ideal)", f"{r['late_reminders']} / {r['ideal_late_reminders']}", "0"),
        ("earliest, share of the offset", f"{r['earliest_share_of_offset']}", "≤ 0.25"),
        ("check-in answers p50 / p99 / max (s)",
         f"{r['checkin_ack_p50_s']} / {r['checkin_ack_p99_s']} / {r['checkin_ack_max_s']}", "–"),
        ("summary latency p99 / max (s)", f"{r['summary_latency_p99_s']} / {r['summary_latency_max_s']}", "–"),
        ("429 answers", f"{r['http_429']}", "0"),
        ("Zalo: the meetings' messages of a month, full city; bots at the quota",
         f"{r['zalo_sent_full_city']}; {r['zalo_bots_for_quota']} at {r['zalo_monthly_quota']} a month", ""),
        ("peak messages per bot per second", f"{r['peak_per_bot_per_s']}", f"ideal {r['ideal_per_bot_per_s']}"),
        ("weekly summaries, every committee (s)", f"{r['weekly']['all_committees_s']} "
                                                  f"({r['weekly']['committees']} committees)", ""),
        ("database (MB)", f"{r['db_mb']}", ""),
        ("peak memory (MB)", f"{r['peak_rss_mb']}", ""),
        ("CPU s per 1,000 messages (chibo's process)", f"{r['cpu_s_per_1000_messages']}", ""),
        ("messages sent; real seconds for the month", f"{r['messages_sent']}; {r['wall_s']}", ""),
    ]
    width = max(len(a) for a, _, _ in rows)
    return "\n".join(f"{a.ljust(width)}  {b}  {c}".rstrip() for a, b, c in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks city", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.1, help="share of the city (1 = 400,000 members)")
    parser.add_argument("--bots", type=int, default=1, help="bots per platform")
    parser.add_argument("--real-rate", action="store_true",
                        help="bots at 30/s whatever the scale (default: 30 x scale, so a smaller city queues as the full one)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--postgres-url", default=os.environ.get("CHIBO_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.postgres_url, args.scale, args.bots, not args.real_rate))
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())

