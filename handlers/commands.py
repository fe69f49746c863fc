"""The table of commands: each command once, with its names, the words that say it without "/", who may use
it, whether it may join a batch, its help block, its menu text and its handler. The router, the menus and the
batching read it; to add a command: one row in ``TABLE``, a handler, texts ("menu.<name>" in each catalog)."""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.messages import Request, Response
from core.texts import t
from handlers import (
    absence,
    checkin,
    corrections,
    documents,
    dues,
    fixes,
    meeting,
    minutes,
    onboarding,
    quality,
    rating,
    reports,
    scheduling,
    speakers,
    tasks,
    votes,
)
from handlers.context import Ctx
from rules.names import fold

Flow = Callable[[Ctx, Request], Awaitable[Response]]


class Role(enum.Enum):
    """Who may use a command. The router lets ANYONE in before an account is linked; the flows of the LEADER
    commands check the role themselves (their answer names what a member may do instead)."""

    ANYONE = "anyone"  # no linked account needed
    LINKED = "linked"  # a linked account: a member, or a committee member where the flow serves them
    LEADER = "leader"  # a cell's secretary or a deputy (bí thư, phó bí thư); a member is told "not_leader"


@dataclass(frozen=True)
class Command:
    """One command, everything about it: add a row to ``TABLE``, write its handler and its texts."""

    name: str  # canonical (English), the key of everything else
    names: tuple[str, ...]  # typed after "/": the first is the Vietnamese one the menu shows
    handler: Flow
    role: Role = Role.LINKED
    words: tuple[str, ...] = ()  # typed without "/", without diacritics ("diem danh" also reads "điểm danh")
    together: bool = False  # may wait for a database slot with others and run in their batch (core.batching)
    in_groups: bool = False  # makes sense in a group chat
    keeps_question: bool = False  # a pending question (a reason, "end now?") survives it: it answers it
    help: str | None = None  # the /huongdan block (catalog key) that describes it
    menu: bool = True  # in the command menu (setMyCommands), text "menu.<name>" of each language's catalog


# In the order of the menu. The frequent, short requests go ``together``: when they wait for a database slot
# they are handled together. The others (a report, the minutes, starting, ending or cancelling a meeting and
# telling the cell) take a transaction of their own, so nobody's check-in waits for them inside a batch. None of
# the ``together`` ones starts, ends or cancels a meeting: the meetings ``resolve_actors`` loaded for a batch stay
# as they were for all of it. A correction that computes a meeting's summary again (/suadiemdanh, /vang_ho,
# /suagio, /suaviec, /xoaviec) goes alone too. Not "vang" alone in words: "Vâng" means "yes".
TABLE: tuple[Command, ...] = (
    Command("checkin", ("diemdanh", "checkin"), checkin.checkin, words=("diem danh", "diemdanh", "checkin"),
            together=True, in_groups=True, help="help.member"),
    Command("absent", ("vang", "absent", "xinvang"), absence.absent, words=("xin vang", "xinvang"),
            together=True, keeps_question=True, help="help.member"),
    Command("schedule", ("lichhop", "schedule"), scheduling.schedule, words=("lich hop", "lichhop", "dat lich"),
            help="help.member"),
    Command("start_meeting", ("batdau", "start_meeting"), meeting.start_meeting, Role.LEADER,
            words=("bat dau", "batdau"), help="help.leader"),
    Command("end_meeting", ("ketthuc", "end_meeting"), meeting.end_meeting, Role.LEADER,
            words=("ket thuc", "ketthuc"), keeps_question=True, help="help.leader"),
    Command("checkin_for", ("diemdanh_ho", "checkin_for"), checkin.checkin_for, Role.LEADER,
            words=("diem danh ho", "diemdanh ho", "diemdanh_ho"), together=True, help="help.leader"),
    Command("excuse_for", ("vang_ho", "excuse_for", "excuse", "xinvang_ho"), corrections.excuse_for, Role.LEADER,
            words=("vang ho", "xin vang ho", "vang_ho", "vangho"), help="help.leader"),
    Command("correct", ("suadiemdanh", "correct", "sua_diemdanh"), corrections.correct, Role.LEADER,
            words=("sua diem danh", "suadiemdanh", "sua diemdanh"), help="help.leader"),
    Command("correct_time", ("suagio", "correct_time", "sua_gio"), fixes.correct_time, Role.LEADER,
            words=("sua gio", "suagio"), help="help.leader_fixes"),
    Command("report", ("baocao", "report"), reports.report, Role.LEADER, words=("bao cao", "baocao"),
            help="help.leader"),  # and a committee member, for the cells of their committee
    Command("assess", ("danhgia", "assess"), quality.assess, Role.LEADER, words=("danh gia", "danhgia"),
            help="help.leader_quality"),
    Command("minutes", ("bienban", "minutes"), minutes.minutes, Role.LEADER, words=("bien ban", "bienban"),
            help="help.leader_quality"),
    Command("vote", ("bieuquyet", "vote"), votes.open_vote, Role.LEADER, words=("bieu quyet", "bieuquyet"),
            help="help.leader_votes"),
    Command("close_vote", ("ketthucbq", "close_vote"), votes.close_vote, Role.LEADER,
            words=("ket thuc bieu quyet", "ketthucbq"), help="help.leader_votes"),
    Command("document", ("tailieu", "document"), documents.add, Role.LEADER, words=("tai lieu", "tailieu"),
            help="help.leader_documents"),
    Command("comment", ("gopy", "comment"), documents.comment, words=("gop y", "gopy"), help="help.member_comment"),
    Command("spoke", ("phatbieu", "spoke"), speakers.spoke, Role.LEADER, words=("phat bieu", "phatbieu"),
            help="help.leader_spoke"),
    Command("reschedule", ("doilich", "reschedule"), scheduling.reschedule, Role.LEADER,
            words=("doi lich", "doilich"), help="help.leader"),
    Command("cancel_meeting", ("huyhop", "cancel_meeting"), scheduling.cancel, Role.LEADER,
            words=("huy hop", "huyhop"), help="help.leader"),
    # a leader gets a group's code in private; in the group, whoever adds chibo types that code
    Command("link_group", ("lienket", "link_group"), onboarding.link_group, Role.LEADER, words=("lien ket", "lienket"),
            together=True, in_groups=True, help="help.leader"),
    Command("channel", ("kenh", "channel"), onboarding.channel, words=("kenh", "chon kenh")),
    Command("tasks", ("viec", "tasks"), tasks.list_tasks, words=("viec cua toi", "danh sach viec", "viec"),
            together=True, help="help.member_tasks"),
    Command("done", ("xong", "done"), tasks.done, words=("xong viec", "xong", "da xong"), together=True,
            help="help.member_tasks"),
    Command("assign", ("giaoviec", "assign"), tasks.assign, Role.LEADER, words=("giao viec", "giaoviec"),
            help="help.leader_tasks"),
    Command("edit_task", ("suaviec", "edit_task", "sua_viec"), fixes.edit_task, Role.LEADER,
            words=("sua viec", "suaviec"), help="help.leader_fixes"),
    Command("withdraw_task", ("xoaviec", "withdraw_task", "xoa_viec", "rutviec"), fixes.withdraw_task, Role.LEADER,
            words=("xoa viec", "xoaviec", "rut viec"), help="help.leader_fixes"),
    Command("dues", ("dangphi", "dues", "dang_phi"), dues.dues, words=("dang phi", "dangphi"), help="help.member_dues"),
    Command("dues_undo", ("xoadangphi", "dues_undo", "xoa_dangphi"), dues.undo, words=("xoa dang phi", "xoadangphi"),
            help="help.collector_dues"),
    Command("dues_amount", ("mucdangphi", "dues_amount", "muc_dangphi"), dues.set_amount, Role.LEADER,
            words=("muc dang phi", "mucdangphi"), help="help.leader_dues"),
    Command("dues_collector", ("thuphi", "dues_collector", "thu_phi"), dues.collector, Role.LEADER,
            words=("thu phi", "thuphi"), help="help.leader_dues"),
    Command("rate", ("xeploai", "rate", "xep_loai"), rating.rate_cell, words=("xep loai", "xeploai"),
            help="help.committee_rating"),
    Command("help", ("huongdan", "help", "trogiup"), onboarding.help_, Role.ANYONE,
            words=("huong dan", "huongdan", "tro giup", "help"), together=True, in_groups=True, help="help.anyone"),
    Command("start", ("start", "batdau_lienket"), onboarding.start, Role.ANYONE, words=("start",), together=True,
            help="help.anyone", menu=False),
)
BY_NAME: dict[str, Command] = {command.name: command for command in TABLE}

# Read from the table: canonical name -> names accepted; name typed -> canonical; words -> canonical.
COMMANDS: dict[str, tuple[str, ...]] = {command.name: command.names for command in TABLE}
ALIASES: dict[str, str] = {alias: command.name for command in TABLE for alias in command.names}
PHRASES: dict[str, str] = {words: command.name for command in TABLE for words in command.words}
_PHRASE_ORDER = sorted(PHRASES, key=len, reverse=True)  # "diem danh ho" wins over "diem danh"


def menu(lang: str) -> list[tuple[str, str]]:
    """What the command menu shows (setMyCommands) in ``lang``: Vietnamese shows the first name, English the
    canonical one."""
    return [(command.names[0] if lang == "vi" else command.name, t(lang, f"menu.{command.name}"))
            for command in TABLE if command.menu]


MENU: dict[str, list[tuple[str, str]]] = {lang: menu(lang) for lang in ("vi", "en")}

# Said alone (a polite word after them at most), they check in: "Có mặt!", "co mat a", "Đã đến rồi".
# Not as the start of a sentence: "Đã đến giờ họp chưa?" is a question, not a check-in.
ALONE: dict[str, str] = {
    "co mat": "checkin", "comat": "checkin", "da co mat": "checkin", "toi co mat": "checkin", "em co mat": "checkin",
    "da den": "checkin", "toi da den": "checkin", "em da den": "checkin",
}
_POLITE = {"a", "roi", "nhe", "nha", "day", "oi"}
_PUNCTUATION = re.compile(r"[^\w\s]")

_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$", re.DOTALL)


def parse_command(text: str, bot_username: str | None = None) -> tuple[str | None, str, str | None] | None:
    """Split ``/cmd@bot args`` into (canonical name or None if unknown, args, name as typed).

    Returns None when ``text`` is not a command, or is addressed to another bot.
    """
    match = _COMMAND_RE.match(text.strip())
    if not match:
        return None
    typed, target, args = match.group(1), match.group(2), match.group(3) or ""
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return ALIASES.get(typed.lower()), args.strip(), typed


def parse_plain_command(text: str) -> tuple[str, str, str] | None:
    """A command typed as words: 'điểm danh', 'Diem danh', 'xin vắng ốm' -> (name, args, typed).

    The arguments keep their case and diacritics (names, reasons). None if ``text`` is no command.
    """
    words = text.strip().split()
    folded = [fold(w) for w in words]
    said = _PUNCTUATION.sub(" ", " ".join(folded)).split()
    while said and said[-1] in _POLITE:
        said.pop()
    if " ".join(said) in ALONE:
        return ALONE[" ".join(said)], "", text.strip()
    for phrase in _PHRASE_ORDER:
        size = len(phrase.split())
        if folded[:size] == phrase.split():
            return PHRASES[phrase], " ".join(words[size:]), " ".join(words[:size])
    return None
