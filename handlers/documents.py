"""The papers before a meeting: the secretary or a deputy attaches a text (/tailieu) to the meeting ahead; it goes
to the members with the next reminder (at once when no reminder is left). Members comment on it (/gopy); the
leaders get the comments together in one digest (core.documents)."""

from __future__ import annotations

from sqlalchemy import select

from core import documents, outgoing
from core.messages import Request, Response
from core.texts import fmt_datetime
from handlers.context import Ctx
from handlers.describe import when
from rules.names import fold
from scheduler import planner
from storage.models import Meeting, MeetingComment, MeetingDocument, PlannedMessage
from storage.queries import upcoming_meetings

MAX_DOCUMENT = 3500
MAX_COMMENT = 1000
FILE_TYPES = ("pdf", "doc", "docx", "jpg", "jpeg", "png")


async def _ahead(ctx: Ctx) -> Meeting | None:
    upcoming = await upcoming_meetings(ctx.session, ctx.cell.id, ctx.now, limit=1)
    return upcoming[0] if upcoming and upcoming[0].started_at is None else None


async def add(ctx: Ctx, req: Request) -> Response:
    """/tailieu NỘI DUNG: attached to the meeting ahead; alone: the documents attached so far."""
    if not ctx.actor.is_leader or ctx.actor.cell is None:
        return Response.say(ctx.t("not_leader"))
    meeting = await _ahead(ctx)
    if meeting is None:
        return Response.say(ctx.t("documents.no_meeting"))
    text = req.args.strip()
    if req.file is not None:
        return await _add_file(ctx, meeting, req, text)
    if not text:
        count = len(await documents.documents_of(ctx.session, meeting.id))
        return Response.say(ctx.t("documents.usage", when=when(ctx, meeting), count=count))
    first, rest = [*text.split(maxsplit=1), "", ""][:2]
    if fold(first) in ("bo", "xoa") and rest.strip().isdigit():  # "/tailieu bỏ 2": one attached by mistake
        return await _remove(ctx, meeting, int(rest.strip()))
    if len(text) > MAX_DOCUMENT:
        return Response.say(ctx.t("documents.too_long", length=len(text), limit=MAX_DOCUMENT))
    document = MeetingDocument(meeting_id=meeting.id, text=text, added_by_member_id=ctx.member.id, added_at=ctx.now)
    return await _attach(ctx, meeting, document)


async def _add_file(ctx: Ctx, meeting: Meeting, req: Request, caption: str) -> Response:
    """A PDF, a Word file or a picture sent with /tailieu in its caption."""
    file = req.file
    assert file is not None, "add calls this for a file only"
    extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    if file.kind != "photo" and extension not in FILE_TYPES:
        return Response.say(ctx.t("documents.file_type", name=file.name))
    if len(caption) > MAX_DOCUMENT:
        return Response.say(ctx.t("documents.too_long", length=len(caption), limit=MAX_DOCUMENT))
    document = MeetingDocument(meeting_id=meeting.id, text=caption or file.name, added_by_member_id=ctx.member.id,
                               added_at=ctx.now, platform=str(req.platform), file_id=file.file_id,
                               file_name=file.name[:255], file_kind=file.kind, file_copy=file.saved)
    return await _attach(ctx, meeting, document)


async def _attach(ctx: Ctx, meeting: Meeting, document: MeetingDocument) -> Response:
    """Stored and audited; sent with the next reminder, or at once when none is left."""
    ctx.session.add(document)
    await ctx.session.flush()
    ctx.audit("document_added", "meeting", meeting.id, None,
              {"document_id": document.id, "length": len(document.text), "file": document.file_name})
    next_reminder = await ctx.session.scalar(
        select(PlannedMessage.due_at).where(PlannedMessage.meeting_id == meeting.id,
                                            PlannedMessage.kind == outgoing.REMINDER.kind,
                                            PlannedMessage.done_at.is_(None), PlannedMessage.due_at > ctx.now)
        .order_by(PlannedMessage.due_at).limit(1))
    if next_reminder is not None:
        return Response.say(ctx.t("documents.added", when=when(ctx, meeting),
                                  due=fmt_datetime(next_reminder, ctx.tz)))
    members = [m for m in await planner.expected_now(ctx.session, ctx.settings, meeting, ctx.now)
               if m.id != ctx.member.id]
    ctx.queued += await documents.send_documents(ctx.session, ctx.settings, meeting,
                                                 await outgoing.to_members(ctx.session, members), ctx.now)
    return Response.say(ctx.t("documents.added_now", when=when(ctx, meeting)))


async def _remove(ctx: Ctx, meeting: Meeting, number: int) -> Response:
    """A paper not sent yet is taken off (audited); one the members have already received cannot be."""
    papers = await documents.documents_of(ctx.session, meeting.id)
    if not 1 <= number <= len(papers):
        return Response.say(ctx.t("documents.no_such", number=number, count=len(papers)))
    paper = papers[number - 1]
    if paper.released_at is not None:
        return Response.say(ctx.t("documents.already_sent", number=number))
    ctx.audit("document_removed", "meeting", meeting.id, {"document_id": paper.id, "length": len(paper.text)}, None)
    await ctx.session.delete(paper)
    return Response.say(ctx.t("documents.removed", number=number, when=when(ctx, meeting)))


async def comment(ctx: Ctx, req: Request) -> Response:
    """/gopy NỘI DUNG: a member's comment on the documents of the meeting ahead, to the leaders in a digest."""
    if ctx.actor.member is None:
        return Response.say(ctx.t("not_member"))
    meeting = await _ahead(ctx)
    if meeting is None or not await documents.documents_of(ctx.session, meeting.id, released=True):
        return Response.say(ctx.t("comments.no_document"))
    text = " ".join(req.args.split())
    if not text:
        return Response.say(ctx.t("comments.usage", when=when(ctx, meeting)))
    if len(text) > MAX_COMMENT:
        return Response.say(ctx.t("comments.too_long", length=len(text), limit=MAX_COMMENT))
    stamp = await documents.pending_digest_stamp(ctx.session, meeting.id)
    if stamp is None:
        due = documents.digest_due(ctx.settings, meeting, ctx.now)
        stamp = int(due.timestamp())
        leaders = await outgoing.leaders(ctx.session, meeting.cell_id, ctx.today)
        ctx.queued += await outgoing.send(ctx.session, outgoing.COMMENTS, leaders, {"text": "", "buttons": []},
                                          now=ctx.now, due_at=due, meeting_id=meeting.id, meeting=meeting.id,
                                          stamp=stamp)
    ctx.session.add(MeetingComment(meeting_id=meeting.id, member_id=ctx.member.id, text=text, created_at=ctx.now,
                                   digest_stamp=stamp))
    return Response.say(ctx.t("comments.done", when=when(ctx, meeting)))
