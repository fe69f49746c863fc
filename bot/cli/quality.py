"""``chibo committee quality``: a committee's own weights of the meeting quality criteria.

Provinces score meetings differently (docs/quy-dinh.md): a committee may replace chibo's default weights
(``rules.quality.CRITERIA``, with their sources) as long as they still add up to 100.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import JsonOpt, emit, fail, now, with_db
from core.settings import Settings
from rules import quality
from storage.committees import chain, inherited_from
from storage.models import AuditLog, Committee


def register(committee_app: typer.Typer) -> None:
    """Add ``chibo committee quality`` to ``committee_app``."""
    committee_app.command("quality")(committee_quality)


def committee_quality(
    committee: int,
    weight: Annotated[list[str] | None, typer.Option(
        "--set", help="TIÊU_CHÍ=ĐIỂM, ví dụ attendance=15 (lặp lại được) / criterion=points, repeatable")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Trở về trọng số mặc định / back to the defaults")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Xem hoặc đặt trọng số đánh giá chất lượng sinh hoạt / see or set the quality weights."""
    changes: dict[str, int] = {}
    for item in weight or []:
        key, _, value = item.partition("=")
        if key.strip() not in quality.CRITERIA_BY_KEY or not value.strip().isdigit():
            fail(f"Sai: {item!r}. Viết TIÊU_CHÍ=ĐIỂM (ví dụ --set attendance=15), tiêu chí là một trong: "
                 f"{', '.join(quality.CRITERIA_BY_KEY)}\nBad: {item!r}. Write criterion=points (e.g. attendance=15).")
        changes[key.strip()] = int(value)

    async def work(session: AsyncSession, settings: Settings) -> tuple[dict[str, int], dict[str, Any] | None]:
        row = await session.get(Committee, committee)
        if row is None:
            fail(f"Không có đảng ủy #{committee} / no committee #{committee}.")
        before = dict(row.quality_weights or {})
        if reset or changes:
            wanted = {} if reset else {**before, **changes}
            try:
                quality.weights_with(wanted)
            except ValueError as exc:
                fail(f"Không đặt được trọng số (tổng phải bằng 100) / weights refused: {exc}")
            row.quality_weights = wanted or None
            session.add(AuditLog(actor="operator", action="quality_weights", entity="committee", entity_id=row.id,
                                 before=before or None, after=wanted or None, at=now()))
        await session.flush()
        found = inherited_from(await chain(session, row.id))  # set here, set above, or chibo's defaults
        source = found.sources.get("quality_weights")
        return quality.weights_with(found.quality_weights), (None if source is None else
                                                               {"id": source.id, "name": source.name})

    weights, source = with_db(work)
    rows = [{"criterion": c.key, "weight": weights[c.key], "default": c.weight, "asked": c.asked, "source": c.source}
            for c in quality.CRITERIA]
    human = "\n".join(f"{r['criterion']:<17} {r['weight']:>3} (mặc định {r['default']:>2})  {r['source']}" for r in rows)
    if source is not None and source["id"] != committee:
        human += f"\n(trọng số theo đảng ủy cấp trên / weights from #{source['id']} {source['name']})"
    emit(as_json, {"committee": committee, "criteria": rows, "weights_from": source}, human)
