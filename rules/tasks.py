"""Tasks from a meeting's resolution: where each stands, when to remind, how a cell is doing.

A task has a deadline (a calendar date in the committee's zone). It is done on time when it was
marked done on or before that day; overdue when the day has passed and it is not done. Seeds 000
and 003: every member leaves the meeting with a task ("rõ người, rõ việc, rõ thời gian").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


class TaskState(enum.StrEnum):
    OPEN = "open"  # not done, deadline not passed
    OVERDUE = "overdue"  # not done, deadline passed
    DONE = "done"  # done on or before the deadline
    DONE_LATE = "done_late"  # done after the deadline


def task_state(due_on: date, done_on: date | None, today: date) -> TaskState:
    if done_on is not None:
        return TaskState.DONE if done_on <= due_on else TaskState.DONE_LATE
    return TaskState.OVERDUE if today > due_on else TaskState.OPEN


def reminder_days(due_on: date, days_before: Iterable[int], today: date) -> list[date]:
    """The days a task is reminded on (``days_before`` the deadline, 0 = the day itself), from today on."""
    return sorted({due_on - timedelta(days=d) for d in days_before if due_on - timedelta(days=d) >= today})


@dataclass(frozen=True)
class TaskRecord:
    """How a cell did with its tasks: among those whose deadline has come (or that are done)."""

    counted: int  # tasks due by today, or done already
    on_time: int  # of them, done by their deadline
    overdue: int  # not done, deadline passed

    @property
    def share(self) -> float | None:
        return self.on_time / self.counted if self.counted else None


def task_record(states: Iterable[tuple[date, TaskState]], today: date) -> TaskRecord:
    """(deadline, state) of each task -> the share done by the deadline and the overdue count.

    A task still open before its deadline is not counted yet: it can still be done on time."""
    counted = on_time = overdue = 0
    for due_on, state in states:
        if state is TaskState.OPEN and due_on >= today:
            continue
        counted += 1
        on_time += state is TaskState.DONE
        overdue += state is TaskState.OVERDUE
    return TaskRecord(counted, on_time, overdue)
