"""The Zalo Bot API client (bot/platforms/zalo/client.py) against the fake server (fakeapi/zalo.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import pytest_asyncio
import tornado.httpserver
import tornado.netutil
import tornado.web

from bot.platforms.zalo.client import (
    MAX_TEXT_LENGTH,
    SECRET_HEADER,
    ZaloApiError,
    ZaloBadRequest,
    ZaloClient,
    ZaloEvent,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
    check_secret,
    parse_event,
)
from fakeapi.zalo import FakeZaloServer

USER = "6ede9afa66b88fe6d6a9"
OTHER = "a1b2c3d4e5f60718293a"
GROUP = "g0aa11bb22cc33dd44ee"
SECRET = "chibo-webhook-secret"


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeZaloServer]:
    async with FakeZaloServer() as srv:
        yield srv


@pytest_asyncio.fixture
async def client(server: FakeZaloServer) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(server.token, server.root, timeout=5) as zalo:
        yield zalo


async def raw_post(server: FakeZaloServer, method: str, body: dict, token: str | None = None):
    """Call the fake directly, to see the HTTP status and body a client would get."""
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        return await http.post(f"{server.root}/bot{token or server.token}/{method}", json=body)


class _Recorder(tornado.web.RequestHandler):
    def initialize(self, posts: list) -> None:
        self.posts = posts

    def post(self) -> None:
        self.posts.append((dict(self.request.headers), json.loads(self.request.body)))
        self.finish({"message": "Success"})


@pytest_asyncio.fixture
async def webhook_receiver() -> AsyncIterator[tuple[str, list]]:
    """A tiny HTTP server on 127.0.0.1 that records every POST (headers, JSON body)."""
    posts: list = []
    app = tornado.web.Application([(r"/zalo", _Recorder, {"posts": posts})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", family=socket.AF_INET)
    http_server = tornado.httpserver.HTTPServer(app)
    http_server.add_sockets(sockets)
    yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}/zalo", posts
    http_server.stop()
    await http_server.close_all_connections()


# --------------------------------------------------------------------------------------
# getMe, polling
# --------------------------------------------------------------------------------------


async def test_get_me(server: FakeZaloServer, client: ZaloClient) -> None:
    me = await client.get_me()
    assert me == {
        "id": server.bot_id,
        "account_name": "chibo",
        "account_type": "BASIC",
        "can_join_groups": False,
    }
    assert [name for name, _ in server.requests] == ["getMe"]


@pytest.mark.parametrize(("idle_form", "status"), [("ok_false", 200), ("http_408", 408)])
async def test_idle_poll_returns_none(idle_form: str, status: int) -> None:
    async with FakeZaloServer(idle_form=idle_form) as server:
        raw = await raw_post(server, "getUpdates", {"timeout": "0"})
        assert raw.status_code == status
        assert raw.json() == {"ok": False, "error_code": 408, "description": "Request timeout"}
        async with ZaloClient(server.token, server.root) as client:
            assert await client.get_update(timeout=0) is None
        assert server.idle_answers == [status, status]


async def test_idle_poll_alternates_forms_and_client_accepts_both(
    server: FakeZaloServer, client: ZaloClient
) -> None:
    results = [await client.get_update(timeout=0) for _ in range(4)]
    assert results == [None, None, None, None]
    assert server.idle_answers == [200, 408, 200, 408]
    assert server.calls("getUpdates")[0] == {"timeout": "0"}  # sent as a string


async def test_get_update_parses_one_event(server: FakeZaloServer, client: ZaloClient) -> None:
    sent = server.send_text(USER, "Xin chào chi bộ", display_name="Đồng chí Ba")
    server.send_text(OTHER, "second")
    before = datetime.now(UTC)

    event = await client.get_update(timeout=5)

    assert isinstance(event, ZaloEvent)
    message = sent["message"]
    assert event.event_name == "message.text.received"
    assert event.message_id == message["message_id"] and isinstance(event.message_id, str)
    assert event.chat_id == USER and isinstance(event.chat_id, str)
    assert event.user_id == USER
    assert event.chat_type == "PRIVATE" and not event.is_group
    assert event.display_name == "Đồng chí Ba"
    assert event.text == "Xin chào chi bộ"
    assert event.date == datetime.fromtimestamp(message["date"] / 1000, tz=UTC)
    assert event.date.tzinfo is not None
    assert abs((event.date - before).total_seconds()) < 5
    assert event.dedup_key == f"message.text.received:{message['message_id']}"
    assert event.raw == sent
    # ONE event per call: the second is still queued.
    assert server.pending_events == 1
    second = await client.get_update(timeout=5)
    assert second is not None and second.user_id == OTHER and second.text == "second"


async def test_get_update_waits_for_a_late_event(server: FakeZaloServer, client: ZaloClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.2)
        server.send_text(USER, "late", chat_id=GROUP, chat_type="GROUP")

    task = asyncio.create_task(later())
    started = asyncio.get_running_loop().time()
    event = await client.get_update(timeout=10)
    await task
    assert event is not None and event.text == "late"
    assert event.chat_type == "GROUP" and event.is_group and event.chat_id == GROUP
    assert asyncio.get_running_loop().time() - started < 5


async def test_image_sticker_unsupported_events_have_no_text(
    server: FakeZaloServer, client: ZaloClient
) -> None:
    server.send_image(USER, "https://example.invalid/a.jpg", caption="ảnh họp")
    server.send_sticker(USER)
    server.send_unsupported(USER)
    names = []
    for _ in range(3):
        event = await client.get_update(timeout=5)
        assert event is not None and event.text is None
        names.append(event.event_name)
    assert names == [
        "message.image.received",
        "message.sticker.received",
        "message.unsupported.received",
    ]


# --------------------------------------------------------------------------------------
# Sending
# --------------------------------------------------------------------------------------


async def test_send_message_is_recorded(server: FakeZaloServer, client: ZaloClient) -> None:
    result = await client.send_message(USER, "Nhắc lịch sinh hoạt chi bộ")
    assert isinstance(result["message_id"], str) and result["message_id"]
    assert isinstance(result["date"], int)
    assert server.texts(USER) == ["Nhắc lịch sinh hoạt chi bộ"]
    assert server.texts(OTHER) == []
    assert server.sent_count() == 1
    assert server.calls("sendMessage") == [{"chat_id": USER, "text": "Nhắc lịch sinh hoạt chi bộ"}]


async def test_text_over_2000_characters_is_refused_client_side(
    server: FakeZaloServer, client: ZaloClient
) -> None:
    with pytest.raises(ZaloBadRequest) as caught:
        await client.send_message(USER, "x" * (MAX_TEXT_LENGTH + 1))
    assert caught.value.error_code == 400
    assert "2001" in str(caught.value)
    assert server.calls("sendMessage") == []  # nothing went out
    with pytest.raises(ZaloBadRequest):
        await client.send_photo(USER, "https://example.invalid/a.png", caption="y" * 2001)
    assert server.calls("sendPhoto") == []
    # Exactly 2,000 is fine.
    await client.send_message(USER, "x" * MAX_TEXT_LENGTH)
    assert server.sent_count(USER) == 1


async def test_fake_refuses_long_and_empty_texts(server: FakeZaloServer) -> None:
    too_long = await raw_post(server, "sendMessage", {"chat_id": USER, "text": "x" * 2001})
    assert too_long.status_code == 400 and too_long.json()["error_code"] == 400
    empty = await raw_post(server, "sendMessage", {"chat_id": USER, "text": ""})
    assert empty.status_code == 400
    assert server.sent_count() == 0


async def test_send_photo_sticker_and_chat_action(server: FakeZaloServer, client: ZaloClient) -> None:
    await client.send_photo(USER, "https://example.invalid/chart.png", caption="Biểu đồ điểm danh")
    await client.send_photo(USER, "https://example.invalid/plain.png", caption="")  # blank: none
    await client.send_sticker(USER, "d063f44dc80821567819")
    assert await client.send_chat_action(USER) is True
    sent = server.sent_messages(USER)
    assert [m["kind"] for m in sent] == ["photo", "photo", "sticker"]
    assert sent[0]["photo"] == "https://example.invalid/chart.png"
    assert sent[0]["caption"] == "Biểu đồ điểm danh"
    assert "caption" not in sent[1]
    assert sent[2]["sticker"] == "d063f44dc80821567819"
    assert server.calls("sendChatAction") == [{"chat_id": USER, "action": "typing"}]
    assert server.texts(USER) == ["Biểu đồ điểm danh", "", ""]


async def test_chat_ids_must_be_strings(client: ZaloClient) -> None:
    with pytest.raises(TypeError):
        await client.send_message(12345, "hi")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("http_200_errors", [False, True], ids=["http-status", "http-200"])
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, ZaloUnauthorized),
        (403, ZaloForbidden),
        (429, ZaloRateLimited),
        (500, ZaloServerError),
        (502, ZaloServerError),
        (503, ZaloServerError),
        (400, ZaloBadRequest),
        (404, ZaloBadRequest),
    ],
)
async def test_error_codes_are_mapped(status: int, expected: type, http_200_errors: bool) -> None:
    async with (
        FakeZaloServer(http_200_errors=http_200_errors) as server,
        ZaloClient(server.token, server.root) as client,
    ):
        server.fail_next("sendMessage", status)
        with pytest.raises(expected) as caught:
            await client.send_message(USER, "hello")
        error = caught.value
        assert type(error) is expected
        assert error.error_code == status
        assert error.method == "sendMessage"
        if status == 429:
            assert error.description == "Quota exceeded"
            assert error.retry_after is None
        # The failure was used up: the next send goes through.
        await client.send_message(USER, "hello")
        assert server.texts(USER) == ["hello"]


async def test_rate_limited_carries_retry_after_when_given(
    server: FakeZaloServer, client: ZaloClient
) -> None:
    server.fail_next("sendMessage", 429, retry_after=7)
    with pytest.raises(ZaloRateLimited) as caught:
        await client.send_message(USER, "hi")
    assert caught.value.retry_after == 7.0


async def test_wrong_token_is_unauthorized(server: FakeZaloServer) -> None:
    async with ZaloClient("not-the-token", server.root) as client:
        with pytest.raises(ZaloUnauthorized) as caught:
            await client.get_me()
    assert caught.value.error_code == 401
    assert server.requests == []  # unauthorised calls are not recorded


async def test_unknown_method_is_404(server: FakeZaloServer) -> None:
    response = await raw_post(server, "editMessageText", {})
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not found"}
    lower = await raw_post(server, "sendmessage", {"chat_id": USER, "text": "x"})
    assert lower.status_code == 404  # method names are case-sensitive
    assert server.sent_count() == 0


async def test_blocked_chat_is_forbidden(server: FakeZaloServer, client: ZaloClient) -> None:
    server.block(USER)
    with pytest.raises(ZaloForbidden):
        await client.send_message(USER, "hi")
    await client.send_message(OTHER, "hi")  # other chats still work
    server.unblock(USER)
    await client.send_message(USER, "again")
    assert server.texts(USER) == ["again"]


async def test_monthly_quota_answers_429() -> None:
    async with FakeZaloServer(quota=2) as server, ZaloClient(server.token, server.root) as client:
        await client.send_message(USER, "1")
        await client.send_photo(OTHER, "https://example.invalid/2.png")
        for send in (
            lambda: client.send_message(USER, "3"),
            lambda: client.send_sticker(USER, "0e078a2fb66a5f34067b"),
        ):
            with pytest.raises(ZaloRateLimited) as caught:
                await send()
            assert caught.value.description == "Quota exceeded"
        assert await client.send_chat_action(USER) is True  # not a message
    assert server.sent_count() == 2
    assert server.http_429 == 2


async def test_server_timeout_and_network_errors(server: FakeZaloServer) -> None:
    server.stall_next("getMe", 2.0)
    async with ZaloClient(server.token, server.root, timeout=0.2) as client:
        with pytest.raises(ZaloNetworkError) as caught:
            await client.get_me()
    assert isinstance(caught.value, ZaloServerError)
    assert caught.value.error_code is None

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    async with ZaloClient(server.token, dead, timeout=1) as client:
        with pytest.raises(ZaloNetworkError) as caught:
            await client.send_message(USER, "hi")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_408_outside_get_updates_is_transient(server: FakeZaloServer, client: ZaloClient) -> None:
    server.fail_next("sendMessage", 408)
    with pytest.raises(ZaloServerError) as caught:
        await client.send_message(USER, "hi")
    assert caught.value.error_code == 408


async def test_get_update_other_errors_raise(server: FakeZaloServer, client: ZaloClient) -> None:
    server.fail_next("getUpdates", 401)
    with pytest.raises(ZaloUnauthorized):
        await client.get_update(timeout=0)
    server.fail_next("getUpdates", 502)
    with pytest.raises(ZaloServerError):
        await client.get_update(timeout=0)


# --------------------------------------------------------------------------------------
# Never the token, never the text
# --------------------------------------------------------------------------------------


async def test_token_and_text_stay_out_of_logs_and_errors(
    server: FakeZaloServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # a running chibo quiets httpx; here we want its lines
    secret_text = "Nội dung họp kín số 42"
    async with ZaloClient(server.token, server.root) as client:
        await client.get_me()
        await client.send_message(USER, secret_text)
        server.fail_next("sendMessage", 403, description=f"echo {server.token}")
        with pytest.raises(ZaloForbidden) as forbidden:
            await client.send_message(USER, secret_text)
        assert server.token not in repr(client)
    server.stall_next("getMe", 1.0)
    async with ZaloClient(server.token, server.root, timeout=0.1) as impatient:
        with pytest.raises(ZaloNetworkError) as timed_out:
            await impatient.get_me()

    http_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    # Masked by the client, or (once a chibo process installed bot.runtime.log_redaction) without arguments at all.
    assert any("HTTP Request" in line and ("/bot***/" in line or "<redacted>" in line) for line in http_lines)
    for record in caplog.records:
        assert server.token not in record.getMessage()
        assert secret_text not in record.getMessage()
    for error in (forbidden.value, timed_out.value):
        assert server.token not in str(error) and server.root not in str(error)
        assert secret_text not in str(error)
        assert error.__cause__ is None
    assert "***" in forbidden.value.description


# --------------------------------------------------------------------------------------
# parse_event
# --------------------------------------------------------------------------------------

_MESSAGE = {
    "from": {"id": USER, "display_name": "Ted", "is_bot": False},
    "chat": {"id": USER, "chat_type": "PRIVATE"},
    "text": "Xin chào",
    "message_id": "2d758cb5e222177a4e35",
    "date": 1750316131602,
}


def test_parse_event_unwrapped() -> None:
    event = parse_event({"event_name": "message.text.received", "message": dict(_MESSAGE)})
    assert event is not None
    assert (event.event_name, event.message_id, event.chat_id, event.user_id) == (
        "message.text.received",
        "2d758cb5e222177a4e35",
        USER,
        USER,
    )
    assert event.chat_type == "PRIVATE" and event.display_name == "Ted"
    assert event.text == "Xin chào"
    assert event.date == datetime(2025, 6, 19, 6, 55, 31, 602000, tzinfo=UTC)
    assert event.dedup_key == "message.text.received:2d758cb5e222177a4e35"
    assert "Xin chào" not in repr(event) and "Ted" not in repr(event)


def test_parse_event_wrapped_equals_unwrapped() -> None:
    inner = {"message": dict(_MESSAGE), "event_name": "message.text.received"}
    wrapped = parse_event({"ok": True, "result": inner})
    unwrapped = parse_event(inner)
    assert wrapped is not None and wrapped == unwrapped
    assert wrapped.raw == inner


def test_parse_event_group_and_numbers_and_missing_event_name() -> None:
    group = {
        "event_name": "message.image.received",
        "message": {
            "from": {"id": 123, "display_name": "A", "is_bot": False},
            "chat": {"id": GROUP, "chat_type": "group"},
            "photo_url": "https://example.invalid/x.jpg",
            "message_id": 987,
            "date": 1750316131602,
        },
    }
    event = parse_event(group)
    assert event is not None
    assert event.chat_type == "GROUP" and event.user_id == "123" and event.message_id == "987"
    assert event.text is None
    # A getUpdates sample was published without event_name and with first_name.
    sample = {"message": {**_MESSAGE, "from": {"id": USER, "first_name": "Nguyen Van A"}}}
    inferred = parse_event({"ok": True, "result": sample})
    assert inferred is not None
    assert inferred.event_name == "message.text.received" and inferred.display_name == "Nguyen Van A"


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not a dict",
        [],
        {},
        {"ok": False, "error_code": 408, "description": "Request timeout"},
        {"ok": True, "result": None},
        {"ok": True, "result": []},
        {"ok": False, "result": {"event_name": "message.text.received", "message": _MESSAGE}},
        {"event_name": "message.text.received"},
        {"event_name": "message.text.received", "message": "text"},
        {"event_name": "", "message": _MESSAGE},
        {"event_name": 5, "message": _MESSAGE},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "message_id": ""}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "message_id": True}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "chat": None}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "chat": {"chat_type": "PRIVATE"}}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "from": {}}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "chat": {"id": USER, "chat_type": "CHANNEL"}}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "date": "yesterday"}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "date": float("nan")}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "date": 10**30}},
        {"event_name": "message.text.received", "message": {**_MESSAGE, "text": None}},
        {"event_name": "message.text.received", "message": {k: v for k, v in _MESSAGE.items() if k != "date"}},
        {"message": {k: v for k, v in _MESSAGE.items() if k != "text"}},  # nothing to infer from
    ],
)
def test_parse_event_malformed_returns_none(body: object) -> None:
    assert parse_event(body) is None


def test_dedup_key_is_stable_for_a_redelivered_event() -> None:
    body = {"event_name": "message.text.received", "message": dict(_MESSAGE)}
    first, again = parse_event(body), parse_event(json.loads(json.dumps(body)))
    assert first is not None and again is not None
    assert first.dedup_key == again.dedup_key
    other = parse_event({"event_name": "message.text.received", "message": {**_MESSAGE, "message_id": "x"}})
    assert other is not None and other.dedup_key != first.dedup_key


# --------------------------------------------------------------------------------------
# Webhook
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [False, True], ids=["unwrapped", "wrapped"])
async def test_webhook_delivery_with_secret_header(
    wrap: bool, webhook_receiver: tuple[str, list]
) -> None:
    url, posts = webhook_receiver
    async with FakeZaloServer(wrap_webhook=wrap) as server, ZaloClient(server.token, server.root) as client:
        result = await client.set_webhook(url, SECRET)
        assert result["url"] == url and isinstance(result["updated_at"], int)
        assert (await client.get_webhook_info())["url"] == url

        sent = server.send_text(USER, "qua webhook")
        await server.wait_for(lambda: len(posts) == 1 and len(server.webhook_deliveries) == 1)
        headers, body = posts[0]
        assert check_secret(headers.get(SECRET_HEADER), SECRET)
        assert not check_secret(headers.get(SECRET_HEADER), SECRET + "x")
        if wrap:
            assert body == {"ok": True, "result": sent}
        else:
            assert body == sent
        event = parse_event(body)
        assert event is not None and event.text == "qua webhook" and event.chat_id == USER
        assert server.webhook_deliveries == [body]

        # Polling does not work while a webhook is set...
        with pytest.raises(ZaloBadRequest):
            await client.get_update(timeout=0)
        # ...and works again after deleteWebhook.
        deleted = await client.delete_webhook()
        assert deleted["url"] == ""
        assert (await client.get_webhook_info())["url"] == ""
        server.send_text(USER, "polling again")
        polled = await client.get_update(timeout=5)
        assert polled is not None and polled.text == "polling again"
        assert len(posts) == 1


async def test_webhook_secret_must_be_8_to_256_characters(
    server: FakeZaloServer, client: ZaloClient
) -> None:
    for bad in ("short77", "s" * 257):
        with pytest.raises(ZaloBadRequest):
            await client.set_webhook("https://example.invalid/hook", bad)
    assert server.calls("setWebhook") == []  # refused before any request
    raw = await raw_post(server, "setWebhook", {"url": "https://example.invalid/hook", "secret_token": "short77"})
    assert raw.status_code == 400 and raw.json()["ok"] is False
    assert server.webhook_url == ""
    await client.set_webhook("https://example.invalid/hook", "s" * 8)
    assert server.webhook_url == "https://example.invalid/hook"


def test_check_secret() -> None:
    assert check_secret(SECRET, SECRET)
    assert not check_secret(None, SECRET)
    assert not check_secret("", SECRET)
    assert not check_secret(SECRET[:-1], SECRET)
    assert not check_secret(SECRET.upper(), SECRET)
    assert not check_secret("", "")  # no secret configured: nothing matches
    assert check_secret("bí-mật-chi-bộ", "bí-mật-chi-bộ")


# --------------------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------------------


async def test_close_leaves_a_given_http_client_open(server: FakeZaloServer) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        async with ZaloClient(server.token, server.root + "/", client=http) as client:
            assert client.api_url == server.root
            await client.get_me()
        assert not http.is_closed
        own = ZaloClient(server.token, server.root)
        await own.close()
        assert own._http.is_closed


def test_bad_token_is_refused_at_construction() -> None:
    for token in ("", "  ", "a/b"):
        with pytest.raises(ValueError):
            ZaloClient(token)


async def test_errors_share_one_base(server: FakeZaloServer, client: ZaloClient) -> None:
    server.fail_next("getMe", 418)
    with pytest.raises(ZaloBadRequest) as caught:
        await client.get_me()
    assert isinstance(caught.value, ZaloApiError)
    assert str(caught.value) == "getMe: 418 Error"


# --------------------------------------------------------------------------------------
# Answers the fake does not give (bare HTTP statuses), through httpx's mock transport
# --------------------------------------------------------------------------------------


def _mock_client(status: int, content: bytes = b"", headers: dict | None = None) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=headers or {})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_bare_http_408_without_body_is_idle() -> None:
    async with _mock_client(408) as http:
        client = ZaloClient("t:1", "https://zalo.example.invalid", client=http)
        assert await client.get_update(timeout=0) is None
        with pytest.raises(ZaloServerError):  # outside getUpdates it is a time-out
            await client.get_me()


async def test_non_json_answers_and_retry_after_header() -> None:
    async with _mock_client(502, b"<html>Bad Gateway</html>") as http:
        client = ZaloClient("t:1", "https://zalo.example.invalid", client=http)
        with pytest.raises(ZaloServerError) as caught:
            await client.send_message(USER, "hi")
        assert caught.value.error_code == 502 and "non-JSON" in caught.value.description
    async with _mock_client(200, b"not json") as http:
        client = ZaloClient("t:1", "https://zalo.example.invalid", client=http)
        with pytest.raises(ZaloApiError) as caught:
            await client.get_me()
        assert caught.value.error_code is None
    body = b'{"ok": false, "error_code": 429, "description": "Quota exceeded"}'
    async with _mock_client(429, body, {"Retry-After": "30"}) as http:
        client = ZaloClient("t:1", "https://zalo.example.invalid", client=http)
        with pytest.raises(ZaloRateLimited) as caught:
            await client.send_message(USER, "hi")
        assert caught.value.retry_after == 30.0
