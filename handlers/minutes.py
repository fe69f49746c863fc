"""/bienban: the draft minutes of the cell's last meeting, as a Word file sent to the secretary.

The file is written to the reports folder and sent through the outbox like the weekly workbook:
a document on Telegram, a signed link on Zalo.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from core import outgoing
from core.messages import Request, Response
from core.texts import fmt_date
from handlers.context import Ctx
from reports import minutes as minutes_report
from storage.queries import latest_ended_meeting

log = logging.getLogger(__name__)


async def minutes(ctx: Ctx, req: Request) -> Response:
    cell, link = ctx.actor.cell, ctx.actor.link
    if not ctx.actor.is_leader or cell is None or link is None:
        return Response.say(ctx.t("not_leader"))
    meeting = await latest_ended_meeting(ctx.session, cell.id)
    if meeting is None:
        return Response.say(ctx.t("minutes.no_meeting"))
    data = await minutes_report.gather(ctx.session, meeting, ctx.tz)
    path = Path(ctx.settings.reports_dir) / minutes_report.file_name(meeting.id)
    # Rendering is CPU work (python-docx): off the event loop so the bot keeps answering.
    try:
        await asyncio.to_thread(minutes_report.write_docx, data, path, ctx.tz, ctx.lang)
    except OSError as exc:
        log.error("the minutes file could not be written: %s", type(exc).__name__)
        return Response.say(ctx.t("minutes.write_failed"))
    kind, date = ctx.t(f"kind.{meeting.kind.value}"), fmt_date(meeting.scheduled_at, ctx.tz)
    local = meeting.scheduled_at.astimezone(ctx.tz)
    payload = {
        "text": "",
        "buttons": [],
        "files": [{"kind": "document", "path": str(path.resolve()), "name": f"bien-ban-{local:%Y-%m-%d}.docx",
                   "caption": ctx.t("minutes.caption", kind=kind, date=date, cell=cell.name)}],
        "no_link_text": ctx.t("minutes.no_link", name=path.name),  # Zalo without a public URL
    }
    ctx.queued += await outgoing.send(ctx.session, outgoing.MINUTES, outgoing.link(link), payload, now=ctx.now,
                                      meeting_id=meeting.id, meeting=meeting.id, at=int(ctx.now.timestamp()))
    return Response.say(ctx.t("minutes.sending", kind=kind, date=date))
