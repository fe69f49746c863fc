"""Inputs from an attacker and a bad day, played through the real bot against the fake Bot API:
every one answered (or rightly not), nothing written half-way, nothing crashing."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.demo.scene import Scene
from core.textsplit import split_text
from fakeapi.telegram import parse_html
from storage.models import Attendance, AttendanceStatus, CodeGuesses, Meeting, Role
from tests.conftest import DB_KINDS, needs_postgres, vn

SEC, MEMBER, OTHER = "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"
COMMITTEE_MEMBER = "Phạm Thị Cấp Ủy"


async def setup(scene: Scene, *, link: bool = True) -> int:
    committee = await scene.add_committee("Đảng ủy phường")
    cell = await scene.add_cell(committee, "Chi bộ số 1", [(SEC, Role.BI_THU), (MEMBER, Role.DANG_VIEN),
                                                            (OTHER, Role.DANG_VIEN)])
    await scene.add_committee_member(committee, COMMITTEE_MEMBER)
    await scene.start_bot()
    if link:
        await scene.link(SEC, MEMBER, OTHER, COMMITTEE_MEMBER)
    return cell


async def meetings(scene: Scene) -> list[Meeting]:
    async with scene.sessions()() as s:
        return list(await s.scalars(select(Meeting).order_by(Meeting.id)))


def no_rejections(scene: Scene) -> None:
    assert [e for e in scene.server.errors if e[1] == 400] == []


# --- database errors -------------------------------------------------------------------------------

@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_any_database_error_answers_busy_and_writes_nothing(scene: Scene, caplog):
    await setup(scene)
    async with scene.sessions()() as s, s.begin():  # the audit log is gone: every write fails at commit
        await s.execute(text("ALTER TABLE audit_log RENAME TO audit_log_away"))
    reply = await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    assert "Hệ thống đang bận" in reply[0]
    assert await meetings(scene) == []
    assert "Traceback" not in caplog.text
    async with scene.sessions()() as s, s.begin():
        await s.execute(text("ALTER TABLE audit_log_away RENAME TO audit_log"))
    assert "Đã đặt lịch" in (await scene.say(SEC, "/lichhop 2026-12-05 19:30"))[0]
    assert len(await meetings(scene)) == 1


@needs_postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_the_first_request_after_postgres_dropped_the_connections_is_served(scene: Scene):
    await setup(scene)
    assert "Đồng chí" in (await scene.say(MEMBER, "/huongdan"))[0]
    async with scene.sessions()() as s, s.begin():
        killed = await s.scalar(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    assert killed >= 1  # the bot's pooled connections
    reply = await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    assert "Đã đặt lịch" in reply[0]
    assert len(await meetings(scene)) == 1


# --- what each role may ask --------------------------------------------------------------------------

async def test_a_committee_member_sees_the_committee_s_upcoming_meetings(scene: Scene):
    await setup(scene)
    empty = await scene.say(COMMITTEE_MEMBER, "/lichhop")
    assert "chưa có lịch họp" in empty[0] and "bí thư chi bộ" in empty[0]
    await scene.say(SEC, "/lichhop 2026-12-05 19:30 Nhà văn hóa")
    for typed in ("/lichhop", "lich hop", "Lịch họp"):
        reply = await scene.say(COMMITTEE_MEMBER, typed)
        assert "Chi bộ số 1: 19:30 05/12/2026" in reply[0] and "Nhà văn hóa" in reply[0], typed
    assert "dành cho bí thư" in (await scene.say(COMMITTEE_MEMBER, "/lichhop 2026-12-09 19:30"))[0]
    no_rejections(scene)


# --- forged buttons ---------------------------------------------------------------------------------

async def test_forged_buttons_are_answered_and_change_nothing(scene: Scene):
    await setup(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    notice = scene.last_with_button(MEMBER, "rsvp:")
    meeting_id = (await meetings(scene))[0].id
    forged = ["checkin:" + "9" * 40, "rsvp:yes:" + "9" * 25, "rsvp:no:-1", "rsvp:yes:0", "checkin:٣", "cancel:yes:1e9",
              f"cancel:yes:{meeting_id}", "x" * 64, "", ":", f"rsvp:maybe:{meeting_id}", "rsvp:yes:2147483648"]
    for data in forged:
        answer = await scene.press(MEMBER, notice, data, forged=True)
        assert answer.get("text"), data
    assert (await meetings(scene))[0].cancelled_at is None  # a member's forged "cancel" did nothing
    no_rejections(scene)


# --- long and odd texts ---------------------------------------------------------------------------

async def test_a_long_echoed_argument_is_cut_and_the_answer_accepted(scene: Scene):
    await setup(scene)
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SEC, "/lichhop 2026-12-05 20:00")
    scene.at(vn(2026, 12, 5, 20, 0))
    await scene.say(SEC, "/batdau")
    reply = await scene.say(SEC, "/diemdanh_ho " + "<b>Nguyễn&amp;" * 400)
    assert len(reply) == 1 and len(reply[0]) < 400 and "…" in reply[0]
    reply = await scene.say(SEC, "/lichhop " + "2026-13-45 " * 400)
    assert len(reply) == 1 and "không hợp lệ" in reply[0]
    no_rejections(scene)


def test_html_is_split_with_its_tags_balanced():
    text = "<b>" + "chữ đậm " * 1200 + "</b>\n<i>nghiêng</i> <code>" + "x" * 5000 + "</code> &amp; hết"
    parts = split_text(text, 4096)
    assert len(parts) >= 3
    for part in parts:
        plain, _ = parse_html(part)  # the fake Bot API's parser: raises on unbalanced tags
        assert len(plain) <= 4096
    assert "".join(parse_html(p)[0].replace("\n", "") for p in parts).count("x") == 5000


async def test_a_long_summary_inside_bold_is_sent_in_parts_the_api_accepts(scene: Scene):
    from bot.platforms.telegram.adapter import send_payload

    await setup(scene, link=False)
    await send_payload(scene.runtime.platforms["telegram"].app.bot, 4242, {"text": "<b>" + "Đảng viên " * 1000 + "</b>"})
    assert scene.server.sent_count(4242) == 3
    no_rejections(scene)


# --- dates and commands -----------------------------------------------------------------------------

async def test_dates_beyond_a_year_refused_full_width_digits_read(scene: Scene):
    await setup(scene)
    reply = await scene.say(SEC, "/lichhop 9999-12-31 23:59")
    assert "xa hơn một năm" in reply[0]
    assert "xa hơn một năm" in (await scene.say(SEC, "/lichhop 2028-01-01 19:30"))[0]
    assert "không hợp lệ" in (await scene.say(SEC, "/lichhop 0001-01-01 00:00"))[0]
    assert "không hợp lệ" in (await scene.say(SEC, "/lichhop २०२६-१२-०५ १९:३०"))[0]  # Devanagari digits
    assert await meetings(scene) == []
    reply = await scene.say(SEC, "/lichhop ２０２６-１２-０５ １９：３０")
    assert "Đã đặt lịch" in reply[0] and "19:30 05/12/2026" in reply[0]
    reply = await scene.say(SEC, "/doilich 2026-12-06 19:30 nhà văn hóa")  # the words after the time: the place
    assert "Đã đổi cuộc họp sang 19:30 06/12/2026, tại nhà văn hóa" in reply[0]
    assert (await meetings(scene))[0].scheduled_at == vn(2026, 12, 6, 19, 30)
    assert "xa hơn một năm" in (await scene.say(SEC, "/doilich 9999-12-06 19:30"))[0]
    no_rejections(scene)


async def test_cancelling_asks_first(scene: Scene):
    await setup(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    reply = await scene.say(SEC, "/huyhop")
    assert "muốn hủy" in reply[0]
    assert (await meetings(scene))[0].cancelled_at is None
    question = scene.last_with_button(SEC, "cancel:")
    keep, cancel = [b["callback_data"] for b in question["reply_markup"]["inline_keyboard"][0]]
    await scene.press(SEC, question, cancel.replace("cancel:yes", "cancel:no"))
    assert "vẫn giữ nguyên" in scene.last_text(SEC)
    assert (await meetings(scene))[0].cancelled_at is None
    assert "tự động" not in scene.last_text(MEMBER)
    answer = await scene.press(MEMBER, scene.last_with_button(MEMBER, "rsvp:"), keep, forged=True)
    assert "dành cho bí thư" in answer["text"]  # a member cannot confirm it
    assert (await meetings(scene))[0].cancelled_at is None
    await scene.press(SEC, question, keep)
    assert "Đã hủy" in scene.last_text(SEC)
    assert (await meetings(scene))[0].cancelled_at is not None
    assert any("đã được hủy" in t for t in scene.server.texts(scene.who(MEMBER).chat_id))
    no_rejections(scene)


async def test_a_reason_of_invisible_characters_is_no_reason(scene: Scene):
    await setup(scene)
    await scene.say(SEC, "/lichhop 2026-12-05 19:30")
    reply = await scene.say(MEMBER, "/vang \u200b\u200c\u2060 \u3164 \u200b")
    assert "lý do" in reply[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.status == AttendanceStatus.EXCUSED)) == 0
    assert "lý do: Ốm" in (await scene.say(MEMBER, "Ốm"))[0]


async def test_a_slash_alone_gets_the_help_hint_and_an_unknown_command_in_a_group_is_left_alone(scene: Scene):
    await setup(scene)
    assert "/huongdan" in (await scene.say(MEMBER, "/"))[0]
    assert "/huongdan" in (await scene.say(MEMBER, "/khonglenhnay"))[0]
    before = scene.server.sent_count()
    await scene.say(MEMBER, "/khonglenhnay", chat_id=-100123, chat_type="supergroup", expect=0)
    await scene.say(MEMBER, "/", chat_id=-100123, chat_type="supergroup", expect=0)
    await scene.say(MEMBER, "/huongdan", chat_id=-100123, chat_type="supergroup")  # ours: answered, in order
    assert scene.server.sent_count() == before + 1


# --- Bot API errors ---------------------------------------------------------------------------------

async def test_a_permanent_bot_api_error_is_not_retried(scene: Scene):
    await setup(scene)
    chat = scene.who(MEMBER).chat_id
    calls = len(scene.server.calls("sendMessage"))
    scene.server.fail_next("sendMessage", status=400, chat_id=chat, description="Bad Request: message is too long")
    await scene.say(MEMBER, "/huongdan", expect=0)
    await asyncio.sleep(1.5)
    assert len(scene.server.calls("sendMessage")) == calls + 1  # tried once, not three times
    assert "Đồng chí" in (await scene.say(MEMBER, "/huongdan"))[0]


async def test_a_poison_update_is_skipped_and_no_library_logs_update_contents(scene: Scene, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    await setup(scene)
    for name in ("telegram", "httpx", "httpcore"):  # whoever configures logging may lower them again
        logging.getLogger(name).setLevel(logging.DEBUG)
    poison = scene.server.inject_update({"poll": {"id": "1", "question": "Bí mật quốc gia"}})
    polls_before = len(scene.server.calls("getUpdates"))
    reply = await scene.say(MEMBER, "Mật khẩu nhà tôi")
    assert "chưa hiểu tin nhắn này" in reply[0]
    assert len(scene.server.calls("getUpdates")) - polls_before < 10
    assert f"skipped update tg:{poison['update_id']}" in caplog.text
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("fakeapi"))
    for secret in ("Bí mật quốc gia", "Mật khẩu nhà tôi", "chỉ hiểu các lệnh", scene.settings.token_value()):
        assert secret not in ours
    assert "Traceback" not in caplog.text


async def test_polling_errors_back_off(scene: Scene, caplog):
    await setup(scene)
    scene.server.fail_next("getUpdates", status=502, times=50)
    scene.server.send_text(scene.who(MEMBER).user_id, "/huongdan")  # ends the long poll in progress
    polls = len(scene.server.calls("getUpdates"))
    await asyncio.sleep(3.0)
    assert len(scene.server.calls("getUpdates")) - polls <= 3  # 1 s, 1.5 s, … not thousands
    assert caplog.text.count("polling Telegram failed") == 1
    assert "Traceback" not in caplog.text


# --- guessing invite codes ---------------------------------------------------------------------------

async def test_guessing_invite_codes_is_throttled_per_account(scene: Scene, caplog):
    await setup(scene, link=False)
    caplog.set_level(logging.INFO)
    stranger = scene.who(OTHER)
    right = stranger.code
    wrong = [f"ABCD{n}XYZ" for n in range(2, 9)]
    for code in wrong[:4]:
        assert "không đúng" in (await scene.say(OTHER, f"/start {code}"))[0]
    reply = await scene.say(OTHER, f"/start {wrong[4]}")
    assert "sai mã mời 5 lần" in reply[0] and "09:00 01/12/2026" in reply[0]
    reply = await scene.say(OTHER, f"/start {right}")  # even the right code waits
    assert "09:00 01/12/2026" in reply[0] and "Chào" not in reply[0]
    lockouts = [r for r in caplog.records if "invite-code guessing" in r.getMessage()]
    async with scene.sessions()() as s:
        guesses_row = await s.scalar(select(CodeGuesses.id))
    # The lockout names chibo's own row (code_guesses), never the person's Telegram account.
    assert len(lockouts) == 1 and f"code_guesses {guesses_row}" in lockouts[0].getMessage()
    assert str(stranger.user_id) not in caplog.text
    assert not any(code in caplog.text for code in wrong + [right])
    # Another account is not held back.
    assert "Chào đồng chí" in (await scene.say(MEMBER, f"/start {scene.who(MEMBER).code}"))[0]
    scene.at(vn(2026, 12, 1, 9, 1))
    assert "Chào đồng chí" in (await scene.say(OTHER, f"/start {right}"))[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(CodeGuesses)) == 1


async def test_on_zalo_only_texts_that_look_like_codes_count_as_guesses(zalo_scene: Scene):
    scene = zalo_scene
    await setup(scene, link=False)
    for chatter in ("hahahaha", "camonnhe", "xin chào", "Vâng ạ", "dạ vâng", "hihihihi", "abcdefgh"):
        assert "chưa được liên kết" in (await scene.say_zalo(OTHER, chatter))[0]
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(CodeGuesses)) == 0
    for code in ("ABCD2XYZ", "abcd3xyz", "ABCD-4XYZ", "QWERTYUP"):
        assert "không đúng" in (await scene.say_zalo(OTHER, code))[0]
    assert "sai mã mời 5 lần" in (await scene.say_zalo(OTHER, "ABCD5XYZ"))[0]
    assert "sai mã mời" in (await scene.say_zalo(OTHER, scene.who(OTHER).code))[0]
    # Cancelling on Zalo asks too; "1" confirms.
    await scene.link_zalo(SEC)
    await scene.say_zalo(SEC, "lich hop 2026-12-05 19:30")
    assert "muốn hủy" in (await scene.say_zalo(SEC, "huy hop"))[0]
    assert "Đã hủy" in (await scene.say_zalo(SEC, "1"))[0]


async def test_a_burst_of_guesses_is_counted_exactly(scene: Scene):
    await setup(scene, link=False)
    for n in range(12):
        scene.server.send_text(scene.who(OTHER).user_id, f"/start WXYZ{n % 8 + 2}ABC", first_name="Cường")
    await scene.server.wait_for(lambda: scene.server.sent_count(scene.who(OTHER).chat_id) >= 12, timeout=20)
    texts = scene.server.texts(scene.who(OTHER).chat_id)
    assert sum("không đúng" in t for t in texts) == 4 and sum("sai mã mời 5 lần" in t for t in texts) == 8
    async with scene.sessions()() as s:
        row = await s.scalar(select(CodeGuesses))
        assert row.failures == 5 and row.locked_until == vn(2026, 12, 1, 9, 0) + timedelta(0)


