"""The papers before a meeting (/tailieu) and the members' comments on them (/gopy).

A document goes to the members with the meeting's next reminder (``send_documents`` from the planner), and
from then on to anyone who links later (``catch_up``): one outbox row per document and member, so nobody gets
it twice. Comments reach the leaders together: the first comment queues one digest a few hours later (out of
the quiet hours); those that come before it goes are carried by the same digest (``digest_stamp``), whose text
is settled when it is sent (``digest_payload``, scheduler.delivery.live)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outgoing
from core.files import signed_url
from core.messages import Reply
from core.settings import Settings
from core.texts import Html, fmt_datetime, kind_text, t
from rules import shift_out_of_quiet
from storage.models import Meeting, MeetingComment, MeetingDocument, Member, OutboxMessage, Platform

DIGEST_AFTER = timedelta(hours=3)  # the comments of these hours go together in one message


async def documents_of(session: AsyncSession, meeting_id: int, *, released: bool = False) -> list[MeetingDocument]:
    query = select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id)
    if released:
        query = query.where(MeetingDocument.released_at.is_not(None))
    return list(await session.scalars(query.order_by(MeetingDocument.id)))


def document_reply(settings: Settings, meeting: Meeting, document: MeetingDocument, number: int,
                   platform: str | None, now: datetime) -> dict[str, Any]:
    """The paper as sent to a chat on ``platform``: a file goes on by its reference on the platform it came from;
    elsewhere its name is said (the platform's reference means nothing there)."""
    lang, tz = settings.language, settings.tz
    text = t(lang, "documents.sent", number=number, kind=kind_text(lang, meeting.kind.value, meeting.combined),
             when=fmt_datetime(meeting.scheduled_at, tz), text=document.text)
    payload = Reply(text).to_payload()
    copy = Path(settings.reports_dir) / document.file_copy if document.file_copy else None
    if document.file_id is not None:
        if platform == document.platform:
            payload["files"] = [{"file_id": document.file_id, "kind": document.file_kind, "name": document.file_name}]
        elif platform == Platform.TELEGRAM and copy is not None and copy.exists():  # Telegram takes an upload
            payload["files"] = [{"path": str(copy), "kind": document.file_kind, "name": document.file_name}]
        elif copy is not None and (url := signed_url(settings, copy, now)):
            payload["text"] += t(lang, "documents.file_link", name=document.file_name or "", url=url)
        else:
            payload["text"] += t(lang, "documents.file_elsewhere", name=document.file_name or "")
    return payload


async def send_documents(session: AsyncSession, settings: Settings, meeting: Meeting,
                         audience: list[outgoing.Recipient], now: datetime, *, release: bool = True) -> int:
    """The meeting's documents to ``audience`` (each once); ``release``: those not yet sent are from now on
    sent to whoever links later too."""
    queued = 0
    for number, document in enumerate(await documents_of(session, meeting.id, released=not release), 1):
        if document.released_at is None:
            document.released_at = now

        def payload(r: outgoing.Recipient, d: MeetingDocument = document, n: int = number) -> dict[str, Any]:
            return document_reply(settings, meeting, d, n, str(r.link.platform) if r.link else None, now)

        queued += await outgoing.send(session, outgoing.DOCUMENT, audience, payload, now=now, meeting_id=meeting.id,
                                      document=document.id)
    return queued


async def catch_up(session: AsyncSession, settings: Settings, meeting: Meeting, member: Member, now: datetime) -> int:
    """A member who links after the documents went out gets them now."""
    return await send_documents(session, settings, meeting, await outgoing.to_members(session, [member]), now,
                                release=False)


async def pending_digest_stamp(session: AsyncSession, meeting_id: int) -> int | None:
    """The digest of comments queued for the meeting and not sent yet: the comments of now join it."""
    row = await session.scalar(select(OutboxMessage.key).where(
        OutboxMessage.meeting_id == meeting_id, OutboxMessage.kind == outgoing.COMMENTS.kind,
        OutboxMessage.sent_at.is_(None), OutboxMessage.dropped_at.is_(None)).limit(1))
    stamp = outgoing.COMMENTS.field(row, "stamp") if row is not None else None
    return int(stamp) if stamp is not None else None


def digest_due(settings: Settings, meeting: Meeting, now: datetime) -> datetime:
    """A few hours after the first comment, out of the quiet hours, and not after the meeting starts."""
    due = min(now + DIGEST_AFTER, meeting.scheduled_at).astimezone(settings.tz)
    return shift_out_of_quiet(due, settings.quiet, meeting.scheduled_at)


async def digest_payload(session: AsyncSession, settings: Settings, row: OutboxMessage) -> dict[str, Any] | None:
    """The digest's text when it goes out: every comment it carries, by member."""
    stamp = outgoing.COMMENTS.field(row.key, "stamp")
    meeting = await session.get(Meeting, row.meeting_id) if row.meeting_id is not None else None
    if stamp is None or meeting is None:
        return None
    rows = (await session.execute(
        select(Member.full_name, MeetingComment.text).join(Member, Member.id == MeetingComment.member_id)
        .where(MeetingComment.meeting_id == meeting.id, MeetingComment.digest_stamp == int(stamp))
        .order_by(MeetingComment.id))).all()
    if not rows:
        return None
    lang, tz = settings.language, settings.tz
    items = "\n".join(t(lang, "comments.item", name=name, text=text) for name, text in rows)
    text = t(lang, "comments.digest", count=len(rows), kind=kind_text(lang, meeting.kind.value, meeting.combined),
             when=fmt_datetime(meeting.scheduled_at, tz), items=Html(items))
    return Reply(text).to_payload()


async def comments_of(session: AsyncSession, meeting_id: int) -> list[tuple[str, str]]:
    """(member name, comment) of every comment on the meeting's documents, in the order they came."""
    rows = await session.execute(
        select(Member.full_name, MeetingComment.text).join(Member, Member.id == MeetingComment.member_id)
        .where(MeetingComment.meeting_id == meeting_id).order_by(MeetingComment.id))
    return [(name, text) for name, text in rows]
