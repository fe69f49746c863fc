"""The operator CLI: ``chibo …`` (Typer)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import committee_rules as cli_rules
from bot.cli import committee_tree as cli_tree
from bot.cli import db as cli_db
from bot.cli import period as cli_period
from bot.cli import quality as cli_quality
from bot.cli import telegram_bots as cli_telegram_bots
from bot.cli.common import JsonOpt, emit, fail, load_settings, now, with_db
from bot.runtime.db_problems import run_on_database
from core.settings import DEFAULT_ZALO_BOT, Settings
from rules.dues import fmt_amount, parse_amount
from rules.names import name_key
from scheduler import planner
from storage import invites as invite_codes
from storage.db import create_engine, upgrade
from storage.member_import import ImportFileError, import_members
from storage.models import (
    AuditLog,
    Cell,
    ChatLink,
    Committee,
    CommitteeMember,
    InviteCode,
    InviteKind,
    Member,
    MemberStatus,
)
from storage.queries import telegram_bot_of

app = typer.Typer(help="chibo – trợ lý sinh hoạt chi bộ (Telegram, Zalo). Lệnh dành cho người vận hành.",
                  no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Cơ sở dữ liệu / database", no_args_is_help=True)
committee_app = typer.Typer(help="Đảng ủy cấp trên / committees", no_args_is_help=True)
cell_app = typer.Typer(help="Chi bộ / cells", no_args_is_help=True)
members_app = typer.Typer(help="Đảng viên / members", no_args_is_help=True)
member_app = typer.Typer(help="Một đảng viên / one member", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(committee_app, name="committee")
app.add_typer(cell_app, name="cell")
app.add_typer(members_app, name="members")
app.add_typer(member_app, name="member")


# --- db ---
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu / create or migrate the database."""
    settings = load_settings()

    async def _main() -> None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    run_on_database(settings.database_url, _main, must_exist=False)
    typer.echo("Cơ sở dữ liệu đã sẵn sàng / database is up to date.")


cli_db.register(db_app)
cli_rules.register(committee_app)
cli_tree.register(committee_app)


# --- committees and cells ---
@committee_app.command("add")
def committee_add(
    name: str,
    parent: Annotated[int | None, typer.Option(help="ID đảng ủy cấp trên, ví dụ --parent 1 / the committee above")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Thêm đảng ủy, dưới một đảng ủy khác nếu có --parent / add a committee (under --parent)."""
    name = " ".join(name.split())
    if not name:
        fail("Tên đảng ủy trống / the name is empty.")

    async def work(session: AsyncSession, settings: Settings) -> Committee:
        if parent is not None and await session.get(Committee, parent) is None:
            fail(f"Không có đảng ủy #{parent}; xem: chibo committee tree / no committee #{parent}.")
        committee = Committee(name=name, parent_id=parent, created_at=now())
        session.add(committee)
        await session.flush()
        session.add(AuditLog(actor="operator", action="add", entity="committee", entity_id=committee.id,
                             before=None, after={"name": name, **({"parent_id": parent} if parent else {})}, at=now()))
        return committee

    c = with_db(work)
    under = f" (dưới đảng ủy #{c.parent_id} / under #{c.parent_id})" if c.parent_id is not None else ""
    shown = {"id": c.id, "name": c.name, **({"parent_id": c.parent_id} if c.parent_id is not None else {})}
    emit(as_json, shown, f"Đã thêm đảng ủy #{c.id}: {c.name}{under}")


@cell_app.command("add")
def cell_add(
    name: str,
    committee: Annotated[int, typer.Option(help="ID đảng ủy / committee id")],
    day: Annotated[int | None, typer.Option(help="Ngày họp thường kỳ trong tháng (1-28) / standing day")] = None,
    at: Annotated[str | None, typer.Option("--time", help="Giờ họp HH:MM / standing time")] = None,
    place: Annotated[str | None, typer.Option(help="Địa điểm / standing place")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Thêm chi bộ / add a cell."""
    name = " ".join(name.split())
    if not name:
        fail("Tên chi bộ trống / the name is empty.")
    if day is not None and not 1 <= day <= 28:
        fail("--day phải từ 1 đến 28 (có trong mọi tháng) / --day must be 1 to 28.")
    standing_time = None
    if at is not None:
        from core.parsing import parse_time

        standing_time = parse_time(at)
        if standing_time is None:
            fail(f"--time '{at}' không đúng dạng HH:MM, ví dụ 19:30 / not HH:MM.")

    async def work(session: AsyncSession, settings: Settings) -> Cell:
        if await session.get(Committee, committee) is None:
            fail(f"Không có đảng ủy #{committee}. Xem: chibo committee add / no such committee.")
        if await session.scalar(select(Cell).where(Cell.committee_id == committee, Cell.name == name)):
            fail(f"Đảng ủy #{committee} đã có chi bộ '{name}' / that cell exists already.")
        cell = Cell(committee_id=committee, name=name, standing_day=day, standing_time=standing_time,
                    standing_place=place, created_at=now())
        session.add(cell)
        await session.flush()
        return cell

    c = with_db(work)
    emit(as_json, {"id": c.id, "name": c.name}, f"Đã thêm chi bộ #{c.id}: {c.name}")


@cell_app.command("zalo-bot")
def cell_zalo_bot(cell: str, bot: Annotated[str, typer.Argument(help="khóa bot trong CHIBO_ZALO_BOTS / bot key")]) -> None:
    """Giao chi bộ cho một bot Zalo (mỗi bot phục vụ các chi bộ được giao) / assign a cell to a Zalo bot."""

    async def work(session: AsyncSession, settings: Settings) -> Cell:
        known = settings.zalo_tokens()
        if known and bot not in known:
            fail(f"Không có bot Zalo '{bot}'. Các bot đã cấu hình: {', '.join(known)} / unknown bot key.")
        c = await find_cell(session, cell)
        before = {"zalo_bot": c.zalo_bot}
        c.zalo_bot = bot
        session.add(AuditLog(actor="operator", action="assign_zalo_bot", entity="cell", entity_id=c.id,
                             before=before, after={"zalo_bot": bot}, at=now()))
        return c

    c = with_db(work)
    typer.echo(f"Chi bộ #{c.id} {c.name}: bot Zalo '{c.zalo_bot}'")


async def find_cell(session: AsyncSession, ref: str) -> Cell:
    cell = await session.get(Cell, int(ref)) if ref.isdigit() else None
    if cell is None:
        matches = list(await session.scalars(select(Cell).where(Cell.name == ref)))
        if len(matches) > 1:
            fail(f"Có {len(matches)} chi bộ tên '{ref}'; dùng ID / several cells have that name, use the id.")
        cell = matches[0] if matches else None
    if cell is None:
        fail(f"Không có chi bộ '{ref}' (ID hoặc đúng tên) / no such cell.")
    return cell


# --- members ---
@members_app.command("import")
def members_import(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Nhập danh sách đảng viên từ CSV/XLSX (tất cả hoặc không) / import members, all or nothing.

    Cột / columns: cell,full_name,role,status,exempt,phone
    (hoặc: Chi bộ, Họ và tên, Chức vụ, Tình trạng, Miễn sinh hoạt, Điện thoại).
    """

    async def work(session: AsyncSession, settings: Settings):
        stamp = now()
        return await import_members(session, file, stamp.astimezone(settings.tz).date(), stamp)

    try:
        count, errors = with_db(work)
    except ImportFileError as exc:
        fail(f"Không đọc được tệp / cannot read the file: {exc}")
    if errors:
        lines = [f"dòng {e.line} / line {e.line}: {e.reason}" for e in errors]
        fail("Không nhập gì cả vì có dòng lỗi / nothing imported, bad rows:\n" + "\n".join(lines))
    typer.echo(f"Đã nhập {count} đảng viên / imported {count} members.")


@members_app.command("list")
def members_list(cell: str, as_json: JsonOpt = False) -> None:
    """Danh sách đảng viên của chi bộ / list a cell's members."""

    async def work(session: AsyncSession, settings: Settings):
        c = await find_cell(session, cell)
        members = sorted(await session.scalars(select(Member).where(Member.cell_id == c.id)),
                         key=lambda m: name_key(m.full_name))  # as every list of people: the Vietnamese order
        linked = set(await session.scalars(select(ChatLink.member_id).where(ChatLink.member_id.is_not(None))))
        return c, members, linked

    c, members, linked = with_db(work)
    data = [
        {"id": m.id, "full_name": m.full_name, "role": m.role.value, "status": m.status.value, "exempt": m.exempt,
         "active": m.active_to is None, "linked": m.id in linked}
        for m in members
    ]
    human = [f"Chi bộ #{c.id} {c.name}: {len(members)} đảng viên"]
    human += [f"  #{d['id']:<5} {d['full_name']:<30} {d['role']:<11} {d['status']:<11}"
              f"{' miễn' if d['exempt'] else ''}{' đã liên kết' if d['linked'] else ''}" for d in data]
    emit(as_json, data, "\n".join(human))


@member_app.command("exempt")
def member_exempt(
    member_id: int,
    reason: Annotated[str | None, typer.Option(help="Lý do miễn sinh hoạt / reason")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Bỏ miễn / end the exemption")] = False,
) -> None:
    """Miễn (hoặc bỏ miễn) sinh hoạt cho đảng viên / exempt a member from activities."""
    reason = " ".join((reason or "").split()) or None
    if clear == bool(reason):
        fail("Dùng đúng một trong --reason '…' (không để trống) hoặc --clear / give either a non-empty --reason or --clear.")

    async def work(session: AsyncSession, settings: Settings) -> Member:
        m = await session.get(Member, member_id)
        if m is None:
            fail(f"Không có đảng viên #{member_id} / no such member.")
        before = {"exempt": m.exempt, "reason": m.exempt_reason}
        stamp = now()
        m.exempt = not clear
        m.exempt_reason = None if clear else reason
        m.exempt_since = None if clear else stamp.astimezone(settings.tz).date()
        session.add(AuditLog(actor="operator", action="exempt", entity="member", entity_id=m.id, before=before,
                             after={"exempt": m.exempt, "reason": m.exempt_reason}, at=stamp))
        if clear:  # expected again: told of the meetings ahead now, reminded of them when due
            await planner.catch_up_member(session, settings, m, stamp)
        return m

    m = with_db(work)
    typer.echo(f"{m.full_name}: {f'miễn sinh hoạt – {m.exempt_reason}' if m.exempt else 'không còn miễn sinh hoạt'}")


@member_app.command("status")
def member_status(
    member_id: int,
    status: Annotated[str, typer.Argument(help="chinh_thuc (chính thức) | du_bi (dự bị)")],
) -> None:
    """Đảng viên chính thức hay dự bị (dự bị không biểu quyết) / a full or probationary member."""
    wanted = {"chinh_thuc": MemberStatus.CHINH_THUC, "du_bi": MemberStatus.DU_BI}.get(status.strip().lower())
    if wanted is None:
        fail(f"Tình trạng '{status}' không rõ: gõ chinh_thuc hoặc du_bi / unknown status: chinh_thuc or du_bi, "
             f"e.g. chibo member status {member_id} chinh_thuc")

    async def work(session: AsyncSession, settings: Settings) -> Member:
        m = await session.get(Member, member_id)
        if m is None:
            fail(f"Không có đảng viên #{member_id} / no such member.")
        before = {"status": m.status.value}
        m.status = wanted
        session.add(AuditLog(actor="operator", action="member_status", entity="member", entity_id=m.id,
                             before=before, after={"status": wanted.value}, at=now()))
        return m

    m = with_db(work)
    typer.echo(f"{m.full_name}: {'đảng viên chính thức' if m.status == MemberStatus.CHINH_THUC else 'đảng viên dự bị'}")


@member_app.command("suspend")
def member_suspend(
    member_id: int,
    clear: Annotated[bool, typer.Option("--clear", help="Hết đình chỉ / the suspension ends")] = False,
) -> None:
    """Đình chỉ sinh hoạt (không tính khi biểu quyết) / suspend a member (not counted in votes)."""

    async def work(session: AsyncSession, settings: Settings) -> Member:
        m = await session.get(Member, member_id)
        if m is None:
            fail(f"Không có đảng viên #{member_id} / no such member.")
        before = {"suspended": m.suspended}
        m.suspended = not clear
        session.add(AuditLog(actor="operator", action="suspend", entity="member", entity_id=m.id, before=before,
                             after={"suspended": m.suspended}, at=now()))
        return m

    m = with_db(work)
    typer.echo(f"{m.full_name}: {'đang bị đình chỉ sinh hoạt' if m.suspended else 'không bị đình chỉ sinh hoạt'}")


@member_app.command("dues")
def member_dues(member_id: int, amount: str) -> None:
    """Mức đảng phí hằng tháng chi bộ định (VND: 30000, 30.000, 30k) / the monthly dues the cell set."""
    value = parse_amount(amount)
    if value is None:
        fail(f"Số tiền '{amount}' không hợp lệ: gõ như 30000, 30.000 hoặc 30k / not an amount: type 30000, 30.000 or 30k.")

    async def work(session: AsyncSession, settings: Settings) -> Member:
        m = await session.get(Member, member_id)
        if m is None:
            fail(f"Không có đảng viên #{member_id} / no such member.")
        session.add(AuditLog(actor="operator", action="dues_amount", entity="member", entity_id=m.id,
                             before={"dues_amount": m.dues_amount}, after={"dues_amount": value}, at=now()))
        m.dues_amount = value
        return m

    m = with_db(work)
    typer.echo(f"{m.full_name}: đảng phí {fmt_amount(value)}/tháng / monthly dues {fmt_amount(value)}")


# --- invites ---
def deep_link(settings: Settings, code: str, bot_key: str | None = None) -> str | None:
    """The t.me link that links a member with ``code``, to the Telegram bot serving their cell."""
    username = settings.telegram_username(bot_key)
    return f"https://t.me/{username}?start={code}" if username else None


@app.command("invites")
def invites(cell: str, as_json: JsonOpt = False) -> None:
    """Cấp mã mời cho đảng viên chưa liên kết / invite codes for members not yet linked."""

    async def work(session: AsyncSession, settings: Settings):
        c = await find_cell(session, cell)
        bot_key = await telegram_bot_of(session, c)
        stamp = now()
        linked = set(await session.scalars(select(ChatLink.member_id).where(
            ChatLink.member_id.is_not(None), ChatLink.blocked_at.is_(None))))
        members = sorted(await session.scalars(
            select(Member).where(Member.cell_id == c.id, Member.active_to.is_(None))), key=lambda m: name_key(m.full_name))
        out = []
        for m in members:
            if m.id in linked:
                continue
            invite = await session.scalar(select(InviteCode).where(
                InviteCode.member_id == m.id, InviteCode.used_at.is_(None), InviteCode.expires_at > stamp))
            if invite is None:
                invite = await invite_codes.issue(session, InviteKind.MEMBER, stamp, member_id=m.id)
            out.append({"member_id": m.id, "full_name": m.full_name, "code": invite.code,
                        "link": deep_link(settings, invite.code, bot_key), "zalo_bot": c.zalo_bot or DEFAULT_ZALO_BOT})
        return out

    rows = with_db(work)
    human = "\n".join(f"{r['full_name']}: {r['code']}" + (f"  {r['link']}" if r["link"] else "") for r in rows)
    emit(as_json, rows, human or "Mọi đảng viên đã liên kết / everyone is linked.")


@committee_app.command("invite")
def committee_invite(
    committee_id: int,
    name: Annotated[str, typer.Option(help="Họ tên cấp ủy viên / the committee member's full name")],
    as_json: JsonOpt = False,
) -> None:
    """Cấp mã mời cho cấp ủy viên cấp trên / an invite code for a committee member."""
    name = " ".join(name.split())
    if not name:
        fail("Họ tên trống / the name is empty.")

    async def work(session: AsyncSession, settings: Settings):
        if await session.get(Committee, committee_id) is None:
            fail(f"Không có đảng ủy #{committee_id} / no such committee.")
        stamp = now()
        person = await session.scalar(select(CommitteeMember).where(
            CommitteeMember.committee_id == committee_id, CommitteeMember.full_name == name))
        if person is None:
            person = CommitteeMember(committee_id=committee_id, full_name=name, created_at=stamp)
            session.add(person)
            await session.flush()
        invite = await session.scalar(select(InviteCode).where(
            InviteCode.committee_member_id == person.id, InviteCode.used_at.is_(None), InviteCode.expires_at > stamp))
        if invite is None:
            invite = await invite_codes.issue(session, InviteKind.COMMITTEE, stamp, committee_member_id=person.id)
        return {"committee_member_id": person.id, "full_name": person.full_name, "code": invite.code,
                "link": deep_link(settings, invite.code, await session.scalar(
                    select(Committee.telegram_bot).where(Committee.id == committee_id)))}

    r = with_db(work)
    emit(as_json, r, f"{r['full_name']}: {r['code']}" + (f"  {r['link']}" if r["link"] else ""))


@committee_app.command("follow")
def committee_follow(
    committee_member_id: int,
    cells: Annotated[list[str], typer.Argument(help="ID hoặc tên chi bộ / cell ids or names")],
    stop: Annotated[bool, typer.Option("--stop", help="Thôi phụ trách / stop following")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Giao cấp ủy viên phụ trách chi bộ: nhận thông báo lịch họp và tóm tắt sau họp / a committee member follows cells."""
    from storage.followers import FollowError, set_follows

    async def work(session: AsyncSession, settings: Settings):
        targets = [await find_cell(session, ref) for ref in cells]
        try:
            followed = await set_follows(session, committee_member_id, targets, now(), stop=stop)
        except FollowError as exc:
            fail(f"Không có cấp ủy viên này, hoặc chi bộ thuộc đảng ủy khác / unknown person or another committee's cell: {exc}")
        return [{"id": c.id, "name": c.name} for c in followed]

    followed = with_db(work)
    emit(as_json, {"committee_member_id": committee_member_id, "cells": followed},
         f"Cấp ủy viên #{committee_member_id} phụ trách {len(followed)} chi bộ / follows {len(followed)} cells"
         + "".join(f"\n  #{c['id']} {c['name']}" for c in followed))


# --- reports ---
report_app = typer.Typer(help="Báo cáo / reports", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("weekly")
def report_weekly(
    committee: Annotated[int, typer.Option(help="ID đảng ủy / committee id")],
    out: Annotated[Path | None, typer.Option(help="Tệp Excel / the workbook to write (.xlsx)")] = None,
    send: Annotated[bool, typer.Option("--send", help="Gửi ngay cho cấp ủy viên / queue it now")] = False,
    force: Annotated[bool, typer.Option("--force", help="Gửi lại dù tuần này đã gửi / send again")] = False,
) -> None:
    """Tóm tắt tuần của đảng ủy (văn bản, Excel, biểu đồ) / the committee's weekly summary."""
    from reports.weekly import render_text
    from scheduler.timed.weekly import build_and_queue

    if out is not None and out.suffix.lower() != ".xlsx":
        fail(f"--out phải là tệp .xlsx, không phải '{out.name}' / --out must end in .xlsx")

    async def work(session: AsyncSession, settings: Settings):
        if await session.get(Committee, committee) is None:
            fail(f"Không có đảng ủy #{committee} / no such committee.")
        result = await build_and_queue(session, settings, committee, now(), send=send, force=force,
                                       workbook_path=out)
        return result, render_text(result.report, settings.language, settings.tz)

    result, text = with_db(work)
    typer.echo(re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    typer.echo(f"\nExcel: {result.workbook}\nBiểu đồ / chart: {result.chart}")
    if send:
        if result.skipped:
            typer.echo("Tuần này đã gửi rồi; dùng --force để gửi lại / already sent this week, use --force.")
        else:
            typer.echo(f"Đã xếp {result.queued} tin để gửi; bot đang chạy sẽ gửi đi / queued {result.queued} messages.")


cli_period.register(committee_app, report_app, find_cell)


# --- running ---
NO_TOKEN = ("Chưa có token: tạo bot Telegram với @BotFather rồi đặt CHIBO_TELEGRAM_TOKEN=<token> (hoặc CHIBO_ZALO_TOKEN "
            "cho bot Zalo) trong môi trường hoặc tệp .env / no token: create a bot with @BotFather and set "
            "CHIBO_TELEGRAM_TOKEN (or CHIBO_ZALO_TOKEN).")


def require_a_platform(settings: Settings) -> None:
    from bot import platforms

    if not platforms.configured(settings):
        fail(NO_TOKEN, 2)


HttpPortOpt = Annotated[int | None, typer.Option(
    "--http-port", help="Cổng /healthz, /readyz, /metrics (0: tắt; mặc định CHIBO_HTTP_PORT, hoặc cổng webhook) / "
                        "the health and metrics port (0: none)")]


def health_port(settings: Settings, given: int | None, default: int | None) -> int | None:
    """The health port: --http-port, else CHIBO_HTTP_PORT, else ``default``; None: no health endpoint."""
    port = given if given is not None else settings.http_port if settings.http_port is not None else default
    return port or None


@app.command("run")
def run(
    webhook: Annotated[str | None, typer.Option(help="URL công khai cho webhook / public webhook URL")] = None,
    listen: Annotated[str, typer.Option(help="Địa chỉ lắng nghe / listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Cổng / port")] = 8443,
    http_port: HttpPortOpt = None,
) -> None:
    """Chạy bot (long polling, hoặc webhook với --webhook) / run the bot."""
    from bot.platforms import WebhookOptions
    from bot.runtime.runner import Runtime, run_forever

    settings = load_settings()
    require_a_platform(settings)
    _setup_logging(settings)
    options = WebhookOptions(url=webhook, listen=listen, port=port) if webhook else None
    health = health_port(settings, http_port, port if webhook else 8443)
    runtime = Runtime(settings=settings, webhook=options, health=health is not None, health_listen=listen,
                      health_port=health if webhook else None, http_port=health if health and not webhook else 8443)
    run_on_database(settings.database_url, lambda: run_forever(runtime))


@app.command("worker")
def worker(
    http_port: HttpPortOpt = None,
    listen: Annotated[str, typer.Option(help="Địa chỉ của /healthz… / the health endpoint's address")] = "127.0.0.1",
) -> None:
    """Chỉ chạy bộ lập lịch và gửi tin, không nhận tin / planner and dispatcher only."""
    from bot.runtime.runner import Runtime, run_forever

    settings = load_settings()
    require_a_platform(settings)
    _setup_logging(settings)
    health = health_port(settings, http_port, 8444)
    runtime = Runtime(settings=settings, take_updates=False, health=health is not None, health_listen=listen,
                      http_port=health or 8444)
    run_on_database(settings.database_url, lambda: run_forever(runtime))


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Thư mục ghi Excel, biểu đồ, hội thoại / output folder")] = Path("chibo-demo"),
    serve: Annotated[bool, typer.Option("--serve", help="Mở trang web theo dõi đến khi nhấn Enter / serve the web view")] = False,
) -> None:
    """Xem chibo làm việc trong một phút, không cần token, không cần mạng / see chibo work offline."""
    from bot.demo.demo import run_demo

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    raise typer.Exit(run_demo(out, serve))


def _setup_logging(settings: Settings) -> None:
    from bot.runtime.logs import setup_logging  # libraries that log a Bot API URL (it holds the token) stay quiet

    setup_logging(settings.log_level, settings.log_format)


cli_quality.register(committee_app)
cli_telegram_bots.register(cell_app, committee_app, find_cell)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

