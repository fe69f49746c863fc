"""/baocao: the latest meeting summary of the cell, or of every cell of the committee, and a link to
the web view (a Mini App button on Telegram, a signed link bound to the person everywhere)."""

from __future__ import annotations

from sqlalchemy import select

from core import outgoing
from core.buttons import Unit
from core.messages import Button, Reply, Request, Response
from core.weblinks import mini_app_url, web_link
from handlers.context import Ctx
from reports import committee_report
from scheduler.delivery import long_answers
from storage import committees
from storage.models import Cell, Committee, Platform

MAX_BUTTONS = 20  # more units below: /baocao TÊN (the summary says so)


async def report(ctx: Ctx, req: Request) -> Response:
    actor = ctx.actor
    if actor.committee_member is not None:
        if req.args.strip():  # /baocao TÊN: a committee or a cell below, one level down
            return await _unit_named(ctx, req, req.args)
        return _with_web(ctx, req, await _committee(ctx, req, ctx.committee))
    if not actor.is_leader:  # only the refusal and what to type instead: no report, no link after "not for you"
        return Response.say(ctx.t("not_leader"))
    return _with_web(ctx, req, Response.say(await committee_report.cell_text(ctx.session, ctx.cell, ctx.lang, ctx.tz,
                                                                                      ctx.now)))


async def _committee(ctx: Ctx, req: Request, committee: Committee) -> Response:
    """A committee's report (the member's own, or one below it): every cell's latest meeting, or, with
    committees below, its direct children rolled up, with a button for each."""
    cells = await committee_report.cell_count(ctx.session, committee.id)
    if cells > committee_report.INLINE_CELLS:  # put together outside the request: nobody waits behind it
        ctx.queued += await outgoing.send(ctx.session, outgoing.REPORT_JOB, outgoing.link(ctx.link),
                                          long_answers.job_payload(committee.id), now=ctx.now,
                                          platform=req.platform, update=req.update_key)
        return Response.say(ctx.t("report.preparing", cells=cells))
    # One message for the whole committee; longer than one message, it goes through the outbox.
    parts = await committee_report.committee_parts(ctx.session, committee, ctx.lang, ctx.tz, ctx.now)
    if len(parts) == 1:
        return Response.say(parts[0], await _unit_buttons(ctx, committee.id))
    return await _through_outbox(ctx, req, parts)


async def _unit_buttons(ctx: Ctx, committee_id: int) -> list[list[Button]]:
    """With committees below: a button for each of them and for each of the committee's own cells."""
    below = await committees.children(ctx.session, committee_id)
    if not below:
        return []
    cells = list(await ctx.session.scalars(select(Cell).where(Cell.committee_id == committee_id).order_by(Cell.name)))
    units = [(Unit("committee", c.id), c.name) for c in below] + [(Unit("cell", c.id), c.name) for c in cells]
    return [[Button(name, unit.encode())] for unit, name in units[:MAX_BUTTONS]]


async def _unit_named(ctx: Ctx, req: Request, text: str) -> Response:
    name = " ".join(text.split())
    found = await committees.find_units(ctx.session, ctx.committee.id, name)
    if len(found) > 1:  # the same name but for diacritics: the one typed exactly, if one is
        exact = [u for u in found if u.name.casefold() == name.casefold()]
        found = exact if len(exact) == 1 else found
    if not found:
        below = await committees.children(ctx.session, ctx.committee.id)
        example = below[0].name if below else await ctx.session.scalar(
            select(Cell.name).where(Cell.committee_id.in_(committees.subtree_ids(ctx.committee.id))).order_by(Cell.name))
        return Response.say(ctx.t("report.unit_unknown", name=name, committee=ctx.committee.name,
                                  example=example or "Chi bộ 1"))
    if len(found) > 1:
        return Response.say(ctx.t("report.unit_ambiguous", name=name, names=", ".join(u.name for u in found),
                                  example=found[0].name))
    return _with_web(ctx, req, await _unit(ctx, req, found[0].kind, found[0].id))


async def unit_pressed(ctx: Ctx, req: Request, pressed: Unit) -> Response:
    """A button under a committee's report: that committee or cell below, if it still is below (the web
    link came with the report the button is under)."""
    return await _unit(ctx, req, pressed.kind, pressed.unit_id)


async def _unit(ctx: Ctx, req: Request, kind: str, unit_id: int) -> Response:
    below = await committees.subtree(ctx.session, ctx.committee.id)
    if kind == "committee":
        committee = await ctx.session.get(Committee, unit_id)
        if committee is None or committee.id not in below:
            return Response(toast=ctx.t("stale_button"))
        return await _committee(ctx, req, committee)
    cell = await ctx.session.get(Cell, unit_id)
    if cell is None or cell.committee_id not in below:
        return Response(toast=ctx.t("stale_button"))
    return Response.say(await committee_report.cell_text(ctx.session, cell, ctx.lang, ctx.tz, ctx.now))


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
