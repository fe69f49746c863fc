"""Times and dates typed the way people write them, through the fake Telegram and Zalo Bot APIs:
"7h30 tối", "19 giờ 30", dates without a year, "morning or evening?" asked back, /doilich of the place
and the topic, "có mặt" to check in."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.demo.scene import Scene
from storage.models import (
    Attendance,
    AttendanceStatus,
    AuditLog,
    ChatLink,
    Meeting,
    MeetingKind,
    PlannedMessage,
    Role,
    Task,
)
from tests.conftest import DB_KINDS, linked_cell, vn

SEC, MEMBER, OTHER = "Nguyễn Văn An", "Lê Văn Cường", "Phạm Thị Dung"


async def cell(scene: Scene, *, zalo: bool = False) -> None:
    await linked_cell(scene, [(SEC, Role.BI_THU), (MEMBER, Role.DANG_VIEN), (OTHER, Role.DANG_VIEN)],
                      committee="Đảng ủy phường Hàng Bạc", name="Chi bộ khu dân cư số 5", zalo=zalo)


async def meetings(scene: Scene) -> list[Meeting]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Meeting).where(Meeting.cancelled_at.is_(None)).order_by(Meeting.id)))


async def tasks(scene: Scene) -> list[Task]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Task).order_by(Task.id)))


def buttons(message: dict) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in message["reply_markup"]["inline_keyboard"] for b in row]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_lichhop_7h30_toi_is_19_30_and_the_place_is_not_the_word_toi(scene: Scene):
    await cell(scene)
    reply = await scene.say(SEC, "/lichhop 15/01/2027 7h30 tối Nhà văn hóa khu 5")
    assert "Đã đặt lịch" in reply[0] and "19:30 15/01/2027" in reply[0], reply
    [meeting] = await meetings(scene)
    assert meeting.scheduled_at == vn(2027, 1, 15, 19, 30) and meeting.place == "Nhà văn hóa khu 5"
    notice = scene.last_with_button(MEMBER, "rsvp:")
    assert "19:30 15/01/2027" in notice["text"] and ", tại Nhà văn hóa khu 5" in notice["text"]

    # The other spellings, a date without a year (the next one from today: 1 Dec 2026), without diacritics.
    for typed, at in [("/lichhop 15/12 19 giờ 30 chuyende Hội trường", vn(2026, 12, 15, 19, 30)),
                      ("/lichhop 16/12 2h chieu chuyende Hội trường", vn(2026, 12, 16, 14, 0)),
                      ("/lichhop 17/12 8h sang chuyende", vn(2026, 12, 17, 8, 0)),
                      ("/lichhop 18/12 7:30 PM chuyende", vn(2026, 12, 18, 19, 30)),
                      ("/lichhop 19/12 19h chuyende", vn(2026, 12, 19, 19, 0))]:
        reply = await scene.say(SEC, typed)
        assert "Đã đặt lịch" in reply[0], (typed, reply)
        assert (await meetings(scene))[-1].scheduled_at == at, typed
    assert [m.kind for m in await meetings(scene)][1:] == [MeetingKind.CHUYEN_DE] * 5

    # Bad ones: refused with what to type instead (an example a week from today), nothing written.
    for typed in ("/lichhop 20/12 25h", "/lichhop 20/12 7h70", "/lichhop 20/12 tối Hội trường",
                  "/lichhop 20/12 19h sáng chuyende", "/lichhop 32/12 19:30"):
        reply = await scene.say(SEC, typed)
        assert "không hợp lệ" in reply[0] and "/lichhop 08/12 19:30" in reply[0], (typed, reply)
    assert len(await meetings(scene)) == 6


async def test_a_morning_hour_without_the_part_of_the_day_is_asked_back_then_completed(scene: Scene):
    await cell(scene)
    reply = await scene.say(SEC, "/lichhop 20/12 7:30 Nhà văn hóa khu 5 | Học tập nghị quyết")
    assert "sáng hay buổi tối" in reply[0] and "bấm" not in reply[0]
    assert await meetings(scene) == []  # nothing guessed
    question = scene.last_with_button(SEC, "ampm:")
    assert buttons(question) == [("07:30 sáng", "ampm:0730"), ("19:30 tối", "ampm:1930")]
    assert not any("Thông báo" in t for t in scene.server.texts(scene.who(MEMBER).chat_id))

    await scene.stop_bot()  # the question is kept in the database: answered after a restart
    await scene.start_bot()
    await scene.press(SEC, question, "ampm:1930")
    done = [t for t in scene.server.texts(scene.who(SEC).chat_id) if t.startswith("Đã đặt lịch")]
    assert len(done) == 1 and "19:30 20/12/2026" in done[0], done
    [meeting] = await meetings(scene)
    assert (meeting.scheduled_at, meeting.place, meeting.topic) == (
        vn(2026, 12, 20, 19, 30), "Nhà văn hóa khu 5", "Học tập nghị quyết")
    assert "Thông báo" in scene.last_with_button(MEMBER, "rsvp:")["text"]

    # The question is answered once: the same button again changes nothing.
    answer = await scene.press(SEC, question, "ampm:0730")
    assert "đã được trả lời" in answer["text"]
    assert len(await meetings(scene)) == 1
    async with scene.sessions()() as s:
        link = await s.scalar(select(ChatLink).where(ChatLink.member_id == scene.who(SEC).member_id))
        assert link.pending_action is None and link.pending_text is None

    # /doilich asks too; the word "sáng" typed answers it. The same rules then apply (another month: refused).
    reply = await scene.say(SEC, "/doilich 21/12 8h")
    assert "sáng hay buổi tối" in reply[0]
    reply = await scene.say(SEC, "sáng")
    assert "Đã đổi cuộc họp sang 08:00 21/12/2026" in reply[0], reply
    assert (await meetings(scene))[0].scheduled_at == vn(2026, 12, 21, 8, 0)
    assert "sáng hay buổi tối" in (await scene.say(SEC, "/doilich 02/01 7h"))[0]
    assert "chỉ đổi được trong tháng đó" in (await scene.say(SEC, "tối"))[0]
    assert (await meetings(scene))[0].scheduled_at == vn(2026, 12, 21, 8, 0)

    # A new command drops the question: "tối" afterwards is plain text.
    await scene.say(SEC, "/doilich 22/12 9:00")
    await scene.say(SEC, "/lichhop")
    assert "chưa hiểu" in (await scene.say(SEC, "tối"))[0]
    assert (await meetings(scene))[0].scheduled_at == vn(2026, 12, 21, 8, 0)
    # A member cannot answer for the secretary, nor schedule.
    assert "dành cho bí thư" in (await scene.say(MEMBER, "/lichhop 20/12 7:30"))[0]


async def test_on_zalo_the_question_is_answered_with_its_number(zalo_scene: Scene):
    scene = zalo_scene
    await cell(scene, zalo=True)
    reply = await scene.say_zalo(SEC, "lịch họp 20/12 7h30 Nhà văn hóa")
    assert "sáng hay buổi tối" in reply[0] and "Trả lời bằng số: 1 – 07:30 sáng; 2 – 19:30 tối" in reply[0]
    assert "bấm" not in reply[0].lower()
    assert await meetings(scene) == []
    reply = await scene.say_zalo(SEC, "2")
    assert "Đã đặt lịch" in reply[0] and "19:30 20/12/2026" in reply[0], reply
    [meeting] = await meetings(scene)
    assert meeting.scheduled_at == vn(2026, 12, 20, 19, 30) and meeting.place == "Nhà văn hóa"
    assert "Thông báo" in scene.zalo_texts(MEMBER)[-1]

    reply = await scene.say_zalo(SEC, "doi lich 20/12 8h")
    assert "Trả lời bằng số: 1 – 08:00 sáng; 2 – 20:00 tối" in reply[0]
    assert "Đã đổi cuộc họp sang 08:00 20/12/2026" in (await scene.say_zalo(SEC, "1"))[0]
    # "có mặt" on Zalo, during the meeting, checks in.
    scene.at(vn(2026, 12, 20, 8, 0))
    await scene.say_zalo(SEC, "bat dau")
    scene.at(vn(2026, 12, 20, 8, 3))
    reply = await scene.say_zalo(MEMBER, "co mat")
    assert "điểm danh" in reply[0].lower(), reply
    async with scene.sessions()() as s:
        row = await s.scalar(select(Attendance).where(Attendance.member_id == scene.who(MEMBER).member_id))
        assert row is not None and row.status is AttendanceStatus.PRESENT


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_dates_without_a_year_passed_29_02_year_end_and_midnight(scene: Scene):
    await scene.meeting_in_progress(SEC, [MEMBER, OTHER])  # 5 Dec 2026, still open
    # 29/02: the nearest is in 2027, which has none.
    reply = await scene.say(SEC, "/lichhop 29/02 19:30 chuyende")
    assert "Năm 2027 không có ngày" in reply[0] and "29/02" in reply[0] and "/lichhop 12/12 19:30" in reply[0]

    # /giaoviec on 15/01/2027: 10/01 has passed; it is said so, with an example from the clock.
    scene.at(vn(2027, 1, 15, 9, 0))
    reply = await scene.say(SEC, f"/giaoviec {MEMBER} | Vận động quỹ khuyến học | 10/01")
    assert "Hạn 10/01/2027 đã qua" in reply[0] and "22/01" in reply[0], reply
    assert await tasks(scene) == []
    reply = await scene.say(SEC, f"/giaoviec {MEMBER} | Vận động quỹ khuyến học | 20/01")
    assert "20/01/2027" in reply[0]
    assert [t.due_on for t in await tasks(scene)] == [date(2027, 1, 20)]
    assert "Năm 2027 không có ngày" in (await scene.say(SEC, f"/giaoviec {MEMBER} | Việc | 29/02"))[0]
    # /lichhop 10/01 on 15/01: passed too (never 10/01/2028).
    reply = await scene.say(SEC, "/lichhop 10/01 19:30 chuyende")
    assert "Ngày 10/01 đã qua" in reply[0] and "/lichhop 22/01 19:30" in reply[0]

    # Year end: 02/01 typed on 30/12 is the coming 2 January.
    scene.at(vn(2026, 12, 30, 10, 0))
    reply = await scene.say(SEC, f"/giaoviec {OTHER} | Nộp báo cáo | 02/01")
    assert "02/01/2027" in reply[0]
    reply = await scene.say(SEC, "/lichhop 02/01 19:30 chuyende Hội trường")
    assert "19:30 02/01/2027" in reply[0]
    # Midnight: at 00:00 on 31/12 today is 31/12 (a deadline today is taken), 30/12 has passed.
    scene.at(vn(2026, 12, 31, 0, 0))
    assert "31/12/2026" in (await scene.say(SEC, f"/giaoviec {OTHER} | Việc cuối năm | 31/12"))[0]
    assert "đã qua" in (await scene.say(SEC, f"/giaoviec {OTHER} | Việc | 30/12"))[0]
    assert sorted(t.due_on for t in await tasks(scene)) == [date(2026, 12, 31), date(2027, 1, 2), date(2027, 1, 20)]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_doilich_changes_the_place_and_the_topic_and_members_are_told(scene: Scene):
    await cell(scene)
    await scene.say(SEC, "/lichhop 05/12 19:30 Hội trường | Nghị quyết cũ")
    reply = await scene.say(SEC, "/doilich 06/12 19h30 Nhà văn hóa khu 5 | Học tập nghị quyết mới")
    assert "Đã đổi cuộc họp sang 19:30 06/12/2026, tại Nhà văn hóa khu 5" in reply[0], reply
    [meeting] = await meetings(scene)
    assert (meeting.scheduled_at, meeting.place, meeting.topic) == (
        vn(2026, 12, 6, 19, 30), "Nhà văn hóa khu 5", "Học tập nghị quyết mới")
    told = scene.last_with_button(MEMBER, "rsvp:")["text"]
    assert "đổi sang" in told and "Nhà văn hóa khu 5" in told and "Học tập nghị quyết mới" in told

    # The place only; then the topic only: the time stays, members are told each time.
    reply = await scene.say(SEC, "/doilich tại Hội trường B")
    assert "Đã cập nhật cuộc họp 19:30 06/12/2026, tại Hội trường B" in reply[0], reply
    assert "có thay đổi, tại Hội trường B" in scene.last_with_button(MEMBER, "rsvp:")["text"]
    reply = await scene.say(SEC, "/doilich | Tổng kết năm")
    assert "Chủ đề: Tổng kết năm" in reply[0]
    assert "Tổng kết năm" in scene.last_with_button(OTHER, "rsvp:")["text"]
    [meeting] = await meetings(scene)
    assert (meeting.scheduled_at, meeting.place, meeting.topic) == (vn(2026, 12, 6, 19, 30), "Hội trường B", "Tổng kết năm")
    async with scene.sessions()() as s:
        audits = list(await s.scalars(select(AuditLog).where(AuditLog.action == "reschedule").order_by(AuditLog.id)))
        assert [(a.before["place"], a.after["place"]) for a in audits] == [
            ("Hội trường", "Nhà văn hóa khu 5"), ("Nhà văn hóa khu 5", "Hội trường B"), ("Hội trường B", "Hội trường B")]
        assert audits[-1].before["topic"] == "Học tập nghị quyết mới" and audits[-1].after["topic"] == "Tổng kết năm"
        # The reminders follow the new time (one day before 06/12 19:30 is after now, so it is planned).
        dues = list(await s.scalars(select(PlannedMessage.due_at).where(
            PlannedMessage.kind == "reminder", PlannedMessage.done_at.is_(None))))
        assert dues and all(d.astimezone(vn(2026, 1, 1).tzinfo) < vn(2026, 12, 6, 19, 30) for d in dues)
        assert any(d.astimezone(vn(2026, 1, 1).tzinfo).date() == date(2026, 12, 6) for d in dues)

    # Nothing to change, and bad input: a clear answer, nothing written.
    assert "không có gì để đổi" in (await scene.say(SEC, "/doilich tại Hội trường B"))[0]
    for typed in ("/doilich 15/13 19:30", "/doilich 06/12 25h", "/doilich tại", "/doilich |", "/doilich"):
        reply = await scene.say(SEC, typed)
        assert "/doilich" in reply[0] and ("không hợp lệ" in reply[0] or "Cách đổi" in reply[0]), (typed, reply)
    [meeting] = await meetings(scene)
    assert (meeting.scheduled_at, meeting.place, meeting.topic) == (vn(2026, 12, 6, 19, 30), "Hội trường B", "Tổng kết năm")
    assert "dành cho bí thư" in (await scene.say(MEMBER, "/doilich tại Nhà tôi"))[0]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_co_mat_checks_in_and_ketthuc_takes_9h_toi(scene: Scene):
    await scene.meeting_in_progress(SEC, [MEMBER, OTHER])
    assert "chưa hiểu" in (await scene.say(MEMBER, "Đã đến giờ họp chưa?"))[0]  # a question, not a check-in
    reply = await scene.say(MEMBER, "Có mặt ạ")
    assert "điểm danh" in reply[0].lower(), reply
    reply = await scene.say(OTHER, "da den roi")
    assert "điểm danh" in reply[0].lower(), reply
    async with scene.sessions()() as s:
        present = set(await s.scalars(select(Attendance.member_id).where(Attendance.status == AttendanceStatus.PRESENT)))
    assert {scene.who(MEMBER).member_id, scene.who(OTHER).member_id} <= present

    scene.at(vn(2026, 12, 5, 21, 30))
    assert "không hợp lệ" in (await scene.say(SEC, "/ketthuc 9h70"))[0]
    assert "không hợp lệ" in (await scene.say(SEC, "/ketthuc tối"))[0]
    reply = await scene.say(SEC, "/ketthuc 9h")  # 09:00 or 21:00: only 21:00 can end this meeting
    assert "21:00" in reply[0], reply
    [meeting] = await meetings(scene)
    assert meeting.ended_at == vn(2026, 12, 5, 21, 0)


async def test_batdau_takes_the_new_spellings(zalo_scene: Scene):
    scene = zalo_scene
    await cell(scene, zalo=True)
    await scene.say_zalo(SEC, "lich hop 05/12 19h30 Nhà văn hóa")
    assert len(await meetings(scene)) == 1
    scene.at(vn(2026, 12, 5, 19, 50))
    assert "không hợp lệ" in (await scene.say_zalo(SEC, "bat dau 25h"))[0]
    reply = await scene.say_zalo(SEC, "bat dau 7h30")  # at 19:50: this evening's 19:30, not 07:30
    assert "bắt đầu lúc 19:30" in reply[0], reply
    [meeting] = await meetings(scene)
    assert meeting.started_at == vn(2026, 12, 5, 19, 30) and meeting.start_manual
    scene.at(vn(2026, 12, 5, 21, 10))
    reply = await scene.say_zalo(SEC, "ket thuc 9 giờ tối")
    assert "21:00" in reply[0], reply


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_12_gio_toi_is_answered_with_what_to_type_instead_and_nothing_is_written(scene: Scene):
    """"12 giờ tối" is not a usual phrase (midnight is "12 giờ đêm", noon "12 giờ trưa"): the answer says so
    and what to type, /lichhop and /batdau alike; "12 giờ đêm" is 00:00."""
    await cell(scene)
    for typed in ("/lichhop 15/01/2027 12 giờ tối Nhà văn hóa", "/lichhop 15/01/2027 12h tối"):
        reply = (await scene.say(SEC, typed))[0]
        assert "12 giờ tối" in reply and "12 giờ đêm" in reply and "0h" in reply and "12 giờ trưa" in reply, reply
        assert "/lichhop" in reply  # the usage with its example follows
    assert await meetings(scene) == []
    reply = (await scene.say(SEC, "/lichhop 15/01/2027 12 giờ đêm"))[0]
    assert "00:00 15/01/2027" in reply, reply
    scene.at(vn(2027, 1, 15, 0, 20))
    reply = (await scene.say(SEC, "/batdau 12 giờ tối"))[0]
    assert "12 giờ đêm" in reply and "0h" in reply and "/batdau" in reply, reply
    [meeting] = await meetings(scene)
    assert meeting.started_at is None
    assert "bắt đầu lúc 00:00" in (await scene.say(SEC, "/batdau 0h"))[0]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_check_ins_after_a_back_dated_start_are_late_only_from_when_it_was_opened(scene: Scene):
    """/batdau 19:30 typed at 19:50: a member checking in at 19:52 is on time (the check-in was not open
    before 19:50), one at 20:10 is 20 minutes late 'after check-in opened', in the reply and the summary;
    after a restart too. The start stays 19:30 for the duration."""
    await cell(scene)
    await scene.say(SEC, "/lichhop 05/12 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 5, 19, 50))
    assert "bắt đầu lúc 19:30" in (await scene.say(SEC, "/batdau 19:30"))[0]
    scene.at(vn(2026, 12, 5, 19, 52))
    reply = (await scene.say(MEMBER, "/diemdanh"))[0]
    assert "Đã điểm danh" in reply and "muộn" not in reply, reply
    await scene.stop_bot()
    await scene.start_bot()
    scene.at(vn(2026, 12, 5, 20, 10))
    reply = (await scene.say(OTHER, "/diemdanh"))[0]
    assert "muộn 20 phút" in reply and "lúc mở điểm danh 19:50" in reply, reply
    async with scene.sessions()() as s:
        rows = {r.member_id: r.status for r in await s.scalars(select(Attendance))}
    assert rows[scene.who(MEMBER).member_id] is AttendanceStatus.PRESENT
    assert rows[scene.who(OTHER).member_id] is AttendanceStatus.LATE
    scene.at(vn(2026, 12, 5, 21, 5))
    summary = "\n".join(await scene.say(SEC, "/ketthuc"))
    assert "19:30" in summary and "95 phút" in summary and f"Đến muộn: {OTHER} (20 phút)" in summary, summary


async def test_a_missed_meeting_recorded_the_next_morning_counts_check_ins_from_then(scene: Scene):
    """The meeting of 05/12 19:30 recorded at 08:00 the next day: a check-in at 08:05 is on time, not 12
    hours late; the record keeps its own day and start."""
    await cell(scene)
    await scene.say(SEC, "/lichhop 05/12 19:30 Nhà văn hóa")
    scene.at(vn(2026, 12, 6, 8, 0))
    assert "19:30" in (await scene.say(SEC, "/batdau 19:30"))[0]
    scene.at(vn(2026, 12, 6, 8, 5))
    reply = (await scene.say(MEMBER, "/diemdanh"))[0]
    assert "Đã điểm danh" in reply and "muộn" not in reply, reply
    [meeting] = await meetings(scene)
    assert meeting.started_at == vn(2026, 12, 5, 19, 30) and meeting.opened_at == vn(2026, 12, 6, 8, 0)
