"""``chibo demo``: a simulated month of three cells, played on the real bot in under a minute.

Their ward sits under a district with a second ward; the district's member gets both wards rolled up.

No token and no network: the bot, its dispatcher and its jobs run for real against the fake Bot
API server shipped in ``fakeapi`` on 127.0.0.1, with a clock that runs fast. Every step is
checked; the demo exits non-zero if one did not happen.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sys
import tempfile
import textwrap
import time as wallclock
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.demo.scene import Line, Scene
from bot.runtime.http_server import HttpServer
from core.clock import REAL_PACE, FakeClock, PaceTime
from core.settings import Settings
from core.weblinks import web_link
from fakeapi.telegram import FakeTelegramServer
from scheduler.timed.nudges import run_daily
from scheduler.timed.weekly import run_weekly
from storage.db import create_engine, upgrade
from storage.models import ChatLink, Platform, Role

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 12, 1, 6, 30, tzinfo=TZ)
END = datetime(2026, 12, 14, 9, 0, tzinfo=TZ)

SECRETARY, MEMBER_1, MEMBER_2, COMMITTEE = "Nguyễn Văn An", "Lê Văn Cường", "Phạm Thị Dung", "Trần Văn Cấp"
CELL_1 = [(SECRETARY, Role.BI_THU), ("Trần Thị Bình", Role.PHO_BI_THU), (MEMBER_1, Role.DANG_VIEN),
          (MEMBER_2, Role.DANG_VIEN), ("Hoàng Văn Em", Role.DANG_VIEN), ("Vũ Thị Giang", Role.DANG_VIEN),
          ("Đỗ Văn Hải", Role.DANG_VIEN), ("Bùi Thị Hoa", Role.DANG_VIEN), ("Ngô Văn Khánh", Role.DANG_VIEN),
          ("Đặng Thị Lan", Role.DANG_VIEN), ("Mai Văn Minh", Role.CHI_UY), ("Tạ Thị Ngọc", Role.DANG_VIEN)]
CELL_2 = [("Phan Văn Phúc", Role.BI_THU), ("Quách Thị Quỳnh", Role.DANG_VIEN), ("Lý Văn Sơn", Role.DANG_VIEN),
          ("Kiều Thị Tâm", Role.DANG_VIEN), ("Lương Văn Thắng", Role.DANG_VIEN), ("Hà Thị Uyên", Role.DANG_VIEN),
          ("Trịnh Văn Vinh", Role.DANG_VIEN)]
CELL_3 = [("Đinh Văn Xuân", Role.BI_THU), ("Cao Thị Yến", Role.PHO_BI_THU)] + [
    (f"Đảng viên {name}", Role.DANG_VIEN) for name in
    ("Ánh", "Bảo", "Chi", "Duy", "Giao", "Hiếu", "Khoa", "Linh", "Nam", "Oanh", "Phong", "Quân", "Sang", "Thảo")]
# The committee above: a district over the demo's ward and a second ward of one cell.
DISTRICT, WARD, WARD_2 = "Quận ủy Hoàn Kiếm (mô phỏng)", "Đảng ủy phường Hàng Bạc (mô phỏng)", "Đảng ủy phường Hàng Đào (mô phỏng)"
DISTRICT_MEMBER = "Lương Văn Quận"
CELL_4 = [("Văn Đức Thọ", Role.BI_THU), ("Chu Thị Ước", Role.DANG_VIEN), ("Triệu Văn Việt", Role.DANG_VIEN)]
EXEMPT = "Hoàng Văn Em"  # exempt for health: not counted, gets no reminders
NO_PHONE = "Vũ Thị Giang"  # checked in by the secretary
PROBATIONARY = "Tạ Thị Ngọc"  # dự bị: no vote (Điều lệ Đảng, Điều 5)
DUES = 30_000  # the monthly Party dues the cell set for each member of cell 1 (the import's Đảng phí column)
COLLECTOR = "Trần Thị Bình"  # the deputy secretary, chosen to collect the dues
RESOLUTION = "Thông qua nghị quyết tháng 12"
VIEWERS = [(SECRETARY, "bí thư, Chi bộ khu dân cư số 1"), (MEMBER_1, "đảng viên"), (MEMBER_2, "đảng viên"),
           (DISTRICT_MEMBER, "quận ủy viên"), (COMMITTEE, "cấp ủy viên phụ trách")]


@dataclass
class Demo:
    scene: Scene
    out: Path
    checks: list[tuple[str, bool]] = field(default_factory=list)
    ward_id: int = 0  # the demo's ward: its weekly files are the ones written out

    def check(self, what: str, ok: bool) -> None:
        self.checks.append((what, bool(ok)))

    def saw(self, name: str, fragment: str) -> bool:
        return any(fragment in line.text for line in self.scene.transcript if line.person == name and line.sender == "bot")


async def _setup(demo: Demo) -> None:
    sc = demo.scene
    district = await sc.add_committee(DISTRICT)
    committee = demo.ward_id = await sc.add_committee(WARD, parent=district)
    await sc.add_cell(committee, "Chi bộ khu dân cư số 1", CELL_1, exempt={EXEMPT}, probationary={PROBATIONARY},
                      dues=DUES)
    await sc.add_cell(committee, "Chi bộ khu dân cư số 2", CELL_2)
    await sc.add_cell(committee, "Chi bộ khu dân cư số 3", CELL_3)
    await sc.add_committee_member(committee, COMMITTEE)
    await sc.add_cell(await sc.add_committee(WARD_2, parent=district), "Chi bộ phố Hàng Đào", CELL_4)
    await sc.add_committee_member(district, DISTRICT_MEMBER)
    await sc.start_bot()
    everyone = [n for n, _ in CELL_1 + CELL_2 + CELL_3 + CELL_4 if n != NO_PHONE] + [COMMITTEE, DISTRICT_MEMBER]
    await sc.link(*everyone)
    demo.check("mọi đảng viên có điện thoại đã liên kết tài khoản", demo.saw(MEMBER_1, "Chào đồng chí"))


async def _schedule(demo: Demo) -> None:
    sc = demo.scene
    await sc.say(SECRETARY, "/lichhop 2026-12-05 19:30 Nhà văn hóa tổ dân phố số 1")
    await sc.say("Phan Văn Phúc", "/lichhop 2026-12-06 7h30 tối Nhà ông Phúc")  # a time word: 19:30
    await sc.say("Đinh Văn Xuân", "/lichhop 2026-12-04 19:30 Hội trường khu 3")
    await sc.say("Đinh Văn Xuân", "/lichhop 2026-12-11 19:00 chuyende Hội trường khu 3 | Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh")
    demo.check("đảng viên nhận thông báo lịch họp có nút Tham dự / Xin vắng", demo.saw(MEMBER_1, "Thông báo"))
    demo.check("giờ gõ bằng chữ (7h30 tối) là 19:30", demo.saw("Phan Văn Phúc", "19:30 06/12/2026"))


async def _draft(demo: Demo) -> None:
    """The secretary sends the draft resolution and chooses a collector of the dues; one member's amount is
    set anew."""
    sc = demo.scene
    await sc.say(SECRETARY, "/tailieu Dự thảo nghị quyết tháng 12: 1. Vận động 100% hộ gia đình phân loại rác tại "
                            "nguồn. 2. Hoàn thành thu quỹ khuyến học trước 31/12.")
    await sc.say(SECRETARY, f"/thuphi {COLLECTOR}")
    await sc.say(SECRETARY, "/mucdangphi Mai Văn Minh | 50.000")
    demo.check("bí thư gửi dự thảo nghị quyết, chibo gửi cùng lời nhắc họp", demo.saw(SECRETARY, "cùng lời nhắc họp"))


async def _comments(demo: Demo) -> None:
    sc = demo.scene
    await sc.say(MEMBER_1, "/gopy Đề nghị bổ sung chỉ tiêu vệ sinh môi trường ngõ 12")
    await sc.say("Bùi Thị Hoa", "/gopy Nên giao mỗi tổ một đồng chí theo dõi việc phân loại rác")
    demo.check("đồng chí Cường nhận dự thảo nghị quyết trước cuộc họp", demo.saw(MEMBER_1, "Dự thảo nghị quyết tháng 12"))


async def _answers(demo: Demo) -> None:
    sc = demo.scene
    notice = sc.last_with_button(MEMBER_1, "rsvp:")
    yes = notice["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await sc.press(MEMBER_1, notice, yes)
    notice = sc.last_with_button(MEMBER_2, "rsvp:")
    no = notice["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    await sc.press(MEMBER_2, notice, no)
    await sc.say(MEMBER_2, "Đi công tác Đà Nẵng đến ngày 7/12")
    demo.check("bí thư được báo đồng chí Dung xin vắng, kèm lý do", demo.saw(SECRETARY, "Phạm Thị Dung xin vắng"))


async def _hold(demo: Demo, secretary: str, *, start: datetime, end: datetime, present: list[str],
                late: Sequence[str] = (), helped: Sequence[str] = (),
                before_end: Callable[[Demo], Awaitable[None]] | None = None) -> None:
    sc = demo.scene
    sc.at(start)
    await sc.say(secretary, "/batdau")
    sc.at(start + timedelta(minutes=4))
    for name in present:
        message = sc.last_with_button(name, "checkin:")
        await sc.press(name, message, message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    for name in helped:
        await sc.say(secretary, f"/diemdanh_ho {name}")
    sc.at(start + timedelta(minutes=22))
    for name in late:
        await sc.say(name, "/diemdanh")
    if before_end is not None:
        await before_end(demo)
    sc.at(end)
    await sc.say(secretary, "/ketthuc")
    if "Kết thúc ngay" in sc.last_text(secretary):  # shorter than the minimum: asked once more, confirmed
        question = sc.last_with_button(secretary, "end:")
        await sc.press(secretary, question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])


async def _meeting_cell_3(demo: Demo) -> None:
    names = [n for n, _ in CELL_3[1:]]
    await _hold(demo, "Đinh Văn Xuân", start=datetime(2026, 12, 4, 19, 30, tzinfo=TZ),
                end=datetime(2026, 12, 4, 21, 5, tzinfo=TZ), present=names)
    demo.check("chi bộ 3 họp đủ giờ, đủ người", demo.saw("Đinh Văn Xuân", "Cuộc họp ĐẠT yêu cầu"))


async def _meeting_cell_1(demo: Demo) -> None:
    present = [n for n, _ in CELL_1 if n not in (SECRETARY, MEMBER_2, EXEMPT, NO_PHONE, "Ngô Văn Khánh", "Đặng Thị Lan")]
    await _hold(demo, SECRETARY, start=datetime(2026, 12, 5, 19, 30, tzinfo=TZ),
                end=datetime(2026, 12, 5, 20, 45, tzinfo=TZ), present=present, late=["Ngô Văn Khánh"],
                helped=[NO_PHONE], before_end=_business_cell_1)
    demo.check("chi bộ 1 họp 75 phút: bí thư được báo không đạt 90 phút", demo.saw(SECRETARY, "thiếu 15 phút"))
    demo.check("đến muộn và điểm danh hộ được ghi rõ", demo.saw(SECRETARY, "Đến muộn: Ngô Văn Khánh"))


async def _follow(demo: Demo) -> None:
    """The operator: ``chibo committee follow <id> 1``: the committee member follows cell 1."""
    from sqlalchemy import select

    from storage.followers import set_follows
    from storage.models import Cell

    sc = demo.scene
    async with sc.sessions()() as s, s.begin():
        cell = await s.scalar(select(Cell).where(Cell.name == "Chi bộ khu dân cư số 1"))
        follower = sc.who(COMMITTEE).committee_member_id
        assert follower is not None and cell is not None  # the demo's committee member and cell 1
        await set_follows(s, follower, [cell], sc.clock.now())


async def _business_cell_1(demo: Demo) -> None:
    """Cell 1's meeting: who spoke, the vote on the resolution, the month's dues; then the guest and the tasks."""
    sc = demo.scene
    sc.at(datetime(2026, 12, 5, 20, 5, tzinfo=TZ))
    await sc.say(SECRETARY, f"/phatbieu {MEMBER_1}, Trần Thị Bình, Đỗ Văn Hải, {PROBATIONARY}")
    sc.at(datetime(2026, 12, 5, 20, 10, tzinfo=TZ))
    await sc.say(SECRETARY, f"/bieuquyet {RESOLUTION}")
    ballots = [(SECRETARY, 0), ("Trần Thị Bình", 0), (MEMBER_1, 0), ("Đỗ Văn Hải", 0), ("Bùi Thị Hoa", 0),
               ("Ngô Văn Khánh", 0), ("Mai Văn Minh", 1)]  # 0: Tán thành, 1: Không tán thành
    for name, choice in ballots:
        asked = sc.last_with_button(name, "vote:")
        await sc.press(name, asked, asked["reply_markup"]["inline_keyboard"][0][choice]["callback_data"])
    sc.at(datetime(2026, 12, 5, 20, 18, tzinfo=TZ))
    await sc.say(SECRETARY, "/ketthucbq")
    demo.check("đảng viên dự bị được báo nhẹ nhàng là không biểu quyết (Điều lệ Đảng, Điều 5)",
               demo.saw(PROBATIONARY, "Đảng viên dự bị không biểu quyết"))
    demo.check("biểu quyết: tán thành 6 / không tán thành 1 / chưa biểu quyết 2, trên 9 – được thông qua",
               demo.saw(SECRETARY, "Tán thành 6 / không tán thành 1 / chưa biểu quyết 2, trên 9 đảng viên. ĐƯỢC THÔNG QUA"))
    # The month's dues, one tap per member who pays; a wrong tap taken back; the collector records by name.
    sc.at(datetime(2026, 12, 5, 20, 22, tzinfo=TZ))
    await sc.say(SECRETARY, "/dangphi")
    for name in (SECRETARY, MEMBER_1, "Đỗ Văn Hải", "Mai Văn Minh"):  # Hải by mistake: taken back below
        listing = sc.last_with_button(SECRETARY, "dues:")
        data = next(b["callback_data"] for row in listing["reply_markup"]["inline_keyboard"] for b in row
                    if b["text"].startswith(name))
        await sc.press(SECRETARY, listing, data)
    await sc.say(SECRETARY, "/xoadangphi Đỗ Văn Hải | 12")
    await sc.say(COLLECTOR, f"/dangphi {NO_PHONE} | 12")
    demo.check("đồng chí thu đảng phí ghi hộ đồng chí không có điện thoại", demo.saw(COLLECTOR, f"Đã ghi đồng chí {NO_PHONE}"))
    await _guest_and_tasks_cell_1(demo)


async def _guest_and_tasks_cell_1(demo: Demo) -> None:
    """At the end of cell 1's meeting: the committee member is there as a guest; the resolution's tasks."""
    sc = demo.scene
    sc.at(datetime(2026, 12, 5, 20, 30, tzinfo=TZ))
    await sc.say(COMMITTEE, "/diemdanh")
    sc.at(datetime(2026, 12, 5, 20, 38, tzinfo=TZ))
    await sc.say(SECRETARY, f"/giaoviec {MEMBER_1} | Vận động 5 hộ gia đình đóng góp quỹ khuyến học | 12/12")
    await sc.say(SECRETARY, "/giaoviec cả chi bộ | Nghiên cứu, học tập Nghị quyết số 57-NQ/TW | 2026-12-10")
    demo.check("đảng viên nhận việc được giao kèm nút Đã xong", demo.saw(MEMBER_1, "Việc được giao"))
    demo.check("cấp ủy viên điểm danh với tư cách đại biểu cấp trên", demo.saw(COMMITTEE, "đại biểu cấp trên"))


async def _tasks_done(demo: Demo) -> None:
    sc = demo.scene
    await sc.say(MEMBER_1, "/viec")
    await sc.say(MEMBER_1, "/xong 1 Đã học tập và viết thu hoạch")  # by deadline: 10/12 is 1
    message = next(m for m in sc.inbox(MEMBER_1) if m.get("text", "").startswith("📌") and "Vận động 5 hộ" in m["text"])
    await sc.press(MEMBER_1, message, message["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    await sc.say("Trần Thị Bình", "/xong")
    await sc.say(MEMBER_1, "/dangphi")
    demo.check("đồng chí Cường xem đảng phí của mình: tháng 12 đã đóng", demo.saw(MEMBER_1, "Tháng 12/2026: đã đóng 30.000 đ"))
    demo.check("bí thư được báo đồng chí Cường đã xong việc, kèm kết quả", demo.saw(SECRETARY, "Lê Văn Cường đã xong việc"))


async def _tasks_view(demo: Demo) -> None:
    sc = demo.scene
    await sc.say(SECRETARY, "/viec")
    demo.check("bí thư được báo việc quá hạn một lần", demo.saw(SECRETARY, "việc quá hạn chưa xong"))
    # A task given with the wrong deadline is put right, then withdrawn: the member is told each time.
    await sc.say(SECRETARY, "/giaoviec Đỗ Văn Hải | Chuẩn bị hội trường cho buổi sinh hoạt chuyên đề | 20/12")
    listing = (await sc.say(SECRETARY, "/viec"))[0]
    number = re.search(r"#(\d+) Đỗ Văn Hải: Chuẩn bị hội trường", listing)
    if number is not None:
        await sc.say(SECRETARY, f"/suaviec {number[1]} | | 18/12")
        await sc.say(SECRETARY, f"/xoaviec {number[1]}")
    demo.check("bí thư sửa hạn một việc rồi rút việc đó, đảng viên được báo",
               demo.saw("Đỗ Văn Hải", "18/12/2026") and demo.saw("Đỗ Văn Hải", "đã rút việc"))


# Four questions: who spoke is recorded (/phatbieu, 4 of the 9 in the room), so that one is no longer asked.
QUALITY_ANSWERS = ("Có", "Cả nội dung và dự thảo nghị quyết", "Có cả biểu dương và phê bình", "Đầy đủ")


async def _assess_and_minutes(demo: Demo) -> None:
    """After the meeting the secretary answers the five quality questions, then asks for the minutes draft."""
    sc = demo.scene
    for label in QUALITY_ANSWERS:
        question = sc.last_with_button(SECRETARY, "qa:")
        data = next(b["callback_data"] for row in question["reply_markup"]["inline_keyboard"] for b in row
                    if b["text"] == label)
        await sc.press(SECRETARY, question, data)
    demo.check("bí thư trả lời 5 câu hỏi, chibo đề xuất xếp loại chất lượng", demo.saw(SECRETARY, "Đề xuất xếp loại"))
    await sc.say(SECRETARY, "/bienban", expect=2)
    demo.check("bí thư nhận dự thảo biên bản (tệp Word)", any(
        line.kind == "document" and "Dự thảo biên bản" in line.text for line in sc.transcript if line.person == SECRETARY))
    for path in Path(sc.settings.reports_dir).glob("chibo-bien-ban-*.docx"):
        shutil.copy(path, demo.out / "bien-ban-du-thao.docx")
    minutes = _docx_text(demo.out / "bien-ban-du-thao.docx")
    demo.check("biên bản có kết quả biểu quyết và một dòng đảng phí của tháng",
               f"1. {RESOLUTION}: tán thành 6, không tán thành 1, chưa biểu quyết 2, trên tổng số 9" in minutes
               and "Đảng phí tháng 12/2026: 4/12 đồng chí đã đóng, thu 140.000 đ." in minutes)


def _docx_text(path: Path) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(str(path)).paragraphs) if path.exists() else ""


async def _meeting_cell_2(demo: Demo) -> None:
    present = ["Quách Thị Quỳnh", "Lý Văn Sơn", "Kiều Thị Tâm"]
    await _hold(demo, "Phan Văn Phúc", start=datetime(2026, 12, 6, 19, 30, tzinfo=TZ),
                end=datetime(2026, 12, 6, 20, 55, tzinfo=TZ), present=present)
    # /ketthuc typed a quarter of an hour after the meeting ended: the secretary puts the time right.
    demo.scene.at(datetime(2026, 12, 6, 21, 0, tzinfo=TZ))
    await demo.scene.say("Phan Văn Phúc", "/suagio ketthuc 20:40", expect=2)
    demo.check("bí thư chi bộ 2 sửa giờ kết thúc, tóm tắt được gửi lại", demo.saw("Phan Văn Phúc", "Tóm tắt đã sửa"))
    demo.check("chi bộ 2 (7 đảng viên): đủ 60 phút nhưng tỷ lệ dự họp thấp",
               demo.saw("Phan Văn Phúc", "chi bộ dưới 9 đảng viên") and demo.saw("Phan Văn Phúc", "KHÔNG ĐẠT mục tiêu"))


async def _thematic_cell_3(demo: Demo) -> None:
    names = [n for n, _ in CELL_3[1:]]
    await _hold(demo, "Đinh Văn Xuân", start=datetime(2026, 12, 11, 19, 0, tzinfo=TZ),
                end=datetime(2026, 12, 11, 21, 10, tzinfo=TZ), present=names)
    demo.check("sinh hoạt chuyên đề 130 phút đạt tối thiểu 120 phút", demo.saw("Đinh Văn Xuân", "tối thiểu 120 phút"))


async def _report(demo: Demo) -> None:
    await demo.scene.say(COMMITTEE, "/baocao", expect=1)  # one message for the whole committee


async def _district_report(demo: Demo) -> None:
    """The district's member: both wards rolled up, then one ward by its button."""
    sc = demo.scene
    await sc.say(DISTRICT_MEMBER, "/baocao")
    demo.check("quận ủy viên xem từng phường: số chi bộ đã họp và tỷ lệ dự họp cộng lại",
               demo.saw(DISTRICT_MEMBER, f"{WARD}: tháng 12/2026 đã họp 3/3 chi bộ")
               and demo.saw(DISTRICT_MEMBER, f"{WARD_2}: tháng 12/2026 đã họp 0/1 chi bộ"))
    message = sc.last_with_button(DISTRICT_MEMBER, "unit:")
    ward = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await sc.press(DISTRICT_MEMBER, message, ward)
    demo.check("quận ủy viên bấm vào một phường: thấy từng chi bộ của phường",
               demo.saw(DISTRICT_MEMBER, "Chi bộ khu dân cư số 1") and demo.saw(DISTRICT_MEMBER, "Chi bộ khu dân cư số 3"))


def _events() -> list[tuple[datetime, Callable[[Demo], Awaitable[None]]]]:
    return [
        (datetime(2026, 12, 1, 6, 30, tzinfo=TZ), _setup),
        (datetime(2026, 12, 1, 8, 0, tzinfo=TZ), _follow),
        (datetime(2026, 12, 1, 8, 15, tzinfo=TZ), _schedule),
        (datetime(2026, 12, 1, 8, 30, tzinfo=TZ), _draft),
        (datetime(2026, 12, 1, 12, 0, tzinfo=TZ), _answers),
        (datetime(2026, 12, 3, 9, 0, tzinfo=TZ), _comments),
        (datetime(2026, 12, 4, 19, 30, tzinfo=TZ), _meeting_cell_3),
        (datetime(2026, 12, 5, 19, 30, tzinfo=TZ), _meeting_cell_1),
        (datetime(2026, 12, 5, 21, 0, tzinfo=TZ), _assess_and_minutes),
        (datetime(2026, 12, 6, 19, 30, tzinfo=TZ), _meeting_cell_2),
        (datetime(2026, 12, 8, 18, 0, tzinfo=TZ), _tasks_done),
        (datetime(2026, 12, 11, 9, 0, tzinfo=TZ), _tasks_view),
        (datetime(2026, 12, 11, 19, 0, tzinfo=TZ), _thematic_cell_3),
        (datetime(2026, 12, 12, 9, 0, tzinfo=TZ), _report),
        (datetime(2026, 12, 12, 9, 30, tzinfo=TZ), _district_report),
    ]


def _progress(done: float, now: datetime) -> None:
    if not sys.stderr.isatty():  # a log file gets no animation
        return
    width = 30
    filled = int(width * done)
    sys.stderr.write(f"\r  [{'█' * filled}{'·' * (width - filled)}] {done * 100:3.0f}%  {now:%d/%m %H:%M}")
    sys.stderr.flush()


async def simulate(out: Path, *, show_progress: bool = True,
                   serve: Callable[[Demo, dict[str, str]], Awaitable[None]] | None = None,
                   keep_database: Path | None = None, pace: PaceTime = REAL_PACE) -> Demo:
    """Play the month; returns the demo with its transcript and checks. With ``serve``, the web view is
    then served on 127.0.0.1 and ``serve(demo, links)`` awaited (links: person -> their signed link)
    before the bot and the database go away. ``keep_database``: copy its SQLite database there at the end.
    ``pace``: the platforms' limits counted faster (the tests'; ``chibo demo`` keeps real seconds)."""
    workdir = Path(tempfile.mkdtemp(prefix="chibo-demo-"))
    url = f"sqlite+aiosqlite:///{workdir / 'demo.db'}"
    engine = create_engine(url)
    await upgrade(engine)
    await engine.dispose()
    server = FakeTelegramServer(bot_username="chibo_demo_bot", pace_speed=pace.speed)
    await server.start()
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(_env_file=None, database_url=url, telegram_token=server.token, telegram_api_url=server.root,
                        telegram_bot_username="chibo_demo_bot", reports_dir=str(workdir / "reports"))
    scene = Scene(server=server, settings=settings, clock=FakeClock(START), pace=pace)
    demo = Demo(scene=scene, out=out)
    try:
        events = _events()
        now, step = START, timedelta(minutes=30)
        total = (END - START).total_seconds()
        while now <= END:
            while events and events[0][0] <= now:
                when, action = events.pop(0)
                scene.at(when)
                await action(demo)
            scene.at(now)
            if now.hour == 7 and now.minute == 0:
                assert scene.runtime is not None  # started by the first event
                await run_daily(scene.runtime.services)
            if now.weekday() == 0 and now.hour == 8 and now.minute == 0:
                assert scene.runtime is not None
                results = await run_weekly(scene.runtime.services)
                for r in results:
                    if r.committee_id == demo.ward_id:  # the ward's; the district's has its wards rolled up
                        shutil.copy(r.workbook, out / "tom-tat-tuan.xlsx")
                        shutil.copy(r.chart, out / "bieu-do-ty-le-du-hop.png")
            await scene.settle()
            if show_progress:
                _progress((now - START).total_seconds() / total, now)
            now += step
        if show_progress and sys.stderr.isatty():
            sys.stderr.write("\n")
        _final_checks(demo)
        if serve is not None:
            await _serve(demo, serve)
    finally:
        await scene.close()
        await server.stop()
        if keep_database is not None and (workdir / "demo.db").exists():
            from storage.backup import backup

            backup(url, keep_database)
        shutil.rmtree(workdir, ignore_errors=True)
    (out / "transcript.json").write_text(json.dumps(
        [{"at": line.at.isoformat(), "person": line.person, "sender": line.sender, "text": line.text,
          "buttons": line.buttons, "kind": line.kind} for line in demo.scene.transcript],
        ensure_ascii=False, indent=1), encoding="utf-8")
    return demo


async def _serve(demo: Demo, serve: Callable[[Demo, dict[str, str]], Awaitable[None]]) -> None:
    """The web view of the demo committee, on chibo's own HTTP server, with a link for each viewer."""
    sc = demo.scene
    assert sc.runtime is not None  # the demo's bot is running
    http = HttpServer(sc.runtime.services, listen="127.0.0.1", port=0)
    await http.start()
    sc.settings.public_url = f"http://127.0.0.1:{http.port}"
    try:
        links = {}
        async with sc.sessions()() as s:
            for name, _role in VIEWERS:
                link_id = await s.scalar(select(ChatLink.id).where(
                    ChatLink.platform == Platform.TELEGRAM, ChatLink.platform_user_id == str(sc.who(name).user_id)))
                link = web_link(sc.settings, link_id, sc.clock.now())
                assert link is not None  # public_url is set above
                links[name] = link
        await serve(demo, links)
    finally:
        await http.stop()


def _final_checks(demo: Demo) -> None:
    _task_checks(demo)
    reminders = [line for line in demo.scene.transcript if line.person == MEMBER_1 and line.text.startswith("🔔")]
    demo.check("đồng chí Cường nhận 3 lời nhắc (3 ngày, 1 ngày, 2 giờ trước)", len(reminders) == 3)
    demo.check("đồng chí Dung đã xin vắng nên không nhận nhắc thêm",
               not any(line.text.startswith("🔔") for line in demo.scene.transcript if line.person == MEMBER_2))
    demo.check("đồng chí miễn sinh hoạt không nhận lời nhắc",
               not any(line.text.startswith("🔔") for line in demo.scene.transcript if line.person == EXEMPT))
    demo.check("cấp ủy viên nhận tóm tắt tuần kèm Excel và biểu đồ",
               demo.saw(COMMITTEE, "Tóm tắt tuần") and any(line.kind == "document" for line in demo.scene.transcript
                                                             if line.person == COMMITTEE))
    demo.check("bí thư chi bộ 2 chưa đánh giá chất lượng: được nhắc một lần vào sáng hôm sau",
               sum("chưa được đánh giá chất lượng" in line.text for line in demo.scene.transcript
                   if line.person == "Phan Văn Phúc" and line.sender == "bot") == 1)
    demo.check("quận ủy viên nhận tóm tắt tuần của quận: từng phường, việc cần quan tâm theo phường",
               demo.saw(DISTRICT_MEMBER, "Tóm tắt tuần") and demo.saw(DISTRICT_MEMBER, "Các đơn vị trực thuộc")
               and demo.saw(DISTRICT_MEMBER, f"{WARD_2} (1 chi bộ)"))
    demo.check("bí thư nhận các góp ý dự thảo trong một tin gộp", sum(
        line.text.startswith("💬 2 góp ý") for line in demo.scene.transcript if line.person == SECRETARY) == 1)
    demo.check("tệp Excel và biểu đồ đã được ghi", (demo.out / "tom-tat-tuan.xlsx").exists()
               and (demo.out / "bieu-do-ty-le-du-hop.png").exists())


def _task_checks(demo: Demo) -> None:
    task_reminders = [line for line in demo.scene.transcript if line.person == MEMBER_1 and line.text.startswith("⏳")]
    demo.check("đồng chí Cường được nhắc việc 3 ngày trước hạn, không nhắc việc đã xong", len(task_reminders) == 1)
    demo.check("cấp ủy viên phụ trách nhận thông báo lịch họp và tóm tắt sau họp",
               demo.saw(COMMITTEE, "Chi bộ đồng chí phụ trách") and demo.saw(COMMITTEE, "Đại biểu cấp trên: Trần Văn Cấp"))
    demo.check("tóm tắt tuần có tỷ lệ việc xong đúng hạn và lần cấp ủy dự họp",
               demo.saw(COMMITTEE, "việc xong đúng hạn") and demo.saw(COMMITTEE, "cấp ủy dự 05/12"))


def render_transcript(lines: list[Line], person: str, role: str) -> str:
    out = [f"\n══ Đồng chí {person} ({role}) " + "═" * max(0, 60 - len(person) - len(role))]
    for line in lines:
        if line.person != person:
            continue
        who = "chibo" if line.sender == "bot" else person.split()[-1]
        stamp = f"{line.at.astimezone(TZ):%d/%m %H:%M}"
        text = line.text if line.kind != "button" else f"[bấm nút: {line.text}]"
        if line.kind == "toast":
            text = f"(thông báo nhanh) {text}"
        if line.kind in ("photo", "document"):
            text = f"📎 {'ảnh biểu đồ' if line.kind == 'photo' else 'tệp'}{': ' + text if text else ''}"
        body = "\n".join(textwrap.fill(part, 92) if part else "" for part in text.split("\n"))
        first, *rest = body.split("\n") or [""]
        out.append(f"{stamp}  {who:>6} › {first}")
        out.extend(f"{'':>22}{r}" for r in rest)
        if line.buttons:
            out.append(f"{'':>22}" + "  ".join(f"[{b}]" for b in line.buttons))
    return "\n".join(out)


def run_demo(out: Path, serve: bool = False) -> int:
    began = wallclock.monotonic()
    print("chibo demo: một tháng sinh hoạt của 3 chi bộ, chạy trên bot thật với máy chủ Bot API giả lập (127.0.0.1).")

    async def _until_enter(demo: Demo, links: dict[str, str]) -> None:
        _print(demo, out, began)
        print("\nTrang web theo dõi / web view (127.0.0.1):")
        for person, role in VIEWERS:
            print(f"  {person} ({role}):\n    {links[person]}")
        await asyncio.to_thread(input, "\nNhấn Enter để dừng / press Enter to stop. ")

    demo = asyncio.run(simulate(out, serve=_until_enter if serve else None))
    if not serve:
        _print(demo, out, began)
    return 0 if all(ok for _, ok in demo.checks) else 1


def _print(demo: Demo, out: Path, began: float) -> None:
    for person, role in VIEWERS:
        print(render_transcript(demo.scene.transcript, person, role))
    print("\nKiểm tra / checks:")
    for what, ok in demo.checks:
        print(f"  {'✓' if ok else '✗'} {what}")
    print(f"\nExcel:    {(out / 'tom-tat-tuan.xlsx').resolve()}")
    print(f"Biểu đồ:  {(out / 'bieu-do-ty-le-du-hop.png').resolve()}")
    print(f"Biên bản: {(out / 'bien-ban-du-thao.docx').resolve()}")
    print(f"Hội thoại: {(out / 'transcript.json').resolve()}")
    print(f"Xong trong {wallclock.monotonic() - began:.1f} giây.")
