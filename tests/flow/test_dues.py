"""Party dues (issue 21) driven as people do it: the secretary sets each member's amount and chooses a
collector; payments are recorded by name (several months at once) or with one choice per member from the list
of who has not paid this month; a wrong one is corrected or taken back, audited; a member sees their own year;
a member cannot record; on Zalo the list is numbered; it all holds after a restart."""

from __future__ import annotations

import io
import re
from datetime import date

import httpx
import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.demo.scene import Scene
from reports import weekly
from reports.weekly_xlsx import write_workbook
from storage.models import AuditLog, DuesPayment, Member, Role
from tests.conftest import DB_KINDS, VN, vn
from tests.support.web_story import COMMITTEE as STORY_COMMITTEE
from tests.support.web_story import MEMBER as STORY_MEMBER
from tests.support.web_story import SECRETARY as STORY_SECRETARY
from tests.support.web_story import TRUANT as STORY_TRUANT
from tests.support.web_story import build as build_story

SEC, DEP, AN, BA, CU, DU = "Nguyễn Văn Bí", "Trần Thị Phó", "Lê Văn An", "Phạm Thị Ba", "Hoàng Văn Cư", "Đỗ Thị Du"
CELL = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (AN, Role.DANG_VIEN), (BA, Role.DANG_VIEN),
        (CU, Role.DANG_VIEN), (DU, Role.DANG_VIEN)]


async def payments(scene: Scene) -> list[tuple[str, date, int]]:
    async with scene.sessions()() as s:
        rows = await s.execute(select(Member.full_name, DuesPayment.month, DuesPayment.amount)
                               .join(Member, Member.id == DuesPayment.member_id).order_by(DuesPayment.id))
        return [tuple(r) for r in rows]


async def audits(scene: Scene, action: str) -> list[AuditLog]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def choices(message: dict) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in message["reply_markup"]["inline_keyboard"] for b in row]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_dues_set_recorded_tapped_corrected_and_seen(scene: Scene, tmp_path):
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 4", CELL)
    async with scene.sessions()() as s, s.begin():  # Du joined on 15 June: months before are not owed
        await s.execute(update(Member).where(Member.full_name == DU).values(active_from=date(2026, 6, 15)))
    await scene.start_bot()
    await scene.link(*[n for n, _ in CELL])
    scene.at(vn(2026, 12, 3, 19, 0))

    # A member: no amount set yet; cannot record, nor set amounts, nor choose a collector.
    own = (await scene.say(AN, "/dangphi"))[0]
    assert "Đảng phí của đồng chí, năm 2026" in own and "chưa định mức" in own and "Tháng 12/2026: chưa đóng" in own
    assert "Đảng phí Chi bộ số 4" not in own  # the cell's month is for whoever collects
    assert "Chỉ bí thư, phó bí thư hoặc đồng chí được giao thu" in (await scene.say(AN, f"/dangphi {BA} | 12 | 30000"))[0]
    assert "dành cho bí thư" in (await scene.say(AN, f"/mucdangphi {AN} | 30000"))[0]
    assert "dành cho bí thư" in (await scene.say(AN, f"/thuphi {AN}"))[0]

    # The secretary sets the amounts the cell decided (30k, 30.000, 50000: read alike).
    for name, amount, shown in [(AN, "30k", "30.000 đ"), (BA, "30.000", "30.000 đ"), (CU, "50000", "50.000 đ"),
                                (DEP, "40.000 đ", "40.000 đ")]:
        assert f"Mức đảng phí của đồng chí {name}: {shown}/tháng" in (await scene.say(SEC, f"/mucdangphi {name} | {amount}"))[0]
    assert "Số tiền ba chục không hợp lệ" in (await scene.say(SEC, f"/mucdangphi {AN} | ba chục"))[0]
    assert "Cách định mức" in (await scene.say(SEC, "/mucdangphi Lê Văn An"))[0]
    assert [a.after for a in await audits(scene, "dues_amount")] == [{"dues_amount": v} for v in (30000, 30000, 50000, 40000)]

    # Bad input: a clear answer with an example from the clock, nothing written.
    for text, expected in [
        ("/dangphi Lê Văn An", "Cách ghi đảng phí"),
        ("/dangphi Lê Văn An | 13/2026 | 30000", "Tháng 13/2026 không hợp lệ"),
        ("/dangphi Lê Văn An | 12/2026 | ba chục", "Số tiền ba chục không hợp lệ"),
        ("/dangphi Lê Văn An | 1/2028 | 30000", "không quá 12 tháng tới"),
        ("/dangphi Người Lạ | 12/2026 | 30000", "Không tìm thấy"),
        ("/dangphi Văn | 12/2026 | 30000", "Có nhiều đảng viên"),
        (f"/dangphi {DU} | 12/2026", "chưa định mức đảng phí của đồng chí Đỗ Thị Du"),
        (f"/dangphi {DU} | 5,6/2026 | 30000", "chưa sinh hoạt ở chi bộ trong tháng 05/2026"),
    ]:
        reply = (await scene.say(SEC, text))[0]
        assert expected in reply, (text, reply)
    assert "12/2026 | 30.000" in (await scene.say(SEC, "/dangphi Lê Văn An"))[0]  # the example: this month
    assert await payments(scene) == []

    # The cell's month: who has not paid, one choice each with the amount set (Du has none: named apart).
    view = (await scene.say(SEC, "/dangphi"))[0]
    assert "Đảng phí Chi bộ số 4, tháng 12/2026: đã đóng 0/6 đồng chí, thu 0 đ" in view
    assert f"Chưa có mức đảng phí: {SEC}, {DU}" in view
    listing = scene.last_with_button(SEC, "dues:")
    assert [label for label, _ in choices(listing)] == [
        f"{AN} – 30.000 đ", f"{BA} – 30.000 đ", f"{CU} – 50.000 đ", f"{DEP} – 40.000 đ"]
    an_paid = dict(choices(listing))[f"{AN} – 30.000 đ"]
    answer = await scene.press(SEC, listing, an_paid)
    assert answer["text"] == f"Đã ghi: {AN}"
    after = scene.last(SEC)
    assert f"Đã ghi đồng chí {AN} đóng đảng phí tháng 12/2026: 30.000 đ/tháng" in after["text"]
    assert "đã đóng 1/6 đồng chí, thu 30.000 đ" in after["text"]
    assert f"{AN} – 30.000 đ" not in [label for label, _ in choices(after)]
    assert "Chi bộ đã ghi nhận đồng chí đóng đảng phí tháng 12/2026: 30.000 đ/tháng" in scene.last_text(AN)
    again = await scene.press(SEC, listing, an_paid)  # the same choice twice: one payment
    assert "đã được ghi đóng tháng 12/2026 (30.000 đ) rồi" in again["text"]
    refused = await scene.press(AN, listing, dict(choices(listing))[f"{BA} – 30.000 đ"])  # a member: refused
    assert "Chỉ bí thư" in refused["text"]
    assert await payments(scene) == [(AN, date(2026, 12, 1), 30000)]

    # A collector chosen by the secretary records several months at once; a member still cannot.
    assert f"Đồng chí {BA} được giao thu đảng phí" in (await scene.say(SEC, "/thuphi pham thi ba"))[0]
    assert "giao đồng chí thu đảng phí" in scene.last_text(BA)
    reply = (await scene.say(BA, f"/dangphi {CU} | 11-12/2026 | 50.000"))[0]
    assert f"Đã ghi đồng chí {CU} đóng đảng phí tháng 11/2026, 12/2026: 50.000 đ/tháng, tổng 100.000 đ" in reply
    assert f"/xoadangphi {CU} | 11/2026" in reply
    reply = (await scene.say(BA, f"/dangphi {BA} | 10,11,12"))[0]  # her own, the amount set, this year
    assert "tháng 10/2026, 11/2026, 12/2026: 30.000 đ/tháng, tổng 90.000 đ" in reply
    assert "Chỉ bí thư" in (await scene.say(CU, f"/dangphi {CU} | 10/2026 | 50000"))[0]

    # A wrong amount corrected, a wrong month taken back: both audited (who, when, before, after).
    reply = (await scene.say(BA, f"/dangphi {CU} | 12/2026 | 40k"))[0]
    assert f"Đã sửa đảng phí tháng 12/2026 của đồng chí {CU}: 50.000 đ → 40.000 đ" in reply
    assert "Chỉ bí thư" in (await scene.say(CU, f"/xoadangphi {CU} | 11/2026"))[0]
    reply = (await scene.say(BA, f"/xoadangphi {CU} | 11/2026"))[0]
    assert f"Đã xóa ghi nhận đảng phí tháng 11/2026 của đồng chí {CU}" in reply
    assert "không có gì để xóa" in (await scene.say(BA, f"/xoadangphi {CU} | 11/2026"))[0]
    corrected = (await audits(scene, "dues_corrected"))[0]
    ba_id, cu_id = scene.who(BA).member_id, scene.who(CU).member_id
    assert corrected.actor == f"member:{ba_id}" and corrected.before is not None and corrected.after is not None
    assert (corrected.before["amount"], corrected.after["amount"], corrected.at) == (50000, 40000, scene.clock.now())
    undone = (await audits(scene, "dues_undone"))[0]
    assert undone.before == {"member_id": cu_id, "month": "2026-11", "amount": 50000, "recorded_by": ba_id}
    assert undone.after is None and undone.actor == f"member:{ba_id}"

    # The collector's role taken back: recording refused again.
    assert f"{BA} không còn thu đảng phí" in (await scene.say(SEC, f"/thuphi bỏ {BA}"))[0]
    assert "Chỉ bí thư" in (await scene.say(BA, f"/dangphi {CU} | 10/2026 | 50000"))[0]

    # A member's own view; the cell's month after a restart.
    await scene.stop_bot()
    await scene.start_bot()
    own = (await scene.say(CU, "/dangphi"))[0]
    assert "Mức chi bộ định: 50.000 đ/tháng" in own and "Tháng 12/2026: đã đóng 40.000 đ" in own
    assert "Đã đóng 1 tháng (12/2026), tổng 40.000 đ" in own
    assert "Chưa đóng 2 tháng đã qua: 10/2026, 11/2026" in own  # November taken back
    own = (await scene.say(DEP, "/dangphi"))[0]  # the cell's first month on record is October: none owed before
    assert "Chưa đóng 3 tháng đã qua: 10/2026, 11/2026" not in own and "Chưa đóng 2 tháng đã qua: 10/2026, 11/2026" in own
    view = (await scene.say(SEC, "/dangphi"))[0]
    assert "tháng 12/2026: đã đóng 3/6 đồng chí, thu 100.000 đ" in view
    assert f"Chưa đóng: {SEC}, {DU}, {DEP}." in view

    # The committee's weekly summary: each cell's collection for the month, the same figures.
    async with scene.sessions()() as s:
        report = await weekly.compute(s, committee, scene.clock.now(), VN)
    assert "đảng phí tháng 12/2026: 3/6 đã đóng (50%), thu 100.000 đ" in weekly.render_text(report, "vi", VN)
    assert "Party dues for 12/2026: 3/6 paid (50%), 100.000 đ collected" in weekly.render_text(report, "en", VN)
    sheet = load_workbook(write_workbook(report, tmp_path / "w.xlsx", VN))["Đảng phí"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Chi bộ", "Tháng", "Phải đóng", "Đã đóng", "Tỷ lệ", "Số tiền (đ)"], ["Chi bộ số 4", "12/2026", 6, 3, 0.5, 100000]]


async def test_dues_on_zalo_the_list_is_numbered(zalo_scene: Scene):
    scene = zalo_scene
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ Zalo", CELL[:4])
    await scene.start_bot()
    await scene.link_zalo(SEC, DEP, AN, BA)
    for name in (AN, BA):
        await scene.say_zalo(SEC, f"/mucdangphi {name} | 25.000")
    listing = (await scene.say_zalo(SEC, "dang phi"))[0]
    assert "đã đóng 0/4 đồng chí" in listing and f"Trả lời bằng số: 1 – {AN} – 25.000 đ; 2 – {BA} – 25.000 đ" in listing
    assert "<b>" not in listing
    reply = (await scene.say_zalo(SEC, "2"))[0]
    assert f"Đã ghi đồng chí {BA} đóng đảng phí tháng 12/2026: 25.000 đ/tháng" in reply
    assert "đã đóng 1/4 đồng chí, thu 25.000 đ" in reply
    assert any("Chi bộ đã ghi nhận đồng chí đóng đảng phí tháng 12/2026" in t for t in scene.zalo_texts(BA))
    assert "Tháng 12/2026: đã đóng 25.000 đ" in (await scene.say_zalo(BA, "/dangphi"))[0]
    assert await payments(scene) == [(BA, date(2026, 12, 1), 25000)]


YEAR = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU), (AN, Role.DANG_VIEN), (BA, Role.DANG_VIEN), (CU, Role.DANG_VIEN),
        (DU, Role.DANG_VIEN)]


async def collect_month(scene: Scene, month: int, *, skip: tuple[str, ...] = ()) -> None:
    """On the 3rd, the secretary opens the cell's month and chooses each member who paid, one by one."""
    scene.at(vn(2026, month, 3, 18, 0))
    await scene.settle()
    await scene.say(SEC, "/dangphi")
    while True:
        listing = scene.last_with_button(SEC, "dues:")
        left = [(label, data) for label, data in choices(listing) if not label.startswith(skip or ("\0",))]
        if not left:
            return
        await scene.press(SEC, listing, left[0][1])
        if scene.last(SEC).get("reply_markup") is None:  # everyone has paid
            return


async def hold_meeting(scene: Scene, month: int, *, absent: tuple[str, ...] = (), year: int = 2026) -> list[str]:
    """The month's meeting on the 10th; everyone but ``absent`` checks in. Returns what the secretary got."""
    scene.at(vn(year, month, 10, 8, 0))
    await scene.settle()
    await scene.say(SEC, f"/lichhop {year}-{month:02d}-10 19:30 Nhà văn hóa")
    scene.at(vn(year, month, 10, 19, 30))
    await scene.settle()
    await scene.say(SEC, "/batdau")
    async with scene.sessions()() as s:
        active = {m.full_name for m in await s.scalars(select(Member).where(Member.active_from <= date(year, month, 10)))}
    for name, _ in YEAR[1:]:
        if name not in absent and name in active:
            await scene.say(name, "/diemdanh")
    scene.at(vn(year, month, 10, 21, 5))
    before = len(scene.server.texts(scene.who(SEC).chat_id))
    await scene.say(SEC, "/ketthuc")
    return scene.server.texts(scene.who(SEC).chat_id)[before:]


def warned(texts: list[str]) -> list[str]:
    return [t for t in texts if "Cần nhắc nhở" in t]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_year_of_dues_unpaid_months_warned_at_two_flagged_at_three(scene: Scene):
    """Cư misses March, May and August: warned at the June meeting (two months), flagged at September's (three);
    Ba's unexcused absence in February and her unpaid July make two months together, each named; Du joins in
    July and owes nothing before; January 2027 starts a new count."""
    scene.at(vn(2026, 1, 2, 8, 0))
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 9", YEAR)
    async with scene.sessions()() as s, s.begin():
        await s.execute(update(Member).where(Member.full_name == DU).values(active_from=date(2026, 7, 1)))
    await scene.start_bot()
    await scene.link(*[n for n, _ in YEAR if n != DU])
    for name, _ in YEAR[:5]:
        await scene.say(SEC, f"/mucdangphi {name} | 30.000")

    seen: dict[int, list[str]] = {}
    for month in range(1, 13):
        if month == 7:
            scene.at(vn(2026, 7, 1, 9, 0))
            scene.who(DU).code_used = True  # the code of January has expired: a new one
            await scene.link(DU)
            await scene.say(SEC, f"/mucdangphi {DU} | 20.000")
        skip = tuple(name for name, months in ((CU, (3, 5, 8)), (BA, (7,))) if month in months)
        await collect_month(scene, month, skip=skip)
        seen[month] = await hold_meeting(scene, month, absent=(BA,) if month == 2 else ())

    assert all(warned(seen[m]) == [] for m in (1, 2, 3, 4, 5, 7)), {m: warned(t) for m, t in seen.items()}
    june = warned(seen[6])
    assert len(june) == 1
    assert (f"{CU}: 2 tháng của năm 2026 vắng sinh hoạt không lý do hoặc chưa đóng đảng phí "
            "(tháng 3: chưa đóng đảng phí; tháng 5: chưa đóng đảng phí)") in june[0]
    assert "đủ 3 tháng" not in june[0] and BA not in june[0] and "Điều 8.1" in june[0]
    assert any("Cần nhắc nhở" in t for t in scene.server.texts(scene.who(DEP).chat_id))  # the deputy too
    august = warned(seen[8])
    assert len(august) == 1 and CU not in august[0]  # Cư: still two months, not warned again
    assert (f"{BA}: 2 tháng của năm 2026 vắng sinh hoạt không lý do hoặc chưa đóng đảng phí "
            "(tháng 2: vắng sinh hoạt không lý do; tháng 7: chưa đóng đảng phí)") in august[0]
    september = warned(seen[9])
    assert len(september) == 1
    assert (f"{CU}: 3 tháng của năm 2026 vắng sinh hoạt không lý do hoặc chưa đóng đảng phí (tháng 3: chưa đóng "
            "đảng phí; tháng 5: chưa đóng đảng phí; tháng 8: chưa đóng đảng phí) – đủ 3 tháng: chi bộ xem xét") in september[0]
    assert [line for t in warned([t for texts in seen.values() for t in texts]) for line in t.splitlines() if DU in line] == []  # joined in July: January to June not owed

    own = (await scene.say(CU, "/dangphi"))[0]
    assert "Đã đóng 9 tháng" in own and "Chưa đóng 3 tháng đã qua: 03/2026, 05/2026, 08/2026" in own
    own = (await scene.say(DU, "/dangphi"))[0]
    assert "Đã đóng 6 tháng (07/2026, 08/2026, 09/2026, 10/2026, 11/2026, 12/2026), tổng 120.000 đ" in own
    assert "Chưa đóng" not in own

    # A new year: 2026's months no longer count; January's meeting warns nobody.
    await collect_month_2027(scene)
    january = await hold_meeting(scene, 1, year=2027)
    assert warned(january) == []
    own = (await scene.say(CU, "/dangphi"))[0]
    assert "năm 2027" in own and "Tháng 01/2027: đã đóng 30.000 đ" in own and "Chưa đóng" not in own

    # The minutes draft: one dues line for the cell's month, not one row per member.
    await scene.say(SEC, "/bienban", expect=2)
    upload = scene.server.calls("sendDocument")[-1]["document"]
    doc = Document(io.BytesIO(upload.content))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for row in t.rows for c in row.cells])
    assert text.count("Đảng phí tháng 01/2027: 6/6 đồng chí đã đóng, thu 180.000 đ.") == 1
    assert "30.000" not in text


async def collect_month_2027(scene: Scene) -> None:
    scene.at(vn(2027, 1, 3, 18, 0))
    await scene.settle()
    for name, _ in YEAR:
        await scene.say(SEC, f"/dangphi {name} | 1/2027 | 30.000")


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_committee_web_view_shows_each_cells_dues_for_the_month(scene: Scene):
    """The secretary of cell 1 records two payments in the chat; the committee's table shows 2/10 for cell 1, the
    figure of the weekly summary, and nothing for cell 2, which records no dues in chibo."""
    story = await build_story(scene)
    try:
        for name in (STORY_MEMBER, STORY_TRUANT):
            await scene.say(STORY_SECRETARY, f"/dangphi {name} | 12/2026 | 25.000")
        async with httpx.AsyncClient(base_url=story.root, timeout=60) as client:
            html = (await client.get(await story.base(STORY_COMMITTEE) + "/")).text
        rows = {int(cell): body for cell, body in re.findall(r'<tr class="\w+" data-cell="(\d+)">(.*?)</tr>', html, re.S)}
        dues = {cell: re.search(r'class="dues">(.*?)</td>', body, re.S).group(1) for cell, body in rows.items()}
        assert dues[story.cells["1"]] == "2/10 (20%), 50.000 đ"
        assert dues[story.cells["2"]] == '<span class="mute">Chưa</span>'
        async with scene.sessions()() as s:
            report = await weekly.compute(s, story.committee_id, scene.clock.now(), VN)
        assert "đảng phí tháng 12/2026: 2/10 đã đóng (20%), thu 50.000 đ" in weekly.render_text(report, "vi", VN)
    finally:
        await story.http.stop()
