"""/xeploai: a committee member sees the year's proposed levels of the committee's cells and confirms or changes
one, in the chat (the same decision as on the web's rating page, recorded in ``storage.ratings``).

``/xeploai 2026`` lists the cells, numbered by name, with the level chibo proposes and the one set;
``/xeploai 2026 2 kha Lý do`` sets cell number 2's level (a reason is needed when it differs from the
proposal)."""

from __future__ import annotations

from core.messages import Request, Response
from handlers.context import Ctx
from reports import period_report
from rules.period import FIRST_YEAR, LAST_YEAR, YEAR, Period
from rules.quality import Level
from rules.yearly import parse_level
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
    example = ctx.t("rating.chat.usage", year=ctx.today.year)
    if year is None:
        return Response.say(ctx.t("rating.chat.bad_year", text=words[0][:20]) + "\n" + example)
    page = await period_report.compute(ctx.session, ctx.committee.id, Period(YEAR, year), ctx.now, ctx.tz)
    if len(words) <= 1:
        lines = [ctx.t("rating.chat.title", year=year, committee=page.committee_name)]
        lines += [ctx.t("rating.chat.line", number=n, cell=r.name,
                        proposed=period_report.level_text(r.proposal.level if r.proposal else None, ctx.lang),
                        decided=period_report.level_text(r.rating.level, ctx.lang) if r.rating
                        else ctx.t("web.rating.not_decided"))
                  for n, r in enumerate(page.rows, start=1)]
        return Response.say("\n".join(lines + ["", example]))
    number = int(words[1]) if words[1].isdigit() and len(words[1]) <= 6 else 0
    if not 1 <= number <= len(page.rows):
        return Response.say(ctx.t("rating.chat.bad_number", text=words[1][:20], count=len(page.rows)) + "\n" + example)
    row = page.rows[number - 1]
    found = _level_of(words[2:])
    if found is None:
        return Response.say(ctx.t("web.rating.bad_level", text=" ".join(words[2:4])[:40]) + "\n" + example)
    level, rest = found
    reason = " ".join(rest)[:1000] or None
    proposed = row.proposal.level if row.proposal else None
    if level != proposed and reason is None:
        return Response.say(ctx.t("rating.chat.need_reason", level=period_report.level_text(level, ctx.lang),
                                  proposed=period_report.level_text(proposed, ctx.lang), year=year, number=number,
                                  code=level.value))
    member = ctx.actor.committee_member
    done = await rate(ctx.session, row.cell_id, year, level.value, proposed.value if proposed else None, reason,
                      ctx.actor.ref, member.id, ctx.now)
    return Response.say(ctx.t("rating.chat.saved", year=year, cell=row.name,
                              level=period_report.level_text(level, ctx.lang),
                              previous=period_report.level_text(done.previous_level, ctx.lang)))
