"""What the server-rendered SVG charts share: text boxes, nice axis ticks, labels that
keep apart, focus bands and the axis's day. No JavaScript, no CDN.

Each chart is drawn in a few widths (``VARIANTS``); a container query in app.css shows
the one drawn for the width the chart gets, never scaled up, so that its text renders
at about the size it was laid out with: a 340-unit chart on a 390 px phone is drawn
337 px wide (15-unit labels at ~15 px), a 520-unit one in a dashboard card at 1280 px
at its own size. The sizes below are the ones app.css gives ``.chart-v text``.

Text is measured by estimate (``text_width``), on the wide side (DejaVu Sans, the
widest common fallback): a label laid out here takes no more room than it is given.
"""

import math
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import pgettext

from .formatting import listing

LABEL_SIZE = 15  # line-end and bar labels, the readouts
TICK_SIZE = 14  # axis ticks
# variant → width in SVG units; shown from the container width in app.css
VARIANTS = {"s": 340, "m": 520, "l": 880}
# A focus band's least width (CSS px at the variant's own size): twelve weeks get one
# each on a phone; 52 get one every few weeks (the table under the chart has them all).
MIN_BAND = 12
# The most of a line chart's width its end labels may take.
END_LABELS = 0.42
ELLIPSIS = "…"

_NARROW = set(" ,.:;'!|()[]ijlft·")
_WIDE = set("mwMW@%")


def char_width(ch):
    """An estimate in em: CJK and full-width characters are square, the rest DejaVu's."""
    code = ord(ch)
    if code >= 0x2E80 or 0xFF00 <= code <= 0xFFEF:
        return 1.0
    if ch.isdigit():
        return 0.64
    if ch == " ":
        return 0.32
    if ch in _NARROW:
        return 0.4
    if ch in _WIDE:
        return 0.98
    if ch.isupper():
        return 0.76
    if ch.islower():
        return 0.62
    return 0.7


def text_width(text, size=LABEL_SIZE):
    return sum(char_width(ch) for ch in str(text)) * size


def fit(text, width, size=LABEL_SIZE):
    """The text, cut with an ellipsis where it is wider than ``width``: the whole text
    stays in the chart's accessible names and its table."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + ELLIPSIS, size) > width:
        text = text[:-1]
    return text + ELLIPSIS


def end_label_texts(pairs, width):
    """Each line's end label, its name and value, the names cut so that the labels take
    at most ``END_LABELS`` of the chart's width (values are never cut)."""
    room = END_LABELS * width
    return [fit(name, room - text_width(" " + value)) + " " + value for name, value in pairs]


def line_height(size=LABEL_SIZE):
    return size * 1.3


@dataclass
class Label:
    """One <text>: ``y`` is its baseline; ``anchor`` is SVG's text-anchor."""

    text: str
    x: float
    y: float
    size: int = LABEL_SIZE
    anchor: str = "start"
    cls: str = ""

    @property
    def width(self):
        return text_width(self.text, self.size)

    @property
    def box(self):
        """(left, top, right, bottom) as drawn, ascenders and descenders included."""
        left = self.x - {"start": 0, "middle": self.width / 2, "end": self.width}[self.anchor]
        return (left, self.y - 0.92 * self.size, left + self.width, self.y + 0.26 * self.size)


def clamp(x, low, high):
    """``x`` kept within [low, high], rounded to a tenth inside them."""
    low, high = math.ceil(low * 10) / 10, math.floor(high * 10) / 10
    return round(min(max(x, low), high), 1) if low <= high else round((low + high) / 2, 1)


def overlaps(a, b):
    """Whether two (left, top, right, bottom) boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def nice_step(raw, integer=True):
    """The smallest 1, 2 or 5 × 10ⁿ at least ``raw`` (at least 1 for counts)."""
    if raw <= 0:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step >= raw * (1 - 1e-9):
            break
    if integer:
        step = max(1, round(step))
    return step


def nice_ticks(top, most=5, integer=True):
    """Axis ticks from 0 to at least ``top`` in 1-2-5 steps, at most ``most`` of them.

    All zero still draws an axis (0 and 1): an empty chart reads as empty, not broken.
    """
    top = max(top, 0) or 1
    step = nice_step(top / max(most - 1, 1), integer)
    count = math.ceil(top / step - 1e-9)
    return [i * step for i in range(count + 1)]


def spread(wanted, gap, low, high):
    """Positions for labels wanted at ``wanted`` (in any order), at least ``gap`` apart,
    each kept within [low, high] and in the wanted order. Returned in the given order.

    Pushed down where they crowd, then back up from ``high``; when they cannot all fit,
    the caller gave too little room (the charts make theirs tall enough).
    """
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = {}
    previous = None
    for i in order:
        y = max(wanted[i], low)
        if previous is not None:
            y = max(y, previous + gap)
        placed[i] = previous = y
    following = None
    for i in reversed(order):
        y = min(placed[i], high)
        if following is not None:
            y = min(y, following - gap)
        placed[i] = following = y
    return [placed[i] for i in range(len(wanted))]


def axis_day(day):
    """A day as a chart's axis writes it: "Sep 15", 「9月15日」."""
    return date_format(
        day, pgettext("format of a day on a chart's axis (Django date format)", "M j")
    )


def readout(day, values):
    """What a chart says of one day, in one line: "Sep 15: Launch 12, Standardize 3"."""
    return pgettext("a chart's values on one day", "%(day)s: %(values)s") % {
        "day": axis_day(day),
        "values": listing(values),
    }


def x_tick_labels(positions, texts, left_edge, right_edge, gap=12):
    """Labels centred under every k-th position counted back from the last (always
    shown), k the smallest step at which none crowds its neighbour; each kept inside
    [left_edge, right_edge]."""
    n = len(positions)
    labels = []
    for step in range(1, n + 1):
        labels = []
        for i in range(n - 1, -1, -step):
            label = Label(texts[i], positions[i], 0, TICK_SIZE, "middle", "tick")
            half = label.width / 2
            label.x = clamp(label.x, left_edge + half, right_edge - half)
            labels.append(label)
        labels.reverse()
        if all(a.box[2] + gap <= b.box[0] for a, b in zip(labels, labels[1:], strict=False)):
            break
    return labels


def bands(xs, left, right, least=MIN_BAND):
    """Focus and touch areas along the x axis: [(index, x0, x1)], one per point kept,
    the last point always, others skipped where the bands would be narrower than
    ``least``. Each band reaches halfway to its neighbours."""
    chosen = []
    for i in range(len(xs) - 1, -1, -1):
        if not chosen or xs[chosen[-1]] - xs[i] >= least:
            chosen.append(i)
    chosen.reverse()
    result = []
    for n, i in enumerate(chosen):
        x0 = left if n == 0 else (xs[chosen[n - 1]] + xs[i]) / 2
        x1 = right if n == len(chosen) - 1 else (xs[i] + xs[chosen[n + 1]]) / 2
        result.append((i, round(x0, 1), round(x1, 1)))
    return result


def readout_box(x, lines, top, width, swatches=(), size=LABEL_SIZE, pad=8):
    """A box of text lines beside ``x`` (right of it when it fits, left otherwise),
    its top at ``top``: ``{"x", "y", "w", "h", "labels", "swatches"}``. The first line
    is the day; ``swatches`` are the classes of the colour dots before the others."""
    indent = 14 if swatches else 0
    lines = [
        fit(line, width - 2 * pad - (indent if n else 0), size) for n, line in enumerate(lines)
    ]
    w = max(text_width(line, size) + (indent if n else 0) for n, line in enumerate(lines)) + 2 * pad
    h = len(lines) * line_height(size) + pad
    bx = x + 10 if x + 10 + w <= width else max(x - 10 - w, 0)
    labels, dots = [], []
    for n, line in enumerate(lines):
        y = top + pad / 2 + (n + 0.8) * line_height(size)
        labels.append(Label(line, round(bx + pad + (indent if n else 0), 1), round(y, 1), size))
        if n and swatches:
            dots.append((swatches[n - 1], round(bx + pad + 4, 1), round(y - 0.33 * size, 1)))
    return {
        "x": round(bx, 1),
        "y": top,
        "w": round(w, 1),
        "h": round(h, 1),
        "labels": labels,
        "swatches": dots,
    }


def points_attr(coords):
    return " ".join(f"{x:g},{y:g}" for x, y in coords)
