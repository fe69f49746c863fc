"""Who is expected at a meeting, who is late, and the attendance rate."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from rules.ruleset import RuleSet


@dataclass(frozen=True)
class MemberSpan:
    """What the attendance rules need to know of a member."""

    member_id: int
    active_from: date
    active_to: date | None = None
    exempt: bool = False
    exempt_since: date | None = None

    def active_on(self, day: date) -> bool:
        return self.active_from <= day and (self.active_to is None or day <= self.active_to)

    def exempt_on(self, day: date) -> bool:
        return self.exempt and (self.exempt_since is None or self.exempt_since <= day)


def expected_members(members: Iterable[MemberSpan], day: date) -> tuple[list[int], list[int]]:
    """(expected, exempt) member ids: active members on ``day``, the exempt set apart."""
    expected: list[int] = []
    exempt: list[int] = []
    for m in members:
        if not m.active_on(day):
            continue
        (exempt if m.exempt_on(day) else expected).append(m.member_id)
    return expected, exempt


def is_late(started_at: datetime, checked_in_at: datetime, rules: RuleSet = RuleSet()) -> bool:
    """Late means checking in more than ``late_after_minutes`` after the recorded start (or after
    ``late_from``: the moment the meeting was opened, for a start typed back-dated)."""
    return checked_in_at - started_at > timedelta(minutes=rules.late_after_minutes)


def late_from(started_at: datetime, opened_at: datetime | None) -> datetime:
    """The moment a check-in's lateness is measured from: the recorded start, or, when the start was typed
    back-dated (/batdau 19:30 at 19:50, a missed meeting recorded the next morning), the moment the meeting
    was opened in chibo. Nobody can check in before it is open: they are not late by the secretary's
    catch-up gap, only by how long after the opening they answered."""
    return started_at if opened_at is None else max(started_at, opened_at)


def minutes_late(started_at: datetime, opened_at: datetime | None, checked_in_at: datetime) -> int:
    """Whole minutes a check-in came after ``late_from`` (the reply, the summary and the views read this)."""
    return max(0, int((checked_in_at - late_from(started_at, opened_at)) / timedelta(minutes=1)))


@dataclass(frozen=True)
class AttendanceVerdict:
    present: int  # on time or late
    expected: int
    rate: float | None  # None when nobody is expected
    target: float
    ok: bool


def attendance_verdict(present: int, expected: int, rules: RuleSet = RuleSet()) -> AttendanceVerdict:
    if present < 0 or expected < 0:
        raise ValueError("counts cannot be negative")
    rate = present / expected if expected else None
    ok = rate is None or rate + 1e-9 >= rules.attendance_target
    return AttendanceVerdict(present=present, expected=expected, rate=rate, target=rules.attendance_target, ok=ok)


def shown_percent(rate: float, target: float | None = None) -> tuple[float, int]:
    """The attendance rate as a percentage to show, and how many decimals: whole numbers, unless
    rounding would land on a line the rate did not reach or pass (the target, 100%, 0%): then one
    decimal (cut towards the real value if it would still land on the line). 26/29 is 89.7%, never "90%" beside "KHÔNG ĐẠT"; 199/200 is
    99.5%, not "100%"."""
    percent = rate * 100
    lines = {0.0, 100.0} | ({round(target * 100, 6)} if target is not None else set())
    whole = float(round(percent))
    if whole in lines and abs(percent - whole) > 1e-9:
        one = round(percent, 1)
        if one == whole:  # 89.96% would round to 90.0%: cut towards the real value
            tenths = percent * 10
            one = (math.floor(tenths + 1e-9) if percent < whole else math.ceil(tenths - 1e-9)) / 10
        return one, 1
    return whole, 0


@dataclass(frozen=True)
class AttendanceCount:
    """Who was in the room, counted once for every view. The rate counts the expected members only
    (``verdict``: 24 of 28); exempt members who came anyway are counted apart (``exempt_present``),
    so "26 present" and "24/28" agree: 24 of the 28 expected, and 2 exempt members attended."""

    verdict: AttendanceVerdict
    exempt: int  # exempt members of the cell on the day, whether they came or not
    exempt_present: int  # of them, those who came

    @property
    def in_room(self) -> int:
        """Members present: the expected who came and the exempt who came (guests are not members)."""
        return self.verdict.present + self.exempt_present

    @property
    def active(self) -> int:
        """The cell's members on the day: the expected and the exempt."""
        return self.verdict.expected + self.exempt


def attendance_count(expected: Iterable[int], exempt: Iterable[int], present: Iterable[int],
                     rules: RuleSet = RuleSet()) -> AttendanceCount:
    """``expected``, ``exempt`` (``expected_members``) and ``present`` (who checked in, late or not) -> the count."""
    came = set(present)
    expected_ids, exempt_ids = set(expected), set(exempt)
    verdict = attendance_verdict(len(expected_ids & came), len(expected_ids), rules)
    return AttendanceCount(verdict=verdict, exempt=len(exempt_ids), exempt_present=len(exempt_ids & came))
