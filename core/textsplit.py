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

    A tag open where a part ends is closed at its end and opened again at the start of the next part,
    so every part is well-formed HTML on its own (a long echoed argument inside ``<b>`` or ``<code>``).
    """
    budget = max(1, limit)
    parts: list[str] = []
    current, current_length = "", 0  # the part being filled and its _visible_length
    for line in text.split("\n"):
        for piece in _split_line(line, budget):
            piece_length = _visible_length(piece)
            if not current:
                candidate, length = piece, piece_length
            else:
                candidate = current + "\n" + piece
                # Counted piece by piece (a report of hundreds of lines is not counted again for each line),
                # unless a "<" after the part's last ">" could become a tag with a ">" of the piece.
                length = (current_length + 1 + piece_length if current.rfind("<") <= current.rfind(">")
                          else _visible_length(candidate))
            if length <= budget:
                current, current_length = candidate, length
            else:
                if current:
                    parts.append(current)
                current, current_length = piece, piece_length
    if current or not parts:
        parts.append(current)
    return _balance(parts)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>")


def _balance(parts: list[str]) -> list[str]:
    """Close the tags still open at the end of each part and reopen them at the start of the next."""
    balanced: list[str] = []
    carried: list[str] = []  # the opening tags (as written) still open
    for part in parts:
        text = "".join(carried) + part
        stack: list[tuple[str, str]] = []
        for match in _TAG.finditer(text):
            closing, name = match.group(1), match.group(2).lower()
            if not closing:
                stack.append((name, match.group(0)))
            elif stack and stack[-1][0] == name:
                stack.pop()
        balanced.append(text + "".join(f"</{name}>" for name, _ in reversed(stack)))
        carried = [tag for _, tag in stack]
    return balanced


def _split_line(line: str, limit: int) -> list[str]:
    if _visible_length(line) <= limit:
        return [line]
    pieces, current = [], ""
    for word in _words(line):
        while _visible_length(word) > limit:  # one enormous word: cut it, outside any tag or entity
            cut = _cut_point(word, limit)
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


def _words(line: str) -> list[str]:
    """Words with their trailing space; a space inside a tag (``<a href=...>``) does not split."""
    words, current, depth = [], "", 0
    for ch in line:
        current += ch
        depth += ch == "<"
        depth -= ch == ">" and depth > 0
        if ch == " " and depth == 0:
            words.append(current)
            current = ""
    if current:
        words.append(current)
    return words


def _cut_point(word: str, limit: int) -> int:
    """The longest prefix of ``word`` with at most ``limit`` visible characters, ending outside any
    tag or entity (at least one token, so the cut always moves on)."""
    visible, end = 0, 0
    for match in re.finditer(r"<[^>]*>|&[#a-zA-Z0-9]+;|.", word, re.DOTALL):
        token = match.group()
        weight = 0 if token.startswith("<") and len(token) > 1 else 1
        if visible + weight > limit and end > 0:
            break
        visible += weight
        end = match.end()
    return end
