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
    return _HtmlParser(text, strict).parse()


class _HtmlParser:
    """One pass over the text: characters and references go to the output, tags open and close
    entities. Each method starts at ``self.i`` and leaves it after what it consumed."""

    def __init__(self, text: str, strict: bool):
        self.text, self.size, self.strict = text, len(text), strict
        self.pieces: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []
        self.i = 0

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.i < self.size:
            char = self.text[self.i]
            if char == "&":
                decoded, self.i = self._ampersand(self.i)
                self._emit(decoded)
            elif char != "<":
                self._emit(char)
                self.i += 1
            elif self.i + 1 < self.size and self.text[self.i + 1] == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # only <pre><code class=...> keeps a language
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), self.entities

    # --- helpers ---
    def _emit(self, piece: str) -> None:
        self.pieces.append(piece)
        self.utf16 += _utf16_len(piece)

    def _at(self, pos: int) -> str:
        return f"byte offset {len(self.text[:pos].encode('utf-8', 'surrogatepass'))}"

    def _ampersand(self, pos: int) -> tuple[str, int]:
        decoded = _decode_html_entity(self.text, pos)
        if decoded is not None:
            return decoded
        if self.strict:
            raise HtmlParseError(f'Character "&" must be escaped as "&amp;" at {self._at(pos)}')
        return "&", pos + 1

    def _skip_spaces(self, j: int) -> int:
        while j < self.size and self.text[j] in _HTML_SPACES:
            j += 1
        return j

    def _name_end(self, j: int) -> int:
        while j < self.size and self.text[j] not in _HTML_SPACES and self.text[j] != ">":
            j += 1
        return j

    # --- tags ---
    def _end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at {self._at(begin)}")
        j = self._name_end(begin + 2)
        end_name = self.text[begin + 2 : j].lower()
        j = self._skip_spaces(j)
        if j >= self.size or self.text[j] != ">":
            raise HtmlParseError(f"Unclosed end tag at {self._at(begin)}")
        opened = self.stack.pop()
        if end_name and end_name != opened.name:
            raise HtmlParseError(f'Unmatched end tag at {self._at(begin)}, '
                                 f'expected "</{opened.name}>", found "</{end_name}>"')
        if self.utf16 > opened.utf16_offset:
            _close_entity(opened, self.utf16, self.pieces, self.entities)
        self.i = j + 1

    def _start_tag(self) -> None:
        begin = self.i
        j = self._name_end(begin + 1)
        if j >= self.size:
            raise HtmlParseError(f"Unclosed start tag at {self._at(begin)}")
        name = self.text[begin + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at {self._at(begin)}')
        argument = ""
        while True:
            j = self._skip_spaces(j)
            if j >= self.size:
                raise HtmlParseError(f"Unclosed start tag at {self._at(begin)}")
            if self.text[j] == ">":
                break
            j, attribute, value = self._attribute(j, name, begin)
            argument = _tag_argument(name, attribute, value, argument)
        if name == "span" and argument != "spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at {self._at(begin)}')
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.pieces)))
        self.i = j + 1

    def _attribute(self, j: int, name: str, begin: int) -> tuple[int, str, str | None]:
        """One ``attribute=value`` of a start tag: (where it ends, attribute, value or None if bare)."""
        text, size = self.text, self.size
        attribute_begin = j
        while j < size and text[j] not in _HTML_SPACES and text[j] not in "=>":
            j += 1
        attribute = text[attribute_begin:j].lower()
        if not attribute:
            raise HtmlParseError(f'Empty attribute name in the tag "{name}" at {self._at(begin)}')
        j = self._skip_spaces(j)
        if j >= size:
            raise HtmlParseError(f'Unclosed start tag "{name}" at {self._at(begin)}')
        if text[j] != "=":
            if name == "blockquote" and attribute == "expandable":
                return j, attribute, None
            raise HtmlParseError("Expected equal sign in declaration of an attribute of the tag "
                                 f'"{name}" at {self._at(begin)}')
        j = self._skip_spaces(j + 1)
        if j >= size:
            raise HtmlParseError(f'Unclosed start tag "{name}" at {self._at(begin)}')
        if text[j] in "'\"":
            j, value = self._quoted_value(j, begin)
        else:
            j, value = self._token_value(j, begin)
        return j, attribute, value

    def _quoted_value(self, j: int, begin: int) -> tuple[int, str]:
        quote = self.text[j]
        j += 1
        value_pieces: list[str] = []
        while j < self.size and self.text[j] != quote:
            if self.text[j] == "&":
                decoded, j = self._ampersand(j)
                value_pieces.append(decoded)
            else:
                value_pieces.append(self.text[j])
                j += 1
        if j >= self.size:
            raise HtmlParseError(f"Unclosed start tag at {self._at(begin)}")
        return j + 1, "".join(value_pieces)

    def _token_value(self, j: int, begin: int) -> tuple[int, str]:
        text, size = self.text, self.size
        token_begin = j
        while j < size and ((text[j].isascii() and text[j].isalnum()) or text[j] in ".-"):
            j += 1
        value = text[token_begin:j].lower()
        if j >= size:
            raise HtmlParseError(f"Unclosed start tag at {self._at(begin)}")
        if text[j] not in _HTML_SPACES and text[j] != ">":
            raise HtmlParseError(f"Unexpected end of name token at {self._at(token_begin)}")
        return j, value


def _tag_argument(name: str, attribute: str, value: str | None, argument: str) -> str:
    """What a start tag keeps of one attribute: a link's URL, a code language, a span's class,
    a blockquote's expandability; anything else leaves ``argument`` as it was."""
    if value is None or (name == "blockquote" and attribute == "expandable"):
        return "expandable" if name == "blockquote" and attribute == "expandable" else argument
    if name == "a" and attribute == "href":
        return value
    if name == "code" and attribute == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if name == "span" and attribute == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    return argument


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
