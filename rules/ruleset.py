"""The figures the rules use, with chibo's defaults and a committee's overrides."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class RuleSet:
    min_regular_minutes: int = 90  # HD 12 (2018), HD 42 (2025); seed 001
    min_thematic_minutes: int = 120  # seed 001
    min_small_cell_minutes: int = 60  # cells of fewer than `small_cell_size` members
    small_cell_size: int = 9
    attendance_target: float = 0.90  # seed 003
    late_after_minutes: int = 15
    unexcused_warn_at: int = 2  # months with an unexcused absence; Điều lệ Đảng, Điều 8.1: three, and the cell considers striking off
    excused_streak_over: int = 3  # HD 12 (2018) quality criteria
    year_good_share: float = 0.5  # the yearly level (rules.yearly): share of months with a meeting at Tốt (Khá for Khá)
    year_poor_missed_months: int = 3  # the yearly level Kém: this many months without a regular meeting

    @classmethod
    def from_overrides(cls, source: Any) -> RuleSet:
        """Defaults, replaced by every attribute of ``source`` (e.g. a Committee) that is not None."""
        changes = {}
        for f in fields(cls):
            value = getattr(source, f.name, None)
            if value is not None:
                changes[f.name] = value
        return replace(cls(), **changes)


# What a committee may set each figure to (inclusive), and what the figure means, for the operator CLI.
LIMITS: dict[str, tuple[float, float, str]] = {
    "min_regular_minutes": (30, 480, "phút tối thiểu, họp thường kỳ / minimum minutes, regular meeting"),
    "min_thematic_minutes": (30, 480, "phút tối thiểu, họp chuyên đề / minimum minutes, thematic meeting"),
    "min_small_cell_minutes": (30, 480, "phút tối thiểu, chi bộ nhỏ / minimum minutes, small cell"),
    "small_cell_size": (2, 100, "chi bộ nhỏ khi ít hơn số đảng viên này / a cell is small below this many members"),
    "attendance_target": (0.5, 1.0, "tỷ lệ dự họp mục tiêu (0.9 = 90%) / attendance target"),
    "late_after_minutes": (0, 120, "muộn khi đến sau số phút này / late after these minutes"),
    "unexcused_warn_at": (1, 3, "cảnh báo khi vắng không lý do ngần này lần / warn at this many unexcused absences"),
    "excused_streak_over": (1, 12, "cảnh báo khi vắng có lý do liên tiếp hơn / warn when excused absences in a row "
                            "exceed"),
    "year_good_share": (0.3, 1.0, "xếp loại năm: tỷ lệ tháng có buổi Tốt (Khá) để đề xuất Tốt (Khá) / yearly level: "
                        "share of months at Tốt (Khá) for Tốt (Khá)"),
    "year_poor_missed_months": (1, 12, "xếp loại năm Kém khi ngần này tháng không sinh hoạt / yearly level Kém at this "
                                "many months without a regular meeting"),
}


def parse_override(name: str, text: str) -> int | float:
    """The value of one figure typed by the operator; ValueError saying what to type instead."""
    if name not in LIMITS:
        raise ValueError(f"không có con số '{name}' / unknown figure; có / known: {', '.join(LIMITS)}")
    low, high, _ = LIMITS[name]
    kind = type(getattr(RuleSet(), name))
    raw = text.strip().replace(",", ".")
    try:
        if kind is float:
            value: int | float = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        else:
            value = int(raw)
    except ValueError:
        shape = ("một số như 0.9 hoặc 90% / a number like 0.9 or 90%" if kind is float
                 else "một số nguyên / a whole number")
        raise ValueError(f"{name}: '{text}' không phải / is not {shape}") from None
    if not low <= value <= high:
        raise ValueError(f"{name}: {text} ngoài khoảng / is outside {low:g}–{high:g}")
    return value
