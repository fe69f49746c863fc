"""Names and words as Vietnamese speakers type them."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: 'Điểm danh' -> 'diem danh'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()
