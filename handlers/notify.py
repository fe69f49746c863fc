"""Messages from a handler to other people: queued in the outbox in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable

from core import buttons
from core.messages import Button, Reply
from handlers.context import Ctx
from storage.models import Meeting, Member
from storage.outbox import enqueue, enqueue_raw
from storage.queries import active_members, group_links, leaders, links_for_members


def checkin_buttons(ctx: Ctx, meeting_id: int) -> list[list[Button]]:
    return [[Button(ctx.t("button.checkin"), buttons.Checkin(meeting_id).encode())]]


async def to_members(
    ctx: Ctx,
    members: Iterable[Member],
    reply: Reply,
    *,
    kind: str,
    key: str,
    meeting_id: int | None = None,
    priority: int = 5,
) -> int:
    """Queue ``reply`` for each member who has a reachable chat. ``key`` is formatted with
    ``member_id``; returns how many were queued."""
    members = list(members)
    links = await links_for_members(ctx.session, [m.id for m in members])
    count = 0
    for m in members:
        link = links.get(m.id)
        if link is None:
            continue
        if await enqueue(
            ctx.session, key=key.format(member_id=m.id), kind=kind, link=link, payload=reply.to_payload(),
            due_at=ctx.now, now=ctx.now, member_id=m.id, meeting_id=meeting_id, priority=priority,
        ):
            count += 1
    ctx.queued += count
    return count


async def to_leaders(ctx: Ctx, cell_id: int, reply: Reply, *, kind: str, key: str, exclude: int | None = None,
                     meeting_id: int | None = None) -> int:
    people = [m for m in await leaders(ctx.session, cell_id, ctx.today) if m.id != exclude]
    return await to_members(ctx, people, reply, kind=kind, key=key, meeting_id=meeting_id, priority=2)


async def to_cell(ctx: Ctx, meeting: Meeting, reply: Reply, *, kind: str, key: str, exclude: int | None = None,
                  priority: int = 5) -> int:
    """Every active member of the meeting's cell (but ``exclude``)."""
    people = [m for m in await active_members(ctx.session, meeting.cell_id, ctx.today) if m.id != exclude]
    return await to_members(ctx, people, reply, kind=kind, key=key, meeting_id=meeting.id, priority=priority)


async def to_groups(ctx: Ctx, cell_id: int, reply: Reply, *, kind: str, key: str, meeting_id: int | None = None) -> int:
    count = 0
    for group in await group_links(ctx.session, cell_id):
        if await enqueue_raw(ctx.session, dict(
            key=key.format(chat_id=group.chat_id), kind=kind, platform=group.platform, chat_id=group.chat_id,
            member_id=None, meeting_id=meeting_id, payload=reply.to_payload(), priority=1, due_at=ctx.now,
            attempts=0, created_at=ctx.now,
        )):
            count += 1
    ctx.queued += count
    return count
