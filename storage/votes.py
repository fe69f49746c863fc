"""Open votes (biểu quyết) of a meeting: the vote open now, the votes held, the ballots, the voters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.votes import Voter
from storage.models import Attendance, AttendanceStatus, Ballot, Meeting, Member, MemberStatus, Vote
from storage.queries import active_members, member_span
from storage.upsert import insert_for

PRESENT = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


async def open_vote(session: AsyncSession, meeting_id: int, *, lock: bool = False) -> Vote | None:
    """The meeting's vote still open (one at a time), locked for update when ``lock`` (closing it)."""
    query = select(Vote).where(Vote.meeting_id == meeting_id, Vote.closed_at.is_(None)).order_by(Vote.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(query)).first()


async def meeting_votes(session: AsyncSession, meeting_id: int) -> list[Vote]:
    """The meeting's votes in the order they were opened."""
    return (await votes_by_meeting(session, [meeting_id])).get(meeting_id, [])


async def votes_by_meeting(session: AsyncSession, meeting_ids: Iterable[int]) -> dict[int, list[Vote]]:
    """``meeting_votes`` of each of ``meeting_ids`` (those with votes), in one query."""
    out: dict[int, list[Vote]] = {}
    for vote in await session.scalars(select(Vote).where(Vote.meeting_id.in_(list(meeting_ids))).order_by(Vote.id)):
        out.setdefault(vote.meeting_id, []).append(vote)
    return out


async def ballots(session: AsyncSession, vote_id: int) -> dict[int, Ballot]:
    rows = await session.scalars(select(Ballot).where(Ballot.vote_id == vote_id))
    return {b.member_id: b for b in rows}


async def cast_ballot(session: AsyncSession, vote_id: int, member_id: int, approve: bool, at: datetime) -> None:
    """The member's ballot, or their changed mind: one row per member whatever two presses at once do."""
    insert = insert_for(session)
    statement = insert(Ballot).values(vote_id=vote_id, member_id=member_id, approve=approve, at=at)
    await session.execute(statement.on_conflict_do_update(index_elements=["vote_id", "member_id"],
                                                          set_={"approve": approve, "at": at}))


async def voters(session: AsyncSession, meeting: Meeting, day: date) -> tuple[list[Voter], dict[int, Member]]:
    """The cell's members called to the meeting (active on its day) as the vote rules see them, and the
    members by id."""
    members = await active_members(session, meeting.cell_id, day)
    rows = {a.member_id: a for a in await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
    out = []
    for m in members:
        status = rows[m.id].status if m.id in rows else None
        out.append(Voter(m.id, official=m.status == MemberStatus.CHINH_THUC, present=status in PRESENT,
                         excused=status == AttendanceStatus.EXCUSED, exempt=member_span(m).exempt_on(day),
                         suspended=m.suspended))
    return out, {m.id: m for m in members}
