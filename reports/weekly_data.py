"""The rows a committee's weekly summary is computed from, loaded with a fixed number of queries.

Only the columns the summary needs, as plain rows, and attendance counted by the database: a
committee of 300 cells has some 100,000 attendance rows in a year, and an ORM object for each
would cost seconds and hundreds of MB.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import String, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from rules import MemberSpan, RuleSet, expected_members
from rules.names import name_key
from storage import results
from storage.committees import cells_below, rules_for_each, subtree_ids
from storage.models import Attendance, Cell, ChatLink, Meeting, Member


@dataclass
class CommitteeYear:
    """A committee's cells, members and this year's meetings, as the weekly summary reads them."""

    cells: list[tuple[int, str]]  # (id, name), by name
    created: dict[int, datetime]  # cell id -> when it was added to chibo (its record starts there)
    names: dict[str, str]  # member id (text) -> full name
    rosters: dict[int, _Roster]  # cell id -> its members
    meetings: list[_Meeting]  # the meetings (not cancelled) since the start, oldest first
    by_status: dict[int, tuple[str | None, ...]]  # meeting id -> member ids by status (see STATUSES)
    rows_by_meeting: dict[int, dict[int, _Mark]]  # the whole rows of the reported months' meetings
    reachable: set[str]  # member ids (text) with a chat link that is not blocked
    meetings_by_cell: dict[int, list[_Meeting]] = field(default_factory=dict)
    committee_of: dict[int, int] = field(default_factory=dict)  # cell id -> its own (lowest) committee
    rules: dict[int, RuleSet] = field(default_factory=dict)  # cell id -> the rules of its committee (inherited)

    def __post_init__(self) -> None:
        by_cell: dict[int, list[_Meeting]] = defaultdict(list)
        for mt in self.meetings:
            by_cell[mt.cell_id].append(mt)
        self.meetings_by_cell = by_cell

    @property
    def cell_names(self) -> dict[int, str]:
        return dict(self.cells)


async def load(session: AsyncSession, committee_id: int, year_start: datetime,
               months: str | tuple[str, ...]) -> CommitteeYear:
    """Everything from ``year_start`` (the start of the year, or of last month in a January report);
    the attendance rows in full for the meetings of ``months``."""
    months = (months,) if isinstance(months, str) else months
    in_committee = cells_below(committee_id)  # its own cells and those of every committee below it
    # Plain column rows through the session's connection: the ORM's row handling would cost a third more.
    conn = await session.connection()
    cell_rows = (await conn.execute(
        select(Cell.id, Cell.name, Cell.created_at, Cell.committee_id)
        .where(Cell.committee_id.in_(subtree_ids(committee_id))).order_by(Cell.name, Cell.id)
    )).all()
    cells = [(cell_id, name) for cell_id, name, _, _ in cell_rows]
    created = {cell_id: at for cell_id, _, at, _ in cell_rows}
    committee_of = {cell_id: of for cell_id, _, _, of in cell_rows}
    # Each cell is judged by its own committee's rules (set there or above it), whoever looks.
    by_committee = await rules_for_each(session, sorted(set(committee_of.values())))
    cell_rules = {cell_id: by_committee[of] for cell_id, of in committee_of.items()}
    members = (await conn.execute(
        select(Member.id, Member.cell_id, Member.full_name, Member.active_from, Member.active_to, Member.exempt,
               Member.exempt_since)
        .where(Member.cell_id.in_(in_committee)).order_by(Member.cell_id, Member.id)
    )).all()
    names: dict[str, str] = {}
    rosters: dict[int, _Roster] = defaultdict(_Roster)
    for member_id, cell_id, full_name, active_from, active_to, exempt, exempt_since in members:
        names[str(member_id)] = full_name
        rosters[cell_id].add(MemberSpan(member_id=member_id, active_from=active_from, active_to=active_to,
                                        exempt=exempt, exempt_since=exempt_since), full_name)
    year_meetings = (Meeting.cell_id.in_(in_committee), Meeting.cancelled_at.is_(None),
                     Meeting.scheduled_at >= year_start)
    meetings = [_Meeting._make(row) for row in await conn.execute(
        select(Meeting.id, Meeting.cell_id, _text(Meeting.kind), Meeting.period, Meeting.scheduled_at,
               Meeting.started_at, Meeting.ended_at, Meeting.combined)
        .where(*year_meetings).order_by(Meeting.scheduled_at, Meeting.id)  # ties in a stable order
    )]
    # Each meeting's member ids by status, as the text "12,15,31" (one per status, None when nobody): kept
    # when the meeting ended (storage.results), so the year's attendance rows are not counted again.
    by_status = await results.lists(session, [(mt.id, mt.ended_at is not None) for mt in meetings])
    # The whole rows only for this month's meetings (the attendance sheet).
    month_ids = [mt.id for mt in meetings if mt.period in months]
    rows_by_meeting: dict[int, dict[int, _Mark]] = defaultdict(dict)
    if month_ids:
        for meeting_id, member_id, *mark in await conn.execute(
            select(Attendance.meeting_id, Attendance.member_id, _text(Attendance.status),
                   Attendance.reason, Attendance.checked_in_at, Attendance.recorded_by_member_id)
            .where(Attendance.meeting_id.in_(month_ids))
        ):
            rows_by_meeting[meeting_id][member_id] = _Mark._make(mark)
    reachable = {str(i) for i in await conn.scalars(
        select(ChatLink.member_id).where(ChatLink.member_id.in_(select(Member.id).where(Member.cell_id.in_(in_committee))),
                                         ChatLink.blocked_at.is_(None))
    )}
    return CommitteeYear(cells=cells, created=created, names=names, rosters=rosters, meetings=meetings, by_status=by_status,
                         rows_by_meeting=rows_by_meeting, reachable=reachable, committee_of=committee_of,
                         rules=cell_rules)


class _Roster:
    """A cell's members, and who of them is active and expected on a day.

    Whether a member is active or exempt changes only on a few dates (active_from, the day after
    active_to, exempt_since), so every day between two such dates has the same answer: it is
    worked out once, with the rules' own functions, for all the meetings in that stretch."""

    __slots__ = ("_by_name", "_changes", "_on", "names", "spans")

    def __init__(self) -> None:
        self.spans: list[MemberSpan] = []
        self.names: list[str] = []
        self._changes: list[date] | None = None
        self._on: dict[int, tuple[int, list[str], list[str], frozenset[str]]] = {}
        self._by_name: list[tuple[MemberSpan, str]] | None = None

    def add(self, span: MemberSpan, name: str) -> None:
        self.spans.append(span)
        self.names.append(name)

    def on(self, day: date) -> tuple[int, list[str], list[str], frozenset[str]]:
        """(members active, expected member ids, exempt member ids, expected ids as a set), ids as text."""
        if self._changes is None:
            changes = set()
            for s in self.spans:
                changes.add(s.active_from)
                if s.active_to is not None and s.active_to < date.max:
                    changes.add(s.active_to + timedelta(days=1))
                if s.exempt and s.exempt_since is not None:
                    changes.add(s.exempt_since)
            self._changes = sorted(changes)
        stretch = bisect_right(self._changes, day)
        known = self._on.get(stretch)
        if known is None:
            active = [s for s in self.spans if s.active_on(day)]
            expected, exempt = expected_members(active, day)
            expected_ids = [str(i) for i in expected]
            known = (len(active), expected_ids, [str(i) for i in exempt], frozenset(expected_ids))
            self._on[stretch] = known
        return known

    def by_name(self) -> list[tuple[MemberSpan, str]]:
        if self._by_name is None:
            self._by_name = sorted(zip(self.spans, self.names), key=lambda member: name_key(member[1]))
        return self._by_name


class _Meeting(NamedTuple):
    id: int
    cell_id: int
    kind: str  # 'thuong_ky' | 'chuyen_de'
    period: str
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    combined: bool  # a regular meeting held with the quarter's thematic one


class _Mark(NamedTuple):
    """A member's attendance row, as the attendance sheet shows it."""

    status: str | None
    reason: str | None
    checked_in_at: datetime | None
    recorded_by_member_id: int | None


STATUSES = results.STATUSES
ATTENDED = tuple(STATUSES.index(status) for status in ("present", "late"))
NOBODY = results.NOBODY


def _statuses(lists: tuple[str | None, ...]) -> dict[str, str]:
    """{member id: status} of one meeting, from its lists of member ids by status."""
    statuses: dict[str, str] = {}
    for status, ids in zip(STATUSES, lists):
        if ids:
            statuses.update(dict.fromkeys(ids.split(","), status))
    return statuses


def _text(column):
    """An enum column read as its stored text ('present', 'thuong_ky'...), without making enum members."""
    return type_coerce(column, String)


