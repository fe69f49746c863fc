"""What a handler gets: the services, the request's transaction, the resolved actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.services import Services
from core.settings import Settings
from core.texts import t
from rules import RuleSet
from storage.models import LEADER_ROLES, AuditLog, Cell, ChatLink, Committee, CommitteeMember, Member


@dataclass
class Actor:
    link: ChatLink | None = None
    member: Member | None = None
    committee_member: CommitteeMember | None = None
    cell: Cell | None = None
    committee: Committee | None = None

    @property
    def is_leader(self) -> bool:
        return self.member is not None and self.member.role in LEADER_ROLES

    @property
    def rules(self) -> RuleSet:
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
        return t(self.lang, key, **kwargs)

    def audit(self, action: str, entity: str, entity_id: int | None, before: dict | None, after: dict | None) -> None:
        self.session.add(
            AuditLog(
                actor=self.actor.ref, action=action, entity=entity, entity_id=entity_id,
                before=before, after=after, at=self.now,
            )
        )


async def resolve_actor(session: AsyncSession, platform: str, user_id: str) -> Actor:
    link = await session.scalar(
        select(ChatLink).where(ChatLink.platform == platform, ChatLink.platform_user_id == user_id)
    )
    if link is None:
        return Actor()
    actor = Actor(link=link)
    if link.member_id is not None:
        actor.member = await session.get(Member, link.member_id)
        actor.cell = await session.get(Cell, actor.member.cell_id)
        actor.committee = await session.get(Committee, actor.cell.committee_id)
    else:
        actor.committee_member = await session.get(CommitteeMember, link.committee_member_id)
        actor.committee = await session.get(Committee, actor.committee_member.committee_id)
    return actor
