"""What a cell's regular meeting of a month is in every view, and which months and quarters chibo judges for
a cell added in the middle of one: rules/calendar.py (pure). And when the secretary hears of a meeting never
begun: rules/clock_times.py."""

from __future__ import annotations

from datetime import date, time

import pytest

from rules import first_month_on_record, missed_start_nudge, on_record, quarter_start, regular_status
from tests.conftest import vn

case = pytest.param
NIGHT = (time(22, 0), time(6, 0))
LONG_AGO = date(2020, 1, 1)


@pytest.mark.parametrize(("month", "scheduled", "started", "ended", "today", "since", "status"), [
    case("2026-12", date(2026, 12, 5), True, True, date(2026, 12, 12), LONG_AGO, "held", id="ended"),
    case("2026-12", date(2026, 12, 5), True, False, date(2026, 12, 5), LONG_AGO, "in_progress", id="begun"),
    case("2026-12", date(2026, 12, 5), True, False, date(2026, 12, 6), LONG_AGO, "in_progress",
         id="left open past midnight: still in progress, not a miss"),
    case("2026-12", date(2026, 12, 5), False, False, date(2026, 12, 5), LONG_AGO, "scheduled",
         id="its day, not begun yet"),
    case("2026-12", date(2026, 12, 5), False, False, date(2026, 12, 6), LONG_AGO, "not_held",
         id="the day after, never begun"),
    case("2026-12", date(2026, 12, 31), False, False, date(2027, 1, 1), LONG_AGO, "not_held",
         id="31/12 never begun, seen on 01/01"),
    case("2024-02", date(2024, 2, 29), False, False, date(2024, 3, 1), LONG_AGO, "not_held", id="29/02"),
    case("2026-12", None, False, False, date(2026, 12, 12), LONG_AGO, "missing", id="none scheduled"),
    case("2026-12", None, False, False, date(2026, 12, 12), date(2026, 12, 1), "missing",
         id="added on the month's first day: judged"),
    case("2026-12", None, False, False, date(2026, 12, 12), date(2026, 12, 2), "untracked",
         id="added on the 2nd: not judged"),
    case("2026-11", None, False, False, date(2026, 12, 12), date(2026, 12, 10), "untracked",
         id="a month before it was added"),
    case("2026-12", date(2026, 12, 8), False, False, date(2026, 12, 12), date(2026, 12, 2), "not_held",
         id="added mid-month, then its own meeting missed: a miss"),
])
def test_regular_status(month, scheduled, started, ended, today, since, status):
    assert regular_status(month, scheduled, started, ended, today, since) == status


@pytest.mark.parametrize(("since", "first"), [
    case(date(2026, 3, 1), "2026-03", id="first day"),
    case(date(2026, 3, 15), "2026-04", id="mid-month: the next"),
    case(date(2026, 12, 2), "2027-01", id="across the year's end"),
    case(date(2024, 2, 29), "2024-03", id="29/02"),
])
def test_first_month_on_record(since, first):
    assert first_month_on_record(since) == first


def test_a_quarter_is_judged_only_from_its_first_day():
    assert quarter_start(date(2026, 12, 12)) == date(2026, 10, 1)
    assert on_record(date(2026, 10, 1), quarter_start(date(2026, 12, 12)))
    assert not on_record(date(2026, 12, 1), quarter_start(date(2026, 12, 12)))


@pytest.mark.parametrize(("scheduled", "quiet", "due"), [
    case(vn(2026, 12, 5, 14, 0), NIGHT, vn(2026, 12, 5, 17, 0), id="afternoon: that evening"),
    case(vn(2026, 12, 5, 19, 30), NIGHT, vn(2026, 12, 6, 7, 0), id="evening: 22:30 is quiet, the next morning"),
    case(vn(2026, 12, 5, 19, 30), None, vn(2026, 12, 5, 22, 30), id="no quiet hours: that evening"),
    case(vn(2026, 12, 31, 20, 0), NIGHT, vn(2027, 1, 1, 7, 0), id="new year's eve: the morning of 01/01"),
])
def test_missed_start_nudge(scheduled, quiet, due):
    assert missed_start_nudge(scheduled, time(7, 0), quiet) == due
