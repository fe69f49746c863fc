"""What chibo sends, to whom, how urgently, and what is cut first when a quota runs low.

Every message chibo queues on its own (not the direct answer to a command) is a row of the table
below: its stored kind, its priority (0 goes first; the outbox is sent in priority order), its quota
class (``ESSENTIAL`` or ``REPEATABLE``: a platform short of its monthly budget, Zalo, cuts the
repeatable ones first), whether its content is settled when it goes out (``refreshed``, see
scheduler.delivery.live), whether it is one message kept up to date (``edit_every``: sent once, then edited
in place, at most once in that many seconds: ``keep_up``), and how its outbox key is built. The key is unique in the outbox: queuing the same
message twice (a restart, two processes, a second press) queues it once, so nobody hears twice.

To add a reminder: a row here, an audience (``to_members``, ``leaders``, ``cell``, ``groups``,
``followers``, ``link``, ``chat``) and one ``send(session, ROW, audience, payload, now=..., **key_fields)``.
A message kept up to date (the roll-call in a cell's group) goes through ``keep_up``. A long answer in
several messages goes through ``send_parts``; an answer the adapters could not send at once
through ``defer_reply``: nothing else writes outbox rows.

Stored kinds, keys and priorities are those already in existing databases: never change them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.messages import Reply
from storage.models import ChatLink, Member, Platform
from storage.outbox import ask_again, chat_row, enqueue_chat, enqueue_many, link_row
from storage.queries import active_members, group_links, links_for_members
from storage.queries import leaders as cell_leaders
from storage.tasks import follower_links


class Quota(enum.Enum):
    ESSENTIAL = "essential"  # kept while any budget is left (answers, prompts, notices, summaries)
    REPEATABLE = "repeatable"  # cut first when the budget runs low (nudges, reminders, reports)


ESSENTIAL_UP_TO = 3  # priorities 0..3 are essential, the larger ones repeatable


def quota_of(priority: int) -> Quota:
    """The quota class of a stored row (by its priority, so rows queued by older versions are judged alike)."""
    return Quota.ESSENTIAL if priority <= ESSENTIAL_UP_TO else Quota.REPEATABLE


@dataclass(frozen=True)
class Message:
    kind: str  # stored in outbox.kind
    priority: int  # stored in outbox.priority
    key: str  # the outbox key, formatted with the call's fields and ``to`` (the recipient)
    refreshed: bool = False  # content settled when sent (scheduler.delivery.live)
    edit_every: float = 0.0  # > 0: one message edited in place, at most once in so many seconds (``keep_up``)

    @property
    def quota(self) -> Quota:
        return quota_of(self.priority)

    def key_for(self, **fields: Any) -> str:
        return self.key.format(**fields)

    def field(self, key: str, name: str) -> str | None:
        """A field read back from a stored key of this message (None if the key has another shape)."""
        segments, parts = self.key.split(":"), key.split(":")
        if "{" + name + "}" not in segments or len(parts) != len(segments):
            return None
        return parts[segments.index("{" + name + "}")]


# --- the table ------------------------------------------------------------------------------------
REPLY = Message("reply", 0, "reply:{update}:{index}")  # an answer that could not go at once (``defer_reply``)
CHECKIN_PROMPT = Message("checkin_prompt", 1, "checkin:{meeting}:{to}")  # groups: to = group:<chat id>
CANCEL_NOTICE = Message("cancel_notice", 2, "cancel:{meeting}:{to}")
GUEST_NOTICE = Message("guest_notice", 2, "guest:{meeting}:{guest}:{to}")
QUALITY = Message("quality", 2, "quality:{meeting}:{to}")
SUMMARY = Message("summary", 2, "summary:{meeting}{edit}:{to}")
ABSENCE_WARNING = Message("absence_warning", 2, "absence_warning:{meeting}:{at}:{to}")
ABSENCE_NOTICE = Message("absence_notice", 2, "absence:{meeting}:{member}:{at}:{to}")
TASK_DONE = Message("task_done", 2, "task_done:{task}:{to}")
DELIVERY_FAILED = Message("delivery_failed", 2, "delivery_failed:{member}:{day}:{to}")
UNREACHABLE = Message("unreachable", 2, "unreachable:{member}:{day}:{to}")
RELINK = Message("relink", 2, "relink:{cell}:{bot}:{at}:{to}")  # the cell moved to another Telegram bot
VOTE_OPEN = Message("vote", 1, "vote:{vote}:{to}")  # a vote opened during the meeting: to those present
VOTE_RESULT = Message("vote", 2, "vote_result:{vote}:{to}")
MINUTES = Message("minutes", 2, "minutes:{meeting}:{to}:{at}")  # to = the chat link's id
NOTICE = Message("notice", 3, "notice:{meeting}:{stamp}:{to}")
EXCUSED_BY = Message("absence_notice", 3, "excused_by:{meeting}:{at}:{to}")
TASK_ASSIGNED = Message("task_assigned", 3, "task:{task}:{to}")
TASK_EDITED = Message("task_assigned", 3, "task_edit:{task}:{at}:{to}")
TASK_WITHDRAWN = Message("task_assigned", 3, "task_withdrawn:{task}:{to}")
DUES_RECEIPT = Message("dues_receipt", 3, "dues:{member}:{months}:{at}:{to}")
DUES_COLLECTOR = Message("dues_collector", 3, "dues_collector:{member}:{at}:{to}")
TASK_OVERDUE = Message("task_overdue", 3, "task_overdue:{task}:{day}:{to}")
OPEN_NUDGE = Message("open_nudge", 3, "open:{meeting}:{stamp}:{offset}:{to}")
MISSED_NUDGE = Message("missed_nudge", 3, "missed:{meeting}:{stamp}:{to}")
AUTO_CREATED = Message("nudge", 4, "auto_created:{meeting}:{to}")
NUDGE_REGULAR = Message("nudge", 4, "nudge_regular:{cell}:{period}:{to}")
NUDGE_THEMATIC = Message("nudge", 4, "nudge_thematic:{cell}:{quarter}:{to}")
PREP_NUDGE = Message("prep_nudge", 4, "prep:{meeting}:{stamp}:{to}", refreshed=True)
FOLLOW_NOTICE = Message("follow_notice", 4, "follow:{event}:{meeting}:{stamp}:{to}")
FOLLOW_SUMMARY = Message("summary", 4, "summary:{meeting}{edit}:cm{to}")
QUALITY_REMINDER = Message("quality_reminder", 4, "quality_reminder:{meeting}")
REPORT_JOB = Message("report_job", 4, "report:{platform}:{update}")  # not sent: a long answer to put together
REPORT_PART = Message("report", 4, "{job}:{part}")  # a long answer's parts (``send_parts``): its REPORT_JOB key + number
WEEKLY = Message("weekly", 4, "weekly:{committee}:{week}:{to}{suffix}")  # to = the chat link's id
TASK_REMINDER = Message("task_reminder", 5, "task_reminder:{task}:{days}", refreshed=True)
DOCUMENT = Message("document", 3, "document:{document}:{to}")  # /tailieu: once to each member
COMMENTS = Message("comments", 3, "comments:{meeting}:{stamp}:{to}", refreshed=True)  # /gopy digest to the leaders
# The roll-call in a cell's group: one message, edited as members check in (to = group:<chat id>). Every six
# seconds at most: ten edits a minute, half of Telegram's 20 messages a minute in one group.
ROLL_CALL = Message("roll_call", 2, "rollcall:{meeting}:{to}", refreshed=True, edit_every=6.0)
REMINDER = Message("reminder", 6, "reminder:{meeting}:{stamp}:{offset}:{to}")

TABLE: tuple[Message, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Message))
REFRESHED_KINDS = frozenset(m.kind for m in TABLE if m.refreshed)
EDITED_KINDS = frozenset(m.kind for m in TABLE if m.edit_every)
EDITABLE_PLATFORMS = frozenset({Platform.TELEGRAM})  # where a message sent can be edited (editMessageText)


# --- audiences ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    to: str  # the recipient's part of the key
    link: ChatLink | None = None  # a person's chat
    member_id: int | None = None
    chat: tuple[str, str] | None = None  # (platform, chat id) of a chat known without a link: a cell's group


async def to_members(session: AsyncSession, people: Iterable[Member]) -> list[Recipient]:
    """Each of ``people`` who has a reachable chat."""
    people = list(people)
    links = await links_for_members(session, [m.id for m in people])
    return [Recipient(str(m.id), links[m.id], m.id) for m in people if m.id in links]


async def leaders(session: AsyncSession, cell_id: int, day: date, exclude: int | None = None) -> list[Recipient]:
    """The cell's secretary and deputies (but ``exclude``)."""
    return await to_members(session, [m for m in await cell_leaders(session, cell_id, day) if m.id != exclude])


async def cell(session: AsyncSession, cell_id: int, day: date, exclude: int | None = None) -> list[Recipient]:
    """Every active member of the cell (but ``exclude``)."""
    return await to_members(session, [m for m in await active_members(session, cell_id, day) if m.id != exclude])


async def groups(session: AsyncSession, cell_id: int, *, editable: bool = False) -> list[Recipient]:
    """The cell's group chats (``editable``: only those on a platform where a message can be edited)."""
    return [Recipient(f"group:{g.chat_id}", chat=(g.platform, g.chat_id)) for g in await group_links(session, cell_id)
            if not editable or g.platform in EDITABLE_PLATFORMS]


async def followers(session: AsyncSession, cell_id: int) -> list[Recipient]:
    """The committee members who follow the cell (one chat each)."""
    return [Recipient(str(link.committee_member_id), link) for link in await follower_links(session, cell_id)]


def link(chat: ChatLink | None, member_id: int | None = None, to: str = "") -> list[Recipient]:
    """One chat known already (none if ``chat`` is None)."""
    return [] if chat is None else [Recipient(to or str(chat.id), chat, member_id)]


def chat(platform: str, chat_id: str, member_id: int | None = None) -> list[Recipient]:
    """One chat named by its platform and id (the chat a queued job answers)."""
    return [Recipient(f"{platform}:{chat_id}", None, member_id, (platform, chat_id))]


# --- the one call ---------------------------------------------------------------------------------
Payload = Reply | dict[str, Any]


async def send(session: AsyncSession, message: Message, audience: Iterable[Recipient],
               payload: Payload | Callable[[Recipient], Payload], *, now: datetime, due_at: datetime | None = None, meeting_id: int | None = None,
               **fields: Any) -> int:
    """Queue ``message`` for each recipient (in the caller's transaction, one statement for many of them);
    returns how many were new. ``payload`` may be a function of the recipient (a text that differs from one
    person to another)."""
    due = now if due_at is None else due_at
    rows = []
    for r in audience:
        content = payload(r) if callable(payload) else payload
        body = content.to_payload() if isinstance(content, Reply) else content
        key = message.key_for(to=r.to, **fields)
        if r.chat is not None:
            rows.append(chat_row(key=key, kind=message.kind, platform=r.chat[0], chat_id=r.chat[1], payload=body,
                                 due_at=due, now=now, member_id=r.member_id, meeting_id=meeting_id,
                                 priority=message.priority))
        else:
            assert r.link is not None
            rows.append(link_row(key=key, kind=message.kind, link=r.link, payload=body, due_at=due, now=now,
                                 member_id=r.member_id, meeting_id=meeting_id, priority=message.priority))
    return await enqueue_many(session, rows) if rows else 0


async def keep_up(session: AsyncSession, message: Message, audience: Iterable[Recipient], payload: Payload, *,
                  now: datetime, meeting_id: int | None = None, create: bool = True, **fields: Any) -> int:
    """Bring an edited message (``edit_every``) up to date for each recipient: queued the first time (unless
    ``create`` is False: only one already there is edited); asked for again once it went (edited then,
    ``edit_every`` seconds after it last went at the earliest). Its content is settled when it goes (it is
    ``refreshed``), so however many ask while it waits, it goes once, showing the last state. Returns how many
    were queued or asked for again."""
    assert message.edit_every and message.refreshed, "keep_up is for a message edited in place"
    count = 0
    for r in audience:
        queued = create and await send(session, message, [r], payload, now=now, meeting_id=meeting_id, **fields)
        count += queued or await ask_again(session, message.key_for(to=r.to, **fields), now=now,
                                           gap=timedelta(seconds=message.edit_every))
    return count


async def send_parts(session: AsyncSession, audience: list[Recipient], parts: list[str], *, job: str,
                     now: datetime, extra: dict[str, Any] | None = None) -> int:
    """A long answer in several messages, in order: each part a ``REPORT_PART`` keyed by ``job`` (the
    request's ``REPORT_JOB`` key) and its number; ``extra`` joins every part's payload."""
    count = 0
    for number, part in enumerate(parts, start=1):
        count += await send(session, REPORT_PART, audience, {**Reply(part).to_payload(), **(extra or {})},
                            now=now, job=job, part=number)
    return count


async def defer_reply(sessions: async_sessionmaker[AsyncSession], *, platform: str, chat_id: str, update: str,
                      index: int, payload: dict[str, Any], due_at: datetime, now: datetime) -> bool:
    """The ``index``-th answer to the update ``update`` that could not go now (429, 5xx, timeouts, a dead
    process's): the dispatcher sends it, paced and retried. Its key is the update's and the answer's number,
    so an answer deferred twice (by the adapter, then by the intake after a crash) goes once."""
    async with sessions() as session, session.begin():
        return await enqueue_chat(session, key=REPLY.key_for(update=update, index=index), kind=REPLY.kind,
                                  platform=platform, chat_id=chat_id, payload=payload, due_at=due_at, now=now,
                                  priority=REPLY.priority)
