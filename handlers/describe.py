"""How a meeting is named in texts."""

from __future__ import annotations

from core.texts import Html, fmt_datetime, kind_text
from handlers.context import Ctx
from storage.models import Meeting


def kind_label(ctx: Ctx, meeting: Meeting) -> str:
    return kind_text(ctx.lang, meeting.kind.value, meeting.combined)


def when(ctx: Ctx, meeting: Meeting) -> str:
    return fmt_datetime(meeting.scheduled_at, ctx.tz)


def place_suffix(ctx: Ctx, meeting: Meeting) -> Html:
    return Html(ctx.t("place", place=meeting.place) if meeting.place else "")
