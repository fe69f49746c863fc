"""The meeting rules (``rules/``) and the settings parsers, as tables of cases.

Each table row is one sentence of the rule; the ids are meant to read as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from core.settings import Settings, parse_offsets
from rules import (
    MeetingOnCalendar,
    MemberSpan,
    MinimumReason,
    Obligation,
    RuleSet,
    absence_flags,
    attendance_verdict,
    duration_verdict,
    expected_members,
    in_quiet_hours,
    is_late,
    late_from,
    minimum_duration,
    minutes_late,
    missing_obligations,
    shift_out_of_quiet,
    shown_percent,
)
from rules.names import by_name, title_key

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def case(*values, id: str):
    return pytest.param(*values, id=id)


# --- minimum duration -------------------------------------------------------------------------

@dataclass
class CommitteeLike:
    """Stands for a Committee row: NULL columns mean "chibo's default"."""

    min_regular_minutes: int | None = None
    min_thematic_minutes: int | None = None
    min_small_cell_minutes: int | None = None
    small_cell_size: int | None = None
    attendance_target: float | None = None
    late_after_minutes: int | None = None


DEFAULT = RuleSet()
SMALL_AT_5_REGULAR_100 = RuleSet.from_overrides(CommitteeLike(min_regular_minutes=100, small_cell_size=5))
ONLY_SMALL_45 = RuleSet.from_overrides(CommitteeLike(min_small_cell_minutes=45))


@pytest.mark.parametrize(
    ("kind", "size", "rules", "minutes", "reason"),
    [
        case("thuong_ky", 20, DEFAULT, 90, MinimumReason.REGULAR, id="a regular meeting of a large cell lasts 90 min"),
        case("chuyen_de", 20, DEFAULT, 120, MinimumReason.THEMATIC, id="a thematic meeting of a large cell lasts 120 min"),
        case("thuong_ky", 8, DEFAULT, 60, MinimumReason.SMALL_CELL, id="a regular meeting of a cell of 8 lasts 60 min"),
        case("chuyen_de", 8, DEFAULT, 60, MinimumReason.SMALL_CELL, id="a thematic meeting of a cell of 8 lasts 60 min"),
        case("thuong_ky", 9, DEFAULT, 90, MinimumReason.REGULAR, id="a cell of exactly 9 is not small (regular 90)"),
        case("chuyen_de", 9, DEFAULT, 120, MinimumReason.THEMATIC, id="a cell of exactly 9 is not small (thematic 120)"),
        case("thuong_ky", 3, DEFAULT, 60, MinimumReason.SMALL_CELL, id="the smallest legal cell of 3 is small"),
        case("thuong_ky", 8, SMALL_AT_5_REGULAR_100, 100, MinimumReason.REGULAR,
             id="a committee that sets small below 5 makes a cell of 8 use its regular 100 min"),
        case("chuyen_de", 8, SMALL_AT_5_REGULAR_100, 120, MinimumReason.THEMATIC,
             id="an override left None keeps the default thematic 120 min"),
        case("thuong_ky", 4, SMALL_AT_5_REGULAR_100, 60, MinimumReason.SMALL_CELL,
             id="a cell of 4 is still small under a threshold of 5"),
        case("thuong_ky", 8, ONLY_SMALL_45, 45, MinimumReason.SMALL_CELL, id="a committee may lower the small-cell minimum to 45"),
        case("thuong_ky", 9, ONLY_SMALL_45, 90, MinimumReason.REGULAR, id="lowering the small minimum leaves the regular one at 90"),
    ],
)
def test_minimum_duration(kind, size, rules, minutes, reason):
    assert minimum_duration(kind, size, rules) == (minutes, reason)


@pytest.mark.parametrize("size", [20, 5], ids=["in a large cell", "in a small cell too"])
def test_an_unknown_meeting_kind_is_refused(size):
    with pytest.raises(ValueError, match="hop_tho"):
        minimum_duration("hop_tho", size)


def test_overrides_take_every_attribute_that_is_not_none_and_ignore_the_rest():
    rules = RuleSet.from_overrides(CommitteeLike(min_regular_minutes=100, attendance_target=0.8, late_after_minutes=None))
    assert rules == RuleSet(min_regular_minutes=100, attendance_target=0.8)
    # the real Committee row: unset override columns are None
    from storage.models import Committee

    committee = Committee(name="Đảng ủy", min_small_cell_minutes=45, small_cell_size=6, late_after_minutes=None)
    assert RuleSet.from_overrides(committee) == RuleSet(min_small_cell_minutes=45, small_cell_size=6)
    assert minimum_duration("thuong_ky", 6, RuleSet.from_overrides(committee)) == (90, MinimumReason.REGULAR)
    assert minimum_duration("thuong_ky", 5, RuleSet.from_overrides(committee)) == (45, MinimumReason.SMALL_CELL)
    # a source with none of the attributes gives the defaults
    assert RuleSet.from_overrides(object()) == RuleSet()
    assert RuleSet.from_overrides(CommitteeLike()) == RuleSet()


# --- duration verdict -------------------------------------------------------------------------

START = vn(2026, 12, 5, 19, 30)


@pytest.mark.parametrize(
    ("kind", "size", "length", "ok", "short_by"),
    [
        case("thuong_ky", 15, timedelta(minutes=89), False, 1, id="a regular meeting of 89 min is too short by 1"),
        case("thuong_ky", 15, timedelta(minutes=89, seconds=59), False, 1, id="89 min 59 s counts as 89 and is too short"),
        case("thuong_ky", 15, timedelta(minutes=90), True, 0, id="a regular meeting of exactly 90 min is long enough"),
        case("chuyen_de", 15, timedelta(minutes=119), False, 1, id="a thematic meeting of 119 min is too short"),
        case("chuyen_de", 15, timedelta(minutes=120), True, 0, id="a thematic meeting of exactly 120 min is long enough"),
        case("chuyen_de", 8, timedelta(minutes=60), True, 0, id="a thematic meeting of a small cell passes at 60 min"),
        case("thuong_ky", 8, timedelta(minutes=59), False, 1, id="a small cell's meeting of 59 min is too short"),
        case("thuong_ky", 15, timedelta(0), False, 90, id="a meeting ended the moment it started is 90 min short"),
    ],
)
def test_duration_verdict(kind, size, length, ok, short_by):
    verdict = duration_verdict(kind, size, START, START + length)
    assert verdict.ok is ok
    assert verdict.minutes == int(length.total_seconds() // 60)
    assert verdict.short_by == short_by


def test_duration_is_measured_across_time_zones():
    # started 19:30 in Hà Nội = 12:30 UTC; ended 14:00 UTC = 90 minutes later
    verdict = duration_verdict("thuong_ky", 15, START, datetime(2026, 12, 5, 14, 0, tzinfo=ZoneInfo("UTC")))
    assert (verdict.minutes, verdict.ok) == (90, True)


def test_a_meeting_cannot_end_before_it_starts():
    with pytest.raises(ValueError, match="end before it starts"):
        duration_verdict("thuong_ky", 15, START, START - timedelta(seconds=1))


# --- attendance -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("present", "expected", "rules", "ok", "rate"),
    [
        case(9, 10, DEFAULT, True, 0.9, id="9 of 10 present is 90 percent and passes"),
        case(8, 9, DEFAULT, False, 8 / 9, id="8 of 9 present is 88.9 percent and fails"),
        case(10, 10, DEFAULT, True, 1.0, id="everyone present passes"),
        case(0, 5, DEFAULT, False, 0.0, id="nobody present fails"),
        case(0, 0, DEFAULT, True, None, id="with nobody expected there is no rate and nothing fails"),
        case(8, 10, RuleSet(attendance_target=0.8), True, 0.8, id="a committee target of 80 percent lets 8 of 10 pass"),
        case(17, 20, DEFAULT, False, 0.85, id="17 of 20 is 85 percent, good under HD 12 but below the 90 target"),
    ],
)
def test_attendance_verdict(present, expected, rules, ok, rate):
    verdict = attendance_verdict(present, expected, rules)
    assert verdict.ok is ok
    assert verdict.rate == (None if rate is None else pytest.approx(rate))
    assert (verdict.present, verdict.expected, verdict.target) == (present, expected, rules.attendance_target)


@pytest.mark.parametrize("counts", [(-1, 5), (3, -1)], ids=["negative present", "negative expected"])
def test_negative_counts_are_refused(counts):
    with pytest.raises(ValueError):
        attendance_verdict(*counts)


MEETING_DAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("span", "expected", "exempt"),
    [
        case(MemberSpan(1, date(2020, 1, 1)), [1], [], id="an active member is expected"),
        case(MemberSpan(1, date(2020, 1, 1), exempt=True), [], [1], id="an exempt member is not expected"),
        case(MemberSpan(1, date(2020, 1, 1), exempt=True, exempt_since=date(2025, 6, 1)), [], [1],
             id="a member exempt since before the meeting is not expected"),
        case(MemberSpan(1, date(2020, 1, 1), exempt=True, exempt_since=MEETING_DAY), [], [1],
             id="an exemption starting on the meeting day counts"),
        case(MemberSpan(1, date(2020, 1, 1), exempt=True, exempt_since=date(2026, 12, 6)), [1], [],
             id="a member whose exemption starts after the meeting is expected"),
        case(MemberSpan(1, date(2026, 12, 6)), [], [], id="a member not yet active on the date is not counted at all"),
        case(MemberSpan(1, MEETING_DAY), [1], [], id="a member who joined on the meeting day is expected"),
        case(MemberSpan(1, date(2020, 1, 1), active_to=date(2026, 12, 4)), [], [],
             id="a member no longer active on the date is not counted at all"),
        case(MemberSpan(1, date(2020, 1, 1), active_to=MEETING_DAY), [1], [],
             id="a member who leaves on the meeting day is still expected"),
        case(MemberSpan(1, date(2026, 12, 6), exempt=True), [], [],
             id="an exempt member not yet active is in neither list"),
    ],
)
def test_who_is_expected(span, expected, exempt):
    assert expected_members([span], MEETING_DAY) == (expected, exempt)


def test_expected_members_of_a_whole_cell_keep_their_order():
    cell = [
        MemberSpan(1, date(2020, 1, 1)),
        MemberSpan(2, date(2020, 1, 1), exempt=True, exempt_since=date(2024, 1, 1)),
        MemberSpan(3, date(2027, 1, 1)),
        MemberSpan(4, date(2020, 1, 1), active_to=date(2026, 11, 30)),
        MemberSpan(5, date(2020, 1, 1), exempt=True, exempt_since=date(2027, 1, 1)),
        MemberSpan(6, date(2020, 1, 1)),
    ]
    assert expected_members(cell, MEETING_DAY) == ([1, 5, 6], [2])


@pytest.mark.parametrize(
    ("after", "rules", "late"),
    [
        case(timedelta(0), DEFAULT, False, id="checking in at the start is on time"),
        case(timedelta(minutes=-10), DEFAULT, False, id="checking in before the start is on time"),
        case(timedelta(minutes=15), DEFAULT, False, id="exactly 15 min after the start is not late"),
        case(timedelta(minutes=15, seconds=1), DEFAULT, True, id="15 min 1 s after the start is late"),
        case(timedelta(hours=1), DEFAULT, True, id="an hour after the start is late"),
        case(timedelta(minutes=5), RuleSet(late_after_minutes=5), False, id="with an override of 5, exactly 5 min is not late"),
        case(timedelta(minutes=5, seconds=1), RuleSet(late_after_minutes=5), True, id="with an override of 5, 5 min 1 s is late"),
        case(timedelta(minutes=10), RuleSet(late_after_minutes=5), True, id="with an override of 5, 10 min is late"),
    ],
)
def test_is_late(after, rules, late):
    assert is_late(START, START + after, rules) is late


def test_lateness_after_a_back_dated_start_is_measured_from_when_it_was_opened():
    opened = START + timedelta(minutes=20)  # /batdau 19:30 typed at 19:50
    assert late_from(START, None) == START and late_from(START, START) == START
    assert late_from(START, opened) == opened
    assert not is_late(late_from(START, opened), opened + timedelta(minutes=15))  # 22 min after 19:30: on time
    assert is_late(late_from(START, opened), opened + timedelta(minutes=15, seconds=1))
    assert minutes_late(START, opened, opened + timedelta(minutes=20, seconds=59)) == 20
    assert minutes_late(START, None, START + timedelta(minutes=25)) == 25
    next_morning = START + timedelta(hours=13)  # a missed meeting recorded on its own day, the next morning
    assert minutes_late(START, next_morning, next_morning + timedelta(minutes=3)) == 3


# --- calendar obligations ---------------------------------------------------------------------

TODAY = date(2026, 11, 20)  # the fourth quarter of 2026
REG, THEM = Obligation.REGULAR_THIS_MONTH, Obligation.THEMATIC_THIS_QUARTER


@pytest.mark.parametrize(
    ("meetings", "missing"),
    [
        case([], [REG, THEM], id="a cell with no meeting owes both"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 5))], [THEM],
             id="a regular meeting held this month settles the month"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 28))], [THEM],
             id="a regular meeting scheduled later this month settles the month"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 10, 5))], [REG, THEM],
             id="last month's regular meeting does not count for this month"),
        case([MeetingOnCalendar("thuong_ky", date(2025, 11, 5))], [REG, THEM],
             id="the same month of last year does not count"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 5), cancelled=True)], [REG, THEM],
             id="a cancelled regular meeting does not count"),
        case([MeetingOnCalendar("chuyen_de", date(2026, 11, 12))], [REG],
             id="a thematic meeting is not the month's regular one"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 5)), MeetingOnCalendar("chuyen_de", date(2026, 10, 15))], [],
             id="a thematic meeting in another month of the same quarter counts"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 5)), MeetingOnCalendar("chuyen_de", date(2026, 12, 15))], [],
             id="a thematic meeting scheduled in the quarter's last month counts"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 5)), MeetingOnCalendar("chuyen_de", date(2026, 9, 30))], [THEM],
             id="a thematic meeting in the previous quarter does not count"),
        case([MeetingOnCalendar("thuong_ky", date(2026, 11, 5)),
              MeetingOnCalendar("chuyen_de", date(2026, 10, 15), cancelled=True)], [THEM],
             id="a cancelled thematic meeting does not count"),
    ],
)
def test_missing_obligations(meetings, missing):
    assert missing_obligations(meetings, TODAY) == missing


def test_the_first_quarter_does_not_take_last_years_fourth():
    meetings = [MeetingOnCalendar("chuyen_de", date(2026, 12, 20)), MeetingOnCalendar("thuong_ky", date(2027, 1, 3))]
    assert missing_obligations(meetings, date(2027, 1, 10)) == [THEM]


# --- absences (Điều lệ Đảng, Điều 8.1: months of the year with an unexcused absence) -------------

def monthly(*statuses):
    """One meeting a month from January: [(month, status), ...]."""
    return [(f"2026-{n:02d}", status) for n, status in enumerate(statuses, start=1)]


@pytest.mark.parametrize(
    ("history", "unexcused", "months", "streak", "warn_unexcused", "warn_streak"),
    [
        case([], 0, 0, 0, False, False, id="no meetings, nothing to say"),
        case(monthly("present", "late", "present"), 0, 0, 0, False, False, id="a member always there is not flagged"),
        case(monthly("present", "absent", "present"), 1, 1, 0, False, False,
             id="one month with an unexcused absence is counted but no warning"),
        case(monthly("absent", "present", "absent"), 2, 2, 0, True, False,
             id="two months with an unexcused absence warn the secretary"),
        case([("2026-03", "absent"), ("2026-03", "absent")], 2, 1, 0, False, False,
             id="two meetings missed in one month are one month: no warning"),
        case([("2026-03", "absent"), ("2026-03", "absent"), ("2026-05", "absent")], 3, 2, 0, True, False,
             id="three meetings missed in two months are two months"),
        case(monthly("absent", "absent", "absent"), 3, 3, 0, True, False, id="three months still warn"),
        case(monthly(*["excused"] * 3), 0, 0, 3, False, False, id="three excused absences in a row do not warn"),
        case(monthly(*["excused"] * 4), 0, 0, 4, False, True, id="four excused absences in a row warn"),
        case(monthly("excused", "excused", "present", "excused", "excused"), 0, 0, 2, False, False,
             id="a present in between resets the excused streak"),
        case(monthly("excused", "excused", "excused", "late", "excused"), 0, 0, 1, False, False,
             id="a late check-in in between also resets the streak"),
        case(monthly("present", "excused", "excused", "excused", "excused"), 0, 0, 4, False, True,
             id="the streak counts up to the latest meeting"),
        case(monthly(*["excused"] * 4, "present"), 0, 0, 0, False, False,
             id="an old streak ended by a present is not flagged"),
        case(monthly("absent", "excused", "excused", "excused", "excused"), 1, 1, 4, False, True,
             id="an unexcused absence breaks no excused streak after it"),
        case(monthly(None, "absent"), 1, 1, 0, False, False, id="a meeting with no status (not expected) counts nothing"),
    ],
)
def test_absence_flags(history, unexcused, months, streak, warn_unexcused, warn_streak):
    flags = absence_flags(history)
    assert (flags.unexcused, flags.months, flags.excused_streak) == (unexcused, months, streak)
    assert (flags.warn_unexcused, flags.warn_excused_streak) == (warn_unexcused, warn_streak)
    assert flags.any is (warn_unexcused or warn_streak)


def test_absence_months_are_listed_once_oldest_first():
    flags = absence_flags([("2026-02", "absent"), ("2026-02", "absent"), ("2026-07", "present"), ("2026-11", "absent")])
    assert flags.unexcused_months == ("2026-02", "2026-11")


# --- a combined session (HD 42-HD/BTCTW, 2025) ---------------------------------------------------

@pytest.mark.parametrize(
    ("size", "length", "minimum", "reason", "ok"),
    [
        case(15, 120, 120, MinimumReason.COMBINED, True, id="a combined session of a large cell needs 120 minutes"),
        case(15, 100, 120, MinimumReason.COMBINED, False, id="100 minutes is enough for a regular one, not combined"),
        case(7, 60, 60, MinimumReason.SMALL_CELL, True, id="a small cell's 60 minutes apply to any session"),
    ],
)
def test_combined_session_minimum(size, length, minimum, reason, ok):
    verdict = duration_verdict("thuong_ky", size, START, START + timedelta(minutes=length), combined=True)
    assert (verdict.minimum, verdict.reason, verdict.ok) == (minimum, reason, ok)


def test_a_combined_session_is_the_month_regular_and_the_quarter_thematic():
    combined = [MeetingOnCalendar("thuong_ky", date(2026, 10, 5), combined=True)]
    assert missing_obligations(combined, date(2026, 10, 20)) == []
    assert missing_obligations(combined, date(2026, 11, 20)) == [Obligation.REGULAR_THIS_MONTH]
    assert missing_obligations([MeetingOnCalendar("thuong_ky", date(2026, 10, 5))], date(2026, 10, 20)) == \
        [Obligation.THEMATIC_THIS_QUARTER]


# --- the rate as shown: never rounded onto a target it missed ---------------------------------

@pytest.mark.parametrize(
    ("present", "expected", "target", "shown"),
    [
        case(26, 29, 0.9, (89.7, 1), id="26/29 is 89.7%, not 90%"),
        case(9, 10, 0.9, (90.0, 0), id="exactly the target is shown whole"),
        case(9, 11, 0.9, (82.0, 0), id="far from the target: a whole number"),
        case(899, 1000, 0.9, (89.9, 1), id="89.9% stays below the target"),
        case(8996, 10000, 0.9, (89.9, 1), id="89.96% is cut, not rounded, to 89.9%"),
        case(905, 1000, 0.9, (90.5, 1), id="just above the target shows it passed"),
        case(199, 200, 0.9, (99.5, 1), id="199/200 is not 100%"),
        case(1, 300, 0.9, (0.3, 1), id="a few is not 0%"),
        case(0, 5, 0.9, (0.0, 0), id="nobody is 0%"),
        case(5, 5, 0.9, (100.0, 0), id="everybody is 100%"),
        case(17, 20, 0.85, (85.0, 0), id="a committee's own target"),
        case(169, 199, 0.85, (84.9, 1), id="84.92% with a target of 85% is 84.9%"),
    ],
)
def test_shown_percent(present, expected, target, shown):
    assert shown_percent(present / expected, target) == shown


def test_fmt_rate_uses_a_decimal_comma_in_vietnamese():
    from core.texts import fmt_rate

    assert fmt_rate(26 / 29, 0.9) == "89,7%"
    assert fmt_rate(26 / 29, 0.9, "en") == "89.7%"
    assert fmt_rate(0.9) == "90%" and fmt_rate(None) == "–"


# --- names in the Vietnamese order -----------------------------------------------------------

@pytest.mark.parametrize(
    ("names", "ordered"),
    [
        case(["Nguyễn Văn Bình", "Trần Thị An"], ["Trần Thị An", "Nguyễn Văn Bình"], id="by given name first"),
        case(["Trần An", "Lê An", "Nguyễn An"], ["Lê An", "Nguyễn An", "Trần An"],
             id="the same given name: by family name"),
        case(["Lê Văn Đức", "Lê Văn Dũng", "Lê Văn Em"], ["Lê Văn Dũng", "Lê Văn Đức", "Lê Văn Em"],
             id="Đ comes after D, before E"),
        case(["Lê Thị Ơn", "Lê Thị Ôn", "Lê Thị On", "Lê Thị Phúc"],
             ["Lê Thị On", "Lê Thị Ôn", "Lê Thị Ơn", "Lê Thị Phúc"], id="O, Ô, Ơ are three letters, before P"),
        case(["Mai Ư", "Mai Uyên", "Mai Vân"], ["Mai Uyên", "Mai Ư", "Mai Vân"], id="Ư after U"),
        case(["Lê Ân", "Lê Ăn", "Lê An", "Lê Bé"], ["Lê An", "Lê Ăn", "Lê Ân", "Lê Bé"], id="A, Ă, Â"),
        case(["Lê Hạ", "Lê Há", "Lê Hã", "Lê Hả", "Lê Hà", "Lê Ha"],
             ["Lê Ha", "Lê Hà", "Lê Hả", "Lê Hã", "Lê Há", "Lê Hạ"], id="tones: none, huyền, hỏi, ngã, sắc, nặng"),
        case(["Lê Hai", "Lê Hạ"], ["Lê Hạ", "Lê Hai"], id="every tone of Ha comes before Hai, as in a dictionary"),
        case(["Trần Văn Z", "Trần Anh Z"], ["Trần Anh Z", "Trần Văn Z"], id="then the middle name"),
        case(["Lê Văn An", "Trần Thị An"], ["Trần Thị An", "Lê Văn An"], id="the middle name before the family name"),
        case(["Đỗ Văn An", "Bùi Thị Dung", "Trần Thị An", "Nguyễn Văn Đức", "Lê Văn Ánh", "Dương Văn Bình"],
             ["Trần Thị An", "Đỗ Văn An", "Lê Văn Ánh", "Dương Văn Bình", "Bùi Thị Dung", "Nguyễn Văn Đức"],
             id="given, middle, family; never by raw characters (Đ is not after Z)"),
        case(["Đỗ An", "Dương An"], ["Dương An", "Đỗ An"], id="Đ after D in family names too"),
    ],
)
def test_vietnamese_name_order(names, ordered):
    assert by_name(names) == ordered
    assert by_name(list(reversed(names))) == ordered


@pytest.mark.parametrize(
    ("titles", "ordered"),
    [
        case(["Chi bộ số 10", "Chi bộ số 2", "Chi bộ số 1"], ["Chi bộ số 1", "Chi bộ số 2", "Chi bộ số 10"],
             id="numbers by their value"),
        case(["Chi bộ Đông", "Chi bộ Dương", "Chi bộ Em"], ["Chi bộ Dương", "Chi bộ Đông", "Chi bộ Em"],
             id="Đ after D, before E"),
        case(["Chi bộ Ơn", "Chi bộ Ôn", "Chi bộ On"], ["Chi bộ On", "Chi bộ Ôn", "Chi bộ Ơn"], id="O, Ô, Ơ"),
        case(["Chi bộ khu 1", "Chi bộ khu", "Chi bộ"], ["Chi bộ", "Chi bộ khu", "Chi bộ khu 1"],
             id="a shorter name first"),
        case(["Tổ 3", "Tổ 3", "Tổ A"], ["Tổ 3", "Tổ 3", "Tổ A"], id="numbers before words; twins stay"),
    ],
)
def test_vietnamese_title_order(titles, ordered):
    assert sorted(titles, key=title_key) == ordered
    assert sorted(titles[::-1], key=title_key) == ordered  # noqa: C415 -- the input order must not matter


# --- quiet hours ------------------------------------------------------------------------------

NIGHT = (time(22, 0), time(6, 0))
MEETING = vn(2026, 12, 5, 19, 30)


@pytest.mark.parametrize(
    ("due", "quiet", "meeting_start", "sent"),
    [
        case(vn(2026, 12, 3, 23, 0), NIGHT, MEETING, vn(2026, 12, 4, 6, 0),
             id="a reminder due at 23:00 goes out at 06:00 the next day"),
        case(vn(2026, 12, 4, 2, 30), NIGHT, MEETING, vn(2026, 12, 4, 6, 0),
             id="a reminder due at 02:30 goes out at 06:00 the same day"),
        case(vn(2026, 12, 3, 22, 0), NIGHT, MEETING, vn(2026, 12, 4, 6, 0),
             id="a reminder due at exactly 22:00 is in the quiet hours"),
        case(vn(2026, 12, 4, 21, 59), NIGHT, MEETING, vn(2026, 12, 4, 21, 59),
             id="a reminder due at 21:59 is unchanged"),
        case(vn(2026, 12, 4, 6, 0), NIGHT, MEETING, vn(2026, 12, 4, 6, 0),
             id="a reminder due at exactly 06:00 is unchanged"),
        case(vn(2026, 12, 4, 23, 0), NIGHT, vn(2026, 12, 5, 5, 30), vn(2026, 12, 4, 23, 0),
             id="a reminder that would move past the meeting start is sent at once"),
        case(vn(2026, 12, 4, 23, 0), NIGHT, vn(2026, 12, 5, 6, 0), vn(2026, 12, 4, 23, 0),
             id="a reminder that would move to the meeting start itself is sent at once"),
        case(vn(2026, 12, 4, 23, 0), None, MEETING, vn(2026, 12, 4, 23, 0),
             id="with quiet hours off a 23:00 reminder is unchanged"),
        case(vn(2026, 12, 4, 12, 30), (time(12, 0), time(13, 30)), MEETING, vn(2026, 12, 4, 13, 30),
             id="a daytime quiet range moves a 12:30 reminder to 13:30"),
    ],
)
def test_shift_out_of_quiet(due, quiet, meeting_start, sent):
    result = shift_out_of_quiet(due, quiet, meeting_start)
    assert result == sent
    assert result.utcoffset() == timedelta(hours=7)  # still local


@pytest.mark.parametrize(
    ("local", "quiet", "inside"),
    [
        case(vn(2026, 12, 4, 21, 59, 59), NIGHT, False, id="21:59:59 is awake"),
        case(vn(2026, 12, 4, 22, 0), NIGHT, True, id="22:00 is quiet"),
        case(vn(2026, 12, 4, 0, 0), NIGHT, True, id="midnight is quiet"),
        case(vn(2026, 12, 4, 5, 59), NIGHT, True, id="05:59 is quiet"),
        case(vn(2026, 12, 4, 6, 0), NIGHT, False, id="06:00 is awake"),
        case(vn(2026, 12, 4, 3, 0), None, False, id="with quiet hours off 03:00 is awake"),
        case(vn(2026, 12, 4, 12, 0), (time(12, 0), time(13, 30)), True, id="a daytime range includes its start"),
        case(vn(2026, 12, 4, 13, 30), (time(12, 0), time(13, 30)), False, id="a daytime range excludes its end"),
    ],
)
def test_in_quiet_hours(local, quiet, inside):
    assert in_quiet_hours(local, quiet) is inside


# --- settings ---------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _no_chibo_environment(monkeypatch):
    """Settings read CHIBO_* variables; the developer's own must not leak into these cases."""
    import os

    for name in list(os.environ):
        if name.startswith("CHIBO_") and not name.startswith("CHIBO_TEST_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("text", "offsets"),
    [
        case("3d,1d,2h", (timedelta(days=3), timedelta(days=1), timedelta(hours=2)), id="3d 1d 2h stay largest first"),
        case("2h,3d,1d", (timedelta(days=3), timedelta(days=1), timedelta(hours=2)), id="an unsorted list is sorted largest first"),
        case(" 30m , 45s ,1h", (timedelta(hours=1), timedelta(minutes=30), timedelta(seconds=45)),
             id="spaces around parts are allowed"),
        case("1d,24h", (timedelta(days=1),), id="the same offset written twice is kept once"),
        case("1d,,2h,", (timedelta(days=1), timedelta(hours=2)), id="empty parts are skipped"),
        case("", (), id="an empty text gives no offsets"),
    ],
)
def test_parse_offsets(text, offsets):
    assert parse_offsets(text) == offsets


@pytest.mark.parametrize("text", ["5x", "3d,5x,2h", "d3", "1.5h", "-1d"])
def test_a_bad_offset_is_named_in_the_error(text):
    bad = next(p.strip() for p in text.split(",") if p.strip() not in {"3d", "2h"})
    with pytest.raises(ValueError) as info:
        parse_offsets(text)
    assert f"'{bad}'" in str(info.value)


def test_a_bad_cron_line_is_a_validation_error():
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, weekly_summary_cron="bad")
    assert any(e["loc"] == ("weekly_summary_cron",) for e in info.value.errors())


@pytest.mark.parametrize(
    ("field", "value"),
    [("reminder_offsets", "3d,5x"), ("quiet_hours", "late night"), ("timezone", "Asia/Hanoi_Nowhere")],
)
def test_other_bad_settings_are_validation_errors(field, value):
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None, **{field: value})
    assert [e["loc"] for e in info.value.errors()] == [(field,)]


def test_the_token_is_never_shown_by_repr_or_str():
    settings = Settings(_env_file=None, telegram_token="123:SECRET", webhook_secret="HOOKSECRET")
    for shown in (repr(settings), str(settings), repr(settings.model_dump())):
        assert "SECRET" not in shown.replace("SecretStr", "")
    assert settings.token_value() == "123:SECRET"


def test_good_settings_parse():
    settings = Settings(_env_file=None, quiet_hours="off", reminder_offsets="2h,1d", timezone="Asia/Ho_Chi_Minh")
    assert settings.quiet is None
    assert settings.offsets == (timedelta(days=1), timedelta(hours=2))
    assert settings.tz == VN
    assert Settings(_env_file=None).quiet == (time(22, 0), time(6, 0))
