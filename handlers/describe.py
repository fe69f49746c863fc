"""How a meeting is named in texts."""

from __future__ import annotations

from core.texts import Html, fmt_datetime
from handlers.context import Ctx
from storage.models import Meeting


def kind_label(ctx: Ctx, meeting: Meeting) -> str:
    return ctx.t(f"kind.{meeting.kind.value}")


def when(ctx: Ctx, meeting: Meeting) -> str:
    return fmt_datetime(meeting.scheduled_at, ctx.tz)


def place_suffix(ctx: Ctx, meeting: Meeting) -> Html:
    return Html(ctx.t("place", place=meeting.place) if meeting.place else "")
