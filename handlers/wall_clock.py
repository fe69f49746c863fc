"""A typed time that a daylight-saving change makes impossible or ambiguous is refused with the reason,
before anything is stored or announced (``rules.wall_clock``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

from core.messages import Response
from handlers.context import Ctx
from rules import WallClockProblem, wall_clock_problem
from rules.wall_clock import GAP


def refusal(ctx: Ctx, day: date, at: time, example: Callable[[WallClockProblem], str]) -> Response | None:
    """None if ``at`` on ``day`` is one moment in the configured zone; else the answer that asks for
    another time, with ``example(problem)`` as what to type."""
    problem = wall_clock_problem(day, at, ctx.tz)
    if problem is None:
        return None
    key = "time.gap" if problem.kind == GAP else "time.fold"
    return Response.say(ctx.t(key, time=f"{at:%H:%M}", date=f"{day:%d/%m/%Y}", zone=ctx.settings.timezone,
                              example=example(problem)))
