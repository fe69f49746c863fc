"""The neutral request a platform adapter builds, and the reply it renders."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

# Which take of the update being handled in this task the intake is at (``bot.runtime.intake`` sets it, the router reads
# it): 0 the first, then 1, 2... when a request that could not be recorded nor dropped is taken again; GIVEN_UP
# when it was taken too often: it is then dropped and the member told once that it was not recorded.
intake_take: ContextVar[int] = ContextVar("chibo_intake_take", default=0)
GIVEN_UP = -1


@dataclass(frozen=True)
class Request:
    platform: str  # a registered platform's name (bot.platforms)
    user_id: str
    chat_id: str
    update_key: str  # unique per update, for de-duplication
    display_name: str = ""
    is_group: bool = False
    command: str | None = None  # canonical command name, see handlers.commands
    args: str = ""  # what follows the command
    button: str | None = None  # callback data of a pressed button
    text: str | None = None  # a plain message (no command)
    raw_command: str | None = None  # the command as typed, for "unknown command"
    addressed: bool = False  # in a group: the message mentions or replies to the bot
    bot_key: str | None = None  # which bot of the platform received it (several Zalo bots)
    take: int = 0  # ``intake_take`` when the router took it
    file: Attachment | None = None  # a file sent with the command in its caption (/tailieu)
    unreadable: bool = False  # a message whose content the platform did not pass on (Zalo: a file, a video…)


@dataclass(frozen=True)
class Attachment:
    """A file a person sent, as the platform names it: chibo keeps the reference, not the bytes."""

    file_id: str
    name: str
    size: int
    kind: str = "document"  # "document" | "photo"
    saved: str | None = None  # a copy kept in the reports folder (its file name), for a signed link on Zalo


@dataclass(frozen=True)
class Button:
    label: str
    data: str
    web_app: str | None = None  # a page to open inside the chat app (Telegram Mini App) instead of a callback


@dataclass
class Reply:
    text: str  # Telegram-style HTML, already escaped
    buttons: list[list[Button]] = field(default_factory=list)

    def to_payload(self) -> dict:
        return {
            "text": self.text,
            "buttons": [[{"label": b.label, "data": b.data, **({"web_app": b.web_app} if b.web_app else {})}
                         for b in row] for row in self.buttons],
        }

    @classmethod
    def from_payload(cls, payload: dict) -> Reply:
        return cls(
            text=payload["text"],
            buttons=[[Button(b["label"], b["data"], b.get("web_app")) for b in row] for row in payload.get("buttons", [])],
        )


@dataclass
class Response:
    replies: list[Reply] = field(default_factory=list)
    toast: str | None = None  # the short answer to a pressed button
    queued: int = 0  # messages this request put in the outbox
    duplicate: bool = False  # the update had been handled already (nothing done)
    failed: bool = False  # the storage failed; the answer asks to try again

    @classmethod
    def say(cls, text: str, buttons: list[list[Button]] | None = None, *, failed: bool = False) -> Response:
        return cls(replies=[Reply(text, buttons or [])], failed=failed)
