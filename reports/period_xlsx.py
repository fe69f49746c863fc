"""A committee's period (a month, a quarter, a year) as an XLSX workbook, with the yearly rating for a year.

A summary sheet first, then one sheet of cells per level of the committee's organisation (``levels``: today
the committee's own cells; a committee with committees below it passes one list per level), then the
regular meetings month by month. The sheets are made as the weekly workbook's (bold, frozen, filtered header;
text never a formula), from the same ``CommitteePeriod`` the web page shows, but written as text
(``reports.xlsx_stream``): a district's year is a quarter of a million cells of the sheet."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Sequence
from typing import Any

from reports.period_report import CellPeriod, CommitteePeriod, level_text, period_label, reason_text
from reports.weekly_xlsx import DATE_FMT, LABELS, PERCENT_FMT
from reports.xlsx_stream import Book

PERIOD_LABELS: dict[str, dict[str, Any]] = {
    "vi": {
        "summary": "Tổng hợp",
        "months_sheet": "Thường kỳ theo tháng",
        "summary_rows": ("Đảng ủy", "Kỳ", "Số chi bộ", "Cuộc họp thường kỳ đã họp", "Tháng chibo theo dõi",
                         "Tháng không họp thường kỳ", "Tỷ lệ dự họp chung", "Quý thiếu chuyên đề", "Mục tiêu dự họp"),
        "cells": ("Chi bộ", "Số đảng viên", "Tháng theo dõi", "Thường kỳ đã họp", "Tháng không họp",
                  "Chuyên đề đã họp", "Quý thiếu chuyên đề", "Có mặt", "Phải dự", "Tỷ lệ dự", "Việc đã đến hạn",
                  "Xong đúng hạn", "Tỷ lệ đúng hạn", "Đảng phí đã đóng (lượt tháng)", "Phải đóng (lượt tháng)",
                  "Tỷ lệ đảng phí"),
        "rating": ("Chibo đề xuất", "Lý do đề xuất", "Cấp ủy xếp loại", "Người xếp loại", "Ngày", "Lý do của cấp ủy"),
        "months": ("Chi bộ", "Tháng", "Tình trạng", "Ngày họp", "Thời gian (phút)", "Tối thiểu (phút)", "Có mặt",
                   "Phải dự", "Tỷ lệ dự", "Chất lượng (đề xuất)"),
        "levels_title": "Xếp loại năm",
        "operator": "người vận hành",
    },
    "en": {
        "summary": "Summary",
        "months_sheet": "Regular by month",
        "summary_rows": ("Committee", "Period", "Cells", "Regular meetings held", "Months followed",
                         "Months without a regular meeting", "Overall attendance", "Quarters without thematic",
                         "Attendance target"),
        "cells": ("Cell", "Members", "Months followed", "Regular held", "Months not held", "Thematic held",
                  "Quarters without thematic", "Present", "Expected", "Attendance rate", "Tasks due", "Done on time",
                  "On-time share", "Dues paid (member-months)", "Dues owed (member-months)", "Dues share"),
        "rating": ("Proposed by chibo", "Why", "Committee's level", "Decided by", "Date", "Committee's reason"),
        "months": ("Cell", "Month", "Status", "Date", "Minutes", "Minimum (min)", "Present", "Expected",
                   "Attendance rate", "Quality (proposed)"),
        "levels_title": "Yearly levels",
        "operator": "operator",
    },
}


def write_period_workbook(page: CommitteePeriod, path: pathlib.Path, lang: str = "vi",
                          levels: Sequence[tuple[str, Sequence[CellPeriod]]] | None = None) -> pathlib.Path:
    """Write ``page`` to ``path``; ``levels``: (sheet title, cells) per level of the tree, the committee's own
    cells by default."""
    lab = PERIOD_LABELS.get(lang, PERIOD_LABELS["vi"])
    weekly = LABELS.get(lang, LABELS["vi"])
    wb = Book(creator="chibo", title=f"{page.committee_name} – {period_label(page.period, lang)}")
    _summary(wb, page, lab, lang)
    for title, rows in levels or [(page.committee_name, page.rows)]:
        _cells_sheet(wb, title, rows, page, lab, lang)
    wb.table(lab["months_sheet"], lab["months"], {3: DATE_FMT, 8: PERCENT_FMT}, (
        [r.name, f"{m.month[5:]}/{m.month[:4]}", weekly["regular"].get(m.status, m.status), m.date, m.minutes,
         m.minimum, m.present, m.expected, m.rate, level_text(m.quality, lang) if m.quality else None]
        for r in page.rows for m in r.months))
    return wb.save(path)


def _summary(wb: Book, page: CommitteePeriod, lab: dict[str, Any], lang: str) -> None:
    ws = wb.sheet(lab["summary"])
    values = (page.committee_name, period_label(page.period, lang), len(page.rows), page.held, page.months_judged,
              page.missed, page.rate, page.without_thematic, page.target)
    for name, value in zip(lab["summary_rows"], values):
        wb.append(ws, [name, value], {1: PERCENT_FMT} if isinstance(value, float) else None, bold_first=True)
    if page.is_year:
        wb.append(ws, [])
        wb.append(ws, [lab["levels_title"]], bold=True)
        for level, count in page.levels().items():
            wb.append(ws, [level_text(level if level != "none" else None, lang), count])
    ws.widths = {1: 36, 2: 40}


def _cells_sheet(wb: Book, title: str, rows: Sequence[CellPeriod], page: CommitteePeriod, lab: dict[str, Any],
                 lang: str) -> None:
    headers = lab["cells"] + (lab["rating"] if page.is_year else ())
    formats = {9: PERCENT_FMT, 12: PERCENT_FMT, 15: PERCENT_FMT, 20: DATE_FMT}

    def line(r: CellPeriod) -> list[object]:
        out: list[object] = [
            r.name, r.members, r.months_judged, len(r.held), ", ".join(f"{m[5:]}/{m[:4]}" for m in r.months_missed) or None,
            len(r.thematic_days), ", ".join(r.quarters_without_thematic) or None, r.present, r.expected, r.rate,
            r.tasks.counted, r.tasks.on_time, r.tasks.share, r.dues.paid if r.dues else None,
            r.dues.owing if r.dues else None, r.dues.rate if r.dues else None]
        if page.is_year:
            proposal, rating = r.proposal, r.rating
            out += [level_text(proposal.level, lang) if proposal and proposal.level else None,
                    " ".join(reason_text(x, lang) for x in proposal.reasons) if proposal else None,
                    level_text(rating.level, lang) if rating else None,
                    (rating.who or lab["operator"]) if rating else None,
                    rating.at.date() if rating else None, rating.reason if rating else None]
        return out

    wb.table(re.sub(r"[\[\]:*?/\\]", " ", title)[:31], headers, formats, (line(r) for r in rows))
