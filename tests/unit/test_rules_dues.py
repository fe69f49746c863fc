"""Party dues rules: amounts and months read as people type them, the months a member owes (joining mid-year,
year end), and Điều 8.1 counting unpaid months with months of unexcused absence."""

from __future__ import annotations

from datetime import date

import pytest

from rules.dues import (
    FLAG_AT,
    article_8_1,
    collection,
    fmt_amount,
    owed_months,
    parse_amount,
    read_months,
    unpaid_months,
)
from rules.ruleset import RuleSet


@pytest.mark.parametrize(("text", "value"), [
    ("30000", 30000), ("30.000", 30000), ("30,000", 30000), ("30 000", 30000), ("30k", 30000), ("30K", 30000),
    ("30 nghìn", 30000), ("30.000 đ", 30000), ("30000đ", 30000), ("1.250.000", 1250000), ("5000", 5000),
    ("0", None), ("", None), ("abc", None), ("30.00", None), ("-5000", None), ("99999999", None), ("3,5k", None),
])
def test_amounts_read_as_typed(text, value):
    assert parse_amount(text) == value


def test_amounts_shown_with_dots():
    assert fmt_amount(30000) == "30.000 đ" and fmt_amount(500) == "500 đ" and fmt_amount(1250000) == "1.250.000 đ"


TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(("text", "months"), [
    ("11/2026", ["2026-11"]), ("11,12/2026", ["2026-11", "2026-12"]), ("11-12/2026", ["2026-11", "2026-12"]),
    ("1-3/2026", ["2026-01", "2026-02", "2026-03"]), ("12", ["2026-12"]), ("tháng 12", ["2026-12"]),
    ("T11", ["2026-11"]), ("2026-11", ["2026-11"]), ("12, 11 / 2026", ["2026-11", "2026-12"]),
    ("1/2027", ["2027-01"]), ("12/2027", ["2027-12"]),
    ("13/2026", None), ("0/2026", None), ("12-11/2026", None), ("1/2028", None), ("mai", None), ("", None),
])
def test_months_read_as_typed(text, months):
    assert read_months(text, TODAY) == months


@pytest.mark.parametrize(("today", "text", "months"), [
    (date(2027, 1, 2), "12", ["2026-12"]),  # in January, the December just ended
    (date(2027, 1, 2), "11,12", ["2026-11", "2026-12"]),
    (date(2027, 1, 2), "1", ["2027-01"]),
    (date(2026, 12, 31), "1", ["2027-01"]),  # in December, the coming January
    (date(2026, 12, 31), "11,12,1", ["2026-11", "2026-12", "2027-01"]),
    (date(2026, 12, 31), "1-3", ["2027-01", "2027-02", "2027-03"]),
    (date(2026, 7, 15), "1", ["2026-01"]),  # six months either way: this year
    (date(2026, 7, 15), "12", ["2026-12"]),
    (date(2027, 1, 2), "12/2027", ["2027-12"]),  # a year typed is kept
])
def test_months_without_a_year_are_the_nearest(today, text, months):
    assert read_months(text, today) == months


def test_months_owed_from_joining_to_the_end_of_last_month():
    assert owed_months(2026, date(2020, 1, 1), None, TODAY) == [f"2026-{m:02d}" for m in range(1, 12)]
    assert owed_months(2026, date(2026, 6, 20), None, TODAY) == [f"2026-{m:02d}" for m in range(6, 12)]  # joined June
    assert owed_months(2026, date(2020, 1, 1), date(2026, 3, 10), TODAY) == ["2026-01", "2026-02", "2026-03"]
    # year end: on 31/12 December is not over; on 1/1 the whole year is, and the new one owes nothing yet
    assert owed_months(2026, date(2020, 1, 1), None, date(2026, 12, 31))[-1] == "2026-11"
    assert owed_months(2026, date(2020, 1, 1), None, date(2027, 1, 1))[-1] == "2026-12"
    assert owed_months(2027, date(2020, 1, 1), None, date(2027, 1, 1)) == []
    assert owed_months(2026, date(2027, 2, 1), None, date(2027, 3, 1)) == []  # joined after the year


def test_unpaid_is_owed_less_paid():
    assert unpaid_months(["2026-01", "2026-02", "2026-03"], ["2026-02", "2025-12"]) == ("2026-01", "2026-03")


def test_article_8_1_counts_months_of_either_once():
    none = article_8_1([], [])
    assert (none.count, none.warn, none.flag) == (0, False, False)
    one = article_8_1(["2026-03"], ["2026-03"])  # both in one month: one month
    assert (one.count, one.warn) == (1, False)
    two = article_8_1(["2026-03"], ["2026-05"])
    assert (two.count, two.warn, two.flag, two.months) == (2, True, False, ("2026-03", "2026-05"))
    three = article_8_1([], ["2026-01", "2026-02", "2026-04"])
    assert (three.count, three.warn, three.flag) == (FLAG_AT, True, True)
    assert three.unpaid_months == ("2026-01", "2026-02", "2026-04") and three.absent_months == ()
    assert article_8_1(["2026-03"], [], RuleSet(unexcused_warn_at=1)).warn


def test_collection_rate_over_those_who_owe():
    month = collection([1, 2, 3, 4], {1: 30000, 2: 50000, 9: 20000})
    assert (month.paid, month.owing, month.amount, month.rate) == (2, 4, 100000, 0.5)
    assert collection([], {}).rate is None


def test_nothing_owed_before_the_cell_records_dues():
    assert owed_months(2026, date(2020, 1, 1), None, TODAY, since=None) == []
    assert owed_months(2026, date(2020, 1, 1), None, TODAY, since="2026-09") == ["2026-09", "2026-10", "2026-11"]
    assert owed_months(2026, date(2026, 10, 3), None, TODAY, since="2026-09") == ["2026-10", "2026-11"]
