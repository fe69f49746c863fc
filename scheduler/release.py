"""Reminder plans let go early enough for the bots' pace (the rule is ``rules.release``).

Before each pass the planner asks :meth:`Releases.early` which reminder plans, not yet due, must be
carried out now so that, at each platform's pace, the last of their messages still arrives by its
intended time; and :meth:`Releases.hopeless` which could only arrive after their meeting has begun
(dropped, counted). It reads what is ahead: the reminder plans not done whose earliest moment is near,
how many linked members each would reach per platform (an estimate: the roster is read again when the
plan is carried out), the messages already queued and unsent (they go first, being older), and the answers to the check-ins
of the meetings that begin meanwhile (one per member at most, in their first fifteen minutes: answers go
before reminders).

Every process computes the same schedule from the shared database; plans are then locked with
``SKIP LOCKED`` by ``planner.send_due`` as before, so each is carried out once."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outgoing
from core.settings import Settings
from rules.quiet import shift_out_of_quiet
from rules.release import EARLY_SHARE, Burst, Release, release_schedule
from storage.models import ChatLink, Meeting, Member, OutboxMessage, PlannedMessage

BACKLOG, ANSWERS = "backlog", "answers"
# Reminders due while members check in are planned to be done a little before their time (a fortieth of
# the offset: 3 minutes of a "2 hours before", 36 of a "1 day before"): the answers go first, and when each
# comes cannot be foreseen exactly.
MARGIN = 40
CHECK_INS = timedelta(minutes=15)  # how long after a meeting's start its members check in
SPAN = timedelta(hours=6)  # beyond the earliest moment: plans this much further ahead weigh on the schedule too
REFRESH = timedelta(seconds=30)  # how long one process trusts its schedule (a plan made meanwhile is still due on time)


def capacity(settings: Settings) -> dict[str, float]:
    """Reminders' share of each platform's pace, messages a second."""
    share = settings.reminder_share
    return {"telegram": settings.telegram_per_second * share, "zalo": settings.zalo_per_second * share}


@dataclass
class Releases:
    """One process's schedule of reminder plans, computed at most every ``refresh``."""

    refresh: timedelta = REFRESH
    computed_at: datetime | None = None
    by_plan: dict[int, list[Release]] = field(default_factory=dict)

    async def update(self, session: AsyncSession, settings: Settings, now: datetime) -> None:
        if self.computed_at is not None and now - self.computed_at < self.refresh and now >= self.computed_at:
            return
        self.by_plan = await schedule(session, settings, now)
        self.computed_at = now

    def early(self, now: datetime) -> list[int]:
        """Plans to carry out now, ahead of their intended time."""
        starts = {plan: min(r.send_not_before for r in parts) for plan, parts in self.by_plan.items()}
        return sorted((plan for plan, start in starts.items() if start <= now), key=lambda p: (starts[p], p))

    def hopeless(self, plan_id: int) -> bool:
        """Every message of the plan is expected only after its meeting has begun."""
        parts = self.by_plan.get(plan_id) or []
        return bool(parts) and all(r.too_late >= r.count for r in parts)

    def forget(self, plan_id: int) -> None:
        self.by_plan.pop(plan_id, None)


async def schedule(session: AsyncSession, settings: Settings, now: datetime) -> dict[int, list[Release]]:
    """The release of every reminder plan not done whose earliest moment is within ``SPAN`` plus the
    largest offset's quarter from ``now``, per platform."""
    offsets = settings.offsets
    if not offsets:
        return {}
    ahead = now + max(offsets) / EARLY_SHARE + SPAN
    plans = list((await session.execute(
        select(PlannedMessage.id, PlannedMessage.due_at, PlannedMessage.offset_seconds, Meeting.cell_id,
               Meeting.scheduled_at)
        .join(Meeting, Meeting.id == PlannedMessage.meeting_id)
        .where(PlannedMessage.done_at.is_(None), PlannedMessage.kind == outgoing.REMINDER.kind,
               PlannedMessage.due_at <= ahead, Meeting.cancelled_at.is_(None), Meeting.started_at.is_(None))
    )).all())
    if not plans:
        return {}
    # Meetings that begin meanwhile: their members check in during the first minutes, and each answer
    # goes before any reminder (priority 0), through the same bots.
    meetings = list((await session.execute(
        select(Meeting.id, Meeting.cell_id, Meeting.scheduled_at).where(
            Meeting.scheduled_at > now - CHECK_INS, Meeting.scheduled_at <= ahead,
            Meeting.cancelled_at.is_(None), Meeting.started_at.is_(None)))).all())
    cells = sorted({p.cell_id for p in plans} | {m.cell_id for m in meetings})
    reach: dict[tuple[int, str], int] = {}
    for start in range(0, len(cells), 5000):
        rows = await session.execute(
            select(Member.cell_id, ChatLink.platform, func.count(func.distinct(Member.id)))
            .join(ChatLink, ChatLink.member_id == Member.id)
            .where(Member.cell_id.in_(cells[start:start + 5000]), ChatLink.blocked_at.is_(None))
            .group_by(Member.cell_id, ChatLink.platform))
        for cell_id, platform, count in rows:
            reach[(cell_id, str(platform))] = count
    rates = capacity(settings)
    starts = sorted(m.scheduled_at for m in meetings)
    bursts: list[Burst] = []
    for plan in plans:
        offset = timedelta(seconds=plan.offset_seconds)
        meeting_at = plan.scheduled_at
        intended = plan.due_at
        earliest_local = (intended - offset / EARLY_SHARE).astimezone(settings.tz)
        earliest = shift_out_of_quiet(earliest_local, settings.quiet, intended)
        for platform in rates:
            count = reach.get((plan.cell_id, platform), 0)
            if count:
                bursts.append(Burst((plan.id, platform), platform, count, meeting_at, offset,
                                    intended - _margin(starts, intended, offset), earliest))
    for meeting in meetings:  # as many answers as members, at most: the bots' time they may take
        for platform in rates:
            count = reach.get((meeting.cell_id, platform), 0)
            if count:
                begins = max(meeting.scheduled_at, now)
                bursts.append(Burst((ANSWERS, meeting.id, platform), platform, count, begins + timedelta(days=365),
                                    timedelta(0), begins + CHECK_INS, begins))
    # Messages already queued and unsent go first: they hold the bot from now.
    for platform, count in (await session.execute(
            select(OutboxMessage.platform, func.count()).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None),
                OutboxMessage.dropped_at.is_(None), OutboxMessage.due_at <= now)
            .group_by(OutboxMessage.platform))).all():
        if str(platform) in rates and count:
            bursts.append(Burst((BACKLOG, str(platform)), str(platform), count, now + timedelta(days=365),
                                timedelta(0), now, now))
    by_plan: dict[int, list[Release]] = {}
    for key, release in release_schedule(bursts, rates).items():
        plan_id = key[0]
        if plan_id not in (BACKLOG, ANSWERS):
            by_plan.setdefault(plan_id, []).append(release)
    return by_plan


def _margin(starts: list[datetime], intended: datetime, offset: timedelta) -> timedelta:
    """How much earlier than ``intended`` a reminder is planned to be done: ``offset / MARGIN`` when a
    meeting's check-ins (its first ``CHECK_INS``) fall within that time, else nothing."""
    margin = offset / MARGIN
    i = bisect.bisect_left(starts, intended - margin - CHECK_INS)
    return margin if i < len(starts) and starts[i] <= intended else timedelta(0)
