"""The weekly summary's workbook (XLSX) and chart (PNG), from hand-built reports."""

from __future__ import annotations

import warnings
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image

from reports.attention import Code, Reason
from reports.weekly_chart import chart_figure, write_chart
from reports.weekly_model import AttendanceLine, CellWeek, MeetingRow, MonthResult, WeeklyReport
from reports.weekly_xlsx import write_workbook

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KP1 = "Chi bộ Khu phố 1 <&>"
FORMULA = "=SUM(A1)"
SCHOOL = "Chi bộ Trường học"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def make_report(cells: list[CellWeek] | None = None, **kwargs) -> WeeklyReport:
    return WeeklyReport(committee_id=1, committee_name="Đảng ủy phường Bến Nghé", week="2026-W49", month="2026-12",
                        quarter="2026-Q4", generated_at=utc(7, 12, 30), target=0.9,
                        cells=[] if cells is None else cells, **kwargs)


def held(name: str, present: int, expected: int, **kwargs) -> CellWeek:
    rate = present / expected
    return CellWeek(cell_id=hash(name) % 10_000, cell_name=name, members_active=expected + 1, members_exempt=1,
                    regular=MonthResult("2026-12", "held", date=date(2026, 12, 5), minutes=95, minimum=90,
                                        duration_ok=True, present=present, expected=expected, rate=rate,
                                        attendance_ok=rate >= 0.9),
                    **kwargs)


def sample_report() -> WeeklyReport:
    """Three cells: one below target (with every list filled), one at 100% named like a formula, one not held."""
    cells = [
        held(KP1, 9, 11, thematic_this_quarter=True, unreachable=["Nguyễn Văn A", "Trần Thị B"],
             flagged=[("Lê Văn C", "vắng 3 lần liên tiếp")], attention=[Reason(Code.LOW_RATE, {"rate": 9 / 11})]),
        held(FORMULA, 10, 10),
        CellWeek(cell_id=3, cell_name=SCHOOL, members_active=8, members_exempt=0, regular=MonthResult("2026-12", "missing"),
                 attention=[Reason(Code.NO_REGULAR), Reason(Code.FLAGGED, {"count": 2})]),
    ]
    meetings = [
        MeetingRow(KP1, "thuong_ky", utc(5, 12, 30), utc(5, 12, 35), utc(5, 14, 10), 95, 90, True, 9, 11, 9 / 11,
                   False),
        MeetingRow(FORMULA, "chuyen_de", utc(20, 1, 0), None, None, None, None, None, 0, 10, None, None),
    ]
    attendance = [
        AttendanceLine(KP1, date(2026, 12, 5), "thuong_ky", "Nguyễn Văn A", "present", None, utc(5, 12, 40), False),
        AttendanceLine(KP1, date(2026, 12, 5), "thuong_ky", "@admin", "late", None, utc(5, 12, 55), True),
        AttendanceLine(KP1, date(2026, 12, 5), "thuong_ky", "-Trần", "excused", "đi công\x07 tác", None, False),
        AttendanceLine(KP1, date(2026, 12, 5), "thuong_ky", "+84 912", "absent", None, None, False),
        AttendanceLine(KP1, date(2026, 12, 5), "thuong_ky", "Lê Văn C", "", None, None, False),
    ]
    return make_report(cells, meetings=meetings, attendance=attendance)


@pytest.fixture
def report() -> WeeklyReport:
    return sample_report()


def rows_by_first(ws) -> tuple[list, dict[str, list]]:
    """(header values, {first column value: row of cells})."""
    header = [c.value for c in ws[1]]
    return header, {row[0].value: row for row in ws.iter_rows(min_row=2) if row[0].value is not None}


def cell_in(row, header: list, name: str):
    return row[header.index(name)]


# --- workbook ---------------------------------------------------------------------------------


def test_workbook_sheets_headers_and_layout(report, tmp_path):
    path = write_workbook(report, tmp_path / "w.xlsx", HANOI)
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["Chi bộ", "Cuộc họp", "Điểm danh"]
    assert [c.value for c in wb["Chi bộ"][1]][:5] == ["Chi bộ", "Số đảng viên", "Miễn sinh hoạt",
                                                     "Sinh hoạt thường kỳ", "Ngày họp"]
    assert [c.value for c in wb["Cuộc họp"][1]][:5] == ["Chi bộ", "Loại", "Lịch họp", "Bắt đầu", "Kết thúc"]
    assert [c.value for c in wb["Điểm danh"][1]] == ["Chi bộ", "Ngày họp", "Loại", "Đảng viên", "Tình trạng",
                                                     "Lý do", "Giờ điểm danh", "Bí thư điểm danh"]
    for ws, data_rows in ((wb["Chi bộ"], 3), (wb["Cuộc họp"], 2), (wb["Điểm danh"], 5)):
        assert all(c.font.bold for c in ws[1])
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{1 + data_rows}"
        assert all(8 <= ws.column_dimensions[c.column_letter].width <= 52 for c in ws[1])
    assert wb.properties.title == "Báo cáo tuần 2026-W49 – Đảng ủy phường Bến Nghé"  # no week_start: the key
    assert "19:30 07/12/2026" in wb.properties.subject


def test_cells_sheet_values_and_totals(report, tmp_path):
    ws = load_workbook(write_workbook(report, tmp_path / "w.xlsx", HANOI))["Chi bộ"]
    header, rows = rows_by_first(ws)
    assert list(rows)[:3] == [KP1, FORMULA, SCHOOL]
    kp1 = rows[KP1]
    rate = cell_in(kp1, header, "Tỷ lệ dự")
    assert rate.value == pytest.approx(0.8182, abs=1e-4) and rate.data_type == "n"
    assert rate.number_format in ("0%", "0.0%")
    values = {name: cell_in(kp1, header, name).value for name in header}
    assert values == {
        "Chi bộ": KP1, "Số đảng viên": 12, "Miễn sinh hoạt": 1, "Sinh hoạt thường kỳ": "đã họp",
        "Ngày họp": datetime(2026, 12, 5), "Thời gian (phút)": 95, "Tối thiểu (phút)": 90, "Thời gian đạt": "Đạt",
        "Có mặt": 9, "Phải dự": 11, "Tỷ lệ dự": rate.value, "Tỷ lệ đạt": "Không đạt", "Chuyên đề trong quý": "Có",
        "Không liên lạc được": "Nguyễn Văn A, Trần Thị B", "Đảng viên cần lưu ý": "Lê Văn C: vắng 3 lần liên tiếp",
        "Cần chú ý": "có mặt 82%", "Chất lượng (đề xuất)": None, "Điểm chất lượng": None,
    }
    assert cell_in(kp1, header, "Ngày họp").is_date
    school = {name: cell_in(rows[SCHOOL], header, name).value for name in header}
    assert school["Sinh hoạt thường kỳ"] == "chưa có"
    assert school["Tỷ lệ dự"] is None and school["Thời gian đạt"] is None and school["Ngày họp"] is None
    assert school["Chuyên đề trong quý"] == "Không"
    assert school["Không liên lạc được"] is None and school["Đảng viên cần lưu ý"] is None  # blank, not ""
    assert school["Cần chú ý"] == "chưa có lịch sinh hoạt thường kỳ tháng này; 2 đảng viên cần nhắc nhở"

    assert ws.max_row == 7  # header, 3 cells, a blank row, totals, quality levels
    assert all(c.value is None for c in ws[5])
    totals = ws[6]
    assert [c.value for c in totals[:5]] == ["Số chi bộ", 3, "Đã họp", 2, "Tỷ lệ dự chung"]
    assert totals[5].value == pytest.approx(19 / 21) and totals[5].number_format in ("0%", "0.0%")
    assert all(c.font.bold for c in totals[:6])
    assert [c.value for c in ws[7]][:10] == ["Tốt", 0, "Khá", 0, "Trung bình", 0, "Kém", 0, "Chưa đánh giá", 2]


def test_meetings_sheet_in_local_time(report, tmp_path):
    ws = load_workbook(write_workbook(report, tmp_path / "w.xlsx", HANOI))["Cuộc họp"]
    header, _ = rows_by_first(ws)
    regular, thematic = ws[2], ws[3]
    assert cell_in(regular, header, "Loại").value == "thường kỳ"
    assert cell_in(thematic, header, "Loại").value == "chuyên đề"
    scheduled = cell_in(regular, header, "Lịch họp")
    assert scheduled.value == datetime(2026, 12, 5, 19, 30) and scheduled.value.tzinfo is None
    assert scheduled.is_date and "hh:mm" in scheduled.number_format
    assert cell_in(regular, header, "Bắt đầu").value == datetime(2026, 12, 5, 19, 35)
    assert cell_in(regular, header, "Kết thúc").value == datetime(2026, 12, 5, 21, 10)
    assert cell_in(thematic, header, "Lịch họp").value == datetime(2026, 12, 20, 8, 0)
    assert cell_in(thematic, header, "Bắt đầu").value is None
    rate = cell_in(regular, header, "Tỷ lệ dự")
    assert rate.value == pytest.approx(9 / 11) and rate.number_format.endswith("%")
    assert [cell_in(regular, header, h).value for h in ("Thời gian (phút)", "Thời gian đạt", "Có mặt", "Phải dự")] \
        == [95, "Đạt", 9, 11]


def test_attendance_sheet(report, tmp_path):
    ws = load_workbook(write_workbook(report, tmp_path / "w.xlsx", HANOI))["Điểm danh"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [r[4] for r in rows] == ["có mặt", "đến muộn", "vắng có lý do", "vắng không lý do", "chưa trả lời"]
    assert rows[0][:4] == [KP1, datetime(2026, 12, 5), "thường kỳ", "Nguyễn Văn A"]
    assert ws["B2"].is_date and "hh" not in ws["B2"].number_format
    assert rows[0][6] == datetime(2026, 12, 5, 19, 40) and rows[1][6] == datetime(2026, 12, 5, 19, 55)
    assert [r[7] for r in rows] == [None, "Có", None, None, None]
    assert rows[2][5] == "đi công tác"  # the control character Excel forbids is dropped


def test_formula_like_text_stays_text(report, tmp_path):
    path = write_workbook(report, tmp_path / "w.xlsx", HANOI)
    wb = load_workbook(path)
    name = wb["Chi bộ"]["A3"]
    assert name.value == FORMULA and name.data_type == "s"
    assert wb["Cuộc họp"]["A3"].value == FORMULA and wb["Cuộc họp"]["A3"].data_type == "s"
    members = [wb["Điểm danh"].cell(row, 4) for row in (3, 4, 5)]
    assert [(c.value, c.data_type) for c in members] == [("@admin", "s"), ("-Trần", "s"), ("+84 912", "s")]
    assert name.quotePrefix and all(c.quotePrefix for c in members)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_workbook_in_english(report, tmp_path):
    wb = load_workbook(write_workbook(report, tmp_path / "w.xlsx", HANOI, lang="en"))
    assert wb.sheetnames[:3] == ["Cells", "Meetings", "Attendance"]
    header, rows = rows_by_first(wb["Cells"])
    assert header[0] == "Cell" and cell_in(rows[KP1], header, "Regular meeting").value == "held"
    assert cell_in(rows[SCHOOL], header, "Regular meeting").value == "none"
    assert wb["Attendance"]["E2"].value == "present" and wb["Meetings"]["B3"].value == "thematic"
    assert [c.value for c in wb["Cells"][6][:4]] == ["Cells", 3, "Held", 2]


def test_workbook_with_no_cells(tmp_path):
    wb = load_workbook(write_workbook(make_report(), tmp_path / "w.xlsx", HANOI))
    assert wb.sheetnames[:3] == ["Chi bộ", "Cuộc họp", "Điểm danh"]
    assert wb["Cuộc họp"].max_row == 1 and wb["Điểm danh"].max_row == 1
    assert [c.value for c in wb["Chi bộ"][3][:6]] == ["Số chi bộ", 0, "Đã họp", 0, "Tỷ lệ dự chung", None]


def test_naive_datetime_is_refused(report, tmp_path):
    report.meetings[0].started_at = datetime(2026, 12, 5, 12, 35)
    with pytest.raises(ValueError, match="naive"):
        write_workbook(report, tmp_path / "w.xlsx", HANOI)


def test_ten_thousand_attendance_rows_are_all_written(report, tmp_path):
    base = report.attendance[0]
    report.attendance = [
        AttendanceLine(f"Chi bộ {i % 300}", base.meeting_date, "thuong_ky", f"Đảng viên {i}",
                       ("present", "late", "excused", "absent", "exempt", "")[i % 6], "ốm" if i % 6 == 2 else None,
                       utc(5, 12, 30) + timedelta(seconds=i), i % 7 == 0)
        for i in range(10_000)
    ]
    write_workbook(report, tmp_path / "w.xlsx", HANOI)
    ws = load_workbook(tmp_path / "w.xlsx", read_only=True)["Điểm danh"]
    assert ws.max_row == 10_001


# --- chart ------------------------------------------------------------------------------------


def bars(fig) -> list:
    return list(fig.axes[0].patches)


def png_size(path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        return img.size


def test_chart_png(report, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (e.g. "ộ") is a warning
        path = write_chart(report, tmp_path / "c.png")
    width, height = png_size(path)
    assert 600 <= width <= 1200 and 200 <= height <= 800


def test_chart_content(report):
    fig = chart_figure(report)
    ax = fig.axes[0]
    assert fig._suptitle.get_text() == ("Tỷ lệ dự sinh hoạt thường kỳ – Đảng ủy phường Bến Nghé – 12/2026\n"
                                         "Tóm tắt tuần 2026-W49")  # the week reported (here its key: no dates)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    top_first = [labels[i] for i in sorted(range(len(labels)), key=lambda i: ax.get_yticks()[i])]
    assert ax.yaxis_inverted() and top_first == [SCHOOL, KP1, FORMULA]  # weakest at the top
    widths = [b.get_width() for b in sorted(bars(fig), key=lambda b: b.get_y())]
    assert widths == pytest.approx([0, 9 / 11, 1.0])
    colors = [b.get_facecolor() for b in sorted(bars(fig), key=lambda b: b.get_y())]
    assert colors[1] != colors[2] and colors[0] == colors[1]
    texts = [t.get_text() for t in ax.texts]
    assert "chưa họp" in texts and "82% (9/11)" in texts and "Mục tiêu 90%" in texts
    target = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(target) == 1 and list(target[0].get_xdata()) == [0.9, 0.9]
    assert ax.get_xlim() == (0, 1) and ax.get_xticklabels()[-1].get_text() == "100%"
    assert all(t.get_fontfamily() == ["DejaVu Sans"] for t in [*ax.texts, *ax.get_yticklabels()])


def test_chart_names_are_not_mathtext(report, tmp_path):
    report.cells[0].cell_name = r"Chi bộ $\frac$ 2"  # broken mathtext: raises if parsed
    report.committee_name = "$5 <&>"
    assert png_size(write_chart(report, tmp_path / "c.png"))[0] > 0


def test_chart_of_300_cells_is_bounded(tmp_path):
    cells = [held(f"Chi bộ Khu phố {i}", 5 + i % 7, 12) for i in range(300)]
    report = make_report(cells)
    write_chart(report, tmp_path / "c.png")
    width, height = png_size(tmp_path / "c.png")
    assert width <= 1200 and 1000 <= height <= 2500
    report.cells.append(held("Chi bộ " + "rất dài " * 40, 1, 12))  # long names are cut, the width stays
    assert png_size(write_chart(report, tmp_path / "c.png")) == (width, height)

    fig = chart_figure(report)
    assert len(bars(fig)) == 60
    assert max(b.get_width() for b in bars(fig)) == pytest.approx(6 / 12)  # the 60 lowest of rates 1/12…11/12
    assert "60 chi bộ thấp nhất / tổng số 301 chi bộ" in fig._suptitle.get_text()
    assert "60 lowest of 301 cells" in chart_figure(report, lang="en")._suptitle.get_text()


def test_chart_without_cells(tmp_path):
    report = make_report()
    width, height = png_size(write_chart(report, tmp_path / "c.png"))
    assert width <= 1200 and height <= 400
    fig = chart_figure(report)
    assert not fig.axes and "Chưa có dữ liệu chi bộ" in [t.get_text() for t in fig.texts]


def test_chart_in_english(report):
    fig = chart_figure(report, lang="en")
    assert fig._suptitle.get_text().startswith("Regular meeting attendance – ")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "not held" in texts and "Target 90%" in texts


def test_chart_says_a_missed_meeting_was_not_held_on_its_date_and_leaves_a_new_cell_uncoloured():
    """A meeting whose date passed without a start: a miss, with its date; a cell added to chibo this month with
    nothing scheduled: neither a miss nor weakest (drawn last, no red label)."""
    missed = CellWeek(cell_id=1, cell_name="Chi bộ lỡ họp", members_active=8, members_exempt=0,
                      regular=MonthResult("2026-12", "not_held", date=date(2026, 12, 8)),
                      attention=[Reason(Code.NOT_HELD, {"date": date(2026, 12, 8)})])
    new = CellWeek(cell_id=2, cell_name="Chi bộ mới", members_active=5, members_exempt=0, regular=MonthResult("2026-12", "untracked"))
    fig = chart_figure(make_report([new, held(KP1, 9, 11), missed]))
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    top_first = [labels[i] for i in sorted(range(len(labels)), key=lambda i: ax.get_yticks()[i])]
    assert top_first == ["Chi bộ lỡ họp", KP1, "Chi bộ mới"]
    texts = [t.get_text() for t in ax.texts]
    assert "không họp theo lịch 08/12" in texts and "chưa theo dõi (mới dùng chibo)" in texts
    assert "chưa họp" not in texts and "đã lên lịch" not in texts
