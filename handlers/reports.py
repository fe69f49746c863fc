"""/baocao: the latest meeting summary of the cell, or of every cell of the committee, and a link to
the web view (a Mini App button on Telegram, a signed link bound to the person everywhere)."""

from __future__ import annotations

from sqlalchemy import select

from core.messages import Button, Reply, Request, Response
from core.textsplit import split_text
from core.weblinks import mini_app_url, web_link
from handlers.context import Ctx
from reports import meeting_summary
from storage.models import Cell, Meeting, Platform
from storage.outbox import enqueue
from storage.queries import latest_ended_meeting, latest_ended_meetings

PART_LIMIT = 4000  # visible characters per message (Telegram takes 4096)


async def report(ctx: Ctx, req: Request) -> Response:
    actor = ctx.actor
    if actor.committee_member is not None:
        cells = list(await ctx.session.scalars(select(Cell).where(Cell.committee_id == ctx.committee.id).order_by(Cell.name)))
        if not cells:
            return Response.say(ctx.t("report.no_cells", committee=ctx.committee.name))
        # One message for the whole committee; longer than one message, it goes through the outbox.
        latest = await latest_ended_meetings(ctx.session, ctx.committee.id)
        texts = [ctx.t("report.committee_header", committee=ctx.committee.name, count=len(cells))]
        texts += [await _summary(ctx, cell, latest.get(cell.id)) for cell in cells]
        parts = split_text("\n\n".join(texts), PART_LIMIT)
        if len(parts) == 1:
            return _with_web(ctx, req, Response.say(parts[0]))
        return _with_web(ctx, req, await _through_outbox(ctx, req, parts))
    if not actor.is_leader:  # a member sees their own attendance and tasks on the web
        return _with_web(ctx, req, Response.say(ctx.t("not_leader")))
    return _with_web(ctx, req, Response.say(await _cell_text(ctx, ctx.cell)))


def _with_web(ctx: Ctx, req: Request, response: Response) -> Response:
    link = ctx.actor.link
    url = web_link(ctx.settings, link.id, ctx.now) if link is not None else None
    if url is not None:
        app = mini_app_url(ctx.settings)
        buttons = [[Button(ctx.t("web.button"), "", web_app=app)]] if req.platform == Platform.TELEGRAM and app else []
        response.replies.append(Reply(ctx.t("web.report_link", url=url, hours=ctx.settings.web_link_hours), buttons))
    return response


async def _cell_text(ctx: Ctx, cell: Cell) -> str:
    return await _summary(ctx, cell, await latest_ended_meeting(ctx.session, cell.id))


async def _summary(ctx: Ctx, cell: Cell, meeting: Meeting | None) -> str:
    if meeting is None:
        return ctx.t("report.cell_none", cell=cell.name)
    return meeting_summary.render(await meeting_summary.compute(ctx.session, meeting, ctx.tz), ctx.lang, ctx.tz)


async def _through_outbox(ctx: Ctx, req: Request, parts: list[str]) -> Response:
    """A report of many messages goes out through the outbox, paced like every other message; the
    request answers at once, so nobody waits behind it."""
    for number, part in enumerate(parts, start=1):
        await enqueue(ctx.session, key=f"report:{req.platform}:{req.update_key}:{number}", kind="report",
                      link=ctx.link, payload=Reply(part).to_payload(), due_at=ctx.now, now=ctx.now, priority=4)
    ctx.queued += len(parts)
    return Response.say(ctx.t("report.queued", parts=len(parts)))
