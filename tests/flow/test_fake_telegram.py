"""The fake Telegram Bot API, exercised with the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
import warnings
from collections.abc import AsyncIterator, Awaitable

import httpx
import pytest
import pytest_asyncio
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from fakeapi.telegram import FakeTelegramServer, HtmlParseError, UploadedFile, parse_html
from tests.conftest import free_port

USER = 1001
GROUP = -1002003


@pytest_asyncio.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as srv:
        yield srv


@pytest_asyncio.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as client:
        yield client


@pytest.fixture
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB's future ``RetryAfter.retry_after`` type (avoids a deprecation warning)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def retry_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` is an int or a timedelta depending on PTB_TIMEDELTA."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


# ------------------------------------------------------------------------------ basics


@pytest.mark.asyncio
async def test_server_listens_on_loopback_only(server: FakeTelegramServer) -> None:
    assert server.port > 0
    assert server.base_url == f"http://127.0.0.1:{server.port}/bot"
    assert server.base_file_url == f"http://127.0.0.1:{server.port}/file/bot"


@pytest.mark.asyncio
async def test_get_me(server: FakeTelegramServer, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == server.bot_id
    assert me.username == "chibo_test_bot"
    assert me.is_bot
    assert bot.username == "chibo_test_bot"  # Bot.initialize() called getMe
    assert [name for name, _ in server.requests] == ["getMe", "getMe"]


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method(server: FakeTelegramServer, bot: Bot) -> None:
    async with httpx.AsyncClient() as client:
        wrong = await client.post(f"{server.base_url}999:WRONG/getMe")
        unknown = await client.post(
            f"{server.base_url}{server.token}/sendDice", data={"chat_id": 1}
        )
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert unknown.status_code == 404
    assert unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    # python-telegram-bot maps both 401 and 404 to InvalidToken, except that
    # do_api_request() on an initialized bot turns a 404 into EndPointNotFound.
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=server.base_url):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathicMessage", api_kwargs={"chat_id": USER})


@pytest.mark.asyncio
async def test_json_body_and_case_insensitive_method(server: FakeTelegramServer) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}{server.token}/sendmessage",
            json={"chat_id": str(USER), "text": "42", "reply_markup": {"inline_keyboard": []}},
        )
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["result"]["text"] == "42"
    assert body["result"]["chat"]["id"] == USER
    assert server.calls("sendMessage")[0]["chat_id"] == str(USER)


# ------------------------------------------------------------------------------ sendMessage


@pytest.mark.asyncio
async def test_send_message_html(server: FakeTelegramServer, bot: Bot) -> None:
    first = await bot.send_message(USER, "<b>Hi</b> 1 &lt; 2 &amp; 3 &gt; 2", parse_mode="HTML")
    second = await bot.send_message(USER, "plain <b> stays")
    other = await bot.send_message(USER + 1, "other chat")

    assert first.text == "Hi 1 < 2 & 3 > 2"
    assert first.entities[0].type == "bold"
    assert (first.entities[0].offset, first.entities[0].length) == (0, 2)
    assert first.text_html == "<b>Hi</b> 1 &lt; 2 &amp; 3 &gt; 2"
    assert first.from_user.id == server.bot_id
    assert first.chat.id == USER and first.chat.type == "private"
    assert abs(first.date.timestamp() - time.time()) < 5

    # message ids increase per chat
    assert second.message_id == first.message_id + 1
    assert other.message_id == 1
    assert server.texts(USER) == ["Hi 1 < 2 & 3 > 2", "plain <b> stays"]
    assert server.texts() == ["Hi 1 < 2 & 3 > 2", "plain <b> stays", "other chat"]
    assert server.calls("sendMessage")[0]["text"] == "<b>Hi</b> 1 &lt; 2 &amp; 3 &gt; 2"

    reply = await bot.send_message(USER, "re", reply_to_message_id=first.message_id)
    assert reply.reply_to_message.text == "Hi 1 < 2 & 3 > 2"
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "re", reply_to_message_id=999)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("line<br>break", 'Unsupported start tag "br" at byte offset 4'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Character "&" must be escaped as "&amp;" at byte offset 4'),
    ],
)
async def test_send_message_rejects_bad_html(
    server: FakeTelegramServer, bot: Bot, html: str, error: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(USER, html, parse_mode="HTML")
    # PTB strips "Bad Request: " and str.capitalize()s (i.e. lower-cases) the rest
    assert info.value.message == f"can't parse entities: {error}".capitalize()
    assert server.sent_messages() == []
    assert len(server.calls("sendMessage")) == 1  # failed calls are recorded too


@pytest.mark.asyncio
async def test_send_message_length_limits(server: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "   ")
    # The limit applies after entity parsing (and trimming).
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(USER, "\n" + "y" * 4096 + "\n")
    assert [len(text) for text in server.texts(USER)] == [4096, 4096]


@pytest.mark.asyncio
async def test_reply_markup_recorded(server: FakeTelegramServer, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Yes", callback_data="yes"),
                InlineKeyboardButton("No", callback_data="no"),
            ]
        ]
    )
    message = await bot.send_message(USER, "Sure?", reply_markup=markup)

    assert message.reply_markup == markup
    [sent] = server.sent_messages(USER)
    assert sent["reply_markup"]["inline_keyboard"][0][1] == {"text": "No", "callback_data": "no"}
    assert server.calls("sendMessage")[0]["reply_markup"] == markup.to_dict()

    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "too much data", reply_markup=too_long)


@pytest.mark.asyncio
async def test_edit_and_delete(server: FakeTelegramServer, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    message = await bot.send_message(USER, "draft", reply_markup=markup)

    edit = {"chat_id": USER, "message_id": message.message_id, "parse_mode": "HTML"}
    edited = await bot.edit_message_text("<i>final</i>", reply_markup=markup, **edit)
    assert edited.text == "final" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("<i>final</i>", reply_markup=markup, **edit)
    await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=None)

    [current] = server.sent_messages(USER)
    assert current["text"] == "final" and "reply_markup" not in current

    assert await bot.delete_message(USER, message.message_id)
    assert server.sent_messages(USER) == []
    assert server.sent_count(USER) == 1
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("again", USER, message.message_id)
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, message.message_id)


@pytest.mark.asyncio
async def test_send_document_and_photo(server: FakeTelegramServer, bot: Bot) -> None:
    message = await bot.send_document(
        USER,
        document=b"hello, file",
        filename="report.txt",
        caption="<b>Report</b>",
        parse_mode="HTML",
    )
    assert message.document.file_name == "report.txt"
    assert message.document.file_size == len(b"hello, file")
    assert message.caption == "Report"
    assert message.caption_entities[0].type == "bold"

    [params] = server.calls("sendDocument")
    upload = params["document"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.content) == ("report.txt", b"hello, file")
    assert params["caption"] == "<b>Report</b>"
    assert server.texts(USER) == ["Report"]

    # getFile + download through base_file_url
    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"hello, file"

    size = (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + size + b"rest"
    photo = await bot.send_photo(USER, photo=png, caption="pic")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)
    assert server.calls("sendPhoto")[0]["photo"].content == png
    assert server.texts(USER) == ["Report", "pic"]


@pytest.mark.asyncio
async def test_commands_chat_action_get_chat(server: FakeTelegramServer, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start the bot"), ("help", "Help")])
    await bot.set_my_commands([("start", "Starten")], language_code="de")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="de")] == ["Starten"]
    assert server.my_commands(language_code="de") == [
        {"command": "start", "description": "Starten"}
    ]
    await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([("Start", "uppercase is not allowed")])

    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(USER, "dancing")

    server.send_text(USER, "hi", first_name="Ann", username="ann")
    chat = await bot.get_chat(USER)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (USER, "private", "Ann", "ann")
    assert await bot.close() and await bot.log_out()


# ------------------------------------------------------------------------------ failures


@pytest.mark.asyncio
@pytest.mark.usefixtures("timedelta_retry_after")
async def test_fail_next(server: FakeTelegramServer, bot: Bot) -> None:
    server.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "a")
    assert retry_seconds(info.value) == 7

    server.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "b")

    server.fail_next("sendMessage", status=500, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as network_error:
            await bot.send_message(USER, "c")
        assert not isinstance(network_error.value, BadRequest)
        assert "Internal Server Error" in network_error.value.message

    # only for one chat
    server.fail_next(
        "sendMessage", status=400, chat_id=USER + 1, description="Bad Request: chat not found"
    )
    await bot.send_message(USER, "d")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(USER + 1, "e")

    assert server.texts() == ["d"]
    assert server.http_429 == 1
    assert len(server.calls("sendMessage")) == 6


@pytest.mark.asyncio
async def test_block(server: FakeTelegramServer, bot: Bot) -> None:
    await bot.send_message(USER, "before")
    server.block(USER)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "after")
    with pytest.raises(Forbidden):
        await bot.send_document(USER, b"x", filename="x.txt")
    await bot.send_message(USER + 1, "someone else")
    server.unblock(USER)
    await bot.send_message(USER, "again")
    assert server.texts() == ["before", "someone else", "again"]


@pytest.mark.asyncio
@pytest.mark.usefixtures("timedelta_retry_after")
async def test_enforce_limits() -> None:
    # 40 quick messages to distinct chats: at most 30 per rolling second pass. The flood control's
    # clock stands still, so a loaded machine that takes over a second for the 40 sends changes nothing.
    async with FakeTelegramServer(enforce_limits=True) as limited:
        limited._flood._clock = lambda: 1000.0
        async with Bot(limited.token, base_url=limited.base_url) as client:
            results = await asyncio.gather(
                *(client.send_message(10_000 + i, f"hello {i}") for i in range(40)),
                return_exceptions=True,
            )
            refused = [r for r in results if isinstance(r, RetryAfter)]
            assert all(isinstance(r, RetryAfter) or r.text.startswith("hello") for r in results)
            assert len(refused) == 10
            assert limited.http_429 == len(refused)
            assert all(retry_seconds(r) >= 1 for r in refused)

    # one private chat: a short burst passes, then 429
    async with (
        FakeTelegramServer(enforce_limits=True) as limited,
        Bot(limited.token, base_url=limited.base_url) as client,
    ):
        burst = [await _outcome(client.send_message(USER, str(i))) for i in range(5)]
        assert burst[:3] == ["0", "1", "2"]
        assert all(isinstance(r, RetryAfter) for r in burst[3:])

    # one group: 20 messages a minute
    async with (
        FakeTelegramServer(enforce_limits=True) as limited,
        Bot(limited.token, base_url=limited.base_url) as client,
    ):
        sent = [await _outcome(client.send_message(GROUP, str(i))) for i in range(21)]
        assert not any(isinstance(r, Exception) for r in sent[:20])
        assert isinstance(sent[20], RetryAfter) and retry_seconds(sent[20]) > 30


async def _outcome(send: Awaitable[Message]) -> str | RetryAfter:
    """The sent message's text, or the exception."""
    try:
        return (await send).text
    except RetryAfter as exc:
        return exc


# ------------------------------------------------------------------------------ updates


@pytest.mark.asyncio
async def test_get_updates_offset_and_long_poll(server: FakeTelegramServer, bot: Bot) -> None:
    first = server.send_text(USER, "/start@chibo_test_bot payload")
    server.send_text(USER, "hello")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], first["update_id"] + 1]
    command = updates[0].message
    assert command.entities[0].type == "bot_command"
    entity = command.entities[0]
    assert (entity.offset, entity.length) == (0, len("/start@chibo_test_bot"))
    assert (await bot.get_updates(limit=1))[0].update_id == first["update_id"]

    # confirming with offset drops them
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()

    # a held long poll answers as soon as an update arrives
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(offset=updates[-1].update_id + 1, timeout=10))
    await asyncio.sleep(0.1)
    assert not poll.done()
    server.send_text(USER, "wake up")
    [update] = await asyncio.wait_for(poll, 2)
    assert update.message.text == "wake up"
    assert time.monotonic() - started < 2

    # and returns [] when the timeout passes
    started = time.monotonic()
    assert await bot.get_updates(offset=update.update_id + 1, timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_stop_releases_long_poll_promptly() -> None:
    server = FakeTelegramServer()
    await server.start()
    async with Bot(server.token, base_url=server.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await server.stop()
        assert await asyncio.wait_for(poll, 2) == ()
        assert time.monotonic() - started < 1


@pytest.mark.asyncio
async def test_wait_for_times_out_with_a_helpful_message(
    server: FakeTelegramServer, bot: Bot
) -> None:
    await bot.send_message(USER, "only one")
    with pytest.raises(AssertionError) as info:
        await server.wait_for_messages(USER, 2, timeout=0.1)
    assert "expected at least 2 message(s) to chat 1001" in str(info.value)
    assert "only one" in str(info.value)


# ------------------------------------------------------------------------------ end to end


async def start_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ping", callback_data="ping")]])
    await update.message.reply_text(
        f"Hello <b>{update.effective_user.first_name}</b>, args={context.args}",
        parse_mode="HTML",
        reply_markup=keyboard,
    )


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("pong!")
    await query.edit_message_text(f"pressed {query.data}")


@pytest.mark.asyncio
async def test_application_polling_end_to_end(server: FakeTelegramServer) -> None:
    app = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CallbackQueryHandler(button))

    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        server.send_text(USER, "/start abc", first_name="Ann")
        [reply] = await server.wait_for_messages(USER, 1)
        assert reply["text"] == "Hello Ann, args=['abc']"
        assert reply["entities"] == [{"type": "bold", "offset": 6, "length": 3}]

        server.press_button(USER, reply, "ping")
        await server.wait_for(lambda: server.texts(USER) == ["pressed ping"])
        [answer] = server.answered_callbacks()
        assert answer["text"] == "pong!"
        with pytest.raises(ValueError, match="no button"):
            server.press_button(USER, reply, "ping")  # the edit removed the keyboard
    finally:
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        assert time.monotonic() - started < 2

    # the last getUpdates confirmed everything that was processed
    assert server.calls("getUpdates")[-1]["offset"] == server.send_text(USER, "late")["update_id"]
    assert server.calls("deleteWebhook")  # start_polling makes sure no webhook is set


@pytest.mark.asyncio
async def test_application_webhook_end_to_end(server: FakeTelegramServer, bot: Bot) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    port = free_port()
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url=f"http://127.0.0.1:{port}/hook",
        secret_token="s3cret",
    )
    try:
        info = await bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/hook"
        with pytest.raises(Conflict):
            await bot.get_updates()

        server.send_text(USER, "via webhook")
        [reply] = await server.wait_for_messages(USER, 1)
        assert reply["text"] == "echo: via webhook"
        assert len(server.webhook_deliveries) == 1
        assert (await bot.get_webhook_info()).pending_update_count == 0
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    server.send_text(USER, "queued again")
    assert [u.message.text for u in await bot.get_updates()] == ["queued again"]


@pytest.mark.asyncio
async def test_group_commands_and_second_poller_conflict(
    server: FakeTelegramServer, bot: Bot
) -> None:
    update = server.send_text(
        USER, "/help@chibo_test_bot", chat_id=GROUP, chat_type="group", chat_title="Team"
    )
    assert update["message"]["chat"] == {"id": GROUP, "type": "group", "title": "Team"}
    assert update["message"]["from"]["id"] == USER

    # A second bot instance polling terminates the first one's long poll.
    old = asyncio.create_task(bot.get_updates(offset=update["update_id"] + 1, timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(server.token, base_url=server.base_url) as second_instance:
        assert await second_instance.get_updates(offset=update["update_id"] + 1) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(old, 2)


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>đồng chí</b> 😀<i>x</i>", "đồng chí 😀x",
         [{"type": "bold", "offset": 0, "length": 8}, {"type": "italic", "offset": 11, "length": 1}]),
        ("<a href='https://x.vn/?a=1&amp;b=2'>link</a>", "link",
         [{"type": "text_link", "offset": 0, "length": 4, "url": "https://x.vn/?a=1&b=2"}]),
        ("<pre><code class=\"language-py\">p</code></pre>", "p",
         [{"type": "pre", "offset": 0, "length": 1, "language": "py"}]),
        ("<blockquote expandable>q</blockquote><span class=tg-spoiler>s</span>", "qs",
         [{"type": "expandable_blockquote", "offset": 0, "length": 1}, {"type": "spoiler", "offset": 1, "length": 1}]),
        ("&lt;b&gt; &#65;&#x1F600;", "<b> A😀", []),
    ],
)
def test_parse_html_gives_text_and_utf16_entities(html: str, text: str, entities: list) -> None:
    assert parse_html(html) == (text, entities)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<i =y>", 'Empty attribute name in the tag "i" at byte offset 0'),
        ("<i x>", 'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 0'),
        ("<a href=x$>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("đ <a href='x>", "Unclosed start tag at byte offset 3"),
    ],
)
def test_parse_html_refuses_what_telegram_refuses(html: str, error: str) -> None:
    with pytest.raises(HtmlParseError) as info:
        parse_html(html)
    assert str(info.value) == error
    assert parse_html("a & b", strict=False) == ("a & b", [])
