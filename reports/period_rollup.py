"""A committee's web pages and year workbook one level of the tree at a time: each committee directly below it
with the cells of its branch rolled up, and the committee's own cells.

The cells are grouped as the weekly summary's roll-up groups them (``storage.committees.Branches.split``), and
each branch is the same kind of page its own committee's view shows (``web_committee.CommitteePage`` for this
month, ``period_report.CommitteePeriod`` for a period) with its branch's rows and its committee's target: a
ward's row on its district's page reads the numbers of the ward's own page, computed by that page alone."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.texts import fmt_rate, t
from reports.period_report import CellPeriod, CommitteePeriod
from reports.web_committee import CommitteePage
from storage.committees import branches, committee_of_cells, rules_for

P = TypeVar("P", CommitteePage, CommitteePeriod)


@dataclass
class Branch(Generic[P]):
    """One committee directly below, with every cell of its branch (at any depth below it)."""

    id: int
    name: str
    page: P  # the branch as its own committee's page shows it: its numbers are that page's


@dataclass
class Tree(Generic[P]):
    branches: list[Branch[P]]  # the committees directly below, by id (as the weekly summary lists them)
    own: P  # the committee's own cells only (chi bộ trực thuộc), with its own target


async def tree_of(session: AsyncSession, page: P) -> Tree[P] | None:
    """``page`` (a committee's, over every cell below it) split one level down; None for a committee of cells only."""
    tree = await branches(session, page.committee_id)
    if not tree.children:
        return None
    committee_of = await committee_of_cells(session, page.committee_id)
    below, own = tree.split(page.rows, lambda r: committee_of[r.cell_id])
    out = [Branch(child_id, name, dataclasses.replace(
               page, committee_id=child_id, committee_name=name, rows=below[child_id],
               target=(await rules_for(session, child_id)).attendance_target))
           for child_id, name in tree.children]
    return Tree(out, dataclasses.replace(page, rows=own))


def period_needs_attention(row: CellPeriod, target: float) -> bool:
    """A cell the committee should look at over a period: a month without its regular meeting, a quarter
    without a thematic one, or attendance under the target (judged on the unrounded rate)."""
    return bool(row.months_missed or row.quarters_without_thematic or (row.rate is not None and row.rate < target))


def period_attention(page: CommitteePeriod) -> list[CellPeriod]:
    """The cells of ``page`` that need attention over its period, those missing most first."""
    return sorted((r for r in page.rows if period_needs_attention(r, page.target)),
                  key=lambda r: (-len(r.months_missed), -len(r.quarters_without_thematic), r.rate or 0.0))


def period_why(row: CellPeriod, target: float, lang: str) -> list[str]:
    """Why a cell needs attention over a period, in words (catalog ``web.tree.why.*``)."""
    out = []
    if row.months_missed:
        out.append(t(lang, "web.tree.why.missed", months=", ".join(f"{m[5:]}/{m[:4]}" for m in row.months_missed)))
    if row.quarters_without_thematic:
        out.append(t(lang, "web.tree.why.no_thematic", quarters=", ".join(
            f"{q[5:]}/{q[:4]}" for q in row.quarters_without_thematic)))
    if row.rate is not None and row.rate < target:
        out.append(t(lang, "web.tree.why.low_rate", rate=fmt_rate(row.rate, target, lang),
                     target=fmt_rate(target, lang=lang)))
    return out
