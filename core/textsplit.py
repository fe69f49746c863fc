"""Splitting long HTML texts into messages a platform accepts, never inside a tag or an entity."""

from __future__ import annotations

import html
import re

_TAG_OR_ENTITY = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;")


def _visible_length(text: str) -> int:
    """Length as the platform counts it: tags removed, entities as one character."""
    return len(_TAG_OR_ENTITY.sub(lambda m: "" if m.group().startswith("<") else "x", text))


def html_to_plain(text: str) -> str:
    """Our Telegram-style HTML as plain text, for platforms without formatting (Zalo)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def split_plain(text: str, limit: int) -> list[str]:
    """Split plain text (no tags, no entities) at line breaks, then spaces, then anywhere."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            head, line = line[:cut].rstrip(), line[cut:].lstrip()
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
        candidate = line if not current else current + "\n" + line
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = line
    if current.strip() or not parts:
        parts.append(current)
    return [p for p in parts if p.strip()] or [""]


def split_text(text: str, limit: int) -> list[str]:
    """Split at line breaks, then at spaces, so each part is at most ``limit`` visible characters.
    Tags that our texts use never span lines, so each part stays well-formed."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _split_line(line, limit):
            candidate = piece if not current else current + "\n" + piece
            if _visible_length(candidate) <= limit:
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = piece
    if current or not parts:
        parts.append(current)
    return parts


def _split_line(line: str, limit: int) -> list[str]:
    if _visible_length(line) <= limit:
        return [line]
    pieces, current = [], ""
    for word in re.split(r"(?<= )", line):
        while _visible_length(word) > limit:  # one enormous word: cut it, outside any entity
            cut = limit
            while cut > 0 and "&" in word[max(0, cut - 8):cut] and ";" not in word[word.rfind("&", 0, cut):cut]:
                cut -= 1
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:cut])
            word = word[cut:]
        if _visible_length(current + word) > limit:
            pieces.append(current)
            current = word
        else:
            current += word
    if current:
        pieces.append(current)
    return [p.rstrip() for p in pieces if p.strip()]
