"""The roll-call in a cell's Telegram group: one message, edited as members check in, within the group's limit.

Ten members press the check-in button in the group within a minute. The group gets one roll-call message,
edited as they come (at most one edit every few seconds, the last state always shown), not one message each;
each press is acknowledged by its toast. The fake Bot API keeps Telegram's limits (edits count in a group's
20 a minute) and never answers 429. A restart in the middle edits the same message.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.demo.scene import Scene
from core import outgoing
from storage.models import Attendance, Meeting, OutboxMessage, Role
from storage.outbox import ask_again
from tests.conftest import DB_KINDS, vn

GROUP = -100900800
ODD_NAME = "Lê <Văn> & Tú"  # a name that is not HTML: escaped in the roll-call
MEMBERS = [f"Đảng Viên {i}" for i in range(1, 10)] + [ODD_NAME]


async def cell_with_group(scene: Scene, members: list[str]) -> dict:
    """A cell whose secretary linked its Telegram group, its meeting of 2 Dec 2026 begun at 19:30 (the clock
    then at 19:33); returns the check-in prompt posted in the group."""
    committee = await scene.add_committee("Đảng ủy phường")
    await scene.add_cell(committee, "Chi bộ 5", [("Bí Thư", Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in members])
    await scene.start_bot()
    await scene.link("Bí Thư", *members)
    code = (await scene.say("Bí Thư", "/lienket"))[0].split("Mã liên kết nhóm: ")[1].split(" ")[0]
    assert "Đã liên kết nhóm" in (await scene.say("Bí Thư", f"/lienket {code}", chat_id=GROUP,
                                                  chat_type="supergroup"))[0]
    await scene.say("Bí Thư", "/lichhop 2026-12-02 19:30")
    scene.at(vn(2026, 12, 2, 19, 30))
    await scene.say("Bí Thư", "/batdau")
    scene.at(vn(2026, 12, 2, 19, 33))
    return [m for m in scene.server.sent_messages(GROUP) if m.get("reply_markup")][-1]


def checkin_data(message: dict) -> str:
    return next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                if b.get("callback_data", "").startswith("checkin:"))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_ten_check_ins_in_the_group_edit_one_roll_call_within_the_limit_across_a_restart(scene: Scene):
    server = scene.server
    prompt = await cell_with_group(scene, MEMBERS)
    server.enforce_limits = True  # Telegram's flood control from here: 20 a minute in the group, edits counted
    data = checkin_data(prompt)
    before = server.sent_count(GROUP)

    roll_call_id = None
    for i, name in enumerate(MEMBERS):
        if i == 5:  # chibo restarts in the middle: the roll-call keeps its message
            await scene.stop_bot()
            await scene.start_bot()
        scene.clock.advance(seconds=4)  # ten presses in forty seconds
        answer = await scene.press(name, prompt, data)
        assert "Đã điểm danh" in answer["text"]  # the press's own toast (answerCallbackQuery: no message)
        assert server.sent_count(GROUP) == before + 1, server.texts(GROUP)[before:]  # one roll-call, not one each
        shown = server.sent_messages(GROUP)[-1]
        roll_call_id = roll_call_id or shown["message_id"]
        assert shown["message_id"] == roll_call_id
    scene.clock.advance(seconds=outgoing.ROLL_CALL.edit_every)  # the last edit falls due
    await scene.settle()

    final = server.sent_messages(GROUP)[-1]
    assert final["message_id"] == roll_call_id and server.sent_count(GROUP) == before + 1
    assert "Có mặt 11/11" in final["text"], final["text"]  # the secretary and the ten
    for name in MEMBERS:
        assert name in final["text"]
    assert checkin_data(final)  # the button stays under it while the meeting goes on
    edits = [c for c in server.calls("editMessageText") if int(c["chat_id"]) == GROUP]
    assert "Lê &lt;Văn&gt; &amp; Tú" in edits[-1]["text"]  # escaped as it was sent (the fake rejects a bare &)
    # Coalesced: fewer edits than presses, and the group's minute never full; never a 429.
    assert 2 <= server.edit_count(GROUP) < len(MEMBERS)
    assert server.sent_count(GROUP) + server.edit_count(GROUP) <= 20
    assert server.http_429 == 0, [e for e in server.errors if e[1] == 429]
    # No edit that would find the message as it is already ("message is not modified": a check-in whose state
    # the previous edit already showed, e.g. one taken again after the restart): chibo compares before editing.
    assert not [e for e in server.errors if e[0] != "getUpdates"], server.errors
    async with scene.sessions()() as s:
        assert await s.scalar(select(func.count()).select_from(Attendance)
                              .where(Attendance.checked_in_at.is_not(None))) == 11
        rows = list(await s.scalars(select(OutboxMessage).where(OutboxMessage.kind == outgoing.ROLL_CALL.kind)))
    assert len(rows) == 1 and rows[0].sent_at is not None and rows[0].payload["edit"] == str(roll_call_id)

    # The meeting ends: the roll-call's last edit says so and takes the button away.
    scene.at(vn(2026, 12, 2, 21, 30))
    await scene.say("Bí Thư", "/ketthuc", expect=0)
    await scene.settle()
    ended = server.sent_messages(GROUP)[-1]
    assert ended["message_id"] == roll_call_id and "kết thúc" in ended["text"] and not ended.get("reply_markup")


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_check_in_typed_in_the_group_is_answered_by_the_roll_call_and_a_private_one_as_before(scene: Scene):
    server = scene.server
    await cell_with_group(scene, ["Nguyễn Văn An", "Trần Thị Bình", "Phạm Văn Cường"])
    before = server.sent_count(GROUP)
    scene.clock.advance(seconds=20)
    new = await scene.say("Nguyễn Văn An", "/diemdanh", chat_id=GROUP, chat_type="supergroup")
    assert len(new) == 1 and new[0].startswith("📋"), new  # the roll-call itself, no answer of its own
    assert "Có mặt 2/4" in new[0] and "Nguyễn Văn An" in new[0]
    private = await scene.say("Trần Thị Bình", "/diemdanh")  # in private: her confirmation, as before
    assert "Đã điểm danh đồng chí Trần Thị Bình" in private[0]
    again = await scene.say("Nguyễn Văn An", "/diemdanh", chat_id=GROUP, chat_type="supergroup")
    assert "đã điểm danh lúc" in again[0]  # what is not a check-in is still answered
    scene.clock.advance(seconds=outgoing.ROLL_CALL.edit_every)
    await scene.settle()
    assert server.sent_count(GROUP) == before + 2  # the roll-call, and the answer to the second try
    roll_call = next(m for m in server.sent_messages(GROUP)[before:] if m["text"].startswith("📋"))
    assert "Có mặt 3/4" in roll_call["text"] and "Trần Thị Bình" in roll_call["text"]
    assert "chưa điểm danh: 1" in roll_call["text"]
    # Asked again with nothing changed: no request at all (Telegram would answer "message is not modified" and
    # count it), and the row stays sent.
    edits = server.edit_count(GROUP)
    async with scene.sessions()() as s, s.begin():
        key = outgoing.ROLL_CALL.key_for(meeting=await s.scalar(select(Meeting.id)), to=f"group:{GROUP}")
        assert await ask_again(s, key, now=scene.clock.now(), gap=timedelta(0))
    await scene.settle()
    assert server.edit_count(GROUP) == edits and not [e for e in server.errors if "not modified" in e[2]]
    async with scene.sessions()() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == outgoing.ROLL_CALL.kind))
    assert row is not None and row.sent_at is not None and row.failed_at is None
    # Should Telegram answer "not modified" all the same (the edit went, and the process died before keeping what
    # the message shows), that is no error: the row is sent.
    async with scene.sessions()() as s, s.begin():
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == outgoing.ROLL_CALL.kind))
        row.payload = dict(row.payload, text="📋 (as before the edit)")
        assert await ask_again(s, key, now=scene.clock.now(), gap=timedelta(0))
    await scene.settle()
    assert any(e[0] == "editMessageText" and "not modified" in e[2] for e in server.errors)
    async with scene.sessions()() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == outgoing.ROLL_CALL.kind))
    assert row is not None and row.sent_at is not None and row.failed_at is None

    # Someone deleted the roll-call in the group: the next check-in posts it again, and that one is edited on.
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        deleted = await http.post(f"{server.root}/bot{server.token}/deleteMessage",
                                  json={"chat_id": GROUP, "message_id": roll_call["message_id"]})
    assert deleted.json()["ok"]
    count = server.sent_count(GROUP)
    scene.clock.advance(seconds=outgoing.ROLL_CALL.edit_every)
    await scene.say("Phạm Văn Cường", "/diemdanh")
    again_posted = [m for m in server.sent_messages(GROUP) if m["text"].startswith("📋")]
    assert server.sent_count(GROUP) == count + 1 and len(again_posted) == 1
    assert "Có mặt 4/4" in again_posted[0]["text"] and again_posted[0]["message_id"] != roll_call["message_id"]
    async with scene.sessions()() as s:
        row = await s.scalar(select(OutboxMessage).where(OutboxMessage.kind == outgoing.ROLL_CALL.kind))
    assert row is not None and row.payload["edit"] == str(again_posted[0]["message_id"])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_roll_call_is_in_english_where_chibo_speaks_english(scene: Scene):
    server = scene.server
    prompt = await cell_with_group(scene, ["Nguyen Van An"])
    scene.settings.language = "en"
    await scene.press("Nguyen Van An", prompt, checkin_data(prompt))
    roll_call = server.sent_messages(GROUP)[-1]
    assert roll_call["text"].startswith("📋 Roll-call") and "Present 2/2" in roll_call["text"], roll_call["text"]
