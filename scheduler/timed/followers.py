"""Messages to the committee members who follow a cell (cấp ủy viên phụ trách): its meeting notices
(new, moved, cancelled) and its post-meeting summaries. HD 42: the time, place and content of a
meeting are sent to the committee member who follows the cell."""

from __future__ import annotations

from datetime import datetime

from core import outgoing
from core.settings import Settings
from core.texts import Html, fmt_datetime, t
from storage.models import Cell, Meeting

EVENTS = {"notice": "follow.notice", "rescheduled": "follow.rescheduled", "cancelled": "follow.cancelled"}


async def meeting_event(session, settings: Settings, cell: Cell, meeting: Meeting, event: str, now: datetime,
                        stamp: str | None = None) -> int:
    """Tell the cell's followers that a meeting was scheduled, moved or cancelled. ``stamp`` names the change
    (the members' notice key gives it: a place-only or topic-only change to the same time is told again);
    by default the meeting's time."""
    lang = settings.language
    place = Html(t(lang, "place", place=meeting.place) if meeting.place else "")
    topic = Html(t(lang, "topic", topic=meeting.topic) if meeting.topic else "")
    text = t(lang, EVENTS[event], cell=cell.name, kind=t(lang, f"kind.{meeting.kind.value}"),
             when=fmt_datetime(meeting.scheduled_at, settings.tz), place=place, topic=topic)
    stamp = stamp or str(int(meeting.scheduled_at.timestamp()))
    return await outgoing.send(session, outgoing.FOLLOW_NOTICE, await outgoing.followers(session, cell.id),
                               {"text": text, "buttons": []}, now=now, meeting_id=meeting.id, event=event,
                               meeting=meeting.id, stamp=stamp)
