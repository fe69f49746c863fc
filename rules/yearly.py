"""A cell's year, and the yearly level chibo proposes for it (the committee above decides: HD 12).

HD 12-HD/BTCTW (2018) leaves the yearly rating of a cell's meetings to the committee above, "drawing on
the levels of its meetings"; it gives no formula, and provinces write their own. chibo proposes a level
from the year's record with the rule below (``docs/quy-dinh.md``, "Xếp loại chất lượng sinh hoạt cả
năm"); the two figures provinces set differently are a committee's own to change (``RuleSet``:
``year_good_share``, ``year_poor_missed_months``). Thresholds are judged on unrounded values.

- Kém: ``year_poor_missed_months`` or more months without a regular meeting held, or more than half of the
  assessed regular meetings at Kém.
- Tốt: no month without a regular meeting, no quarter without a thematic one, attendance over the year at
  the target or above, no assessed meeting at Kém, and at least ``year_good_share`` of the months judged
  with a regular meeting assessed Tốt.
- Khá: at most one month without a regular meeting, and at least ``year_good_share`` of the months judged
  with a regular meeting assessed Khá or Tốt.
- Trung bình: anything else.

Tasks done on time and dues collected are shown with the level as reasons to weigh, not counted in it:
the meetings' own levels already score the tasks (HD 12, criterion 5), and dues are the cell's to collect
whatever the meetings' quality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rules.quality import Level
from rules.ruleset import RuleSet


@dataclass(frozen=True)
class YearRecord:
    """What a year's rating looks at, for one cell (periods it was not on chibo are left out)."""

    months_judged: int  # months of the year chibo judges for the cell, up to the day asked
    months_missed: Sequence[str]  # "2026-03": months judged without a regular meeting held
    quarters_judged: int
    quarters_without_thematic: Sequence[str]  # "2026-Q2"
    levels: Sequence[str | None]  # the level assessed for each regular meeting held (None: not assessed)
    attendance: float | None  # present / expected over the year's regular meetings held
    tasks_share: float | None = None  # tasks done by their deadline, of those due
    dues_share: float | None = None  # member-months paid, of those owed (None: dues not kept in chibo)


@dataclass(frozen=True)
class Reason:
    code: str  # the catalog's ``rating.reason.<code>``
    params: dict[str, object] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class YearProposal:
    level: Level | None  # None: nothing to judge (no month of the year on record)
    reasons: tuple[Reason, ...]


def _share(count: int, of: int) -> float:
    return count / of if of else 0.0


def propose_year_level(record: YearRecord, rules: RuleSet) -> YearProposal:
    """The yearly level chibo proposes for ``record``, with every reason that decided it."""
    if record.months_judged <= 0:
        return YearProposal(None, (Reason("no_record"),))
    levels = list(record.levels)
    assessed = [lv for lv in levels if lv is not None]
    tot = sum(1 for lv in assessed if lv == Level.TOT)
    good = sum(1 for lv in assessed if lv in (Level.TOT, Level.KHA))
    kem = sum(1 for lv in assessed if lv == Level.KEM)
    missed = len(record.months_missed)
    reasons: list[Reason] = [Reason("held", {"held": len(levels), "months": record.months_judged}),
                             Reason("levels", {"tot": tot, "good": good, "kem": kem,
                                               "assessed": len(assessed), "held": len(levels)})]
    if missed:
        reasons.append(Reason("missed", {"count": missed, "months": list(record.months_missed)}))
    if record.quarters_without_thematic:
        reasons.append(Reason("no_thematic", {"quarters": list(record.quarters_without_thematic)}))
    low_attendance = record.attendance is None or record.attendance < rules.attendance_target
    reasons.append(Reason("attendance_low" if low_attendance else "attendance_ok",
                          {"rate": record.attendance, "target": rules.attendance_target}))
    if record.tasks_share is not None:
        reasons.append(Reason("tasks", {"share": record.tasks_share}))
    if record.dues_share is not None:
        reasons.append(Reason("dues", {"share": record.dues_share}))

    if missed >= rules.year_poor_missed_months:
        level = Level.KEM
        reasons.insert(0, Reason("poor_missed", {"count": missed, "limit": rules.year_poor_missed_months}))
    elif assessed and kem / len(assessed) > 0.5:
        level = Level.KEM
        reasons.insert(0, Reason("poor_levels", {"kem": kem, "assessed": len(assessed)}))
    elif (not missed and not record.quarters_without_thematic and not low_attendance and not kem
          and _share(tot, record.months_judged) >= rules.year_good_share):
        level = Level.TOT
        reasons.insert(0, Reason("good", {"share": rules.year_good_share}))
    elif missed <= 1 and _share(good, record.months_judged) >= rules.year_good_share:
        level = Level.KHA
        reasons.insert(0, Reason("fair", {"share": rules.year_good_share}))
    else:
        level = Level.TRUNG_BINH
        reasons.insert(0, Reason("average", {"share": rules.year_good_share}))
    return YearProposal(level, tuple(reasons))


LEVELS = tuple(level.value for level in Level)  # best first


def parse_level(text: str) -> Level:
    """"tot", "Tốt", "kha", "khá", "trung_binh", "trung bình", "kem", "kém" → a Level; ValueError otherwise."""
    plain = " ".join(text.strip().lower().split())
    aliases = {"tốt": Level.TOT, "tot": Level.TOT, "khá": Level.KHA, "kha": Level.KHA,
               "trung bình": Level.TRUNG_BINH, "trung binh": Level.TRUNG_BINH, "trung_binh": Level.TRUNG_BINH,
               "tb": Level.TRUNG_BINH, "kém": Level.KEM, "kem": Level.KEM,
               "good": Level.TOT, "fair": Level.KHA, "average": Level.TRUNG_BINH, "poor": Level.KEM}
    if plain not in aliases:
        raise ValueError(text)
    return aliases[plain]
