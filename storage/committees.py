"""The tree of committees: a city over its districts, a district over its wards, each over its cells.

Everything that asks "what is below this committee" or "which committee's rules apply here" asks
here: ``subtree`` (one recursive query, the same on SQLite and PostgreSQL), ``cells_below``,
``set_parent`` (refuses a cycle) and ``inherited`` (each rule figure and the quality weights from the
nearest committee up the tree that sets them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from sqlalchemy import Select, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from rules.names import fold
from rules.ruleset import RuleSet
from storage.models import Cell, Committee

# A committee's settings that apply below it unless a lower committee sets its own.
INHERITED = (*(f.name for f in fields(RuleSet)), "quality_weights")


def subtree_ids(committee_id: int) -> Select:
    """A select of the ids of the committee and of every committee below it, at any depth."""
    top = select(Committee.id).where(Committee.id == literal(committee_id)).cte("subtree", recursive=True)
    below = select(Committee.id).join(top, Committee.parent_id == top.c.id)
    tree = top.union(below)
    return select(tree.c.id)


def cells_below(committee_id: int) -> Select:
    """A select of the ids of the cells of the committee and of every committee below it."""
    return select(Cell.id).where(Cell.committee_id.in_(subtree_ids(committee_id)))


async def subtree(session: AsyncSession, committee_id: int) -> set[int]:
    """The ids of the committee and of every committee below it (an unknown id: nothing)."""
    return set(await session.scalars(subtree_ids(committee_id)))


async def children(session: AsyncSession, committee_id: int) -> list[Committee]:
    """The committees directly below, by id (the order they were added)."""
    return list(await session.scalars(select(Committee).where(Committee.parent_id == committee_id)
                                      .order_by(Committee.id)))


async def chain(session: AsyncSession, committee_id: int) -> list[Committee]:
    """The committee, then its parent, and so on up to the top (nearest first)."""
    out: list[Committee] = []
    seen: set[int] = set()
    current: int | None = committee_id
    while current is not None and current not in seen:  # ``set_parent`` keeps cycles out; never loop regardless
        seen.add(current)
        row = await session.get(Committee, current)
        if row is None:
            break
        out.append(row)
        current = row.parent_id
    return out


class TreeError(ValueError):
    """A parent that cannot be: unknown, the committee itself, or one below it (a cycle)."""


async def set_parent(session: AsyncSession, committee: Committee, parent_id: int | None) -> None:
    """Put ``committee`` under ``parent_id`` (None: at the top); TreeError, nothing changed, when that
    committee does not exist or is the committee itself or below it."""
    if parent_id is not None:
        if await session.get(Committee, parent_id) is None:
            raise TreeError(f"không có đảng ủy #{parent_id} / no such committee")
        if parent_id in await subtree(session, committee.id):
            raise TreeError(f"đảng ủy #{parent_id} là chính nó hoặc ở dưới đảng ủy #{committee.id}: "
                            f"sẽ thành vòng / #{parent_id} is #{committee.id} itself or below it, that would be a cycle")
    committee.parent_id = parent_id


@dataclass
class Inherited:
    """A committee's settings as they apply to it: each from the nearest committee up the tree that sets it.
    ``RuleSet.from_overrides`` and ``reports.quality.committee_weights`` read it like a Committee."""

    committee_id: int
    values: dict[str, Any] = field(default_factory=dict)  # figure -> value; absent: chibo's default
    sources: dict[str, Committee] = field(default_factory=dict)  # figure -> the committee that set it

    def __getattr__(self, name: str) -> Any:
        if name in INHERITED:
            return self.values.get(name)
        raise AttributeError(name)


def inherited_from(rows: list[Committee]) -> Inherited:
    """The settings of the first committee of ``rows`` (a ``chain``: nearest first)."""
    found = Inherited(committee_id=rows[0].id if rows else 0)
    for name in INHERITED:
        for row in rows:
            value = getattr(row, name)
            if value is not None:
                found.values[name] = value
                found.sources[name] = row
                break
    return found


async def inherited(session: AsyncSession, committee_id: int | None) -> Inherited:
    """The committee's settings with those of the committees above filled in (None: chibo's defaults)."""
    return inherited_from(await chain(session, committee_id) if committee_id is not None else [])


async def rules_for(session: AsyncSession, committee_id: int | None) -> RuleSet:
    """The rule figures that apply to the committee's cells (``inherited``)."""
    return RuleSet.from_overrides(await inherited(session, committee_id))


async def rules_for_each(session: AsyncSession, committee_ids: list[int]) -> dict[int, RuleSet]:
    """``rules_for`` of several committees in one query (each committee and every one above it, read at once):
    a district's 30 wards cost one query rather than a chain of reads each."""
    if not committee_ids:
        return {}
    start = select(Committee.id, Committee.parent_id).where(Committee.id.in_(committee_ids)).cte("above", recursive=True)
    up = start.union(select(Committee.id, Committee.parent_id).join(start, Committee.id == start.c.parent_id))
    rows = {row.id: row for row in await session.scalars(select(Committee).where(Committee.id.in_(select(up.c.id))))}
    out: dict[int, RuleSet] = {}
    for committee_id in committee_ids:
        chained: list[Committee] = []
        current: int | None = committee_id
        while current is not None and current in rows and rows[current] not in chained:  # never loop (see chain)
            chained.append(rows[current])
            current = rows[current].parent_id
        out[committee_id] = RuleSet.from_overrides(inherited_from(chained))
    return out


T = TypeVar("T")


@dataclass
class Branches:
    """The committees directly below one committee, and under which of them each committee of its subtree lies."""

    children: list[tuple[int, str]]  # (id, name), by id
    branch_of: dict[int, int]  # a committee of the subtree -> the direct child it lies under (itself, for a child)

    def split(self, items: Iterable[T], committee_of: Callable[[T], int]) -> tuple[dict[int, list[T]], list[T]]:
        """``items`` (a view's cells) by the direct child they lie under, each child's in the order given, and
        those of the committee itself (its own cells, chi bộ trực thuộc): the one place a view groups its cells
        by branch (the weekly summary, the web pages, the period workbook)."""
        below: dict[int, list[T]] = {child_id: [] for child_id, _ in self.children}
        own: list[T] = []
        for item in items:
            branch = self.branch_of.get(committee_of(item))
            (own if branch is None else below[branch]).append(item)
        return below, own


async def branches(session: AsyncSession, committee_id: int) -> Branches:
    """The committee's direct children and the branch of each committee below it, in one query."""
    ids = subtree_ids(committee_id).subquery()
    rows = (await session.execute(select(Committee.id, Committee.name, Committee.parent_id)
                                  .where(Committee.id.in_(select(ids.c.id))).order_by(Committee.id))).all()
    parent = {row_id: parent_id for row_id, _, parent_id in rows}
    found = Branches(children=[(row_id, name) for row_id, name, parent_id in rows if parent_id == committee_id],
                     branch_of={})
    for row_id in parent:
        step, seen = row_id, set()
        while step in parent and parent[step] != committee_id and step != committee_id and step not in seen:
            seen.add(step)
            step = parent[step]  # type: ignore[assignment]  # inside the subtree every parent is known
        if step != committee_id and parent.get(step) == committee_id:
            found.branch_of[row_id] = step
    return found


async def committee_of_cells(session: AsyncSession, committee_id: int) -> dict[int, int]:
    """Each cell of the committee and of every committee below it, with its own (lowest) committee."""
    rows = await session.execute(select(Cell.id, Cell.committee_id)
                                 .where(Cell.committee_id.in_(subtree_ids(committee_id))))
    return {cell_id: of for cell_id, of in rows}  # noqa: C416 -- a Result has keys(): dict() would misread it


@dataclass(frozen=True)
class Unit:
    """A committee or a cell below a committee, as ``/baocao TÊN`` names it."""

    kind: str  # "committee" | "cell"
    id: int
    name: str


async def find_units(session: AsyncSession, committee_id: int, name: str) -> list[Unit]:
    """The committees and cells below ``committee_id`` called ``name`` (case, spacing and diacritics aside):
    those directly below first; only when none is, those further down."""
    wanted = _folded(name)
    if not wanted:
        return []
    tree = await subtree(session, committee_id)
    committees = (await session.execute(select(Committee.id, Committee.name, Committee.parent_id)
                                        .where(Committee.id.in_(tree), Committee.id != committee_id))).all()
    cells = (await session.execute(select(Cell.id, Cell.name, Cell.committee_id)
                                   .where(Cell.committee_id.in_(tree)))).all()
    found = [(parent == committee_id, Unit("committee", row_id, row_name)) for row_id, row_name, parent in committees
             if _folded(row_name) == wanted]
    found += [(parent == committee_id, Unit("cell", row_id, row_name)) for row_id, row_name, parent in cells
              if _folded(row_name) == wanted]
    near = [unit for direct, unit in found if direct]
    return sorted(near or [unit for _, unit in found], key=lambda u: (u.kind, u.id))


def _folded(text: str) -> str:
    return " ".join(fold(text).casefold().split())
