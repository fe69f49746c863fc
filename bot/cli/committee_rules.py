"""``chibo committee rules ID [--set figure=value]… [--clear figure]…``: a committee's rule overrides.

A figure a committee does not set comes from the nearest committee above it that does, else chibo's
default (``storage.committees.inherited``); the listing says which."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, NoReturn

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import emit, with_db
from core.clock import SystemClock
from rules.ruleset import LIMITS, RuleSet, parse_override
from storage.committees import chain, inherited_from
from storage.models import AuditLog, Committee


def register(committee_app: typer.Typer) -> None:
    """Add ``chibo committee rules`` to ``committee_app``."""

    @committee_app.command("rules")
    def committee_rules(
        committee_id: int,
        set_: Annotated[list[str] | None, typer.Option("--set", help="figure=value, ví dụ / e.g. "
                                                       "min_regular_minutes=100, attendance_target=85%")] = None,
        clear: Annotated[list[str] | None, typer.Option("--clear", help="figure: về mặc định / back to the "
                                                        "default ('all' for every figure)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="In JSON / print JSON")] = False,
    ) -> None:
        """Xem hoặc đặt các con số quy định riêng của đảng ủy / show or set a committee's rule figures."""
        changes: dict[str, int | float | None] = {}
        for item in clear or []:
            names = list(LIMITS) if item == "all" else [item]
            for name in names:
                if name not in LIMITS:
                    _bad(f"--clear {item}: không có con số này / unknown figure. Có / known: {', '.join(LIMITS)}")
                changes[name] = None
        for item in set_ or []:
            name, sep, value = item.partition("=")
            if not sep:
                _bad(f"--set {item}: viết dạng tên=giá trị, ví dụ min_regular_minutes=100 / write figure=value")
            try:
                changes[name.strip()] = parse_override(name.strip(), value)
            except ValueError as exc:
                _bad(f"--set {item}: {exc}")

        async def work(session: AsyncSession, settings):
            committee = await session.get(Committee, committee_id)
            if committee is None:
                _bad(f"Không có đảng ủy #{committee_id} / no such committee.")
            if changes:
                before = {name: getattr(committee, name) for name in changes}
                for name, value in changes.items():
                    setattr(committee, name, value)
                session.add(AuditLog(actor="operator", action="rules", entity="committee", entity_id=committee.id,
                                     before=before, after=changes, at=SystemClock().now()))
            await session.flush()
            found = inherited_from(await chain(session, committee.id))  # set here, set above, or chibo's default
            applied = RuleSet.from_overrides(found)
            figures = {}
            for f in fields(RuleSet):
                source = found.sources.get(f.name)
                figures[f.name] = {"value": getattr(applied, f.name), "default": f.default,
                                   "overridden": getattr(committee, f.name) is not None,
                                   "source": None if source is None else {"id": source.id, "name": source.name}}
            return figures

        figures = with_db(work)
        lines = [f"Đảng ủy #{committee_id}:"]
        for name, figure in figures.items():
            source = figure["source"]
            if source is None:
                mark = "mặc định / default"
            elif source["id"] == committee_id:
                mark = "đặt riêng / set here"
            else:
                mark = f"theo / from #{source['id']} {source['name']}"
            lines.append(f"  {name:<24} {figure['value']!s:<6} ({mark}; mặc định {figure['default']})  "
                         f"{LIMITS[name][2]}")
        emit(as_json, figures, "\n".join(lines))


def _bad(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)
