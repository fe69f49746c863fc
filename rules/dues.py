"""Party dues (đảng phí): amounts read and shown, months read, the months a member owes, the month's
collection for a cell, and the Điều 8.1 count that joins unpaid months to months of unexcused absence.

chibo does not compute a member's amount (Quyết định 342-QĐ/TW sets it from income chibo does not hold):
the cell sets it. A month is owed from the month a member joins to the month they leave; it counts as
unpaid once it has ended without a payment. Months are "YYYY-MM" keys, as rules.calendar.month_key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from rules.calendar import month_key
from rules.ruleset import RuleSet

MAX_AMOUNT = 10_000_000  # a month's dues above this is a typing slip (an extra zero)
FLAG_AT = 3  # Điều lệ Đảng, Điều 8.1: three months in a calendar year, the cell considers striking off
MAX_MONTHS_AHEAD = 12  # paying ahead: up to a year

_AMOUNT = re.compile(r"^(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(k|nghìn|nghin|ngàn|ngan)?(?:\s*(?:đ|d|vnd|vnđ|đồng|dong))?$")
_MONTHS = re.compile(r"^(?:t|thang|tháng)?\s*(\d{1,2}(?:\s*[,;]\s*\d{1,2})*|\d{1,2}\s*-\s*\d{1,2})(?:\s*/\s*(\d{4}))?$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_amount(text: str) -> int | None:
    """ "30000", "30.000", "30,000", "30 000", "30k", "30 nghìn", "30.000 đ" -> 30000; None if not an amount
    of whole đồng from 1 to ``MAX_AMOUNT``."""
    match = _AMOUNT.match(" ".join(text.strip().lower().split()))
    if match is None:
        return None
    value = int(re.sub(r"[.,\s]", "", match.group(1)))
    if match.group(2):
        value *= 1000
    return value if 0 < value <= MAX_AMOUNT else None


def fmt_amount(amount: int) -> str:
    """30000 -> "30.000 đ"."""
    return f"{amount:,}".replace(",", ".") + " đ"


def read_months(text: str, today: date) -> list[str] | None:
    """ "11/2026", "11,12/2026", "11-12/2026", "tháng 12", "2026-11" -> the months ("YYYY-MM"), oldest first.
    Months without a year are the nearest to ``today``, as dates without a year are: "12" typed in January is the
    December just ended, "1" typed in December the coming January (a month more than six months away is taken in
    the year before or after; a range such as "1-3" stays in its first month's year). None if not months, or later than a year ahead."""
    folded = " ".join(text.strip().lower().split())
    iso = _ISO_MONTH.match(folded)
    if iso:
        months = [(int(iso.group(1)), int(iso.group(2)))]
    else:
        match = _MONTHS.match(folded)
        if match is None:
            return None
        body = match.group(1)
        if "-" in body:
            first, last = (int(p) for p in body.split("-"))
            if first > last:
                return None
            numbers = list(range(first, last + 1))
        else:
            numbers = sorted({int(p) for p in re.split(r"\s*[,;]\s*", body)})
        if match.group(2):
            months = [(int(match.group(2)), n) for n in numbers]
        elif "-" in body:  # a range stays in one year: its first month's
            months = [(_nearest_year(numbers[0], today), n) for n in numbers]
        else:  # "11,12,1" typed in December: November, December, then the coming January
            months = sorted((_nearest_year(n, today), n) for n in numbers)
    if not months or any(not 1 <= m <= 12 or y < 2000 for y, m in months):
        return None
    latest = today.year * 12 + today.month - 1 + MAX_MONTHS_AHEAD
    if any(y * 12 + m - 1 > latest for y, m in months):
        return None
    return [f"{y:04d}-{m:02d}" for y, m in months]


def _nearest_year(month: int, today: date) -> int:
    """The year that puts ``month`` nearest to ``today``'s month (six months either way stay in this year)."""
    if month - today.month > 6:
        return today.year - 1
    if today.month - month > 6:
        return today.year + 1
    return today.year


def owes(month: str, joined: date, left: date | None) -> bool:
    """Whether a member owes ``month``'s dues: from the month they joined to the month they left."""
    return month_key(joined) <= month and (left is None or month <= month_key(left))


def owed_months(year: int, joined: date, left: date | None, today: date, since: str | None = "0000-00") -> list[str]:
    """The months of ``year`` a member owes and that have ended by ``today``: from the month they joined (not
    before), to the month they left, and before ``today``'s month; none before ``since``, the cell's first month
    of dues on record (None: the cell records no dues, nothing is on record as owed)."""
    if since is None:
        return []
    months = []
    for month in range(1, 13):
        key = f"{year:04d}-{month:02d}"
        if not owes(key, joined, left) or key >= month_key(today) or key < since:
            continue
        months.append(key)
    return months


def unpaid_months(owed: Iterable[str], paid: Iterable[str]) -> tuple[str, ...]:
    done = set(paid)
    return tuple(m for m in owed if m not in done)


@dataclass(frozen=True)
class Article81:
    """Điều lệ Đảng, Điều 8.1 for one member and one calendar year: the months with an unexcused absence and
    the months of unpaid dues, each named; a month with both counts once."""

    absent_months: tuple[str, ...]
    unpaid_months: tuple[str, ...]
    warn: bool  # at least ``unexcused_warn_at`` months: the secretary is warned
    flag: bool  # at least three: the cell considers the case

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.absent_months) | set(self.unpaid_months)))

    @property
    def count(self) -> int:
        return len(self.months)


def article_8_1(absent_months: Sequence[str], unpaid: Sequence[str], rules: RuleSet = RuleSet()) -> Article81:
    months = set(absent_months) | set(unpaid)
    return Article81(tuple(sorted(set(absent_months))), tuple(sorted(set(unpaid))),
                     warn=len(months) >= rules.unexcused_warn_at, flag=len(months) >= FLAG_AT)


@dataclass(frozen=True)
class Collection:
    """A cell's dues for one month: ``paid`` of ``owing`` members, ``amount`` collected (VND)."""

    paid: int
    owing: int
    amount: int

    @property
    def rate(self) -> float | None:
        return self.paid / self.owing if self.owing else None


def collection(owing: Iterable[int], payments: dict[int, int]) -> Collection:
    """``owing``: the members who owe the month; ``payments``: member -> amount paid for the month (anyone who
    paid is counted in the amount; the rate counts those who owe)."""
    who = set(owing)
    return Collection(paid=len(who & set(payments)), owing=len(who), amount=sum(payments.values()))
