"""Telegram's HTML for the fake Bot API: text plus entities, or the error Telegram gives.

``parse_html`` turns ``parse_mode="HTML"`` text into plain text and entities (offsets in UTF-16
code units, as Telegram counts) and raises ``HtmlParseError`` with Telegram's wording when the
markup is malformed; ``_command_entities`` finds the ``bot_command`` entities of a plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["HtmlParseError", "parse_html"]

_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")



class HtmlParseError(ValueError):
    """Raised by :func:`parse_html`; the message is what Telegram puts after
    ``Bad Request: can't parse entities: ``."""


_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "tg-spoiler",
        "span",
        "blockquote",
    }
)
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_SPACES = frozenset(" \t\r\n\v\f")


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the character reference starting at ``text[pos] == "&"``.

    Follows Telegram (tdlib ``decode_html_entity``): numeric references
    (``&#60;``, ``&#x3C;``) and the named ones ``&lt; &gt; &amp; &quot;``, the
    trailing ``;`` being optional.  Returns ``(character, end position)`` or
    ``None`` when there is no valid reference at ``pos``.
    """
    size = len(text)
    end = pos + 1
    if end < size and text[end] == "#":
        end += 1
        code = 0
        if end < size and text[end] == "x":
            end += 1
            while end < size and text[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while end < size and text[end] in "0123456789":
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < size and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_HTML_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < size and text[end] == ";":
        end += 1
    return char, end


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int  # index into the output pieces, for <a> without href


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into ``(plain text, entities)``.

    This mirrors Telegram's own parser (tdlib ``parse_html``), including its
    error messages and UTF-16 based entity offsets.  With ``strict=True`` a
    ``&`` that does not start a character reference is an error (Telegram keeps
    it literally).

    Raises:
        HtmlParseError: when Telegram would answer "can't parse entities".
    """
    size = len(text)
    pieces: list[str] = []
    utf16 = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8", "surrogatepass"))

    def fail(message: str) -> HtmlParseError:
        return HtmlParseError(message)

    def decode_ampersand(pos: int) -> tuple[str, int]:
        decoded = _decode_html_entity(text, pos)
        if decoded is not None:
            return decoded
        if strict:
            raise fail(
                f'Character "&" must be escaped as "&amp;" at byte offset {byte_offset(pos)}'
            )
        return "&", pos + 1

    i = 0
    while i < size:
        char = text[i]
        if char == "&":
            decoded, i = decode_ampersand(i)
            pieces.append(decoded)
            utf16 += _utf16_len(decoded)
            continue
        if char != "<":
            pieces.append(char)
            utf16 += _utf16_len(char)
            i += 1
            continue

        begin = i
        if i + 1 < size and text[i + 1] == "/":
            # ---- end tag ----
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            j = i + 2
            while j < size and text[j] not in _HTML_SPACES and text[j] != ">":
                j += 1
            end_name = text[i + 2 : j].lower()
            while j < size and text[j] in _HTML_SPACES:
                j += 1
            if j >= size or text[j] != ">":
                raise fail(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            opened = stack.pop()
            if end_name and end_name != opened.name:
                raise fail(
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{opened.name}>", found "</{end_name}>"'
                )
            if utf16 > opened.utf16_offset:
                _close_entity(opened, utf16, pieces, entities)
            i = j + 1
            continue

        # ---- start tag ----
        j = i + 1
        while j < size and text[j] not in _HTML_SPACES and text[j] != ">":
            j += 1
        if j >= size:
            raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(begin)}')
        argument = ""
        while True:
            while j < size and text[j] in _HTML_SPACES:
                j += 1
            if j >= size:
                raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            if text[j] == ">":
                break
            attribute_begin = j
            while j < size and text[j] not in _HTML_SPACES and text[j] not in "=>":
                j += 1
            attribute = text[attribute_begin:j].lower()
            if not attribute:
                raise fail(
                    f'Empty attribute name in the tag "{name}" at byte offset {byte_offset(begin)}'
                )
            while j < size and text[j] in _HTML_SPACES:
                j += 1
            if j >= size:
                raise fail(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[j] != "=":
                if name == "blockquote" and attribute == "expandable":
                    argument = "expandable"
                    continue
                raise fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{name}" at byte offset {byte_offset(begin)}'
                )
            j += 1
            while j < size and text[j] in _HTML_SPACES:
                j += 1
            if j >= size:
                raise fail(f'Unclosed start tag "{name}" at byte offset {byte_offset(begin)}')
            if text[j] in "'\"":
                quote = text[j]
                j += 1
                value_pieces: list[str] = []
                while j < size and text[j] != quote:
                    if text[j] == "&":
                        decoded, j = decode_ampersand(j)
                        value_pieces.append(decoded)
                    else:
                        value_pieces.append(text[j])
                        j += 1
                if j >= size:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                j += 1
                value = "".join(value_pieces)
            else:
                token_begin = j
                while j < size and (text[j].isascii() and text[j].isalnum() or text[j] in ".-"):
                    j += 1
                value = text[token_begin:j].lower()
                if j >= size:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if text[j] not in _HTML_SPACES and text[j] != ">":
                    raise fail(
                        f"Unexpected end of name token at byte offset {byte_offset(token_begin)}"
                    )
            if name == "a" and attribute == "href":
                argument = value
            elif name == "code" and attribute == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif name == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif name == "blockquote" and attribute == "expandable":
                argument = "expandable"
        if name == "span" and argument != "spoiler":
            raise fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
            )
        stack.append(_OpenTag(name, argument, utf16, len(pieces)))
        i = j + 1

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # only <pre><code class=...> keeps a language
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(pieces), entities


def _close_entity(
    opened: _OpenTag, utf16_end: int, pieces: list[str], entities: list[dict[str, Any]]
) -> None:
    """Turn a just-closed, non-empty tag into a MessageEntity dict."""
    offset = opened.utf16_offset
    length = utf16_end - offset
    name = opened.name
    if name in _SIMPLE_ENTITY_TYPES:
        entities.append({"type": _SIMPLE_ENTITY_TYPES[name], "offset": offset, "length": length})
    elif name == "blockquote":
        kind = "expandable_blockquote" if opened.argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})
    elif name == "a":
        url = opened.argument or "".join(pieces[opened.text_index :])
        if url:
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif name == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "code"
            and (last["offset"], last["length"]) == (offset, length)
            and last.get("language")
        ):
            last["type"] = "pre"
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif name == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last["type"] == "pre"
            and (last["offset"], last["length"]) == (offset, length)
            and opened.argument
        ):
            last["language"] = opened.argument
        else:
            entity = {"type": "code", "offset": offset, "length": length}
            if opened.argument:
                entity["language"] = opened.argument
            entities.append(entity)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace like Telegram does, keeping entities in place."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = _utf16_len(text[: len(text) - len(text.lstrip())])
    total = _utf16_len(stripped)
    trimmed = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            trimmed.append({**entity, "offset": start, "length": end - start})
    return stripped, trimmed


def _command_entities(text: str) -> list[dict[str, Any]]:
    """The ``bot_command`` entities Telegram attaches to a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": _utf16_len(text[: match.start()]),
            "length": _utf16_len(match.group()),
        }
        for match in _COMMAND_RE.finditer(text)
    ]
