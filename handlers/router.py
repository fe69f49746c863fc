"""One path for every request: de-duplicate, resolve the actor, check what they may do, run the
flow in one transaction, and wake the dispatcher for what it queued."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from core import buttons
from core.messages import GIVEN_UP, Request, Response, intake_take
from core.metrics import record_batch, record_update
from core.services import Services
from core.texts import t
from handlers import (
    absence,
    checkin,
    corrections,
    dues,
    guests,
    meeting,
    quality,
    reports,
    scheduling,
    speakers,
    tasks,
    votes,
)
from handlers.commands import BY_NAME, TABLE, Command, Flow, Role, parse_plain_command
from handlers.context import Actor, Ctx, MeetingWanted, Preloaded, resolve_actor, resolve_actors
from storage import inbox
from storage.invites import looks_like_code
from storage.models import ChatLink, Meeting, Platform
from storage.outage import deadlocked
from storage.queries import member_span

log = logging.getLogger(__name__)

# What the table of commands (handlers.commands.TABLE) says, as the router asks it.
FLOWS: dict[str, Flow] = {command.name: command.handler for command in TABLE}
YIELD_EVERY = 10  # requests of a batch run between two turns of the event loop


@dataclass(frozen=True)
class Kind:
    """What a request asks, read once (``classify``) from the table of commands and the button codec: both the
    batching (``Kind.together``) and the routing (``_route``) use it."""

    command: Command | None = None  # typed after "/" (known), or said in words
    words: tuple[str, str] | None = None  # a command said in words: its arguments and the words as typed
    pressed: buttons.ButtonData | None = None  # a press, decoded (None: not ours, forged or too old)
    alone: bool = False  # a press not read, or a plain "tối" that may complete a /lichhop asked back

    @property
    def together(self) -> bool:
        """Whether it may be handled with others (``Command.together``): a command typed in words ("ket thuc",
        the usual way on Zalo) counts as the command it names, a press as what its button does."""
        if self.pressed is not None:
            return self.pressed.TOGETHER
        return not self.alone and (self.command is None or self.command.together)


def classify(req: Request) -> Kind:
    """The kind of ``req``: the command it names (with "/" or in words), the button pressed, or a plain text."""
    if req.button is not None:
        pressed = buttons.decode(req.button)
        return Kind(pressed=pressed, alone=pressed is None)  # data not ours go alone
    if req.command is not None:
        return Kind(command=BY_NAME[req.command])
    alone = scheduling.answers_part_of_day(req.text or "")
    said = parse_plain_command(req.text or "")
    if said is None:
        return Kind(alone=alone)
    name, args, typed = said
    return Kind(command=BY_NAME[name], words=(args, typed), alone=alone)


def _command_label(req: Request) -> str:
    """A bounded label for metrics: a known command, "button", "unknown" or "text"."""
    if req.command in BY_NAME:
        return req.command
    if req.button is not None:
        return "button"
    return "unknown" if req.raw_command is not None else "text"


async def handle(services: Services, req: Request) -> Response:
    """Handle one request. Never raises for bad input or a database error; a failure writes nothing."""
    started, outcome = time.monotonic(), "error"
    take = intake_take.get()  # read here: the batch may run in another task
    try:
        if take == GIVEN_UP:
            response = await _given_up(services, req)
            return response
        if take:
            req = replace(req, take=take)
        kind = classify(req)
        response = await services.handling.submit((services, req, kind), _handle_batch, together=kind.together)
        outcome = "duplicate" if response.duplicate else "error" if response.failed else "ok"
        return response
    finally:
        record_update(str(req.platform), _command_label(req), outcome, time.monotonic() - started)


class _AlreadyHandled(Exception):
    """The update's inbox row was marked handled by another request (a second delivery, another process)."""


async def _handle_batch(items: list[tuple[Services, Request, Kind]]) -> list[Response | BaseException]:
    """Run in a database slot (``Services.handling``): the requests that waited for it, in one transaction
    when there are several; when that fails as a whole, each in its own, so every request gets the outcome
    it would have had alone (a duplicate is found, a flow's bug or a database error is its own)."""
    services = items[0][0]
    if len(items) > 1:
        try:
            done = await _handle_together(services, [(req, kind) for _, req, kind in items])
        except Exception as exc:  # rolled back: nothing of the batch was written
            record_batch(len(items), split=True)
            log.info("%d requests taken together are handled one by one (%s)", len(items), type(exc).__name__)
        else:  # committed: what follows must not send the batch round again
            record_batch(len(items))
            for d in done:
                d.after()
            return [d.response for d in done]
    else:
        record_batch(1)
    outcomes: list[Response | BaseException] = []
    for _, req, kind in items:
        try:
            outcomes.append(await _handle(services, req, kind))
        except Exception as exc:  # a bug in a flow: it is this request's (the intake logs it)
            outcomes.append(exc)
    return outcomes


async def _handle(services: Services, req: Request, kind: Kind) -> Response:
    """A connection that the database dropped (a PostgreSQL restart, an idle timeout) is retried once on
    a fresh one, so the first request after it is served; so is a request that lost a race to a concurrent
    one (a unique row written first: the same member checking in from two chats; or a deadlock PostgreSQL broke,
    as when that member's check-in in a batch waits for the other while it waits for the group's roll-call row),
    which then sees what the other wrote. Any other database error answers "busy" (``_busy``)."""
    for attempt in (1, 2):
        try:
            return await _handle_once(services, req, kind)
        except _AlreadyHandled:
            return Response(duplicate=True)
        except DBAPIError as exc:
            if exc.connection_invalidated and attempt == 1:
                log.info("request %s: the database connection was dropped; retrying on a fresh one", req.update_key)
                continue
            if isinstance(exc, IntegrityError) or deadlocked(exc):
                if await _handled_elsewhere(services, req):
                    return Response(duplicate=True)  # the same update, handled by a request that wrote first
                if attempt == 1:
                    log.info("request %s: a concurrent request wrote first; retrying", req.update_key)
                    continue
            log.warning("request %s failed in storage: %s", req.update_key, type(exc.orig or exc).__name__)
        except SQLAlchemyError as exc:
            log.warning("request %s failed in storage: %s", req.update_key, type(exc).__name__)
        break
    return await _busy(services, req)


async def _busy(services: Services, req: Request) -> Response:
    """Nothing of the request was written. Either it is dropped (its inbox row marked handled, so nothing
    takes it again) and the member told to send it again; or, when even that mark cannot be written, the
    intake takes it again in a few seconds and the member is told chibo will retry (then its outcome comes,
    once). Never "not recorded" followed by a record."""
    language = services.settings.language
    try:
        dropped = await inbox.drop(services.sessions, req.platform, req.update_key, services.clock.now())
    except Exception as exc:  # the inbox refuses writes too: the row stays to be taken again
        log.warning("request %s: not dropped either (%s); the intake retries it", req.update_key, type(exc).__name__)
        if req.take:  # told at its first take that chibo retries; then only its outcome
            return Response(failed=True)
        return Response.say(t(language, "busy_will_retry"), failed=True)
    if not dropped and await _handled_elsewhere(services, req):
        return Response(duplicate=True)
    return Response.say(t(language, "busy_retry"), failed=True)


async def _given_up(services: Services, req: Request) -> Response:
    """The intake gives the update up (taken too often): dropped, and the member told once it was not recorded
    (they were told chibo would retry). When even the drop fails, nothing is said: it is given up again later."""
    try:
        dropped = await inbox.drop(services.sessions, req.platform, req.update_key, services.clock.now())
    except Exception as exc:
        log.warning("request %s: given up but not dropped (%s); tried again later", req.update_key, type(exc).__name__)
        return Response(failed=True)
    if not dropped:
        return Response(duplicate=True)
    return Response.say(t(services.settings.language, "busy_given_up"), failed=True)


async def _handle_once(services: Services, req: Request, kind: Kind) -> Response:
    """One transaction: read the actor (with the meeting a check-in or a press names), run the flow, and
    mark the update handled with its answers. The mark is the de-duplication: it only takes an unhandled
    row, and when another request took it first this one is rolled back (a second delivery changes nothing).
    Alone, a check-in is three statements: that read, the mark, the attendance write."""
    marks: set[int] = set()
    try:
        async with services.sessions() as session, session.begin():
            done = await _run(services, session, req, kind)
            if not await inbox.mark_handled(session, req.platform, req.update_key, done.now, reply=done.reply):
                raise _AlreadyHandled
            marks = _take_marks(services)  # last, just before the commit: what went while this one ran
            await inbox.mark_replied_in(session, marks, done.now)
    except BaseException:
        _restore_marks(services, marks)
        raise
    _marks_saved(services, marks)
    done.after()
    return done.response


def _take_marks(services: Services) -> set[int]:
    """The answers sent since the last marks (``bot.runtime.intake``): marked sent by this transaction, a write that
    happens anyway, rather than behind it (on SQLite one transaction writes at a time)."""
    return services.intake.take_marks() if services.intake is not None else set()


def _marks_saved(services: Services, marks: set[int]) -> None:
    if marks and services.intake is not None:
        services.intake.marks_saved(marks)


def _restore_marks(services: Services, marks: set[int]) -> None:
    if marks and services.intake is not None:
        services.intake.restore_marks(marks)


async def _handle_together(services: Services, asked: list[tuple[Request, Kind]]) -> list[_Done]:
    """``_handle_once`` for several requests in one transaction (they are of different chats: the intake
    hands a chat its next update when the last one is done). One statement marks them all handled; if any
    was handled already, or anything fails, the whole transaction is rolled back. The caller runs what
    follows the commit (``_Done.after``)."""
    answered: set[int] = set()
    reqs = [req for req, _ in asked]
    try:
        async with services.sessions() as session, session.begin():
            actors = await resolve_actors(session, [(req.platform, req.user_id, _meeting_wanted(req, kind))
                                                    for req, kind in asked])
            done = []
            for i, ((req, kind), actor) in enumerate(zip(asked, actors, strict=True)):
                if i and i % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # a long batch lets polling, leases and health checks run between requests
                done.append(await _run(services, session, req, kind, actor))
            marks = [inbox.Mark(req.platform, req.update_key, d.reply) for req, d in zip(reqs, done, strict=True)]
            if await inbox.mark_handled_together(session, marks, services.clock.now()) != len(reqs):
                raise _AlreadyHandled
            answered = _take_marks(services)  # last, just before the commit: what went while this one ran
            await inbox.mark_replied_in(session, answered, services.clock.now())
    except BaseException:
        _restore_marks(services, answered)
        raise
    _marks_saved(services, answered)
    return done


@dataclass
class _Done:
    """A request run in a transaction not yet committed: its answer, and what follows the commit."""

    services: Services
    req: Request
    actor: Actor
    now: datetime
    response: Response

    @property
    def reply(self) -> dict:
        """The answers to send, kept with the update's row (sent again after a crash if they did not go)."""
        return {"chat_id": self.req.chat_id, "bot_key": self.req.bot_key,
                "payloads": [r.to_payload() for r in self.response.replies]}

    def after(self) -> None:
        if self.actor.link is not None and not self.req.is_group:
            self.services.last_seen.note(self.actor.link.id, self.now)
        if self.response.queued:
            self.services.wake_dispatcher()


async def _run(services: Services, session: AsyncSession, req: Request, kind: Kind,
               resolved: tuple[Actor, Preloaded | None] | None = None) -> _Done:
    """Resolve the actor (unless ``resolve_actors`` did, for a batch), check what they may do, run the flow."""
    now = services.clock.now()
    actor, preloaded = resolved or await resolve_actor(session, req.platform, req.user_id, _meeting_wanted(req, kind))
    if actor.link is not None and not req.is_group:
        _heard_from(actor.link, req)
    ctx = Ctx(services=services, session=session, now=now, actor=actor, preloaded=preloaded)
    response = await _route(ctx, req, kind)
    response.queued = ctx.queued
    return _Done(services, req, actor, now, response)


def _meeting_wanted(req: Request, kind: Kind) -> MeetingWanted | None:
    """The meeting to load with the actor, when the request names it: a check-in (the meeting in progress)
    or a press on a meeting's button (by id)."""
    if req.command == "checkin" and not req.args.strip():
        return MeetingWanted()
    pressed = kind.pressed
    if pressed is not None and pressed.MEETING and pressed.meeting is not None:
        return MeetingWanted(pressed.meeting, for_update=pressed.FOR_UPDATE)
    return None


def _heard_from(link: ChatLink, req: Request) -> None:
    """What a message tells about its sender's chat: written in the request only when it changed (rare);
    the time they were last seen is written behind the request (``storage.last_seen``)."""
    if req.button is None and link.chat_id != req.chat_id:  # a press names the chat of the message under it
        link.chat_id = req.chat_id
    # The bot they wrote to is the one to reach them by (on Telegram the default bot is no key: NULL).
    if (req.bot_key or req.platform == Platform.TELEGRAM) and link.bot_key != req.bot_key:
        link.bot_key = req.bot_key
    if link.blocked_at is not None:
        link.blocked_at = None  # they wrote to us, so they can be reached again


async def _handled_elsewhere(services: Services, req: Request) -> bool:
    try:
        async with services.sessions() as session:
            return await inbox.is_handled(session, req.platform, req.update_key)
    except SQLAlchemyError:
        return False


async def _route(ctx: Ctx, req: Request, kind: Kind) -> Response:
    actor = ctx.actor
    if req.button is not None:
        return await _button(ctx, req, kind.pressed)
    if req.command is None:
        if req.unreadable:  # Zalo passed no content on (a file, a video…): say what it can take instead
            return Response.say(ctx.t("zalo.unreadable_leader" if actor.is_leader else "zalo.unreadable"))
        if req.raw_command is not None:  # in a group it may be another bot's command: not ours to answer
            return Response() if req.is_group else Response.say(ctx.t("unknown_command"))
        if req.is_group and not req.addressed:
            return Response()  # chatter in a group is not for us
        pending = await absence.pending_reason(ctx, req) if actor.member else None
        if pending is not None:
            return pending
        pending = await scheduling.pending_part_of_day(ctx, req) if actor.member else None
        if pending is not None:  # "tối" answering "7:30 in the morning or the evening?"
            return pending
        if kind.command is not None and kind.words is not None:  # "điểm danh", "xin vắng ốm": commands in words
            args, typed = kind.words
            said = replace(req, command=kind.command.name, args=args, raw_command=typed, text=None)
            return await _command(ctx, said, kind.command)
        if actor.link is None and looks_like_code(req.text or ""):  # Zalo: the invite code is just sent
            code = replace(req, command="start", args=(req.text or "").strip(), text=None)
            return await _command(ctx, code, BY_NAME["start"])
        return Response.say(ctx.t("plain_text") if actor.link else ctx.t("not_linked"))
    assert kind.command is not None and kind.command.name == req.command, "classify read the command typed"
    return await _command(ctx, req, kind.command)


async def _command(ctx: Ctx, req: Request, command: Command) -> Response:
    """A command, typed after "/" or in words: what its row of the table allows, then its flow."""
    actor = ctx.actor
    if req.is_group and not command.in_groups:
        return Response.say(ctx.t("private_only"))
    if actor.link is None and command.role is not Role.ANYONE:
        return Response.say(ctx.t("not_linked"))
    if actor.member is not None and not member_span(actor.member).active_on(ctx.today) \
            and command.role is not Role.ANYONE:
        return Response.say(ctx.t("member.inactive", cell=ctx.cell.name))
    if actor.link is not None and actor.link.pending_action and not command.keeps_question:
        actor.link.pending_action = actor.link.pending_meeting_id = None  # a new command drops the question
        actor.link.pending_text = None
    return await FLOWS[command.name](ctx, req)


async def _button(ctx: Ctx, req: Request, pressed: buttons.ButtonData | None) -> Response:
    """A press (``pressed`` None: forged, malformed or too old to be read)."""
    actor = ctx.actor
    if actor.committee_member is not None and isinstance(pressed, buttons.Guest | buttons.Checkin):
        return await guests.button(ctx, pressed.meeting_id)  # a guest from the committee: the meeting chosen, or a group's check-in button
    if actor.committee_member is not None and isinstance(pressed, buttons.Unit):
        return await reports.unit_pressed(ctx, req, pressed)  # /baocao one level down
    if actor.member is None:
        return Response(toast=ctx.t("not_linked") if actor.link is None else ctx.t("not_member"))
    if not member_span(actor.member).active_on(ctx.today):
        return Response(toast=ctx.t("member.inactive", cell=ctx.cell.name))
    if isinstance(pressed, buttons.TaskDone):
        return await tasks.pressed_done(ctx, pressed)
    if isinstance(pressed, buttons.DuesPaid):
        return await dues.pressed_paid(ctx, pressed)
    if isinstance(pressed, buttons.Quality):  # the meeting has ended: its own checks
        return await quality.button(ctx, pressed)
    if isinstance(pressed, buttons.VoteChoice):  # a ballot under an open vote: its own checks
        return await votes.pressed(ctx, pressed)
    if isinstance(pressed, buttons.PartOfDay):  # "7:30 in the morning or the evening?" answered
        return await scheduling.part_of_day_chosen(ctx, req, pressed.hhmm)
    meeting_id = pressed.meeting if pressed is not None else None
    if pressed is None or meeting_id is None:
        return Response(toast=ctx.t("stale_button"))
    # Loaded and locked with the actor (_meeting_wanted), else here, locked as ``open_meeting`` locks it: a press
    # that acts on a meeting in progress holds it open until this commits (for update to cancel it: a share
    # lock then an update would deadlock two presses).
    target = ctx.preloaded.meeting if ctx.preloaded is not None else await ctx.session.get(
        Meeting, meeting_id, with_for_update={"read": not pressed.FOR_UPDATE}, populate_existing=True)
    if target is None or target.cancelled_at is not None or (target.ended_at is not None and not pressed.AFTER_END):
        return Response(toast=ctx.t("stale_button"))
    if target.cell_id != ctx.cell.id:
        return Response(toast=ctx.t("foreign_meeting"))
    if isinstance(pressed, buttons.Absent):  # "which meeting?" answered (the reason may be waiting)
        return await absence.absent_button(ctx, target)
    if isinstance(pressed, buttons.Checkin):
        if target.started_at is None:
            return Response(toast=ctx.t("stale_button"))
        return await checkin.checkin_button(ctx, target)
    if isinstance(pressed, buttons.Rsvp):
        if target.started_at is not None and pressed.answer == "yes":
            return await checkin.checkin_button(ctx, target)
        return await absence.rsvp_button(ctx, target, pressed.answer)
    if isinstance(pressed, buttons.ExcuseFor):
        return await corrections.excuse_for_button(ctx, target, pressed.member_id)
    if isinstance(pressed, buttons.Spoke):
        return await speakers.spoke_button(ctx, target, pressed.member_id)
    if isinstance(pressed, buttons.EndNow):
        if target.started_at is None:
            return Response(toast=ctx.t("stale_button"))
        return await meeting.end_button(ctx, target, pressed)
    if isinstance(pressed, buttons.Cancel):
        return await scheduling.cancel_button(ctx, target, pressed.answer)
    return Response(toast=ctx.t("stale_button"))
