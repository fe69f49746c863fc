"""Messages from a handler to other people: queued in the outbox in the same transaction (core.outgoing)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core import buttons, outgoing
from core.messages import Button, Reply
from core.outgoing import Message
from handlers.context import Ctx
from storage.models import Meeting, Member


def checkin_buttons(ctx: Ctx, meeting_id: int) -> list[list[Button]]:
    return [[Button(ctx.t("button.checkin"), buttons.Checkin(meeting_id).encode())]]


async def send(ctx: Ctx, message: Message, audience: Iterable[outgoing.Recipient], reply: Reply | dict[str, Any],
               *, meeting_id: int | None = None, **fields: Any) -> int:
    """``outgoing.send`` now, counted in the request's ``queued``."""
    count = await outgoing.send(ctx.session, message, audience, reply, now=ctx.now, meeting_id=meeting_id, **fields)
    ctx.queued += count
    return count


async def to_members(ctx: Ctx, members: Iterable[Member], reply: Reply, message: Message, *,
                     meeting_id: int | None = None, **fields: Any) -> int:
    return await send(ctx, message, await outgoing.to_members(ctx.session, members), reply, meeting_id=meeting_id,
                      **fields)


async def to_leaders(ctx: Ctx, cell_id: int, reply: Reply, message: Message, *, exclude: int | None = None,
                     meeting_id: int | None = None, **fields: Any) -> int:
    return await send(ctx, message, await outgoing.leaders(ctx.session, cell_id, ctx.today, exclude), reply,
                      meeting_id=meeting_id, **fields)


async def to_cell(ctx: Ctx, meeting: Meeting, reply: Reply, message: Message, *, exclude: int | None = None,
                  **fields: Any) -> int:
    """Every active member of the meeting's cell (but ``exclude``); the key's ``meeting`` is the meeting's id."""
    return await send(ctx, message, await outgoing.cell(ctx.session, meeting.cell_id, ctx.today, exclude), reply,
                      meeting_id=meeting.id, meeting=meeting.id, **fields)


async def to_groups(ctx: Ctx, cell_id: int, reply: Reply, message: Message, *, meeting_id: int | None = None,
                    **fields: Any) -> int:
    return await send(ctx, message, await outgoing.groups(ctx.session, cell_id), reply, meeting_id=meeting_id,
                      **fields)


async def roll_call(ctx: Ctx, meeting: Meeting) -> set[str]:
    """The roll-call in the cell's groups brought up to date: one message, edited as members check in or are
    excused (``outgoing.ROLL_CALL``, read as it stands when it goes). Begun only while the meeting is in
    progress; after it ends, one already there is edited once more (its final state, without the button).
    Returns the group chats that keep it."""
    if meeting.started_at is None:
        return set()
    preloaded = ctx.preloaded
    if preloaded is not None and preloaded.meeting is meeting and not preloaded.roll_call:
        return set()  # known with the actor: the cell has no such group (a check-in's statements stay three)
    groups = await outgoing.groups(ctx.session, meeting.cell_id, editable=True)
    if groups:
        ctx.queued += await outgoing.keep_up(ctx.session, outgoing.ROLL_CALL, groups, {"text": "", "buttons": []},
                                             now=ctx.now, meeting_id=meeting.id, create=meeting.ended_at is None,
                                             meeting=meeting.id)
    return {chat[1] for g in groups if (chat := g.chat) is not None}
