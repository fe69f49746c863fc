"""Names and words as Vietnamese speakers type them."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: 'Điểm danh' -> 'diem danh'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


# Characters that show nothing (or only blank space) though their Unicode category says otherwise.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def visible_words(text: str) -> str:
    """The text with invisible characters (zero-width, format, control, odd blanks) removed and
    runs of white space collapsed: '\u200b \u200b' -> '' (no reason at all)."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _BLANK_LETTERS or category in ("Cf", "Cc", "Co", "Cn", "Cs") and ch not in "\n\t":
            continue
        kept.append(" " if category.startswith("Z") or ch in "\n\t" else ch)
    return " ".join("".join(kept).split())
