"""Geometry for the dashboard's server-rendered SVG charts: the phase funnel and the
week-over-week trend, each drawn at a phone's width and a card's (lib/charts.py).

Every text is laid out here, as a ``Label`` with its box, so the tests can check that
no two of them meet whatever the data; the template only draws them.
"""

from opsmaturity.lib import charts as c
from opsmaturity.lib.formatting import grouped, money
from opsmaturity.operations.phases import ORDER

DASHBOARD_VARIANTS = ("s", "m")
BAR_HEIGHT, ROW_GAP = 20, 12
PLOT_HEIGHT = 180


def funnel_variants(stages):
    return [funnel_bars(stages, key) for key in DASHBOARD_VARIANTS]


def funnel_bars(stages, key="m"):
    """One row per phase: its label (name · count · cost) over a bar as wide as its
    share of the largest phase, centred like a funnel. A label too wide for one line
    takes two (the name, then the figures); a name too wide for its line is cut, the
    link's accessible name keeps it whole."""
    width = c.VARIANTS[key]
    largest = max((s["count"] for s in stages), default=0) or 1
    bars, y = [], 0.0
    for stage in stages:
        name, count, cost = str(stage["phase"].label), grouped(stage["count"]), money(stage["cost"])
        whole = f"{name} · {count} · {cost}"
        lines = [whole] if c.text_width(whole) <= width else [name, f"{count} · {cost}"]
        top = y
        labels = []
        for line in lines:
            labels.append(
                c.Label(
                    c.fit(line, width),
                    width / 2,
                    y + c.LABEL_SIZE,
                    anchor="middle",
                    cls="bar-label",
                )
            )
            y += c.line_height()
        y += 3
        bar_width = max(round(width * stage["count"] / largest), 2)
        bars.append(
            {
                **stage,
                "name": whole,
                "labels": labels,
                "top": round(top, 1),
                "row_height": round(y + BAR_HEIGHT - top, 1),
                "x": round((width - bar_width) / 2, 1),
                "y": round(y, 1),
                "width": bar_width,
            }
        )
        y += BAR_HEIGHT + ROW_GAP
    return {
        "key": key,
        "bars": bars,
        "width": width,
        "height": round(y - ROW_GAP + 2, 1),
        "bar_height": BAR_HEIGHT,
        "labels": [label for bar in bars for label in bar["labels"]],
    }


def trend_variants(points):
    if not points:
        return None
    return [trend_lines(points, key) for key in DASHBOARD_VARIANTS]


def trend_lines(points, key="m"):
    """One line per phase across the weeks, on an axis from zero with a few 1-2-5
    ticks; each line ends in its name and today's count, the labels spread so that none
    meets another; one focus band per week (or per few weeks where they would be too
    narrow to touch) shows that week's figures and names them for a screen reader."""
    if not points:
        return None
    width = c.VARIANTS[key]
    top_value = max(max(p["counts"].values()) for p in points)
    ticks = c.nice_ticks(top_value)
    axis_top = ticks[-1]
    tick_texts = [grouped(t) for t in ticks]
    left = max(c.text_width(t, c.TICK_SIZE) for t in tick_texts) + 12
    last = points[-1]["counts"]
    end_texts = c.end_label_texts([(phase.label, grouped(last[phase])) for phase in ORDER], width)
    right = width - max(c.text_width(t) for t in end_texts) - 12
    top = 12
    baseline = top + PLOT_HEIGHT

    n = len(points)
    if n == 1:
        xs = [right]
    else:
        step = (right - left - 4) / (n - 1)
        xs = [left + 4 + i * step for i in range(n)]

    def y_of(value):
        return round(baseline - PLOT_HEIGHT * value / axis_top, 1)

    lines = []
    for phase in ORDER:
        coords = [(round(x, 1), y_of(p["counts"][phase])) for x, p in zip(xs, points, strict=True)]
        lines.append(
            {
                "phase": phase,
                "points": c.points_attr(coords),
                "last": coords[-1],
                "last_value": last[phase],
            }
        )
    # end labels: centred on their line's end, kept apart and inside the plot's height
    middle = 0.33 * c.LABEL_SIZE
    placed = c.spread(
        [line["last"][1] + middle for line in lines],
        c.line_height(),
        top + middle,
        baseline + middle,
    )
    for line, text, y in zip(lines, end_texts, placed, strict=True):
        line["label"] = c.Label(
            text, xs[-1] + 8, round(y, 1), cls=f"line-label phase-text-{line['phase'].value}"
        )

    y_ticks = [
        {
            "y": y_of(value),
            "label": c.Label(
                text, left - 6, y_of(value) + 0.33 * c.TICK_SIZE, c.TICK_SIZE, "end", "tick"
            ),
        }
        for value, text in zip(ticks, tick_texts, strict=True)
    ]
    x_row = baseline + 10 + 0.92 * c.TICK_SIZE
    x_ticks = c.x_tick_labels(xs, [c.axis_day(p["date"]) for p in points], 0, width)
    for label in x_ticks:
        label.y = round(x_row, 1)

    focus = []
    for i, x0, x1 in c.bands(xs, left, right + 4):
        point = points[i]
        values = [f"{phase.label} {grouped(point['counts'][phase])}" for phase in ORDER]
        dots = [f"phase-fill-{phase.value}" for phase in ORDER]
        box = c.readout_box(xs[i], [c.axis_day(point["date"]), *values], top, width, dots)
        focus.append(
            {
                "x0": x0,
                "width": round(x1 - x0, 1),
                "x": round(xs[i], 1),
                "name": c.readout(point["date"], values),
                "dots": [
                    (cls, y_of(point["counts"][phase]))
                    for cls, phase in zip(dots, ORDER, strict=True)
                ],
                "box": box,
            }
        )
    height = round(x_row + 0.26 * c.TICK_SIZE + 4, 1)
    return {
        "key": key,
        "lines": lines,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "focus": focus,
        "width": width,
        "height": height,
        "top": top,
        "left": left,
        "right": round(right, 1),
        "baseline": baseline,
        "labels": [t["label"] for t in y_ticks] + x_ticks + [line["label"] for line in lines],
    }
