"""The web view's chart by month: no label overlaps another label or the target line, at any rate.

Measured as matplotlib draws it (each text's box in pixels): the 85% label used to sit on the 90% line."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D

from reports.weekly_chart import month_chart_figure, month_chart_svg

YEAR = [f"2026-{m:02d}" for m in range(1, 13)]
SERIES = {
    "just under the target": [0.85, 0.89, 0.9, 0.86, 0.91, 0.95, 1.0, 0.88, 0.87, 0.84, 0.899, 0.92],
    "around and far": [None, 0.05, 0.1, 0.5, 0.8, 0.82, None, None, 0.9, 1.0, 0.0, 0.75],
    "nothing held": [None] * 12,
}


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


@pytest.mark.parametrize("target", [0.9, 0.8, 0.5, 0.1])
@pytest.mark.parametrize("series", list(SERIES))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_label_of_the_month_chart_overlaps_another_or_the_target_line(series, target, lang):
    points = list(zip(YEAR, SERIES[series]))
    fig = month_chart_figure(points, target, "Chi bộ khu dân cư số 1", 2026, lang)
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.texts + ax.get_xticklabels() + ax.get_yticklabels() + fig.texts if t.get_text()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for i, (text_a, a) in enumerate(boxes):
        for text_b, b in boxes[i + 1:]:
            assert not _overlaps(a, b), (text_a, text_b)
    line = next(artist for artist in ax.lines if isinstance(artist, Line2D) and artist.get_linestyle() == "--")
    line_box = line.get_window_extent(renderer)
    for text, box in boxes:
        assert not _overlaps(box, line_box), (text, "on the target line")
    width, height = fig.bbox.width, fig.bbox.height
    for text, box in boxes:
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, (text, "outside the picture")
    target_label = next(t for t in ax.texts if "%" in t.get_text() and not t.get_text()[0].isdigit())
    assert target_label.get_text() == ("Mục tiêu " if lang == "vi" else "Target ") + f"{target:.0%}"


def test_the_svg_is_still_an_svg_with_every_label():
    svg = month_chart_svg(list(zip(YEAR, SERIES["just under the target"])), 0.9, "Chi bộ số 1", 2026, "vi").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
