"""Fuzzing the real bot: a few hundred odd inputs by every role, through the real Application against
the fake Bot API (which checks HTML and limits like Telegram). For each: the bot answered, or rightly
stayed silent; the Bot API refused nothing the bot sent; no traceback was logged."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

from bot.demo.scene import Scene
from handlers.commands import COMMANDS
from storage.models import Role
from tests.conftest import vn

SEC, MEMBER, STRANGER = "Nguyễn Văn An", "Trần Thị Bình", "Người Lạ"
COMMITTEE_MEMBER = "Phạm Thị Cấp Ủy"
ROLES = [SEC, MEMBER, COMMITTEE_MEMBER, STRANGER]
GROUP = -1001234

ARGS = [
    "", "x", "<b>đậm</b> <i>", "&amp; &lt; & <", "<script>alert(1)</script>", "9" * 60,
    "２０２６-１２-０１ ２０:００", "2026-12-05 19:30", "9999-12-31 23:59", "2026-02-30 25:61", "0001-01-01 00:00",
    "\u200b\u200c\u2060", "\u202eđảo ngược", "'; DROP TABLE members; --", "%s %d {0} {name} {{x}}",
    "🙂🙂🙂", "null", "dòng 1\ndòng 2\n\n\ndòng 5", "Trần Thị Bình", "trần", "telegram", "zalo", "1", "-1",
    "2026-12-01 19:00 chuyende <b>Hội trường</b> | chủ đề & <u>", "23:59", "25:00", "19h30", "HH:MM",
    "A" * 3000, "ạ" * 1500, "\u3164", "\t\t", "ABCD2XYZ", "/start", "@chibo_test_bot",
]
PLAIN = [
    "điểm danh", "diem danh", "xin vắng ốm", "xin vang", "lịch họp", "lich hop 2026-12-05 19:30", "bat dau", "ket thuc",
    "bao cao", "huong dan", "Vâng ạ", "1", "2", "99", "ok", "hahahaha", "ABCD-2XYZ", "<b>", "&", "\u200b", " ",
    "x" * 4000, "🙂", "huy hop", "doi lich 2026-12-06 19:30 thêm chữ", "kenh zalo", "diem danh ho Trần", "lien ket",
]
NON_TEXT = [
    {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]},
    {"sticker": {"file_id": "s1", "file_unique_id": "u2", "width": 512, "height": 512, "is_animated": False,
                 "is_video": False, "type": "regular"}},
    {"location": {"latitude": 21.03, "longitude": 105.85}},
    {"contact": {"phone_number": "+84900000000", "first_name": "Bí Mật"}},
    {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 3}},
    {"document": {"file_id": "d1", "file_unique_id": "u4"}},
]
BUTTONS = ["checkin:1", "checkin:" + "9" * 40, "rsvp:yes:1", "rsvp:no:1", "rsvp:yes:99999", "cancel:yes:1",
           "cancel:no:1", "rsvp:yes:-5", "", "::::", "checkin:1:extra", "rsvp:maybe:1", "x" * 64, "cancel:yes:٣"]


@dataclass
class Case:
    person: str
    kind: str  # "text", "group", "raw", "button"
    payload: object
    answered: bool  # True: at least one message (or the callback answer); False: rightly silent


def cases() -> list[Case]:
    out: list[Case] = []
    aliases = [a for names in COMMANDS.values() for a in names]
    args = itertools.cycle(ARGS)
    for person in ROLES:
        for alias in aliases:
            for _ in range(2):
                out.append(Case(person, "text", f"/{alias} {next(args)}".strip(), True))
        out += [Case(person, "text", text, True) for text in PLAIN[ROLES.index(person)::2]]
        out += [Case(person, "raw", {"message": body}, True) for body in NON_TEXT[ROLES.index(person) % 2::2]]
        out += [Case(person, "button", data, True) for data in BUTTONS]
        out += [Case(person, "text", text, True) for text in ("/", "/khongco", "/start@other_bot", "/@", "/ ")]
    for person in (SEC, MEMBER):  # in a group: our commands answered, the rest left alone
        out += [Case(person, "group", text, True) for text in ("/huongdan", "/diemdanh", "/lichhop 2026-12-05 19:30")]
        out += [Case(person, "group", text, False) for text in ("/khongco", "/", "xin chào cả nhà", "/start@other_bot",
                                                                 "diem danh", "<b>")]
    out.append(Case(MEMBER, "raw", {"edited_message": "text"}, False))
    out.append(Case(MEMBER, "raw", {"channel_post": "text"}, False))
    out.append(Case(MEMBER, "raw", {"poll": {"id": "7", "question": "?"}}, False))  # a poison update
    return out


def test_there_are_at_least_200_cases_by_every_role():
    all_cases = cases()
    assert len(all_cases) >= 200
    assert {c.person for c in all_cases} == set(ROLES)
    assert {c.kind for c in all_cases} == {"text", "group", "raw", "button"}


async def play(scene: Scene, case: Case) -> None:
    person = scene.who(case.person)
    server = scene.server
    chat = GROUP if case.kind == "group" else person.chat_id
    before, answered = server.sent_count(chat), len(server.answered_callbacks())
    if case.kind in ("text", "group"):
        server.send_text(person.user_id, str(case.payload), chat_id=chat,
                         chat_type="supergroup" if case.kind == "group" else "private", first_name="Ai")
    elif case.kind == "button":
        message = (scene.inbox(case.person) or [{"message_id": 1, "chat": {"id": chat, "type": "private"}}])[-1]
        server.press_button(person.user_id, message, str(case.payload), forged=True)
    else:
        body = dict(case.payload)  # type: ignore[arg-type]
        for key, value in body.items():
            if isinstance(value, str):  # an update kind with a text message in it
                value = {"text": "Bí mật"}
            if "question" not in value:
                value = {**value, "message_id": 1, "date": 1764550000,
                         "chat": {"id": chat, "type": "private", "first_name": "Ai"},
                         "from": {"id": person.user_id, "is_bot": False, "first_name": "Ai"}}
            body[key] = value
        server.inject_update(body)
    if case.answered:
        if case.kind == "button":
            await server.wait_for(lambda: len(server.answered_callbacks()) > answered, timeout=10)
        else:
            await server.wait_for(lambda: server.sent_count(chat) > before, timeout=10)
    else:  # silent: the next message in the same chat is answered, and it is the only answer
        server.send_text(person.user_id, "/huongdan", chat_id=chat, chat_type="supergroup" if chat < 0 else "private")
        await server.wait_for(lambda: any("chibo" in t or "/diemdanh" in t for t in server.texts(chat)[before:]),
                              timeout=10)  # the help text: the silent input before it was handled
        assert server.sent_count(chat) == before + 1, f"{case} was answered: {server.texts(chat)[before:]}"


async def test_fuzz_every_input_is_answered_or_rightly_ignored(scene: Scene, caplog):
    caplog.set_level(logging.INFO)
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ số 1", [(SEC, Role.BI_THU), (MEMBER, Role.DANG_VIEN),
                                                     ("Lê Văn Cường", Role.DANG_VIEN)])
    await scene.add_committee_member(committee, COMMITTEE_MEMBER)
    scene.people[STRANGER] = type(scene.who(SEC))(STRANGER, 99999)
    await scene.start_bot()
    await scene.link(SEC, MEMBER, COMMITTEE_MEMBER)
    scene.at(vn(2026, 12, 1, 19, 0))
    await scene.say(SEC, "/lichhop 2026-12-01 20:00")
    scene.at(vn(2026, 12, 1, 20, 0))
    await scene.say(SEC, "/batdau")
    failures = []
    for case in cases():
        errors = len(scene.server.errors)
        try:
            await play(scene, case)
        except AssertionError as exc:
            failures.append(f"{case}: {str(exc)[:200]}")
        rejected = [e for e in scene.server.errors[errors:] if e[1] != 429]
        if rejected:
            failures.append(f"{case}: the Bot API refused {rejected}")
        await scene.settle()
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert failures == []
    assert [f"{r.name}: {r.getMessage()}" for r in tracebacks] == []
