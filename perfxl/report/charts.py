"""Charts of a report as PNG images (matplotlib, Agg, no global pyplot state): 二级指标得分率, a
question set's option distribution, and for a consolidation 各单位总分 and 等级分布.

Chinese text needs a CJK font on the machine that renders the chart (the image carries the
glyphs, so Word and WPS need nothing). The first font of ``CJK_FONTS`` that is installed is used,
with the others as per-glyph fallbacks: Noto/Source Han on Linux, 微软雅黑/黑体/等线/宋体 on
Windows, 苹方/冬青黑体 on macOS. Without any, ``available()`` is False and the report goes without
charts (with a warning) rather than with boxes for characters.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from functools import lru_cache
from io import BytesIO
from typing import Any

from perfxl.model import layout as L
from perfxl.sheets.look import break_lines, display_width

CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Microsoft YaHei", "SimHei", "DengXian",
             "SimSun", "NSimSun", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti", "WenQuanYi Zen Hei",
             "WenQuanYi Micro Hei", "Noto Serif CJK SC", "Source Han Serif SC", "Noto Sans CJK JP", "Arial Unicode MS")
LATIN_FALLBACK = "DejaVu Sans"
#: image width in cm (the portrait text width is 15.6 cm) and resolution
WIDTH_CM = 15.0
DPI = 200
#: a chart of units names at most this many (more are split into several charts)
UNITS_PER_CHART = 30
PALETTE = ("#1F4E79", "#C55A11", "#548235", "#7030A0", "#BF9000", "#2E75B6", "#A5A5A5", "#843C0C")


@lru_cache(maxsize=1)
def fonts() -> tuple[str, ...]:
    """The installed CJK fonts of ``CJK_FONTS``, in order."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(f for f in CJK_FONTS if f in installed)


def available() -> bool:
    return bool(fonts())


def _figure(height_cm: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_CM / 2.54, max(height_cm, 3.0) / 2.54), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


@contextmanager
def _style():
    """The charts' look; a character no installed font has (an emoji in a unit's name) is drawn as a
    box without matplotlib's warning reaching the user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        with _rc():
            yield


def _rc():
    import matplotlib

    return matplotlib.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": [*fonts(), LATIN_FALLBACK],
        "font.size": 8,
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#808080",
        "axes.grid": True,
        "grid.color": "#D9D9D9",
        "grid.linewidth": 0.5,
        "axes.axisbelow": True,
        "text.parse_math": False,       # names are text: “$…$” in one is not a formula (nor an error)
    })


#: a bar's label wraps at this many half-ems (a third of the chart), onto at most LABEL_LINES lines
LABEL_WIDTH = 26
LABEL_LINES = 3


def _wrapped(s: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> str:
    """A long name on a few lines (cut with “…” past the last), so that it cannot push the bars off the
    chart: names are whatever an administrator wrote (the report's tables give them in full)."""
    out = break_lines(s, width)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:-1] + "…"
    return "\n".join(out)


def _hbars(labels: Sequence[str], values: Sequence[float], texts: Sequence[str], colors: Sequence[str],
           xlim: tuple[float, float], xlabel: str, percent: bool, legend: Sequence[tuple[str, str]] = ()) -> bytes:
    """Horizontal bars, first label on top, each bar labelled with its text."""
    from matplotlib.ticker import FuncFormatter

    labels = [_wrapped(s) for s in labels]
    # each bar's room, in bar spacings: one, or more for a label on several lines
    rooms = [max(1.0, 0.65 * (s.count("\n") + 1) + 0.25) for s in labels]
    y, top = [], 0.0
    for room in rooms:
        y.append(top - room / 2)
        top -= room
    height = sum(rooms)
    legend = [(_wrapped(name, LABEL_WIDTH, 1), c) for name, c in legend]
    with _style():
        fig = _figure(1.6 + 0.55 * height)
        ax = fig.add_subplot()
        bars = ax.barh(y, values, color=colors, height=0.62)
        ax.set_yticks(y, labels=list(labels))
        ax.set_xlim(*xlim)
        ax.grid(axis="y", visible=False)
        if percent:
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
        ax.set_xlabel(xlabel)
        span = xlim[1] - xlim[0]
        for bar, t in zip(bars, texts):
            inside = bar.get_width() - xlim[0] > span * 0.8
            x = bar.get_x() + bar.get_width()
            ax.text(x - span * 0.01 if inside else x + span * 0.01, bar.get_y() + bar.get_height() / 2, t,
                    va="center", ha="right" if inside else "left", fontsize=7,
                    color="white" if inside else "#262626")
        if legend:
            from matplotlib.patches import Patch

            ax.legend(handles=[Patch(color=c, label=name) for name, c in legend], loc="upper center",
                      bbox_to_anchor=(0.5, -0.12 - 1.2 / (1.6 + 0.55 * height)),
                      ncol=min(len(legend), 4 if max(display_width(name) for name, _ in legend) <= 12 else 2),
                      frameon=False)
        fig.tight_layout()
        return _png(fig)


def level_rates(rows: Sequence[tuple[str, str, float | None]]) -> bytes | None:
    """二级指标得分率 (%), coloured by 一级. ``rows``: (一级, 二级, rate as a fraction)."""
    rows = [r for r in rows if r[2] is not None]
    if not rows or not available():
        return None
    parents = list(dict.fromkeys(r[0] for r in rows))
    colors = [PALETTE[parents.index(r[0]) % len(PALETTE)] for r in rows]
    values = [r[2] * 100 for r in rows]
    legend = [(p, PALETTE[i % len(PALETTE)]) for i, p in enumerate(parents)] if len(parents) > 1 else ()
    return _hbars([r[1] for r in rows], values, [f"{v:.2f}%" for v in values], colors, (0, 105),
                  L.REPORT_CHART_AXES["rate"], True, legend)


def option_counts(counts: Sequence[tuple[str, int]]) -> bytes | None:
    """A question set's answers per option, labelled “n人次（x%）”."""
    total = sum(n for _, n in counts)
    if not counts or not total or not available():
        return None
    values = [n for _, n in counts]
    top = max(values)
    return _hbars([k for k, _ in counts], values, [f"{n}人次（{n / total * 100:.2f}%）" for n in values],
                  [PALETTE[0]] * len(values), (0, top * 1.3 + 1), L.REPORT_CHART_AXES["answers"], False)


def unit_totals(units: Sequence[tuple[str, float, str]]) -> list[bytes]:
    """各单位总分 (labelled with the grade), best first, several charts of at most UNITS_PER_CHART
    units each, each unit's label as given (its rank and name). The axis starts a little below the
    lowest score, so that differences of a few points show."""
    units = [u for u in units if u[1] is not None]
    if not units or not available():
        return []
    low = min(u[1] for u in units)
    start = max(0.0, math.floor((low - 5) / 5) * 5)
    out = []
    for i in range(0, len(units), UNITS_PER_CHART):
        part = units[i:i + UNITS_PER_CHART]
        out.append(_hbars([u[0] for u in part], [u[1] for u in part],
                          [f"{u[1]:.2f}（{u[2]}）" if u[2] else f"{u[1]:.2f}" for u in part],
                          [PALETTE[0]] * len(part), (start, 100), L.REPORT_CHART_AXES["total"], False))
    return out


def grade_counts(years: Sequence[tuple[str | None, Sequence[tuple[str, int]]]]) -> bytes | None:
    """Units per grade, as vertical bars labelled with the count and share; ``years``: (year, counts)
    per 评价年度, one group of bars each (shares within the year), or a single (None, counts)."""
    if not years or not any(grades for _, grades in years) or not available():
        return None
    from matplotlib.ticker import MaxNLocator

    with _style():
        fig = _figure(5.5)
        ax = fig.add_subplot()
        labels = [_wrapped(g, 12, 2) for g, _ in years[0][1]]
        width = 0.5 if len(years) == 1 else 0.8 / len(years)
        top = 1
        for j, (year, grades) in enumerate(years):
            values = [n for _, n in grades]
            total = sum(values) or 1
            top = max([top, *values])
            xs = [i + (j - (len(years) - 1) / 2) * width for i in range(len(values))]
            bars = ax.bar(xs, values, color=PALETTE[j % len(PALETTE)], width=width,
                          label=f"{year}{L.YEAR_SUFFIX}" if year is not None else None)
            for bar, n in zip(bars, values):        # several years: the count alone (shares are in the table)
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(),
                        f"{n}个（{n / total * 100:.1f}%）" if len(years) == 1 else f"{n}个",
                        ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylim(0, top * 1.25)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="x", visible=False)
        ax.set_ylabel(L.REPORT_CHART_AXES["units"])
        if len(years) > 1:                          # above the plot: never over a bar
            ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(years), 6), fontsize=8,
                      frameon=False)
        fig.tight_layout()
        return _png(fig)


def draw(job: "tuple[Callable[[Any], Any], Any]") -> "bytes | list[bytes] | None":
    """One chart of a report: (this module's function, its data), what a worker process is sent."""
    fn, data = job
    return fn(data)
