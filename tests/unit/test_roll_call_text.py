"""The roll-call's text (reports.roll_call): the summary's numbers, names escaped, never more than one message."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from reports.meeting_summary import MeetingSummary
from reports.roll_call import MAX_TEXT, text
from rules import RuleSet, attendance_verdict

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)  # 19:30 in Hà Nội


def summary(present: list[str], expected: int, **more) -> MeetingSummary:
    return MeetingSummary(meeting_id=1, cell_name="Chi bộ <1> & 2", kind="thuong_ky", combined=False,
                          scheduled_at=START, started_at=START, start_manual=False, ended_at=None, end_manual=False,
                          cell_size=expected, rules=RuleSet(), duration=None,
                          attendance=attendance_verdict(len(present), expected), present=present, **more)


def test_counts_late_and_excused_names_in_vietnamese_and_english():
    s = summary(["An", "Bình <B>"], 4, late=[("Bình <B>", 12)], excused=[("Cường & Co", "ốm")])
    vi = text(s, TZ, "vi")
    assert "Chi bộ &lt;1&gt; &amp; 2" in vi and "bắt đầu lúc 19:30" in vi
    assert "Có mặt <b>2/4</b>" in vi and "muộn: 1; vắng có lý do: 1; chưa điểm danh: 1" in vi
    assert "An, Bình &lt;B&gt; (muộn 12 phút)" in vi and "Cường &amp; Co (ốm)" in vi
    en = text(s, TZ, "en")
    assert "Present <b>2/4</b>" in en and "Bình &lt;B&gt; (12 min late)" in en and "Excused: Cường &amp; Co (ốm)" in en


def test_nobody_yet_and_the_end_are_said():
    assert "Chưa đồng chí nào điểm danh" in text(summary([], 3), TZ, "vi")
    ended = summary(["An"], 1)
    ended.ended_at = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
    assert "kết thúc lúc 21:30" in text(ended, TZ, "vi")


def test_a_cell_too_big_to_name_everyone_gets_the_counts_in_one_message():
    names = [f"Nguyễn Văn Thành Công Số {i}" for i in range(300)]
    long = text(summary(names, 300), TZ, "vi")
    assert len(long) <= MAX_TEXT and "Có mặt <b>300/300</b>" in long and "tổng kết" in long
    assert "Số 1," not in long
