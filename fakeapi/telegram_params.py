"""The fake Bot API's request side: decoding a request's parameters (as python-telegram-bot
sends them), the uploaded files, and the small checks every method uses."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any

from fakeapi._server import ApiError

# Parameters whose form value is always a plain string.  python-telegram-bot sends
# strings as they are and JSON-encodes everything else, so without this list the
# text "42" could not be told apart from the number 42.
_STRING_PARAMS = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "data",
        "description",
        "document",
        "emoji",
        "file_id",
        "inline_message_id",
        "ip_address",
        "language_code",
        "message_effect_id",
        "name",
        "parse_mode",
        "photo",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
    }
)




def _bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class UploadedFile:
    """A file the bot uploaded (multipart), as recorded in :attr:`FakeTelegramServer.requests`."""

    filename: str
    content: bytes
    mime_type: str
    file_id: str = ""
    file_unique_id: str = ""
    file_path: str = ""

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None


@dataclass
class _StoredMessage:
    """A message in the fake's memory: the JSON Message object plus bookkeeping."""

    message: dict[str, Any]
    from_bot: bool
    deleted: bool = False




def _decode_form_value(name: str, raw: str) -> Any:
    """python-telegram-bot sends strings verbatim and everything else as JSON."""
    if name in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _decode_params(request: Any) -> dict[str, Any]:
    """Decode query string, urlencoded/multipart form or JSON body into one dict."""
    params: dict[str, Any] = {}
    for source in (request.query_arguments, request.body_arguments):
        for name, values in source.items():
            params[name] = _decode_form_value(name, values[-1].decode("utf-8", "replace"))
    for name, files in request.files.items():
        upload = files[-1]
        params[name] = UploadedFile(
            filename=upload.filename or name,
            content=bytes(upload.body),
            mime_type=upload.content_type or "application/octet-stream",
        )
    content_type = request.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() == "application/json" and request.body.strip():
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        params.update(body)
    # InputFiles sent as "attach://<name>" (e.g. thumbnails) refer to another form part.
    for name, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value[len("attach://") :])
            if isinstance(attached, UploadedFile):
                params[name] = attached
    return params


def _coerce_chat_id(value: Any) -> int | str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return None


def _int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _int_param(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f"wrong parameter {name} in request") from None


def _float_param(params: dict[str, Any], name: str, default: float) -> float:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad_request(f"wrong parameter {name} in request") from None


def _truthy(value: Any) -> bool:
    """A boolean parameter, however it was spelled (JSON true, "true", 1, ...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG (read from its header); (0, 0) for anything else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return width, height
    return 0, 0
