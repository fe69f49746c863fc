"""Frequent requests are light: the database statements a check-in and other frequent requests
cost, counted on the running bot's own engine (SQLAlchemy ``before_cursor_execute``)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from bot.demo.scene import Scene
from core.messages import Request
from handlers import router
from storage.models import Attendance, InboxUpdate, Role
from tests.conftest import DB_KINDS, vn

SECRETARY, MEMBERS = "Nguyễn Văn An", ["Bùi Văn Ba", "Đinh Thị Tư", "Mai Văn Năm"]


class Statements(list):
    """The statements of the request's handling (its transaction, from reading the actor to marking the
    update handled); ``intake`` holds the inbox's bookkeeping outside it apart (the update kept before it is
    acknowledged, its answer marked sent) and ``behind`` what is written behind the requests (when each
    chat was last seen, ``storage.last_seen``)."""

    intake: list[str]
    behind: list[str]


@contextmanager
def counted(scene: Scene):
    statements = Statements()
    statements.intake, statements.behind = [], []

    def count(conn, cursor, statement, parameters, context, executemany):
        line = " ".join(statement.split())
        if line.startswith(("SELECT outbox.", "SELECT planned_messages.")):  # the dispatcher's pass (Scene.settle)
            return
        if line.startswith("SELECT inbox.") and "inbox.claimed_until <" in line:  # the intake's maintenance pass
            return  # (every 3 s, storage.inbox.reclaim/unreplied): on a busy machine it falls inside a request
        if line.startswith("INSERT INTO inbox") or (line.startswith("UPDATE inbox") and "replied_at" in line):
            statements.intake.append(line[:150])
        elif line.startswith("UPDATE chat_links SET last_seen_at"):
            statements.behind.append(line[:150])
        else:
            statements.append(line)

    engine = scene.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_check_in_costs_three_statements(scene: Scene):
    await scene.meeting_in_progress(SECRETARY, MEMBERS)
    await scene.say(MEMBERS[0], "/diemdanh")  # the first request of a process warms its caches

    with counted(scene) as statements:
        reply = await scene.say(MEMBERS[1], "/diemdanh")
    assert "Đã điểm danh" in reply[0]
    # The actor with the meeting in progress and their attendance row (one SELECT with joins), the
    # attendance INSERT, and the inbox's handled mark (the de-duplication, with the answer to send).
    assert len(statements) == 3, "\n".join(line[:150] for line in statements)
    assert statements[0].startswith("SELECT chat_links.") and "JOIN meetings" in statements[0], statements[0][:150]
    assert statements[1].startswith("INSERT INTO attendance"), statements[1]
    assert statements[2].startswith("UPDATE inbox SET handled_at"), statements[2]
    assert len(statements.intake) <= 2, "\n".join(statements.intake)  # kept; answer marked sent
    assert len(statements.behind) <= 1  # one executemany for every chat heard from since the last one

    with counted(scene) as statements:  # a button press is as light
        await scene.press(MEMBERS[2], scene.last_with_button(MEMBERS[2], "checkin:"),
                          scene.last_with_button(MEMBERS[2], "checkin:")["reply_markup"]["inline_keyboard"][0][0]
                          ["callback_data"])
    # A press names its meeting: it is loaded with the actor, by id.
    assert len(statements) == 3, "\n".join(line[:150] for line in statements)

    with counted(scene) as statements:  # a second check-in: read, mark, nothing written
        reply = await scene.say(MEMBERS[1], "/diemdanh")
    assert "đã điểm danh" in reply[0].lower()
    assert len(statements) == 2, "\n".join(line[:150] for line in statements)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_the_same_update_delivered_twice_is_handled_once(scene: Scene):
    """The inbox's handled mark is the de-duplication: a second request for an update already handled (a
    row taken again after its lease ran out, another process) writes nothing and answers nothing."""
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [(SECRETARY, Role.BI_THU), (MEMBERS[0], Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link(SECRETARY, MEMBERS[0])
    await scene.say(SECRETARY, "/lichhop 2026-12-05 19:30 Hội trường")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SECRETARY, "/batdau")
    await scene.say(MEMBERS[0], "/diemdanh")
    async with scene.sessions()() as session:
        kept = (await session.scalars(select(InboxUpdate).order_by(InboxUpdate.id.desc()))).first()
        before = await session.scalar(select(func.count()).select_from(Attendance))
    assert kept is not None and kept.handled_at is not None
    req = Request(platform=kept.platform, update_key=kept.update_key, user_id=str(scene.who(MEMBERS[0]).user_id),
                  chat_id=str(scene.who(MEMBERS[0]).chat_id), command="checkin", args="", raw_command="/diemdanh")
    again = await router.handle(scene.runtime.services, req)
    assert again.duplicate and not again.replies
    async with scene.sessions()() as session:
        assert await session.scalar(select(func.count()).select_from(Attendance)) == before
