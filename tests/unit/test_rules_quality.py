"""rules.quality: the score sheet of a meeting, table-tested."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rules import quality
from rules.quality import Level, assess

ALL_GOOD = {"committee_met": "yes", "prepared": "both", "members_spoke": "half", "praise_criticism": "both",
            "minutes": "full"}
KNOWN_GOOD = {"attendance": 1.0, "on_time": 1.0, "duration": 1.0, "tasks_given": 1.0, "last_tasks": 1.0}


def test_default_weights_add_up_to_100_and_every_criterion_has_a_source():
    assert sum(quality.default_weights().values()) == 100
    assert all(c.source for c in quality.CRITERIA)
    assert len(quality.QUESTIONS) <= 5  # the issue: at most five questions
    assert quality.default_weights()["attendance"] == 10  # "commonly weighted 10" (docs/quy-dinh.md)
    for c in quality.CRITERIA:
        if c.asked:
            assert set(c.options) == set(quality.ANSWER_SCORES[c.key])


@pytest.mark.parametrize(("score", "full", "level"), [
    (100, True, Level.TOT), (90, True, Level.TOT), (90, False, Level.KHA), (95, False, Level.KHA),
    (89, True, Level.KHA), (70, True, Level.KHA), (69, True, Level.TRUNG_BINH), (50, False, Level.TRUNG_BINH),
    (49, True, Level.KEM), (0, True, Level.KEM),
])
def test_levels(score, full, level):
    assert quality.level_for(score, full) is level


@pytest.mark.parametrize(("known", "answers", "score", "level"), [
    (KNOWN_GOOD, ALL_GOOD, 100, Level.TOT),
    # 95 points, but members' contributions not at full marks: Khá, not Tốt.
    ({**KNOWN_GOOD}, {**ALL_GOOD, "members_spoke": "third"}, 94, Level.KHA),
    # duration short (half marks): 95 but not Tốt.
    ({**KNOWN_GOOD, "duration": 0.5}, ALL_GOOD, 95, Level.KHA),
    # nothing to judge for the last tasks: scaled over the 90 points judged.
    ({**KNOWN_GOOD, "last_tasks": None, "tasks_given": 0.4}, ALL_GOOD, 93, Level.TOT),
    ({**KNOWN_GOOD, "attendance": 0.0, "duration": 0.0}, {**ALL_GOOD, "minutes": "partial"}, 75, Level.KHA),
    (dict.fromkeys(KNOWN_GOOD, 0.0), {"committee_met": "no", "prepared": "no", "members_spoke": "none",
                                    "praise_criticism": "no", "minutes": "no"}, 0, Level.KEM),
])
def test_scores(known, answers, score, level):
    q = assess(known, answers)
    assert (q.score, q.level, q.complete) == (score, level, True)


def test_an_unanswered_question_leaves_the_score_open():
    q = assess(KNOWN_GOOD, {"committee_met": "yes"})
    assert q.score is None and q.level is None
    assert q.missing == ("prepared", "members_spoke", "praise_criticism", "minutes")
    with pytest.raises(ValueError):
        assess(KNOWN_GOOD, {"committee_met": "maybe"})


def test_a_committee_sets_its_own_weights():
    weights = quality.weights_with({"attendance": 20, "on_time": 0, "last_tasks": 5})
    assert weights["attendance"] == 20 and sum(weights.values()) == 100
    q = assess({**KNOWN_GOOD, "on_time": 0.0}, ALL_GOOD, weights)
    assert q.score == 100  # on time weighs nothing here
    for bad in ({"attendance": 30}, {"nope": 5}, {"attendance": -5, "on_time": 20}):
        with pytest.raises(ValueError):
            quality.weights_with(bad)


@pytest.mark.parametrize(("rate_ok", "unexcused", "streak", "fraction"), [
    (True, 0, 0, 1.0), (True, 0, 3, 1.0), (True, 0, 4, 0.5), (True, 1, 0, 0.5), (False, 0, 0, 0.5), (False, 1, 0, 0.0),
])
def test_attendance(rate_ok, unexcused, streak, fraction):
    assert quality.attendance_fraction(rate_ok, unexcused, streak) == fraction


@pytest.mark.parametrize(("minutes", "minimum", "fraction"), [(90, 90, 1.0), (120, 90, 1.0), (68, 90, 0.5),
                                                               (67, 90, 0.0), (0, 60, 0.0)])
def test_duration(minutes, minimum, fraction):
    assert quality.duration_fraction(minutes, minimum) == fraction


def test_tasks_and_time():
    assert quality.tasks_given_fraction(2, 5) == 0.4 and quality.tasks_given_fraction(0, 0) is None
    assert quality.last_tasks_fraction(3, 4) == 0.75 and quality.last_tasks_fraction(0, 0) is None
    assert quality.on_time_fraction(15) == 1.0 and quality.on_time_fraction(16) == 0.0


def test_the_reminder_is_due_the_next_morning_across_month_and_year_ends():
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert quality.reminder_due(datetime(2026, 12, 31, 23, 50, tzinfo=tz)) == datetime(2027, 1, 1, 9, 0, tzinfo=tz)
    assert quality.reminder_due(datetime(2026, 11, 30, 0, 5, tzinfo=tz)) == datetime(2026, 12, 1, 9, 0, tzinfo=tz)
