"""Turning meetings into due outbox rows: member reminders and the secretary's nudges."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.messages import Button, Reply
from core.settings import Settings
from core.texts import Html, fmt_datetime, kind_text, t
from rules import shift_out_of_quiet
from storage.models import LEADER_ROLES, Attendance, AttendanceStatus, Cell, Meeting, OutboxMessage
from storage.outbox import drop_pending, enqueue
from storage.queries import active_members, links_for_members, member_span

REMINDER_KINDS = ("reminder", "prep_nudge")
PREP_NUDGE_BEFORE = timedelta(days=7)


def meeting_reply(settings: Settings, cell: Cell, meeting: Meeting, text_key: str = "reminder") -> Reply:
    """A message about a meeting (notice, reminder) with the Tham dự / Xin vắng buttons."""
    lang, tz = settings.language, settings.tz
    place = Html(t(lang, "place", place=meeting.place) if meeting.place else "")
    topic = Html(t(lang, "topic", topic=meeting.topic) if meeting.topic else "")
    text = t(lang, text_key, cell=cell.name, kind=kind_text(lang, meeting.kind.value, meeting.combined),
             when=fmt_datetime(meeting.scheduled_at, tz), place=place, topic=topic)
    return Reply(text, [[Button(t(lang, "button.attend"), f"rsvp:yes:{meeting.id}"),
                         Button(t(lang, "button.absent"), f"rsvp:no:{meeting.id}")]])


def reminder_due(settings: Settings, meeting: Meeting, offset: timedelta) -> datetime:
    due_local = (meeting.scheduled_at - offset).astimezone(settings.tz)
    return shift_out_of_quiet(due_local, settings.quiet, meeting.scheduled_at)


async def plan_meeting(session: AsyncSession, settings: Settings, meeting: Meeting, now: datetime) -> int:
    """Queue the reminders of every expected member who has not excused themselves, and the
    leaders' preparation nudge. Offsets already past when the meeting is scheduled are skipped.
    Idempotent: keys carry the meeting's time, so planning twice queues nothing new."""
    cell = await session.get_one(Cell, meeting.cell_id)
    day = meeting.scheduled_at.astimezone(settings.tz).date()
    members = [m for m in await active_members(session, cell.id, day) if not member_span(m).exempt_on(day)]
    excused = set(await session.scalars(select(Attendance.member_id).where(
        Attendance.meeting_id == meeting.id, Attendance.status == AttendanceStatus.EXCUSED)))
    links = await links_for_members(session, [m.id for m in members])
    stamp = int(meeting.scheduled_at.timestamp())
    payload = meeting_reply(settings, cell, meeting).to_payload()
    queued = 0
    for offset in settings.offsets:
        if meeting.scheduled_at - offset <= now:
            continue
        due = reminder_due(settings, meeting, offset)
        for m in members:
            link = links.get(m.id)
            if link is None or m.id in excused or m.id == meeting.created_by_member_id:  # not who scheduled it
                continue
            key = f"reminder:{meeting.id}:{stamp}:{int(offset.total_seconds())}:{m.id}"
            queued += await enqueue(session, key=key, kind="reminder", link=link, payload=payload, due_at=due,
                                    now=now, member_id=m.id, meeting_id=meeting.id, priority=6)
    nudge_at = meeting.scheduled_at - PREP_NUDGE_BEFORE
    if nudge_at > now:
        lang = settings.language
        text = t(lang, "prep_nudge", kind=kind_text(lang, meeting.kind.value, meeting.combined),
                 when=fmt_datetime(meeting.scheduled_at, settings.tz))
        leaders = [m for m in members if m.role in LEADER_ROLES]
        for m in leaders:
            link = links.get(m.id)
            if link is None:
                continue
            queued += await enqueue(session, key=f"prep:{meeting.id}:{stamp}:{m.id}", kind="prep_nudge", link=link,
                                    payload={"text": text, "buttons": []}, due_at=nudge_at, now=now,
                                    member_id=m.id, meeting_id=meeting.id, priority=4)
    return queued


async def unplan_meeting(session: AsyncSession, meeting: Meeting, now: datetime) -> int:
    """Drop the meeting's pending reminders and nudges (cancelled or moved)."""
    return await drop_pending(session, meeting_id=meeting.id, kinds=REMINDER_KINDS, now=now)


async def unplan_member(session: AsyncSession, meeting_id: int, member_id: int, now: datetime) -> None:
    """A member excused themselves: their pending reminders for the meeting go."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.meeting_id == meeting_id, OutboxMessage.member_id == member_id,
               OutboxMessage.kind == "reminder", OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None))
        .values(dropped_at=now, last_error="excused")
    )
