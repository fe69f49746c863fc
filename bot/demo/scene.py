"""Playing chibo as its users do: the real Runtime against the fake Bot API, with a fake clock.

Used by the end-to-end tests, and by the demo and the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.runtime.runner import Runtime
from core.clock import REAL_PACE, FakeClock, PaceTime
from core.settings import Settings
from fakeapi.telegram import FakeTelegramServer
from fakeapi.zalo import FakeZaloServer
from storage import invites
from storage.db import create_engine, session_factory
from storage.models import Cell, Committee, CommitteeMember, InviteKind, Member, MemberStatus, Role


@dataclass
class Person:
    name: str
    user_id: int
    member_id: int | None = None
    committee_member_id: int | None = None
    code: str | None = None
    zalo_id: str | None = None  # the person's Zalo user id (and 1:1 chat id), once they use Zalo
    code_used: bool = False

    @property
    def chat_id(self) -> int:
        return self.user_id


@dataclass
class Line:
    """One line of a person's chat as they see it."""

    at: datetime
    person: str
    sender: str  # "bot" or the person's name
    text: str
    buttons: list[str] = field(default_factory=list)
    kind: str = "text"  # "text", "photo", "document", "button" (a button the person pressed)


@dataclass
class Scene:
    server: FakeTelegramServer
    settings: Settings
    clock: FakeClock
    runtime: Runtime | None = None
    people: dict[str, Person] = field(default_factory=dict)
    # Ten-digit ids, as Telegram's are: a short one (1001) can turn up by chance inside a logged number or a
    # timestamp, and the privacy tests look for every chat id in the logs.
    _next_user: int = 5_550_000_000
    _engine: AsyncEngine | None = None
    transcript: list[Line] = field(default_factory=list)
    zalo: FakeZaloServer | None = None  # when the scene also plays Zalo
    _seen: dict[int, int] = field(default_factory=dict)
    _seen_zalo: dict[str, int] = field(default_factory=dict)
    pace: PaceTime = REAL_PACE  # the platforms' limits counted faster (the tests' scene), as its fake counts them


    # --- lifecycle ---
    async def start_bot(self) -> Runtime:
        self.runtime = Runtime(settings=self.settings, clock=self.clock, pace=self.pace)
        await self.runtime.start()
        return self.runtime

    async def stop_bot(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    def sessions(self):
        """Sessions on the scene's own engine (the bot has its own, as another process would)."""
        if self._engine is None:
            self._engine = create_engine(self.settings.database_url)
        return session_factory(self._engine)

    async def close(self) -> None:
        await self.stop_bot()
        if self._engine is not None:
            await self._engine.dispose()

    # --- setting up the organisation (what an operator does with the CLI) ---
    async def add_committee(self, name: str, parent: int | None = None) -> int:
        async with self.sessions()() as s, s.begin():
            c = Committee(name=name, parent_id=parent, created_at=self.clock.now())
            s.add(c)
            await s.flush()
            return c.id

    async def add_cell(self, committee_id: int, name: str, members: list[tuple[str, Role]], *,
                       exempt: set[str] | frozenset[str] = frozenset(), active_from: date | None = None,
                       probationary: set[str] | frozenset[str] = frozenset(), dues: int | None = None) -> int:
        """A cell as the operator imports it: ``probationary`` members (dự bị), and ``dues`` the monthly amount the
        cell set for everyone (the import's Đảng phí column; None: not set)."""
        active_from = active_from or date(2026, 1, 1)
        async with self.sessions()() as s, s.begin():
            cell = Cell(committee_id=committee_id, name=name, created_at=self.clock.now())
            s.add(cell)
            await s.flush()
            for full_name, role in members:
                status = MemberStatus.DU_BI if full_name in probationary else MemberStatus.CHINH_THUC
                m = Member(cell_id=cell.id, full_name=full_name, role=role, status=status, dues_amount=dues,
                           exempt=full_name in exempt, exempt_reason="sức khỏe" if full_name in exempt else None,
                           exempt_since=active_from if full_name in exempt else None, active_from=active_from,
                           created_at=self.clock.now())
                s.add(m)
                await s.flush()
                invite = await invites.issue(s, InviteKind.MEMBER, self.clock.now(), member_id=m.id)
                self._next_user += 1
                self.people[full_name] = Person(full_name, self._next_user, member_id=m.id, code=invite.code)
            return cell.id

    async def add_committee_member(self, committee_id: int, name: str) -> Person:
        async with self.sessions()() as s, s.begin():
            p = CommitteeMember(committee_id=committee_id, full_name=name, created_at=self.clock.now())
            s.add(p)
            await s.flush()
            invite = await invites.issue(s, InviteKind.COMMITTEE, self.clock.now(), committee_member_id=p.id)
            self._next_user += 1
            person = Person(name, self._next_user, committee_member_id=p.id, code=invite.code)
            self.people[name] = person
            return person

    # --- chatting ---
    def who(self, name: str) -> Person:
        return self.people[name]

    async def say(self, name: str, text: str, *, chat_id: int | None = None, chat_type: str = "private",
                  expect: int = 1, timeout: float = 5.0) -> list[str]:
        """``name`` writes ``text``; waits for ``expect`` new messages in that chat and returns their texts."""
        person = self.who(name)
        chat = chat_id if chat_id is not None else person.chat_id
        self.collect()
        self.transcript.append(Line(self.clock.now(), name, name, text))
        before = self.server.sent_count(chat)
        self.server.send_text(person.user_id, text, chat_id=chat, chat_type=chat_type,
                              first_name=name.split()[-1], chat_title="Nhóm chi bộ" if chat_type != "private" else None)
        if expect:
            await self.server.wait_for(lambda: self.server.sent_count(chat) >= before + expect, timeout=timeout)
        await self.settle()
        return [m.get("text") or m.get("caption") or "" for m in self.server.sent_messages(chat, start=before)]

    async def press(self, name: str, message: dict, data: str, *, expect_reply: bool = True,
                    forged: bool = False) -> dict:
        """``name`` presses the button ``data`` under ``message``; returns the callback answer."""
        person = self.who(name)
        self.collect()
        label = next((b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
                      for b in row if b.get("callback_data") == data), data)
        self.transcript.append(Line(self.clock.now(), name, name, label, kind="button"))
        answered = len(self.server.answered_callbacks())
        self.server.press_button(person.user_id, message, data, first_name=name.split()[-1], forged=forged)
        await self.server.wait_for(lambda: len(self.server.answered_callbacks()) > answered)
        await self.settle()
        answer = self.server.answered_callbacks()[answered]
        said = [line.text for line in self.transcript if line.person == name and line.sender == "bot"]
        if answer.get("text") and not (said and said[-1].startswith(answer["text"])):  # not a repeat of the reply
            self.transcript.append(Line(self.clock.now(), name, "bot", answer["text"], kind="toast"))
        return answer

    async def link(self, *names: str) -> None:
        for name in names:
            person = self.who(name)
            code = await self.new_invite(name) if person.code_used else person.code
            person.code_used = True
            await self.say(name, f"/start {code}")

    # --- Zalo ---
    async def say_zalo(self, name: str, text: str, *, chat_id: str | None = None, chat_type: str = "PRIVATE",
                       expect: int = 1, timeout: float = 5.0) -> list[str]:
        """``name`` writes ``text`` on Zalo; waits for ``expect`` new messages there and returns them."""
        assert self.zalo is not None, "a zalo_scene plays Zalo"
        person = self.who(name)
        if person.zalo_id is None:
            person.zalo_id = f"zl{person.user_id}"
        chat = chat_id or person.zalo_id
        self.collect()
        self.transcript.append(Line(self.clock.now(), name, name, text, kind="zalo_text"))
        before = self.zalo.sent_count(chat)
        self.zalo.send_text(person.zalo_id, text, chat_id=chat, chat_type=chat_type, display_name=name)
        if expect:
            zalo = self.zalo
            await zalo.wait_for(lambda: zalo.sent_count(chat) >= before + expect, timeout=timeout)
        await self.settle()
        return [m.get("text") or m.get("caption") or "" for m in self.zalo.sent_messages(chat, start=before)]

    def zalo_texts(self, name: str) -> list[str]:
        assert self.zalo is not None, "a zalo_scene plays Zalo"
        person = self.who(name)
        return self.zalo.texts(person.zalo_id) if person.zalo_id else []

    async def new_invite(self, name: str) -> str:
        """Another single-use code for the same person (to link a second app)."""
        person = self.who(name)
        async with self.sessions()() as s, s.begin():
            if person.member_id is not None:
                invite = await invites.issue(s, InviteKind.MEMBER, self.clock.now(), member_id=person.member_id)
            else:
                invite = await invites.issue(s, InviteKind.COMMITTEE, self.clock.now(),
                                             committee_member_id=person.committee_member_id)
            return invite.code

    async def link_zalo(self, *names: str) -> None:
        """On Zalo the invite code is just sent as a message."""
        for name in names:
            person = self.who(name)
            code = await self.new_invite(name) if person.code_used else person.code
            person.code_used = True
            assert code is not None  # everyone added to the scene got an invite
            await self.say_zalo(name, code)

    async def settle(self) -> None:
        """Deliver everything that is due now (what the dispatcher would do within a second), after the answers
        still going out (an answer of several messages keeps the chat's pace: about one a second after three)."""
        if self.runtime is not None:
            if self.runtime.intake is not None:
                await self.runtime.intake.until_idle(timeout=10.0)
            while await self.runtime.dispatcher.run_once():
                pass
        self.collect()

    def collect(self) -> None:
        """Add the bot's new messages to each person's transcript, stamped with the clock's time."""
        if self.zalo is not None:
            for person in self.people.values():
                if person.zalo_id is None:
                    continue
                seen = self._seen_zalo.get(person.zalo_id, 0)
                messages = self.zalo.sent_messages(person.zalo_id, start=seen)
                for m in messages:
                    self.transcript.append(Line(self.clock.now(), person.name, "bot", m.get("text") or m.get("caption")
                                                or m.get("photo", ""), kind="zalo_" + m.get("kind", "text")))
                self._seen_zalo[person.zalo_id] = seen + len(messages)
        for person in self.people.values():
            seen = self._seen.get(person.chat_id, 0)
            messages = self.server.sent_messages(person.chat_id, start=seen)
            for m in messages:
                buttons = [b["text"] for row in (m.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
                kind = "photo" if m.get("photo") else "document" if m.get("document") else "text"
                text = m.get("text") or m.get("caption") or (m.get("document") or {}).get("file_name", "")
                self.transcript.append(Line(self.clock.now(), person.name, "bot", text, buttons, kind))
            self._seen[person.chat_id] = seen + len(messages)

    def inbox(self, name: str) -> list[dict]:
        return self.server.sent_messages(self.who(name).chat_id)

    def last(self, name: str) -> dict:
        return self.inbox(name)[-1]

    def last_text(self, name: str) -> str:
        return self.last(name).get("text", "")

    def last_with_button(self, name: str, prefix: str) -> dict:
        for message in reversed(self.inbox(name)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                if any(b.get("callback_data", "").startswith(prefix) for b in row):
                    return message
        raise AssertionError(f"{name} has no message with a '{prefix}' button")

    def at(self, when: datetime) -> None:
        self.clock.set(when)

    async def meeting_in_progress(self, secretary: str, members: list[str]) -> None:
        """Where check-in stories start: a cell of ``secretary`` and ``members``, all linked; the secretary
        schedules the meeting of 5 Dec 2026 at 19:30 and starts it; the clock then at 19:33."""
        committee = await self.add_committee("Đảng ủy phường Hàng Bạc")
        await self.add_cell(committee, "Chi bộ khu dân cư số 1",
                            [(secretary, Role.BI_THU)] + [(n, Role.DANG_VIEN) for n in members])
        await self.start_bot()
        await self.link(secretary, *members)
        await self.say(secretary, "/lichhop 2026-12-05 19:30 Hội trường")
        self.at(datetime(2026, 12, 5, 19, 30, tzinfo=self.settings.tz))
        await self.say(secretary, "/batdau")
        self.at(datetime(2026, 12, 5, 19, 33, tzinfo=self.settings.tz))


async def members_by_name(sessions, cell_id: int) -> dict[str, Member]:
    async with sessions() as s:
        return {m.full_name: m for m in await s.scalars(select(Member).where(Member.cell_id == cell_id))}
