"""The period workbook (``reports.period_xlsx``, written as text by ``reports.xlsx_stream``), read back with openpyxl:
the sheets, values and formats the weekly workbook's sheets have, text never a formula."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from reports.period_report import CellPeriod, CommitteePeriod, Rating
from reports.period_xlsx import write_period_workbook
from reports.web_committee import MonthMeeting
from rules.dues import Collection
from rules.period import YEAR, Period
from rules.quality import Level
from rules.tasks import TaskRecord
from rules.yearly import YearProposal

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FORMULA = "=HYPERLINK(\"http://x\")"
ODD = "Chi bộ Khu phố 1 <&> \x01"


def year_page() -> CommitteePeriod:
    held = MonthMeeting("2026-03", "held", date=date(2026, 3, 5), minutes=95, minimum=90, present=9, expected=12,
                        rate=0.75, meeting_id=7, quality="kha")
    first = CellPeriod(cell_id=1, name=ODD, members=13, months=[held, MonthMeeting("2026-04", "missing")],
                       tasks=TaskRecord(4, 3, 1), dues=Collection(20, 24, 480_000),
                       proposal=YearProposal(Level.KHA, ()),
                       rating=Rating("tot", "kha", "Làm tốt", "committee_member:3",
                                     datetime(2026, 12, 20, 9, 30, tzinfo=HANOI), who="Nguyễn Văn A"))
    second = CellPeriod(cell_id=2, name=FORMULA, members=8, months=[MonthMeeting("2026-03", "not_held")])
    return CommitteePeriod(committee_id=1, committee_name="Quận ủy Ba Đình", period=Period(YEAR, 2026),
                           today=date(2026, 12, 31), target=0.8, rows=[first, second])


def test_the_year_workbook_reads_back_as_written(tmp_path):
    path = write_period_workbook(year_page(), tmp_path / "period.xlsx", "vi")
    assert zipfile.is_zipfile(path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Tổng hợp", "Quận ủy Ba Đình", "Thường kỳ theo tháng"]
    assert wb.properties.creator == "chibo" and wb.properties.title == "Quận ủy Ba Đình – Năm 2026"

    summary = {row[0].value: row[1] for row in wb["Tổng hợp"].iter_rows(max_col=2) if row[0].value}
    assert summary["Đảng ủy"].value == "Quận ủy Ba Đình" and summary["Số chi bộ"].value == 2
    assert summary["Mục tiêu dự họp"].value == 0.8 and summary["Mục tiêu dự họp"].number_format == "0.0%"
    assert summary["Số chi bộ"].number_format == "General"  # a count is not a percentage
    assert wb["Tổng hợp"]["A1"].font.b and not wb["Tổng hợp"]["B1"].font.b
    assert summary["Khá"].value == 0 and summary["Tốt"].value == 1  # the committee's level counts

    cells = wb["Quận ủy Ba Đình"]
    assert cells.freeze_panes == "A2" and cells.auto_filter.ref == "A1:V3"
    assert all(c.font.b for c in cells[1])
    headers = [c.value for c in cells[1]]
    one = dict(zip(headers, cells[2]))
    assert one["Chi bộ"].value == "Chi bộ Khu phố 1 <&> "  # a control character XML cannot hold is dropped
    assert one["Thường kỳ đã họp"].value == 1 and one["Tháng không họp"].value == "04/2026"
    assert one["Tỷ lệ dự"].value == 0.75 and one["Tỷ lệ dự"].number_format == "0.0%"
    assert (one["Việc đã đến hạn"].value, one["Xong đúng hạn"].value) == (4, 3)
    assert one["Tỷ lệ đảng phí"].value == 20 / 24
    assert (one["Chibo đề xuất"].value, one["Cấp ủy xếp loại"].value, one["Người xếp loại"].value) == (
        "Khá", "Tốt", "Nguyễn Văn A")
    assert one["Ngày"].value == datetime(2026, 12, 20) and one["Ngày"].number_format == "dd/mm/yyyy"
    two = dict(zip(headers, cells[3]))
    assert two["Chi bộ"].value == FORMULA and two["Chi bộ"].data_type == "s" and two["Chi bộ"].quotePrefix
    assert two["Tỷ lệ dự"].value is None and two["Tỷ lệ đảng phí"].value is None
    assert 8 <= cells.column_dimensions["A"].width <= 50

    months = wb["Thường kỳ theo tháng"]
    assert months.max_row == 4 and months.freeze_panes == "A2"
    march = [c.value for c in months[2]]
    assert march[:4] == [ODD[:-1], "03/2026", "đã họp", datetime(2026, 3, 5)]
    assert march[4:] == [95, 90, 9, 12, 0.75, "Khá"]
    assert months["D2"].number_format == "dd/mm/yyyy"
