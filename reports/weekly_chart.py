"""The weekly summary as a PNG: attendance rate of each cell's regular meeting this month.

Drawn with the object-oriented API (``Figure`` + ``FigureCanvasAgg``): no display, no pyplot
state, safe to call from a worker thread. Text is never parsed as mathtext, so a name with "$"
is drawn as written.
"""

from __future__ import annotations

import pathlib
import textwrap

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from core.texts import fmt_rate
from reports.weekly_model import CellWeek, WeeklyReport

FONT = "DejaVu Sans"  # ships with matplotlib and has the Vietnamese letters
MAX_BARS = 60
WIDTH_IN, BAR_IN, DPI = 9.0, 0.28, 100
COLOR_OK, COLOR_LOW, COLOR_TEXT = "#2e7d32", "#c62828", "#222222"

LABELS = {
    "vi": {"title": "Tỷ lệ dự sinh hoạt thường kỳ – {committee} – {month}\nTóm tắt tuần {week}",
           "lowest": "{shown} chi bộ thấp nhất / tổng số {total} chi bộ",
           "target": "Mục tiêu {pct}", "ok": "Đạt mục tiêu", "low": "Dưới mục tiêu",
           "not_held": "chưa họp", "not_held_on": "không họp theo lịch {date}", "untracked": "chưa theo dõi (mới dùng chibo)", "in_progress": "đang họp", "no_rate": "không có người phải dự",
           "no_data": "Chưa có dữ liệu chi bộ"},
    "en": {"title": "Regular meeting attendance – {committee} – {month}\nWeekly summary {week}",
           "lowest": "{shown} lowest of {total} cells",
           "target": "Target {pct}", "ok": "Meets target", "low": "Below target",
           "not_held": "not held", "not_held_on": "not held as scheduled ({date})", "untracked": "not tracked (new on chibo)", "in_progress": "in progress", "no_rate": "nobody expected",
           "no_data": "No cell data yet"},
}


def write_chart(report: WeeklyReport, path: pathlib.Path, lang: str = "vi") -> pathlib.Path:
    """Write the attendance bar chart of ``report`` to ``path`` as PNG (labels in ``lang``); return ``path``."""
    fig = chart_figure(report, lang)
    assert isinstance(fig.canvas, FigureCanvasAgg)  # chart_figure draws on an Agg canvas
    fig.canvas.print_png(path)
    fig.clear()  # nothing global to close: the figure was never registered with pyplot
    return path


def chart_figure(report: WeeklyReport, lang: str = "vi") -> Figure:
    """The chart as a ``Figure`` (with an Agg canvas): one horizontal bar per cell, weakest at the top.

    At most ``MAX_BARS`` cells are drawn (the lowest ones, said so in the title); with no cells,
    a small figure saying there is no data. Margins are computed here, not by a layout engine,
    which would measure every text twice more.
    """
    lab = LABELS.get(lang, LABELS["vi"])
    font = FontProperties(family=FONT, size=9)
    title = lab["title"].format(committee=report.committee_name, month=_month(report.month), week=report.week_label)
    cells = sorted(report.cells, key=_weakness)
    if len(cells) > MAX_BARS:
        title += "\n(" + lab["lowest"].format(shown=MAX_BARS, total=len(cells)) + ")"
        cells = cells[:MAX_BARS]
    title = "\n".join(textwrap.fill(line, 80) for line in title.splitlines())
    top_in = 0.3 + 0.22 * (title.count("\n") + 1)  # title lines, then the target label above the axes

    if not cells:
        fig = Figure(figsize=(WIDTH_IN, top_in + 1.2), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.suptitle(title, y=1 - 0.15 / (top_in + 1.2), va="top", fontproperties=font, fontsize=12,
                     parse_math=False)
        fig.text(0.5, 0.4, lab["no_data"], ha="center", va="center", fontproperties=font, fontsize=14)
        return fig

    bottom_in, height = 0.9, top_in + 0.9 + BAR_IN * len(cells)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    ax = fig.add_subplot()
    rows = range(len(cells))
    rates = [min(c.regular.rate or 0.0, 1.0) if c.regular.status == "held" else 0.0 for c in cells]
    colors = [COLOR_OK if c.regular.status == "held" and c.regular.rate is not None and c.regular.rate >= report.target
              else COLOR_LOW for c in cells]
    ax.barh(rows, rates, color=colors, height=0.7)
    ax.set_yticks(rows, [_short(c.cell_name) for c in cells], fontproperties=font, parse_math=False)
    renderer = FigureCanvasAgg(fig).get_renderer()  # measured once here, the sizes are cached for drawing
    names_in = max(t.get_window_extent(renderer).width for t in ax.get_yticklabels()) / DPI
    fig.subplots_adjust(left=(names_in + 0.2) / WIDTH_IN, right=1 - 0.35 / WIDTH_IN,
                        top=1 - top_in / height, bottom=bottom_in / height)
    ax.set_ylim(len(cells) - 0.5, -0.5)  # first (weakest) cell at the top
    ticks = [0, 0.25, 0.5, 0.75, 1]
    ax.set_xticks(ticks, [f"{t:.0%}" for t in ticks], fontproperties=font)
    ax.set_xlim(0, 1)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)

    per_unit = (1 - (names_in + 0.2 + 0.35) / WIDTH_IN) * WIDTH_IN * DPI  # pixels per unit of rate on the x axis
    for row, cell, width in zip(rows, cells, rates):
        label = ax.text(0, row, _bar_label(cell, lab, report.target, lang), va="center", fontproperties=font,
                        fontsize=8, parse_math=False)
        x, inside = _bar_label_place(width, label.get_window_extent(renderer).width / per_unit, report.target)
        label.set_x(x)
        label.set_horizontalalignment("right" if inside else "left")
        label.set_color("white" if inside else COLOR_TEXT)

    target_label = lab["target"].format(pct=f"{report.target:.0%}")
    ax.axvline(report.target, color=COLOR_TEXT, linestyle="--", linewidth=1.2)
    ax.text(report.target, 1.0, target_label, transform=blended_transform_factory(ax.transData, ax.transAxes),
            ha="center", va="bottom", fontproperties=font, parse_math=False)
    fig.suptitle(title, y=1 - 0.1 / height, va="top", fontproperties=font, fontsize=12, parse_math=False)
    fig.legend(handles=[Patch(color=COLOR_OK, label=lab["ok"]), Patch(color=COLOR_LOW, label=lab["low"]),
                        Line2D([], [], color=COLOR_TEXT, linestyle="--", label=target_label)],
               loc="lower center", bbox_to_anchor=(0.5, 0.0), ncols=3, prop=font, frameon=False)
    return fig


def _bar_label_place(width: float, label: float, target: float) -> tuple[float, bool]:
    """Where a bar's label goes, in rate units: (x, inside the bar). Inside a long bar (white, right-aligned),
    else just after it; never across the target line nor past the axis: a label that would cross the line
    goes inside the bar, ending before the line, or after the line."""
    pad = 0.01
    places = [(width - pad, True), (width + pad, False)] if width >= 0.8 else [(width + pad, False), (width - pad, True)]
    places += [(min(width, target) - pad, True), (max(width, target) + pad, False)]
    for x, inside in places:
        start, end = (x - label, x) if inside else (x, x + label)
        if start >= 0 and end <= 1 and (not inside or end <= width) \
                and not start - pad / 2 < target < end + pad / 2:
            return x, inside
    return places[0]


def _weakness(cell: CellWeek) -> tuple[float, str]:
    """Sort key: cells that did not hold the meeting first, then by rate, lowest first; cells not tracked
    this month (added to chibo during it, nothing scheduled) last."""
    if cell.regular.status == "untracked":
        return (2.0, cell.cell_name)
    if cell.regular.status != "held":
        return (-2.0, cell.cell_name)
    return (-1.0 if cell.regular.rate is None else cell.regular.rate, cell.cell_name)


def _bar_label(cell: CellWeek, lab: dict[str, str], target: float, lang: str) -> str:
    if cell.regular.status in ("in_progress", "untracked"):
        return lab[cell.regular.status]
    if cell.regular.status == "not_held" and cell.regular.date is not None:
        return lab["not_held_on"].format(date=cell.regular.date.strftime("%d/%m"))
    if cell.regular.status != "held":
        return lab["not_held"]
    if cell.regular.rate is None:
        return lab["no_rate"]
    return fmt_rate(cell.regular.rate, target, lang) + (f" ({cell.regular.present}/{cell.regular.expected})" if cell.regular.expected else "")


def _short(name: str, limit: int = 32) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _month(month: str) -> str:
    """"2026-12" → "12/2026"."""
    year, _, mm = month.partition("-")
    return f"{mm}/{year}" if mm else month


MONTH_LABELS = {
    "vi": {"title": "Tỷ lệ dự sinh hoạt thường kỳ theo tháng – {name} – {year}", "none": "chưa họp",
           "target": "Mục tiêu {pct}"},
    "en": {"title": "Regular meeting attendance by month – {name} – {year}", "none": "not held", "target": "Target {pct}"},
}
MONTH_AXES = (0.07, 0.14, 0.8, 0.68)  # left, bottom, width, height: the right margin holds the target's label
MONTH_HEIGHT_IN, MONTH_FONT, MONTH_LABEL_FONT, MONTH_TOP = 3.6, 10, 9, 1.15


def month_chart_svg(points: list[tuple[str, float | None]], target: float, name: str, year: int,
                    lang: str = "vi") -> bytes:
    """``month_chart_figure`` as SVG (it scales to the page's width)."""
    import io

    from matplotlib.backends.backend_svg import FigureCanvasSVG

    fig = month_chart_figure(points, target, name, year, lang)
    canvas = FigureCanvasSVG(fig)
    out = io.BytesIO()
    canvas.print_svg(out)
    fig.clear()
    return out.getvalue()


def month_chart_figure(points: list[tuple[str, float | None]], target: float, name: str, year: int,
                       lang: str = "vi") -> Figure:
    """Attendance by month: one bar per month ("2026-03", rate or None when no meeting was held), green at
    or above ``target``, red below, the target as a dashed line. Same fonts and colours as the weekly chart.

    No label overlaps another or the target line: the target's label stands in the right margin, beside
    its line; a bar's rate stands above the bar, or inside its top when above it would cross the line."""
    lab = MONTH_LABELS.get(lang, MONTH_LABELS["vi"])
    font = FontProperties(family=FONT, size=MONTH_FONT)
    fig = Figure(figsize=(WIDTH_IN, MONTH_HEIGHT_IN), dpi=DPI)
    ax = fig.add_axes(MONTH_AXES)
    xs = list(range(len(points)))
    rates = [rate or 0.0 for _, rate in points]
    ax.bar(xs, rates, color=[COLOR_OK if rate is not None and rate + 1e-9 >= target else COLOR_LOW
                             for _, rate in points], width=0.7)
    # A label's height in the data's units (a line of text, with its leading): what it covers above its bar.
    label_h = MONTH_LABEL_FONT / 72 * 1.3 * MONTH_TOP / (MONTH_HEIGHT_IN * MONTH_AXES[3])
    gap = 0.02
    for x, (_, rate) in zip(xs, points):
        label = lab["none"] if rate is None else f"{rate:.0%}"
        bottom, color, va = (rate or 0.0) + gap, COLOR_TEXT, "bottom"
        if bottom - gap <= target + gap and bottom + label_h >= target - gap:  # above the bar, it would cross the line
            if (rate or 0.0) - 2 * gap - label_h >= 0:
                bottom, color, va = (rate or 0.0) - gap, "white", "top"  # inside the bar's top, below the line
            else:
                bottom = target + gap  # a bar too short to hold it: the label above the line
        ax.text(x, bottom, label, ha="center", va=va, fontproperties=font, fontsize=MONTH_LABEL_FONT, color=color,
                parse_math=False)
    ax.axhline(target, color=COLOR_TEXT, linestyle="--", linewidth=1.2)
    ax.text(1.01, target, lab["target"].format(pct=f"{target:.0%}"), ha="left", va="center",
            transform=blended_transform_factory(ax.transAxes, ax.transData), fontproperties=font, parse_math=False)
    ax.set_xticks(xs, [_month(month) for month, _ in points], fontproperties=font, fontsize=MONTH_LABEL_FONT)
    ax.set_ylim(0, MONTH_TOP)
    ax.set_xlim(-0.6, max(len(points), 1) - 0.4)
    ax.set_yticks([0, 0.5, 1], ["0%", "50%", "100%"], fontproperties=font)
    ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(_short(lab["title"].format(name=name, year=year), 90), fontproperties=font, fontsize=12,
                 parse_math=False)
    return fig
