"""The dashboard's funnel and trend are laid out so that they read at a phone's width and
a card's whatever the data: no label meets another, axes from zero in 1-2-5 steps, each
week reachable by focus, the numbers those of the data."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from opsmaturity.dashboard import charts
from opsmaturity.lib import charts as lib
from opsmaturity.lib.formatting import grouped
from opsmaturity.maturity.models import Snapshot
from opsmaturity.operations.phases import ORDER, Phase
from tests.chart_geometry import assert_focus_bands, assert_nice_axis, assert_texts_apart
from tests.operations.factories import OperationFactory

LONG_NAMES = {
    Phase.LAUNCH: "新規サービス立ち上げ直後の手作業による暫定運用フェーズ",
    Phase.COST_OPTIMIZE: "コスト適正化と継続的な改善の検討段階",
}


def weeks(counts_per_week, start=dt.date(2026, 1, 5)):
    return [
        {
            "date": start + dt.timedelta(weeks=i),
            "counts": dict(zip(ORDER, counts, strict=True)),
            "costs": dict.fromkeys(ORDER, Decimal(0)),
        }
        for i, counts in enumerate(counts_per_week)
    ]


rng = random.Random(7)
CASES = {
    "all zero": weeks([[0] * 5] * 13),
    "one point": weeks([[3, 1, 0, 2, 0]]),
    "two points": weeks([[3, 1, 0, 2, 0], [2, 2, 0, 2, 0]]),
    "all equal": weeks([[4] * 5] * 8),
    "one huge value": weeks([[0, 1, 2, 3, 4]] * 12 + [[1_000_000_000, 1, 2, 3, 4]]),
    "52 weeks": weeks([[rng.randint(0, 40) for _ in ORDER] for _ in range(52)]),
    "the lines end together": weeks([[1, 50, 3, 2, 0], [5, 5, 5, 5, 5]]),
}


def stages_of(counts, costs=None):
    costs = costs or [Decimal(1_250_000)] * 5
    return [
        {"phase": phase, "count": count, "cost": cost}
        for phase, count, cost in zip(ORDER, counts, costs, strict=True)
    ]


FUNNELS = {
    "all zero": stages_of([0] * 5),
    "one huge value": stages_of(
        [1_000_000_000, 1, 0, 3, 4], [Decimal("987654321012.50")] + [Decimal(0)] * 4
    ),
    "ordinary": stages_of([9, 12, 11, 4, 4]),
}


@pytest.fixture(params=["en", "ja"])
def language(request):
    with translation.override(request.param):
        yield request.param


@pytest.fixture(params=[False, True], ids=["names", "long names"])
def names(request, monkeypatch):
    if request.param:
        for phase, name in LONG_NAMES.items():
            monkeypatch.setattr(phase, "_label_", name)


@pytest.mark.parametrize("key", charts.DASHBOARD_VARIANTS)
@pytest.mark.parametrize("case", CASES)
def test_the_trend_keeps_its_texts_apart_whatever_the_data(case, key, language, names):
    points = CASES[case]
    chart = charts.trend_lines(points, key)
    assert chart["width"] == lib.VARIANTS[key]
    assert_texts_apart(chart)
    top_value = max(max(p["counts"].values()) for p in points)
    assert_nice_axis([t["label"].text for t in chart["y_ticks"]], top_value)
    assert_focus_bands(chart)
    # every x label a day of the data, the last one today's, left to right
    days = [lib.axis_day(p["date"]) for p in points]
    assert [t.text for t in chart["x_ticks"]][-1] == days[-1]
    assert all(t.text in days for t in chart["x_ticks"])
    # the line-end labels: the live counts, unchanged, in the lines' order top to bottom
    for line in chart["lines"]:
        assert line["last_value"] == points[-1]["counts"][line["phase"]]
        assert line["label"].text.endswith(" " + grouped(line["last_value"]))
    by_height = sorted(chart["lines"], key=lambda line: line["last"][1])
    label_heights = [line["label"].y for line in by_height]
    assert label_heights == sorted(label_heights)


def test_every_week_has_a_focus_band_on_a_phone_for_twelve_weeks():
    chart = charts.trend_lines(weeks([[1, 2, 3, 4, 5]] * 13), "s")
    assert len(chart["focus"]) == 13
    assert chart["focus"][-1]["name"].startswith(lib.axis_day(dt.date(2026, 3, 30)))
    # 52 weeks on a phone: fewer, wider bands, today's among them
    dense = charts.trend_lines(CASES["52 weeks"], "s")
    assert 10 <= len(dense["focus"]) < 52
    assert all(band["width"] >= lib.MIN_BAND - 0.2 for band in dense["focus"][1:-1])
    assert dense["focus"][-1]["x"] == dense["lines"][0]["last"][0]


@pytest.mark.parametrize("key", charts.DASHBOARD_VARIANTS)
@pytest.mark.parametrize("case", FUNNELS)
def test_the_funnel_keeps_its_labels_apart_and_on_their_bars(case, key, language, names):
    stages = FUNNELS[case]
    chart = charts.funnel_bars(stages, key)
    assert_texts_apart(chart)
    previous_bottom = 0
    for bar, stage in zip(chart["bars"], stages, strict=True):
        assert 0 <= bar["x"] and bar["x"] + bar["width"] <= chart["width"]
        assert bar["width"] >= 2  # an empty phase still shows where it would be
        assert bar["top"] >= previous_bottom
        assert all(label.box[3] <= bar["y"] for label in bar["labels"])
        previous_bottom = bar["y"] + chart["bar_height"]
        # the link's name holds the whole label, whatever had to be cut to fit
        assert bar["name"].startswith(str(stage["phase"].label))
        assert grouped(stage["count"]) in bar["name"]
    assert previous_bottom <= chart["height"]


def test_a_funnel_bar_is_as_wide_as_its_share_of_the_largest():
    chart = charts.funnel_bars(stages_of([10, 5, 0, 1, 10]), "m")
    widths = [bar["width"] for bar in chart["bars"]]
    assert widths == [520, 260, 2, 52, 520]
    assert chart["bars"][1]["x"] == 130


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (4, [0, 1, 2, 3, 4]),
        (7, [0, 2, 4, 6, 8]),
        (13, [0, 5, 10, 15]),
        (40, [0, 10, 20, 30, 40]),
        (41, [0, 20, 40, 60]),
        (1_000_000_000, [0, 500_000_000, 1_000_000_000]),
    ],
)
def test_axes_take_a_few_nice_steps_from_zero(top, ticks):
    assert lib.nice_ticks(top) == ticks


def test_crowded_labels_spread_within_their_bounds_in_order():
    assert lib.spread([50, 50, 50], 20, 0, 100) == [50, 70, 90]
    assert lib.spread([100, 100, 100], 20, 0, 100) == [60, 80, 100]
    assert lib.spread([30, 10, 95], 20, 0, 100) == [30, 10, 95]
    assert lib.spread([0, 0], 20, 5, 100) == [5, 25]


def test_japanese_is_measured_wider_than_latin():
    assert lib.text_width("均一化", 10) == 30
    assert lib.text_width("abc", 10) < 30


@pytest.mark.django_db
def test_the_page_draws_both_widths_with_a_zero_and_the_translated_days(client, manager, team):
    for n in (2, 1):
        Snapshot.objects.create(
            date=timezone.localdate() - dt.timedelta(weeks=n),
            team=team,
            phase=Phase.LAUNCH,
            count=7,
        )
    OperationFactory(team=team)
    client.force_login(manager)
    html = client.get(reverse("dashboard:index"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    for key in charts.DASHBOARD_VARIANTS:
        assert f'class="chart-v chart-v-{key}"' in html
    assert html.count('text-anchor="end">0</text>') == 2  # each trend's zero
    today = timezone.localdate()
    assert f">{today.month}月{today.day}日</text>" in html
    assert 'tabindex="0" role="img" aria-label="' in html
