"""The burn-up chart's geometry: done against total, day by day, as an SVG of lines."""

WIDTH, HEIGHT, PAD = 560, 200, 30


def burn_up(points, deadline=None):
    """``points``: [{"date", "done", "total"}] oldest first. None with fewer than two."""
    if len(points) < 2:
        return None
    top = max(max(p["total"], p["done"]) for p in points) or 1
    first, last = points[0]["date"], points[-1]["date"]
    end = max(last, deadline) if deadline else last
    span = max((end - first).days, 1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def xy(day, value):
        x = PAD + inner_w * (day - first).days / span
        return round(x, 1), round(PAD + inner_h - inner_h * value / top, 1)

    done = [xy(p["date"], p["done"]) for p in points]
    total = [xy(p["date"], p["total"]) for p in points]
    chart = {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "baseline": PAD + inner_h,
        "top": top,
        "done": " ".join(f"{x},{y}" for x, y in done),
        "total": " ".join(f"{x},{y}" for x, y in total),
        "done_last": done[-1],
        "total_last": total[-1],
        "first": first,
        "last": last,
    }
    if deadline and deadline >= first:
        chart["deadline_x"] = xy(deadline, 0)[0]
        chart["deadline"] = deadline
    return chart
