"""An indicator's values against its targets, as a small self-contained SVG.

Years run left to right; each year's target is a dashed tick with its comparator, the values a
line of dots coloured by the traffic light. No chart library: the picture is simple and the
markup stays readable (and testable).
"""

from xml.sax.saxutils import escape

from plans.indicators.schemas import Attainment

WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 56, 48
COLOURS = {"green": "#2e7d32", "yellow": "#f9a825", "red": "#c62828", "grey": "#757575"}
TARGET_COLOUR = "#1565c0"


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{value:.0f}"


def render_chart(attainment: Attainment) -> str:
    indicator = attainment.indicator
    unit = indicator.unit or ""
    years = [row.year for row in attainment.years]
    figures = [row.value for row in attainment.years if row.value is not None]
    figures += [row.target.value for row in attainment.years if row.target is not None]
    title = f"{indicator.name}（{attainment.scope_code}）"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    if not years or not figures:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#757575">'
            "暂无目标或数据 (no targets or values yet)</text>"
        )
        parts.append("</svg>")
        return "\n".join(parts)

    low, high = min(figures), max(figures)
    span = high - low or max(abs(high), 1.0) * 0.1
    low, high = low - span * 0.25, high + span * 0.25
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(index: int) -> float:
        return LEFT + (plot_w * (index + 0.5) / len(years))

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    # Axes and a light grid with five labelled steps.
    parts.append(
        f'<g stroke="#9e9e9e"><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>'
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/></g>'
    )
    decimals = max(indicator.decimals, 0)
    for step in range(5):
        value = low + (high - low) * step / 4
        y = y_of(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" '
            'stroke="#eeeeee"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#616161">'
            f"{escape(_fmt(value, decimals))}{escape(unit)}</text>"
        )
    for index, year in enumerate(years):
        parts.append(
            f'<text class="year" x="{x_of(index):.1f}" y="{TOP + plot_h + 18}" '
            f'text-anchor="middle">{year}</text>'
        )

    # Targets: a dashed tick per year with its comparator.
    half = min(plot_w / len(years) * 0.35, 40)
    for index, row in enumerate(attainment.years):
        if row.target is None:
            continue
        y = y_of(row.target.value)
        label = f"{row.target.comparator}{_fmt(row.target.value, decimals)}{unit}"
        parts.append(
            f'<g class="target" data-year="{row.year}" data-value="{row.target.value}">'
            f'<line x1="{x_of(index) - half:.1f}" y1="{y:.1f}" x2="{x_of(index) + half:.1f}" '
            f'y2="{y:.1f}" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{x_of(index) + half + 2:.1f}" y="{y - 4:.1f}" fill="{TARGET_COLOUR}">'
            f"{escape(label)}</text></g>"
        )

    # Values: a line through the measured years, dots coloured by attainment.
    points = [
        (x_of(index), y_of(row.value))
        for index, row in enumerate(attainment.years)
        if row.value is not None
    ]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline class="values" points="{path}" fill="none" stroke="#424242" '
            'stroke-width="2"/>'
        )
    for index, row in enumerate(attainment.years):
        if row.value is None:
            continue
        x, y = x_of(index), y_of(row.value)
        label = f"{_fmt(row.value, decimals)}{unit}"
        parts.append(
            f'<g class="value" data-year="{row.year}" data-value="{row.value}" '
            f'data-light="{row.light}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{COLOURS[row.light]}"/>'
            f'<text x="{x:.1f}" y="{y + 18:.1f}" text-anchor="middle">{escape(label)}</text></g>'
        )

    # Legend.
    legend_y = 40
    parts.append(
        f'<g class="legend"><line x1="{WIDTH - 250}" y1="{legend_y}" x2="{WIDTH - 226}" '
        f'y2="{legend_y}" stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/>'
        f'<text x="{WIDTH - 220}" y="{legend_y + 4}">目标 target</text>'
        f'<circle cx="{WIDTH - 130}" cy="{legend_y}" r="5" fill="{COLOURS["green"]}"/>'
        f'<text x="{WIDTH - 120}" y="{legend_y + 4}">实际值 value</text></g>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
