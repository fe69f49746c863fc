"""Hours typed without a date, the meeting-length bound and the time-bound nudges: rules/clock_times.py."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from rules import (
    beyond_bound,
    end_time_for,
    end_time_of,
    open_meeting_nudges,
    preparation_due,
    start_time_for,
    start_time_of,
)
from tests.conftest import vn

case = pytest.param
NIGHT = (time(22, 0), time(6, 0))


@pytest.mark.parametrize(("now", "at", "meant"), [
    case(vn(2026, 12, 5, 19, 40), time(19, 30), vn(2026, 12, 5, 19, 30), id="earlier today"),
    case(vn(2026, 12, 5, 19, 30), time(19, 30), vn(2026, 12, 5, 19, 30), id="this very minute"),
    case(vn(2026, 12, 6, 0, 20), time(23, 40), vn(2026, 12, 5, 23, 40), id="23:40 typed at 00:20: last evening"),
    case(vn(2027, 1, 1, 0, 20), time(23, 40), vn(2026, 12, 31, 23, 40), id="across the year's end"),
    case(vn(2026, 12, 5, 19, 10), time(19, 30), None, id="20 minutes ahead is the future, not yesterday"),
    case(vn(2026, 12, 6, 7, 0), time(19, 30), None, id="more than 6 hours back is not meant"),
])
def test_start_time_for(now, at, meant):
    assert start_time_for(now, at) == meant


STARTED = vn(2026, 12, 5, 19, 30)


@pytest.mark.parametrize(("started", "now", "at", "meant", "why"), [
    case(STARTED, vn(2026, 12, 5, 21, 30), time(21, 15), vn(2026, 12, 5, 21, 15), None, id="the same evening"),
    case(STARTED, vn(2026, 12, 6, 0, 20), time(23, 40), vn(2026, 12, 5, 23, 40), None,
         id="23:40 typed at 00:20 ends the evening before"),
    case(STARTED, vn(2026, 12, 6, 7, 0), time(21, 30), vn(2026, 12, 5, 21, 30), None, id="typed the next morning"),
    case(vn(2026, 12, 5, 23, 40), vn(2026, 12, 6, 1, 50), time(1, 30), vn(2026, 12, 6, 1, 30), None,
         id="after midnight, for a meeting begun before it"),
    case(STARTED, vn(2026, 12, 5, 21, 0), time(19, 0), None, "before_start", id="before the start"),
    case(STARTED, vn(2026, 12, 5, 21, 0), time(21, 30), None, "future", id="still to come"),
    case(vn(2026, 12, 5, 23, 40), vn(2026, 12, 6, 1, 50), time(2, 30), None, "future",
         id="after midnight, still to come"),
    case(vn(2026, 12, 5, 23, 40), vn(2026, 12, 6, 1, 50), time(23, 0), None, "before_start",
         id="after midnight, before the start"),
])
def test_end_time_for(started, now, at, meant, why):
    assert end_time_for(started, now, at) == (meant, why)


def test_an_hour_with_two_readings_is_the_one_that_makes_sense():
    both = (time(7, 30), time(19, 30))  # "7:30" typed without sáng or tối
    assert start_time_of(vn(2026, 12, 5, 19, 40), both) == vn(2026, 12, 5, 19, 30)
    assert start_time_of(vn(2026, 12, 5, 8, 0), both) == vn(2026, 12, 5, 7, 30)
    assert start_time_of(vn(2026, 12, 5, 7, 0), both) is None  # both still to come (19:30 yesterday: too far back)
    assert start_time_of(vn(2026, 12, 6, 0, 20), (time(11, 40), time(23, 40))) == vn(2026, 12, 5, 23, 40)
    nine = (time(9, 0), time(21, 0))  # "9h"
    assert end_time_of(STARTED, vn(2026, 12, 5, 21, 30), nine) == (vn(2026, 12, 5, 21, 0), None)
    assert end_time_of(STARTED, vn(2026, 12, 6, 7, 0), nine) == (vn(2026, 12, 5, 21, 0), None)
    assert end_time_of(vn(2026, 12, 5, 8, 0), vn(2026, 12, 5, 22, 0), nine) == (vn(2026, 12, 5, 9, 0), None)
    assert end_time_of(STARTED, vn(2026, 12, 5, 20, 0), nine) == (None, "before_start")
    assert end_time_of(STARTED, vn(2026, 12, 5, 21, 0), (time(21, 0),)) == (vn(2026, 12, 5, 21, 0), None)


@pytest.mark.parametrize(("minutes", "too_long"), [(360, False), (361, True), (90, False)])
def test_beyond_bound(minutes, too_long):
    assert beyond_bound(STARTED, STARTED + timedelta(minutes=minutes), 6) is too_long


MEETING = vn(2026, 12, 20, 19, 30)


@pytest.mark.parametrize(("meeting", "now", "quiet", "due"), [
    case(MEETING, vn(2026, 12, 1, 9, 0), NIGHT, vn(2026, 12, 13, 19, 30), id="far ahead: 7 days before"),
    case(MEETING, vn(2026, 12, 17, 9, 0), NIGHT, vn(2026, 12, 17, 9, 0), id="3 days ahead: at once"),
    case(MEETING, vn(2026, 12, 18, 23, 0), NIGHT, vn(2026, 12, 19, 6, 0), id="scheduled at night: the next morning"),
    case(MEETING, vn(2026, 12, 19, 19, 30), NIGHT, vn(2026, 12, 19, 19, 30), id="exactly a day left: at once"),
    case(MEETING, vn(2026, 12, 19, 19, 31), NIGHT, None, id="less than a day left: none"),
    case(vn(2026, 12, 20, 4, 0), vn(2026, 12, 19, 1, 0), NIGHT, None, id="a day left now, but not by the morning: none"),
    case(MEETING, vn(2026, 12, 18, 23, 0), None, vn(2026, 12, 18, 23, 0), id="quiet hours off: at once"),
    case(vn(2026, 12, 20, 23, 30), vn(2026, 12, 1, 9, 0), NIGHT, vn(2026, 12, 14, 6, 0),
         id="the 7-day mark in the night moves to 06:00"),
])
def test_preparation_due(meeting, now, quiet, due):
    assert preparation_due(meeting, now, quiet) == due


@pytest.mark.parametrize(("started", "quiet", "nudges"), [
    case(STARTED, None, [vn(2026, 12, 5, 22, 30), vn(2026, 12, 6, 7, 0)], id="3 hours later and the next morning"),
    case(STARTED, NIGHT, [vn(2026, 12, 6, 7, 0)], id="3 hours later is in the quiet hours: the morning only"),
    case(vn(2026, 12, 6, 8, 0), NIGHT, [vn(2026, 12, 6, 11, 0), vn(2026, 12, 7, 7, 0)], id="a morning meeting"),
    case(STARTED, (time(22, 0), time(8, 0)), [vn(2026, 12, 6, 8, 0)], id="the morning after the quiet hours"),
])
def test_open_meeting_nudges(started, quiet, nudges):
    assert open_meeting_nudges(started, time(7, 0), quiet) == nudges
