"""A small async client for the Zalo Bot API (``bot-api.zaloplatforms.com``).

Zalo's Bot API looks like Telegram's (``{root}/bot{token}/{method}``, a
``{ok, result, description, error_code}`` envelope) but is much smaller and
differs where it matters; see ``docs/zalo.md`` for what was checked against
public sources and what was not.  In short:

* ``getUpdates`` answers ONE event (no list, no offset, no update id); a poll
  that found nothing answers ``{"ok": false, "error_code": 408}`` (HTTP 200, or
  HTTP 408) - :meth:`ZaloClient.get_update` turns that into ``None``;
* errors may come with HTTP 200 (``ok: false`` carries the code), so the code in
  the body wins over the HTTP status;
* webhook requests carry ``X-Bot-Api-Secret-Token``; bodies come as
  ``{event_name, message}`` or wrapped as ``{ok, result: {event_name, message}}``
  - :func:`parse_event` accepts both and :func:`check_secret` compares the
  secret in constant time;
* texts and captions are 1 to 2,000 characters; longer ones are refused here,
  before any request (callers split first).

Privacy: the token is part of every URL.  Nothing in this module logs a URL or a
message text, exceptions never carry either (httpx errors are not chained), and
a filter on the ``httpx`` logger replaces ``/bot<token>/`` by ``/bot***/`` in
its "HTTP Request: ..." lines.  Callers should still set
``logging.getLogger("httpx").setLevel(logging.WARNING)`` (``bot/cli/app.py`` does).

Errors are :class:`ZaloApiError` subclasses, so a caller can translate them into
the neutral delivery errors of ``scheduler/delivery/senders.py``:

==========================  ======================================================
401                         :class:`ZaloUnauthorized` (bad or reset token)
403                         :class:`ZaloForbidden` (see docs/zalo.md: meaning unclear)
429                         :class:`ZaloRateLimited` (``retry_after`` or ``None``)
408 (outside getUpdates)    :class:`ZaloServerError` (a time-out: transient)
5xx                         :class:`ZaloServerError`
time-out, network error     :class:`ZaloNetworkError` (a ``ZaloServerError``)
other 4xx                   :class:`ZaloBadRequest`
anything else               :class:`ZaloApiError` itself
==========================  ======================================================
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

__all__ = [
    "DEFAULT_API_URL",
    "EVENT_IMAGE",
    "EVENT_STICKER",
    "EVENT_TEXT",
    "EVENT_UNSUPPORTED",
    "MAX_TEXT_LENGTH",
    "SECRET_HEADER",
    "ZaloApiError",
    "ZaloBadRequest",
    "ZaloClient",
    "ZaloEvent",
    "ZaloForbidden",
    "ZaloNetworkError",
    "ZaloRateLimited",
    "ZaloServerError",
    "ZaloUnauthorized",
    "check_secret",
    "parse_event",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_API_URL = "https://bot-api.zaloplatforms.com"
#: Longest ``text`` (sendMessage) or ``caption`` (sendPhoto) Zalo accepts.
MAX_TEXT_LENGTH = 2000
#: The header every webhook request carries (value: the ``secret_token`` given to setWebhook).
SECRET_HEADER = "X-Bot-Api-Secret-Token"
SECRET_MIN_LENGTH = 8
SECRET_MAX_LENGTH = 256

EVENT_TEXT = "message.text.received"
EVENT_IMAGE = "message.image.received"
EVENT_STICKER = "message.sticker.received"
EVENT_UNSUPPORTED = "message.unsupported.received"

_IDLE_CODE = 408
#: Extra seconds the HTTP read may take beyond the long-poll ``timeout`` Zalo is asked to hold.
_POLL_GRACE = 10.0


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class ZaloApiError(Exception):
    """An error answer (or no answer) of the Zalo Bot API.

    ``str(error)`` is ``"<method>: <error_code> <description>"``; it never contains the
    URL, the token or a message text.
    """

    def __init__(self, error_code: int | None, description: str, *, method: str | None = None):
        self.error_code = error_code
        self.description = description
        self.method = method
        prefix = f"{method}: " if method else ""
        code = f"{error_code} " if error_code is not None else ""
        super().__init__(f"{prefix}{code}{description}")


class ZaloBadRequest(ZaloApiError):
    """400/404 and other 4xx: the request itself is wrong; sending it again will not help.
    Also raised client-side for texts over 2,000 characters and bad webhook secrets."""


class ZaloUnauthorized(ZaloApiError):
    """401: the bot token is wrong, or was reset in Zalo Bot Creator."""


class ZaloForbidden(ZaloApiError):
    """403: refused for this chat or bot (read docs/zalo.md: Zalo's own table calls 403
    "Internal server error", so treat "blocked" as a guess)."""


class ZaloRateLimited(ZaloApiError):
    """429 "Quota exceeded" (free plan: 3,000 messages a month).  ``retry_after`` is the
    delay the answer gave (``parameters.retry_after`` or a ``Retry-After`` header), else
    ``None``: Zalo is not known to give one, and a monthly quota will not be back in seconds."""

    def __init__(
        self,
        error_code: int | None,
        description: str,
        *,
        method: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(error_code, description, method=method)
        self.retry_after = retry_after


class ZaloServerError(ZaloApiError):
    """5xx, or 408 outside getUpdates: Zalo failed or was too slow; try again later."""


class ZaloNetworkError(ZaloServerError):
    """No answer at all: time-out, refused connection, broken transport (``error_code`` is
    ``None``).  A :class:`ZaloServerError`, so one ``except`` covers every transient failure."""


def _error_for(
    code: int | None, description: str, method: str, retry_after: float | None
) -> ZaloApiError:
    if code == 401:
        return ZaloUnauthorized(code, description, method=method)
    if code == 403:
        return ZaloForbidden(code, description, method=method)
    if code == 429:
        return ZaloRateLimited(code, description, method=method, retry_after=retry_after)
    if code is not None and (code >= 500 or code == _IDLE_CODE):
        return ZaloServerError(code, description, method=method)
    if code is not None and 400 <= code < 500:
        return ZaloBadRequest(code, description, method=method)
    return ZaloApiError(code, description, method=method)


# --------------------------------------------------------------------------------------
# Keeping the token out of logs
# --------------------------------------------------------------------------------------

_TOKEN_IN_URL = re.compile(r"/bot[^/\s\"'<>]+/")


class _RedactTokenFilter(logging.Filter):
    """Rewrites ``/bot<token>/`` as ``/bot***/`` in the records of the ``httpx`` logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record: leave it to logging's own error handling
            return True
        if "/bot" in message:
            record.msg = _TOKEN_IN_URL.sub("/bot***/", message)
            record.args = None
        return True


_REDACT_FILTER = _RedactTokenFilter()


def _install_redaction() -> None:
    # httpx logs every request to the "httpx" logger itself (httpcore's DEBUG lines carry
    # no URL); a logger's filters only see records logged to that very logger.
    logger = logging.getLogger("httpx")
    if _REDACT_FILTER not in logger.filters:
        logger.addFilter(_REDACT_FILTER)


# --------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZaloEvent:
    """One incoming Zalo event (a message the bot received).

    Ids are Zalo's opaque strings.  ``text`` is set for ``message.text.received`` only.
    ``text``, ``display_name`` and ``raw`` are left out of ``repr()`` so that logging an
    event does not log what people wrote.
    """

    event_name: str
    message_id: str
    chat_id: str
    chat_type: str  # "PRIVATE" or "GROUP"
    user_id: str
    display_name: str = field(repr=False)
    text: str | None = field(repr=False)
    date: datetime
    raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def dedup_key(self) -> str:
        """Zalo may deliver an event twice and has no update id: de-duplicate on this."""
        return f"{self.event_name}:{self.message_id}"

    @property
    def is_group(self) -> bool:
        return self.chat_type == "GROUP"

    @property
    def image_url(self) -> str | None:
        """The image of a ``message.image.received`` (``photo_url``, or ``photo`` as the docs name it)."""
        if self.event_name != EVENT_IMAGE:
            return None
        message = self.raw.get("message") or {}
        url = message.get("photo_url") or message.get("photo")
        return url.strip() if isinstance(url, str) and re.match(r"^https?://", url.strip()) else None

    @property
    def caption(self) -> str | None:
        """The text sent with an image, if any."""
        caption = (self.raw.get("message") or {}).get("caption") if self.event_name == EVENT_IMAGE else None
        return caption if isinstance(caption, str) and caption.strip() else None


def _opaque_id(value: Any) -> str | None:
    """An id as a non-empty string (numbers are accepted and turned into strings)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _infer_event_name(message: dict[str, Any]) -> str | None:
    """getUpdates answers have been published without ``event_name``: guess from the content."""
    if isinstance(message.get("text"), str):
        return EVENT_TEXT
    if message.get("photo_url") or message.get("photo"):
        return EVENT_IMAGE
    if message.get("sticker"):
        return EVENT_STICKER
    return None


def parse_event(body: Any) -> ZaloEvent | None:
    """Parse a webhook body or a getUpdates ``result`` into a :class:`ZaloEvent`.

    Accepts ``{"event_name": ..., "message": {...}}`` and the wrapped form
    ``{"ok": true, "result": {"event_name": ..., "message": {...}}}``.  Returns ``None``
    for anything malformed (never raises): missing or non-string ids, no chat or sender,
    an unknown ``chat_type``, a date that is not a number of milliseconds, a text event
    whose text is not a string.
    """
    try:
        return _parse_event(body)
    except Exception:  # belt and braces: untrusted input must never crash a webhook
        _LOGGER.warning("Zalo event could not be parsed (malformed body)")
        return None


def _parse_event(body: Any) -> ZaloEvent | None:
    if not isinstance(body, dict):
        return None
    event = body
    if "result" in body and "message" not in body:
        if body.get("ok") is not True or not isinstance(body.get("result"), dict):
            return None
        event = body["result"]
    message = event.get("message")
    if not isinstance(message, dict):
        return None

    event_name = event.get("event_name")
    if event_name is None:
        event_name = _infer_event_name(message)
    if not isinstance(event_name, str) or not event_name.strip():
        return None
    event_name = event_name.strip()

    message_id = _opaque_id(message.get("message_id"))
    chat = message.get("chat")
    sender = message.get("from")
    if message_id is None or not isinstance(chat, dict) or not isinstance(sender, dict):
        return None
    chat_id = _opaque_id(chat.get("id"))
    user_id = _opaque_id(sender.get("id"))
    if chat_id is None or user_id is None:
        return None

    raw_type = chat.get("chat_type")
    if raw_type is None:
        # Not seen in published samples; a 1:1 chat has the sender's id as chat id.
        chat_type = "PRIVATE" if chat_id == user_id else "GROUP"
    elif isinstance(raw_type, str) and raw_type.strip().upper() in ("PRIVATE", "GROUP"):
        chat_type = raw_type.strip().upper()
    else:
        return None

    date_ms = message.get("date")
    if isinstance(date_ms, bool) or not isinstance(date_ms, int | float):
        return None
    try:
        date = datetime.fromtimestamp(date_ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None

    text: str | None = None
    if event_name == EVENT_TEXT:
        text = message.get("text")
        if not isinstance(text, str):
            return None

    name = sender.get("display_name") or sender.get("name") or sender.get("first_name") or ""
    return ZaloEvent(
        event_name=event_name,
        message_id=message_id,
        chat_id=chat_id,
        chat_type=chat_type,
        user_id=user_id,
        display_name=name if isinstance(name, str) else "",
        text=text,
        date=date,
        raw=event,
    )


def check_secret(headers_value: str | None, expected: str) -> bool:
    """Is the ``X-Bot-Api-Secret-Token`` header value the secret given to setWebhook?

    Constant-time comparison; ``False`` when the header is missing or no secret is
    configured (an empty expected secret never matches).
    """
    if not isinstance(headers_value, str) or not isinstance(expected, str) or not expected:
        return False
    return hmac.compare_digest(headers_value.encode("utf-8"), expected.encode("utf-8"))


# --------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------


def _check_chat_id(chat_id: Any) -> str:
    if not isinstance(chat_id, str) or not chat_id.strip():
        raise TypeError("Zalo chat ids are non-empty strings")
    return chat_id


def _check_text(value: Any, what: str, method: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string")
    if not value.strip():
        raise ZaloBadRequest(400, f"{what} is empty (Zalo needs 1 to {MAX_TEXT_LENGTH} characters)",
                             method=method)
    if len(value) > MAX_TEXT_LENGTH:
        raise ZaloBadRequest(
            400,
            f"{what} is {len(value)} characters long, Zalo accepts at most {MAX_TEXT_LENGTH}"
            " (split it first)",
            method=method,
        )
    return value


def _retry_after(body: dict[str, Any] | None, response: httpx.Response | None) -> float | None:
    candidates: list[Any] = []
    if isinstance(body, dict):
        parameters = body.get("parameters")
        if isinstance(parameters, dict):
            candidates.append(parameters.get("retry_after"))
        candidates.append(body.get("retry_after"))
    if response is not None:
        candidates.append(response.headers.get("Retry-After"))
    for value in candidates:
        if isinstance(value, bool) or value is None:
            continue
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds >= 0:
            return seconds
    return None


class ZaloClient:
    """Async client for the Zalo Bot API over httpx.

    Args:
        token: The bot token (``<bot id>:<secret>``).  Never logged.
        api_url: API root; ``https://bot-api.zaloplatforms.com`` (the older host was
            ``https://bot-api.zapps.me``), or a :class:`fakeapi.zalo.FakeZaloServer`'s ``root``.
        timeout: Seconds for ordinary calls (getUpdates adds its long-poll time to this).
        client: An ``httpx.AsyncClient`` to use; it is not closed by :meth:`close`.
    """

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 30,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        if not isinstance(token, str) or not token.strip() or "/" in token:
            raise ValueError("a Zalo bot token is a non-empty string without '/'")
        self._token = token.strip()
        self._api_url = api_url.rstrip("/")
        self._timeout = float(timeout)
        self._owns_client = client is None
        self._http = client if client is not None else httpx.AsyncClient(timeout=self._timeout)
        _install_redaction()

    def __repr__(self) -> str:  # never show the token
        return f"ZaloClient(api_url={self._api_url!r})"

    @property
    def api_url(self) -> str:
        return self._api_url

    # ------------------------------------------------------------------ lifecycle

    async def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            await self._http.aclose()

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ transport

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token in text else text

    async def _call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        read_timeout: float | None = None,
        idle_ok: bool = False,
    ) -> dict[str, Any] | None:
        """POST ``payload`` as JSON; return the whole (successful) body.

        With ``idle_ok``, the long-poll "nothing new" answer (408, in the body or as the
        HTTP status) returns ``None`` instead of raising.
        """
        url = f"{self._api_url}/bot{self._token}/{method}"
        timeout = httpx.Timeout(self._timeout, read=read_timeout) if read_timeout else self._timeout
        try:
            response = await self._http.post(url, json=payload or {}, timeout=timeout)
        except httpx.TimeoutException as exc:
            # "from None": httpx exceptions carry the request, whose URL holds the token.
            raise ZaloNetworkError(None, f"timed out ({type(exc).__name__})", method=method) from None
        except httpx.HTTPError as exc:
            raise ZaloNetworkError(None, f"network error ({type(exc).__name__})", method=method) from None

        body: dict[str, Any] | None
        try:
            decoded = response.json()
        except ValueError:
            decoded = None
        body = decoded if isinstance(decoded, dict) else None

        if body is not None and body.get("ok") is True and response.status_code < 400:
            _LOGGER.debug("Zalo %s: ok", method)
            return body

        code: int | None = None
        if body is not None:
            raw_code = body.get("error_code")
            if isinstance(raw_code, int) and not isinstance(raw_code, bool):
                code = raw_code
            elif isinstance(raw_code, str) and raw_code.strip().isdigit():
                code = int(raw_code)
        if code is None and response.status_code >= 400:
            code = response.status_code

        if idle_ok and code == _IDLE_CODE:
            _LOGGER.debug("Zalo %s: nothing new (408)", method)
            return None

        description = ""
        if body is not None and isinstance(body.get("description"), str):
            description = body["description"]
        if not description:
            if body is None:
                description = f"unexpected non-JSON answer (HTTP {response.status_code})"
            else:
                description = response.reason_phrase or "error"
        description = self._redact(description)[:300]
        _LOGGER.debug("Zalo %s: error %s", method, code)
        raise _error_for(code, description, method, _retry_after(body, response))

    @staticmethod
    def _result(body: dict[str, Any] | None) -> dict[str, Any]:
        result = (body or {}).get("result")
        return result if isinstance(result, dict) else {}

    # ------------------------------------------------------------------ methods

    async def get_me(self) -> dict[str, Any]:
        """The bot's identity: ``{"id", "account_name", "account_type", "can_join_groups"}``."""
        return self._result(await self._call("getMe"))

    async def get_update(self, timeout: int = 30) -> ZaloEvent | None:
        """Long-poll for ONE event, for up to ``timeout`` seconds.

        Returns ``None`` when nothing arrived (the 408 idle answer, as HTTP 200 with
        ``ok: false`` or as HTTP 408) and when the event could not be parsed (logged
        without content).  Raises like every other call otherwise.  Polling can lose
        messages (Zalo recommends a webhook in production) and does not work while a
        webhook is set.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise ValueError("timeout is a number of seconds >= 0")
        seconds = int(timeout)
        body = await self._call(
            "getUpdates",
            {"timeout": str(seconds)},  # documented as a String (its sample sends a number)
            read_timeout=seconds + _POLL_GRACE,
            idle_ok=True,
        )
        if body is None:
            return None
        result = body.get("result")
        if not result:
            return None
        event = parse_event(result)
        if event is None:
            _LOGGER.warning("Zalo getUpdates: an update could not be parsed and was dropped")
        return event

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send a plain text (1 to 2,000 characters); returns ``{"message_id", "date"}``.

        Raises :class:`ZaloBadRequest` without calling Zalo when the text is empty or too long.
        """
        chat_id = _check_chat_id(chat_id)
        text = _check_text(text, "text", "sendMessage")
        return self._result(await self._call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(
        self, chat_id: str, photo_url: str, caption: str | None = None
    ) -> dict[str, Any]:
        """Send the image at ``photo_url`` (a public URL Zalo fetches), with an optional caption
        (at most 2,000 characters; ``None`` or a blank caption sends none)."""
        chat_id = _check_chat_id(chat_id)
        if not isinstance(photo_url, str) or not re.match(r"^https?://", photo_url.strip()):
            raise ZaloBadRequest(400, "photo must be an http(s) URL", method="sendPhoto")
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url.strip()}
        if caption is not None and not (isinstance(caption, str) and not caption.strip()):
            payload["caption"] = _check_text(caption, "caption", "sendPhoto")
        return self._result(await self._call("sendPhoto", payload))

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes at ``url`` (an image a user sent, on Zalo's servers), at most ``max_bytes``.
        Raises :class:`ZaloNetworkError` (never showing the URL) when it cannot be fetched or is too big."""
        if not re.match(r"^https?://", url):
            raise ZaloBadRequest(400, "not an http(s) URL", method="download")
        try:
            async with self._http.stream("GET", url, timeout=self._timeout) as response:
                if response.status_code != 200:
                    raise ZaloNetworkError(response.status_code, "could not fetch the file", method="download")
                content = bytearray()
                async for chunk in response.aiter_bytes():
                    content += chunk
                    if len(content) > max_bytes:
                        raise ZaloNetworkError(None, "file too big", method="download")
        except httpx.HTTPError as exc:
            raise ZaloNetworkError(None, f"network error ({type(exc).__name__})", method="download") from None
        return bytes(content)

    async def send_sticker(self, chat_id: str, sticker: str) -> dict[str, Any]:
        """Send a sticker by its id (from https://stickers.zaloapp.com/)."""
        chat_id = _check_chat_id(chat_id)
        if not isinstance(sticker, str) or not sticker.strip():
            raise ZaloBadRequest(400, "sticker id is empty", method="sendSticker")
        return self._result(
            await self._call("sendSticker", {"chat_id": chat_id, "sticker": sticker.strip()})
        )

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> bool:
        """Show "typing..." in the chat (``typing`` is the only action Zalo documents as live)."""
        chat_id = _check_chat_id(chat_id)
        await self._call("sendChatAction", {"chat_id": chat_id, "action": action})
        return True

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """Have Zalo POST events to ``url`` (HTTPS in production) with ``secret_token`` in
        the ``X-Bot-Api-Secret-Token`` header.  The secret must be 8 to 256 characters
        (refused here otherwise).  Returns ``{"url", "updated_at"}``."""
        if not isinstance(url, str) or not url.strip():
            raise ZaloBadRequest(400, "webhook url is empty", method="setWebhook")
        if not isinstance(secret_token, str) or not (
            SECRET_MIN_LENGTH <= len(secret_token) <= SECRET_MAX_LENGTH
        ):
            raise ZaloBadRequest(
                400,
                f"secret_token must be {SECRET_MIN_LENGTH} to {SECRET_MAX_LENGTH} characters",
                method="setWebhook",
            )
        return self._result(
            await self._call("setWebhook", {"url": url.strip(), "secret_token": secret_token})
        )

    async def delete_webhook(self) -> dict[str, Any]:
        """Remove the webhook (needed before polling again); returns ``{"url": "", "updated_at"}``."""
        return self._result(await self._call("deleteWebhook"))

    async def get_webhook_info(self) -> dict[str, Any]:
        """``{"url", "updated_at"}``; ``url`` is ``""`` when no webhook is set.  No secret."""
        return self._result(await self._call("getWebhookInfo"))
