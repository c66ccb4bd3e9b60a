"""Accessible bar charts drawn on the server as SVG.

No script and no `style` attribute, so the Content-Security-Policy (no inline script, no
inline style) holds: colours and fonts are SVG presentation attributes. Each chart is an
image with a <title> and a <desc> (role="img", aria-labelledby); pages show the same
numbers in a table beside it, so nothing depends on seeing the chart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR = "#0b5ed7"  # Bootstrap's primary: 5.2:1 against white, above the 3:1 for graphics
TEXT = "#212529"
AXIS = "#495057"
GRID = "#dee2e6"

MARGIN_LEFT = 52
MARGIN_RIGHT = 12
MARGIN_TOP = 24
MARGIN_BOTTOM = 48
PLOT_HEIGHT = 160


def _number(value: float | Decimal) -> str:
    """A count without decimals, anything else to at most 2 (for labels, not data)."""
    rounded = round(float(value), 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.2f}"


def _ticks(highest: Decimal, whole: bool) -> list[Decimal]:
    """Gridline values from 0 in a round step (1, 2 or 5 × 10ⁿ), at most about 5 of them;
    whole steps only when the data are counts."""
    raw = (highest if highest > 0 else Decimal(1)) / 4
    unit = Decimal(1).scaleb(raw.adjusted())
    step = next(unit * m for m in (1, 2, 5, 10) if unit * m >= raw)
    if whole:
        step = max(step, Decimal(1))
    ticks = [Decimal(0)]
    while ticks[-1] < highest or len(ticks) < 2:
        ticks.append(ticks[-1] + step)
    return ticks


def _id(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw) or "chart"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[int | Decimal],
    *,
    title: str,
    description: str,
    chart_id: str = "chart",
    x_label: str = "",
    y_label: str = "",
    bar_width: int = 56,
) -> SafeString:
    """A vertical bar chart as an SVG string, every text escaped before it is marked safe.

    `chart_id` must be unique in the page: it names the <title> and <desc> elements the
    image is labelled by. Values are drawn as given (negative ones as 0); each bar has its
    value written above it and its label below.
    """
    if len(labels) != len(values):
        raise ValueError("bar_chart needs one label per value")
    ident = _id(chart_id)
    amounts = [Decimal(v) for v in values]
    ticks = _ticks(max([Decimal(0), *amounts]), all(isinstance(v, int) for v in values))
    top = ticks[-1]
    width = MARGIN_LEFT + bar_width * max(len(values), 1) + MARGIN_RIGHT
    height = MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM
    base = MARGIN_TOP + PLOT_HEIGHT

    def y_of(value: Decimal) -> float:
        return base - float(max(value, Decimal(0)) / top) * PLOT_HEIGHT

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" class="img-fluid chart" '
        f'font-family="system-ui, sans-serif" font-size="12" fill="{TEXT}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{width - MARGIN_RIGHT}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(tick))}</text>"
        )
    for index, (label, amount) in enumerate(zip(labels, amounts, strict=True)):
        x = MARGIN_LEFT + index * bar_width
        centre = x + bar_width / 2
        y = y_of(amount)
        parts.append(
            f'<rect x="{x + bar_width * 0.15:.1f}" y="{y:.1f}" width="{bar_width * 0.7:.1f}" '
            f'height="{base - y:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(_number(amount))}</title></rect>"
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle">'
            f"{escape(_number(amount))}</text>"
        )
        parts.append(
            f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{base}" x2="{width - MARGIN_RIGHT}" y2="{base}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{base}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    if x_label:
        parts.append(
            f'<text x="{(MARGIN_LEFT + width - MARGIN_RIGHT) / 2:.1f}" y="{height - 8}" '
            f'text-anchor="middle">{escape(x_label)}</text>'
        )
    if y_label:
        middle = MARGIN_TOP + PLOT_HEIGHT / 2
        parts.append(
            f'<text x="14" y="{middle:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {middle:.1f})">{escape(y_label)}</text>'
        )
    parts.append("</svg>")
    # Safe: every piece of text above went through escape(); the rest is our own markup.
    return mark_safe("".join(parts))
