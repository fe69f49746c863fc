"""Every command name, phrase and menu entry leads to a flow: a name the router cannot run would
raise KeyError at run time (``FLOWS[req.command]``), so it is caught here instead."""

from __future__ import annotations

from datetime import date

from bot.demo.scene import Scene
from core.texts import CATALOG, example_dates, t
from handlers.commands import ALIASES, BY_NAME, COMMANDS, MENU, PHRASES, TABLE, parse_command, parse_plain_command
from handlers.commands import Role as CommandRole
from handlers.router import FLOWS, IN_GROUPS, OPEN_TO_ANYONE
from storage.models import Role


def test_every_command_has_a_flow_and_every_flow_a_command():
    assert set(COMMANDS) == set(FLOWS)
    assert set(FLOWS) >= IN_GROUPS and set(FLOWS) >= OPEN_TO_ANYONE


def test_the_table_gives_each_command_once_and_its_help_block_names_it():
    assert len(TABLE) == len(BY_NAME) == len(COMMANDS)
    for command in TABLE:
        assert command.names and command.name in command.names, command.name  # the English name is typed too
        if command.help is not None:  # the block of /huongdan that describes it shows its Vietnamese name
            assert f"/{command.names[0]}" in t("vi", command.help, name="A", cell="B", committee="C",
                                                 **example_dates(date(2026, 12, 7))), command.name
        for lang in ("vi", "en"):  # its menu text, in every language
            assert command.menu is False or t(lang, f"menu.{command.name}").strip(), (command.name, lang)
    for lang in ("vi", "en"):  # and no menu text of a command that is gone
        assert {k for k in CATALOG[lang] if k.startswith("menu.")} == {f"menu.{c.name}" for c in TABLE if c.menu}
    assert {c.name for c in TABLE if c.role is CommandRole.ANYONE} == OPEN_TO_ANYONE == {"start", "help"}


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
