"""The daily planner: standing regular meetings created, secretaries nudged to schedule."""

from __future__ import annotations

import calendar as month_calendar
from datetime import datetime

from sqlalchemy import select

from core.texts import Html, fmt_datetime, t
from rules import MeetingOnCalendar, Obligation, later_this_month, missing_obligations, month_key, quarter_of
from scheduler import followers, planner, task_jobs
from storage.models import Cell, Meeting, MeetingKind
from storage.outbox import enqueue
from storage.queries import active_members, leaders, links_for_members


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
    people = await leaders(session, cell_id, today)
    links = await links_for_members(session, [m.id for m in people])

    async def tell(key: str, text: str) -> int:
        count = 0
        for leader in people:
            link = links.get(leader.id)
            if link is not None:
                count += await enqueue(session, key=f"{key}:{leader.id}", kind="nudge", link=link,
                                       payload={"text": text, "buttons": []}, due_at=now, now=now, priority=4)
        return count

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
            members = await active_members(session, cell.id, today)
            member_links = await links_for_members(session, [m.id for m in members])
            notice = planner.meeting_reply(settings, cell, meeting, "schedule.notice").to_payload()
            for m in members:
                if m.id in member_links:
                    queued += await enqueue(session, key=f"notice:{meeting.id}:{int(start.timestamp())}:{m.id}",
                                            kind="notice",
                                            link=member_links[m.id], payload=notice, due_at=now, now=now,
                                            meeting_id=meeting.id, priority=3)
            await planner.plan_meeting(session, settings, meeting, now)
            queued += await followers.meeting_event(session, settings, cell, meeting, "notice", now)
            place = Html(t(lang, "place", place=meeting.place) if meeting.place else "")
            queued += await tell(f"auto_created:{meeting.id}", t(lang, "nudge.auto_created", cell=cell.name,
                                 when=fmt_datetime(start, tz), place=place))
            missing.remove(Obligation.REGULAR_THIS_MONTH)
    if Obligation.REGULAR_THIS_MONTH in missing:
        queued += await tell(f"nudge_regular:{cell.id}:{period}",
                             t(lang, "nudge.schedule_regular", cell=cell.name, month=f"{today.month:02d}/{today.year}",
                               example=later_this_month(today).isoformat()))
    year, q = quarter_of(today)
    if Obligation.THEMATIC_THIS_QUARTER in missing and (today.month - 1) % 3 == 1:  # second month of the quarter
        queued += await tell(f"nudge_thematic:{cell.id}:{year}Q{q}",
                             t(lang, "nudge.schedule_thematic", cell=cell.name, quarter=f"{q}/{year}",
                               example=later_this_month(today).isoformat()))
    return queued
