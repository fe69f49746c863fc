"""Who is looking, and what they may see.

A committee member sees every cell of their committee and of every committee below it (a district's
member sees its wards' cells, a ward's member nothing of the ward beside it); a secretary or deputy secretary their own
cell; any other member only their own attendance and tasks. Everything is read from the database
on each request (the token only names the chat account), so an account unlinked, a member who
left, or a secretary who stepped down loses access at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from storage.committees import subtree
from storage.models import LEADER_ROLES, Cell, ChatLink, CommitteeMember, Member
from storage.queries import member_span

COMMITTEE, LEADER, MEMBER = "committee", "leader", "member"


@dataclass(frozen=True)
class Viewer:
    link_id: int
    kind: str  # COMMITTEE | LEADER | MEMBER
    committee_id: int
    cell_id: int | None = None
    member_id: int | None = None
    below: frozenset[int] = frozenset()  # a committee member's committee and every committee below it

    def may_see_committee(self, committee_id: int) -> bool:
        return self.kind == COMMITTEE and committee_id in self.below

    def may_see_cell(self, cell: Cell | None) -> bool:
        if cell is None:
            return False
        if self.kind == COMMITTEE:
            return cell.committee_id in self.below
        return self.kind == LEADER and cell.id == self.cell_id

    def may_see_member(self, member_id: int) -> bool:
        return self.member_id is not None and member_id == self.member_id


async def viewer_for_link(session: AsyncSession, link_id: int, today: date) -> Viewer | None:
    link = await session.get(ChatLink, link_id)
    if link is None:
        return None
    if link.committee_member_id is not None:
        person = await session.get(CommitteeMember, link.committee_member_id)
        if person is None:
            return None
        return Viewer(link_id=link.id, kind=COMMITTEE, committee_id=person.committee_id,
                      below=frozenset(await subtree(session, person.committee_id)))
    member = await session.get(Member, link.member_id)
    if member is None or not member_span(member).active_on(today):
        return None
    cell = await session.get(Cell, member.cell_id)
    assert cell is not None  # a member's cell (foreign key)
    kind = LEADER if member.role in LEADER_ROLES else MEMBER
    return Viewer(link_id=link.id, kind=kind, committee_id=cell.committee_id, cell_id=cell.id, member_id=member.id)
