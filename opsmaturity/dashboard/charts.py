"""Geometry for the dashboard's server-rendered SVG charts. No JavaScript, no CDN."""

from opsmaturity.operations.phases import ORDER

FUNNEL_WIDTH = 420
TREND_WIDTH, TREND_HEIGHT, PAD = 560, 180, 28


def funnel_bars(stages):
    """Bars as wide as their share of the largest phase, centred like a funnel."""
    largest = max((s["count"] for s in stages), default=0) or 1
    bars = []
    for i, stage in enumerate(stages):
        width = round(FUNNEL_WIDTH * stage["count"] / largest) if stage["count"] else 2
        bars.append({**stage, "width": width, "x": (FUNNEL_WIDTH - width) // 2, "y": i * 34})
    return {"bars": bars, "width": FUNNEL_WIDTH, "height": len(stages) * 34}


def trend_lines(points):
    """One polyline per phase across the weeks."""
    if not points:
        return None
    top = max((max(p["counts"].values()) for p in points), default=0) or 1
    step = (TREND_WIDTH - 2 * PAD) / max(len(points) - 1, 1)
    inner = TREND_HEIGHT - 2 * PAD

    def xy(i, value):
        return round(PAD + i * step, 1), round(PAD + inner - inner * value / top, 1)

    lines = []
    for phase in ORDER:
        coords = [xy(i, p["counts"][phase]) for i, p in enumerate(points)]
        lines.append(
            {
                "phase": phase,
                "points": " ".join(f"{x},{y}" for x, y in coords),
                "last": coords[-1],
                "last_value": points[-1]["counts"][phase],
            }
        )
    _spread_labels(lines)
    ticks = [{"x": xy(i, 0)[0], "label": p["date"]} for i, p in enumerate(points) if i % 2 == 0]
    return {
        "lines": lines,
        "ticks": ticks,
        "width": TREND_WIDTH,
        "height": TREND_HEIGHT,
        "top": top,
        "baseline": PAD + inner,
        "pad": PAD,
    }


def _spread_labels(lines, gap=14):
    """Move the end-of-line labels apart vertically so that none overlaps another."""
    ordered = sorted(lines, key=lambda line: line["last"][1])
    previous = None
    for line in ordered:
        y = line["last"][1]
        if previous is not None and y - previous < gap:
            y = previous + gap
        line["label_y"] = y
        previous = y
