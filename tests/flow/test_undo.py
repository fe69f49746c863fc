"""Mistakes undone, with an audit trail (issue 20): ending early is confirmed first, the start or end time
of the meeting just held is corrected (/suagio), tasks are corrected and withdrawn (/suaviec, /xoaviec),
/vang_ho reaches the meeting just held for a week, and every correction's error says what to type."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as sql

from bot.demo.scene import Scene
from storage.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    Meeting,
    MeetingAssessment,
    OutboxMessage,
    Role,
    Task,
)
from tests.conftest import DB_KINDS, needs_postgres, vn

SEC, DEP = "Nguyễn Văn Bí", "Trần Thị Phó"
MEMBERS = ["Lê Văn An", "Phạm Thị Ba", "Hoàng Văn Cư", "Đỗ Thị Du", "Vũ Văn Em", "Bùi Thị Giang", "Ngô Văn Hải",
           "Lý Văn Ông"]
CAP = "Trần Văn Cấp"  # of the committee above: reads the cell's figures from the meeting's row
CELL = [(SEC, Role.BI_THU), (DEP, Role.PHO_BI_THU)] + [(n, Role.DANG_VIEN) for n in MEMBERS]  # 10: not small


async def cell_with_meeting(scene: Scene, *, zalo: bool = False) -> int:
    """The cell, all linked (on Zalo when ``zalo``), the meeting of 5 Dec 2026 at 19:30 scheduled and begun."""
    committee = await scene.add_committee("Đảng ủy phường")
    cell = await scene.add_cell(committee, "Chi bộ số 7", CELL)
    await scene.add_committee_member(committee, CAP)
    await scene.start_bot()
    names = [n for n, _ in CELL]
    say = scene.say_zalo if zalo else scene.say
    await (scene.link_zalo if zalo else scene.link)(*names)
    await say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    await later(scene, 2026, 12, 5, 19, 30)
    await say(SEC, "/batdau")
    await later(scene, 2026, 12, 5, 19, 35)
    for name in [DEP] + MEMBERS[:6]:
        await say(name, "/diemdanh")
    return cell


async def later(scene: Scene, *when: int) -> None:
    """The clock moves on to ``when`` (in Hà Nội) and whatever fell due by then is sent first (a reminder to
    assess the meeting, the morning after), so the next answer read is the answer to what is typed next."""
    scene.at(vn(*when))
    await scene.settle()


async def the_meeting(scene: Scene) -> Meeting:
    async with scene.sessions()() as s:
        return (await s.scalars(select(Meeting).order_by(Meeting.id))).one()


async def audits(scene: Scene, action: str) -> list[AuditLog]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_ending_early_on_telegram_asks_first_and_the_button_ends_it_after_a_restart(scene: Scene):
    await cell_with_meeting(scene)
    await later(scene, 2026, 12, 5, 20, 50)
    asked = (await scene.say(SEC, "/ketthuc"))[0]
    assert "80 phút" in asked and "thiếu 10 phút" in asked and "tối thiểu 90 phút" in asked
    assert "KHÔNG ĐẠT" in asked
    question = scene.last_with_button(SEC, "end:")
    assert [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row] == ["Kết thúc ngay"]
    assert (await the_meeting(scene)).ended_at is None  # nothing ended yet
    assert await audits(scene, "end") == []

    # The deputy's check is no confirmation of the secretary's question; a member may not press it.
    data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    await scene.stop_bot()
    await scene.start_bot()
    await later(scene, 2026, 12, 5, 20, 52)
    answer = await scene.press(SEC, question, data)
    assert "Kết thúc ngay" in answer.get("text", "")
    meeting = await the_meeting(scene)
    assert meeting.ended_at == vn(2026, 12, 5, 20, 50)  # the end the question named
    summary = next(t for t in scene.server.texts(scene.who(SEC).chat_id) if "Tóm tắt" in t or "tóm tắt" in t)
    assert "80 phút" in summary and "KHÔNG ĐẠT thời lượng tối thiểu 90 phút" in summary
    assert len(await audits(scene, "end")) == 1
    # Pressed again (a second delivery, an old message): nothing more happens.
    answer = await scene.press(SEC, question, data)
    assert len(await audits(scene, "end")) == 1


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_ending_early_on_zalo_is_confirmed_by_ket_thuc_again_even_after_a_restart(zalo_scene: Scene):
    scene = zalo_scene
    await cell_with_meeting(scene, zalo=True)
    await later(scene, 2026, 12, 5, 20, 50)
    asked = (await scene.say_zalo(SEC, "ket thuc"))[0]
    assert "80 phút" in asked and "thiếu 10 phút" in asked and "gõ lại /ketthuc" in asked
    assert "Trả lời bằng số: 1 – Kết thúc ngay" in asked
    assert (await the_meeting(scene)).ended_at is None
    await scene.stop_bot()
    await scene.start_bot()
    await later(scene, 2026, 12, 5, 20, 51)
    replies = await scene.say_zalo(SEC, "/ketthuc")
    assert any("81 phút" in r and "KHÔNG ĐẠT" in r for r in replies)
    assert (await the_meeting(scene)).ended_at == vn(2026, 12, 5, 20, 51)


async def test_another_command_drops_the_question_and_a_full_meeting_ends_at_once(scene: Scene):
    await cell_with_meeting(scene)
    await later(scene, 2026, 12, 5, 20, 0)
    assert "thiếu 60 phút" in (await scene.say(SEC, "/ketthuc"))[0]
    await scene.say(SEC, "/viec")  # something else: the question is dropped
    assert "thiếu 61 phút" in (await scene.say(SEC, "/ketthuc 19:59"))[0]  # asked again, typed time
    assert (await the_meeting(scene)).ended_at is None
    assert "dành cho bí thư" in (await scene.say(MEMBERS[0], "/ketthuc"))[0]
    await later(scene, 2026, 12, 5, 21, 0)
    replies = await scene.say(SEC, "/ketthuc")  # 90 minutes: no question
    assert "90 phút" in replies[0] and (await the_meeting(scene)).ended_at == vn(2026, 12, 5, 21, 0)


async def ended_meeting(scene: Scene, *, zalo: bool = False) -> int:
    """The meeting of 5 Dec begun at 19:30, a member late at 19:50, ended early at 20:50 (confirmed)."""
    cell = await cell_with_meeting(scene, zalo=zalo)
    say = scene.say_zalo if zalo else scene.say
    await later(scene, 2026, 12, 5, 19, 50)
    assert "muộn 20 phút" in (await say(MEMBERS[6], "/diemdanh"))[0]
    await later(scene, 2026, 12, 5, 20, 50)
    await say(SEC, "/ketthuc")
    await say(SEC, "/ketthuc", expect=2)
    assert (await the_meeting(scene)).ended_at == vn(2026, 12, 5, 20, 50)
    return cell


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_suagio_corrects_the_end_and_the_start_audited_summary_sent_again_after_a_restart(scene: Scene):
    await cell_with_meeting(scene)
    assert "đang diễn ra" in (reply := (await scene.say(SEC, "/suagio ketthuc 21:00"))[0]) and "/ketthuc 21:00" in reply
    await later(scene, 2026, 12, 5, 19, 50)
    await scene.say(MEMBERS[6], "/diemdanh")
    await later(scene, 2026, 12, 5, 20, 50)
    await scene.say(SEC, "/ketthuc")
    await scene.say(SEC, "/ketthuc", expect=2)

    await later(scene, 2026, 12, 5, 21, 10)
    assert "dành cho bí thư" in (await scene.say(MEMBERS[0], "/suagio ketthuc 21:05"))[0]
    for text, expected in [
        ("/suagio", "/suagio ketthuc 21:15"),
        ("/suagio 21:05", "/suagio batdau 19:30"),
        ("/suagio ketthuc", "/suagio ketthuc 21:15"),
        ("/suagio ketthuc 25:00", "không hợp lệ"),
        ("/suagio ketthuc 21h05 nhé", "không hợp lệ"),
        ("/suagio ketthuc 19:00", "sớm hơn giờ bắt đầu 19:30 05/12/2026"),
        ("/suagio ketthuc 21:20", "chưa tới"),
        ("/suagio batdau 21:00", "không sớm hơn giờ kết thúc"),
        ("/suagio ketthuc 20:50", "không có gì thay đổi"),
    ]:
        reply = (await scene.say(SEC, text))[0]
        assert expected in reply, (text, reply)
    assert "ví dụ /suagio ketthuc 21:00" in (await scene.say(SEC, "/suagio ketthuc 19:00"))[0]  # start + 90 minutes
    assert await audits(scene, "correct_time") == []

    # The end was 21:05 in truth: 95 minutes, the summary sent again to both leaders, the audit says who and what.
    replies = await scene.say(SEC, "/suagio kết thúc 21:05", expect=2)
    assert "Đã sửa giờ kết thúc cuộc họp ngày 05/12/2026: từ 20:50 05/12/2026 thành 21:05 05/12/2026" in replies[0]
    assert "95 phút" in replies[0]
    assert "Tóm tắt đã sửa" in replies[1] and "95 phút" in replies[1] and "KHÔNG ĐẠT thời lượng" not in replies[1]
    assert "Tóm tắt đã sửa" in scene.last_text(DEP) and "95 phút" in scene.last_text(DEP)
    meeting = await the_meeting(scene)
    assert meeting.ended_at == vn(2026, 12, 5, 21, 5) and meeting.end_manual
    [audit] = await audits(scene, "correct_time")
    assert audit.actor == f"member:{scene.who(SEC).member_id}" and audit.at == vn(2026, 12, 5, 21, 10)
    assert datetime.fromisoformat(audit.before["ended_at"]) == vn(2026, 12, 5, 20, 50)
    assert datetime.fromisoformat(audit.after["ended_at"]) == vn(2026, 12, 5, 21, 5)

    await scene.link(CAP)
    assert "95 phút" in (await scene.say(CAP, "/baocao"))[0]  # the committee's figures follow

    # The deputy corrects the start, after a restart: 19:40, so who came at 19:50 was not late (10 minutes).
    await scene.stop_bot()
    await scene.start_bot()
    await later(scene, 2026, 12, 6, 8, 0)
    replies = await scene.say(DEP, "sua gio bat dau 19:40", expect=2)
    assert "Đã sửa giờ bắt đầu" in replies[0] and "thành 19:40 05/12/2026" in replies[0] and "85 phút" in replies[0]
    assert "85 phút" in replies[1] and "KHÔNG ĐẠT thời lượng tối thiểu 90 phút" in replies[1]
    assert "Đến muộn" not in replies[1] and any("Đến muộn: Ngô Văn Hải (20 phút)" in t for t in scene.server.texts(
        scene.who(SEC).chat_id))  # late before the correction, on time after it
    meeting = await the_meeting(scene)
    assert meeting.started_at == vn(2026, 12, 5, 19, 40) and meeting.start_manual
    [_, audit] = await audits(scene, "correct_time")
    assert audit.actor == f"member:{scene.who(DEP).member_id}"
    assert datetime.fromisoformat(audit.before["started_at"]) == vn(2026, 12, 5, 19, 30)
    assert audit.after["now_on_time"] == [scene.who(MEMBERS[6]).member_id]
    report = (await scene.say(SEC, "/baocao"))[0]
    assert "85 phút" in report and "19:40" in report

    # A week later, it is too late; the refusal says whom to ask.
    await later(scene, 2026, 12, 12, 21, 6)
    reply = (await scene.say(SEC, "/suagio ketthuc 21:00"))[0]
    assert "quá 7 ngày" in reply and "cấp ủy cấp trên" in reply
    assert len(await audits(scene, "correct_time")) == 2


async def test_suagio_refuses_a_meeting_longer_than_the_bound_and_works_on_zalo(zalo_scene: Scene):
    scene = zalo_scene
    await ended_meeting(scene, zalo=True)
    await later(scene, 2026, 12, 6, 9, 0)
    reply = (await scene.say_zalo(SEC, "sửa giờ kết thúc 02:00"))[0]
    assert "dài hơn 6 giờ" in reply and "/suagio ketthuc 20:50" in reply
    replies = await scene.say_zalo(SEC, "/suagio ketthuc 21:00", expect=2)
    assert "90 phút" in replies[0] and "Tóm tắt đã sửa" in replies[1]
    assert (await the_meeting(scene)).ended_at == vn(2026, 12, 5, 21, 0)


async def task_rows(scene: Scene) -> list[Task]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Task).order_by(Task.id)))


async def unsent_reminders(scene: Scene, task_id: int) -> list[OutboxMessage]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(OutboxMessage).where(
            OutboxMessage.key.like(f"task_reminder:{task_id}:%"), OutboxMessage.sent_at.is_(None),
            OutboxMessage.dropped_at.is_(None))))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_tasks_are_corrected_and_withdrawn_by_number_audited_and_xong_is_only_ones_own(scene: Scene):
    await ended_meeting(scene)
    await later(scene, 2026, 12, 6, 9, 0)
    AN, BA = MEMBERS[0], MEMBERS[1]
    await scene.say(SEC, f"/giaoviec {AN} | Việc A | 20/12")
    await scene.say(SEC, f"/giaoviec {BA} | Việc B | 10/12")
    await scene.say(SEC, f"/giaoviec {AN} | Việc C | 15/12")
    _a, b, c = await task_rows(scene)

    # The secretary's list: the cell's open tasks by deadline, numbered for /suaviec and /xoaviec.
    view = (await scene.say(SEC, "/viec"))[0]
    assert view.index(f"#1 {BA}: Việc B – hạn 10/12/2026") < view.index(f"#2 {AN}: Việc C – hạn 15/12/2026") \
        < view.index(f"#3 {AN}: Việc A – hạn 20/12/2026")
    assert "/suaviec SỐ | VIỆC | HẠN" in view and "/xoaviec SỐ" in view
    # A member's own list is by deadline too, as /xong N and on Zalo the reply numbers read it.
    own = (await scene.say(AN, "/viec"))[0]
    assert own.index("1. Việc C – hạn 15/12/2026") < own.index("2. Việc A – hạn 20/12/2026")

    assert "dành cho bí thư" in (await scene.say(AN, "/suaviec 1 | x | 20/12"))[0]
    assert "dành cho bí thư" in (await scene.say(AN, "/xoaviec 1"))[0]
    for text, expected in [
        ("/suaviec", "/suaviec 2 | | 13/12"),
        ("/suaviec 1", "/suaviec 2 | | 13/12"),
        ("/suaviec 1 | |", "/suaviec 2 | | 13/12"),
        ("/suaviec một | x | 20/12", "/suaviec 2 | | 13/12"),
        ("/suaviec 9 | x | 20/12", "Không có việc số 9: chi bộ có 3 việc"),
        ("/suaviec 1 | | mai", "không hợp lệ"),
        ("/suaviec 1 | | 01/12/2026", "đã qua (hôm nay 06/12/2026)"),
        (f"/suaviec 1 | {'x' * 301} |", "viết gọn"),
        ("/suaviec 1 | Việc B | 10/12", "Không có gì thay đổi"),
        ("/xoaviec", "ví dụ /xoaviec 2"),
        ("/xoaviec 1 2", "ví dụ /xoaviec 2"),
        ("/xoaviec 0", "Không có việc số 0"),
    ]:
        reply = (await scene.say(SEC, text))[0]
        assert expected in reply, (text, reply)
    assert [(x.description, x.due_on.day) for x in await task_rows(scene)] == [("Việc A", 20), ("Việc B", 10),
                                                                              ("Việc C", 15)]

    # Task 1 (Ba's) gets a later deadline: Ba is told, the reminders follow it, the audit has before and after.
    reply = (await scene.say(SEC, "/suaviec #1 | | 12/12"))[0]
    assert f"Đã sửa việc của đồng chí {BA}: từ Việc B – hạn 10/12/2026 thành Việc B – hạn 12/12/2026" in reply
    assert "sửa việc" in scene.last_text(BA) and "12/12/2026" in scene.last_text(BA)
    reminders = await unsent_reminders(scene, b.id)
    assert reminders and all("12/12/2026" in r.payload["text"] for r in reminders)
    [audit] = await audits(scene, "edit_task")
    assert audit.actor == f"member:{scene.who(SEC).member_id}" and audit.entity_id == b.id
    assert audit.before["due_on"] == "2026-12-10" and audit.after["due_on"] == "2026-12-12"

    # After a restart the deputy withdraws task 2 (An's "Việc C"): gone, An told, reminders dropped, audited.
    await scene.stop_bot()
    await scene.start_bot()
    reply = (await scene.say(DEP, "/xoaviec 2"))[0]
    assert f"Đã rút việc của đồng chí {AN}: Việc C – hạn 15/12/2026" in reply
    assert "đã rút việc" in scene.last_text(AN) and "Việc C" in scene.last_text(AN)
    assert [x.description for x in await task_rows(scene)] == ["Việc A", "Việc B"]
    assert await unsent_reminders(scene, c.id) == []
    [audit] = await audits(scene, "withdraw_task")
    assert audit.actor == f"member:{scene.who(DEP).member_id}" and audit.before["description"] == "Việc C"
    assert audit.after is None

    # /xong touches only one's own open task: Ba has one, An cannot press Ba's button.
    assert "Không có việc số 2" in (await scene.say(BA, "/xong 2"))[0]
    told = scene.last_with_button(AN, "task_done:")
    answer = await scene.press(AN, told, f"task_done:{b.id}", forged=True)
    assert "không phải của đồng chí" in answer["text"]
    assert "hoàn thành việc: Việc A" in (await scene.say(AN, "/xong 1"))[0]
    a_now, b_now = await task_rows(scene)
    assert a_now.done_at is not None and b_now.done_at is None
    assert "#1 " + BA in (await scene.say(SEC, "/viec"))[0]


async def test_tasks_corrected_in_words_on_zalo(zalo_scene: Scene):
    scene = zalo_scene
    await ended_meeting(scene, zalo=True)
    await later(scene, 2026, 12, 6, 9, 0)
    await scene.say_zalo(SEC, f"giao việc {MEMBERS[0]} | Việc A | 20/12")
    assert "#1 " in (await scene.say_zalo(SEC, "việc"))[0]
    assert "Đã sửa việc" in (await scene.say_zalo(SEC, "sửa việc 1 | Việc A sửa |"))[0]
    assert "Việc A sửa" in scene.zalo_texts(MEMBERS[0])[-1]
    assert "Đã rút việc" in (await scene.say_zalo(SEC, "xoá việc 1"))[0]
    assert await task_rows(scene) == []


async def status_at(scene: Scene, meeting_id: int, name: str) -> AttendanceStatus | None:
    async with scene.sessions()() as s:
        return await s.scalar(select(Attendance.status).where(
            Attendance.meeting_id == meeting_id, Attendance.member_id == scene.who(name).member_id))


async def meetings(scene: Scene) -> list[Meeting]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Meeting).order_by(Meeting.scheduled_at)))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_vang_ho_reaches_the_meeting_just_held_for_a_week_and_asks_which_when_one_is_coming(scene: Scene):
    await ended_meeting(scene)  # Lý Văn Ông (MEMBERS[7]) absent without reason
    ONG = MEMBERS[7]
    await later(scene, 2026, 12, 8, 9, 0)
    await scene.say(SEC, "/lichhop 2027-01-05 19:30 Nhà văn hóa")
    held, coming = (await meetings(scene))[:2]
    assert coming.scheduled_at == vn(2027, 1, 5, 19, 30)

    # Six days and a half after: both could be meant, and the secretary is asked (nothing written yet).
    await later(scene, 2026, 12, 12, 9, 0)
    asked = (await scene.say(SEC, f"/vang_ho {ONG} | ốm nằm viện"))[0]
    assert "vắng không lý do ở cuộc họp 19:30 05/12/2026" in asked and "19:30 05/01/2027" in asked
    question = scene.last_with_button(SEC, "excuse_for:")
    labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Cuộc họp vừa qua (05/12/2026)", "Cuộc họp sắp tới (05/01/2027)"]
    assert await status_at(scene, held.id, ONG) is AttendanceStatus.ABSENT
    assert await status_at(scene, coming.id, ONG) is None

    # After a restart the secretary's press applies the reason to the meeting held.
    await scene.stop_bot()
    await scene.start_bot()
    await scene.press(SEC, question, question["reply_markup"]["inline_keyboard"][0][0]["callback_data"])
    assert await status_at(scene, held.id, ONG) is AttendanceStatus.EXCUSED
    assert await status_at(scene, coming.id, ONG) is None  # the coming meeting's reminders stay his
    texts = scene.server.texts(scene.who(SEC).chat_id)
    assert any("thành vắng có lý do (ốm nằm viện)" in t for t in texts)
    assert any("Tóm tắt đã sửa" in t and "ốm nằm viện" in t for t in texts)
    [audit] = [a for a in await audits(scene, "excuse_for") if a.entity_id == held.id]
    assert audit.before["status"] == "absent" and audit.after["status"] == "excused"
    await scene.press(SEC, question, question["reply_markup"]["inline_keyboard"][1][0]["callback_data"])
    assert await status_at(scene, coming.id, ONG) is None  # the question was answered: an old press does nothing

    # Someone present at the meeting held: only the coming meeting can be meant.
    reply = (await scene.say(SEC, f"/vang_ho {MEMBERS[0]} | đi công tác"))[0]
    assert "Đã ghi đồng chí Lê Văn An vắng có lý do cuộc họp 19:30 05/01/2027" in reply
    assert await status_at(scene, coming.id, MEMBERS[0]) is AttendanceStatus.EXCUSED


async def test_vang_ho_after_a_week_goes_to_the_coming_meeting_and_asks_on_zalo_with_numbers(zalo_scene: Scene):
    scene = zalo_scene
    await ended_meeting(scene, zalo=True)
    ONG = MEMBERS[7]
    await later(scene, 2026, 12, 8, 9, 0)
    await scene.say_zalo(SEC, "/lichhop 2027-01-05 19:30 Nhà văn hóa")
    held, coming = (await meetings(scene))[:2]
    await later(scene, 2026, 12, 12, 20, 0)
    asked = (await scene.say_zalo(SEC, f"vắng hộ {ONG} | ốm"))[0]
    assert "Trả lời bằng số: 1 – Cuộc họp vừa qua (05/12/2026); 2 – Cuộc họp sắp tới (05/01/2027)" in asked
    await scene.stop_bot()
    await scene.start_bot()
    await scene.say_zalo(SEC, "2", expect=1)
    assert await status_at(scene, coming.id, ONG) is AttendanceStatus.EXCUSED
    assert await status_at(scene, held.id, ONG) is AttendanceStatus.ABSENT
    # Past the week, the meeting held is no longer reached: the coming one is, and the answer names it.
    await later(scene, 2026, 12, 12, 20, 51)
    reply = (await scene.say_zalo(SEC, f"/vang_ho {ONG} | ốm, nằm viện"))[0]
    assert "Đã ghi" in reply and "cuộc họp 19:30 05/01/2027" in reply and "Trả lời bằng số" not in reply
    assert await status_at(scene, held.id, ONG) is AttendanceStatus.ABSENT


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_every_correction_error_says_what_to_type_with_an_example(scene: Scene):
    await ended_meeting(scene)
    ONG = MEMBERS[7]
    await later(scene, 2026, 12, 6, 9, 0)
    await scene.say(SEC, f"/giaoviec {MEMBERS[0]} | Việc A | 20/12")
    for text, expected in [
        (f"/suadiemdanh {ONG}", f"ví dụ /suadiemdanh {ONG} | có mặt"),  # no bar, no status: not "–"
        (f"/suadiemdanh {ONG} |", f"ví dụ /suadiemdanh {ONG} | có mặt"),
        (f"/suadiemdanh {ONG} | đến", "Chưa hiểu tình trạng đến"),
        (f"/suadiemdanh {ONG} | muộn nhiều", f"ví dụ /suadiemdanh {ONG} | muộn 20"),
        (f"/suadiemdanh {ONG} | muộn 2000", f"ví dụ /suadiemdanh {ONG} | muộn 20"),
        ("/suadiemdanh Văn | có mặt", "Có nhiều đảng viên"),
        ("/suadiemdanh Người Lạ | có mặt", "Không tìm thấy"),
        ("/suadiemdanh Người Lạ có mặt", "Không tìm thấy"),
        ("/suadiemdanh", "Cách sửa điểm danh"),
        (f"/suadiemdanh {ONG} | vắng có lý do", f"ví dụ /suadiemdanh {ONG} | vắng có lý do ốm"),
        ("/vang_ho", "Cách ghi vắng có lý do"),
        (f"/vang_ho {ONG}", f"ví dụ /vang_ho {ONG} | ốm"),
        ("/vang_ho Văn | ốm", "Có nhiều đảng viên"),
        ("/vang_ho Người Lạ | ốm", "Không tìm thấy"),
        ("/suagio", "Cách sửa giờ"),
        ("/suagio batdau 7 giờ", "không hợp lệ"),
        ("/suaviec 1 | | mai", "không hợp lệ"),
        ("/suaviec 5 | x |", "Không có việc số 5"),
        ("/xoaviec một", "Cách rút việc"),
    ]:
        reply = (await scene.say(SEC, text))[0]
        assert expected in reply and "ví dụ" in reply.lower(), (text, reply)
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action.in_(("correct", "excuse_for", "correct_time", "edit_task", "withdraw_task")))) == 0

    help_text = (await scene.say(DEP, "/huongdan"))[0]
    assert all(c in help_text for c in ("/suagio batdau HH:MM", "/suaviec SỐ | VIỆC | HẠN", "/xoaviec SỐ", "Kết thúc ngay"))
    assert "/suagio" not in (await scene.say(MEMBERS[0], "/huongdan"))[0]

    # "muon 30" without diacritics or bar keeps its 30 minutes; so do "30p" and "30 phút".
    for text, minutes in [("/suadiemdanh ly van ong muon 30", 30), (f"/suadiemdanh {ONG} | muộn 25p", 25),
                          (f"/suadiemdanh {ONG} | đến muộn 40 phút", 40)]:
        replies = await scene.say(SEC, text, expect=2)
        assert "thành đến muộn" in replies[0] and f"{ONG} ({minutes} phút)" in replies[1], (text, replies)


@needs_postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_two_time_corrections_at_once_go_one_after_the_other_and_both_stand(scene: Scene):
    """The secretary corrects the end while the deputy corrects the start: each waits for the meeting's row,
    so the second reads what the first wrote; both corrections stand and each audit's "before" is true."""
    await ended_meeting(scene)
    await later(scene, 2026, 12, 6, 9, 0)
    meeting = await the_meeting(scene)
    async with scene.sessions()() as blocker, blocker.begin():
        await blocker.execute(select(Meeting).where(Meeting.id == meeting.id).with_for_update())
        ending = asyncio.create_task(scene.say(SEC, "/suagio ketthuc 21:05", expect=2, timeout=30))
        starting = asyncio.create_task(scene.say(DEP, "/suagio batdau 19:40", expect=2, timeout=30))
        await waiting_on_locks(scene, 2)
    await ending, await starting  # each may first see the other's corrected summary: their own answers follow

    def answered(name: str, words: str) -> bool:
        return any(words in t for t in scene.server.texts(scene.who(name).chat_id))

    await scene.server.wait_for(lambda: answered(SEC, "Đã sửa giờ kết thúc") and answered(DEP, "Đã sửa giờ bắt đầu"),
                                timeout=30)
    meeting = await the_meeting(scene)
    assert (meeting.started_at, meeting.ended_at) == (vn(2026, 12, 5, 19, 40), vn(2026, 12, 5, 21, 5))
    first, second = await audits(scene, "correct_time")
    assert {k: second.before[k] for k in ("started_at", "ended_at")} == \
        {k: first.after[k] for k in ("started_at", "ended_at")}
    assert not any("đang bận" in t for t in scene.server.texts(scene.who(SEC).chat_id)
                   + scene.server.texts(scene.who(DEP).chat_id))


async def waiting_on_locks(scene: Scene, count: int) -> None:
    """Returns once ``count`` transactions wait for a lock (PostgreSQL)."""
    for _ in range(500):
        async with scene.sessions()() as s:
            waiting = await s.scalar(sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND datname = current_database()"))
        if waiting >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} transaction(s) did not come to wait for a lock")


async def test_a_completed_quality_assessment_follows_a_corrected_time(scene: Scene):
    await ended_meeting(scene)  # 80 minutes: the duration criterion is short
    for _ in range(5):  # the five questions after /ketthuc, each answered with its first choice
        question = scene.last_with_button(SEC, "qa:")
        data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        count = scene.server.sent_count(scene.who(SEC).chat_id)
        await scene.press(SEC, question, data)
        await scene.server.wait_for(lambda c=count: scene.server.sent_count(scene.who(SEC).chat_id) > c)
        await scene.settle()
    async with scene.sessions()() as s:
        before = await s.scalar(select(MeetingAssessment))
    assert before.completed_at is not None and before.score is not None

    await later(scene, 2026, 12, 6, 9, 0)
    replies = await scene.say(SEC, "/suagio ketthuc 21:05", expect=2)
    async with scene.sessions()() as s:
        after = await s.scalar(select(MeetingAssessment))
    assert after.score > before.score  # 95 minutes now: the duration criterion is full
    assert f"{after.score}/100" in replies[1] and f"{before.score}/100" not in replies[1]
