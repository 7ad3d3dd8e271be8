"""Line charts as inline SVG, drawn server-side: no script and no request to read them.

`line_chart` is pure: points in, SVG text out. A value of None leaves a gap; the target
and the baseline are horizontal lines across the plot. Labels arrive formatted (Babel).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 70, 16, 14, 34
# Presentation attributes, not CSS classes: WeasyPrint's SVG renderer does not apply the
# page's style sheet inside an SVG, and the chart must look the same in HTML and PDF.
STYLE = {
    "plot": 'fill="#fbfcfd" stroke="#d0d7de"',
    "tick": 'font-size="10" fill="#444444"',
    "value": 'fill="none" stroke="#2f5d8a" stroke-width="2"',
    "dot": 'fill="#2f5d8a"',
    "target": 'stroke="#cf222e" stroke-width="1.5" stroke-dasharray="6 3"',
    "baseline": 'stroke="#8c959f" stroke-width="1.5" stroke-dasharray="2 3"',
}


@dataclass(frozen=True, slots=True)
class Series:
    """What one chart shows; `labels` are the x-axis texts, one per value."""

    title: str
    labels: Sequence[str]
    values: Sequence[float | None]
    target: float | None
    baseline: float | None


def _scale(series: Series) -> tuple[float, float]:
    known = [v for v in series.values if v is not None]
    known += [v for v in (series.target, series.baseline) if v is not None]
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return low - pad, high + pad


def _segments(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


def line_chart(series: Series, tick: Callable[[float], str], legend: dict[str, str]) -> str:
    """An SVG chart of `series`; `tick` formats y values, `legend` names value/target/baseline."""
    low, high = _scale(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(series.values), 1)

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / count)

    def y(v: float) -> float:
        return TOP + plot_h * (high - v) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-label="{escape(series.title)}">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" {STYLE["plot"]}/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        v = low + (high - low) * frac
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" {STYLE["tick"]} text-anchor="end">'
            f"{escape(tick(v))}</text>"
        )
    step = max(1, count // 10)
    for i, label in enumerate(series.labels):
        if i % step == 0 or i == count - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" {STYLE["tick"]} '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for name, level in (("target", series.target), ("baseline", series.baseline)):
        if level is not None:
            parts.append(
                f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(level):.1f}" '
                f'y2="{y(level):.1f}" {STYLE[name]}/>'
            )
    points = [None if v is None else (x(i), y(v)) for i, v in enumerate(series.values)]
    for run in _segments(points):
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
        parts.append(f'<polyline points="{coords}" {STYLE["value"]}/>')
        parts.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" {STYLE["dot"]}/>' for px, py in run
        )
    parts.append(_legend(legend, series))
    parts.append("</svg>")
    return "".join(parts)


def _legend(legend: dict[str, str], series: Series) -> str:
    shown = [("value", legend["value"])]
    shown += [(k, legend[k]) for k in ("target", "baseline") if getattr(series, k) is not None]
    out, left = [], LEFT
    for css, text in shown:
        out.append(
            f'<line x1="{left}" x2="{left + 18}" y1="{HEIGHT - 6}" '
            f'y2="{HEIGHT - 6}" {STYLE[css]}/>'
            f'<text x="{left + 22}" y="{HEIGHT - 2}" {STYLE["tick"]}>{escape(text)}</text>'
        )
        left += 34 + 11 * len(text)
    return "".join(out)
