"""Check-ins answered inside the bot's pace, ahead of a burst of reminders, with no 429.

The fake Bot API keeps Telegram's limits here (30 messages a second overall, about one a second per private
chat, 20 a minute per group) and answers 429 beyond them. A burst of reminders is queued; while it goes out,
thirty members check in (typed and by button): each is answered, before the reminders still queued, and the
platform never says 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.demo.scene import Scene
from core import outgoing
from core.clock import FakeClock
from fakeapi.telegram import FakeTelegramServer
from scheduler.delivery.pacing import Limits, Pacer
from storage.models import Attendance, OutboxMessage, Platform
from tests.conftest import DB_KINDS, vn

REMINDERS = 300  # ten seconds of the bot's whole pace
FIRST_CHAT = 7_700_000_000


class StampedServer(FakeTelegramServer):
    """The fake Bot API, keeping Telegram's limits, noting the order in which it accepted messages."""

    def __init__(self) -> None:
        super().__init__(enforce_limits=True)
        self.order: list[tuple[int, float]] = []  # (chat id, when accepted), in the order accepted

    def _deliver_bot_message(self, chat, content, params):
        message = super()._deliver_bot_message(chat, content, params)
        self.order.append((chat["id"], time.monotonic()))
        return message


@pytest.fixture
async def limited_scene(engine, settings) -> AsyncIterator[Scene]:
    server = StampedServer()
    await server.start()
    settings.telegram_api_url = server.root
    scene = Scene(server=server, settings=settings, clock=FakeClock(vn(2026, 12, 1, 8, 0)))
    yield scene
    await scene.close()
    await server.stop()


async def queue_reminders(scene: Scene, count: int, now) -> None:
    """A burst of reminders due now, as the planner writes them, to people of other cells."""
    async with scene.sessions()() as s, s.begin():
        await s.execute(insert(OutboxMessage), [
            dict(key=f"reminder:burst:{i}", kind="reminder", platform=Platform.TELEGRAM, chat_id=str(FIRST_CHAT + i),
                 member_id=None, meeting_id=None, payload={"text": f"Nhắc họp chi bộ {i}", "buttons": []},
                 priority=6, due_at=now, attempts=0, created_at=now) for i in range(count)])


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_check_ins_during_a_reminder_burst_are_answered_first_and_draw_no_429(limited_scene: Scene):
    scene = limited_scene
    server = scene.server
    assert isinstance(server, StampedServer)
    members = [f"Đảng Viên {i}" for i in range(1, 31)]
    await scene.meeting_in_progress("Bí Thư", members)
    prompt = scene.last_with_button(members[0], "checkin:")  # the check-in prompt sent when the meeting began
    await queue_reminders(scene, REMINDERS, scene.clock.now())
    runtime = scene.runtime
    assert runtime is not None
    before_429, accepted_before = server.http_429, len(server.order)
    assert before_429 == 0, [e for e in server.errors if e[1] == 429]
    runtime.dispatcher.wake()  # the burst starts going out at the bot's pace
    await server.wait_for(lambda: len(server.order) >= accepted_before + 60, timeout=10)

    # Thirty members check in at once: twenty type it, ten use the button under the prompt.
    checked_at = time.monotonic()
    answers_before = {name: server.sent_count(scene.who(name).chat_id) for name in members}
    for i, name in enumerate(members):
        person = scene.who(name)
        if i < 20:
            server.send_text(person.user_id, "/diemdanh", first_name=name.split()[-1])
        else:
            message = scene.last_with_button(name, "checkin:")
            data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                        if b.get("callback_data", "").startswith("checkin:"))
            server.press_button(person.user_id, message, data, first_name=name.split()[-1])
    await server.wait_for(lambda: all(server.sent_count(scene.who(n).chat_id) > answers_before[n] for n in members),
                          timeout=20)

    # Each was answered within a few seconds, while reminders were still waiting to go.
    member_chats = {scene.who(n).chat_id for n in members}
    answered = [(i, at) for i, (chat, at) in enumerate(server.order) if i >= accepted_before and chat in member_chats]
    last_answer, last_answer_at = answered[-1]
    reminders_at = [i for i, (chat, _) in enumerate(server.order) if chat >= FIRST_CHAT]
    assert len(reminders_at) < REMINDERS, "the burst had all gone before the answers: the test proves nothing"
    assert last_answer_at - checked_at < 5
    await server.wait_for(lambda: sum(chat >= FIRST_CHAT for chat, _ in server.order) >= REMINDERS, timeout=40)
    reminders_at = [i for i, (chat, _) in enumerate(server.order) if chat >= FIRST_CHAT]
    assert last_answer < reminders_at[-1]
    assert sum(i > last_answer for i in reminders_at) > REMINDERS // 3  # many reminders queued went after them
    assert server.http_429 == before_429, [e for e in server.errors if e[1] == 429]
    assert len(server.answered_callbacks()) >= 10  # every press acknowledged (answerCallbackQuery: no message)
    assert prompt is not None

    await scene.settle()  # the dispatcher's pass in hand marks its last rows sent
    async with scene.sessions()() as s:
        present = await s.scalar(select(func.count()).select_from(Attendance).where(Attendance.checked_in_at.is_not(None)))
        unsent = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None),
                                                                                     OutboxMessage.kind == "reminder"))
    assert present is not None and present >= 30
    assert unsent == 0


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_deferred_answer_goes_out_before_reminders_queued_earlier(limited_scene: Scene):
    """An answer that could not go at once (a 429, a time-out) waits in the outbox; it still goes ahead."""
    scene = limited_scene
    server = scene.server
    assert isinstance(server, StampedServer)
    await scene.meeting_in_progress("Bí Thư", ["Đảng Viên 1"])
    now = scene.clock.now()
    member = scene.who("Đảng Viên 1")
    # (The answer first: the dispatcher's own loop may claim between the two writes; the reminders are older.)
    await outgoing.defer_reply(scene.sessions(), platform=Platform.TELEGRAM, chat_id=str(member.chat_id),
                               update="tg:test", index=0, payload={"text": "Câu trả lời", "buttons": []},
                               due_at=now, now=now)
    await queue_reminders(scene, 120, now - timedelta(minutes=1))
    start, before_429 = len(server.order), server.http_429  # (a script types faster than people: not counted)
    runtime = scene.runtime
    assert runtime is not None
    runtime.dispatcher.wake()
    await server.wait_for(lambda: sum(chat >= FIRST_CHAT for chat, _ in server.order) >= 120, timeout=20)
    sent = [chat for chat, _ in server.order[start:]]
    assert member.chat_id in sent and sent.index(member.chat_id) < 30
    assert server.http_429 == before_429, [e for e in server.errors if e[1] == 429]


async def test_an_answer_waiting_for_a_group_holds_no_other_answer_and_answers_go_ahead_of_the_outbox():
    pacer = Pacer(Limits(per_second=2, burst=2, per_group_per_minute=1, per_group_burst=1))
    async with pacer.slot("-100", is_group=True, urgent=True):  # the group's one message this minute
        pass
    waiting_group = asyncio.create_task(_take_slot(pacer, "-100", True, True))  # its next: in a minute
    await asyncio.sleep(0.05)
    order: list[str] = []
    reminders = [asyncio.create_task(_take_slot(pacer, f"{i}", False, False, order, f"reminder {i}")) for i in range(4)]
    await asyncio.sleep(0)
    answer = asyncio.create_task(_take_slot(pacer, "42", False, True, order, "answer"))
    await asyncio.wait_for(answer, 2.0)  # not held by the group's answer waiting out its minute
    assert not waiting_group.done()
    assert order.index("answer") <= 2  # at most the window's turn behind the reminders already let go
    waiting_group.cancel()
    for task in reminders:
        task.cancel()
    await asyncio.gather(waiting_group, *reminders, return_exceptions=True)


async def _take_slot(pacer, chat_id: str, is_group: bool, urgent: bool, order: list[str] | None = None,
                     name: str = "") -> None:
    async with pacer.slot(chat_id, is_group, urgent=urgent):
        if order is not None:
            order.append(name)


async def test_a_burst_of_direct_answers_holds_the_chats_next_reminder_one_turn_only():
    """A person who types fast gets each answer at once; the reminder for the same chat then waits one turn of
    the chat's pace (one a second), not a second for every answer of the burst."""
    pacer = Pacer(Limits(per_second=100, burst=100, per_chat_per_second=1, per_chat_burst=3))
    for _ in range(12):
        async with pacer.slot("42", direct=True):
            pass
    start = time.monotonic()
    await asyncio.wait_for(_take_slot(pacer, "42", False, False), 3.0)
    assert time.monotonic() - start < 1.5
