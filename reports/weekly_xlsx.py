"""The weekly summary as an XLSX workbook: sheets of cells, meetings and attendance.

Row 1 of every sheet is the header (bold, frozen, with an autofilter), so the sheets sort and
filter cleanly; the committee, week and generation time are in the workbook properties. Times
are local wall-clock times without a zone (Excel cannot store one). Text that Excel would take
for a formula ("=", "+", "-", "@") is stored as a string cell with the quote-prefix style.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from reports import attention, weekly_quality
from reports.weekly_model import WeeklyReport

DATETIME_FMT = "dd/mm/yyyy hh:mm"
DATE_FMT = "dd/mm/yyyy"
PERCENT_FMT = "0.0%"
FORMULA_PREFIXES = ("=", "+", "-", "@")
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
BOLD = Font(bold=True)

LABELS: dict[str, dict[str, Any]] = {  # labels, tuples and dicts of labels
    "vi": {
        "sheets": ("Chi bộ", "Cuộc họp", "Điểm danh"),
        "cells": ("Chi bộ", "Số đảng viên", "Miễn sinh hoạt", "Sinh hoạt thường kỳ", "Ngày họp",
                  "Thời gian (phút)", "Tối thiểu (phút)", "Thời gian đạt", "Có mặt", "Phải dự",
                  "Tỷ lệ dự", "Tỷ lệ đạt", "Chuyên đề trong quý", "Không liên lạc được",
                  "Đảng viên cần lưu ý", "Cần chú ý", "Chất lượng (đề xuất)", "Điểm chất lượng"),
        "meetings": ("Chi bộ", "Loại", "Lịch họp", "Bắt đầu", "Kết thúc", "Thời gian (phút)",
                     "Tối thiểu (phút)", "Thời gian đạt", "Có mặt", "Phải dự", "Tỷ lệ dự"),
        "attendance": ("Chi bộ", "Ngày họp", "Loại", "Đảng viên", "Tình trạng", "Lý do",
                       "Giờ điểm danh", "Bí thư điểm danh"),
        "totals": ("Số chi bộ", "Đã họp", "Tỷ lệ dự chung", "Mới dùng chibo, chưa tính"),
        "regular": {"held": "đã họp", "in_progress": "đang họp", "scheduled": "đã lên lịch",
                    "not_held": "không họp theo lịch", "missing": "chưa có",
                    "untracked": "chưa theo dõi (mới dùng chibo)"},
        "kind": {"thuong_ky": "thường kỳ", "chuyen_de": "chuyên đề", "combined": "thường kỳ kết hợp chuyên đề"},
        "status": {"present": "có mặt", "late": "đến muộn", "excused": "vắng có lý do",
                   "absent": "vắng không lý do", "exempt": "miễn sinh hoạt",
                   "exempt_attended": "dự họp – miễn sinh hoạt", "": "chưa trả lời"},
        "previous": ("Chi bộ", "Sinh hoạt thường kỳ", "Ngày họp", "Thời gian (phút)", "Tối thiểu (phút)",
                     "Thời gian đạt", "Có mặt", "Phải dự", "Tỷ lệ dự", "Tỷ lệ đạt"),
        "previous_sheet": "Tháng {month}",
        "ok": ("Đạt", "Không đạt"),
        "level": {"tot": "Tốt", "kha": "Khá", "trung_binh": "Trung bình", "kem": "Kém", "none": "Chưa đánh giá"},
        "yes_no": ("Có", "Không"),
        "title": "Báo cáo tuần {week} – {committee}",
        "subject": "Tháng {month}, quý {quarter}; tạo lúc {generated}",
    },
    "en": {
        "sheets": ("Cells", "Meetings", "Attendance"),
        "cells": ("Cell", "Active members", "Exempt", "Regular meeting", "Date", "Minutes", "Minimum (min)",
                  "Duration OK", "Present", "Expected", "Attendance rate", "Attendance OK",
                  "Thematic this quarter", "Unreachable", "Flagged members", "Needs attention",
                  "Quality (proposed)", "Quality score"),
        "meetings": ("Cell", "Kind", "Scheduled", "Started", "Ended", "Minutes", "Minimum (min)",
                     "Duration OK", "Present", "Expected", "Attendance rate"),
        "attendance": ("Cell", "Meeting date", "Kind", "Member", "Status", "Reason", "Checked in",
                       "By secretary"),
        "totals": ("Cells", "Held", "Overall rate", "New on chibo, not counted"),
        "regular": {"held": "held", "in_progress": "in progress", "scheduled": "scheduled",
                    "not_held": "not held as scheduled", "missing": "none",
                    "untracked": "not tracked (new on chibo)"},
        "kind": {"thuong_ky": "regular", "chuyen_de": "thematic", "combined": "regular + thematic"},
        "status": {"present": "present", "late": "late", "excused": "excused", "absent": "absent",
                   "exempt": "exempt", "exempt_attended": "attended – exempt", "": "no answer"},
        "previous": ("Cell", "Regular meeting", "Date", "Minutes", "Minimum (min)", "Duration OK", "Present",
                     "Expected", "Attendance rate", "Attendance OK"),
        "previous_sheet": "Month {month}",
        "ok": ("OK", "Not OK"),
        "level": {"tot": "Good", "kha": "Fair", "trung_binh": "Average", "kem": "Poor", "none": "Not assessed"},
        "yes_no": ("Yes", "No"),
        "title": "Weekly report {week} – {committee}",
        "subject": "Month {month}, quarter {quarter}; generated {generated}",
    },
}


def write_workbook(report: WeeklyReport, path: pathlib.Path, tz: ZoneInfo, lang: str = "vi") -> pathlib.Path:
    """Write ``report`` to ``path`` as XLSX (labels in ``lang``, times in ``tz``) and return ``path``."""
    lab = LABELS.get(lang, LABELS["vi"])

    def ok(value: bool | None) -> str | None:
        return None if value is None else lab["ok"][0 if value else 1]

    def local(when: datetime | None) -> datetime | None:
        return _local(when, tz)

    wb = Workbook()
    wb.remove(wb.active)
    generated = local(report.generated_at)
    assert generated is not None  # generated_at is always set
    wb.properties.creator = "chibo"
    wb.properties.created = report.generated_at.astimezone(UTC).replace(tzinfo=None)
    wb.properties.title = lab["title"].format(week=report.week_label, committee=report.committee_name)
    wb.properties.subject = lab["subject"].format(
        month=_month(report.month), quarter=report.quarter, generated=generated.strftime("%H:%M %d/%m/%Y"))

    cells_ws = _sheet(wb, lab["sheets"][0], lab["cells"], {4: DATE_FMT, 10: PERCENT_FMT}, (
        [c.cell_name, c.members_active, c.members_exempt, lab["regular"].get(c.regular.status, c.regular.status),
         c.regular.date, c.regular.minutes, c.regular.minimum, ok(c.regular.duration_ok), c.regular.present,
         c.regular.expected, c.regular.rate, ok(c.regular.attendance_ok), lab["yes_no"][0 if c.thematic_this_quarter else 1],
         ", ".join(c.unreachable) or None, "; ".join(f"{name}: {why}" for name, why in c.flagged) or None,
         "; ".join(attention.render_all(c.attention, lang, report.target)) or None,
         lab["level"].get(c.quality_level) if c.quality_level else None,
         c.quality_score]
        for c in report.cells))
    totals = [v for pair in zip(lab["totals"], (report.cells_tracked, report.cells_held, report.overall_rate,
                                                        report.cells_untracked))
              for v in pair]
    cells_ws.append([])  # a blank row keeps the totals out of the sorted/filtered block
    cells_ws.append(_cells(cells_ws, totals, {5: PERCENT_FMT}, font=BOLD))
    if report.cells_held:  # the committee's distribution of proposed quality levels
        counts = weekly_quality.distribution(report)
        cells_ws.append(_cells(cells_ws, [v for level, n in counts.items() for v in (lab["level"][level], n)], {}, font=BOLD))

    _sheet(wb, lab["sheets"][1], lab["meetings"], {2: DATETIME_FMT, 3: DATETIME_FMT, 4: DATETIME_FMT,
                                                   10: PERCENT_FMT}, (
        [m.cell_name, lab["kind"].get(m.kind, m.kind), local(m.scheduled_at), local(m.started_at),
         local(m.ended_at), m.minutes, m.minimum, ok(m.duration_ok), m.present, m.expected, m.rate]
        for m in report.meetings))

    _sheet(wb, lab["sheets"][2], lab["attendance"], {1: DATE_FMT, 6: DATETIME_FMT}, (
        [a.cell_name, a.meeting_date, lab["kind"].get(a.meeting_kind, a.meeting_kind), a.member_name,
         lab["status"].get(a.status, a.status), a.reason, local(a.checked_in_at),
         lab["yes_no"][0] if a.by_secretary else None]
        for a in report.attendance))

    _tasks_and_guests_sheet(wb, report, lang)
    _votes_sheet(wb, report, lang)
    _dues_sheet(wb, report, lang)
    if report.previous_month:  # the month just ended, in a month's first week (last, so the other sheets keep their places)
        _sheet(wb, lab["previous_sheet"].format(month=_month(report.previous_month).replace("/", "-")),
               lab["previous"], {2: DATE_FMT, 8: PERCENT_FMT}, (
                   [c.cell_name, lab["regular"].get(p.status, p.status), p.date, p.minutes, p.minimum, ok(p.duration_ok),
                    p.present, p.expected, p.rate, ok(p.attendance_ok)]
                   for c in report.cells if (p := c.previous) is not None))

    wb.save(path)
    return path


TASKS_GUESTS_LABELS: dict[str, dict[str, Any]] = {
    "vi": {"sheet": "Việc, cấp ủy dự",
           "headers": ("Chi bộ", "Việc đã đến hạn", "Xong đúng hạn", "Tỷ lệ đúng hạn", "Quá hạn",
                       "Cấp ủy dự họp quý này", "Lần cấp ủy dự gần nhất"),
           "yes_no": ("Có", "Không")},
    "en": {"sheet": "Tasks, committee visits",
           "headers": ("Cell", "Tasks due", "Done on time", "On-time share", "Overdue",
                       "Committee attended this quarter", "Last committee visit"),
           "yes_no": ("Yes", "No")},
}


def _tasks_and_guests_sheet(wb: Workbook, report: WeeklyReport, lang: str) -> None:
    """Per cell: the share of this year's tasks done by their deadline, the overdue ones, and the
    committee's last visit (reports.weekly_substance)."""
    lab = TASKS_GUESTS_LABELS.get(lang, TASKS_GUESTS_LABELS["vi"])
    _sheet(wb, lab["sheet"], lab["headers"], {3: PERCENT_FMT, 6: DATE_FMT}, (
        [c.cell_name, c.tasks_counted, c.tasks_on_time, c.tasks_share, c.tasks_overdue,
         lab["yes_no"][0 if c.guest_this_quarter else 1], c.guest_last]
        for c in report.cells))


VOTES_LABELS: dict[str, dict[str, Any]] = {
    "vi": {"sheet": "Biểu quyết",
           "headers": ("Chi bộ", "Ngày họp", "Nội dung biểu quyết", "Tán thành", "Không tán thành",
                       "Chưa biểu quyết", "Tổng số được tính", "Kết quả"),
           "adopted": ("Được thông qua", "Không được thông qua")},
    "en": {"sheet": "Votes",
           "headers": ("Cell", "Meeting date", "Motion", "In favour", "Against", "Not voted", "Counted", "Result"),
           "adopted": ("Adopted", "Not adopted")},
}


def _votes_sheet(wb: Workbook, report: WeeklyReport, lang: str) -> None:
    """Each vote held this year with its counts (reports.weekly_votes, as rules.votes counted them)."""
    lab = VOTES_LABELS.get(lang, VOTES_LABELS["vi"])
    _sheet(wb, lab["sheet"], lab["headers"], {1: DATE_FMT}, (
        [v.cell_name, v.meeting_day, v.subject, v.approve, v.against, v.not_voted, v.counted,
         lab["adopted"][0 if v.adopted else 1]]
        for v in report.votes))
DUES_LABELS: dict[str, dict[str, Any]] = {
    "vi": {"sheet": "Đảng phí", "headers": ("Chi bộ", "Tháng", "Phải đóng", "Đã đóng", "Tỷ lệ", "Số tiền (đ)")},
    "en": {"sheet": "Party dues", "headers": ("Cell", "Month", "Members owing", "Paid", "Share", "Amount (VND)")},
}


def _dues_sheet(wb: Workbook, report: WeeklyReport, lang: str) -> None:
    """Per cell that records dues in chibo: this month's collection (reports.weekly_substance), as in the text."""
    cells = [c for c in report.cells if c.dues is not None]
    if not cells:
        return
    lab = DUES_LABELS.get(lang, DUES_LABELS["vi"])
    _sheet(wb, lab["sheet"], lab["headers"], {4: PERCENT_FMT}, (
        [c.cell_name, f"{c.dues_month[5:]}/{c.dues_month[:4]}", c.dues.owing, c.dues.paid, c.dues.rate, c.dues.amount]
        for c in cells if c.dues is not None))


def _sheet(wb: Workbook, title: str, headers: Sequence[str], formats: dict[int, str],
           rows: Iterable[list[object]]) -> Worksheet:
    """A sheet with a bold, frozen, filtered header row, then ``rows`` (``formats``: column index → format)."""
    ws = wb.create_sheet(title)
    ws.append(_cells(ws, headers, {}, font=BOLD))
    widths = [len(h) for h in headers]
    for row in rows:
        ws.append(_cells(ws, row, formats))
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _width(value))
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 50)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{ws.max_row}"
    return ws


def _cells(ws: Worksheet, values: Sequence[object], formats: dict[int, str], font: Font | None = None) -> list[Cell]:
    """Cells for one row; text is cleaned and never becomes a formula."""
    out = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
        cell = Cell(ws, value=value)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        if i in formats and value is not None:
            cell.number_format = formats[i]
        if font is not None:
            cell.font = font
        out.append(cell)
    return out


def _width(value: object) -> int:
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, float):
        return 6
    return len(str(value)) if value is not None else 0


def _local(when: datetime | None, tz: ZoneInfo) -> datetime | None:
    """``when`` as a naive local datetime for Excel."""
    if when is None:
        return None
    if when.tzinfo is None:
        raise ValueError(f"naive datetime in a weekly report: {when!r}")
    return when.astimezone(tz).replace(tzinfo=None, microsecond=0)


def _month(month: str) -> str:
    """"2026-12" → "12/2026"."""
    year, _, mm = month.partition("-")
    return f"{mm}/{year}" if mm else month
