"""The roll-call in a cell's group: who has checked in to the meeting, as one message edited in place.

The numbers are the meeting summary's (``reports.meeting_summary.compute``): present, late and excused of the
expected members, so the group reads what the secretary's summary will say. One message at most: when the names
would make it too long for a platform's message, the present are counted instead of named.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.buttons import Checkin
from core.texts import Html, echo, esc, fmt_time, kind_text, t
from reports.meeting_summary import MeetingSummary, compute
from storage.models import Meeting

MAX_TEXT = 4096  # one Telegram message (the roll-call is edited in place: it never splits)


async def payload(session: AsyncSession, meeting: Meeting, tz: ZoneInfo, lang: str) -> dict:
    """The roll-call as it stands: its text, and the check-in button while the meeting is in progress."""
    summary = await compute(session, meeting, tz)
    buttons = [] if meeting.ended_at is not None else [[{"label": t(lang, "button.checkin"),
                                                         "data": Checkin(meeting.id).encode()}]]
    return {"text": text(summary, tz, lang), "buttons": buttons}


def text(s: MeetingSummary, tz: ZoneInfo, lang: str) -> str:
    assert s.started_at is not None, "a roll-call is of a meeting that has begun"
    late = dict(s.late)
    present = s.attendance.present
    waiting = max(0, s.attendance.expected - present - len(s.excused))
    head = [t(lang, "rollcall.title", cell=s.cell_name, kind=kind_text(lang, s.kind, s.combined),
              time=fmt_time(s.started_at, tz)),
            t(lang, "rollcall.counts", present=present, expected=s.attendance.expected, late=len(s.late),
              excused=len(s.excused), waiting=waiting)]
    tail = [t(lang, "rollcall.ended", time=fmt_time(s.ended_at, tz))] if s.ended_at is not None else []
    named = [Html(t(lang, "rollcall.late_name", name=name, minutes=late[name])) if name in late else Html(esc(name))
             for name in s.present]
    lists = []
    if named:
        lists.append(t(lang, "rollcall.present", names=Html(", ".join(named))))
    if s.exempt_attended:
        lists.append(t(lang, "rollcall.exempt", names=", ".join(s.exempt_attended)))
    if s.excused:
        lists.append(t(lang, "rollcall.excused", names=Html(", ".join(
            esc(name) if not reason else t(lang, "rollcall.excused_name", name=name, reason=echo(reason))
            for name, reason in s.excused))))
    if not named and not s.exempt_attended:
        lists.append(t(lang, "rollcall.none_yet"))
    full = "\n".join(head + lists + tail)
    if len(full) <= MAX_TEXT:
        return full
    return "\n".join(head + [t(lang, "rollcall.too_many")] + tail)  # the counts alone: never a second message
