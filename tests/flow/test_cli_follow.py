"""``chibo committee follow``: the operator assigns a committee member to follow cells."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import AuditLog, Cell, CellFollower, Committee
from tests.flow.test_cli import Cli, cell, cli, migrated_sqlite, ready  # noqa: F401  (fixtures)


def test_follow_cells_list_them_and_stop(ready: Cli, cell):  # noqa: F811
    person = ready.json("committee", "invite", "1", "--name", "Lê Văn Cấp")["committee_member_id"]

    async def more_cells(s):
        other = Committee(name="Đảng ủy khác", created_at=datetime.now(UTC))
        s.add_all([Cell(committee_id=1, name="Chi bộ số 2", created_at=datetime.now(UTC)),
                   Cell(committee=other, name="Chi bộ ngoài", created_at=datetime.now(UTC))])

    ready.db(more_cells)
    out = ready.json("committee", "follow", str(person), "1", "Chi bộ số 2")
    assert out == {"committee_member_id": person, "cells": [{"id": 1, "name": "Chi bộ số 1"}, {"id": 2, "name": "Chi bộ số 2"}]}
    assert ready.json("committee", "follow", str(person), "1")["cells"] == out["cells"]  # twice: no duplicate
    assert "follows 2 cells" in ready("committee", "follow", str(person), "2").stdout
    refused = ready("committee", "follow", str(person), "Chi bộ ngoài", ok=False)
    assert "another committee" in refused.stderr and "#3 Chi bộ ngoài" in refused.stderr
    assert "no such cell" in ready("committee", "follow", str(person), "99", ok=False).stderr
    assert "unknown person" in ready("committee", "follow", "42", "1", ok=False).stderr
    assert ready.json("committee", "follow", str(person), "1", "--stop")["cells"] == [{"id": 2, "name": "Chi bộ số 2"}]
    rows = ready.db(lambda s: s.scalars(select(CellFollower.cell_id)))
    assert list(rows) == [2]
    actions = ready.db(lambda s: s.scalars(select(AuditLog.action).where(AuditLog.entity == "committee_member")))
    assert list(actions) == ["follow", "follow", "follow", "unfollow"]
