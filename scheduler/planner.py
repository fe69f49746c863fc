"""Meetings' messages planned for a time, and addressed only when they fall due.

Planning (at ``/lichhop``, ``/doilich``, ``/batdau``) writes one ``PlannedMessage`` per meeting and
offset; nobody is named yet. When it falls due, ``send_due`` (run by the dispatcher before each pass)
reads the roster as it is then (who is active, exempt, excused, linked, has confirmed) and queues
one outbox row per person, in the same transaction that marks the plan done. So a member who links
or whose exemption is lifted after the meeting was scheduled gets the reminders still to come, one who
leaves or becomes exempt gets none from that day, and a restart neither loses nor repeats a reminder
(outbox keys are unique, and the plan is done exactly once)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons, documents, outgoing
from core.messages import Button, Reply
from core.metrics import record_delivery
from core.parsing import parse_time
from core.settings import Settings
from core.texts import Html, fmt_date, fmt_datetime, fmt_time, kind_text, t
from rules import missed_start_nudge, open_meeting_nudges, preparation_due, shift_out_of_quiet
from rules.clock_times import OPEN_NUDGE_AFTER, PREP_NUDGE_BEFORE
from scheduler.release import Releases
from storage.models import (
    COMMITTEE_ROLES,
    Attendance,
    AttendanceStatus,
    Cell,
    Meeting,
    Member,
    OutboxMessage,
    PlannedMessage,
)
from storage.outbox import drop_pending
from storage.queries import (
    active_members,
    in_progress_since,
    member_span,
    open_meeting,
    upcoming_meetings,
)
from storage.upsert import insert_for

log = logging.getLogger(__name__)

REMINDER, PREP_NUDGE, OPEN_NUDGE, MISSED_NUDGE = (m.kind for m in (outgoing.REMINDER, outgoing.PREP_NUDGE,
                                                                   outgoing.OPEN_NUDGE, outgoing.MISSED_NUDGE))
REMINDER_KINDS = (REMINDER, PREP_NUDGE, MISSED_NUDGE)  # dropped when the meeting begins, is cancelled or moves
DEFERRED = "deferred"  # not now (another meeting of the cell in progress): the plan falls due again later
DEFER_STEP = timedelta(minutes=15)
BATCH = 100
TOO_LATE = "too late"  # at the bots' pace, it could only have arrived after the meeting began
UNPLANNED = "unplanned"  # the meeting was cancelled, moved or begun before the plan fell due


def meeting_reply(settings: Settings, cell: Cell, meeting: Meeting, text_key: str = "reminder",
                  confirmed: bool = False) -> Reply:
    """A message about a meeting (notice, reminder) with the Tham dự / Xin vắng buttons; to a member
    who has confirmed, the reminder says so and offers only Xin vắng."""
    lang, tz = settings.language, settings.tz
    place = Html(t(lang, "place", place=meeting.place) if meeting.place else "")
    topic = Html(t(lang, "topic", topic=meeting.topic) if meeting.topic else "")
    text = t(lang, "reminder.confirmed" if confirmed else text_key, cell=cell.name,
             kind=kind_text(lang, meeting.kind.value, meeting.combined), when=fmt_datetime(meeting.scheduled_at, tz), place=place,
             topic=topic)
    absent = Button(t(lang, "button.absent"), buttons.Rsvp("no", meeting.id).encode())
    if confirmed:
        return Reply(text, [[absent]])
    return Reply(text, [[Button(t(lang, "button.attend"), buttons.Rsvp("yes", meeting.id).encode()), absent]])


def reminder_due(settings: Settings, meeting: Meeting, offset: timedelta) -> datetime:
    due_local = (meeting.scheduled_at - offset).astimezone(settings.tz)
    return shift_out_of_quiet(due_local, settings.quiet, meeting.scheduled_at)


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


async def _plan(session: AsyncSession, meeting: Meeting, kind: str, stamp: int, offset_seconds: int, due: datetime,
                now: datetime) -> None:
    """One plan; planned again (the meeting moved back to a time it had), an unplanned one is revived."""
    insert = insert_for(session)(PlannedMessage).values(
        meeting_id=meeting.id, kind=kind, stamp=stamp, offset_seconds=offset_seconds, due_at=due, created_at=now)
    await session.execute(insert.on_conflict_do_update(
        index_elements=["meeting_id", "kind", "stamp", "offset_seconds"],
        set_={"done_at": None, "outcome": None, "due_at": due},
        where=PlannedMessage.outcome == UNPLANNED))


async def plan_meeting(session: AsyncSession, settings: Settings, meeting: Meeting, now: datetime) -> None:
    """Plan the reminders at each offset still ahead, and the cell committee's preparation nudge.
    Idempotent: planning twice plans nothing new."""
    stamp = _stamp(meeting.scheduled_at)
    for offset in settings.offsets:
        if meeting.scheduled_at - offset > now:
            await _plan(session, meeting, REMINDER, stamp, int(offset.total_seconds()),
                        reminder_due(settings, meeting, offset), now)
    prep = preparation_due(meeting.scheduled_at.astimezone(settings.tz), now.astimezone(settings.tz), settings.quiet)
    if prep is not None:
        await _plan(session, meeting, PREP_NUDGE, stamp, int(PREP_NUDGE_BEFORE.total_seconds()), prep, now)
    # Not begun on chibo by then: the secretary is told that evening or the next morning, with what to do.
    scheduled = meeting.scheduled_at.astimezone(settings.tz)
    missed = missed_start_nudge(scheduled, _morning(settings), settings.quiet)
    await _plan(session, meeting, MISSED_NUDGE, stamp, int((missed - scheduled).total_seconds()), missed, now)


def _morning(settings: Settings) -> time:
    return parse_time(settings.daily_planner_time) or time(7, 0)


async def plan_open_meeting(session: AsyncSession, settings: Settings, meeting: Meeting, now: datetime) -> None:
    """A meeting just begun: the secretary is reminded to end it if it is still open 3 hours later,
    and the next morning."""
    assert meeting.started_at is not None
    started = meeting.started_at.astimezone(settings.tz)
    for due in open_meeting_nudges(started, _morning(settings), settings.quiet):
        if due > now:
            await _plan(session, meeting, OPEN_NUDGE, _stamp(started), int((due - started).total_seconds()), due, now)


async def unplan_meeting(session: AsyncSession, meeting: Meeting, now: datetime) -> int:
    """Drop the meeting's plans not yet carried out and its pending reminders and nudges (cancelled,
    moved or begun)."""
    await session.execute(update(PlannedMessage).where(
        PlannedMessage.meeting_id == meeting.id, PlannedMessage.kind.in_(REMINDER_KINDS),
        PlannedMessage.done_at.is_(None)).values(done_at=now, outcome=UNPLANNED))
    return await drop_pending(session, meeting_id=meeting.id, kinds=REMINDER_KINDS, now=now)


async def unplan_member(session: AsyncSession, meeting_id: int, member_id: int, now: datetime) -> None:
    """A member excused themselves: their reminders for the meeting already queued go."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.meeting_id == meeting_id, OutboxMessage.member_id == member_id,
               OutboxMessage.kind == REMINDER, OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None))
        .values(dropped_at=now, last_error="excused")
    )


# --- carrying plans out ----------------------------------------------------------------------------
async def send_due(session: AsyncSession, settings: Settings, now: datetime, limit: int = BATCH,
                   releases: Releases | None = None) -> int:
    """Carry out the plans due by ``now``: queue their messages to the people concerned now. Returns how
    many plans were carried out (at most ``limit``). Plans are locked (``SKIP LOCKED`` on PostgreSQL):
    several processes share the work, and each plan is carried out once.

    Reminder plans are carried out earlier when the bots' pace requires it (``scheduler.release``:
    never more than a quarter of their offset early); one whose every message could only arrive after its
    meeting has begun is dropped and counted instead. ``releases``: this process's schedule (kept between
    passes); none, it is computed for this pass."""
    releases = releases if releases is not None else Releases(refresh=timedelta(0))
    await releases.update(session, settings, now)
    early = releases.early(now)[:limit]
    due = PlannedMessage.due_at <= now
    plans = list(await session.scalars(
        select(PlannedMessage).where(PlannedMessage.done_at.is_(None),
                                     or_(due, PlannedMessage.id.in_(early)) if early else due)
        .order_by(PlannedMessage.due_at, PlannedMessage.id).limit(limit).with_for_update(skip_locked=True)))
    for plan in plans:
        meeting = await session.get(Meeting, plan.meeting_id)
        if plan.kind == REMINDER and releases.hopeless(plan.id):
            _, outcome = 0, TOO_LATE
            record_delivery("planned", "too_late")
            log.warning("reminder plan dropped plan=%s meeting=%s offset=%ss: at the bots' pace it could only "
                        "arrive after the meeting began", plan.id, plan.meeting_id, plan.offset_seconds)
        else:
            _, outcome = await _carry_out(session, settings, plan, meeting, now)
        releases.forget(plan.id)
        if outcome == DEFERRED:  # looked at again a little later, out of the quiet hours
            later = (now + DEFER_STEP).astimezone(settings.tz)
            plan.due_at = shift_out_of_quiet(later, settings.quiet, later + timedelta(days=2))
        else:
            plan.done_at, plan.outcome = now, outcome
    return len(plans)


async def _carry_out(session: AsyncSession, settings: Settings, plan: PlannedMessage, meeting: Meeting | None,
                     now: datetime) -> tuple[int, str]:
    if meeting is None or meeting.cancelled_at is not None:
        return 0, "cancelled"
    if plan.kind == OPEN_NUDGE:
        if meeting.ended_at is not None or meeting.started_at is None or _stamp(meeting.started_at) != plan.stamp:
            return 0, "ended"
        return await _open_nudge(session, settings, plan, meeting, now)
    if plan.kind == MISSED_NUDGE:
        if meeting.started_at is not None:
            return 0, "meeting already begun"
        if _stamp(meeting.scheduled_at) != plan.stamp:
            return 0, "moved"
        return await _missed_nudge(session, settings, plan, meeting, now)
    if meeting.started_at is not None or meeting.scheduled_at <= now:
        return 0, "meeting already begun"
    if _stamp(meeting.scheduled_at) != plan.stamp:
        return 0, "moved"
    if plan.kind == PREP_NUDGE:
        # Never while the cell is in a meeting; one open longer than a meeting can last was left open (its
        # secretary is nudged to end it): the preparation nudge does not wait for it.
        current = await in_progress_since(session, meeting.cell_id)
        if current is not None and current[0] != meeting.id \
                and now - current[1] < timedelta(hours=settings.max_meeting_hours):
            return 0, DEFERRED
        return await _prep_nudge(session, settings, plan, meeting, now)
    return await _reminders(session, settings, plan, meeting, now)


def still_expected(settings: Settings, member: Member | None, meeting: Meeting, now: datetime) -> bool:
    """Whether ``member`` is expected at ``meeting`` as things are today: in its cell, active and not
    exempt today and on the meeting's day."""
    if member is None or member.cell_id != meeting.cell_id:
        return False
    span, today = member_span(member), now.astimezone(settings.tz).date()
    day = meeting.scheduled_at.astimezone(settings.tz).date()
    return all(span.active_on(d) and not span.exempt_on(d) for d in (today, day))


async def expected_now(session: AsyncSession, settings: Settings, meeting: Meeting, now: datetime) -> list[Member]:
    """The members a message about ``meeting`` goes to today (see ``still_expected``)."""
    today = now.astimezone(settings.tz).date()
    return [m for m in await active_members(session, meeting.cell_id, today)
            if still_expected(settings, m, meeting, now)]


async def _reminders(session: AsyncSession, settings: Settings, plan: PlannedMessage, meeting: Meeting,
                     now: datetime) -> tuple[int, str]:
    cell = await session.get_one(Cell, meeting.cell_id)
    members = [m for m in await expected_now(session, settings, meeting, now) if m.id != meeting.created_by_member_id]
    answers = {a.member_id: a for a in await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
    members = [m for m in members if not (m.id in answers and answers[m.id].status is AttendanceStatus.EXCUSED)]
    confirmed = {m.id for m in members if m.id in answers and answers[m.id].rsvp is True}
    payloads = {yes: meeting_reply(settings, cell, meeting, confirmed=yes) for yes in (False, True)}
    audience = await outgoing.to_members(session, members)
    queued = await outgoing.send(session, outgoing.REMINDER, audience,
                                 lambda r: payloads[r.member_id in confirmed], now=now, meeting_id=meeting.id,
                                 meeting=meeting.id, stamp=plan.stamp, offset=plan.offset_seconds)
    queued += await documents.send_documents(session, settings, meeting, audience, now)  # /tailieu, with it
    return queued, f"queued {queued}"


async def _prep_nudge(session: AsyncSession, settings: Settings, plan: PlannedMessage, meeting: Meeting,
                      now: datetime) -> tuple[int, str]:
    lang, tz = settings.language, settings.tz
    days = (meeting.scheduled_at.astimezone(tz).date() - now.astimezone(tz).date()).days
    text = t(lang, "prep_nudge", days=days, kind=kind_text(lang, meeting.kind.value, meeting.combined),
             when=fmt_datetime(meeting.scheduled_at, tz))
    people = [m for m in await expected_now(session, settings, meeting, now) if m.role in COMMITTEE_ROLES]
    queued = await outgoing.send(session, outgoing.PREP_NUDGE, await outgoing.to_members(session, people),
                                 {"text": text, "buttons": []}, now=now, meeting_id=meeting.id, meeting=meeting.id,
                                 stamp=plan.stamp)
    return queued, f"queued {queued}"


async def _open_nudge(session: AsyncSession, settings: Settings, plan: PlannedMessage, meeting: Meeting,
                      now: datetime) -> tuple[int, str]:
    lang, tz = settings.language, settings.tz
    started = meeting.started_at
    assert started is not None
    first = plan.offset_seconds == int(OPEN_NUDGE_AFTER.total_seconds())
    text = t(lang, "open_nudge.first" if first else "open_nudge.morning", kind=kind_text(lang, meeting.kind.value, meeting.combined),
             start=fmt_time(started, tz), date=fmt_date(started, tz), hours=round((now - started).total_seconds() / 3600))
    today = now.astimezone(tz).date()
    queued = await outgoing.send(session, outgoing.OPEN_NUDGE, await outgoing.leaders(session, meeting.cell_id, today),
                                 {"text": text, "buttons": []}, now=now, meeting_id=meeting.id, meeting=meeting.id,
                                 stamp=plan.stamp, offset=plan.offset_seconds)
    return queued, f"queued {queued}"


async def _missed_nudge(session: AsyncSession, settings: Settings, plan: PlannedMessage, meeting: Meeting,
                        now: datetime) -> tuple[int, str]:
    """The meeting's time has passed and it was never begun on chibo: the secretary and deputies are told
    what to do, whichever is true: record its real start (and end), or move it."""
    lang, tz = settings.language, settings.tz
    scheduled = meeting.scheduled_at.astimezone(tz)
    tomorrow = now.astimezone(tz).date() + timedelta(days=1)
    text = t(lang, "missed_nudge", kind=kind_text(lang, meeting.kind.value, meeting.combined),
             when=fmt_datetime(meeting.scheduled_at, tz), start=fmt_time(scheduled, tz),
             end=fmt_time(scheduled + timedelta(hours=2), tz), day=tomorrow.isoformat())
    today = now.astimezone(tz).date()
    queued = await outgoing.send(session, outgoing.MISSED_NUDGE, await outgoing.leaders(session, meeting.cell_id, today),
                                 {"text": text, "buttons": []}, now=now, meeting_id=meeting.id, meeting=meeting.id,
                                 stamp=plan.stamp)
    return queued, f"queued {queued}"


# --- people who arrive ------------------------------------------------------------------------------
async def catch_up_member(session: AsyncSession, settings: Settings, member: Member, now: datetime) -> int:
    """A member who has just linked (or whose exemption was lifted) hears at once of every meeting
    still ahead (and gets the check-in button of the one in progress); the reminders still to come
    reach them when they fall due. Same keys as the notices and prompts sent to the cell, so no one
    hears twice."""
    tz = settings.tz
    cell = await session.get_one(Cell, member.cell_id)
    me = await outgoing.to_members(session, [member])
    if not me:
        return 0
    queued = 0
    current = await open_meeting(session, member.cell_id)
    if current is not None and current.started_at is not None:  # in progress: the check-in button at once
        lang = settings.language
        prompt = Reply(t(lang, "checkin.prompt", cell=cell.name, kind=kind_text(lang, current.kind.value, current.combined),
                         time=fmt_time(current.started_at, tz)),
                       [[Button(t(lang, "button.checkin"), buttons.Checkin(current.id).encode())]])
        queued += await outgoing.send(session, outgoing.CHECKIN_PROMPT, me, prompt, now=now, meeting_id=current.id,
                                      meeting=current.id)
    for meeting in await upcoming_meetings(session, member.cell_id, now):
        day = meeting.scheduled_at.astimezone(tz).date()
        if not member_span(member).active_on(day) or meeting.created_by_member_id == member.id:
            continue
        queued += await outgoing.send(session, outgoing.NOTICE, me, meeting_reply(settings, cell, meeting, "schedule.notice"),
                                      now=now, meeting_id=meeting.id, meeting=meeting.id,
                                      stamp=_stamp(meeting.scheduled_at))
        queued += await documents.catch_up(session, settings, meeting, member, now)  # sent already to the others
    return queued
