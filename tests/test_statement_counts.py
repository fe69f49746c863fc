"""Frequent requests are light: the database statements a check-in and other frequent requests
cost, counted on the running bot's own engine (SQLAlchemy ``before_cursor_execute``)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from conftest import DB_KINDS, vn
from sqlalchemy import event

from bot.scene import Scene
from storage.models import Role

SECRETARY, MEMBERS = "Nguyễn Văn An", ["Bùi Văn Ba", "Đinh Thị Tư", "Mai Văn Năm"]


class Statements(list):
    """The statements of the request's handling; ``intake`` holds the inbox's own bookkeeping apart (the
    update kept before it is acknowledged, marked handled with its answer, the answer marked sent)."""

    intake: list[str]


@contextmanager
def counted(scene: Scene):
    statements = Statements()
    statements.intake = []

    def count(conn, cursor, statement, parameters, context, executemany):
        line = " ".join(statement.split())
        if line.startswith(("SELECT outbox.", "SELECT planned_messages.")):  # the dispatcher's pass (Scene.settle)
            return
        if line.startswith(("INSERT INTO inbox", "UPDATE inbox")):
            statements.intake.append(line[:150])
        else:
            statements.append(line[:150])

    engine = scene.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_a_check_in_costs_six_statements_at_most(scene: Scene):
    committee = await scene.add_committee("Đảng ủy phường Hàng Bạc")
    await scene.add_cell(committee, "Chi bộ khu dân cư số 1",
                         [(SECRETARY, Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in MEMBERS])
    await scene.start_bot()
    await scene.link(SECRETARY, *MEMBERS)
    await scene.say(SECRETARY, "/lichhop 2026-12-05 19:30 Hội trường")
    scene.at(vn(2026, 12, 5, 19, 30))
    await scene.say(SECRETARY, "/batdau")
    scene.at(vn(2026, 12, 5, 19, 33))
    await scene.say(MEMBERS[0], "/diemdanh")  # the first request of a process warms its caches

    with counted(scene) as statements:
        reply = await scene.say(MEMBERS[1], "/diemdanh")
    assert "Đã điểm danh" in reply[0]
    # De-duplication (INSERT … ON CONFLICT), the actor (one SELECT with joins), the link's last-seen
    # UPDATE, the open meeting and the attendance row (one SELECT), the attendance and the audit INSERTs.
    assert len(statements) <= 6, "\n".join(statements)
    assert len(statements.intake) <= 3, "\n".join(statements.intake)

    with counted(scene) as statements:  # a button press is as light
        await scene.press(MEMBERS[2], scene.last_with_button(MEMBERS[2], "checkin:"),
                          scene.last_with_button(MEMBERS[2], "checkin:")["reply_markup"]["inline_keyboard"][0][0]
                          ["callback_data"])
    # A press names its meeting: the meeting by id, then the attendance row (one SELECT more).
    assert len(statements) <= 7, "\n".join(statements)
