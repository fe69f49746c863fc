"""The minutes draft as a Word file: what chibo knows is filled in, what it does not is left blank."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from docx import Document

from reports.meeting_summary import MeetingSummary
from reports.minutes import MinutesData, cell_header, party_committee_header, write_docx
from rules import RuleSet, attendance_verdict, duration_verdict
from storage.quality import TaskLine

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_headers_name_the_party_organisation():
    assert party_committee_header("Đảng ủy phường Hàng Bạc") == "ĐẢNG BỘ PHƯỜNG HÀNG BẠC"
    assert party_committee_header("Đảng bộ xã Tân Lập") == "ĐẢNG BỘ XÃ TÂN LẬP"
    assert party_committee_header("Phường Hàng Bạc") == "ĐẢNG BỘ PHƯỜNG HÀNG BẠC"
    assert cell_header("Chi bộ khu dân cư số 1") == "CHI BỘ KHU DÂN CƯ SỐ 1"
    assert cell_header("Tổ 3") == "CHI BỘ TỔ 3"


def text_of(path) -> str:
    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def test_a_thematic_meeting_with_a_topic_tasks_and_no_assessment(tmp_path):
    start, end = datetime(2026, 12, 11, 19, 0, tzinfo=TZ), datetime(2026, 12, 11, 21, 10, tzinfo=TZ)
    summary = MeetingSummary(
        meeting_id=7, cell_name="Chi bộ khu dân cư số 3", kind="chuyen_de", combined=False, scheduled_at=start, started_at=start,
        start_manual=False, ended_at=end, end_manual=False, cell_size=4, rules=RuleSet(),
        duration=duration_verdict("chuyen_de", 4, start, end), attendance=attendance_verdict(3, 4),
        present=["A", "B", "C <D>"], excused=[("E", "ốm")], guests=["Trần Văn Cấp"],
    )
    data = MinutesData(committee_name="Đảng ủy phường Hàng Bạc", cell_name="Chi bộ khu dân cư số 3", kind="chuyen_de",
                       topic="Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh", place=None,
                       scheduled_at=start, started_at=start, ended_at=end, summary=summary,
                       tasks=[TaskLine(1, "A", "Viết bài thu hoạch & nộp", date(2026, 12, 31), None)])
    text = text_of(write_docx(data, tmp_path / "m.docx", TZ))
    assert "SINH HOẠT CHI BỘ CHUYÊN ĐỀ" in text and "THƯỜNG KỲ" not in text
    assert "Chuyên đề: Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh" in text
    assert "Địa điểm: ……" in text  # no place recorded: left blank, not invented
    assert "Có mặt: 3/4 đồng chí (75%): A, B, C <D>." in text  # names as they are, not HTML-escaped
    assert "Vắng có lý do: 1 đồng chí: E (ốm)." in text
    assert "Đại biểu cấp trên dự: 1 đồng chí: Trần Văn Cấp." in text  # guests are named, not counted
    assert "Viết bài thu hoạch & nộp" in text and "31/12/2026" in text
    assert "Đánh giá chất lượng sinh hoạt: ……" in text  # not assessed: no level proposed
    assert "kết thúc lúc 21 giờ 10 phút, ngày 11/12/2026" in text
    assert not list(tmp_path.glob("*.part"))


def _regular(tmp_path, *, absent, excused, tasks, present):
    start, end = datetime(2026, 12, 5, 19, 30, tzinfo=TZ), datetime(2026, 12, 5, 21, 10, tzinfo=TZ)
    summary = MeetingSummary(
        meeting_id=8, cell_name="Chi bộ khu dân cư số 1", kind="thuong_ky", combined=False, scheduled_at=start,
        started_at=start, start_manual=False, ended_at=end, end_manual=False, cell_size=len(present) + len(absent),
        rules=RuleSet(), duration=duration_verdict("thuong_ky", len(present), start, end),
        attendance=attendance_verdict(len(present), len(present) + len(absent) + len(excused)),
        present=present, absent=absent, excused=excused,
    )
    data = MinutesData(committee_name="Đảng ủy phường Hàng Bạc", cell_name="Chi bộ khu dân cư số 1", kind="thuong_ky",
                       topic=None, place="Nhà văn hóa", scheduled_at=start, started_at=start, ended_at=end,
                       summary=summary, tasks=tasks)
    return write_docx(data, tmp_path / "r.docx", TZ)


def test_the_draft_is_on_a4_paper_with_the_usual_margins(tmp_path):
    path = _regular(tmp_path, absent=[], excused=[], tasks=[], present=["Lê Văn An"])
    for section in Document(str(path)).sections:
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4, not US Letter
        assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 15)


def test_nobody_absent_reads_none_not_zero_comrades_and_a_dash(tmp_path):
    text = text_of(_regular(tmp_path, absent=[], excused=[], tasks=[], present=["Lê Văn An", "Trần Thị Bình"]))
    assert "Vắng không lý do: không có." in text and "Vắng có lý do: không có." in text
    assert "lý do: 0 đồng chí" not in text and ": –." not in text
    text = text_of(_regular(tmp_path, absent=["Phạm Văn Dũng"], excused=[("Ngô Thị Hà", "ốm")], tasks=[],
                            present=["Lê Văn An"]))
    assert "Vắng không lý do: 1 đồng chí: Phạm Văn Dũng." in text and "Vắng có lý do: 1 đồng chí: Ngô Thị Hà (ốm)." in text


def test_one_task_given_to_the_whole_cell_is_one_row_not_one_per_member(tmp_path):
    present = [f"Nguyễn Văn Tên{i:02d}" for i in range(26)]
    due = date(2026, 12, 31)
    tasks = [TaskLine(i, name, "Đóng đảng phí", due, None) for i, name in enumerate(present, 1)]
    tasks.append(TaskLine(99, present[0], "Viết bài thu hoạch", date(2026, 12, 20), None))
    doc = Document(str(_regular(tmp_path, absent=[], excused=[], tasks=tasks, present=present)))
    table = doc.tables[1]  # the header is the first table
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [r[2] for r in rows].count("Đóng đảng phí") == 1
    assert len(rows) == 2
    dues = next(r for r in rows if r[2] == "Đóng đảng phí")
    assert "26" in dues[1] and dues[3] == "31/12/2026"
    assert [r[0] for r in rows] == ["1", "2"]
