"""Every text chibo sends, Vietnamese first, English available.

The texts live in a catalog, one folder per language (``core/catalog/<lang>/``) and one TOML file
per area (onboarding, scheduling, meeting, summary, weekly, …). Why TOML and not gettext: chibo's
texts are HTML templates with named placeholders addressed by a stable key, not source strings to
translate in place; TOML needs no compile step (``tomllib`` is in the standard library), keeps the
Vietnamese readable for whoever edits it, and a new area is a new file, so two changes rarely touch
the same lines. ``tests/unit/test_texts.py`` checks that every language has the same keys with the same
placeholders, and that every key is used.

Texts are Telegram-style HTML. ``t()`` escapes every argument, so a name with ``<`` or ``&``
can never break a message; pass ``Html(...)`` for a fragment that is already safe HTML.
"""

from __future__ import annotations

import html
import tomllib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rules.attendance import shown_percent
from rules.calendar import next_month_day

CATALOG_DIR = Path(__file__).with_name("catalog")
LANGUAGES = ("vi", "en")  # the first is the fallback


class Html(str):
    """A string that is already valid HTML and must not be escaped again."""


def esc(value: object) -> str:
    return value if isinstance(value, Html) else html.escape(str(value), quote=False)


def load_catalog(root: Path = CATALOG_DIR) -> dict[str, dict[str, str]]:
    """``{lang: {key: template}}`` from ``root/<lang>/*.toml``; a key defined twice is an error."""
    catalog: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        texts: dict[str, str] = {}
        for path in sorted((root / lang).glob("*.toml")):
            with path.open("rb") as fh:
                for key, value in tomllib.load(fh).items():
                    if key in texts:
                        raise ValueError(f"text key {key!r} is defined twice in {root / lang}")
                    if not isinstance(value, str):
                        raise ValueError(f"text key {key!r} in {path} is not a string (quote dotted keys)")
                    texts[key] = value
        catalog[lang] = texts
    return catalog


CATALOG = load_catalog()


def t(lang: str, key: str, **kwargs: object) -> str:
    """The text ``key`` in ``lang`` (falls back to Vietnamese), arguments HTML-escaped."""
    template = CATALOG.get(lang, {}).get(key) or CATALOG[LANGUAGES[0]][key]
    return template.format(**{k: esc(v) for k, v in kwargs.items()})


def example_dates(today: date) -> dict[str, str]:
    """The dates the examples of a text show (``{ex_meeting}`` …), next month's: an example typed as it
    stands is never refused for a date already past. ``Ctx.t`` passes them with every text."""
    meeting, thematic, move, due = (next_month_day(today, d) for d in (5, 15, 6, 20))
    return {"ex_meeting": meeting.isoformat(), "ex_thematic": thematic.isoformat(), "ex_move": move.isoformat(),
            "ex_due": due.strftime("%d/%m/%Y"), "ex_due_iso": due.isoformat(), "ex_due_short": due.strftime("%d/%m"),
            "ex_meeting_short": meeting.strftime("%d/%m")}


def kind_text(lang: str, kind: str, combined: bool = False) -> str:
    """'sinh hoạt thường kỳ', 'sinh hoạt chuyên đề', or both in one session."""
    return t(lang, "kind.combined" if combined else f"kind.{kind}")


ECHO_LIMIT = 60


def echo(value: str, limit: int = ECHO_LIMIT) -> str:
    """What the user typed, as quoted back in an answer: cut to ``limit`` characters with "…", so a
    4,096-character argument never makes the answer itself too long."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def fmt_time(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%H:%M")


def fmt_date(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d/%m/%Y")


def fmt_datetime(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%H:%M %d/%m/%Y")


def fmt_rate(rate: float | None, target: float | None = None, lang: str = "vi") -> str:
    """A rate as a percentage, never rounded onto the ``target`` it missed (rules.shown_percent);
    Vietnamese writes the decimal with a comma: 89,7%."""
    if rate is None:
        return "–"
    value, decimals = shown_percent(rate, target)
    text = f"{value:.{decimals}f}"
    return (text.replace(".", ",") if lang == "vi" else text) + "%"
