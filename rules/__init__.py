"""The rules that judge a cell's meetings: plain functions with no I/O.

Sources for every default are in ``docs/quy-dinh.md`` (Điều lệ Đảng, HD 12-HD/BTCTW,
HD 42-HD/BTCTW, Chỉ thị 50-CT/TW). A committee may override each figure (``RuleSet``).
"""

from rules.absences import AbsenceFlags, absence_flags
from rules.attendance import (
    AttendanceCount,
    AttendanceVerdict,
    MemberSpan,
    attendance_count,
    attendance_verdict,
    expected_members,
    is_late,
    shown_percent,
)
from rules.calendar import (
    MISSES,
    MeetingOnCalendar,
    Obligation,
    a_little_later,
    beyond_horizon,
    first_month_on_record,
    horizon_end,
    later_this_month,
    missing_obligations,
    month_key,
    month_start,
    next_month_day,
    on_record,
    quarter_of,
    quarter_start,
    regular_status,
)
from rules.clock_times import (
    end_time_for,
    end_time_of,
    missed_start_nudge,
    open_meeting_nudges,
    preparation_due,
    start_time_for,
    start_time_of,
)
from rules.duration import (
    DurationVerdict,
    MinimumReason,
    beyond_bound,
    duration_minutes,
    duration_verdict,
    minimum_duration,
)
from rules.quiet import in_quiet_hours, shift_out_of_quiet
from rules.ruleset import RuleSet
from rules.tasks import TaskRecord, TaskState, reminder_days, task_record, task_state
from rules.wall_clock import WallClockProblem, wall_clock_problem

__all__ = [
    "MISSES",
    "AbsenceFlags",
    "AttendanceCount",
    "AttendanceVerdict",
    "DurationVerdict",
    "MeetingOnCalendar",
    "MemberSpan",
    "MinimumReason",
    "Obligation",
    "RuleSet",
    "TaskRecord",
    "TaskState",
    "WallClockProblem",
    "a_little_later",
    "absence_flags",
    "attendance_count",
    "attendance_verdict",
    "beyond_bound",
    "beyond_horizon",
    "duration_minutes",
    "duration_verdict",
    "end_time_for",
    "end_time_of",
    "expected_members",
    "first_month_on_record",
    "horizon_end",
    "in_quiet_hours",
    "is_late",
    "later_this_month",
    "minimum_duration",
    "missed_start_nudge",
    "missing_obligations",
    "month_key",
    "month_start",
    "next_month_day",
    "on_record",
    "open_meeting_nudges",
    "preparation_due",
    "quarter_of",
    "quarter_start",
    "regular_status",
    "reminder_days",
    "shift_out_of_quiet",
    "shown_percent",
    "start_time_for",
    "start_time_of",
    "task_record",
    "task_state",
    "wall_clock_problem",
]
