"""The rules that judge a cell's meetings: plain functions with no I/O.

Sources for every default are in ``docs/quy-dinh.md`` (Điều lệ Đảng, HD 12-HD/BTCTW,
HD 42-HD/BTCTW, Chỉ thị 50-CT/TW). A committee may override each figure (``RuleSet``).
"""

from rules.absences import AbsenceFlags, absence_flags
from rules.attendance import (
    AttendanceVerdict,
    MemberSpan,
    attendance_verdict,
    expected_members,
    is_late,
    shown_percent,
)
from rules.calendar import (
    MeetingOnCalendar,
    Obligation,
    beyond_horizon,
    horizon_end,
    missing_obligations,
    month_key,
    quarter_of,
)
from rules.clock_times import end_time_for, open_meeting_nudges, preparation_due, start_time_for
from rules.duration import DurationVerdict, MinimumReason, beyond_bound, duration_verdict, minimum_duration
from rules.quiet import in_quiet_hours, shift_out_of_quiet
from rules.ruleset import RuleSet
from rules.tasks import TaskRecord, TaskState, reminder_days, task_record, task_state

__all__ = [
    "AbsenceFlags",
    "AttendanceVerdict",
    "DurationVerdict",
    "MeetingOnCalendar",
    "MemberSpan",
    "MinimumReason",
    "Obligation",
    "RuleSet",
    "TaskRecord",
    "TaskState",
    "absence_flags",
    "attendance_verdict",
    "beyond_bound",
    "end_time_for",
    "open_meeting_nudges",
    "preparation_due",
    "start_time_for",
    "beyond_horizon",
    "duration_verdict",
    "expected_members",
    "horizon_end",
    "in_quiet_hours",
    "is_late",
    "shift_out_of_quiet",
    "shown_percent",
    "minimum_duration",
    "missing_obligations",
    "month_key",
    "quarter_of",
    "reminder_days",
    "task_record",
    "task_state",
]
