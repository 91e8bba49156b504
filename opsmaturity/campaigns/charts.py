"""The burn-up chart's geometry: done against total, day by day, as an SVG of lines,
drawn at a phone's width, a card's and a full page's (lib/charts.py).

Every text is laid out here, as a ``Label`` with its box, so the tests can check that
no two of them meet whatever the data; the template only draws them.
"""

import datetime as dt

from django.utils.translation import gettext as _

from opsmaturity.lib import charts as c
from opsmaturity.lib.formatting import grouped

CAMPAIGN_VARIANTS = ("s", "m", "l")
PLOT_HEIGHT = 180
MOST_DATES = 6


def burn_up_variants(points, deadline=None):
    """``points``: [{"date", "done", "total"}] oldest first. None with fewer than two."""
    if len(points) < 2:
        return None
    return [burn_up(points, deadline, key) for key in CAMPAIGN_VARIANTS]


def burn_up(points, deadline=None, key="m"):
    """Done and in scope from the first recorded day to the deadline (or today, if
    later), on an axis from zero with a few 1-2-5 ticks, a few days on the x axis, the
    deadline marked above the plot, each line ending in its name and today's figure;
    one focus band per day (fewer where they would be too narrow to touch)."""
    if len(points) < 2:
        return None
    width = c.VARIANTS[key]
    top_value = max(max(p["total"], p["done"]) for p in points)
    ticks = c.nice_ticks(top_value)
    axis_top = ticks[-1]
    tick_texts = [grouped(t) for t in ticks]
    left = max(c.text_width(t, c.TICK_SIZE) for t in tick_texts) + 12
    now = points[-1]
    done_label, total_label = _("done"), _("in scope")
    end_texts = c.end_label_texts(
        [(total_label, grouped(now["total"])), (done_label, grouped(now["done"]))], width
    )
    right = width - max(c.text_width(t) for t in end_texts) - 12
    first, last = points[0]["date"], points[-1]["date"]
    end = max(last, deadline) if deadline else last
    span = max((end - first).days, 1)
    marks_deadline = bool(deadline and deadline >= first)
    top = 30 if marks_deadline else 12
    baseline = top + PLOT_HEIGHT

    def x_of(day):
        return round(left + 4 + (right - left - 4) * (day - first).days / span, 1)

    def y_of(value):
        return round(baseline - PLOT_HEIGHT * value / axis_top, 1)

    xs = [x_of(p["date"]) for p in points]
    done = [(x, y_of(p["done"])) for x, p in zip(xs, points, strict=True)]
    total = [(x, y_of(p["total"])) for x, p in zip(xs, points, strict=True)]

    middle = 0.33 * c.LABEL_SIZE
    placed = c.spread(
        [total[-1][1] + middle, done[-1][1] + middle],
        c.line_height(),
        top + middle,
        baseline + middle,
    )
    end_labels = [
        c.Label(end_texts[0], xs[-1] + 8, round(placed[0], 1), cls="line-label"),
        c.Label(
            end_texts[1], xs[-1] + 8, round(placed[1], 1), cls="line-label phase-text-standardize"
        ),
    ]
    y_ticks = [
        {
            "y": y_of(value),
            "label": c.Label(
                text, left - 6, y_of(value) + 0.33 * c.TICK_SIZE, c.TICK_SIZE, "end", "tick"
            ),
        }
        for value, text in zip(ticks, tick_texts, strict=True)
    ]
    x_ticks = _date_ticks(first, span, x_of, left, right, width)
    x_row = round(baseline + 10 + 0.92 * c.TICK_SIZE, 1)
    for label in x_ticks:
        label.y = x_row

    chart = {
        "key": key,
        "width": width,
        "height": round(x_row + 0.26 * c.TICK_SIZE + 4, 1),
        "top": top,
        "left": left,
        "right": round(right, 1),
        "baseline": baseline,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "done": c.points_attr(done),
        "total": c.points_attr(total),
        "done_last": done[-1],
        "total_last": total[-1],
        "end_labels": end_labels,
        "first": first,
        "last": last,
    }
    labels = [t["label"] for t in y_ticks] + x_ticks + end_labels
    if marks_deadline:
        chart["deadline_x"] = x_of(deadline)
        chart["deadline"] = deadline
        text = c.fit(_("deadline"), width, c.TICK_SIZE)
        mark = c.Label(text, chart["deadline_x"], top - 14, c.TICK_SIZE, "middle", "tick")
        mark.x = c.clamp(mark.x, mark.width / 2, width - mark.width / 2)
        chart["deadline_label"] = mark
        labels.append(mark)
    chart["labels"] = labels

    focus = []
    for i, x0, x1 in c.bands(xs, left, right + 4):
        p = points[i]
        values = [f"{done_label} {grouped(p['done'])}", f"{total_label} {grouped(p['total'])}"]
        focus.append(
            {
                "x0": x0,
                "width": round(x1 - x0, 1),
                "x": xs[i],
                "name": c.readout(p["date"], values),
                "dots": [("done-fill", done[i][1]), ("total-fill", total[i][1])],
                "box": c.readout_box(
                    xs[i], [c.axis_day(p["date"]), *values], top, width, ("done-fill", "total-fill")
                ),
            }
        )
    chart["focus"] = focus
    return chart


def _date_ticks(first, span, x_of, left, right, width):
    """A few days spread evenly from the first to the end, as many as fit."""
    sample = c.text_width(c.axis_day(first), c.TICK_SIZE)
    fit = int((right - left) // (sample + 20)) + 1
    count = max(2, min(fit, MOST_DATES, span + 1))
    offsets = sorted({round(i * span / (count - 1)) for i in range(count)})
    days = [first + dt.timedelta(days=d) for d in offsets]
    return c.x_tick_labels([x_of(d) for d in days], [c.axis_day(d) for d in days], 0, width)
