"""The web view's routes, for chibo's HTTP server (``bot.runtime.http_server``)."""

from __future__ import annotations

from bot.web import pages, period_pages
from core.weblinks import TOKEN_PATTERN

_T = rf"/web/({TOKEN_PATTERN})"


def routes(services) -> list[tuple]:
    args = {"services": services}
    return [
        (r"/web/tg", pages.TelegramSignIn, args),
        (r"/web/static/([a-z]+\.(?:css|js))", pages.Static),  # the pages' stylesheet and script, no token
        (rf"{_T}/", pages.Home, args),
        (rf"{_T}/pdf", pages.pdf_of(pages.Home), args),
        (rf"{_T}/me", pages.MePage, args),
        (rf"{_T}/me/pdf", pages.pdf_of(pages.MePage), args),
        (rf"{_T}/cell/([0-9]{{1,12}})", pages.CellPage, args),
        (rf"{_T}/cell/([0-9]{{1,12}})/pdf", pages.pdf_of(pages.CellPage), args),
        (rf"{_T}/cell/([0-9]{{1,12}})/chart\.svg", pages.CellChart, args),
        (rf"{_T}/chart\.svg", pages.CommitteeChart, args),
        (rf"{_T}/weekly\.xlsx", pages.WeeklyWorkbook, args),
        (rf"{_T}/period\.xlsx", period_pages.PeriodWorkbook, args),
        (rf"{_T}/rating", period_pages.RatingPage, args),
        (rf"{_T}/rating/print", period_pages.RatingPrint, args),
        (rf"{_T}/meeting/([0-9]{{1,12}})/minutes", pages.MinutesDraft, args),
        (r"/web/.*", pages.Forbidden, args),  # anything else under /web: the same 403, no hint
    ]
