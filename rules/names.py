"""Names and words as Vietnamese speakers type and read them."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

# Why a rule of our own and not a collation library: PyICU (ICU's Vietnamese collation) is published
# on PyPI as source only and builds a C++ extension against the ICU headers on every install; pyuca
# uses the default Unicode order (DUCET), which puts Ơ beside O and Ư beside U (a diacritic, not a
# letter). The Vietnamese order is short enough to write down: the alphabet below, then the tones.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_MARKS = {"\u0306": "ă", "\u0302": "â", "\u031b": "ơ"}  # breve, circumflex, horn
_WITH_MARK = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
              ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
# Tones in dictionary order: none, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: 'Điểm danh' -> 'diem danh'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


@lru_cache(maxsize=8192)  # names are made of a few hundred words: a committee's roster sorts in a tenth of the time
def word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(letters, tones) of one word in the Vietnamese order: Đ after D, Ơ after Ô, Ư after U; the
    tones decide only between words of the same letters."""
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch in _TONES:
            if tones:
                tones[-1] = _TONES[ch]
            continue
        if unicodedata.category(ch) == "Mn":
            if letters and ch in _LETTER_MARKS:
                base = ALPHABET[letters[-1]] if letters[-1] < len(ALPHABET) else ""
                marked = _WITH_MARK.get((base, ch))
                if marked:
                    letters[-1] = ALPHABET.index(marked)
            continue
        letters.append(ALPHABET.index(ch) if ch in ALPHABET else len(ALPHABET) + ord(ch))
        tones.append(0)
    return tuple(letters), tuple(tones)


def name_key(full_name: str) -> tuple[object, ...]:
    """How Vietnamese lists are ordered, the one key of every list of people: by the given name (tên,
    the last word), then the middle names (tên đệm), then the family name (họ, the first):
    'Trần Văn An' before 'Nguyễn Thị Bình', 'Trần Thị An' before 'Đỗ Văn An'."""
    words = full_name.split()
    if not words:
        return ((), (), ())
    given, family, middle = words[-1], words[0] if len(words) > 1 else "", words[1:-1]
    return (word_key(given), tuple(word_key(w) for w in middle), word_key(family), full_name)


def by_name(names: Iterable[str]) -> list[str]:
    """``names`` sorted the Vietnamese way."""
    return sorted(names, key=name_key)


def title_key(text: str) -> tuple[object, ...]:
    """How names of places and cells are ordered: word by word as written, each word the Vietnamese way,
    and a number by its value ('Chi bộ số 2' before 'Chi bộ số 10', 'Đông' after 'Dương')."""
    return tuple(((-1, int(w)), ()) if w.isdigit() else word_key(w) for w in text.split()), text


# Characters that show nothing (or only blank space) though their Unicode category says otherwise.
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def visible_words(text: str) -> str:
    """The text with invisible characters (zero-width, format, control, odd blanks) removed and
    runs of white space collapsed: '\u200b \u200b' -> '' (no reason at all)."""
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _BLANK_LETTERS or (category in ("Cf", "Cc", "Co", "Cn", "Cs") and ch not in "\n\t"):
            continue
        kept.append(" " if category.startswith("Z") or ch in "\n\t" else ch)
    return " ".join("".join(kept).split())


T = TypeVar("T")


def find_named(items: Iterable[T], query: str, name_of: Callable[[T], str]) -> list[T]:
    """The items ``query`` names, as a person types a name: the exact name first (case aside, diacritics kept),
    then the same letters without diacritics, then the names with the query as whole words, then every name
    containing it ('hang dao' finds 'Đảng ủy phường Hàng Đào'). Spacing aside throughout."""
    items = list(items)
    spaced = " ".join(query.split())
    exact = [i for i in items if " ".join(name_of(i).split()).casefold() == spaced.casefold()]
    if exact:
        return exact
    q = " ".join(fold(query).split())
    if not q:
        return []
    folded = {id(i): " ".join(fold(name_of(i)).split()) for i in items}
    return ([i for i in items if folded[id(i)] == q]
            or [i for i in items if f" {q} " in f" {folded[id(i)]} "]  # whole words: "An" is not every "Văn"
            or [i for i in items if q in folded[id(i)]])
