"""Queries more than one flow needs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules import MemberSpan
from rules.names import name_key
from storage.committees import chain, subtree_ids
from storage.models import LEADER_ROLES, Attendance, Cell, ChatLink, GroupLink, Meeting, Member


def member_span(m: Member) -> MemberSpan:
    return MemberSpan(
        member_id=m.id, active_from=m.active_from, active_to=m.active_to, exempt=m.exempt, exempt_since=m.exempt_since
    )


async def active_members(session: AsyncSession, cell_id: int, day: date) -> list[Member]:
    """Members of the cell active on ``day``, by name the Vietnamese way (given name, then family name)."""
    rows = await session.scalars(
        select(Member)
        .where(
            Member.cell_id == cell_id,
            Member.active_from <= day,
            or_(Member.active_to.is_(None), Member.active_to >= day),
        )
        .order_by(Member.id)
    )
    return sorted(rows, key=lambda m: name_key(m.full_name))


async def cell_members(session: AsyncSession, cell_ids: Iterable[int]) -> dict[int, list[Any]]:
    """Every member of each cell (active or not), by id, for ``active_on`` on several days at once: the columns
    a summary reads (``MEMBER_COLUMNS``, as attributes of plain rows: thousands of ORM objects cost more)."""
    out: dict[int, list[Any]] = {}
    for m in await session.execute(select(*MEMBER_COLUMNS).where(Member.cell_id.in_(list(cell_ids))).order_by(Member.id)):
        out.setdefault(m.cell_id, []).append(m)
    return out


MEMBER_COLUMNS = (Member.id, Member.cell_id, Member.full_name, Member.active_from, Member.active_to, Member.exempt,
                  Member.exempt_since)


async def reachable_members(session: AsyncSession, cell_ids: Iterable[int]) -> set[int]:
    """The members of the cells with a chat link that is not blocked (``links_for_members`` finds one)."""
    return set(await session.scalars(
        select(ChatLink.member_id).join(Member, Member.id == ChatLink.member_id)
        .where(Member.cell_id.in_(list(cell_ids)), ChatLink.blocked_at.is_(None))))


def active_on(members: Iterable[Any], day: date) -> list[Any]:
    """Those of ``members`` active on ``day``, by name: what ``active_members`` reads from the database."""
    return sorted((m for m in members if member_span(m).active_on(day)), key=lambda m: name_key(m.full_name))


async def leaders(session: AsyncSession, cell_id: int, day: date) -> list[Member]:
    return [m for m in await active_members(session, cell_id, day) if m.role in LEADER_ROLES]


async def links_for_members(session: AsyncSession, member_ids: Iterable[int]) -> dict[int, ChatLink]:
    """The chat each member is reached on: the reachable link they used last."""
    ids = list(member_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(ChatLink, Member.preferred_platform)
        .join(Member, Member.id == ChatLink.member_id)
        .where(ChatLink.member_id.in_(ids), ChatLink.blocked_at.is_(None))
    )
    best: dict[int, ChatLink] = {}
    for link, preferred in rows:
        assert link.member_id is not None, "joined on the member"
        current = best.get(link.member_id)
        if current is None or _rank(link, preferred) > _rank(current, preferred):
            best[link.member_id] = link
    return best


def _rank(link: ChatLink, preferred) -> tuple[bool, datetime, int]:
    """The chosen channel (/kenh) first, then the one used last (the newer link on a tie): never both."""
    return link.platform == preferred, link.last_seen_at or link.linked_at, link.id


async def group_links(session: AsyncSession, cell_id: int) -> list[GroupLink]:
    return list(await session.scalars(select(GroupLink).where(GroupLink.cell_id == cell_id)))


def _in_progress(cell_id: int) -> tuple:
    return (Meeting.cell_id == cell_id, Meeting.started_at.is_not(None), Meeting.ended_at.is_(None),
            Meeting.cancelled_at.is_(None))


async def open_meeting(session: AsyncSession, cell_id: int, *, to_end: bool = False) -> Meeting | None:
    """The cell's meeting in progress, its row locked until the transaction ends (on PostgreSQL; SQLite
    writes one transaction at a time): for share, so whoever acts on the meeting as open holds it open
    until they commit and /ketthuc (``to_end``: for update) waits for them, then reads what they wrote;
    one who comes while it is being ended waits, and finds it ended."""
    return await session.scalar(
        select(Meeting).where(*_in_progress(cell_id)).order_by(Meeting.started_at.desc()).limit(1)
        .with_for_update(read=not to_end).execution_options(populate_existing=True)
    )


async def in_progress_since(session: AsyncSession, cell_id: int) -> tuple[int, datetime] | None:
    """(id, start) of the cell's meeting in progress, if any, read without a lock (to decide whether a
    message may go now)."""
    row = (await session.execute(select(Meeting.id, Meeting.started_at).where(*_in_progress(cell_id))
                                 .order_by(Meeting.started_at.desc()).limit(1))).first()
    if row is None or row[1] is None:  # in progress means begun: never None
        return None
    return row[0], row[1]


async def committee_upcoming_meetings(session: AsyncSession, committee_id: int, now: datetime,
                                      limit: int = 30) -> list[tuple[Meeting, str]]:
    """(meeting, cell name) of every cell of a committee: not started, not cancelled, from ``now`` on."""
    rows = await session.execute(
        select(Meeting, Cell.name)
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(
            Cell.committee_id.in_(subtree_ids(committee_id)),
            Meeting.cancelled_at.is_(None),
            Meeting.started_at.is_(None),
            Meeting.scheduled_at >= now,
        )
        .order_by(Meeting.scheduled_at, Cell.name)
        .limit(limit)
    )
    return [(meeting, name) for meeting, name in rows.all()]


async def upcoming_meetings(session: AsyncSession, cell_id: int, now: datetime, limit: int = 10) -> list[Meeting]:
    """Meetings not started, not cancelled, scheduled from ``now`` on."""
    rows = await session.scalars(
        select(Meeting)
        .where(
            Meeting.cell_id == cell_id,
            Meeting.cancelled_at.is_(None),
            Meeting.started_at.is_(None),
            Meeting.scheduled_at >= now,
        )
        .order_by(Meeting.scheduled_at)
        .limit(limit)
    )
    return list(rows)


MISSED_LOOKBACK = timedelta(days=7)  # how long a meeting never begun can still be started late, moved or cancelled


async def missed_meeting(session: AsyncSession, cell_id: int, now: datetime, lock: bool = False) -> Meeting | None:
    """The cell's latest meeting whose time has passed (within ``MISSED_LOOKBACK``) and that was never begun
    nor cancelled: the one the secretary was told to record (/batdau HH:MM) or move (/doilich). ``lock``: held
    for update, as /batdau holds the meeting it starts (a second /batdau waits, then no longer finds it)."""
    query = (
        select(Meeting).where(Meeting.cell_id == cell_id, Meeting.started_at.is_(None), Meeting.cancelled_at.is_(None),
                              Meeting.scheduled_at < now, Meeting.scheduled_at >= now - MISSED_LOOKBACK)
        .order_by(Meeting.scheduled_at.desc(), Meeting.id.desc()).limit(1)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def missed_meetings(session: AsyncSession, cell_ids, before: datetime) -> dict[int, Meeting]:
    """Each cell's latest meeting scheduled before ``before`` (the start of today) and never begun nor
    cancelled, for the cells ``cell_ids`` (a list or a select of ids), in one query."""
    ranked = (
        select(Meeting.id, func.row_number().over(partition_by=Meeting.cell_id,
                                                  order_by=(Meeting.scheduled_at.desc(), Meeting.id.desc())).label("n"))
        .where(Meeting.cell_id.in_(cell_ids), Meeting.started_at.is_(None), Meeting.cancelled_at.is_(None),
               Meeting.scheduled_at < before)
        .subquery()
    )
    rows = await session.scalars(select(Meeting).join(ranked, ranked.c.id == Meeting.id).where(ranked.c.n == 1))
    return {m.cell_id: m for m in rows}


async def latest_ended_meeting(session: AsyncSession, cell_id: int) -> Meeting | None:
    return await session.scalar(
        select(Meeting)
        .where(Meeting.cell_id == cell_id, Meeting.ended_at.is_not(None), Meeting.cancelled_at.is_(None))
        .order_by(Meeting.ended_at.desc())
        .limit(1)
    )


async def latest_ended_meetings(session: AsyncSession, committee_id: int) -> dict[int, Meeting]:
    """Each cell's latest ended meeting, for every cell of the committee, in one query."""
    ranked = (
        select(Meeting.id, func.row_number().over(partition_by=Meeting.cell_id,
                                                  order_by=(Meeting.ended_at.desc(), Meeting.id.desc())).label("n"))
        .join(Cell, Cell.id == Meeting.cell_id)
        .where(Cell.committee_id.in_(subtree_ids(committee_id)), Meeting.ended_at.is_not(None), Meeting.cancelled_at.is_(None))
        .subquery()
    )
    rows = await session.scalars(select(Meeting).join(ranked, ranked.c.id == Meeting.id).where(ranked.c.n == 1))
    return {m.cell_id: m for m in rows}


async def open_meeting_and_attendance(session: AsyncSession, cell_id: int, member_id: int,
                                      now: datetime) -> tuple[Meeting, Attendance] | None:
    """The cell's meeting in progress and the member's attendance row for it (created empty if
    missing), in one query; None when no meeting is in progress."""
    found = (await session.execute(
        select(Meeting, Attendance)
        .outerjoin(Attendance, (Attendance.meeting_id == Meeting.id) & (Attendance.member_id == member_id))
        .where(*_in_progress(cell_id)).order_by(Meeting.started_at.desc()).limit(1)
        .with_for_update(read=True, of=Meeting)  # held open until this commits, as ``open_meeting`` does
        .execution_options(populate_existing=True)
    )).first()
    if found is None:
        return None
    meeting, row = found
    return meeting, row if row is not None else new_attendance(session, meeting.id, member_id, now)


async def attendance_row(session: AsyncSession, meeting_id: int, member_id: int, now: datetime) -> Attendance:
    """The member's attendance row for the meeting, created empty if missing."""
    row = await session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.member_id == member_id)
    )
    return row if row is not None else new_attendance(session, meeting_id, member_id, now)


def new_attendance(session: AsyncSession, meeting_id: int, member_id: int, now: datetime) -> Attendance:
    """An empty attendance row for the member, added to the session (written with the transaction)."""
    row = Attendance(meeting_id=meeting_id, member_id=member_id, updated_at=now)
    session.add(row)
    return row


async def next_meeting(session: AsyncSession, cell_id: int, now: datetime) -> Meeting | None:
    """The meeting in progress, or else the first one to come."""
    current = await open_meeting(session, cell_id)
    if current is not None:
        return current
    upcoming = await upcoming_meetings(session, cell_id, now, limit=1)
    return upcoming[0] if upcoming else None


async def telegram_bot_of(session: AsyncSession, cell: Cell) -> str | None:
    """The key of the Telegram bot serving ``cell``: its own, else the nearest committee's up the tree that names
    one (a bot serving a district serves its wards' cells), else None (the default bot)."""
    if cell.telegram_bot:
        return cell.telegram_bot
    return next((c.telegram_bot for c in await chain(session, cell.committee_id) if c.telegram_bot), None)
