"""What every chart's layout must hold whatever the data: its texts inside the drawing
and apart from each other, its y axis from zero in 1-2-5 steps (tests for the dashboard
and the campaigns use these)."""

import itertools
import math

from opsmaturity.lib.charts import overlaps


def assert_texts_apart(chart):
    """No two always-visible texts of the chart meet, and each is inside the drawing."""
    labels = chart["labels"]
    for label in labels:
        left, top, right, bottom = label.box
        assert left >= 0 and right <= chart["width"], (label, chart["width"])
        assert top >= 0 and bottom <= chart["height"], (label, chart["height"])
    for a, b in itertools.combinations(labels, 2):
        assert not overlaps(a.box, b.box), (a, b)


def assert_nice_axis(ticks, top_value):
    """Ticks from 0 to at least the largest value, evenly, in a 1, 2 or 5 × 10ⁿ step."""
    values = [int(t.replace(",", "")) for t in ticks]
    assert values[0] == 0 and values[-1] >= top_value
    assert 2 <= len(values) <= 5, values
    step = values[1] - values[0]
    assert all(b - a == step for a, b in itertools.pairwise(values)), values
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert mantissa in (1, 2, 5), step
    # not a needlessly tall axis: the step below would not have reached the top in 5
    assert values[-1] - step < max(top_value, 1)


def assert_focus_bands(chart):
    """Bands side by side, left to right, each showing a point inside it; its readout
    inside the drawing."""
    bands = chart["focus"]
    assert bands
    for a, b in itertools.pairwise(bands):
        assert a["x0"] + a["width"] <= b["x0"] + 0.11
    for band in bands:
        assert band["x0"] <= band["x"] <= band["x0"] + band["width"] + 0.11
        box = band["box"]
        assert box["x"] >= 0 and box["x"] + box["w"] <= chart["width"] + 0.11
        assert box["y"] + box["h"] <= chart["baseline"]
        assert band["name"]
