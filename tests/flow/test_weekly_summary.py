"""The committee's weekly summary, end to end: 60 cells, text + chart + workbook, once a week."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.app import app as cli
from bot.demo.scene import Scene
from core.clock import FakeClock
from fakeapi.telegram import FakeTelegramServer
from scheduler.timed.weekly import run_weekly
from storage.models import Attendance, AttendanceStatus, Meeting, MeetingKind, Member, Role
from tests.conftest import DB_KINDS

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.fixture
async def scene(engine, settings, tmp_path):
    server = FakeTelegramServer()
    await server.start()
    settings.telegram_api_url = server.root
    settings.reports_dir = str(tmp_path / "reports")
    sc = Scene(server=server, settings=settings, clock=FakeClock(vn(2026, 12, 14, 8, 0)))
    yield sc
    await sc.close()
    await server.stop()


async def hold(scene: Scene, cell_id: int, start: datetime, minutes: int, present: int, kind=MeetingKind.THUONG_KY):
    """A meeting already held, written as the bot would have (the flow itself is tested elsewhere)."""
    async with scene.sessions()() as s, s.begin():
        members = list(await s.scalars(select(Member).where(Member.cell_id == cell_id).order_by(Member.id)))
        m = Meeting(cell_id=cell_id, kind=kind, period=f"{start.year}-{start.month:02d}", scheduled_at=start,
                    started_at=start, ended_at=start + timedelta(minutes=minutes), created_at=start)
        s.add(m)
        await s.flush()
        for i, member in enumerate(members):
            status = AttendanceStatus.PRESENT if i < present else AttendanceStatus.ABSENT
            s.add(Attendance(meeting_id=m.id, member_id=member.id, status=status, updated_at=start,
                             checked_in_at=start if i < present else None))


async def test_sixty_cells_summary_arrives_once_with_workbook_and_chart(scene: Scene):
    scene.at(vn(2026, 11, 1, 8, 0))  # the cells on chibo since November: December is theirs to answer for
    committee = await scene.add_committee("Đảng ủy phường <Hàng Bạc> & Hàng Đào")
    cells = []
    for i in range(60):
        cells.append(await scene.add_cell(committee, f"Chi bộ khu dân cư số {i + 1:02d}",
                                          [(f"Bí thư {i}", Role.BI_THU)] + [(f"Đảng viên {i}-{j}", Role.DANG_VIEN) for j in range(9)]))
    await hold(scene, cells[0], vn(2026, 12, 5, 19, 30), 95, present=10)  # good
    await hold(scene, cells[1], vn(2026, 12, 5, 19, 30), 70, present=10)  # too short
    await hold(scene, cells[2], vn(2026, 12, 6, 19, 30), 100, present=7)  # low attendance
    await hold(scene, cells[3], vn(2026, 11, 20, 19, 30), 130, present=10, kind=MeetingKind.CHUYEN_DE)
    scene.at(vn(2026, 12, 14, 8, 0))
    await scene.add_committee_member(committee, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link("Cấp Ủy Viên")
    chat = scene.who("Cấp Ủy Viên").chat_id
    before = scene.server.sent_count(chat)

    await run_weekly(scene.runtime.services)
    await run_weekly(scene.runtime.services)  # the job fires twice in the same week
    await scene.stop_bot()
    await scene.start_bot()  # and after a restart
    await run_weekly(scene.runtime.services)
    await scene.settle()

    texts = [m.get("text") for m in scene.server.sent_messages(chat)[before:] if m.get("text")]
    assert 1 <= len(texts) <= 4 and all(len(t) <= 4096 for t in texts)
    text = "\n".join(texts)
    assert text.count("Tóm tắt tuần 07/12 – 13/12/2026") == 1  # on Monday 14/12: the week just ended
    assert "Đảng ủy phường <Hàng Bạc> & Hàng Đào" in text
    assert "đã họp 3/60" in text
    assert "Chi bộ khu dân cư số 02: họp 70 phút (tối thiểu 90)" in text
    assert "Chi bộ khu dân cư số 03: có mặt 70%" in text
    assert "chưa có lịch sinh hoạt thường kỳ tháng này" in text
    photos = scene.server.calls("sendPhoto")
    documents = scene.server.calls("sendDocument")
    assert len(photos) == 1 and len(documents) == 1

    with Image.open(io.BytesIO(photos[0]["photo"].content)) as img:
        img.verify()
    wb = load_workbook(io.BytesIO(documents[0]["document"].content))
    cells_sheet = wb.worksheets[0]
    header = [c.value for c in cells_sheet[1]]
    rows = {r[0].value: r for r in cells_sheet.iter_rows(min_row=2) if r[0].value}
    low = rows["Chi bộ khu dân cư số 03"]
    rate = next(c.value for c, h in zip(low, header) if h and "Tỷ lệ" in str(h))
    assert rate == pytest.approx(0.7)
    assert len([r for r in rows if str(r).startswith("Chi bộ khu dân cư")]) == 60
    attendance = wb.worksheets[2]
    assert attendance.max_row - 1 == 30  # three meetings this month, ten members each


def test_report_weekly_on_demand_from_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CHIBO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["committee", "add", "Đảng ủy xã"]).exit_code == 0
    assert runner.invoke(cli, ["cell", "add", "Chi bộ thôn 1", "--committee", "1"]).exit_code == 0
    result = runner.invoke(cli, ["report", "weekly", "--committee", "1", "--out", str(tmp_path / "tuan.xlsx")])
    assert result.exit_code == 0, result.output
    assert "Chi bộ thôn 1" in result.output and (tmp_path / "tuan.xlsx").exists()
    assert load_workbook(tmp_path / "tuan.xlsx").worksheets[0].cell(2, 1).value == "Chi bộ thôn 1"
    sent = runner.invoke(cli, ["report", "weekly", "--committee", "1", "--send"])
    assert "Đã xếp 0 tin" in sent.output  # nobody of the committee is linked yet
    again = runner.invoke(cli, ["report", "weekly", "--committee", "1", "--send"])
    assert "đã gửi rồi" in again.output
    assert runner.invoke(cli, ["report", "weekly", "--committee", "9"]).exit_code != 0
    bad = runner.invoke(cli, ["report", "weekly", "--committee", "1", "--out", "x.csv"])
    assert bad.exit_code != 0 and ".xlsx" in bad.output


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_cell_added_mid_month_is_not_flagged_for_that_month_nor_its_quarter(scene: Scene):
    """Monday 07/12: November is shown beside December. A cell on chibo since October answers for November (none
    held) and for the quarter's thematic meeting; one added on 16/11 may well have met before: neither counts."""
    scene.at(vn(2026, 10, 1, 8, 0))
    committee = await scene.add_committee("Đảng ủy phường")
    old = await scene.add_cell(committee, "Chi bộ cũ", [("Bí Thư Cũ", Role.BI_THU)] + [
        (f"Đảng viên cũ {i}", Role.DANG_VIEN) for i in range(3)])
    scene.at(vn(2026, 11, 16, 8, 0))
    new = await scene.add_cell(committee, "Chi bộ mới", [("Bí Thư Mới", Role.BI_THU)] + [
        (f"Đảng viên mới {i}", Role.DANG_VIEN) for i in range(3)])
    await hold(scene, old, vn(2026, 12, 4, 19, 30), 95, present=4)
    await hold(scene, new, vn(2026, 12, 3, 19, 30), 95, present=4)
    scene.at(vn(2026, 12, 7, 8, 0))
    await scene.add_committee_member(committee, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link("Cấp Ủy Viên")
    await run_weekly(scene.runtime.services)
    await scene.settle()
    text = "\n".join(scene.server.texts(scene.who("Cấp Ủy Viên").chat_id))
    assert "⚠️ Chi bộ cũ: tháng 11/2026 không họp thường kỳ; chưa sinh hoạt chuyên đề quý này" in text
    assert "⚠️ Chi bộ mới" not in text
    assert "✅ Chi bộ mới: tháng 11/2026: chưa theo dõi (mới dùng chibo) · tháng 12/2026: họp 03/12" in text
