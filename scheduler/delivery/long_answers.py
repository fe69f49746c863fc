"""Answers too long to put together inside a request: a committee's /baocao on many cells.

The request only queues a job row in the outbox (kind ``JOB``) and answers at once. The dispatcher,
when it claims that row, calls :func:`carry_out`: the report is read in a session of its own (no
request's transaction, no handling slot, no writer held on SQLite meanwhile), then its messages are
queued, paced like every other one, and the job marked done, in one short transaction. The job's
lease makes a process that takes over after a crash do it again; the messages' keys (the job's key
and a number) keep them from being queued twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core import outgoing
from core.settings import Settings
from reports.committee_report import committee_parts
from storage.models import Committee, OutboxMessage

JOB = outgoing.REPORT_JOB.kind


def job_payload(committee_id: int) -> dict:
    return {"committee_id": committee_id}


async def carry_out(sessions: async_sessionmaker[AsyncSession], settings: Settings, row: OutboxMessage,
                    now: datetime) -> int:
    """Put the report together and queue its messages; returns how many (0 if the committee is gone)."""
    async with sessions() as session:
        committee = await session.get(Committee, row.payload["committee_id"])
        parts = [] if committee is None else await committee_parts(session, committee, settings.language,
                                                                   settings.tz, now)
    extra = {"bot_key": row.payload["bot_key"]} if row.payload.get("bot_key") else {}
    async with sessions() as session, session.begin():
        await outgoing.send_parts(session, outgoing.chat(row.platform, row.chat_id, row.member_id), parts,
                                  job=row.key, now=now, extra=extra)
        await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
            sent_at=now, attempts=row.attempts + 1, claimed_until=None,
            last_error=None if committee is not None else "committee gone"))
    return len(parts)
