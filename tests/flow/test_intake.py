"""Nothing the platform considers delivered is lost, and nobody waits behind someone else.

The crash tests kill -9 a real ``chibo run`` process (polling, and webhook) during a burst of
check-ins against the fake Bot API, start another, and count what every member got."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from benchmarks import common
from benchmarks.common import until
from bot.demo.scene import Scene
from bot.platforms import WebhookOptions
from bot.platforms.telegram.registration import webhook_secret
from bot.runtime.runner import Runtime
from fakeapi._server import ApiError
from storage.models import (
    Attendance,
    AttendanceStatus,
    Cell,
    ChatLink,
    Committee,
    InboxUpdate,
    Meeting,
    MeetingKind,
    Member,
    MemberStatus,
    Platform,
    Role,
)
from tests.conftest import DB_KINDS, SMALL_CELL, free_port, linked_cell, vn
from tests.support.timing import AT_ONCE

MEMBERS = 60
IN_FLIGHT = 8  # answered updates not yet marked sent, at most (bot.runtime.intake.UNMARKED_AT_ONCE): what a kill -9 may send again


async def open_meeting_with_linked_members(scene: Scene, n: int) -> list[int]:
    """A cell whose meeting began a minute ago (real time: the subprocess has the system clock), and
    ``n`` members linked on Telegram; returns their Telegram user ids."""
    now = datetime.now(UTC)
    async with scene.sessions()() as s, s.begin():
        committee = Committee(name="Đảng ủy", created_at=now)
        s.add(committee)
        await s.flush()
        cell = Cell(committee_id=committee.id, name="Chi bộ đông", created_at=now)
        s.add(cell)
        await s.flush()
        users = []
        for i in range(n):
            member = Member(cell_id=cell.id, full_name=f"Đảng Viên {i:03d}", role=Role.BI_THU if i == 0 else Role.DANG_VIEN,
                            status=MemberStatus.CHINH_THUC, active_from=now.date() - timedelta(days=30), created_at=now)
            s.add(member)
            await s.flush()
            user = 50_000 + i
            s.add(ChatLink(platform=Platform.TELEGRAM, platform_user_id=str(user), chat_id=str(user), member_id=member.id,
                           linked_at=now))
            users.append(user)
        s.add(Meeting(cell_id=cell.id, kind=MeetingKind.THUONG_KY, period=now.strftime("%Y-%m"),
                      scheduled_at=now - timedelta(minutes=1), started_at=now - timedelta(minutes=1), created_at=now))
    return users


async def start_chibo(scene: Scene, workdir: Path, *args: str) -> asyncio.subprocess.Process:
    return await common.start_chibo(scene.settings.database_url, scene.server.root, scene.settings.token_value(),
                                    workdir, *args, CHIBO_QUIET_HOURS="off")


async def checkins(scene: Scene) -> int:
    async with scene.sessions()() as s:
        return await s.scalar(select(func.count()).select_from(Attendance).where(
            Attendance.status.in_([AttendanceStatus.PRESENT, AttendanceStatus.LATE])))


async def crash_during_a_burst(scene: Scene, tmp_path: Path, *args: str, ready) -> None:
    users = await open_meeting_with_linked_members(scene, MEMBERS)
    server = scene.server

    gate, state = asyncio.Event(), {"epoch": 0}

    async def held_send(params):  # answers wait until the kill: handled updates are left unanswered
        epoch = state["epoch"]
        await gate.wait()
        if epoch != state["epoch"]:
            raise ApiError(502, "Bad Gateway")  # its process is gone
        return server._send_message(params)

    server.register_method("sendMessage", held_send)
    proc = await start_chibo(scene, tmp_path, *args)
    try:
        assert await until(lambda: ready() or proc.returncode is not None, 60), "chibo run did not start"
        assert proc.returncode is None, (tmp_path / "chibo.log")
        for user in users:  # the burst: every member checks in and asks for help
            server.send_text(user, "/diemdanh", first_name="ĐV")
            server.send_text(user, "/huongdan", first_name="ĐV")
        total = 2 * len(users)
        # Kill it once every update was delivered (so the platform will not send them again) and some
        # were handled (their answers are held): the rest must come from the inbox after the restart.
        deadline = time.monotonic() + 60
        while (server._pending or await checkins(scene) < 10) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not server._pending and await checkins(scene) >= 10
        handled_before = await checkins(scene)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        state["epoch"] += 1
        gate.set()
        assert server.sent_count() == 0 and handled_before < len(users) + 1
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    proc = await start_chibo(scene, tmp_path, *args)
    try:
        assert await until(lambda: all(server.sent_count(u) >= 2 for u in users), 180), \
            f"only {sum(min(server.sent_count(u), 2) for u in users)} of {total} answered after the restart"
        await asyncio.sleep(1.0)
        assert await checkins(scene) == len(users)  # each check-in stored once
        for user in users:  # every update answered once: none lost, none twice
            texts = server.texts(user)
            assert len(texts) == 2, texts
            assert sum("/diemdanh" in t for t in texts) == 1 and not any("bận" in t for t in texts), texts
        async with scene.sessions()() as s:
            assert await s.scalar(select(func.count()).select_from(InboxUpdate)
                                  .where(InboxUpdate.handled_at.is_(None))) == 0
    finally:
        await common.stop_chibo(proc)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_kill_9_during_a_burst_loses_nothing_polling(scene: Scene, tmp_path):
    # its health port too: the default 8443 may be any other chibo's on this machine
    await crash_during_a_burst(scene, tmp_path, "--http-port", str(free_port()),
                               ready=lambda: bool(scene.server.calls("getUpdates")))


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_kill_9_during_a_burst_loses_nothing_webhook(scene: Scene, tmp_path, port):
    await crash_during_a_burst(scene, tmp_path, "--webhook", f"http://127.0.0.1:{port}", "--port", str(port),
                               ready=lambda: bool(scene.server.calls("setWebhook")))


# --- nobody waits ------------------------------------------------------------------------------------

@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
@pytest.mark.real_pace  # a 429's 20 seconds must not hold anyone else: in real seconds, or a tenth would pass
async def test_another_member_is_answered_at_once_while_one_chat_is_in_a_429(scene: Scene, cell):
    slow = scene.who("Đảng Viên A")
    scene.server.fail_next("sendMessage", status=429, retry_after=20, times=1, chat_id=slow.chat_id)
    scene.server.send_text(slow.user_id, "/lichhop 2026-12-05 19:30", first_name="A")  # not a leader: an answer
    await until(lambda: bool(scene.server.errors), 5)
    began = time.monotonic()
    reply = await scene.say("Đảng Viên B", "/huongdan", timeout=5)
    assert time.monotonic() - began < AT_ONCE and "/diemdanh" in reply[0]
    # The answer that could not go is not dropped: it goes through the outbox once the 429 is over.
    assert not any("dành cho bí thư" in t for t in scene.server.texts(slow.chat_id))
    scene.at(vn(2026, 12, 1, 8, 0, 21))
    await scene.settle()
    assert "dành cho bí thư" in scene.server.texts(slow.chat_id)[-1]


@pytest.mark.real_pace  # "at once" against the real pace of the guesser's forty answers
@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_another_member_is_answered_at_once_during_40_guesses(scene: Scene, cell):
    # 40 wrong invite codes from one account are handled one after the other, in that chat's own queue; a
    # member's question sent right after them does not wait behind them: it is answered before the guesser's
    # last answer goes out (held behind the burst, it would come after all forty), and at once.
    guesser, member = 777, scene.who("Đảng Viên B")
    before = scene.server.sent_count(member.chat_id)
    for n in range(40):
        scene.server.send_text(guesser, f"/start ZZZZ{n % 8 + 2}ABC", first_name="Kẻ Đoán")
    began = time.monotonic()
    scene.server.send_text(member.user_id, "/huongdan", chat_id=member.chat_id, first_name="B")
    await scene.server.wait_for(lambda: scene.server.sent_count(member.chat_id) > before, timeout=10)
    assert time.monotonic() - began < AT_ONCE
    await scene.server.wait_for(lambda: scene.server.sent_count(guesser) >= 40, timeout=90)  # every guess answered
    order = [m["chat"]["id"] for m in scene.server.sent_messages() if m["chat"]["id"] in (guesser, member.chat_id)]
    answer = [i for i, chat in enumerate(order) if chat == member.chat_id][before]
    last_guess = max(i for i, chat in enumerate(order) if chat == guesser)
    assert answer < last_guess, order
    assert "/diemdanh" in scene.server.texts(member.chat_id)[before]


async def test_a_reply_that_cannot_go_now_goes_later_through_the_outbox(scene: Scene, cell):
    member = scene.who("Đảng Viên A")
    scene.at(vn(2026, 12, 5, 19, 0))
    await scene.say("Bí Thư", "/lichhop 2026-12-05 19:30")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say("Bí Thư", "/batdau")
    await scene.settle()
    before = scene.server.sent_count(member.chat_id)
    scene.server.fail_next("sendMessage", status=502, times=2, chat_id=member.chat_id)
    scene.server.send_text(member.user_id, "/diemdanh", first_name="A")
    await until(lambda: len([e for e in scene.server.errors if e[1] == 502]) >= 2, 10)
    await asyncio.sleep(1.5)
    assert await checkins(scene) == 2  # the secretary and the member: the action is committed
    scene.at(vn(2026, 12, 5, 19, 31))
    await scene.settle()
    await scene.server.wait_for(lambda: scene.server.sent_count(member.chat_id) > before, timeout=10)
    assert any("điểm danh" in t.lower() for t in scene.server.texts(member.chat_id)[before:])


# --- webhook bodies and outages ------------------------------------------------------------------------

async def test_bad_webhook_bodies_with_the_right_secret_answer_400_without_a_traceback(scene: Scene, cell, caplog, port):
    await scene.stop_bot()
    scene.runtime = Runtime(settings=scene.settings, clock=scene.clock, pace=scene.pace,
                            webhook=WebhookOptions(url=f"http://127.0.0.1:{port}", listen="127.0.0.1", port=port))
    await scene.runtime.start()
    headers = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(scene.settings), "Content-Type": "application/json"}
    deep = '{"update_id": 9, "message": ' + '{"reply_to_message": ' * 5000 + "{}" + "}" * 5001
    bodies = ["null", "[]", "{}", '{"update_id": "x"}', '{"update_id": true}', '{"update_id": -4}', "1", '"text"',
              '{"update_id": 8, "message": "hello"}', '{"update_id": 8, "message": {"chat": 5}}', deep, "[" * 100000,
              "{not json", b"\xff\xfe".decode("latin-1")]
    async with httpx.AsyncClient() as client:
        for body in bodies:
            answer = await client.post(f"http://127.0.0.1:{port}/telegram", content=body.encode(), headers=headers)
            assert answer.status_code == 400, body[:40]
    assert "Traceback" not in caplog.text and not [r for r in caplog.records if r.exc_info]
    reply = await scene.say("Đảng Viên B", "/huongdan")  # still serving
    assert "/diemdanh" in reply[0]


async def test_a_database_outage_is_logged_once_and_nothing_is_lost(scene: Scene, caplog):
    caplog.set_level(logging.INFO)
    await linked_cell(scene, SMALL_CELL)
    async with scene.sessions()() as s, s.begin():
        await s.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
    member = scene.who("Đảng Viên A")
    before = scene.server.sent_count(member.chat_id)
    scene.server.send_text(member.user_id, "/huongdan", first_name="A")
    await asyncio.sleep(4.0)
    assert scene.server.sent_count(member.chat_id) == before  # not acknowledged, so not lost
    outage = [r for r in caplog.records if "unreachable" in r.getMessage() or "polling Telegram failed" in r.getMessage()]
    assert 1 <= len(outage) <= 2, [r.getMessage() for r in outage]
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith(("bot", "handlers", "scheduler"))]
    async with scene.sessions()() as s, s.begin():
        await s.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    await scene.server.wait_for(lambda: scene.server.sent_count(member.chat_id) > before, timeout=40)
    assert "/diemdanh" in scene.server.texts(member.chat_id)[-1]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_kill_9_while_answers_go_resends_at_most_those_in_flight(scene: Scene, tmp_path, mode, db_url):
    """Answers flow during the burst (none held): after the kill, only the answers in flight may go again
    (the README's bound), not the answers sent in the last tens of milliseconds before it."""
    from benchmarks.kill_burst import measure

    users = await open_meeting_with_linked_members(scene, MEMBERS)
    args: tuple[str, ...] = ()
    ready = None
    if mode == "webhook":
        port = free_port()
        args = ("--webhook", f"http://127.0.0.1:{port}", "--port", str(port))
        ready = lambda: bool(scene.server.calls("setWebhook"))
    figures = await measure(scene.settings.database_url, scene.server, scene.settings.token_value(), users,
                            tmp_path, *args, ready=ready, kill_after=30)
    assert figures["complete"] and figures["lost"] == 0, figures
    assert await checkins(scene) == len(users)
    assert figures["sent_again"] <= IN_FLIGHT, figures


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("after", [1, 20])
async def test_sigterm_right_after_a_batch_logs_no_traceback(scene: Scene, tmp_path, mode, after):
    """SIGTERM as the first answers of a burst go (and the start-up jobs still run): chibo stops with one
    line per job cut short, no CancelledError traceback (APScheduler logged one at ERROR for each)."""
    users = await open_meeting_with_linked_members(scene, MEMBERS)
    server = scene.server
    if mode == "webhook":
        port = free_port()
        proc = await start_chibo(scene, tmp_path, "--webhook", f"http://127.0.0.1:{port}", "--port", str(port))
        ready = lambda: bool(server.calls("setWebhook"))
    else:
        proc = await start_chibo(scene, tmp_path, "--http-port", "0")
        ready = lambda: bool(server.calls("getUpdates"))
    try:
        assert await until(lambda: ready() or proc.returncode is not None, 60)
        for user in users:
            server.send_text(user, "/diemdanh", first_name="ĐV")
            server.send_text(user, "/huongdan", first_name="ĐV")
        await until(lambda: server.sent_count() >= after, 60)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = "\n".join(f.read_text(errors="replace") for f in tmp_path.glob("chibo-*.log"))
    assert proc.returncode == 0, log
    assert "Traceback" not in log and "CancelledError" not in log, log
