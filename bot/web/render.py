"""Jinja2 templates of the web view, with the bot's text catalog and formats."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from core.texts import fmt_rate, t

TEMPLATES = Path(__file__).with_name("templates")
MARKS = ("present", "late", "excused", "absent", "exempt", "", "-")

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "–"


def _short_day(value: date | None) -> str:
    return value.strftime("%d/%m") if value else "–"


def _month(value: str) -> str:
    """"2026-12" → "12/2026"."""
    return f"{value[5:]}/{value[:4]}"


def render(name: str, lang: str, tz: ZoneInfo, **context: object) -> str:
    def tr(key: str, **kwargs: object) -> Markup:
        return Markup(t(lang, key, **kwargs))  # t() escapes the arguments; the catalog's HTML is ours

    def hm(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%H:%M") if value else "–"

    return _env.get_template(name).render(tr=tr, rate=fmt_rate, day=_day, short_day=_short_day, month=_month,
                                          hm=hm, lang=lang, **context)
