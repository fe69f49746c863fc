"""What a handler gets: the services, the request's transaction, the resolved actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.outgoing import EDITABLE_PLATFORMS
from core.services import Services
from core.settings import Settings
from core.texts import example_dates, t
from rules import RuleSet
from storage.committees import Inherited, inherited
from storage.models import (
    LEADER_ROLES,
    Attendance,
    AuditLog,
    Cell,
    ChatLink,
    Committee,
    CommitteeMember,
    GroupLink,
    Meeting,
    Member,
)

T = TypeVar("T")


@dataclass
class Actor:
    link: ChatLink | None = None
    member: Member | None = None
    committee_member: CommitteeMember | None = None
    cell: Cell | None = None
    committee: Committee | None = None
    # The settings set above the committee, for one under another (None: the committee's own are all there is).
    inherited: Inherited | None = None

    @property
    def is_leader(self) -> bool:
        return self.member is not None and self.member.role in LEADER_ROLES

    @property
    def rules(self) -> RuleSet:
        if self.inherited is not None:
            return RuleSet.from_overrides(self.inherited)
        return RuleSet.from_overrides(self.committee) if self.committee else RuleSet()

    @property
    def ref(self) -> str:
        if self.member:
            return f"member:{self.member.id}"
        if self.committee_member:
            return f"committee_member:{self.committee_member.id}"
        return "anonymous"


@dataclass
class Ctx:
    services: Services
    session: AsyncSession
    now: datetime
    actor: Actor
    queued: int = 0
    preloaded: Preloaded | None = None  # the meeting the router loaded with the actor (MeetingWanted)

    # The actor's rows, for flows the router reaches only with them (a linked member has a cell and a
    # committee; a committee member a committee). Reaching one without its row is a bug, not bad input.

    @property
    def link(self) -> ChatLink:
        return _required(self.actor.link, "chat link")

    @property
    def member(self) -> Member:
        return _required(self.actor.member, "member")

    @property
    def cell(self) -> Cell:
        return _required(self.actor.cell, "cell")

    @property
    def committee(self) -> Committee:
        return _required(self.actor.committee, "committee")

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def tz(self) -> ZoneInfo:
        return self.services.settings.tz

    @property
    def lang(self) -> str:
        return self.services.settings.language

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def t(self, key: str, **kwargs: object) -> str:
        """The text ``key``; its examples' dates (``{ex_meeting}`` …) from today's clock, never past."""
        return t(self.lang, key, **{**example_dates(self.today), **kwargs})

    def audit(self, action: str, entity: str, entity_id: int | None, before: dict | None, after: dict | None) -> None:
        self.session.add(
            AuditLog(
                actor=self.actor.ref, action=action, entity=entity, entity_id=entity_id,
                before=before, after=after, at=self.now,
            )
        )


def _required(value: T | None, what: str) -> T:
    if value is None:
        raise RuntimeError(f"this flow needs the actor's {what}, and the request has none")
    return value


@dataclass(frozen=True)
class MeetingWanted:
    """The meeting a request is about, when the router knows it before the flow runs: the cell's meeting in
    progress (a check-in) or one by id (a button). It is loaded with the actor, in the same query."""

    meeting_id: int | None = None  # None: the meeting in progress in the member's cell
    for_update: bool = False  # lock its row for update (to cancel it), not for share


@dataclass
class Preloaded:
    """What ``resolve_actor`` loaded for a ``MeetingWanted``: the meeting (None if there is none) and the
    member's attendance row for it (None if they have none yet)."""

    meeting: Meeting | None
    attendance: Attendance | None
    roll_call: bool = True  # the meeting's cell has a group that keeps a roll-call (False: none to look up)


def _actor_query(shape: str | None) -> Select:
    """The actors' query, for a list of users. With a ``shape`` ("open", "by_id", "by_id_for_update") it also
    brings a meeting and each member's attendance row for it (every meeting of theirs that fits, latest
    first) and whether the meeting's cell has a group keeping a roll-call (``handlers.notify.roll_call``), and locks the meetings' rows until the transaction ends (on PostgreSQL), as
    ``storage.queries.open_meeting`` does: for share, so whoever acts on a meeting in progress holds it open
    until they commit and /ketthuc (for update) waits for them. The meeting is joined, not outer-joined
    (PostgreSQL locks no row on the nullable side of an outer join): a user without one has no row, and
    ``resolve_actors`` asks again without it. Built once per shape (building a select of eight entities costs
    more than running it), values bound per request."""
    person_committee = aliased(Committee)
    query = (
        select(ChatLink, Member, Cell, Committee, CommitteeMember, person_committee)
        .outerjoin(Member, Member.id == ChatLink.member_id)
        .outerjoin(Cell, Cell.id == Member.cell_id)
        .outerjoin(Committee, Committee.id == Cell.committee_id)
        .outerjoin(CommitteeMember, CommitteeMember.id == ChatLink.committee_member_id)
        .outerjoin(person_committee, person_committee.id == CommitteeMember.committee_id)
        .where(ChatLink.platform == bindparam("platform"),
               ChatLink.platform_user_id.in_(bindparam("user_ids", expanding=True)))
    )
    if shape is None:
        return query
    on: ColumnElement[bool]
    if shape == "open":
        on = ((Meeting.cell_id == Member.cell_id) & Meeting.started_at.is_not(None) & Meeting.ended_at.is_(None)
              & Meeting.cancelled_at.is_(None))
    else:
        on = Meeting.id == bindparam("meeting_id")
    has_group = exists().where(GroupLink.cell_id == Meeting.cell_id, GroupLink.platform.in_(EDITABLE_PLATFORMS))
    return (query.add_columns(Meeting, Attendance, has_group)
            .join(Meeting, on)
            .outerjoin(Attendance, (Attendance.meeting_id == Meeting.id) & (Attendance.member_id == Member.id))
            .order_by(Meeting.started_at.desc())  # the latest meeting in progress first
            .with_for_update(read=shape != "by_id_for_update", of=Meeting)
            .execution_options(populate_existing=True))


_ACTOR_QUERIES = {shape: _actor_query(shape) for shape in (None, "open", "by_id", "by_id_for_update")}


def _shape(wanted: MeetingWanted | None) -> tuple[str | None, int | None]:
    if wanted is None:
        return None, None
    if wanted.meeting_id is None:
        return "open", None
    return ("by_id_for_update" if wanted.for_update else "by_id"), wanted.meeting_id


def _actor_of(row: Any) -> Actor:
    if row is None:
        return Actor()
    link, member, cell, committee, person, committee_of_person = row[:6]
    if member is not None:
        return Actor(link=link, member=member, cell=cell, committee=committee)
    # a link belongs to a member or to a committee member (ck_chat_link_owner)
    return Actor(link=link, committee_member=person, committee=committee_of_person)


async def resolve_actor(session: AsyncSession, platform: str, user_id: str,
                        wanted: MeetingWanted | None = None) -> tuple[Actor, Preloaded | None]:
    """The link, and the member, cell and committee (or the committee member and committee) behind
    it, in one query: every request starts with this, so it is one round trip, not four. With ``wanted``,
    the same query brings the meeting and the member's attendance row for it (a check-in's whole read)."""
    return (await resolve_actors(session, [(platform, user_id, wanted)]))[0]


async def resolve_actors(session: AsyncSession, wants: list[tuple[str, str, MeetingWanted | None]]
                         ) -> list[tuple[Actor, Preloaded | None]]:
    """``resolve_actor`` for the requests of one transaction (``core.batching``), each given as (platform,
    user id, meeting wanted): one query for each meeting wanted (under a burst of check-ins, the meeting in
    progress of each member, or the meeting whose button they press), one for the actors found without it.
    A linked actor who wanted a meeting and has none gets an empty ``Preloaded``; nobody in a batch starts
    one (``Command.together`` in handlers.commands), so it stays true for the whole transaction."""
    rows: dict[int, Any] = {}
    preloaded: dict[int, Preloaded] = {}
    groups: dict[tuple[str, str | None, int | None], list[int]] = {}
    for i, (platform, _, wanted) in enumerate(wants):
        groups.setdefault((platform, *_shape(wanted)), []).append(i)
    # In one order in every batch (meeting, then shape), so two batches running at once on PostgreSQL lock
    # the meetings in the same order and cannot deadlock on them.
    for (platform, shape, meeting_id), indexes in sorted(groups.items(), key=lambda g: (g[0][2] or 0, str(g[0][1]),
                                                                                      g[0][0])):
        if shape is None:
            continue
        values: dict[str, object] = {"platform": platform, "user_ids": sorted({wants[i][1] for i in indexes})}
        if meeting_id is not None:
            values["meeting_id"] = meeting_id
        latest: dict[str, Any] = {}
        for row in (await session.execute(_ACTOR_QUERIES[shape], values)).all():
            latest.setdefault(row[0].platform_user_id, row)  # latest meeting first: each user's first row
        for i in indexes:
            found_row = latest.get(wants[i][1])
            if found_row is not None:
                rows[i] = found_row
            preloaded[i] = Preloaded(meeting=found_row[6] if found_row else None,
                                     attendance=found_row[7] if found_row else None,
                                     roll_call=bool(found_row[8]) if found_row else False)
    alone: dict[str, list[int]] = {}
    for i, (platform, _, _) in enumerate(wants):
        if i not in rows:
            alone.setdefault(platform, []).append(i)
    for platform, indexes in alone.items():
        values = {"platform": platform, "user_ids": sorted({wants[i][1] for i in indexes})}
        found = {row[0].platform_user_id: row for row in (await session.execute(_ACTOR_QUERIES[None], values)).all()}
        for i in indexes:
            rows[i] = found.get(wants[i][1])
    # Nobody behind the account: no actor, nothing loaded
    out = [(_actor_of(rows[i]), preloaded.get(i) if rows[i] is not None else None) for i in range(len(wants))]
    for actor, _ in out:  # a committee under another: the rules set above apply unless it sets its own
        if actor.committee is not None and actor.committee.parent_id is not None:
            actor.inherited = await inherited(session, actor.committee.id)
    return out
