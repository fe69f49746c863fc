"""Who spoke at a meeting (/phatbieu): the rows of ``MeetingSpeaker``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MeetingSpeaker


async def speaker_ids(session: AsyncSession, meeting_id: int) -> set[int]:
    return (await speakers_by_meeting(session, [meeting_id])).get(meeting_id, set())


async def speakers_by_meeting(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, set[int]]:
    """Who spoke at each of ``meeting_ids`` (member ids), in one query."""
    out: dict[int, set[int]] = {}
    for meeting_id, member_id in await session.execute(
            select(MeetingSpeaker.meeting_id, MeetingSpeaker.member_id).where(MeetingSpeaker.meeting_id.in_(list(meeting_ids)))):
        out.setdefault(meeting_id, set()).add(member_id)
    return out


async def set_speakers(session: AsyncSession, meeting_id: int, member_ids: set[int], by_member_id: int | None,
                       now: datetime) -> None:
    """Make the meeting's speakers exactly ``member_ids``: rows added for the new, removed for the others."""
    current = await speaker_ids(session, meeting_id)
    gone = current - member_ids
    if gone:
        await session.execute(delete(MeetingSpeaker).where(MeetingSpeaker.meeting_id == meeting_id,
                                                           MeetingSpeaker.member_id.in_(gone)))
    session.add_all(MeetingSpeaker(meeting_id=meeting_id, member_id=member_id, recorded_by_member_id=by_member_id,
                                   recorded_at=now) for member_id in sorted(member_ids - current))
    await session.flush()
