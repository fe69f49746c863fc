"""Messages whose content is settled when they go out, not when they were queued.

A preparation nudge is queued a week ahead, when the meeting is scheduled; the tasks of the last
meeting it lists are read when it is sent. A task reminder whose task is done by then is dropped
(the row is also dropped when the task is marked done; this covers the race with a send in hand). A roll-call
is read as it stands when it goes (``reports.roll_call``), its message's id kept with it to be edited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import documents, outgoing
from core.settings import Settings
from core.texts import fmt_date, t
from reports import roll_call
from rules import TaskState
from storage.models import Meeting, OutboxMessage, Task
from storage.tasks import last_meeting_before, meeting_tasks, state_of

KINDS = outgoing.REFRESHED_KINDS
MARKS = {TaskState.DONE: "✅", TaskState.DONE_LATE: "✅", TaskState.OPEN: "⏳", TaskState.OVERDUE: "⚠️"}


async def refresh(session: AsyncSession, settings: Settings, row: OutboxMessage, now: datetime) -> dict[str, Any] | None:
    """The payload to send now, or None when the message is no longer wanted."""
    if row.kind == outgoing.TASK_REMINDER.kind:
        task_id = int(outgoing.TASK_REMINDER.field(row.key, "task") or 0)
        task = await session.get(Task, task_id)
        return None if task is None or task.done_at is not None else row.payload
    if row.kind == outgoing.COMMENTS.kind:
        return await documents.digest_payload(session, settings, row)
    if row.kind == outgoing.ROLL_CALL.kind:
        meeting = await session.get(Meeting, row.meeting_id) if row.meeting_id is not None else None
        if meeting is None or meeting.started_at is None or meeting.cancelled_at is not None:
            return None
        return dict(row.payload, **await roll_call.payload(session, meeting, settings.tz, settings.language))
    if row.kind == "prep_nudge" and row.meeting_id is not None:
        return dict(row.payload, text=row.payload["text"] + await last_tasks_text(session, settings, row.meeting_id, now))
    return row.payload


async def last_tasks_text(session: AsyncSession, settings: Settings, meeting_id: int, now: datetime) -> str:
    """The tasks of the meeting before ``meeting_id``, by state: '' when there were none."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return ""
    last = await last_meeting_before(session, meeting.cell_id, meeting.scheduled_at)
    if last is None:
        return ""
    tz, lang = settings.tz, settings.language
    today = now.astimezone(tz).date()
    rows = [(state_of(task, today, tz), task, name) for task, name in await meeting_tasks(session, last.id)]
    if not rows:
        return ""
    states = [state for state, _, _ in rows]
    order = {TaskState.OVERDUE: 0, TaskState.OPEN: 1, TaskState.DONE_LATE: 2, TaskState.DONE: 2}
    text = t(lang, "prep.tasks", date=fmt_date(last.scheduled_at, tz),
             done=states.count(TaskState.DONE) + states.count(TaskState.DONE_LATE),
             open=states.count(TaskState.OPEN), overdue=states.count(TaskState.OVERDUE))
    for state, task, name in sorted(rows, key=lambda r: order[r[0]]):
        text += t(lang, "prep.task_item", mark=MARKS[state], name=name, task=task.description,
                  due=task.due_on.strftime("%d/%m/%Y"))
    return text
