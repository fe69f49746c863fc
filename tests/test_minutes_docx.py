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
        meeting_id=7, cell_name="Chi bộ khu dân cư số 3", kind="chuyen_de", scheduled_at=start, started_at=start,
        start_manual=False, ended_at=end, end_manual=False, cell_size=4, rules=RuleSet(),
        duration=duration_verdict("chuyen_de", 4, start, end), attendance=attendance_verdict(3, 4),
        present=["A", "B", "C <D>"], excused=[("E", "ốm")], combined=False,
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
    assert "Viết bài thu hoạch & nộp" in text and "31/12/2026" in text
    assert "Đánh giá chất lượng sinh hoạt: ……" in text  # not assessed: no level proposed
    assert "kết thúc lúc 21 giờ 10 phút, ngày 11/12/2026" in text
    assert not list(tmp_path.glob("*.part"))
