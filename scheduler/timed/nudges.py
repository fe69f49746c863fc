"""The daily planner: standing regular meetings created, secretaries nudged to schedule."""

from __future__ import annotations

import calendar as month_calendar
from datetime import datetime

from sqlalchemy import select

from core import outgoing
from core.texts import Html, fmt_datetime, t
from rules import MeetingOnCalendar, Obligation, later_this_month, missing_obligations, month_key, quarter_of
from scheduler import planner
from scheduler.timed import followers, task_jobs
from storage.models import Cell, Meeting, MeetingKind


async def run_daily(services) -> int:
    """Once a day (and at start-up): idempotent, so running it twice changes nothing."""
    now = services.clock.now()
    async with services.sessions() as session:
        cell_ids = list(await session.scalars(select(Cell.id).order_by(Cell.id)))
    queued = 0
    for cell_id in cell_ids:
        async with services.sessions() as session, session.begin():
            queued += await plan_cell(session, services.settings, cell_id, now)
    async with services.sessions() as session, session.begin():  # tasks past their deadline: the secretary told once
        queued += await task_jobs.report_overdue(session, services.settings, now)
    if queued:
        services.wake_dispatcher()
    return queued


async def plan_cell(session, settings, cell_id: int, now: datetime) -> int:
    tz, lang = settings.tz, settings.language
    today = now.astimezone(tz).date()
    cell = await session.get(Cell, cell_id)
    meetings = list(await session.scalars(select(Meeting).where(Meeting.cell_id == cell_id, Meeting.cancelled_at.is_(None))))
    queued = 0
    people = await outgoing.leaders(session, cell_id, today)

    async def tell(message: outgoing.Message, text: str, **fields) -> int:
        return await outgoing.send(session, message, people, {"text": text, "buttons": []}, now=now, **fields)

    calendar = [MeetingOnCalendar(m.kind.value, m.scheduled_at.astimezone(tz).date(), combined=m.combined)
                for m in meetings]
    missing = missing_obligations(calendar, today)
    period = month_key(today)
    if Obligation.REGULAR_THIS_MONTH in missing and cell.standing_day and cell.standing_time:
        last_day = month_calendar.monthrange(today.year, today.month)[1]
        start = datetime.combine(today.replace(day=min(cell.standing_day, last_day)), cell.standing_time, tzinfo=tz)
        if start > now:
            meeting = Meeting(cell_id=cell.id, kind=MeetingKind.THUONG_KY, period=period, scheduled_at=start,
                              place=cell.standing_place, auto_created=True, created_at=now)
            session.add(meeting)
            await session.flush()
            notice = planner.meeting_reply(settings, cell, meeting, "schedule.notice")
            queued += await outgoing.send(session, outgoing.NOTICE, await outgoing.cell(session, cell.id, today), notice,
                                          now=now, meeting_id=meeting.id, meeting=meeting.id,
                                          stamp=int(start.timestamp()))
            await planner.plan_meeting(session, settings, meeting, now)
            queued += await followers.meeting_event(session, settings, cell, meeting, "notice", now)
            place = Html(t(lang, "place", place=meeting.place) if meeting.place else "")
            queued += await tell(outgoing.AUTO_CREATED, t(lang, "nudge.auto_created", cell=cell.name,
                                 when=fmt_datetime(start, tz), place=place), meeting=meeting.id)
            missing.remove(Obligation.REGULAR_THIS_MONTH)
    if Obligation.REGULAR_THIS_MONTH in missing:
        queued += await tell(outgoing.NUDGE_REGULAR,
                             t(lang, "nudge.schedule_regular", cell=cell.name, month=f"{today.month:02d}/{today.year}",
                               example=later_this_month(today).isoformat()), cell=cell.id, period=period)
    year, q = quarter_of(today)
    if Obligation.THEMATIC_THIS_QUARTER in missing and (today.month - 1) % 3 == 1:  # second month of the quarter
        queued += await tell(outgoing.NUDGE_THEMATIC,
                             t(lang, "nudge.schedule_thematic", cell=cell.name, quarter=f"{q}/{year}",
                               example=later_this_month(today).isoformat()), cell=cell.id, quarter=f"{year}Q{q}")
    return queued
