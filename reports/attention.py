"""Why a cell needs the committee's attention: reasons decided once, here, and rendered by each view.

``reasons`` is a pure function of a cell's month results (``weekly_model.MonthResult``) and a few
counts; it returns codes with their parameters (``Reason``), never text. The weekly text, the
workbook and the web table each render them with ``render`` (the catalog's ``attention.<code>``
texts), so the same cell reads the same reasons everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from core.texts import fmt_rate, t
from reports.weekly_model import MonthResult
from rules import MISSES, on_record, quarter_start


class Code(Enum):
    """What needs attention, in the order shown: last month's record, then this month's, then the rest.
    The value names the catalog text: ``attention.<value>``."""

    PREVIOUS_NOT_HELD = "previous_not_held"  # month
    PREVIOUS_SHORT = "previous_short"  # month, minutes, minimum
    PREVIOUS_LOW_RATE = "previous_low_rate"  # month, rate
    NO_REGULAR = "no_regular"  # none scheduled this month
    NOT_HELD = "not_held"  # date: its date passed, never begun
    SHORT = "short"  # minutes, minimum
    LOW_RATE = "low_rate"  # rate
    NO_THEMATIC = "no_thematic"  # none held this quarter, past its first month
    FLAGGED = "flagged"  # count: members whose absences call for a word
    OVERDUE_TASKS = "overdue_tasks"  # count


@dataclass(frozen=True)
class Reason:
    code: Code
    params: dict[str, object] = field(default_factory=dict, hash=False, compare=True)


def thematic_due(today: date, since: date, held_this_quarter: bool) -> bool:
    """No thematic meeting held this quarter, once its first month is over, for a cell on record
    since the quarter began."""
    return not held_this_quarter and (today.month - 1) % 3 >= 1 and on_record(since, quarter_start(today))


def reasons(this: MonthResult, previous: MonthResult | None = None, *, thematic_missing: bool = False,
            flagged: int = 0, overdue_tasks: int = 0) -> list[Reason]:
    """Why the cell needs attention, most serious first. ``previous`` is last month's result when the
    view shows it (the weekly summary in a month's first week, the web table always)."""
    out: list[Reason] = []
    if previous is not None:
        if previous.status in MISSES:
            out.append(Reason(Code.PREVIOUS_NOT_HELD, {"month": previous.month}))
        if previous.duration_ok is False:
            out.append(Reason(Code.PREVIOUS_SHORT, {"month": previous.month, "minutes": previous.minutes,
                                                    "minimum": previous.minimum}))
        if previous.attendance_ok is False:
            out.append(Reason(Code.PREVIOUS_LOW_RATE, {"month": previous.month, "rate": previous.rate}))
    if this.status == "missing":
        out.append(Reason(Code.NO_REGULAR))
    if this.status == "not_held":
        out.append(Reason(Code.NOT_HELD, {"date": this.date}))
    if this.duration_ok is False:
        out.append(Reason(Code.SHORT, {"minutes": this.minutes, "minimum": this.minimum}))
    if this.attendance_ok is False:
        out.append(Reason(Code.LOW_RATE, {"rate": this.rate}))
    if thematic_missing:
        out.append(Reason(Code.NO_THEMATIC))
    if flagged:
        out.append(Reason(Code.FLAGGED, {"count": flagged}))
    if overdue_tasks:
        out.append(Reason(Code.OVERDUE_TASKS, {"count": overdue_tasks}))
    return out


def render(reason: Reason, lang: str, target: float | None = None) -> str:
    """One reason in words (catalog ``attention.<code>``): months as 12/2026, dates as 08/12, rates
    as percentages never rounded onto the ``target`` they missed."""
    params: dict[str, object] = {}
    for name, value in reason.params.items():
        if name == "month" and isinstance(value, str):
            params[name] = f"{value[5:]}/{value[:4]}"
        elif name == "date" and isinstance(value, date):
            params[name] = value.strftime("%d/%m")
        elif name == "rate":
            params[name] = fmt_rate(value if isinstance(value, float) else None, target, lang)
        else:
            params[name] = value
    return t(lang, f"attention.{reason.code.value}", **params)


def render_all(found: list[Reason], lang: str, target: float | None = None) -> list[str]:
    return [render(r, lang, target) for r in found]
