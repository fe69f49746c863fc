"""A period the committee looks at: a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026").

The same key is typed in a web address (``?ky=2026-Q4``) and after ``--period`` on the command line;
``parse_period`` reads it and says what to type instead when it cannot."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rules.calendar import month_key, quarter_of

MONTH, QUARTER, YEAR = "month", "quarter", "year"
_KEY = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq]([1-4])))?$")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a year outside is a typo, not a period with records


@dataclass(frozen=True)
class Period:
    kind: str  # MONTH | QUARTER | YEAR
    year: int
    number: int = 0  # the month (1-12) or the quarter (1-4); 0 for a year

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year:04d}-Q{self.number}"
        return f"{self.year:04d}"

    @property
    def first_month(self) -> int:
        return {MONTH: self.number, QUARTER: 3 * self.number - 2, YEAR: 1}[self.kind]

    @property
    def last_month(self) -> int:
        return {MONTH: self.number, QUARTER: 3 * self.number, YEAR: 12}[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """Its last day."""
        if self.last_month == 12:
            return date(self.year, 12, 31)
        return date(self.year, self.last_month + 1, 1) - timedelta(days=1)

    @property
    def months(self) -> list[str]:
        """Its months' keys, "2026-10", "2026-11", "2026-12"."""
        return [f"{self.year:04d}-{m:02d}" for m in range(self.first_month, self.last_month + 1)]

    @property
    def quarters(self) -> list[tuple[int, int]]:
        """The quarters it covers whole or in part, as ``quarter_of`` gives them."""
        return sorted({quarter_of(date(self.year, m, 1)) for m in range(self.first_month, self.last_month + 1)})

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def months_until(self, today: date) -> list[str]:
        """Its months that have begun by ``today``."""
        return [m for m in self.months if m <= month_key(today)]

    def previous(self) -> Period:
        if self.kind == YEAR:
            return Period(YEAR, self.year - 1)
        size = 12 if self.kind == MONTH else 4
        return Period(self.kind, self.year - 1, size) if self.number == 1 else Period(self.kind, self.year, self.number - 1)

    def next(self) -> Period:
        if self.kind == YEAR:
            return Period(YEAR, self.year + 1)
        size = 12 if self.kind == MONTH else 4
        return Period(self.kind, self.year + 1, 1) if self.number == size else Period(self.kind, self.year, self.number + 1)


def this_month(today: date) -> Period:
    return Period(MONTH, today.year, today.month)


def this_quarter(today: date) -> Period:
    return Period(QUARTER, *quarter_of(today))


def this_year(today: date) -> Period:
    return Period(YEAR, today.year)


def parse_period(text: str) -> Period:
    """"2026-11", "2026-Q4" (or "2026-q4") or "2026" → a Period; ValueError saying what to type otherwise."""
    match = _KEY.match(text.strip())
    if match is None:
        raise ValueError(text)
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(text)
    if match.group(2) is not None:
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(text)
        return Period(MONTH, year, month)
    if match.group(3) is not None:
        return Period(QUARTER, year, int(match.group(3)))
    return Period(YEAR, year)


def choices(today: date, years: int = 3) -> list[Period]:
    """What the picker offers: the months, quarters and years of the last ``years`` years up to today, latest
    first within each kind."""
    out: list[Period] = []
    first = today.year - years + 1
    month = this_month(today)
    while month.year >= first:
        out.append(month)
        month = month.previous()
    quarter = this_quarter(today)
    while quarter.year >= first:
        out.append(quarter)
        quarter = quarter.previous()
    out.extend(Period(YEAR, y) for y in range(today.year, first - 1, -1))
    return out
