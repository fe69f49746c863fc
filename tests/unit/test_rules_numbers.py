"""Numbers that agree with each other and with the rules (issue 20): the duration the shown times give,
the quality level on the unrounded score, the last meeting's tasks that were due, the two parts of the
attendance criterion, who of the exempt came."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from rules import RuleSet, beyond_bound, duration_minutes, duration_verdict
from rules.attendance import MemberSpan, attendance_count, expected_members
from rules.quality import AttendanceParts, Level, assess, last_tasks, level_for, shown_score

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


# --- duration: the minutes between the times as shown ------------------------------------------------

@pytest.mark.parametrize(("start", "end", "minutes"), [
    (vn(2026, 12, 5, 21, 31, 40), vn(2026, 12, 5, 23, 40), 129),  # "21:31–23:40", not 128
    (vn(2026, 12, 5, 19, 30, 59, 999999), vn(2026, 12, 5, 21, 0), 90),
    (vn(2026, 12, 5, 19, 30), vn(2026, 12, 5, 20, 59, 59), 89),  # "19:30–20:59"
    (vn(2026, 12, 31, 23, 10, 30), vn(2027, 1, 1, 0, 40), 90),  # across midnight and the year's end
    (vn(2028, 2, 28, 23, 30, 15), vn(2028, 2, 29, 1, 0, 5), 90),  # into 29/02
    (vn(2026, 12, 5, 19, 30, 10), vn(2026, 12, 5, 19, 30, 50), 0),
])
def test_the_duration_is_the_one_the_shown_times_give(start, end, minutes):
    assert duration_minutes(start, end) == minutes
    assert duration_minutes(start.astimezone(ZoneInfo("UTC")), end) == minutes  # whatever zone it is stored in


def test_a_meeting_of_exactly_the_minimum_with_a_start_stored_with_seconds_passes():
    # Started by /batdau at 19:30:25 (stored with seconds), ended with "/ketthuc 21:00": shown 19:30–21:00.
    verdict = duration_verdict("thuong_ky", 20, vn(2026, 12, 5, 19, 30, 25), vn(2026, 12, 5, 21, 0))
    assert (verdict.minutes, verdict.minimum, verdict.ok, verdict.short_by) == (90, 90, True, 0)
    # Across midnight: a thematic meeting shown 22:10–00:10 lasted its 120 minutes.
    verdict = duration_verdict("chuyen_de", 20, vn(2026, 12, 5, 22, 10, 59), vn(2026, 12, 6, 0, 10))
    assert (verdict.minutes, verdict.ok) == (120, True)
    verdict = duration_verdict("chuyen_de", 20, vn(2026, 12, 5, 22, 11, 0), vn(2026, 12, 6, 0, 10, 59))
    assert (verdict.minutes, verdict.ok, verdict.short_by) == (119, False, 1)
    with pytest.raises(ValueError):
        duration_minutes(vn(2026, 12, 5, 21, 0, 1), vn(2026, 12, 5, 21, 0))


def test_the_bound_is_judged_on_the_shown_duration_too():
    start = vn(2026, 12, 5, 19, 30, 40)
    assert not beyond_bound(start, vn(2026, 12, 6, 1, 30), 6)  # shown 19:30–01:30: six hours, allowed
    assert beyond_bound(start, vn(2026, 12, 6, 1, 31), 6)


# --- the quality level: judged on the unrounded score; the shown score is cut down ---------------------

GOOD = {"attendance": 1.0, "on_time": 1.0, "duration": 1.0, "tasks_given": 1.0}
ALL_GOOD = {"committee_met": "yes", "prepared": "both", "members_spoke": "half", "praise_criticism": "both",
            "minutes": "full"}


@pytest.mark.parametrize(("known", "answers", "points", "score", "level"), [
    # 19 of the last meeting's 20 tasks done on time (9.5 of 10), content without a draft resolution,
    # praise without criticism: 89.5 is Khá, shown 89 (never "Tốt – 90/100").
    ({**GOOD, "last_tasks": 0.95}, {**ALL_GOOD, "prepared": "content", "praise_criticism": "one"}, 89.5, 89, Level.KHA),
    ({**GOOD, "last_tasks": 1.0}, {**ALL_GOOD, "prepared": "content", "praise_criticism": "one"}, 90.0, 90, Level.TOT),
    ({**GOOD, "last_tasks": 0.95}, {**ALL_GOOD, "committee_met": "no", "prepared": "no", "praise_criticism": "no"},
     69.5, 69, Level.TRUNG_BINH),
    ({**GOOD, "last_tasks": 1.0}, {**ALL_GOOD, "committee_met": "no", "prepared": "no", "praise_criticism": "no"},
     70.0, 70, Level.KHA),
    ({**GOOD, "attendance": 0.0, "on_time": 0.0, "last_tasks": 0.95},
     {**ALL_GOOD, "committee_met": "no", "prepared": "no", "praise_criticism": "no", "minutes": "partial"},
     49.5, 49, Level.KEM),
    ({**GOOD, "attendance": 0.0, "on_time": 0.0, "last_tasks": 1.0},
     {**ALL_GOOD, "committee_met": "no", "prepared": "no", "praise_criticism": "no", "minutes": "partial"},
     50.0, 50, Level.TRUNG_BINH),
    # 15 × 0.6 is 8.999999999999998 in floating point: still 94, not 93.
    ({**GOOD, "last_tasks": 1.0}, {**ALL_GOOD, "members_spoke": "third"}, 94.0, 94, Level.KHA),
])
def test_the_level_is_decided_on_the_unrounded_score(known, answers, points, score, level):
    q = assess(known, answers)
    assert q.points == pytest.approx(points)
    assert (q.score, q.level) == (score, level)
    assert level_for(q.score, True) is level_for(q.points, True)  # the shown score is on the same side of every line


@pytest.mark.parametrize(("points", "shown"), [(89.5, 89), (89.999, 89), (90.0, 90), (69.5, 69), (49.5, 49),
                                              (89.99999999999, 90), (0.0, 0), (100.0, 100)])
def test_the_shown_score_is_cut_down(points, shown):
    assert shown_score(points) == shown


@pytest.mark.parametrize(("points", "level"), [(89.5, Level.KHA), (69.5, Level.TRUNG_BINH), (49.5, Level.KEM),
                                               (90, Level.TOT), (70, Level.KHA), (50, Level.TRUNG_BINH)])
def test_level_edges(points, level):
    assert level_for(points, True) is level


# --- the last meeting's tasks: only those due (or done) count ------------------------------------------

def test_a_thematic_meeting_a_week_after_counts_only_the_tasks_already_due():
    meeting_day = date(2026, 12, 12)
    tasks = [(date(2026, 12, 8), date(2026, 12, 7)), (date(2026, 12, 10), date(2026, 12, 9))]  # due, done
    tasks += [(date(2026, 12, 31), None)] * 28  # not due yet
    record = last_tasks(tasks, meeting_day)
    assert (record.given, record.counted, record.on_time, record.not_yet_due) == (30, 2, 2, 28)
    assert record.fraction == 1.0  # not 2/30 (0.7 of 10 points)


def test_last_tasks_edges():
    day = date(2026, 12, 12)
    # Due today: not passed yet, left out; done early: counted, on time; overdue: counted, not on time;
    # done late: counted, not on time.
    record = last_tasks([(day, None), (date(2026, 12, 20), date(2026, 12, 11)), (date(2026, 12, 11), None),
                         (date(2026, 12, 1), date(2026, 12, 3))], day)
    assert (record.given, record.counted, record.on_time, record.not_yet_due) == (4, 3, 1, 1)
    assert record.fraction == pytest.approx(1 / 3)
    assert last_tasks([(date(2026, 12, 31), None)], day).fraction is None  # nothing due: not judged
    assert last_tasks([], day).fraction is None


# --- the attendance criterion: two parts, each shown, each half ---------------------------------------

@pytest.mark.parametrize(("rate_ok", "unexcused", "streak", "fraction", "conduct"), [
    (True, 0, 0, 1.0, True), (True, 0, 3, 1.0, True), (True, 0, 4, 0.5, False), (True, 1, 0, 0.5, False),
    (False, 0, 0, 0.5, True),  # nobody absent without reason: half, not 0/10
    (False, 2, 0, 0.0, False),
])
def test_the_attendance_criterion_has_two_parts(rate_ok, unexcused, streak, fraction, conduct):
    parts = AttendanceParts(rate_ok, unexcused, streak)
    assert (parts.fraction, parts.conduct_ok) == (fraction, conduct)
    q = assess({**GOOD, "attendance": None, "last_tasks": None}, ALL_GOOD, facts={"attendance": parts})
    assert q.items[0].facts is parts


# --- who of the exempt came: counted apart, never lost ------------------------------------------------

def test_exempt_members_who_came_are_counted_apart():
    day = date(2026, 12, 5)
    spans = [MemberSpan(i, date(2020, 1, 1)) for i in range(1, 29)]
    spans += [MemberSpan(29, date(2020, 1, 1), exempt=True), MemberSpan(30, date(2020, 1, 1), exempt=True)]
    expected, exempt = expected_members(spans, day)
    came = set(range(1, 25)) | {29, 30}  # 26 in the room: 24 of the 28 expected, and both exempt
    count = attendance_count(expected, exempt, came, RuleSet())
    assert (count.in_room, count.verdict.present, count.verdict.expected) == (26, 24, 28)
    assert (count.exempt, count.exempt_present, count.active) == (2, 2, 30)
    assert count.verdict.rate == pytest.approx(24 / 28) and not count.verdict.ok

