"""Splitting a long report into messages: each part as full as the limit allows, counted as the platform counts."""

from itertools import pairwise

from core.textsplit import _visible_length, split_text


def test_parts_are_filled_line_by_line_to_the_limit():
    lines = [f"<b>Chi bộ {n}</b>: có mặt 12/15 &amp; vắng {n % 4}" for n in range(400)]
    parts = split_text("\n".join(lines), 500)
    assert "\n".join(parts) == "\n".join(lines)  # every line, in order, none cut (each is short)
    for part, after in pairwise(parts):
        assert _visible_length(part) <= 500
        assert _visible_length(part + "\n" + after.split("\n")[0]) > 500  # the next line did not fit


def test_a_lone_angle_bracket_before_a_line_break_is_counted_as_the_platform_counts_it():
    # "<" left open at a line's end and a ">" on the next: together they read as one tag (not counted),
    # so the two lines fit in one part that counting each line alone would have split.
    text = "ab <\n" + "x" * 8 + ">"
    assert _visible_length(text) == 3
    assert split_text(text, 10) == [text]
