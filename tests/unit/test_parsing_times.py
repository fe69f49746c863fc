"""Times and dates as Vietnamese people type them: core/parsing.py read_time and read_date."""

from __future__ import annotations

from datetime import date, time

import pytest

from core.parsing import DateReading, parse_time, read_date, read_time

case = pytest.param


@pytest.mark.parametrize(("typed", "at", "words", "certain"), [
    case("19:30", time(19, 30), 1, True, id="19:30"),
    case("19.30", time(19, 30), 1, True, id="19.30"),
    case("7.30 tối", time(19, 30), 2, True, id="7.30 tối"),
    case("19h30", time(19, 30), 1, True, id="19h30"),
    case("19H30", time(19, 30), 1, True, id="19H30"),
    case("19h", time(19, 0), 1, True, id="19h"),
    case("19g30", time(19, 30), 1, True, id="19g30"),
    case("19 giờ 30", time(19, 30), 3, True, id="19 giờ 30"),
    case("19 giờ 30 phút", time(19, 30), 4, True, id="19 giờ 30 phút"),
    case("19 gio 30", time(19, 30), 3, True, id="19 gio 30 (no diacritics)"),
    case("19 giờ", time(19, 0), 2, True, id="19 giờ"),
    case("7h30 tối", time(19, 30), 2, True, id="7h30 tối"),
    case("7h30 toi", time(19, 30), 2, True, id="7h30 toi"),
    case("7h30tối", time(19, 30), 1, True, id="7h30tối in one word"),
    case("7 giờ tối", time(19, 0), 3, True, id="7 giờ tối"),
    case("7 giờ rưỡi tối", time(19, 30), 4, True, id="7 giờ rưỡi tối"),
    case("19h30 tối", time(19, 30), 2, True, id="19h30 tối (both)"),
    case("8h sáng", time(8, 0), 2, True, id="8h sáng"),
    case("8h sang", time(8, 0), 2, True, id="8h sang"),
    case("2h chiều", time(14, 0), 2, True, id="2h chiều"),
    case("2h chieu", time(14, 0), 2, True, id="2h chieu"),
    case("14h chiều", time(14, 0), 2, True, id="14h chiều"),
    case("11h trưa", time(11, 0), 2, True, id="11h trưa"),
    case("12h trưa", time(12, 0), 2, True, id="12h trưa"),
    case("1 giờ trưa", time(13, 0), 3, True, id="1 giờ trưa"),
    case("10h đêm", time(22, 0), 2, True, id="10h đêm"),
    case("12 giờ đêm", time(0, 0), 3, True, id="12 giờ đêm is midnight"),
    case("1h đêm", time(1, 0), 2, True, id="1h đêm"),
    case("11h khuya", time(23, 0), 2, True, id="11h khuya"),
    case("7:30 PM", time(19, 30), 2, True, id="7:30 PM"),
    case("7:30pm", time(19, 30), 1, True, id="7:30pm"),
    case("12:15 PM", time(12, 15), 2, True, id="12:15 PM is noon"),
    case("12:15 AM", time(0, 15), 2, True, id="12:15 AM is after midnight"),
    case("7:30 AM", time(7, 30), 2, True, id="7:30 AM"),
    case("１９：３０", time(19, 30), 1, True, id="full-width digits"),
    case("7:30", time(7, 30), 1, False, id="7:30 without a part of the day is uncertain"),
    case("07:30", time(7, 30), 1, False, id="07:30 too"),
    case("7h", time(7, 0), 1, False, id="7h"),
    case("11h59", time(11, 59), 1, False, id="11h59"),
    case("0h30", time(0, 30), 1, True, id="0h30 has one reading"),
    case("12:00", time(12, 0), 1, True, id="12:00 has one reading"),
    case("7h30 tối Nhà văn hóa khu 5", time(19, 30), 2, True, id="the words after the time are left"),
    case("19:30 Trưa Hội trường", None, 0, True, id="19h trưa contradicts"),
])
def test_read_time(typed, at, words, certain):
    reading = read_time(typed.split())
    if at is None:
        assert reading is None
    else:
        assert reading is not None and (reading.at, reading.words, reading.certain) == (at, words, certain)


@pytest.mark.parametrize("typed", [
    "25h", "24:00", "7h70", "7:5", "19:60", "tối", "sáng", "19", "7 30", "19h sáng", "13h sáng", "3h tối",
    "12 tối", "0 giờ chiều", "13:00 PM", "19.3", "7.300", "abc", "", "h30", "-1h", "99h",
])
def test_read_time_refuses(typed):
    assert read_time(typed.split()) is None


def test_the_other_reading():
    reading = read_time(["7:30"])
    assert reading is not None and reading.other == time(19, 30)


def test_parse_time_stays_strict_for_settings():
    assert parse_time("19:30") == time(19, 30) and parse_time("7h") == time(7, 0)
    assert parse_time("8 giờ") is None and parse_time("7h30 tối") is None


@pytest.mark.parametrize(("typed", "today", "reading"), [
    case("15/01/2027", date(2027, 1, 15), DateReading(day=date(2027, 1, 15)), id="with the year"),
    case("2027-01-20", date(2027, 1, 15), DateReading(day=date(2027, 1, 20)), id="ISO"),
    case("20/01", date(2027, 1, 15), DateReading(day=date(2027, 1, 20)), id="ahead this year"),
    case("15/01", date(2027, 1, 15), DateReading(day=date(2027, 1, 15)), id="today is today"),
    case("10/01", date(2027, 1, 15), DateReading(passed=date(2027, 1, 10)), id="passed: never next year in silence"),
    case("20/12", date(2027, 1, 15), DateReading(passed=date(2026, 12, 20)), id="passed last year"),
    case("02/01", date(2026, 12, 30), DateReading(day=date(2027, 1, 2)), id="02/01 typed on 30/12: the coming one"),
    case("31/12", date(2026, 12, 31), DateReading(day=date(2026, 12, 31)), id="year's last day"),
    case("30/12", date(2027, 1, 1), DateReading(passed=date(2026, 12, 30)), id="30/12 typed on 1/1 has passed"),
    case("20/06", date(2027, 1, 15), DateReading(day=date(2027, 6, 20)), id="half a year ahead"),
    case("29/02", date(2027, 1, 15), DateReading(no_such_day=date(2027, 2, 1)), id="29/02 in 2027: no such day"),
    case("29/02", date(2027, 12, 30), DateReading(day=date(2028, 2, 29)), id="29/02 typed in late 2027: 2028"),
    case("29/02", date(2028, 2, 1), DateReading(day=date(2028, 2, 29)), id="29/02 in a leap year"),
    case("29/02/2027", date(2027, 1, 15), DateReading(), id="29/02/2027 is no date"),
    case("31/04", date(2027, 1, 15), DateReading(), id="31/04 in no year"),
    case("32/01", date(2027, 1, 15), DateReading(), id="32/01"),
    case("15/13", date(2027, 1, 15), DateReading(), id="month 13"),
    case("mai", date(2027, 1, 15), DateReading(), id="a word"),
    case("１５/０１", date(2027, 1, 15), DateReading(day=date(2027, 1, 15)), id="full-width"),
])
def test_read_date(typed, today, reading):
    assert read_date(typed, today) == reading
