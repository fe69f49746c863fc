"""A real month: the secretary corrects the record, the rules as written (Điều lệ Đảng, Điều 8.1 in
months, rates never rounded onto a missed target, combined sessions, exempt members who come), the
committee's weekly picture across a month's end, names in the Vietnamese order. Played through the
real bot against the fake Bot APIs, with the FakeClock."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.demo.scene import Scene, members_by_name
from scheduler.timed.weekly import run_weekly
from storage.models import Attendance, AttendanceStatus, AuditLog, Meeting, OutboxMessage, Role
from tests.conftest import DB_KINDS

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEC, DEP = "Nguyễn Văn An", "Trần Thị Bình"
SICK, LATE, MISSED, FORGOT, EXEMPT = "Lê Văn Ốm", "Hoàng Văn Muộn", "Đỗ Văn Vắng", "Phạm Thị Quên", "Vũ Văn Cụ"
OTHERS = ["Bùi Văn Đức", "Đinh Thị Dung", "Mai Văn Ơn", "Tạ Thị Ôn"]
CELL = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)] + [(n, Role.DANG_VIEN) for n in
                                                       [SICK, LATE, MISSED, FORGOT, EXEMPT] + OTHERS]


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


async def setup(scene: Scene, *, exempt: set[str] = frozenset({EXEMPT})) -> int:
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    cell = await scene.add_cell(committee, "Chi bộ khu dân cư số 1", CELL, exempt=exempt)
    await scene.start_bot()
    await scene.link(*[n for n, _ in CELL])
    return cell


async def hold_meeting(scene: Scene, day: tuple[int, int, int], *, attend: list[str], extra: str = "",
                       minutes: int = 95) -> str:
    """The secretary schedules, starts and ends a meeting; ``attend`` check in. Returns the summary."""
    y, m, d = day
    scene.at(vn(y, m, d, 8, 0))
    await scene.say(SEC, f"/lichhop {y:04d}-{m:02d}-{d:02d} 19:30 {extra}".strip())
    scene.at(vn(y, m, d, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in attend:
        await scene.say(name, "/diemdanh")
    scene.at(vn(y, m, d, 19, 30) + timedelta(minutes=minutes))
    reply = (await scene.say(SEC, "/ketthuc", expect=1))[0]
    if "Kết thúc ngay" in reply:  # shorter than the minimum: confirmed
        reply = (await scene.say(SEC, "/ketthuc", expect=1))[0]
    return reply


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_secretary_excuses_and_corrects_and_the_summary_follows(scene: Scene):
    cell = await setup(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")

    # Before the meeting: the secretary records an excused absence for a member who told them in person.
    assert "dành cho bí thư" in (await scene.say(LATE, f"/vang_ho {SICK} | ốm"))[0]
    assert "Cách ghi vắng có lý do" in (await scene.say(SEC, "/vang_ho"))[0]
    assert "lý do" in (await scene.say(SEC, f"/vang_ho {SICK}"))[0]
    assert "Không tìm thấy" in (await scene.say(SEC, "/vang_ho Người Lạ | ốm"))[0]
    reply = (await scene.say(SEC, "/vang_ho le van om | nằm viện"))[0]  # matched without diacritics
    assert f"Đã ghi đồng chí {SICK}" in reply and "vắng có lý do" in reply and "19:30 05/12/2026" in reply
    assert "Bí thư chi bộ đã ghi nhận đồng chí vắng có lý do" in scene.last_text(SICK)

    # The meeting: most come, one late, one forgets to check in, one stays away, the exempt member comes.
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in [DEP] + OTHERS + [EXEMPT]:
        await scene.say(name, "/diemdanh")
    assert "không tính vào tỷ lệ" in scene.last_text(EXEMPT)
    scene.at(vn(2026, 12, 5, 19, 50))
    await scene.say(LATE, "/diemdanh")
    scene.at(vn(2026, 12, 5, 21, 5))
    summary = (await scene.say(SEC, "/ketthuc"))[0]
    # Expected: 11 active minus the exempt = 10; present: secretary, deputy, 4 others, the late one = 7.
    assert "7/10" in summary and "(70%)" in summary
    assert f"Dự họp – miễn sinh hoạt (không tính vào tỷ lệ): {EXEMPT}" in summary
    # Vietnamese order: by given name (Quên before Vắng), not by family name (Đỗ before Phạm).
    assert f"Vắng không lý do: {FORGOT}, {MISSED}" in summary
    assert f"{SICK} – nằm viện" in summary

    # After the meeting: the member who forgot to check in was there; the secretary corrects it.
    assert "dành cho bí thư" in (await scene.say(MISSED, f"/suadiemdanh {FORGOT} | có mặt"))[0]
    assert "Chưa hiểu tình trạng" in (await scene.say(SEC, f"/suadiemdanh {FORGOT} | đến rồi mà"))[0]
    deputy_before = len(scene.inbox(DEP))
    replies = await scene.say(SEC, f"/suadiemdanh {FORGOT} | có mặt", expect=2)
    assert f"đồng chí {FORGOT} từ vắng không lý do thành có mặt" in replies[0]
    assert "Tóm tắt đã sửa" in replies[1] and "8/10" in replies[1] and f"Vắng không lý do: {MISSED}" in replies[1]
    assert FORGOT not in replies[1].split("Vắng không lý do:")[1].split("\n")[0]
    assert f"sửa sau cuộc họp {FORGOT}" in replies[1]
    assert any("Tóm tắt đã sửa" in m.get("text", "") for m in scene.inbox(DEP)[deputy_before:])

    # The same words on a second look change nothing and write no audit row.
    assert "không có gì thay đổi" in (await scene.say(SEC, f"/suadiemdanh {FORGOT} | có mặt"))[0]

    # Late by minutes, and the day after, the absent member's reason reaches the secretary: /vang_ho applies it
    # to the meeting just held (he was marked absent there), as a correction.
    await scene.say(SEC, f"/suadiemdanh {OTHERS[1]} muộn 25", expect=2)
    scene.at(vn(2026, 12, 6, 9, 0))
    replies = await scene.say(SEC, f"/vang_ho {MISSED} | đi công tác Huế", expect=2)
    assert "thành vắng có lý do (đi công tác Huế)" in replies[0]
    assert "Tóm tắt đã sửa" in replies[1] and "Vắng không lý do" not in replies[1]
    assert f"{OTHERS[1]} (25 phút)" in replies[1]

    async with scene.sessions()() as s:
        members = await members_by_name(scene.sessions(), cell)
        meeting = await s.scalar(select(Meeting).where(Meeting.cell_id == cell))
        rows = {a.member_id: a for a in await s.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
        assert rows[members[FORGOT].id].status is AttendanceStatus.PRESENT
        assert rows[members[FORGOT].id].recorded_by_member_id == members[SEC].id
        assert rows[members[MISSED].id].status is AttendanceStatus.EXCUSED
        assert rows[members[MISSED].id].reason == "đi công tác Huế"
        assert rows[members[OTHERS[1]].id].status is AttendanceStatus.LATE
        assert rows[members[EXEMPT].id].status is AttendanceStatus.PRESENT  # recorded as attending
        audits = list(await s.scalars(select(AuditLog).where(AuditLog.action.in_(("correct", "excuse_for")))
                                      .order_by(AuditLog.id)))
        assert [a.action for a in audits] == ["excuse_for", "correct", "correct", "excuse_for"]
        fix = audits[1]
        assert fix.actor == f"member:{members[SEC].id}" and fix.at == vn(2026, 12, 5, 21, 5)
        assert fix.before["status"] == "absent" and fix.after["status"] == "present"
        assert fix.before["member_id"] == members[FORGOT].id
        assert audits[3].before["status"] == "absent" and audits[3].after["reason"] == "đi công tác Huế"

    # After a restart, /baocao gives the corrected summary.
    await scene.stop_bot()
    await scene.start_bot()
    report = (await scene.say(SEC, "/baocao"))[0]
    assert "8/10" in report and f"{MISSED} – đi công tác Huế" in report


async def test_while_the_next_meeting_runs_a_correction_says_so_and_changes_nothing(scene: Scene):
    """/suadiemdanh corrects the meeting just ended: while the next one is under way, "the last one" is not
    what is meant (and the one under way may be ending at that moment, in another process)."""
    await setup(scene)
    await hold_meeting(scene, (2026, 12, 5), attend=[DEP])
    scene.at(vn(2026, 12, 19, 8, 0))
    await scene.say(SEC, "/lichhop 2026-12-19 19:30 chuyende")
    scene.at(vn(2026, 12, 19, 19, 30))
    await scene.say(SEC, "/batdau")
    reply = (await scene.say(SEC, f"/suadiemdanh {FORGOT} | có mặt"))[0]
    assert "Cuộc họp bắt đầu lúc 19:30 đang diễn ra" in reply and "/diemdanh_ho" in reply
    scene.at(vn(2026, 12, 19, 21, 30))
    await scene.say(SEC, "/ketthuc")
    replies = await scene.say(SEC, f"/suadiemdanh {FORGOT} | có mặt", expect=2)
    assert f"cuộc họp ngày 19/12/2026: đồng chí {FORGOT} từ vắng không lý do thành có mặt" in replies[0]
    async with scene.sessions()() as s:
        audits = list(await s.scalars(select(AuditLog).where(AuditLog.action == "correct")))
    assert len(audits) == 1


async def test_corrections_on_zalo_in_words(zalo_scene: Scene):
    scene = zalo_scene
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ Zalo", CELL[:6])
    await scene.start_bot()
    await scene.link_zalo(*[n for n, _ in CELL[:6]])
    await scene.say_zalo(SEC, "lịch họp 2026-12-05 19:30")
    reply = (await scene.say_zalo(SEC, f"vắng hộ {SICK} | ốm"))[0]
    assert f"Đã ghi đồng chí {SICK} vắng có lý do" in reply
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say_zalo(SEC, "bắt đầu")
    for name in (DEP, LATE):
        await scene.say_zalo(name, "điểm danh")
    scene.at(vn(2026, 12, 5, 21, 0))
    await scene.say_zalo(SEC, "kết thúc")
    # Without the bar: the whole name first, then the status.
    replies = await scene.say_zalo(SEC, f"sửa điểm danh {FORGOT} vắng có lý do mất điện thoại", expect=2)
    assert "thành vắng có lý do (mất điện thoại)" in replies[0] and "Tóm tắt đã sửa" in replies[1]
    assert "<b>" not in replies[1]


async def test_article_8_1_counts_months_and_warns_once_per_new_month(scene: Scene):
    cell = await setup(scene, exempt=set())
    everyone = [n for n, _ in CELL if n not in (SEC, MISSED)]
    scene.at(vn(2026, 10, 1, 8, 0))
    # October: the regular meeting and the quarter's thematic one, both missed: one month.
    first = await hold_meeting(scene, (2026, 10, 5), attend=everyone)
    await hold_meeting(scene, (2026, 10, 20), attend=everyone, extra="chuyende")
    assert not any("Cần nhắc nhở" in t for t in scene.server.texts(scene.who(SEC).chat_id))
    assert "Vắng không lý do: " + MISSED in first
    # November: a second month. The secretary and the deputy are warned, quoting the rule as written.
    await hold_meeting(scene, (2026, 11, 5), attend=everyone)
    warnings = [t for t in scene.server.texts(scene.who(SEC).chat_id) if "Cần nhắc nhở" in t]
    assert len(warnings) == 1
    assert f"{MISSED}: vắng không lý do trong 2 tháng của năm 2026 (tháng 10, 11)" in warnings[0]
    assert "ba tháng trong năm mà không có lý do chính đáng thì chi bộ xem xét, đề nghị xóa tên" in warnings[0]
    assert any("Cần nhắc nhở" in t for t in scene.server.texts(scene.who(DEP).chat_id))
    # A thematic meeting missed in November again: still two months, no second warning.
    await hold_meeting(scene, (2026, 11, 20), attend=everyone, extra="chuyende")
    assert len([t for t in scene.server.texts(scene.who(SEC).chat_id) if "Cần nhắc nhở" in t]) == 1
    # A correction that changes nothing about his months does not warn again either.
    await scene.say(SEC, f"/suadiemdanh {LATE} | muộn 20", expect=2)
    assert len([t for t in scene.server.texts(scene.who(SEC).chat_id) if "Cần nhắc nhở" in t]) == 1
    # December: a third month, a new warning.
    await hold_meeting(scene, (2026, 12, 5), attend=everyone)
    warnings = [t for t in scene.server.texts(scene.who(SEC).chat_id) if "Cần nhắc nhở" in t]
    assert len(warnings) == 2 and "trong 3 tháng của năm 2026 (tháng 10, 11, 12)" in warnings[1]
    async with scene.sessions()() as s:
        keys = [o.key for o in await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "absence_warning"))]
        assert len(keys) == 2  # to the deputy: once per new month (the secretary had it as the reply)
    # A new year starts from zero.
    await hold_meeting(scene, (2027, 1, 5), attend=everyone)
    assert len([t for t in scene.server.texts(scene.who(SEC).chat_id) if "Cần nhắc nhở" in t]) == 2
    assert cell


async def test_a_rate_that_misses_the_target_is_never_shown_as_reaching_it(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường")
    names = [f"Đảng Viên Số{i:02d}" for i in range(28)]
    await scene.add_cell(committee, "Chi bộ đông", [(SEC, Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in names])
    await scene.start_bot()
    await scene.link(SEC)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in names[:25]:  # 26 of 29 with the secretary
        await scene.say(SEC, f"/diemdanh_ho {name}")
    scene.at(vn(2026, 12, 5, 21, 0))
    summary = (await scene.say(SEC, "/ketthuc"))[0]
    assert "26/29" in summary and "(89,7%) – KHÔNG ĐẠT mục tiêu 90%" in summary
    assert "90% – KHÔNG ĐẠT" not in summary


async def test_a_combined_session_counts_as_both_and_needs_120_minutes(scene: Scene, tmp_path):
    scene.settings.reports_dir = str(tmp_path / "reports")
    cell = await setup(scene)
    reply = (await scene.say(SEC, "/lichhop 2026-12-05 19:30 kết hợp Nhà văn hóa"))[0]
    assert "sinh hoạt thường kỳ kết hợp chuyên đề" in reply
    assert "sinh hoạt thường kỳ kết hợp chuyên đề" in scene.last_with_button(LATE, "rsvp:")["text"]
    # It is the month's regular meeting: a second regular one is refused.
    assert "đã có cuộc họp thường kỳ tháng 12/2026" in (await scene.say(SEC, "/lichhop 2026-12-20 19:30"))[0]
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in [n for n, _ in CELL if n != SEC]:
        await scene.say(name, "/diemdanh")  # once, for both
    scene.at(vn(2026, 12, 5, 21, 10))
    asked = (await scene.say(SEC, "/ketthuc"))[0]
    assert "100 phút" in asked and "thiếu 20 phút so với thời lượng tối thiểu 120 phút" in asked
    summary = (await scene.say(SEC, "/ketthuc"))[0]
    assert "Tóm tắt sinh hoạt thường kỳ kết hợp chuyên đề" in summary
    assert "100 phút" in summary and "KHÔNG ĐẠT thời lượng tối thiểu 120 phút (thường kỳ kết hợp chuyên đề)" in summary
    async with scene.sessions()() as s:
        meeting = await s.scalar(select(Meeting).where(Meeting.cell_id == cell))
        assert meeting.combined and meeting.kind.value == "thuong_ky"
        assert len(list(await s.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)))) == len(CELL)
    # The committee sees the quarter's thematic meeting done.
    person = await scene.add_committee_member(1, "Cấp Ủy Viên")
    await scene.link(person.name)
    scene.at(vn(2026, 12, 7, 8, 0))
    await run_weekly(scene.runtime.services)
    await scene.settle()
    weekly = "\n".join(scene.server.texts(person.chat_id))
    assert "đã có chuyên đề quý" in weekly and "chưa sinh hoạt chuyên đề quý này" not in weekly


async def test_the_weekly_picture_across_the_year_end(scene: Scene, tmp_path):
    scene.settings.reports_dir = str(tmp_path / "reports")
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    held = await scene.add_cell(committee, "Chi bộ số 1", CELL[:6])
    await scene.add_cell(committee, "Chi bộ số 2", [("Lý Văn Bí", Role.BI_THU), ("Cao Thị Viên", Role.DANG_VIEN)])
    await scene.add_cell(committee, "Chi bộ số 3", [("Hà Văn Ba", Role.BI_THU), ("Kiều Thị Tư", Role.DANG_VIEN)])
    person = await scene.add_committee_member(committee, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link(*[n for n, _ in CELL[:6]], "Lý Văn Bí", person.name)
    # Cell 2 schedules 20 December and never starts it; cell 1 meets on 29 December; cell 3 never schedules.
    scene.at(vn(2026, 12, 10, 8, 0))
    await scene.say("Lý Văn Bí", "/lichhop 2026-12-20 19:30")
    await scene.say(SEC, "/lichhop 2026-12-29 19:30")

    # The Monday report of 28 December (it reports 21 – 27 December): cell 2's date has passed without a start.
    scene.at(vn(2026, 12, 28, 8, 0))
    await run_weekly(scene.runtime.services)
    await scene.settle()
    december = "\n".join(scene.server.texts(person.chat_id))
    assert "Tóm tắt tuần 21/12 – 27/12/2026" in december
    assert "Chi bộ số 2: KHÔNG HỌP theo lịch 20/12" in december
    assert "không họp thường kỳ theo lịch 20/12" in december
    assert "Chi bộ số 1: đã lên lịch 29/12" in december

    scene.at(vn(2026, 12, 29, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in [n for n, _ in CELL[1:6]]:
        await scene.say(name, "/diemdanh")
    scene.at(vn(2026, 12, 29, 21, 5))
    await scene.say(SEC, "/ketthuc")

    # 4 January (it reports 28 December – 3 January): the month just ended, beside this month's status.
    scene.at(vn(2027, 1, 4, 8, 0))
    before = scene.server.sent_count(person.chat_id)
    await run_weekly(scene.runtime.services)
    await scene.settle()
    texts = [m.get("text") for m in scene.server.sent_messages(person.chat_id)[before:] if m.get("text")]
    text = "\n".join(texts)
    assert "Tóm tắt tuần 28/12/2026 – 03/01/2027" in text and "W0" not in text
    assert "Sinh hoạt thường kỳ tháng 12/2026 (vừa qua): đã họp 1/3 chi bộ" in text
    assert "Chi bộ số 1: tháng 12/2026: họp 29/12, 95 phút (tối thiểu 60), có mặt 6/6 (100%) · tháng 01/2027: CHƯA CÓ LỊCH" in text
    assert "Chi bộ số 2: tháng 12/2026: KHÔNG HỌP theo lịch 20/12 · tháng 01/2027: CHƯA CÓ LỊCH" in text
    assert "tháng 12/2026 không họp thường kỳ" in text
    assert "Chi bộ số 3: tháng 12/2026: KHÔNG HỌP (không có lịch) · tháng 01/2027: CHƯA CÓ LỊCH" in text
    wb = load_workbook(io.BytesIO(scene.server.calls("sendDocument")[-1]["document"].content))
    assert wb.properties.title == "Báo cáo tuần 28/12/2026 – 03/01/2027 – Đảng ủy phường Hàng Bạc"
    previous = wb.worksheets[-1]
    assert previous.title == "Tháng 12-2026"
    rows = {r[0].value: [c.value for c in r] for r in previous.iter_rows(min_row=2)}
    assert rows["Chi bộ số 1"][1] == "đã họp" and rows["Chi bộ số 2"][1] == "không họp theo lịch"
    attendance = [[c.value for c in r] for r in wb.worksheets[2].iter_rows(min_row=2)]
    assert sum(1 for r in attendance if r[0] == "Chi bộ số 1") == 6  # December's meeting, member by member

    # The committee member's /baocao: one message for the whole committee.
    before = scene.server.sent_count(person.chat_id)
    replies = await scene.say(person.name, "/baocao")
    await scene.settle()
    assert scene.server.sent_count(person.chat_id) == before + 1
    assert "Chi bộ số 1" in replies[0] and "Chi bộ số 2: chưa có cuộc họp nào kết thúc" in replies[0]
    assert "Chi bộ số 3" in replies[0]
    assert held
