"""``chibo committee move ID --parent ID`` and ``chibo committee tree``: the tree of committees."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import JsonOpt, emit, fail, now, with_db
from core.settings import Settings
from storage.committees import TreeError, set_parent
from storage.models import AuditLog, Cell, Committee


def register(committee_app: typer.Typer) -> None:
    """Add ``chibo committee move`` and ``chibo committee tree`` to ``committee_app``."""
    committee_app.command("move")(committee_move)
    committee_app.command("tree")(committee_tree)


def committee_move(
    committee_id: int,
    parent: Annotated[int | None, typer.Option(help="ID đảng ủy cấp trên mới, ví dụ --parent 1 / the new committee "
                                                    "above")] = None,
    top: Annotated[bool, typer.Option("--top", help="Không còn cấp trên / no committee above")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Chuyển đảng ủy sang dưới đảng ủy khác / put a committee under another (its cells go with it)."""
    if (parent is None) == (not top):
        fail("Cho biết cấp trên mới: --parent ID (ví dụ --parent 1) hoặc --top / give --parent ID or --top.")

    async def work(session: AsyncSession, settings: Settings) -> Committee:
        committee = await session.get(Committee, committee_id)
        if committee is None:
            fail(f"Không có đảng ủy #{committee_id}; xem: chibo committee tree / no committee #{committee_id}.")
        before = committee.parent_id
        try:
            await set_parent(session, committee, None if top else parent)
        except TreeError as exc:
            fail(f"Không chuyển được / not moved: {exc}. Xem cây: chibo committee tree / see the tree.")
        session.add(AuditLog(actor="operator", action="move", entity="committee", entity_id=committee.id,
                             before={"parent_id": before}, after={"parent_id": committee.parent_id}, at=now()))
        return committee

    c = with_db(work)
    where = f"dưới đảng ủy #{c.parent_id} / under #{c.parent_id}" if c.parent_id is not None else "cấp cao nhất / at the top"
    emit(as_json, {"id": c.id, "name": c.name, "parent_id": c.parent_id}, f"Đảng ủy #{c.id} {c.name}: {where}")


def committee_tree(as_json: JsonOpt = False) -> None:
    """Cây đảng ủy và số chi bộ trực thuộc / the tree of committees, with their own cells."""

    async def work(session: AsyncSession, settings: Settings):
        rows = list(await session.scalars(select(Committee).order_by(Committee.id)))
        cells = dict((await session.execute(select(Cell.committee_id, func.count()).group_by(Cell.committee_id))).all())
        return [(c.id, c.name, c.parent_id, cells.get(c.id, 0)) for c in rows]

    rows = with_db(work)
    below: dict[int | None, list[tuple[int, str, int | None, int]]] = {}
    known = {row[0] for row in rows}
    for row in rows:
        below.setdefault(row[2] if row[2] in known else None, []).append(row)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for committee_id, name, _, count in below.get(parent, []):
            lines.append(f"{'  ' * depth}#{committee_id} {name} ({count} chi bộ / cells)")
            walk(committee_id, depth + 1)

    walk(None, 0)
    emit(as_json, [{"id": i, "name": n, "parent_id": p, "cells": c} for i, n, p, c in rows],
         "\n".join(lines) or "Chưa có đảng ủy; thêm: chibo committee add TÊN / no committee yet.")
