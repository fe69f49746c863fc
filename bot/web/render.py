"""Jinja2 templates of the web view, with the bot's text catalog and formats."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from core.texts import fmt_rate, t

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")  # served at /web/static/ (``pages.Static``)
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


def _css_string(value: str) -> str:
    """Text for a CSS string inside a page's <style> (the print header): HTML entities undone (a <style> is raw
    text), then every character that could end the string or the element escaped the CSS way."""
    text = Markup(value).unescape() if isinstance(value, Markup) else str(value)
    return "".join(f"\\{ord(c):x} " if c in '"\\<>&\'' or ord(c) < 32 else c for c in " ".join(text.split()))


@cache
def static_text(name: str) -> Markup:
    """A file of ``STATIC``, for the PDF's page, which is printed from a file with nothing beside it."""
    return Markup((STATIC / name).read_text(encoding="utf-8"))


_env.filters["css_string"] = _css_string


def render(name: str, lang: str, tz: ZoneInfo, **context: object) -> str:
    def tr(key: str, **kwargs: object) -> Markup:
        return Markup(t(lang, key, **kwargs))  # t() escapes the arguments; the catalog's HTML is ours

    def hm(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%H:%M") if value else "–"

    return _env.get_template(name).render(tr=tr, rate=fmt_rate, day=_day, short_day=_short_day, month=_month,
                                          hm=hm, lang=lang, static_text=static_text, **context)
