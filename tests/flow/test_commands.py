"""Every command name, phrase and menu entry leads to a flow: a name the router cannot run would
raise KeyError at run time (``FLOWS[req.command]``), so it is caught here instead."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.demo.scene import Scene
from core.messages import Request
from core.texts import CATALOG, example_dates, t
from handlers.commands import (
    ALIASES,
    BY_NAME,
    COMMANDS,
    MENU,
    PHRASES,
    TABLE,
    Hat,
    Section,
    help_keys,
    parse_command,
    parse_plain_command,
)
from handlers.commands import Role as CommandRole
from handlers.router import FLOWS, classify
from storage.models import Role
from tests.conftest import DB_KINDS

EXAMPLES = dict(name="A", cell="B", committee="C", **example_dates(date(2026, 12, 7)))


# What each asker wears: a member; a collector; a secretary or deputy (collector by right); a committee member.
ASKERS = {"stranger": {Hat.STRANGER}, "member": {Hat.MEMBER}, "collector": {Hat.MEMBER, Hat.COLLECTOR},
          "leader": {Hat.MEMBER, Hat.COLLECTOR, Hat.LEADER}, "committee": {Hat.COMMITTEE}}


def test_every_command_has_a_flow_and_every_flow_a_command():
    assert set(COMMANDS) == set(FLOWS)


def test_the_table_gives_each_command_once_and_its_help_line_names_it():
    assert len(TABLE) == len(BY_NAME) == len(COMMANDS)
    for command in TABLE:
        assert command.names and command.name in command.names, command.name  # the English name is typed too
        assert command.who, command.name
        for hats in [frozenset(hats) for hats in ASKERS.values() if command.who & hats]:  # each asker's line names it
            for lang, shown in (("vi", command.names[0]), ("en", command.name)):
                assert f"/{shown}" in t(lang, command.help_key(hats), **EXAMPLES), (command.name, lang)
        for lang in ("vi", "en"):  # its menu text, in every language
            assert command.menu is False or t(lang, f"menu.{command.name}").strip(), (command.name, lang)
    for lang in ("vi", "en"):  # and no menu text nor help line of a command that is gone
        assert {k for k in CATALOG[lang] if k.startswith("menu.")} == {f"menu.{c.name}" for c in TABLE if c.menu}
        lines = {c.help for c in TABLE} | {f"{c.help}.{hat.value}" for c in TABLE for hat in c.own_help}
        frame = {f"help.section.{s.value}" for s in Section} | {f"help.head.{h}" for h in ("stranger", "member",
                                                                                        "committee")}
        assert {k for k in CATALOG[lang] if k.startswith("help.")} == lines | frame | {"help.words"}
    assert {c.name for c in TABLE if c.role is CommandRole.ANYONE} == {"start", "help"}
    assert [c.section for c in TABLE] == sorted((c.section for c in TABLE), key=list(Section).index)  # menu order


def test_the_help_of_each_asker_shows_every_command_they_may_use_and_none_other():
    for asker, hats in ASKERS.items():
        keys = [key for _, section in help_keys(frozenset(hats)) for key in section]
        shown = {key.split(".")[1] for key in keys}
        assert shown == {c.name for c in TABLE if c.who & hats}, asker
        assert len(keys) == len(shown), asker  # each command once, the line of the highest hat told more
    assert "help.dues.collector" in [k for _, s in help_keys(frozenset(ASKERS["leader"])) for k in s]
    assert "help.schedule" in [k for _, s in help_keys(frozenset(ASKERS["collector"])) for k in s]


@pytest.mark.parametrize("db_url", DB_KINDS, indirect=True)
async def test_help_as_each_asker_reads_it_in_the_chat(scene: Scene):
    """/huongdan as typed by a stranger, a member, the collector, the secretary, a deputy and a committee member:
    the Vietnamese name of every command their hats may use, and of none other (nor a LEADER command's name
    anywhere in a member's help). Then the same in English, on Zalo as on Telegram."""
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Nguyễn Văn An", Role.BI_THU), ("Lê Thị Hoa", Role.PHO_BI_THU),
                                                 ("Trần Văn Ba", Role.DANG_VIEN), ("Phạm Văn Thu", Role.DANG_VIEN)])
    await scene.add_committee_member(committee, "Cấp Ủy Viên")
    await scene.start_bot()
    await scene.link("Nguyễn Văn An", "Lê Thị Hoa", "Trần Văn Ba", "Phạm Văn Thu", "Cấp Ủy Viên")
    await scene.say("Nguyễn Văn An", "/thuphi Phạm Văn Thu")
    stranger = scene.who("Trần Văn Ba").__class__("Khách", 4242)
    scene.people["Khách"] = stranger
    for person, asker in [("Khách", "stranger"), ("Trần Văn Ba", "member"), ("Phạm Văn Thu", "collector"),
                          ("Nguyễn Văn An", "leader"), ("Lê Thị Hoa", "leader"), ("Cấp Ủy Viên", "committee")]:
        text = "\n".join(await scene.say(person, "/huongdan"))
        named = set(re.findall(r"/([a-z_]+)", text))
        for command in TABLE:
            assert (command.names[0] in named) == bool(command.who & ASKERS[asker]), (person, command.name)
    scene.settings.language = "en"
    text = "\n".join(await scene.say("Trần Văn Ba", "/help"))
    assert "/checkin – check in" in text and "/start_meeting" not in text and "Chi bộ 1" in text
def test_every_name_of_a_command_parses_to_it_and_no_name_serves_two_commands():
    names = [alias for aliases in COMMANDS.values() for alias in aliases]
    assert len(names) == len(set(names)) == len(ALIASES)
    for command, aliases in COMMANDS.items():
        for alias in aliases:
            assert parse_command(f"/{alias} x", "chibo_bot") == (command, "x", alias)
            assert parse_command(f"/{alias.upper()}@chibo_bot", "chibo_bot")[0] == command


def test_every_phrase_parses_to_a_command_the_router_runs():
    for phrase, command in PHRASES.items():
        assert command in FLOWS, phrase
        assert parse_plain_command(f"{phrase} Ốm") == (command, "Ốm", phrase), phrase
        kind = classify(Request(platform="zalo", user_id="1", chat_id="1", update_key="z:1", text=f"{phrase} Ốm"))
        assert kind.command is BY_NAME[command] and kind.words == ("Ốm", phrase), phrase  # what the router reads
        assert kind.together is BY_NAME[command].together, phrase


def test_the_menu_offers_every_command_but_start_in_each_language():
    shown = {lang: [ALIASES.get(name) for name, _ in entries] for lang, entries in MENU.items()}
    assert set(MENU) == {"vi", "en"}
    for lang, commands in shown.items():
        assert None not in commands, lang  # every menu entry is a name the parser knows
        assert len(commands) == len(set(commands)) and set(commands) == set(COMMANDS) - {"start"}, lang
    assert shown["vi"] == shown["en"]  # the same menu in both languages
    assert [name for name, _ in MENU["vi"]] == [COMMANDS[c][0] for c in shown["vi"]]  # the first name is shown
    assert [name for name, _ in MENU["en"]] == shown["en"]  # English shows the canonical names


async def test_every_name_of_every_command_is_answered_through_the_router(scene: Scene):
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Nguyễn Văn An", Role.BI_THU), ("Trần Văn Ba", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Nguyễn Văn An", "Trần Văn Ba")
    refusals = {t("vi", "unknown_command"), t("vi", "plain_text")}
    for aliases in COMMANDS.values():
        for alias in aliases:
            reply = await scene.say("Nguyễn Văn An", f"/{alias}")
            assert reply and reply[0] not in refusals, alias


async def test_a_member_is_refused_every_leader_command_of_the_table(scene: Scene):
    """The table's role is what the flows check: a member typing any LEADER command, in any of its names
    or in words, is told it is the secretary's, and nothing else runs."""
    committee = await scene.add_committee("Đảng ủy")
    await scene.add_cell(committee, "Chi bộ 1", [("Nguyễn Văn An", Role.BI_THU), ("Trần Văn Ba", Role.DANG_VIEN)])
    await scene.start_bot()
    await scene.link("Nguyễn Văn An", "Trần Văn Ba")
    leader_only = [c for c in TABLE if c.role is CommandRole.LEADER]
    assert leader_only
    for command in leader_only:
        for typed in [f"/{name}" for name in command.names] + list(command.words):
            reply = await scene.say("Trần Văn Ba", typed)
            assert reply == [t("vi", "not_leader")], (command.name, typed, reply)
    for command in TABLE:  # and none of the others
        if command.role is not CommandRole.LEADER:
            reply = await scene.say("Trần Văn Ba", f"/{command.names[0]}")
            assert reply and reply[0] != t("vi", "not_leader"), command.name
