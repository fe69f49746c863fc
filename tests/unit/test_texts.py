"""The text catalog: every language has every key with the same placeholders, and every key is used."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from core.texts import CATALOG, LANGUAGES, load_catalog, t

REPO = Path(__file__).resolve().parents[2]
CODE_DIRS = ("bot", "core", "handlers", "reports", "scheduler", "storage")
# Keys built at run time from a value: f"kind.{meeting.kind.value}", f"why.{reason.value}", …
DYNAMIC_PREFIXES = ("kind.", "why.", "status.", "quality.q.", "quality.a.", "quality.level.", "quality.criterion.",
                    "web.status.", "web.filter.", "web.mark.", "web.sym.",
                    "rating.reason.",  # rating.reason.<code>: tests/flow/test_period.py checks them against rules.yearly
                    "attention.",  # attention.<code>: tests/flow/test_attention.py checks them against reports.attention.Code
                    "menu.", "help.")  # menu.<command>, help.<command>: tests/flow/test_commands.py


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_the_same_keys():
    base = set(CATALOG[LANGUAGES[0]])
    for lang in LANGUAGES[1:]:
        assert set(CATALOG[lang]) == base, f"{lang}: missing {base - set(CATALOG[lang])}, extra {set(CATALOG[lang]) - base}"


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_translation_has_the_same_placeholders(lang):
    for key, template in CATALOG[LANGUAGES[0]].items():
        assert placeholders(CATALOG[lang][key]) == placeholders(template), key


def test_every_key_is_used_somewhere():
    code = "\n".join(p.read_text(encoding="utf-8") for d in CODE_DIRS for pattern in ("*.py", "*.html")
                     for p in (REPO / d).rglob(pattern))  # the web view's templates use keys too
    unused = [k for k in CATALOG[LANGUAGES[0]] if not k.startswith(DYNAMIC_PREFIXES)
              and not re.search(rf"[\"']{re.escape(k)}[\"']", code)]
    assert unused == []


def test_a_key_defined_twice_is_refused(tmp_path):
    for lang in LANGUAGES:
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "a.toml").write_text('"x.y" = "1"\n')
        (tmp_path / lang / "b.toml").write_text('"x.y" = "2"\n')
    with pytest.raises(ValueError, match="twice"):
        load_catalog(tmp_path)


def test_arguments_are_escaped_and_english_falls_back_to_vietnamese():
    assert "&lt;b&gt;" in t("vi", "start.already", name="<b>")
    assert t("fr", "start.already", name="A") == t("vi", "start.already", name="A")


# Web pages (web.*) and button labels (button.*) never reach a Zalo chat as text; everything else may.
CHAT_ONLY = ("web.", "button.")
PRESS_WORDS = {"vi": re.compile(r"\b(bấm|nhấn|nút)\b", re.IGNORECASE), "en": re.compile(r"\b(press|tap|button)", re.IGNORECASE)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_chat_text_tells_to_press_a_button_zalo_has_none(lang):
    """Zalo has no buttons: its choices are numbers (bot.platforms.zalo.adapter.render adds "Trả lời bằng số: 1 – …").
    A text sent on both says what to choose, never that there is something to press."""
    pressing = [key for key, text in CATALOG[lang].items()
                if not key.startswith(CHAT_ONLY) and PRESS_WORDS[lang].search(text)]
    assert pressing == []


def test_numbered_choices_read_well_whatever_the_label():
    from bot.platforms.zalo.adapter import render

    payload = {"text": "Câu 1/5", "buttons": [[{"label": "Có", "data": "a"}, {"label": "Không", "data": "b"}],
                                               [{"label": "Để sau", "data": "c"}]]}
    texts, choices = render("vi", payload)
    assert texts == ["Câu 1/5\nTrả lời bằng số: 1 – Có; 2 – Không; 3 – Để sau."] and choices == ["a", "b", "c"]
    assert "để để" not in texts[0]


DATE = re.compile(r"\b(\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{2}/\d{2})\b")  # not 1/3, a fraction


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_shows_a_fixed_date_examples_come_from_the_clock(lang):
    """An example with a written date ('/lichhop 2026-12-05 19:30') is past one day and refused when typed;
    examples use {ex_meeting}, {ex_due}, … (core.texts.example_dates, next month's, passed by Ctx.t)."""
    fixed = {key: DATE.search(text).group() for key, text in CATALOG[lang].items() if DATE.search(text)}
    assert fixed == {}


def test_example_dates_are_next_month_and_each_names_one_date():
    from datetime import date

    from core.texts import example_dates

    shown = example_dates(date(2026, 12, 31))
    assert shown == {"ex_meeting": "2027-01-05", "ex_thematic": "2027-01-15", "ex_move": "2027-01-06",
                     "ex_due": "20/01/2027", "ex_due_iso": "2027-01-20", "ex_due_short": "20/01",
                     "ex_meeting_short": "05/01"}
