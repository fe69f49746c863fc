"""Retention: old updates of the inbox and delivered outbox rows go, once a day across processes, in
bounded batches; the audit log, attendance and undelivered rows stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, or_, select

from bot.demo.scene import Scene
from core.clock import FakeClock
from core.services import Services
from scheduler.jobs import build_scheduler
from scheduler.timed.retention import run_retention
from storage.db import create_engine, session_factory
from storage.models import (
    Attendance,
    AuditLog,
    InboxUpdate,
    JobRun,
    OutboxMessage,
    Platform,
    Role,
)
from storage.retention import prune
from tests.conftest import DB_KINDS, vn

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def _update(key: str, received_at: datetime) -> InboxUpdate:
    return InboxUpdate(platform=Platform.TELEGRAM, update_key=key, chat_key="tg:1", payload={"text": "x"},
                       received_at=received_at, handled_at=received_at, attempts=1)


def _outbox(key: str, **times) -> OutboxMessage:
    values = dict(key=key, kind="reminder", platform=Platform.TELEGRAM, chat_id="1", payload={"text": "x"}, priority=5,
                  due_at=NOW - timedelta(days=300), attempts=1, created_at=NOW - timedelta(days=300))
    return OutboxMessage(**(values | times))


async def _fill(sessions) -> None:
    days = lambda n: NOW - timedelta(days=n)
    async with sessions() as session, session.begin():
        for i in range(7):  # 7 old keys: more than one batch of 3
            session.add(_update(f"old{i}", days(31)))
        session.add(_update("recent", days(29)))
        for i in range(4):
            session.add(_outbox(f"sent-old{i}", sent_at=days(181)))
        session.add(_outbox("dropped-old", dropped_at=days(200)))
        session.add(_outbox("sent-recent", sent_at=days(179)))
        session.add(_outbox("failed-old", failed_at=days(200)))  # a failure stays for the record
        session.add(_outbox("pending", due_at=days(1)))  # never sent: must stay whatever its age
        session.add(AuditLog(actor="operator", action="add", entity="committee", entity_id=1, at=days(3000)))


async def _keys(sessions, model, column) -> set[str]:
    async with sessions() as session:
        return set(await session.scalars(select(column)))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_prune_removes_only_what_is_old_and_delivered_in_batches_once_a_day(engine):
    sessions = session_factory(engine)
    await _fill(sessions)
    pruned = await prune(sessions, NOW, day_key="2026-12-01", updates_days=30, sent_days=180, batch=3)
    assert (pruned.ran, pruned.updates, pruned.outbox) == (True, 7, 5)
    assert await _keys(sessions, InboxUpdate, InboxUpdate.update_key) == {"recent"}
    assert await _keys(sessions, OutboxMessage, OutboxMessage.key) == {"sent-recent", "failed-old", "pending"}
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog)) == 1
    # The same day again (a restart, another process): nothing is done, even with new old rows.
    await _fill_more(sessions)
    assert (await prune(sessions, NOW, day_key="2026-12-01", updates_days=30, sent_days=180)).ran is False
    assert (await prune(sessions, NOW, day_key="2026-12-02", updates_days=30, sent_days=180)).updates == 1


async def _fill_more(sessions) -> None:
    async with sessions() as session, session.begin():
        session.add(_update("old-again", NOW - timedelta(days=40)))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_two_processes_pruning_at_once_prune_once(engine, db_url):
    await _fill(session_factory(engine))
    other = create_engine(db_url)  # a second process: its own engine and connections
    try:
        results = await asyncio.gather(
            prune(session_factory(engine), NOW, day_key="2026-12-01", updates_days=30, sent_days=180, batch=2),
            prune(session_factory(other), NOW, day_key="2026-12-01", updates_days=30, sent_days=180, batch=2))
    finally:
        await other.dispose()
    assert sorted(r.ran for r in results) == [False, True]
    assert sum(r.updates for r in results) == 7
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(JobRun).where(JobRun.job == "retention")) == 1


async def test_the_daily_job_prunes_with_the_configured_days_and_keeps_attendance(scene: Scene, caplog):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Bí Thư", Role.BI_THU), ("Đảng Viên", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Bí Thư", "Đảng Viên")
    await scene.say("Bí Thư", "/lichhop 2026-12-05 19:30")
    await scene.say("Đảng Viên", "/vang Ốm")
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.settle()  # the 3-day reminder is sent
    runtime = scene.runtime
    ids = {job.id for job in build_scheduler(runtime.services, runtime.dispatcher).get_jobs()}
    assert {"retention", "retention-startup"} <= ids
    async with scene.sessions()() as session:
        updates = await session.scalar(select(func.count()).select_from(InboxUpdate))
        sent = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.dropped_at.is_not(None))))
        kept = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None)))
    assert updates and sent
    services = Services(settings=scene.settings.model_copy(update={"keep_updates_days": 30, "keep_sent_days": 180}),
                        sessions=runtime.services.sessions, clock=FakeClock(vn(2027, 7, 1, 7, 0)))
    pruned = await run_retention(services)
    assert (pruned.updates, pruned.outbox) == (updates, sent)
    async with scene.sessions()() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == kept
        assert await session.scalar(select(func.count()).select_from(Attendance)) >= 1  # the record stays
        assert await session.scalar(select(func.count()).select_from(AuditLog)) >= 1


def test_retention_days_have_safe_minimums():
    from pydantic import ValidationError

    from core.settings import Settings

    assert Settings(_env_file=None).keep_updates_days == 7 and Settings(_env_file=None).keep_sent_days == 180
    with pytest.raises(ValidationError):
        Settings(_env_file=None, keep_updates_days=1)  # a platform re-delivers an update within a day
    with pytest.raises(ValidationError):
        Settings(_env_file=None, keep_sent_days=30)  # a quarter's nudge key must outlive the quarter
