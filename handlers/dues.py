"""Party dues (đảng phí): /dangphi shows a member their year, and the secretary or the collector the cell's
month with one choice per member who has not paid; /dangphi HỌ TÊN | THÁNG | SỐ TIỀN records payments (several
months at once; again with another amount corrects it); /xoadangphi undoes one; /mucdangphi sets a member's
monthly amount; /thuphi chooses the collector. Every change is audited (who, when, before, after)."""

from __future__ import annotations

from datetime import date

from core import buttons, outgoing
from core.messages import Button, Reply, Request, Response
from core.texts import echo
from handlers import notify
from handlers.checkin import find_by_name
from handlers.context import Ctx
from rules.calendar import month_key, month_start
from rules.dues import collection, fmt_amount, owed_months, owes, parse_amount, read_months, unpaid_months
from rules.names import fold
from storage import dues as stored
from storage.models import DuesPayment, Member
from storage.queries import active_members

TAP_LIST = 30  # at most this many "paid" choices under the cell's month


def can_collect(ctx: Ctx) -> bool:
    """The secretary, a deputy, or the collector the secretary chose (/thuphi)."""
    return ctx.actor.is_leader or bool(ctx.actor.member is not None and ctx.actor.member.dues_collector)


def fmt_month(month: str) -> str:
    """ "2026-11" -> "11/2026"."""
    return f"{int(month[5:]):02d}/{month[:4]}"


def _months_text(months: list[str] | tuple[str, ...]) -> str:
    return ", ".join(fmt_month(m) for m in months)


def _examples(ctx: Ctx) -> dict[str, str]:
    month = month_key(ctx.today)
    after = month_key(date(ctx.today.year + (ctx.today.month == 12), ctx.today.month % 12 + 1, 1))
    pair = f"{int(month[5:])},{int(after[5:])}/{after[:4]}" if month[:4] == after[:4] else f"11,12/{month[:4]}"
    return {"ex_month": fmt_month(month), "ex_months": pair}


def _find(ctx: Ctx, members: list[Member], who: str) -> Member | Response:
    found = find_by_name(members, who)
    if not found:
        return Response.say(ctx.t("checkin_for.not_found", query=who))
    if len(found) > 1:
        return Response.say(ctx.t("checkin_for.ambiguous", query=who, names=", ".join(m.full_name for m in found)))
    return found[0]


async def dues(ctx: Ctx, req: Request) -> Response:
    """/dangphi: the member's own year (and the cell's month for whoever collects); with arguments, a payment."""
    if ctx.actor.member is None:
        return Response.say(ctx.t("not_member"))
    if req.args:
        return await record(ctx, req.args)
    text = await _own(ctx, ctx.member)
    if not can_collect(ctx):
        return Response.say(text)
    month_text, rows = await _cell_month(ctx)
    return Response.say(text + "\n\n" + month_text, rows)


async def _own(ctx: Ctx, member: Member) -> str:
    year = ctx.today.year
    paid = await stored.member_year(ctx.session, member.id, year)
    since = await stored.first_month(ctx.session, member.cell_id)
    unpaid = unpaid_months(owed_months(year, member.active_from, member.active_to, ctx.today, since), paid)
    lines = [ctx.t("dues.own_header", year=year)]
    lines.append(ctx.t("dues.own_amount", amount=fmt_amount(member.dues_amount)) if member.dues_amount
                 else ctx.t("dues.own_no_amount"))
    if paid:
        lines.append(ctx.t("dues.own_paid", count=len(paid), months=_months_text(sorted(paid)),
                           total=fmt_amount(sum(paid.values()))))
    this = month_key(ctx.today)
    lines.append(ctx.t("dues.own_this_month", month=fmt_month(this), amount=fmt_amount(paid[this])) if this in paid
                 else ctx.t("dues.own_this_month_unpaid", month=fmt_month(this)))
    if unpaid:
        lines.append(ctx.t("dues.own_unpaid", count=len(unpaid), months=_months_text(unpaid)))
    last = unpaid_months(owed_months(year - 1, member.active_from, member.active_to, ctx.today, since),
                         await stored.member_year(ctx.session, member.id, year - 1))
    if last:  # the year just ended still owes: December only ends with it
        lines.append(ctx.t("dues.own_unpaid_last_year", year=year - 1, count=len(last), months=_months_text(last)))
    return "\n".join(lines)


async def _cell_month(ctx: Ctx) -> tuple[str, list[list[Button]]]:
    """The cell's month: paid n of m, collected; who has not paid, one choice each (the amount the cell set)."""
    month = month_key(ctx.today)
    members = [m for m in await active_members(ctx.session, ctx.cell.id, ctx.today)
               if owes(month, m.active_from, m.active_to)]
    payments = await stored.cell_month(ctx.session, ctx.cell.id, month_start(month))
    state = collection([m.id for m in members], payments)
    lines = [ctx.t("dues.cell_header", cell=ctx.cell.name, month=fmt_month(month), paid=state.paid,
                   owing=state.owing, amount=fmt_amount(state.amount))]
    unpaid = [m for m in members if m.id not in payments]
    rows: list[list[Button]] = []
    if not unpaid:
        lines.append(ctx.t("dues.cell_all_paid"))
        return "\n".join(lines), rows
    lines.append(ctx.t("dues.cell_unpaid", names=", ".join(m.full_name for m in unpaid)))
    no_amount = [m.full_name for m in unpaid if not m.dues_amount]
    if no_amount:
        lines.append(ctx.t("dues.cell_no_amount", names=", ".join(no_amount)))
    tap = [m for m in unpaid if m.dues_amount][:TAP_LIST]
    if tap:
        lines.append(ctx.t("dues.cell_hint", month=fmt_month(month), **_examples(ctx)))
        code = int(month.replace("-", ""))
        rows = [[Button(ctx.t("button.dues_paid", name=m.full_name, amount=fmt_amount(m.dues_amount or 0)),
                        buttons.DuesPaid(m.id, code).encode())] for m in tap]
    return "\n".join(lines), rows


def _parts(args: str) -> list[str]:
    return [" ".join(p.split()) for p in args.split("|")]


async def _member_and_months(ctx: Ctx, parts: list[str]) -> tuple[Member, list[str]] | Response:
    """The member named in ``parts[0]`` and the months typed in ``parts[1]``, or the answer saying which is wrong."""
    members = await active_members(ctx.session, ctx.cell.id, ctx.today)
    member = _find(ctx, members, parts[0])
    if isinstance(member, Response):
        return member
    months = read_months(parts[1], ctx.today)
    if months is None:
        return Response.say(ctx.t("dues.bad_months", value=echo(parts[1]), **_examples(ctx)))
    return member, months


async def record(ctx: Ctx, args: str) -> Response:
    """/dangphi HỌ TÊN | THÁNG | SỐ TIỀN (the amount of each month; left out: the amount the cell set)."""
    if not can_collect(ctx):
        return Response.say(ctx.t("dues.not_collector"))
    parts = _parts(args)
    if len(parts) not in (2, 3) or not all(parts):
        return Response.say(ctx.t("dues.usage", **_examples(ctx)))
    found = await _member_and_months(ctx, parts)
    if isinstance(found, Response):
        return found
    member, months = found
    before_joining = [m for m in months if not owes(m, member.active_from, member.active_to)]
    if before_joining:
        return Response.say(ctx.t("dues.not_owed", name=member.full_name, months=_months_text(before_joining)))
    if len(parts) == 3:
        amount = parse_amount(parts[2])
        if amount is None:
            return Response.say(ctx.t("dues.bad_amount", value=echo(parts[2]), **_examples(ctx)))
    elif member.dues_amount:
        amount = member.dues_amount
    else:
        return Response.say(ctx.t("dues.no_amount", name=member.full_name, **_examples(ctx)))
    return await _pay(ctx, member, months, amount)


async def _pay(ctx: Ctx, member: Member, months: list[str], amount: int) -> Response:
    recorded: list[str] = []
    corrected: list[tuple[str, int]] = []
    same: list[str] = []
    for month in months:
        row = await stored.payment(ctx.session, member.id, month_start(month))
        if row is None:
            row = DuesPayment(cell_id=member.cell_id, member_id=member.id, month=month_start(month), amount=amount,
                              recorded_by_member_id=ctx.member.id, recorded_at=ctx.now)
            ctx.session.add(row)
            await ctx.session.flush()
            ctx.audit("dues_paid", "dues_payment", row.id, None, {"member_id": member.id, "month": month,
                                                                   "amount": amount})
            recorded.append(month)
        elif row.amount != amount:
            old = row.amount
            before = {"member_id": member.id, "month": month, "amount": old, "recorded_by": row.recorded_by_member_id}
            row.amount, row.recorded_by_member_id, row.recorded_at = amount, ctx.member.id, ctx.now
            ctx.audit("dues_corrected", "dues_payment", row.id, before, {"member_id": member.id, "month": month,
                                                                          "amount": amount})
            corrected.append((month, old))
        else:
            same.append(month)
    lines = []
    if recorded:
        lines.append(ctx.t("dues.recorded", name=member.full_name, months=_months_text(recorded),
                           amount=fmt_amount(amount), total=fmt_amount(amount * len(recorded))))
    for month, old in corrected:
        lines.append(ctx.t("dues.corrected", name=member.full_name, month=fmt_month(month), before=fmt_amount(old),
                           after=fmt_amount(amount)))
    if same:
        lines.append(ctx.t("dues.already", name=member.full_name, months=_months_text(same),
                           amount=fmt_amount(amount)))
    changed = recorded + [m for m, _ in corrected]
    if changed and member.id != ctx.member.id:
        notice = Reply(ctx.t("dues.receipt", months=_months_text(changed), amount=fmt_amount(amount),
                             by=ctx.member.full_name))
        await notify.to_members(ctx, [member], notice, outgoing.DUES_RECEIPT, member=member.id,
                                months="-".join(changed), at=int(ctx.now.timestamp()))
    if recorded or corrected:
        lines.append(ctx.t("dues.undo_hint", name=member.full_name, month=fmt_month((recorded or changed)[0])))
    return Response.say("\n".join(lines))


async def pressed_paid(ctx: Ctx, pressed: buttons.DuesPaid) -> Response:
    """A "paid" choice under the cell's month: the member paid the amount the cell set for that month."""
    if not can_collect(ctx):
        return Response(toast=ctx.t("dues.not_collector"))
    member = await ctx.session.get(Member, pressed.member_id)
    if member is None or member.cell_id != ctx.cell.id:
        return Response(toast=ctx.t("stale_button"))
    month = f"{pressed.month // 100:04d}-{pressed.month % 100:02d}"
    if not member.dues_amount or not owes(month, member.active_from, member.active_to):
        return Response(toast=ctx.t("stale_button"))
    row = await stored.payment(ctx.session, member.id, month_start(month))
    if row is not None:
        return Response(toast=ctx.t("dues.already", name=member.full_name, months=fmt_month(month),
                                    amount=fmt_amount(row.amount)))
    response = await _pay(ctx, member, [month], member.dues_amount)
    month_text, rows = await _cell_month(ctx)
    response = Response.say(response.replies[0].text + "\n\n" + month_text, rows)
    response.toast = ctx.t("dues.toast", name=member.full_name)
    return response


async def undo(ctx: Ctx, req: Request) -> Response:
    """/xoadangphi HỌ TÊN | THÁNG: a payment recorded by mistake is taken back (audited)."""
    if ctx.actor.member is None:
        return Response.say(ctx.t("not_member"))
    if not can_collect(ctx):
        return Response.say(ctx.t("dues.not_collector"))
    parts = _parts(req.args)
    if len(parts) != 2 or not all(parts):
        return Response.say(ctx.t("dues.undo_usage", **_examples(ctx)))
    found = await _member_and_months(ctx, parts)
    if isinstance(found, Response):
        return found
    member, months = found
    removed, missing = [], []
    for month in months:
        row = await stored.payment(ctx.session, member.id, month_start(month))
        if row is None:
            missing.append(month)
            continue
        ctx.audit("dues_undone", "dues_payment", row.id, {"member_id": member.id, "month": month,
                                                          "amount": row.amount, "recorded_by": row.recorded_by_member_id},
                  None)
        await ctx.session.delete(row)
        removed.append(month)
    lines = []
    if removed:
        lines.append(ctx.t("dues.undone", name=member.full_name, months=_months_text(removed)))
    if missing:
        lines.append(ctx.t("dues.nothing_to_undo", name=member.full_name, months=_months_text(missing)))
    return Response.say("\n".join(lines))


async def set_amount(ctx: Ctx, req: Request) -> Response:
    """/mucdangphi HỌ TÊN | SỐ TIỀN: the monthly amount the cell set for a member (the secretary or a deputy)."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    parts = _parts(req.args)
    if len(parts) != 2 or not all(parts):
        return Response.say(ctx.t("dues.amount_usage"))
    members = await active_members(ctx.session, ctx.cell.id, ctx.today)
    member = _find(ctx, members, parts[0])
    if isinstance(member, Response):
        return member
    amount = parse_amount(parts[1])
    if amount is None:
        return Response.say(ctx.t("dues.bad_amount", value=echo(parts[1]), **_examples(ctx)))
    before = member.dues_amount
    member.dues_amount = amount
    ctx.audit("dues_amount", "member", member.id, {"dues_amount": before}, {"dues_amount": amount})
    return Response.say(ctx.t("dues.amount_set", name=member.full_name, amount=fmt_amount(amount)))


async def collector(ctx: Ctx, req: Request) -> Response:
    """/thuphi HỌ TÊN: the secretary chooses who collects the dues; /thuphi bỏ HỌ TÊN takes it back."""
    if not ctx.actor.is_leader:
        return Response.say(ctx.t("not_leader"))
    words = req.args.split()
    revoke = bool(words) and fold(words[0]) in ("bo", "thoi", "huy")
    who = " ".join(words[1:] if revoke else words)
    if not who:
        return Response.say(ctx.t("dues.collector_usage"))
    members = await active_members(ctx.session, ctx.cell.id, ctx.today)
    member = _find(ctx, members, who)
    if isinstance(member, Response):
        return member
    if member.dues_collector != (not revoke):
        ctx.audit("dues_collector", "member", member.id, {"dues_collector": member.dues_collector},
                  {"dues_collector": not revoke})
        member.dues_collector = not revoke
    if revoke:
        return Response.say(ctx.t("dues.collector_removed", name=member.full_name))
    notice = Reply(ctx.t("dues.collector_notice", by=ctx.member.full_name, **_examples(ctx)))
    await notify.to_members(ctx, [member], notice, outgoing.DUES_COLLECTOR, member=member.id,
                            at=int(ctx.now.timestamp()))
    return Response.say(ctx.t("dues.collector_set", name=member.full_name))
