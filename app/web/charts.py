"""Small SVG charts drawn on the server for the overview: horizontal bars, stacked bars, lines.

The markup uses presentation attributes only (``fill``, ``stroke``), never a ``style`` attribute or a script, so
the Content-Security-Policy's ``style-src 'self'`` holds; every label is escaped here and the result is
:class:`markupsafe.Markup` for the template. Text stays text, so the browser's fonts draw the Chinese names.

Example:
    >>> svg = hbar(["阿司匹林", "<b>"], [3, 1], title="records")
    >>> "&lt;b&gt;" in svg and "<b>" not in svg
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["PALETTE", "hbar", "lines", "stacked"]

#: Series colours, in order.
PALETTE = ("#2f6f9f", "#d08a2c", "#9aa7b4", "#b84b4b", "#4f8f5f", "#7a5ea8")
_LABEL_W = 150
_BAR_H = 18
_GAP = 6
_WIDTH = 720


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _legend(names: Sequence[str], colours: Sequence[str], y: float) -> str:
    parts, x = [], float(_LABEL_W)
    for name, colour in zip(names, colours, strict=False):
        parts.append(f'<rect x="{x:.0f}" y="{y - 10:.0f}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14:.0f}" y="{y:.0f}">{escape(name)}</text>')
        x += 24 + 12 * len(name)
    return "".join(parts)


def _svg(height: float, body: str, title: str) -> Markup:
    return Markup(f'<svg class="chart" role="img" viewBox="0 0 {_WIDTH} {height:.0f}" width="{_WIDTH}" '
                  f'height="{height:.0f}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
                  f"{body}</svg>")


def stacked(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str) -> Markup:
    """One horizontal bar per label, its segments the series' values (a legend on top)."""
    names = list(series)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    totals = [sum(series[n][i] for n in names) for i in range(len(labels))]
    scale = (_WIDTH - _LABEL_W - 70) / max(max(totals, default=0), 1)
    top = 24.0
    body = [_legend(names, colours, 14)]
    for i, label in enumerate(labels):
        y = top + i * (_BAR_H + _GAP)
        body.append(f'<text x="{_LABEL_W - 6}" y="{y + 13:.0f}" text-anchor="end">{escape(label)}</text>')
        x = float(_LABEL_W)
        for name, colour in zip(names, colours, strict=True):
            value = series[name][i]
            if value > 0:
                body.append(f'<rect x="{x:.1f}" y="{y:.0f}" width="{value * scale:.1f}" height="{_BAR_H}" '
                            f'fill="{colour}"><title>{escape(label)} · {escape(name)}: {_number(value)}</title>'
                            "</rect>")
                x += value * scale
        body.append(f'<text x="{x + 4:.1f}" y="{y + 13:.0f}">{_number(totals[i])}</text>')
    return _svg(top + len(labels) * (_BAR_H + _GAP) + 4, "".join(body), title)


def hbar(labels: Sequence[str], values: Sequence[float], *, title: str, colours: Sequence[str] | None = None,
         legend: dict[str, str] | None = None) -> Markup:
    """One horizontal bar per label (each its own colour when ``colours`` is given; ``legend``: name -> colour)."""
    fill = list(colours) if colours else [PALETTE[0]] * len(values)
    scale = (_WIDTH - _LABEL_W - 70) / max(max(values, default=0), 1)
    top = 24.0 if legend else 4.0
    body = [_legend(list(legend), list(legend.values()), 14)] if legend else []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * (_BAR_H + _GAP)
        body.append(f'<text x="{_LABEL_W - 6}" y="{y + 13:.0f}" text-anchor="end">{escape(label)}</text>'
                    f'<rect x="{_LABEL_W}" y="{y:.0f}" width="{value * scale:.1f}" height="{_BAR_H}" '
                    f'fill="{fill[i]}"><title>{escape(label)}: {_number(value)}</title></rect>'
                    f'<text x="{_LABEL_W + value * scale + 4:.1f}" y="{y + 13:.0f}">{_number(value)}</text>')
    return _svg(top + len(labels) * (_BAR_H + _GAP) + 4, "".join(body), title)


def lines(xs: Sequence[float], series: dict[str, Sequence[float]], *, title: str, x_label: str) -> Markup:
    """Each series as a polyline over ``xs`` (one shared y axis from 0), with the largest value marked."""
    names = list(series)
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(names))]
    height, left, right, top, bottom = 240.0, 60.0, _WIDTH - 20.0, 30.0, 200.0
    peak = max((v for n in names for v in series[n]), default=0) or 1
    span = (max(xs) - min(xs)) if len(xs) > 1 else 1
    body = [_legend(names, colours, 14),
            f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#5b6b7c"/>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#5b6b7c"/>'
            f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{_number(peak)}</text>'
            f'<text x="{left - 4}" y="{bottom}" text-anchor="end">0</text>'
            f'<text x="{(left + right) / 2:.0f}" y="{bottom + 30}" text-anchor="middle">{escape(x_label)}</text>']
    for name, colour in zip(names, colours, strict=True):
        points = " ".join(f"{left + (x - min(xs)) / span * (right - left):.1f},"
                          f"{bottom - v / peak * (bottom - top):.1f}" for x, v in zip(xs, series[name], strict=True))
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    if xs:
        body.append(f'<text x="{left}" y="{bottom + 15}" text-anchor="middle">{_number(min(xs))}</text>'
                    f'<text x="{right}" y="{bottom + 15}" text-anchor="middle">{_number(max(xs))}</text>')
    return _svg(height, "".join(body), title)
