"""HD 12's "many members speak" from who spoke: the thresholds on the counts, and the question not asked."""

from __future__ import annotations

import pytest

from rules import quality


@pytest.mark.parametrize(("spoke", "present", "fraction"), [
    (0, 0, None), (0, 5, 0.0), (1, 7, 0.3), (2, 7, 0.3), (3, 7, 0.6), (4, 7, 1.0),  # 4 of 7 is over half
    (1, 3, 0.6), (2, 6, 0.6), (3, 6, 1.0), (2, 4, 1.0), (1, 4, 0.3), (9, 9, 1.0),  # a third and a half exactly
])
def test_the_fraction_is_judged_on_the_counts(spoke, present, fraction):
    assert quality.members_spoke_fraction(spoke, present) == fraction


def test_a_question_chibo_can_judge_is_not_asked():
    known = {"attendance": 1.0, "on_time": 1.0, "duration": 1.0, "tasks_given": 1.0, "last_tasks": None,
             "members_spoke": quality.Spoke(2, 4).fraction}
    q = quality.assess(known, {"committee_met": "yes", "prepared": "both"})
    assert "members_spoke" not in q.asked and q.missing == ("praise_criticism", "minutes")
    q = quality.assess(known, {"committee_met": "yes", "prepared": "both", "praise_criticism": "both",
                               "minutes": "full", "members_spoke": "none"})  # an earlier answer: the record wins
    assert q.complete and q.score == 100 and q.level is quality.Level.TOT
    q = quality.assess({**known, "members_spoke": None}, {})
    assert "members_spoke" in q.missing and len(q.asked) == 5  # not recorded: still asked
