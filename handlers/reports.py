"""/baocao: the latest meeting summary of the cell, or of every cell of the committee, and a link to
the web view (a Mini App button on Telegram, a signed link bound to the person everywhere)."""

from __future__ import annotations

from core import outgoing
from core.messages import Button, Reply, Request, Response
from core.weblinks import mini_app_url, web_link
from handlers.context import Ctx
from reports import committee_report
from scheduler.delivery import long_answers
from storage.models import Platform


async def report(ctx: Ctx, req: Request) -> Response:
    actor = ctx.actor
    if actor.committee_member is not None:
        cells = await committee_report.cell_count(ctx.session, ctx.committee.id)
        if cells > committee_report.INLINE_CELLS:  # put together outside the request: nobody waits behind it
            ctx.queued += await outgoing.send(ctx.session, outgoing.REPORT_JOB, outgoing.link(ctx.link),
                                              long_answers.job_payload(ctx.committee.id), now=ctx.now,
                                              platform=req.platform, update=req.update_key)
            return _with_web(ctx, req, Response.say(ctx.t("report.preparing", cells=cells)))
        # One message for the whole committee; longer than one message, it goes through the outbox.
        parts = await committee_report.committee_parts(ctx.session, ctx.committee, ctx.lang, ctx.tz,
                                                         ctx.now)
        if len(parts) == 1:
            return _with_web(ctx, req, Response.say(parts[0]))
        return _with_web(ctx, req, await _through_outbox(ctx, req, parts))
    if not actor.is_leader:  # only the refusal and what to type instead: no report, no link after "not for you"
        return Response.say(ctx.t("not_leader"))
    return _with_web(ctx, req, Response.say(await committee_report.cell_text(ctx.session, ctx.cell, ctx.lang, ctx.tz,
                                                                                      ctx.now)))


def _with_web(ctx: Ctx, req: Request, response: Response) -> Response:
    link = ctx.actor.link
    url = web_link(ctx.settings, link.id, ctx.now) if link is not None else None
    if url is not None:
        app = mini_app_url(ctx.settings)
        buttons = [[Button(ctx.t("web.button"), "", web_app=app)]] if req.platform == Platform.TELEGRAM and app else []
        response.replies.append(Reply(ctx.t("web.report_link", url=url, hours=ctx.settings.web_link_hours), buttons))
    return response


async def _through_outbox(ctx: Ctx, req: Request, parts: list[str]) -> Response:
    """A report of many messages goes out through the outbox, paced like every other message; the
    request answers at once, so nobody waits behind it."""
    job = outgoing.REPORT_JOB.key_for(platform=req.platform, update=req.update_key)
    ctx.queued += await outgoing.send_parts(ctx.session, outgoing.link(ctx.link), parts, job=job, now=ctx.now)
    return Response.say(ctx.t("report.queued", parts=len(parts)))
