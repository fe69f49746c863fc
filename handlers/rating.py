"""/xeploai: a committee member sees the year's proposed levels of the cells below the committee and confirms or
changes one, in the chat (the same decision as on the web's rating page, recorded in ``storage.ratings``).

A committee of cells: ``/xeploai 2026`` lists the cells, numbered by name, with the level chibo proposes and the
one set; ``/xeploai 2026 2 kha Lý do`` sets cell number 2's level (a reason is needed when it differs from the
proposal). A committee with committees below (a district over its wards): ``/xeploai 2026`` lists the units
directly below, numbered, each with its cells and how many are rated, and its own cells as one more unit;
``/xeploai 2026 Hàng Đào`` (a unit by number or by name, part of it, diacritics aside) lists that unit's cells;
``/xeploai 2026 Hàng Đào 2 kha Lý do`` rates its cell number 2. Only what lies below the member's committee."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.messages import Request, Response
from handlers.context import Ctx
from reports import period_report, period_rollup
from reports.period_report import CellPeriod
from rules.names import find_named
from rules.period import FIRST_YEAR, LAST_YEAR, YEAR, Period
from rules.quality import Level
from rules.yearly import parse_level
from storage import committees
from storage.models import Cell, Committee
from storage.ratings import rate


def _year_of(word: str) -> int | None:
    return int(word) if word.isdigit() and len(word) == 4 and FIRST_YEAR <= int(word) <= LAST_YEAR else None


def _level_of(words: list[str]) -> tuple[Level, list[str]] | None:
    """The level at the start of ``words`` ("trung bình" is two words), and the words after it."""
    for size in (2, 1):
        try:
            return parse_level(" ".join(words[:size])), words[size:]
        except ValueError:
            continue
    return None


async def rate_cell(ctx: Ctx, req: Request) -> Response:
    if ctx.actor.committee_member is None:
        return Response.say(ctx.t("rating.chat.not_committee"))
    words = req.args.split()
    year = ctx.today.year if not words else _year_of(words[0])
    units = await _units(ctx, ctx.committee.id)
    if year is None:
        usage = ctx.t("rating.chat.usage_tree", year=ctx.today.year, unit=units[0].name) if units else _usage(ctx)
        return Response.say(ctx.t("rating.chat.bad_year", text=words[0][:20]) + "\n" + usage)
    if units:  # committees below: a unit first, then its cells
        return await _in_tree(ctx, year, units, words[1:])
    page = await period_report.compute(ctx.session, ctx.committee.id, Period(YEAR, year), ctx.now, ctx.tz)
    return await _cells(ctx, year, page.committee_name, page.rows, words[1:], "", _usage(ctx))


def _usage(ctx: Ctx) -> str:
    return ctx.t("rating.chat.usage", year=ctx.today.year)


@dataclass(frozen=True)
class _Unit:
    """A unit below the member's committee that /xeploai lists: a committee, or a committee's own cells."""

    committee_id: int
    name: str
    own: bool  # the committee's own cells (chi bộ trực thuộc), not the committee with everything below it
    depth: int  # 1: directly below the member's committee (numbered in its list)
    above: int | None  # the committee it is listed under: its parent, or for its own cells the committee itself


async def _units(ctx: Ctx, committee_id: int) -> list[_Unit]:
    """Every unit below ``committee_id``, nearest first: each committee below it, and the own cells of each
    committee (itself included) that has both committees and cells of its own below it; [] for a committee of
    cells only. The member's list numbers those directly below; a name finds any (``rules.names.find_named``)."""
    tree = await committees.subtree(ctx.session, committee_id)
    rows = (await ctx.session.execute(select(Committee.id, Committee.name, Committee.parent_id)
                                      .where(Committee.id.in_(tree)).order_by(Committee.id))).all()
    parent = {row_id: parent_id for row_id, _, parent_id in rows}
    if not any(p == committee_id for p in parent.values()):
        return []
    with_cells = set(await ctx.session.scalars(select(Cell.committee_id).where(Cell.committee_id.in_(tree)).distinct()))
    with_children = {p for p in parent.values() if p is not None}

    def depth(row_id: int) -> int:
        steps = 0
        while row_id != committee_id and steps < len(parent):
            row_id, steps = parent[row_id], steps + 1  # type: ignore[assignment]  # inside the subtree
        return steps

    out = [_Unit(row_id, name, False, depth(row_id), parent_id) for row_id, name, parent_id in rows
           if row_id != committee_id]
    out += [_Unit(row_id, ctx.t("web.tree.own", name=name), True, depth(row_id) + 1, row_id) for row_id, name, _ in rows
            if row_id in with_cells and row_id in with_children]
    return sorted(out, key=lambda u: u.depth)  # stable: by id within a depth, the own cells after the committees


async def _in_tree(ctx: Ctx, year: int, units: list[_Unit], words: list[str]) -> Response:
    """``/xeploai 2026`` lists the units directly below; ``/xeploai 2026 ĐƠN_VỊ`` a unit's cells (or, for a unit
    with committees below, its units); ``/xeploai 2026 ĐƠN_VỊ 2 kha Lý do`` rates that unit's cell number 2.
    The unit is the words before the first number followed by a level (a unit's name may hold a number)."""
    top = [u for u in units if u.depth == 1]
    usage = ctx.t("rating.chat.usage_tree", year=year, unit=top[0].name)
    if not words:
        return await _list_units(ctx, year, ctx.committee.id, ctx.committee.name, top, usage)
    split = next((i for i in range(1, len(words)) if _is_number(words[i]) and _level_of(words[i + 1:])), None)
    typed = " ".join(words[:split] if split is not None else words)
    found = _unit_of(top, units, typed)
    if not found and split is None:  # a unit, a number, then no level (or a wrong one): say that, not "no unit"
        for i in range(len(words) - 1, 0, -1):
            if _is_number(words[i]) and len(_unit_of(top, units, " ".join(words[:i]))) == 1:
                return Response.say(ctx.t("web.rating.bad_level", text=" ".join(words[i + 1:i + 3])[:40]) + "\n"
                                    + ctx.t("rating.chat.usage_unit", year=year, unit=" ".join(words[:i])[:60]))
    if len(found) != 1:
        return Response.say(_unit_refusal(ctx, year, top, found, typed) + "\n" + usage)
    unit = found[0]
    said = typed[:60]
    if not unit.own and (below := [u for u in units if u.above == unit.committee_id]):
        # a committee with committees below it: one more step down, by name
        told = ctx.t("rating.chat.has_units", unit=unit.name, year=year, example=below[0].name)
        return await _list_units(ctx, year, unit.committee_id, unit.name, below, told)
    page = await period_report.compute(ctx.session, unit.committee_id, Period(YEAR, year), ctx.now, ctx.tz)
    rows = page.rows
    if unit.own:  # the committee's own cells: its page split one level down, as its web pages split it
        tree = await period_rollup.tree_of(ctx.session, page)
        rows = tree.own.rows if tree else rows
    return await _cells(ctx, year, unit.name, rows, words[split:] if split is not None else [], said + " ",
                        ctx.t("rating.chat.usage_unit", year=year, unit=said))


def _is_number(word: str) -> bool:
    return word.isdigit() and len(word) <= 6


def _unit_of(top: list[_Unit], units: list[_Unit], typed: str) -> list[_Unit]:
    """The units ``typed`` names: a number of the member's list, or a name (part of it, diacritics aside), those
    directly below first and only when none is, those further down."""
    if _is_number(typed):
        number = int(typed)
        return [top[number - 1]] if 1 <= number <= len(top) else []
    return find_named(top, typed, lambda u: u.name) or find_named(units, typed, lambda u: u.name)


def _unit_refusal(ctx: Ctx, year: int, top: list[_Unit], found: list[_Unit], typed: str) -> str:
    if found:
        return ctx.t("rating.chat.unit_ambiguous", name=typed[:60], names="; ".join(u.name for u in found),
                     year=year, example=found[0].name)
    if _is_number(typed):
        return ctx.t("rating.chat.bad_unit_number", text=typed, count=len(top))
    return ctx.t("rating.chat.unit_unknown", name=typed[:60], committee=ctx.committee.name,
                 names="; ".join(f"{n}. {u.name}" for n, u in enumerate(top, start=1)), year=year, example=top[0].name)


async def _list_units(ctx: Ctx, year: int, committee_id: int, name: str, units: list[_Unit], usage: str) -> Response:
    """The units, numbered, each with its cells and how many have a level set (``period_report``, one page for
    the committee split one level down as its web pages split it)."""
    page = await period_report.compute(ctx.session, committee_id, Period(YEAR, year), ctx.now, ctx.tz)
    tree = await period_rollup.tree_of(ctx.session, page)
    assert tree is not None  # units come from committees below
    rows = {b.id: b.page.rows for b in tree.branches}
    lines = [ctx.t("rating.chat.units_title", year=year, committee=name)]
    for number, unit in enumerate(units, start=1):
        cells = tree.own.rows if unit.own else rows[unit.committee_id]
        lines.append(ctx.t("rating.chat.unit_line", number=number, unit=unit.name, cells=len(cells),
                           decided=sum(1 for r in cells if r.rating is not None)))
    return Response.say("\n".join(lines + ["", usage]))


async def _cells(ctx: Ctx, year: int, name: str, rows: list[CellPeriod], words: list[str], unit: str,
                 usage: str) -> Response:
    """The cells of a committee (``rows``, from ``period_report``), numbered, or ``words`` = number, level and
    reason: that cell's level set (``storage.ratings.rate``, audited). ``unit``: what was typed before the
    number (none for a committee of cells only)."""
    if not words:
        lines = [ctx.t("rating.chat.title", year=year, committee=name)]
        lines += [ctx.t("rating.chat.line", number=n, cell=r.name,
                        proposed=period_report.level_text(r.proposal.level if r.proposal else None, ctx.lang),
                        decided=period_report.level_text(r.rating.level, ctx.lang) if r.rating
                        else ctx.t("web.rating.not_decided"))
                  for n, r in enumerate(rows, start=1)]
        return Response.say("\n".join(lines + ["", usage]))
    number = int(words[0]) if _is_number(words[0]) else 0
    if not 1 <= number <= len(rows):
        return Response.say(ctx.t("rating.chat.bad_number", text=words[0][:20], count=len(rows)) + "\n" + usage)
    row = rows[number - 1]
    found = _level_of(words[1:])
    if found is None:
        return Response.say(ctx.t("web.rating.bad_level", text=" ".join(words[1:3])[:40]) + "\n" + usage)
    level, rest = found
    reason = " ".join(rest)[:1000] or None
    proposed = row.proposal.level if row.proposal else None
    if level != proposed and reason is None:
        return Response.say(ctx.t("rating.chat.need_reason", level=period_report.level_text(level, ctx.lang),
                                  proposed=period_report.level_text(proposed, ctx.lang), year=year,
                                  number=f"{unit}{number}", code=level.value))
    member = ctx.actor.committee_member
    assert member is not None  # checked by rate_cell
    done = await rate(ctx.session, row.cell_id, year, level.value, proposed.value if proposed else None, reason,
                      ctx.actor.ref, member.id, ctx.now)
    return Response.say(ctx.t("rating.chat.saved", year=year, cell=row.name,
                              level=period_report.level_text(level, ctx.lang),
                              previous=period_report.level_text(done.previous_level, ctx.lang)))
