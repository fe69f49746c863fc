"""Every command name, phrase and menu entry leads to a flow: a name the router cannot run would
raise KeyError at run time (``FLOWS[req.command]``), so it is caught here instead."""

from __future__ import annotations

from bot.scene import Scene
from core.texts import t
from handlers.commands import ALIASES, COMMANDS, MENU, PHRASES, parse_command, parse_plain_command
from handlers.router import FLOWS, IN_GROUPS, OPEN_TO_ANYONE
from storage.models import Role


def test_every_command_has_a_flow_and_every_flow_a_command():
    assert set(COMMANDS) == set(FLOWS)
    assert set(FLOWS) >= IN_GROUPS and set(FLOWS) >= OPEN_TO_ANYONE


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
