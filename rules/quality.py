"""The quality of a meeting, scored out of 100 as provinces do with the framework of HD 12-HD/BTCTW.

Every criterion is data: a key, a weight, what it checks and where it comes from. chibo fills in the
ones it knows from its own records (attendance, start, duration, tasks) and asks the secretary the
rest (at most five questions). Each criterion scores a fraction from 0 to 1 of its weight. A
criterion chibo cannot judge (no tasks were given at the last meeting, say) is left out and the
total is scaled back to 100 over the criteria judged: never a guess.

The level is a *proposal*: the cell agrees its level, the committee above approves it.
Defaults and sources: ``docs/quy-dinh.md`` ("Chất lượng buổi sinh hoạt thường kỳ"). A committee may set
its own weights (``chibo committee quality``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from rules.tasks import task_record, task_state


class Level(enum.StrEnum):
    TOT = "tot"
    KHA = "kha"
    TRUNG_BINH = "trung_binh"
    KEM = "kem"


@dataclass(frozen=True)
class Criterion:
    key: str
    weight: int
    asked: bool  # True: a question to the secretary; False: chibo knows it from its records
    source: str
    options: tuple[str, ...] = ()  # for a question: its answers, best first
    must_be_full: bool = False  # needed at full marks for the level Tốt


# Answers to the questions, as fractions of the criterion's weight.
ANSWER_SCORES: dict[str, dict[str, float]] = {
    "committee_met": {"yes": 1.0, "no": 0.0},
    "prepared": {"both": 1.0, "content": 0.5, "no": 0.0},
    "members_spoke": {"half": 1.0, "third": 0.6, "few": 0.3, "none": 0.0},
    "praise_criticism": {"both": 1.0, "one": 0.5, "no": 0.0},
    "minutes": {"full": 1.0, "partial": 0.5, "no": 0.0},
}

CRITERIA: tuple[Criterion, ...] = (
    Criterion("attendance", 10, False, "HD 12-HD/BTCTW (2018) tiêu chí 1; mục tiêu 90%: Đề án 11-ĐA/TU Hà Nội (seed 003)",
              must_be_full=True),
    Criterion("committee_met", 10, True, "HD 12 tiêu chí 2; HD 42-HD/BTCTW (2025): chi ủy họp trước", ("yes", "no")),
    Criterion("prepared", 10, True, "HD 12 tiêu chí 2; HD 42: nội dung và dự thảo nghị quyết", ("both", "content", "no")),
    Criterion("on_time", 5, False, "HD 12 tiêu chí 3: đúng giờ"),
    Criterion("duration", 10, False, "HD 12, HD 42: tối thiểu 90 phút (chuyên đề 120); seed 001", must_be_full=True),
    Criterion("members_spoke", 15, True, "HD 12 tiêu chí 3: nhiều đảng viên phát biểu",
              ("half", "third", "few", "none"), must_be_full=True),
    Criterion("praise_criticism", 10, True, "HD 12 tiêu chí 3; HD 42: biểu dương, phê bình", ("both", "one", "no")),
    Criterion("minutes", 10, True, "HD 12 tiêu chí 3: ghi biên bản đầy đủ", ("full", "partial", "no"), must_be_full=True),
    Criterion("tasks_given", 10, False, "seeds 000, 003: rõ người, rõ việc, rõ thời gian; HD 42 phần kết thúc"),
    Criterion("last_tasks", 10, False, "HD 12 tiêu chí 5: kết luận, nghị quyết được thực hiện có kết quả"),
)
CRITERIA_BY_KEY = {c.key: c for c in CRITERIA}
QUESTIONS: tuple[str, ...] = tuple(c.key for c in CRITERIA if c.asked)

REMIND_AT = time(9, 0)  # an assessment still unanswered is reminded once, at this hour of the next day


def reminder_due(ended_local: datetime) -> datetime:
    """When to remind the secretary of an unanswered assessment: the next day at ``REMIND_AT`` (local)."""
    day = ended_local.date() + timedelta(days=1)
    return datetime.combine(day, REMIND_AT, tzinfo=ended_local.tzinfo)


# Level thresholds (points out of 100): the common scale of provincial score sheets (docs/quy-dinh.md).
TOT_FROM, KHA_FROM, TRUNG_BINH_FROM = 90, 70, 50


def default_weights() -> dict[str, int]:
    return {c.key: c.weight for c in CRITERIA}


def weights_with(overrides: Mapping[str, int] | None) -> dict[str, int]:
    """The default weights, replaced by a committee's; raises ValueError unless they make 100."""
    weights = default_weights()
    for key, value in (overrides or {}).items():
        if key not in weights:
            raise ValueError(f"không có tiêu chí / unknown criterion {key!r}")
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"trọng số của {key!r} phải là số nguyên ≥ 0 / weight of {key!r} must be a whole number ≥ 0")
        weights[key] = value
    if sum(weights.values()) != 100:
        raise ValueError(f"tổng trọng số phải bằng 100, không phải {sum(weights.values())} / weights must add up to 100")
    return weights


# --- the criteria chibo knows -----------------------------------------------------------------

@dataclass(frozen=True)
class AttendanceParts:
    """HD 12's attendance criterion has two parts, each worth half of its weight: the rate reaches
    the target (the committee's, 90% by default: stricter than HD 12's "above 85%"), and nobody is
    absent without reason nor excused more than ``streak_over`` times in a row. Both are shown."""

    rate_ok: bool
    unexcused: int
    longest_excused_streak: int
    streak_over: int = 3
    rate: float | None = None  # to show: present / expected (None: nobody expected)
    target: float | None = None

    @property
    def conduct_ok(self) -> bool:
        return self.unexcused == 0 and self.longest_excused_streak <= self.streak_over

    @property
    def fraction(self) -> float:
        return 0.5 * self.rate_ok + 0.5 * self.conduct_ok


def attendance_fraction(rate_ok: bool, unexcused: int, longest_excused_streak: int, streak_over: int = 3) -> float:
    """Half for the rate, half for nobody absent without reason or excused too often (``AttendanceParts``)."""
    return AttendanceParts(rate_ok, unexcused, longest_excused_streak, streak_over).fraction


def on_time_fraction(late_start_minutes: int, late_after_minutes: int = 15) -> float:
    """Started within ``late_after_minutes`` of the scheduled time."""
    return 1.0 if late_start_minutes <= late_after_minutes else 0.0


def duration_fraction(minutes: int, minimum: int) -> float:
    """Full at the minimum; half at three quarters of it; nothing below."""
    if minutes >= minimum:
        return 1.0
    return 0.5 if minutes * 4 >= minimum * 3 else 0.0


def tasks_given_fraction(present_with_task: int, present: int) -> float | None:
    """Share of the members present who were given a task (every member should get one)."""
    if present <= 0:
        return None
    return min(1.0, present_with_task / present)


def last_tasks_fraction(done_on_time: int, given: int) -> float | None:
    """Share of the last meeting's tasks done by their deadline; None when none count."""
    if given <= 0:
        return None
    return done_on_time / given


def members_spoke_fraction(spoke: int, present: int) -> float | None:
    """HD 12's "many members speak", from who spoke of the members in the room: half or more, full; a third
    or more, 0.6; fewer, 0.3; nobody, 0 (the answers of the question it replaces, ``ANSWER_SCORES``). Judged
    on the counts themselves, not a rounded share: 2 of 6 is a third."""
    if present <= 0:
        return None
    if spoke <= 0:
        return ANSWER_SCORES["members_spoke"]["none"]
    if spoke * 2 >= present:
        return ANSWER_SCORES["members_spoke"]["half"]
    if spoke * 3 >= present:
        return ANSWER_SCORES["members_spoke"]["third"]
    return ANSWER_SCORES["members_spoke"]["few"]


@dataclass(frozen=True)
class Spoke:
    """Who spoke, as the secretary recorded it (/phatbieu): ``spoke`` of the ``present`` members in the room."""

    spoke: int
    present: int

    @property
    def fraction(self) -> float | None:
        return members_spoke_fraction(self.spoke, self.present)


@dataclass(frozen=True)
class LastTasks:
    """The last meeting's tasks as they stood at this meeting (``rules.tasks.task_record``): a task
    counts once its deadline has passed or it is done; one still open before its deadline is left
    out (it can still be done on time), so a meeting a week after the last scores only what was due."""

    given: int
    counted: int
    on_time: int

    @property
    def not_yet_due(self) -> int:
        return self.given - self.counted

    @property
    def fraction(self) -> float | None:
        return last_tasks_fraction(self.on_time, self.counted)


def last_tasks(tasks: Iterable[tuple[date, date | None]], day: date) -> LastTasks:
    """(deadline, day done or None) of each task of the last meeting, judged on ``day`` (this meeting's)."""
    items = list(tasks)
    record = task_record(((due, task_state(due, done, day)) for due, done in items), day)
    return LastTasks(given=len(items), counted=record.counted, on_time=record.on_time)


# --- the score ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionScore:
    key: str
    weight: int
    fraction: float | None  # None: not judged (not answered, or nothing to judge)
    facts: object | None = None  # what the fraction was judged from, to show (AttendanceParts, LastTasks)

    @property
    def points(self) -> float | None:
        return None if self.fraction is None else self.weight * self.fraction

    @property
    def full(self) -> bool:
        return self.fraction is not None and self.fraction >= 1.0 - 1e-9


@dataclass(frozen=True)
class QualityScore:
    """``points``: the score out of 100, unrounded: the level is judged on it. ``score``: the score as
    shown and stored, ``points`` cut down to a whole number (89.5 shows as 89, never 90): since the
    thresholds are whole numbers, the shown score is always on the same side of each as ``points``,
    so "Khá – 89/100" can never read "Khá – 90/100"."""

    items: tuple[CriterionScore, ...]
    score: int | None  # out of 100, over the criteria judged; None until every question is answered
    level: Level | None
    missing: tuple[str, ...]  # questions not answered yet
    points: float | None = field(default=None)
    asked: tuple[str, ...] = QUESTIONS  # the questions put to the secretary: those chibo could not judge itself

    @property
    def complete(self) -> bool:
        return not self.missing


def answer_fraction(key: str, answer: str | None) -> float | None:
    if answer is None:
        return None
    try:
        return ANSWER_SCORES[key][answer]
    except KeyError:
        raise ValueError(f"unknown answer {answer!r} to {key!r}") from None


def shown_score(points: float) -> int:
    """The whole number shown for an unrounded score: cut down, not rounded (89.5 -> 89), so it never
    crosses a level's threshold that ``points`` did not reach. Float noise (89.99999999 for 90) is
    removed first."""
    return math.floor(round(points, 6))


def level_for(score: float, full_where_needed: bool) -> Level:
    """The level of an unrounded score (89.5 is Khá: under 90)."""
    score = round(score, 6)  # float noise only: 15 * 0.6 is 8.999999999999998
    if score >= TOT_FROM:
        return Level.TOT if full_where_needed else Level.KHA
    if score >= KHA_FROM:
        return Level.KHA
    if score >= TRUNG_BINH_FROM:
        return Level.TRUNG_BINH
    return Level.KEM


def assess(known: Mapping[str, float | None], answers: Mapping[str, str], weights: Mapping[str, int] | None = None,
           facts: Mapping[str, object] | None = None) -> QualityScore:
    """Score a meeting. ``known``: the fractions chibo computed (None: nothing to judge);
    ``answers``: the secretary's answer to each question asked so far; ``facts``: what a known
    fraction was judged from, carried to the score sheet. A question chibo can judge from its records
    (``members_spoke`` once who spoke is recorded) is taken from ``known`` and no longer asked."""
    weights = weights or default_weights()
    asked = tuple(k for k in QUESTIONS if known.get(k) is None)
    items = []
    for c in CRITERIA:
        fraction = answer_fraction(c.key, answers.get(c.key)) if c.key in asked else known.get(c.key)
        items.append(CriterionScore(c.key, weights.get(c.key, c.weight), fraction, (facts or {}).get(c.key)))
    missing = tuple(k for k in asked if answers.get(k) is None)
    if missing:
        return QualityScore(tuple(items), None, None, missing, asked=asked)
    judged = [i for i in items if i.fraction is not None and i.weight > 0]
    total = sum(i.weight for i in judged)
    points = 100 * sum(i.points or 0.0 for i in judged) / total if total else 0.0
    needed = [i for i in items if CRITERIA_BY_KEY[i.key].must_be_full and i.weight > 0]
    full = all(i.full for i in needed)
    return QualityScore(tuple(items), shown_score(points), level_for(points, full), (), points, asked)
