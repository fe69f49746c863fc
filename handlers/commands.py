"""The table of commands: each command once, with its names, the words that say it without "/", who may use
it, whether it may join a batch, its place in the help and the menu, and its handler. The router, the help
(/huongdan, on Telegram and Zalo alike), the Telegram menu and the batching read it; to add a command: one row in
``TABLE``, a handler, texts ("menu.<name>" and "help.<name>" in each catalog, tests/flow/test_commands.py checks)."""

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
from handlers.context import Actor, Ctx
from rules.names import fold

Flow = Callable[[Ctx, Request], Awaitable[Response]]


class Role(enum.Enum):
    """Who may use a command, as the router checks it. The router lets ANYONE in before an account is linked; the
    flows of the LEADER commands check the role themselves (their answer names what a member may do instead)."""

    ANYONE = "anyone"  # no linked account needed
    LINKED = "linked"  # a linked account: a member, or a committee member where the flow serves them
    LEADER = "leader"  # a cell's secretary or a deputy (bí thư, phó bí thư); a member is told "not_leader"


class Hat(enum.Enum):
    """What the asker is, for /huongdan: each command lists the hats that may use it (``Command.who``). A
    secretary or deputy wears the collector's and the member's hats too; a collector the member's."""

    STRANGER = "stranger"  # no linked account yet
    MEMBER = "member"
    COLLECTOR = "collector"  # collects the Party dues (/thuphi), or a leader
    LEADER = "leader"  # bí thư, phó bí thư
    COMMITTEE = "committee"  # a member of the committee above


class Section(enum.Enum):
    """The place of a command in the help and the menu, in this order; the title is "help.section.<value>"."""

    MEETING = "meeting"  # what every member does around a meeting
    TASKS = "tasks"
    DUES = "dues"
    LEADING = "leading"  # the secretary runs the meeting
    AFTER = "after"  # reports after the meeting
    FIXES = "fixes"  # putting mistakes right (audited)
    OTHER = "other"


_HATS_OF_ROLE = {Role.ANYONE: tuple(Hat), Role.LINKED: (Hat.MEMBER,), Role.LEADER: (Hat.LEADER,)}


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
    section: Section = Section.OTHER  # its place in /huongdan and in the menu (TABLE is in this order)
    hats: tuple[Hat, ...] = ()  # who may use it (the help shows it to them): when empty, read from ``role``
    own_help: tuple[Hat, ...] = ()  # hats told more than the others: "help.<name>.<hat>" instead of "help.<name>"
    menu: bool = True  # in the command menu (setMyCommands), text "menu.<name>" of each language's catalog

    @property
    def who(self) -> frozenset[Hat]:
        """The hats that may use it (a leader's hats include the member's: a LINKED command is theirs too)."""
        return frozenset(self.hats or _HATS_OF_ROLE[self.role])

    @property
    def help(self) -> str:
        """The catalog key of its line in /huongdan (``help_key`` picks a hat's own line)."""
        return f"help.{self.name}"

    def help_key(self, hats: frozenset[Hat]) -> str:
        """Its help line for an asker wearing ``hats``: the line of the highest hat told more, else the common one."""
        own = [hat for hat in self.own_help if hat in hats]
        return f"{self.help}.{max(own, key=list(Hat).index).value}" if own else self.help


def hats_of(actor: Actor) -> frozenset[Hat]:
    """What the asker is: a stranger, a member (a collector, a leader), or a committee member."""
    if actor.member is not None:
        collector = actor.is_leader or actor.member.dues_collector
        return frozenset({Hat.MEMBER} | ({Hat.COLLECTOR} if collector else set())
                         | ({Hat.LEADER} if actor.is_leader else set()))
    return frozenset({Hat.COMMITTEE} if actor.committee_member is not None else {Hat.STRANGER})


def help_keys(hats: frozenset[Hat]) -> list[tuple[Section, list[str]]]:
    """The help for an asker wearing ``hats``, read from the table: per section, in order, the line of every
    command one of their hats may use (and of none other)."""
    shown = [(section, [c.help_key(hats) for c in TABLE if c.section is section and c.who & hats])
             for section in Section]
    return [(section, keys) for section, keys in shown if keys]


async def help_(ctx: Ctx, req: Request) -> Response:
    """/huongdan: what the asker may type, grouped by what it is for (the same table as the menu)."""
    actor, hats = ctx.actor, hats_of(ctx.actor)
    if actor.member is not None:
        head = ctx.t("help.head.member", name=actor.member.full_name, cell=ctx.cell.name)
    elif actor.committee_member is not None:
        head = ctx.t("help.head.committee", name=actor.committee_member.full_name, committee=ctx.committee.name)
    else:
        head = ctx.t("help.head.stranger")
    sections = help_keys(hats)
    parts = [head]
    for section, keys in sections:
        title = [f"<b>{ctx.t(f'help.section.{section.value}')}</b>"] if len(sections) > 1 else []
        parts.append("\n".join(title + [ctx.t(key) for key in keys]))
    if Hat.STRANGER not in hats:
        parts.append(ctx.t("help.words"))
    return Response.say("\n\n".join(parts))


# In the order of the help and the menu (by ``Section``). The frequent, short requests go ``together``: when they
# wait for a database slot they are handled together. The others (a report, the minutes, starting, ending or
# cancelling a meeting and telling the cell) take a transaction of their own, so nobody's check-in waits for them
# inside a batch. None of the ``together`` ones starts, ends or cancels a meeting: the meetings ``resolve_actors``
# loaded for a batch stay as they were for all of it. A correction that computes a meeting's summary again
# (/suadiemdanh, /vang_ho, /suagio, /suaviec, /xoaviec) goes alone too. Not "vang" alone in words: "Vâng" means "yes".
_MEETING, _TASKS, _DUES, _LEADING, _AFTER, _FIXES = (Section.MEETING, Section.TASKS, Section.DUES, Section.LEADING,
                                                     Section.AFTER, Section.FIXES)
TABLE: tuple[Command, ...] = (
    Command("checkin", ("diemdanh", "checkin"), checkin.checkin, words=("diem danh", "diemdanh", "checkin"),
            together=True, in_groups=True, section=_MEETING, hats=(Hat.MEMBER, Hat.COMMITTEE),
            own_help=(Hat.COMMITTEE,)),  # a committee member checks in as a guest
    Command("absent", ("vang", "absent", "xinvang"), absence.absent, words=("xin vang", "xinvang"),
            together=True, keeps_question=True, section=_MEETING),
    Command("schedule", ("lichhop", "schedule"), scheduling.schedule, words=("lich hop", "lichhop", "dat lich"),
            section=_MEETING, own_help=(Hat.LEADER,)),  # a member sees the meetings ahead, a leader sets one too
    Command("comment", ("gopy", "comment"), documents.comment, words=("gop y", "gopy"), section=_MEETING),
    Command("tasks", ("viec", "tasks"), tasks.list_tasks, words=("viec cua toi", "danh sach viec", "viec"),
            together=True, section=_TASKS),
    Command("done", ("xong", "done"), tasks.done, words=("xong viec", "xong", "da xong"), together=True,
            section=_TASKS),
    Command("dues", ("dangphi", "dues", "dang_phi"), dues.dues, words=("dang phi", "dangphi"), section=_DUES,
            own_help=(Hat.COLLECTOR,)),  # a member sees their year; whoever collects records payments too
    Command("dues_undo", ("xoadangphi", "dues_undo", "xoa_dangphi"), dues.undo, words=("xoa dang phi", "xoadangphi"),
            section=_DUES, hats=(Hat.COLLECTOR,)),  # a member is told "dues.not_collector"
    Command("dues_amount", ("mucdangphi", "dues_amount", "muc_dangphi"), dues.set_amount, Role.LEADER,
            words=("muc dang phi", "mucdangphi"), section=_DUES),
    Command("dues_collector", ("thuphi", "dues_collector", "thu_phi"), dues.collector, Role.LEADER,
            words=("thu phi", "thuphi"), section=_DUES),
    Command("reschedule", ("doilich", "reschedule"), scheduling.reschedule, Role.LEADER,
            words=("doi lich", "doilich"), section=_LEADING),
    Command("cancel_meeting", ("huyhop", "cancel_meeting"), scheduling.cancel, Role.LEADER,
            words=("huy hop", "huyhop"), section=_LEADING),
    Command("document", ("tailieu", "document"), documents.add, Role.LEADER, words=("tai lieu", "tailieu"),
            section=_LEADING),
    Command("start_meeting", ("batdau", "start_meeting"), meeting.start_meeting, Role.LEADER,
            words=("bat dau", "batdau"), section=_LEADING),
    Command("checkin_for", ("diemdanh_ho", "checkin_for"), checkin.checkin_for, Role.LEADER,
            words=("diem danh ho", "diemdanh ho", "diemdanh_ho"), together=True, section=_LEADING),
    Command("excuse_for", ("vang_ho", "excuse_for", "excuse", "xinvang_ho"), corrections.excuse_for, Role.LEADER,
            words=("vang ho", "xin vang ho", "vang_ho", "vangho"), section=_LEADING),
    Command("spoke", ("phatbieu", "spoke"), speakers.spoke, Role.LEADER, words=("phat bieu", "phatbieu"),
            section=_LEADING),
    Command("vote", ("bieuquyet", "vote"), votes.open_vote, Role.LEADER, words=("bieu quyet", "bieuquyet"),
            section=_LEADING),
    Command("close_vote", ("ketthucbq", "close_vote"), votes.close_vote, Role.LEADER,
            words=("ket thuc bieu quyet", "ketthucbq"), section=_LEADING),
    Command("assign", ("giaoviec", "assign"), tasks.assign, Role.LEADER, words=("giao viec", "giaoviec"),
            section=_LEADING),
    Command("end_meeting", ("ketthuc", "end_meeting"), meeting.end_meeting, Role.LEADER,
            words=("ket thuc", "ketthuc"), keeps_question=True, section=_LEADING),
    Command("report", ("baocao", "report"), reports.report, Role.LEADER, words=("bao cao", "baocao"),
            section=_AFTER, hats=(Hat.LEADER, Hat.COMMITTEE), own_help=(Hat.COMMITTEE,)),  # the committee's cells
    Command("assess", ("danhgia", "assess"), quality.assess, Role.LEADER, words=("danh gia", "danhgia"),
            section=_AFTER),
    Command("minutes", ("bienban", "minutes"), minutes.minutes, Role.LEADER, words=("bien ban", "bienban"),
            section=_AFTER),
    Command("rate", ("xeploai", "rate", "xep_loai"), rating.rate_cell, words=("xep loai", "xeploai"),
            section=_AFTER, hats=(Hat.COMMITTEE,)),  # the committee's yearly rating of its cells
    Command("correct", ("suadiemdanh", "correct", "sua_diemdanh"), corrections.correct, Role.LEADER,
            words=("sua diem danh", "suadiemdanh", "sua diemdanh"), section=_FIXES),
    Command("correct_time", ("suagio", "correct_time", "sua_gio"), fixes.correct_time, Role.LEADER,
            words=("sua gio", "suagio"), section=_FIXES),
    Command("edit_task", ("suaviec", "edit_task", "sua_viec"), fixes.edit_task, Role.LEADER,
            words=("sua viec", "suaviec"), section=_FIXES),
    Command("withdraw_task", ("xoaviec", "withdraw_task", "xoa_viec", "rutviec"), fixes.withdraw_task, Role.LEADER,
            words=("xoa viec", "xoaviec", "rut viec"), section=_FIXES),
    # a leader gets a group's code in private; in the group, whoever adds chibo types that code
    Command("link_group", ("lienket", "link_group"), onboarding.link_group, Role.LEADER, words=("lien ket", "lienket"),
            together=True, in_groups=True),
    Command("channel", ("kenh", "channel"), onboarding.channel, words=("kenh", "chon kenh")),
    Command("help", ("huongdan", "help", "trogiup"), help_, Role.ANYONE,
            words=("huong dan", "huongdan", "tro giup", "help"), together=True, in_groups=True),
    Command("start", ("start", "batdau_lienket"), onboarding.start, Role.ANYONE, words=("start",), together=True,
            hats=(Hat.STRANGER,), menu=False),  # a linked account is told it is linked already
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
