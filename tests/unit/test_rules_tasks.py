"""Tasks from the resolution (``rules/tasks.py``), deadlines as typed, and the reminder days setting."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from core.parsing import parse_due_date
from core.settings import Settings, parse_days
from rules import TaskState, reminder_days, task_record, task_state

D = date
TODAY = D(2026, 12, 14)


def case(*values, id: str):
    return pytest.param(*values, id=id)


@pytest.mark.parametrize(("due", "done", "state"), [
    case(D(2026, 12, 20), None, TaskState.OPEN, id="not done before the deadline is open"),
    case(D(2026, 12, 14), None, TaskState.OPEN, id="not done on the deadline day itself is still open"),
    case(D(2026, 12, 13), None, TaskState.OVERDUE, id="not done the day after the deadline is overdue"),
    case(D(2026, 12, 13), D(2026, 12, 13), TaskState.DONE, id="done on the deadline day is on time"),
    case(D(2026, 12, 13), D(2026, 12, 1), TaskState.DONE, id="done early is on time"),
    case(D(2026, 12, 13), D(2026, 12, 14), TaskState.DONE_LATE, id="done a day after the deadline is late"),
    case(D(2026, 12, 31), D(2027, 1, 1), TaskState.DONE_LATE, id="done on new year's day for a 31/12 deadline is late"),
])
def test_task_state(due, done, state):
    assert task_state(due, done, TODAY) is state


@pytest.mark.parametrize(("due", "days", "today", "expected"), [
    case(D(2026, 12, 20), (3, 0), D(2026, 12, 5), [D(2026, 12, 17), D(2026, 12, 20)], id="three days before and on the day"),
    case(D(2026, 12, 20), (3, 0), D(2026, 12, 18), [D(2026, 12, 20)], id="given two days ahead: only the day itself"),
    case(D(2026, 12, 20), (3, 0), D(2026, 12, 20), [D(2026, 12, 20)], id="due today: today"),
    case(D(2027, 1, 2), (3,), D(2026, 12, 1), [D(2026, 12, 30)], id="across the year end"),
    case(D(2026, 3, 1), (1,), D(2026, 2, 1), [D(2026, 2, 28)], id="the day before 1 March is 28 February"),
    case(D(2026, 12, 20), (), D(2026, 12, 1), [], id="reminders off"),
])
def test_reminder_days(due, days, today, expected):
    assert reminder_days(due, days, today) == expected


def test_task_record_counts_what_is_due_or_done():
    states = [
        (D(2026, 12, 1), TaskState.DONE), (D(2026, 12, 2), TaskState.DONE_LATE), (D(2026, 12, 3), TaskState.OVERDUE),
        (D(2026, 12, 20), TaskState.OPEN),  # not due yet: not counted
        (D(2026, 12, 20), TaskState.DONE),  # done early: counted, on time
    ]
    record = task_record(states, TODAY)
    assert (record.counted, record.on_time, record.overdue) == (4, 2, 1) and record.share == 0.5
    assert task_record([], TODAY).share is None


@pytest.mark.parametrize(("text", "today", "due"), [
    case("20/12/2026", D(2026, 12, 5), D(2026, 12, 20), id="day/month/year"),
    case("2026-12-20", D(2026, 12, 5), D(2026, 12, 20), id="ISO"),
    case("20/12", D(2026, 12, 5), D(2026, 12, 20), id="day/month: this year when still ahead"),
    case("5/1", D(2026, 12, 5), D(2027, 1, 5), id="day/month already past: next year"),
    case("5/12", D(2026, 12, 5), D(2026, 12, 5), id="day/month today: today"),
    case("29/2", D(2027, 3, 1), None, id="29/2 in a year without it is no day (the flow says so)"),
    case("1/12", D(2026, 12, 5), None, id="day/month just passed: not moved to next year"),
    case("31/4", D(2026, 12, 5), None, id="a day that does not exist"),
    case("mai", D(2026, 12, 5), None, id="a word is no date"),
    case("20/12/26", D(2026, 12, 5), None, id="a two-digit year is refused"),
])
def test_parse_due_date(text, today, due):
    assert parse_due_date(text, today) == due


def test_task_reminder_days_setting():
    assert parse_days("3,0") == (3, 0) and parse_days("0, 7,1") == (7, 1, 0) and parse_days("off") == ()
    assert Settings(_env_file=None, task_reminder_days="5,1").task_days == (5, 1)
    for bad in ("3d", "-1", "99"):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, task_reminder_days=bad)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, task_reminder_time="8 giờ")
