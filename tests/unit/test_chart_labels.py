"""The charts' labels: none overlaps another label or the target line, at any rate.

Measured as matplotlib draws them (each text's box in pixels): on the web view's chart by month the 85%
label used to sit on the 90% line; on the weekly chart a full bar's "100% (10/10)" lay across it."""

from __future__ import annotations

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.lines import Line2D

from reports.weekly_chart import chart_figure, month_chart_figure, month_chart_svg
from tests.unit.test_weekly_files import held, make_report

YEAR = [f"2026-{m:02d}" for m in range(1, 13)]
SERIES = {
    "just under the target": [0.85, 0.89, 0.9, 0.86, 0.91, 0.95, 1.0, 0.88, 0.87, 0.84, 0.899, 0.92],
    "around and far": [None, 0.05, 0.1, 0.5, 0.8, 0.82, None, None, 0.9, 1.0, 0.0, 0.75],
    "nothing held": [None] * 12,
}


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _check(fig, on_the_line_allowed: tuple[str, ...] = ()) -> None:
    """No two texts of ``fig`` overlap; none lies across its dashed target line; all inside the picture."""
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
        crosses = _overlaps(box, line_box) if line_box.height else box.x0 < line_box.x0 < box.x1 and _overlaps(
            box, ax.get_window_extent(renderer))  # a vertical line: across it inside the axes
        assert text in on_the_line_allowed or not crosses, (text, "on the target line")
    width, height = fig.bbox.width, fig.bbox.height
    for text, box in boxes:
        assert box.x0 >= 0 and box.x1 <= width and box.y0 >= 0 and box.y1 <= height, (text, "outside the picture")


@pytest.mark.parametrize("target", [0.9, 0.8, 0.5, 0.1])
@pytest.mark.parametrize("series", list(SERIES))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_label_of_the_month_chart_overlaps_another_or_the_target_line(series, target, lang):
    points = list(zip(YEAR, SERIES[series]))
    fig = month_chart_figure(points, target, "Chi bộ khu dân cư số 1", 2026, lang)
    _check(fig)
    ax = fig.axes[0]
    target_label = next(t for t in ax.texts if "%" in t.get_text() and not t.get_text()[0].isdigit())
    assert target_label.get_text() == ("Mục tiêu " if lang == "vi" else "Target ") + f"{target:.0%}"


def test_the_svg_is_still_an_svg_with_every_label():
    svg = month_chart_svg(list(zip(YEAR, SERIES["just under the target"])), 0.9, "Chi bộ số 1", 2026, "vi").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg


@pytest.mark.parametrize("target", [0.9, 0.75, 0.5])
def test_no_label_of_the_weekly_chart_lies_across_the_target_line(target):
    cells = [held(f"Chi bộ số {present}", present, 10) for present in range(11)]
    cells += [held("Chi bộ 17 trên 20", 17, 20), held("Chi bộ 89 trên 100", 89, 100), held("Chi bộ 91", 91, 100)]
    report = make_report(cells)
    report.target = target
    fig = chart_figure(report)
    # The target's own label stands above the axes, centred on its line: that is its place.
    _check(fig, on_the_line_allowed=(f"Mục tiêu {target:.0%}",))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "100% (10/10)" in texts and "89% (89/100)" in texts  # every bar still has its label
