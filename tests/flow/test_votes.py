"""Votes during a meeting (issue 21): /bieuquyet, ballots by button (on Zalo 1 or 2), changeable until
/ketthucbq or /ketthuc; probationary members have no vote, the exempt who attend are counted, the excused
and the exempt who are absent are not, guests of the committee do not vote; "more than half" decided by
one vote, in the reply, the summary and the minutes, after a restart, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.demo.scene import Scene
from bot.web.render import render
from reports import web_cell, weekly
from reports.weekly_xlsx import write_workbook
from storage.models import AuditLog, Ballot, Cell, Member, MemberStatus, Role, Vote
from tests.conftest import DB_KINDS, vn

SEC, DEP = "Nguyễn Văn Bí", "Trần Thị Phó"
A, B, C, D = "Lê Văn An", "Phạm Thị Ba", "Hoàng Văn Cư", "Đỗ Thị Du"
PROB = "Vũ Văn Dự"  # probationary (dự bị)
EX_IN, EX_OUT = "Bùi Thị Miễn", "Ngô Văn Nghỉ"  # exempt: one attends, one does not
EXCUSED, ABSENT = "Lý Văn Ốm", "Đinh Văn Vắng"
SUSP = "Tạ Văn Đình"  # suspended (đình chỉ sinh hoạt): attends, not counted
CAP = "Trần Văn Cấp"  # of the committee above, a guest
CELL = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)] + [
    (n, Role.DANG_VIEN) for n in (A, B, C, D, PROB, EX_IN, EX_OUT, EXCUSED, ABSENT, SUSP)]
# Counted (N): SEC, DEP, A, B, C, D, EX_IN (present), ABSENT (unexcused) = 8: more than half is 5.


async def meeting_started(scene: Scene, *, zalo: bool = False) -> None:
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 7", CELL, exempt={EX_IN, EX_OUT})
    await scene.add_committee_member(committee, CAP)
    async with scene.sessions()() as s, s.begin():
        await s.execute(update(Member).where(Member.full_name == PROB).values(status=MemberStatus.DU_BI))
        await s.execute(update(Member).where(Member.full_name == SUSP).values(suspended=True))
    await scene.start_bot()
    say = scene.say_zalo if zalo else scene.say
    await (scene.link_zalo if zalo else scene.link)(*[n for n, _ in CELL])
    if not zalo:
        await scene.link(CAP)
    await say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await say(SEC, f"/vang_ho {EXCUSED} | ốm nằm viện")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.settle()
    await say(SEC, "/batdau")
    scene.at(vn(2026, 12, 5, 19, 35))
    for name in (DEP, A, B, C, D, PROB, EX_IN, SUSP):
        await say(name, "/diemdanh")
    if not zalo:
        await scene.say(CAP, "/diemdanh")


async def votes(scene: Scene) -> list[Vote]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Vote).order_by(Vote.id)))


async def ballots(scene: Scene) -> list[Ballot]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Ballot).order_by(Ballot.id)))


async def vote(scene: Scene, name: str, choice: str) -> str:
    message = scene.last_with_button(name, "vote:")
    data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                if b["callback_data"].startswith(f"vote:{choice}:"))
    await scene.press(name, message, data)
    return scene.last_text(name)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_more_than_half_by_one_vote_with_probationary_exempt_excused_and_guest(scene: Scene, tmp_path):
    await meeting_started(scene)
    opened = (await scene.say(SEC, "/bieuquyet Thông qua nghị quyết tháng 12"))[0]
    assert "Đã gửi cho 6 đảng viên chính thức có mặt khác" in opened  # DEP, A-D, EX_IN; not PROB, not CAP
    assert "Biểu quyết" in scene.last_text(A) and "Thông qua nghị quyết tháng 12" in scene.last_text(A)
    assert "Điều 5" in scene.last_text(PROB)  # told, without buttons
    assert not any("vote:" in str(m.get("reply_markup")) for m in scene.inbox(PROB))
    assert not any("Thông qua nghị quyết" in (m.get("text") or "") for m in scene.inbox(SUSP))  # suspended
    assert not any("Thông qua nghị quyết" in (m.get("text") or "") for m in scene.inbox(CAP))  # a guest

    assert "Tán thành" in await vote(scene, SEC, "yes")
    await vote(scene, DEP, "yes")
    await vote(scene, A, "yes")
    await vote(scene, B, "yes")
    assert "Không tán thành" in await vote(scene, EX_IN, "no")
    await scene.stop_bot()  # a restart in the middle: the ballots and the buttons still hold
    await scene.start_bot()
    assert "Đã đổi ý kiến" in await vote(scene, EX_IN, "yes")  # changed: the 5th approval
    await vote(scene, C, "no")
    # A probationary or suspended member who sends a ballot anyway (an old button, forged data) is answered
    # politely and not counted.
    data = scene.last_with_button(A, "vote:")["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await scene.press(PROB, scene.last(PROB), data, forged=True)
    assert scene.last_text(PROB).startswith("Cảm ơn đồng chí. Theo Điều lệ Đảng (Điều 5), đảng viên dự bị")
    await scene.press(SUSP, scene.last(SUSP), data, forged=True)
    assert "đình chỉ sinh hoạt nên không biểu quyết" in scene.last_text(SUSP)
    await scene.press(ABSENT, scene.last(ABSENT), data, forged=True)
    assert "chưa điểm danh có mặt" in scene.last_text(ABSENT) and "/diemdanh" in scene.last_text(ABSENT)
    assert len(await ballots(scene)) == 6

    result = (await scene.say(SEC, "/ketthucbq"))[0]
    assert "Tán thành 5 / không tán thành 1 / chưa biểu quyết 2, trên 8 đảng viên" in result
    assert "ĐƯỢC THÔNG QUA" in result and "cần 5 trên 8" in result
    assert "Kết quả biểu quyết" in scene.last_text(A)  # those asked are told the result
    # Closed: a late press changes nothing.
    assert "đã kết thúc" in await vote(scene, D, "yes")
    assert len(await ballots(scene)) == 6

    # A second vote: four approvals of eight is not more than half; /ketthuc closes it.
    await scene.say(SEC, "/bieuquyet Kết nạp đảng viên mới")
    for name in (SEC, DEP, A, B):
        await vote(scene, name, "yes")
    await vote(scene, C, "no")
    scene.at(vn(2026, 12, 5, 21, 10))
    replies = await scene.say(SEC, "/ketthuc")
    summary = next(r for r in replies if "Biểu quyết</b> (2)" in r or "Biểu quyết (2)" in r)
    assert "Thông qua nghị quyết tháng 12" in summary and "Kết nạp đảng viên mới" in summary
    assert "Tán thành 4 / không tán thành 1 / chưa biểu quyết 3, trên 8 đảng viên" in summary
    assert "KHÔNG được thông qua" in summary
    held = await votes(scene)
    assert [(v.approve, v.against, v.not_voted, v.counted, v.adopted) for v in held] == [
        (5, 1, 2, 8, True), (4, 1, 3, 8, False)]
    assert all(v.closed_at is not None for v in held)
    async with scene.sessions()() as s:
        changes = list(await s.scalars(select(AuditLog).where(AuditLog.action == "ballot")))
    assert any(c.before == {"approve": False} and c.after and c.after["approve"] is True for c in changes)

    # The minutes draft carries each result with its counts.
    await scene.say(SEC, "/bienban", expect=2)
    doc = Document(io.BytesIO(scene.server.calls("sendDocument")[-1]["document"].content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Kết quả biểu quyết:" in text
    assert ("1. Thông qua nghị quyết tháng 12: tán thành 5, không tán thành 1, chưa biểu quyết 2, trên tổng số 8 "
            "đảng viên – được thông qua (quá nửa, cần 5).") in text
    assert "2. Kết nạp đảng viên mới: tán thành 4, không tán thành 1, chưa biểu quyết 3" in text
    assert "không được thông qua (cần 5 tán thành)" in text

    # The web view of the cell lists them the same way.
    async with scene.sessions()() as s:
        cell_id = (await s.scalars(select(Member.cell_id).where(Member.full_name == SEC))).one()
        year = await web_cell.cell_year(s, cell_id, scene.clock.now(), scene.settings.tz)
    page = render("cell.html", "vi", scene.settings.tz, base="", p=year, committee_view=True, nonce="n")
    assert ("1. Thông qua nghị quyết tháng 12: tán thành 5, không tán thành 1, chưa biểu quyết 2, trên tổng số 8 "
            "đảng viên – được thông qua (quá nửa, cần 5).") in page
    assert "2. Kết nạp đảng viên mới: tán thành 4, không tán thành 1, chưa biểu quyết 3" in page

    # And the committee's weekly workbook, one row per vote.
    async with scene.sessions()() as s:
        committee_id = (await s.scalars(select(Cell.committee_id).where(Cell.id == cell_id))).one()
        report = await weekly.compute(s, committee_id, scene.clock.now(), scene.settings.tz)
    sheet = load_workbook(write_workbook(report, tmp_path / "w.xlsx", scene.settings.tz))["Biểu quyết"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r[2:] for r in rows] == [["Thông qua nghị quyết tháng 12", 5, 1, 2, 8, "Được thông qua"],
                                     ["Kết nạp đảng viên mới", 4, 1, 3, 8, "Không được thông qua"]]


async def test_only_a_leader_opens_a_vote_only_in_a_meeting_and_one_at_a_time(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 7", CELL)
    await scene.start_bot()
    await scene.link(SEC, A)
    assert "cuộc họp nào đang diễn ra" in (await scene.say(SEC, "/bieuquyet Thông qua nghị quyết"))[0]
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.settle()
    await scene.say(SEC, "/batdau")
    assert "/bieuquyet NỘI DUNG" in (await scene.say(SEC, "/bieuquyet"))[0]
    assert "dành cho bí thư và phó bí thư" in (await scene.say(A, "/bieuquyet Thông qua"))[0]
    assert await votes(scene) == []
    assert "Không có biểu quyết nào đang mở" in (await scene.say(SEC, "/ketthucbq"))[0]
    await scene.say(SEC, "/bieuquyet Thông qua nghị quyết")
    assert "Đang biểu quyết" in (await scene.say(SEC, "/bieuquyet Việc khác"))[0]
    assert len(await votes(scene)) == 1


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_on_zalo_members_answer_1_or_2(zalo_scene: Scene):
    scene = zalo_scene
    await meeting_started(scene, zalo=True)
    opened = (await scene.say_zalo(SEC, "/bieuquyet Thông qua nghị quyết tháng 12"))[0]
    assert "1 – Tán thành" in opened and "2 – Không tán thành" in opened
    asked = scene.zalo_texts(A)[-1]
    assert "1 – Tán thành" in asked
    assert "Tán thành" in (await scene.say_zalo(A, "1"))[0]
    assert "Không tán thành" in (await scene.say_zalo(B, "2"))[0]
    await scene.stop_bot()
    await scene.start_bot()
    assert "Đã đổi ý kiến" in (await scene.say_zalo(B, "1"))[0]
    result = (await scene.say_zalo(SEC, "/ketthucbq"))[0]
    assert "Tán thành 2 / không tán thành 0 / chưa biểu quyết 6, trên 8 đảng viên" in result
    assert "KHÔNG được thông qua" in result
