"""Numbers that agree (issue 20), through the real bot on the fake Telegram Bot API: the duration the
shown times give, who was in the room, the two parts of the attendance criterion and the score read
the same in the /ketthuc reply, the summary, the minutes and the weekly workbook; the last meeting's
tasks count only once due; the weekly summary names the week it reports."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select

from bot.demo.scene import Scene
from reports import web_cell, weekly
from reports.weekly_chart import chart_figure
from reports.weekly_xlsx import write_workbook
from scheduler.timed.weekly import build_and_queue
from storage.models import Meeting, MeetingAssessment, Role
from tests.conftest import DB_KINDS, vn

SEC = "Nguyễn Văn An"
MEMBERS = ["Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em", "Vũ Thị Giang", "Đỗ Văn Hải",
           "Bùi Thị Hoa", "Ngô Văn Khánh", "Đặng Thị Lan"]
EXEMPT = ["Cao Văn Minh", "Lý Thị Nga"]  # exempt (health), but they come anyway


def buttons(message: dict) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}


async def answer(scene: Scene, label: str) -> str:
    message = scene.last_with_button(SEC, "qa:")
    chat = scene.who(SEC).chat_id
    before = scene.server.sent_count(chat)
    await scene.press(SEC, message, buttons(message)[label])
    await scene.server.wait_for(lambda: scene.server.sent_count(chat) > before)
    await scene.settle()
    return scene.last_text(SEC)


async def setup(scene: Scene, tmp_path) -> int:
    scene.settings.reports_dir = str(tmp_path / "reports")
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    cell = await scene.add_cell(committee, "Chi bộ khu dân cư số 1",
                                [(SEC, Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in MEMBERS + EXEMPT],
                                exempt=set(EXEMPT))
    await scene.start_bot()
    await scene.link(SEC, *MEMBERS, *EXEMPT)
    return cell


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_one_duration_one_count_one_score_in_every_view(scene: Scene, tmp_path):
    cell = await setup(scene, tmp_path)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa tổ 3")
    for name in MEMBERS[-2:]:  # two excused: 8 of the 10 expected will come, nobody absent without reason
        await scene.say(name, "/vang đi công tác")
    scene.at(vn(2026, 12, 5, 19, 30, 25))  # /batdau at 19:30:25: the start is stored with its seconds
    await scene.say(SEC, "/batdau")
    for name in MEMBERS[:-2] + EXEMPT:
        await scene.say(name, "/diemdanh")
    scene.at(vn(2026, 12, 5, 21, 2))
    summary, intro, _question = await scene.say(SEC, "/ketthuc 21:00", expect=3)  # typed in minutes: 19:30–21:00

    # The duration: 90 minutes, as "19:30 – 21:00" says, not 89 and "KHÔNG ĐẠT".
    assert "Bắt đầu 19:30, kết thúc 21:00 (nhập tay): 90 phút" in summary
    assert "Đạt thời lượng tối thiểu 90 phút" in summary and "KHÔNG ĐẠT thời lượng" not in summary
    assert "• Thời lượng: 10/10" in intro
    # Who was in the room: 10, that is 8 of the 10 expected and the 2 exempt.
    assert "Có mặt 8/10 (80%) – KHÔNG ĐẠT mục tiêu 90%" in summary
    assert "Có mặt tại cuộc họp 10 đồng chí: 8/10 đồng chí phải dự và 2 đồng chí miễn sinh hoạt" in summary
    # The attendance criterion shows both parts: the rate missed, nobody absent without reason: 5/10, not 0/10.
    assert ("• Dự họp đủ (không vắng không lý do): 5/10 (tỷ lệ dự họp 80%, chưa đạt mục tiêu 90%; "
            "không ai vắng không lý do)") in intro

    assert "Câu 2/5" in await answer(scene, "Có")
    assert "Câu 3/5" in await answer(scene, "Cả nội dung và dự thảo nghị quyết")
    assert ("có mặt 10 đồng chí: 8/10 đồng chí phải dự và 2 đồng chí miễn sinh hoạt; một nửa là 5"
            in scene.last_text(SEC))
    await answer(scene, "Một nửa trở lên")
    await answer(scene, "Có cả biểu dương và phê bình")
    result = await answer(scene, "Đầy đủ")
    # 5 + 5 + 10 + 0 (no task given) + 55 of the 90 points judged = 83.3: shown cut down, 83; Khá.
    assert "Đề xuất xếp loại: Khá – 83/100 điểm" in result
    report = (await scene.say(SEC, "/baocao"))[0]
    assert "90 phút" in report and "Chất lượng (đề xuất): Khá – 83/100 điểm" in report
    async with scene.sessions()() as s:
        row = await s.scalar(select(MeetingAssessment))
        assert (row.score, row.level) == (83, "kha")

    # The minutes: the same times, counts and score; the exempt total counts the two who came.
    await scene.say(SEC, "/bienban", expect=2)
    doc = Document(io.BytesIO(scene.server.calls("sendDocument")[-1]["document"].content))
    text = "\n".join(p.text for p in doc.paragraphs)
    for expected in ("bắt đầu lúc 19 giờ 30 phút", "kết thúc lúc 21 giờ 00 phút",
                     "Tổng số đảng viên của chi bộ: 12 đồng chí; miễn sinh hoạt: 2 đồng chí; số phải dự: 10 đồng chí.",
                     "Có mặt: 8/10 đồng chí (80%)",
                     f"Đảng viên miễn sinh hoạt có dự (không tính vào tỷ lệ): 2 đồng chí: {', '.join(EXEMPT)}. "
                     "Có mặt tại cuộc họp: 10 đồng chí.",
                     "Vắng có lý do: 2 đồng chí", "chibo đề xuất Khá (83/100 điểm)"):
        assert expected in text, expected
    assert "Miễn sinh hoạt, không dự" not in text

    # The weekly workbook and the web view's numbers: 90 minutes, duration met, 8 of 10.
    async with scene.sessions()() as s:
        week = await weekly.compute(s, 1, vn(2026, 12, 7, 8, 0), scene.settings.tz)
    sheet = load_workbook(write_workbook(week, tmp_path / "w.xlsx", scene.settings.tz))["Chi bộ"]
    header = [c.value for c in sheet[1]]
    cells = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "Chi bộ khu dân cư số 1")
    assert cells[header.index("Thời gian (phút)")] == 90 and cells[header.index("Thời gian đạt")] == "Đạt"
    assert (cells[header.index("Có mặt")], cells[header.index("Phải dự")]) == (8, 10)
    assert cells[header.index("Điểm chất lượng")] == 83
    text = weekly.render_text(week, "vi", scene.settings.tz)
    assert "họp 05/12, 90 phút (tối thiểu 90), có mặt 8/10" in text
    async with scene.sessions()() as s:
        page = await web_cell.cell_year(s, cell, vn(2026, 12, 7, 8, 0), scene.settings.tz)
    (held,) = page.meetings
    assert (held.duration.minutes, held.duration.ok, held.attendance.present, held.attendance.expected) == (90, True, 8, 10)
    assert (held.assessment.level, held.assessment.score) == ("kha", 83)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_thematic_meeting_a_week_later_across_midnight_counts_only_the_tasks_due(scene: Scene, tmp_path):
    await setup(scene, tmp_path)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa tổ 3")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/batdau")
    for name in MEMBERS:
        await scene.say(name, "/diemdanh")
    scene.at(vn(2026, 12, 5, 21, 5))
    await scene.say(SEC, "/ketthuc", expect=3)
    await scene.say(SEC, f"/giaoviec {MEMBERS[0]} | Rà soát hộ nghèo | 08/12/2026")
    await scene.say(SEC, "/giaoviec cả chi bộ | Nghiên cứu Nghị quyết số 57 | 31/12/2026")
    scene.at(vn(2026, 12, 7, 9, 0))
    assert "hoàn thành việc" in (await scene.say(MEMBERS[0], "/xong 1"))[0]  # done before its deadline

    # A thematic meeting a week later, 22:10:40 to "00:10" the next day: 120 minutes across midnight.
    scene.at(vn(2026, 12, 12, 8, 0))
    await scene.say(SEC, "/lichhop 2026-12-12 22:10 chuyende Nhà văn hóa tổ 3 | Nghị quyết số 57")
    scene.at(vn(2026, 12, 12, 22, 10, 40))
    await scene.say(SEC, "/batdau")
    for name in MEMBERS:
        await scene.say(name, "/diemdanh")
    scene.at(vn(2026, 12, 13, 0, 12))
    summary, intro, _ = await scene.say(SEC, "/ketthuc 00:10", expect=3)
    assert "Bắt đầu 22:10, kết thúc 00:10 (nhập tay): 120 phút" in summary
    assert "Đạt thời lượng tối thiểu 120 phút" in summary
    # 11 tasks were given (1 + 10 present): the one due is done on time; the 10 not due yet are not counted.
    assert ("• Thực hiện việc kỳ trước đúng hạn: 10/10 (1/1 việc đã đến hạn xong đúng hạn; "
            "10 việc chưa đến hạn, chưa tính)") in intro
    async with scene.sessions()() as s:
        meetings = list(await s.scalars(select(Meeting).order_by(Meeting.scheduled_at)))
        assert [m.ended_at.astimezone(scene.settings.tz).strftime("%d/%m %H:%M") for m in meetings] \
            == ["05/12 21:05", "13/12 00:10"]


@pytest.mark.parametrize(("now", "label", "key"), [
    (vn(2027, 1, 18, 8, 0), "11/01 – 17/01/2027", "2027-W02"),  # the Monday report: the week just ended
    (vn(2027, 1, 4, 8, 0), "28/12/2026 – 03/01/2027", "2026-W53"),  # across the year's end
    (vn(2027, 1, 20, 15, 0), "18/01 – 20/01/2027", "2027-W03"),  # on demand mid-week: the week so far
    (vn(2027, 1, 24, 20, 0), "18/01 – 24/01/2027", "2027-W03"),  # on a Sunday evening: the week ending
])
async def test_the_weekly_summary_names_the_week_it_reports(scene: Scene, tmp_path, now: datetime, label: str,
                                                            key: str):
    await setup(scene, tmp_path)
    await scene.add_committee_member(1, "Trần Văn Cấp")
    await scene.link("Trần Văn Cấp")
    scene.at(now)
    async with scene.sessions()() as s, s.begin():
        result = await build_and_queue(s, scene.settings, 1, now)
    assert result.queued == 1 and result.week == key
    assert result.workbook.name == f"chibo-1-{key}.xlsx" and result.chart.name == f"chibo-1-{key}.png"
    text = weekly.render_text(result.report, "vi", scene.settings.tz)
    assert text.startswith(f"📊 <b>Tóm tắt tuần {label}</b>")  # the HTML sent
    assert load_workbook(result.workbook).properties.title == f"Báo cáo tuần {label} – Đảng ủy phường Hàng Bạc"
    assert f"Tóm tắt tuần {label}" in chart_figure(result.report, "vi")._suptitle.get_text()
