"""Linking a chat account (/start CODE), help, and linking a group chat to a cell."""

from __future__ import annotations

import logging

from sqlalchemy import select

from core.messages import Request, Response
from core.settings import DEFAULT_TELEGRAM_BOT, DEFAULT_ZALO_BOT
from core.texts import echo, fmt_date, fmt_datetime
from handlers.context import Ctx
from rules.guessing import MAX_FAILURES, is_locked
from rules.names import fold
from scheduler import planner
from storage import guesses, invites
from storage.models import (
    Cell,
    ChatLink,
    Committee,
    CommitteeMember,
    GroupLink,
    InviteCode,
    InviteKind,
    Member,
    Platform,
)
from storage.queries import telegram_bot_of

log = logging.getLogger(__name__)


def _check_code(ctx: Ctx, invite: InviteCode | None, code: str, kinds: set[InviteKind]) -> str | None:
    """The error text for an unusable code, or None."""
    if invite is None or invite.kind not in kinds:
        return ctx.t("code.unknown", code=echo(code, 20))
    if invite.used_at is not None:
        return ctx.t("code.used", code=echo(code, 20))
    if invite.expires_at <= ctx.now:
        return ctx.t("code.expired", code=echo(code, 20), date=fmt_date(invite.expires_at, ctx.tz))
    return None


async def _guess(ctx: Ctx, req: Request, code: str, kinds: set[InviteKind]) -> tuple[InviteCode | None, Response | None]:
    """The invite for ``code``, or the answer that refuses it. Wrong codes are counted per account and
    platform: after the fifth in an hour every guess, right or wrong, is refused until the hour is out."""
    state = await guesses.state_of(ctx.session, req.platform, req.user_id)
    if is_locked(state, ctx.now):
        assert state is not None and state.locked_until is not None, "is_locked needs a lock"
        return None, Response.say(ctx.t("code.locked", count=MAX_FAILURES, until=fmt_datetime(state.locked_until, ctx.tz)))
    invite = await invites.find(ctx.session, code)
    error = _check_code(ctx, invite, code, kinds)
    if error is None:
        return invite, None
    if invite is None or invite.kind not in kinds:  # a wrong code (used or expired ones were real)
        state, row_id = await guesses.record_failure(ctx.session, req.platform, req.user_id, ctx.now)
        if state.locked_until is not None:  # chibo's own row named, never the person's account id
            log.warning("invite-code guessing: %s account of code_guesses %d locked until %s after %d wrong codes",
                        req.platform, row_id, state.locked_until.isoformat(timespec="minutes"), state.failures)
            return None, Response.say(ctx.t("code.locked", count=MAX_FAILURES, until=fmt_datetime(state.locked_until, ctx.tz)))
    return None, Response.say(error)


async def start(ctx: Ctx, req: Request) -> Response:
    code = req.args.split()[0] if req.args.split() else ""
    if ctx.actor.link is not None and not code:
        return Response.say(ctx.t("start.already", name=_actor_name(ctx)))
    if not code:
        return Response.say(ctx.t("start.no_code"))
    invite, refusal = await _guess(ctx, req, code, {InviteKind.MEMBER, InviteKind.COMMITTEE})
    if refusal is not None:
        return refusal
    assert invite is not None, "_check_code gives an error for no invite"
    if ctx.actor.link is not None:
        return Response.say(ctx.t("start.already", name=_actor_name(ctx)))

    other_telegram = await _telegram_bot_serving(ctx, req, invite)
    if other_telegram is not None:
        return Response.say(_to_other_telegram_bot(ctx, other_telegram, invite.code))
    wrong_bot = await _served_by_another_bot(ctx, req, invite)
    if wrong_bot:
        return Response.say(ctx.t("start.wrong_bot", bot=wrong_bot))
    invite.used_at = ctx.now
    link = ChatLink(
        platform=req.platform,
        bot_key=req.bot_key,
        platform_user_id=req.user_id,
        chat_id=req.chat_id,
        member_id=invite.member_id,
        committee_member_id=invite.committee_member_id,
        display_name=req.display_name[:200] or None,
        linked_at=ctx.now,
        last_seen_at=ctx.now,
    )
    # A new link to the same person on the same platform replaces the old one (new phone).
    owner_filter = (
        ChatLink.member_id == invite.member_id
        if invite.member_id is not None
        else ChatLink.committee_member_id == invite.committee_member_id
    )
    for old in await ctx.session.scalars(select(ChatLink).where(ChatLink.platform == req.platform, owner_filter)):
        await ctx.session.delete(old)
    await ctx.session.flush()
    ctx.session.add(link)
    await ctx.session.flush()
    ctx.actor.link = link
    if invite.member_id is not None:
        member = await ctx.session.get_one(Member, invite.member_id)
        cell = await ctx.session.get_one(Cell, member.cell_id)
        ctx.actor.member, ctx.actor.cell = member, cell
        ctx.audit("link_account", "member", member.id, None, {"platform": str(req.platform)})
        ctx.queued += await planner.catch_up_member(ctx.session, ctx.settings, member, ctx.now)  # meetings ahead
        return Response.say(ctx.t("start.linked_member", name=member.full_name, cell=cell.name))
    person = await ctx.session.get_one(CommitteeMember, invite.committee_member_id)
    committee = await ctx.session.get_one(Committee, person.committee_id)
    ctx.actor.committee_member = person
    ctx.audit("link_account", "committee_member", person.id, None, {"platform": str(req.platform)})
    return Response.say(ctx.t("start.linked_committee", name=person.full_name, committee=committee.name))


async def _served_by_another_bot(ctx: Ctx, req: Request, invite: InviteCode) -> str | None:
    """On Zalo each bot serves the cells assigned to it: the key of the right bot, if this is not it."""
    if req.platform != Platform.ZALO or invite.member_id is None:
        return None
    member = await ctx.session.get_one(Member, invite.member_id)
    cell = await ctx.session.get_one(Cell, member.cell_id)
    expected = cell.zalo_bot or DEFAULT_ZALO_BOT
    return expected if (req.bot_key or DEFAULT_ZALO_BOT) != expected else None


async def _telegram_bot_serving(ctx: Ctx, req: Request, invite: InviteCode) -> str | None:
    """With several Telegram bots, each serves the committees and cells assigned to it: the key of the
    right bot ("telegram" for the default), if this is not it. A bot no longer configured serves nobody:
    its cells fall back to the default bot."""
    bots = ctx.settings.telegram_tokens()
    if req.platform != Platform.TELEGRAM or invite.member_id is None or len(bots) < 2:
        return None
    member = await ctx.session.get_one(Member, invite.member_id)
    expected = await telegram_bot_of(ctx.session, await ctx.session.get_one(Cell, member.cell_id))
    expected = expected if expected in bots and expected != DEFAULT_TELEGRAM_BOT else None
    if expected == req.bot_key:
        return None
    return expected or DEFAULT_TELEGRAM_BOT


def _to_other_telegram_bot(ctx: Ctx, bot_key: str, code: str) -> str:
    username = ctx.settings.telegram_username(bot_key)
    if username is None:
        return ctx.t("start.wrong_telegram_bot_unnamed", bot=bot_key)
    return ctx.t("start.wrong_telegram_bot", bot=username, link=f"https://t.me/{username}?start={code}")


def _actor_name(ctx: Ctx) -> str:
    if ctx.actor.member:
        return ctx.actor.member.full_name
    if ctx.actor.committee_member:
        return ctx.actor.committee_member.full_name
    return ""


async def link_group(ctx: Ctx, req: Request) -> Response:
    """In private, a leader gets a group code; in a group, ``/lienket CODE`` links the group."""
    actor = ctx.actor
    if not req.is_group:
        if not actor.is_leader:
            return Response.say(ctx.t("not_leader"))
        issued = await invites.issue(
            ctx.session, InviteKind.GROUP, ctx.now, cell_id=ctx.cell.id, validity=invites.GROUP_CODE_VALIDITY
        )
        return Response.say(ctx.t("group.code", code=issued.code, expires=fmt_datetime(issued.expires_at, ctx.tz)))
    code = req.args.split()[0] if req.args.split() else ""
    if not code:
        return Response.say(ctx.t("group.usage"))
    invite, refusal = await _guess(ctx, req, code, {InviteKind.GROUP})
    if refusal is not None:
        return refusal
    assert invite is not None, "_check_code gives an error for no invite"
    if not actor.is_leader or ctx.cell.id != invite.cell_id:
        return Response.say(ctx.t("group.wrong_cell"))
    invite.used_at = ctx.now
    existing = await ctx.session.scalar(
        select(GroupLink).where(GroupLink.platform == req.platform, GroupLink.chat_id == req.chat_id)
    )
    if existing is not None:
        existing.cell_id = invite.cell_id
        existing.linked_at = ctx.now
    else:
        ctx.session.add(GroupLink(platform=req.platform, chat_id=req.chat_id, cell_id=invite.cell_id, linked_at=ctx.now))
    ctx.audit("link_group", "cell", invite.cell_id, None, {"platform": str(req.platform)})
    return Response.say(ctx.t("group.linked", cell=ctx.cell.name))


async def channel(ctx: Ctx, req: Request) -> Response:
    """/kenh telegram|zalo: where proactive messages go (never to both)."""
    member = ctx.actor.member
    if member is None:
        return Response.say(ctx.t("not_member"))
    choice = fold(req.args.split()[0]) if req.args.split() else ""
    if choice not in {p.value for p in Platform}:
        current = member.preferred_platform or ctx.t("channel.last_used")
        return Response.say(ctx.t("channel.usage", current=current))
    platform = str(choice)
    linked = await ctx.session.scalar(
        select(ChatLink.id).where(ChatLink.member_id == member.id, ChatLink.platform == platform))
    if linked is None:
        return Response.say(ctx.t("channel.not_linked", platform=platform.capitalize()))
    member.preferred_platform = platform
    ctx.audit("channel", "member", member.id, None, {"platform": platform})
    return Response.say(ctx.t("channel.done", platform=platform.capitalize()))
