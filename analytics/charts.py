"""Static charts for the reports: matplotlib figures rendered to inline SVG.

Text is drawn as glyph outlines (``svg.fonttype = "path"``), so the SVG needs no font on
the reader's machine; Chinese labels need a CJK font on the machine that *renders* the
report: the first of :data:`CJK_FONTS` that matplotlib finds (Debian: ``apt-get install
fonts-noto-cjk``). Without one, a warning says so and CJK labels show as boxes.
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["CJK_FONTS", "bar_chart", "cjk_font", "line_chart", "prepare", "stacked_bars"]

logger = logging.getLogger(__name__)

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
    "Noto Serif CJK JP",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
COLORS = {"positive": "#2e9e5b", "neutral": "#9aa5b1", "negative": "#d64541"}
PALETTE = ("#3b6fd8", "#f0a030", "#2e9e5b", "#d64541", "#8e5bd8", "#27a8b8", "#9aa5b1")
_XML_DECL = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?")
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The name of an installed CJK font matplotlib can use, or ``None`` (with a warning)."""
    from matplotlib import font_manager

    for attempt in range(2):
        available = {f.name for f in font_manager.fontManager.ttflist}
        for name in CJK_FONTS:
            if name in available:
                return name
        if attempt == 0 and not _add_new_cjk_fonts(font_manager):
            break
    logger.warning(
        "no CJK font found (tried %s): Chinese chart labels will not render; "
        "install one, e.g. 'apt-get install fonts-noto-cjk'",
        ", ".join(CJK_FONTS[:3]),
    )
    return None


def _add_new_cjk_fonts(font_manager) -> bool:
    """Add the system's font files matplotlib does not know to its font list, which it
    caches on first use: a font installed after that (``apt-get install fonts-noto-cjk``)
    is not in it. Only the new files are opened."""
    known = {f.fname for f in font_manager.fontManager.ttflist}
    added = False
    for path in font_manager.findSystemFonts():
        if path not in known:
            try:
                font_manager.fontManager.addfont(path)
                added = True
            except (OSError, RuntimeError, ValueError):  # an unreadable font file
                continue
    return added


@lru_cache(maxsize=1)
def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def prepare() -> None:
    """Import matplotlib and find the CJK font now (a second or two), e.g. in a thread
    while worker processes are busy, so that rendering the report later starts at once."""
    _pyplot()
    cjk_font()


def _figure(width: float, height: float):
    plt = _pyplot()
    font = cjk_font()
    params = {
        "svg.fonttype": "path",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": False,
    }
    if font:
        params["font.family"] = "sans-serif"
        params["font.sans-serif"] = [font, "DejaVu Sans"]
    return plt.rc_context(params), (width, height)


def _svg(fig) -> str:
    buffer = io.StringIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from current font")
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    _pyplot().close(fig)
    svg = _METADATA.sub("", _XML_DECL.sub("", buffer.getvalue()))
    # Inline SVGs must not fix their size in pt: let CSS scale them.
    return svg.replace("<svg ", '<svg class="chart" role="img" ', 1)


def _short(label: str, limit: int = 24) -> str:
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    xlabel: str = "",
    colors: Sequence[str] | None = None,
    percent: bool = False,
) -> str:
    """A horizontal bar chart as an SVG string (first label on top)."""
    context, size = _figure(6.4, max(1.6, 0.32 * len(labels) + 0.9))
    with context:
        fig, ax = _pyplot().subplots(figsize=size)
        positions = list(range(len(labels)))[::-1]
        bars = ax.barh(
            positions,
            values,
            color=list(colors) if colors else PALETTE[0],
            height=0.65,
        )
        ax.set_yticks(positions)
        ax.set_yticklabels([_short(x) for x in labels])
        ax.set_title(title, loc="left", fontweight="bold")
        ax.set_xlabel(xlabel)
        top = max(values) if len(values) else 1
        for bar, value in zip(bars, values, strict=True):
            text = f"{value:.1%}" if percent else f"{value:,.0f}" if value >= 10 else f"{value:.3g}"
            ax.text(
                bar.get_width() + top * 0.01,
                bar.get_y() + bar.get_height() / 2,
                text,
                va="center",
                fontsize=8,
            )
        ax.set_xlim(0, (top or 1) * 1.15)
        return _svg(fig)


def stacked_bars(
    labels: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    legend: dict[str, str] | None = None,
) -> str:
    """Horizontal 100 % stacked bars (shares of each series per label) as SVG."""
    context, size = _figure(6.4, max(1.8, 0.32 * len(labels) + 1.2))
    with context:
        fig, ax = _pyplot().subplots(figsize=size)
        positions = list(range(len(labels)))[::-1]
        left = [0.0] * len(labels)
        for i, (name, values) in enumerate(series.items()):
            ax.barh(
                positions,
                values,
                left=left,
                height=0.65,
                color=COLORS.get(name, PALETTE[i % len(PALETTE)]),
                label=(legend or {}).get(name, name),
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.set_yticks(positions)
        ax.set_yticklabels([_short(x) for x in labels])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_pyplot().FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_title(title, loc="left", fontweight="bold")
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08 - 0.6 / max(len(labels), 1)),
            ncol=len(series),
            frameon=False,
            fontsize=8,
        )
        return _svg(fig)


def line_chart(
    x: Sequence[str],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    ylabel: str = "",
    marks: Sequence[int] = (),
    mark_label: str = "",
    percent: bool = False,
) -> str:
    """A line chart of one or more series over ``x`` (dates as text); ``marks`` are the
    indices of points highlighted with red circles (e.g. spikes)."""
    context, size = _figure(6.8, 2.8)
    with context:
        fig, ax = _pyplot().subplots(figsize=size)
        positions = list(range(len(x)))
        for i, (name, values) in enumerate(series.items()):
            ax.plot(
                positions,
                values,
                marker="o" if len(x) <= 40 else None,
                markersize=3,
                color=PALETTE[i % len(PALETTE)],
                label=name,
                linewidth=1.6,
            )
        if marks:
            first = next(iter(series.values()))
            ax.scatter(
                [positions[i] for i in marks],
                [first[i] for i in marks],
                s=80,
                facecolors="none",
                edgecolors=COLORS["negative"],
                linewidths=2,
                label=mark_label,
                zorder=5,
            )
        step = max(1, len(x) // 8)
        ax.set_xticks(positions[::step])
        ax.set_xticklabels([x[i] for i in positions[::step]], rotation=30, ha="right")
        if percent:
            ax.yaxis.set_major_formatter(_pyplot().FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set_ylabel(ylabel)
        ax.set_title(title, loc="left", fontweight="bold")
        if len(series) > 1 or marks:
            ax.legend(frameon=False, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        return _svg(fig)
