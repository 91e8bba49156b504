"""The burn-up reads at a phone's width, a card's and a page's whatever the campaign: no
label meets another, the axis from zero in 1-2-5 steps, days in the translated format,
each day (or every few) reachable by focus."""

import datetime as dt
import random
import re

import pytest
from django.utils import timezone, translation

from opsmaturity.campaigns import charts
from opsmaturity.campaigns.models import CampaignProgress
from opsmaturity.lib import charts as lib
from opsmaturity.lib.formatting import grouped
from tests.campaigns.factories import start_campaign
from tests.chart_geometry import assert_focus_bands, assert_nice_axis, assert_texts_apart
from tests.operations.factories import OperationFactory

START = dt.date(2026, 9, 1)


def days(pairs, start=START):
    return [
        {"date": start + dt.timedelta(days=i), "done": done, "total": total}
        for i, (done, total) in enumerate(pairs)
    ]


rng = random.Random(3)
CASES = {
    "two days": (days([(0, 4), (1, 4)]), START + dt.timedelta(days=30)),
    "all zero": (days([(0, 0)] * 10), START + dt.timedelta(days=5)),
    "done meets the total": (days([(0, 5), (3, 5), (5, 5)]), START + dt.timedelta(days=2)),
    "one huge value": (days([(0, 10)] * 5 + [(3, 1_000_000_000)]), None),
    "a year": (
        days([(i // 10, 40 + rng.randint(0, 3)) for i in range(365)]),
        START + dt.timedelta(days=200),
    ),
    "deadline before the history": (days([(0, 4), (2, 4)]), START - dt.timedelta(days=3)),
    "deadline the first day": (days([(0, 4), (2, 4)]), START),
    "deadline far ahead": (days([(0, 4), (2, 4)]), START + dt.timedelta(days=3000)),
    "gaps in the record": (
        [
            {"date": START, "done": 0, "total": 8},
            {"date": START + dt.timedelta(days=40), "done": 6, "total": 8},
        ],
        START + dt.timedelta(days=41),
    ),
}


@pytest.fixture(params=["en", "ja"])
def language(request):
    with translation.override(request.param):
        yield request.param


@pytest.mark.parametrize("key", charts.CAMPAIGN_VARIANTS)
@pytest.mark.parametrize("case", CASES)
def test_the_burn_up_keeps_its_texts_apart_whatever_the_campaign(case, key, language):
    points, deadline = CASES[case]
    chart = charts.burn_up(points, deadline, key)
    assert chart["width"] == lib.VARIANTS[key]
    assert_texts_apart(chart)
    top_value = max(max(p["done"], p["total"]) for p in points)
    assert_nice_axis([t["label"].text for t in chart["y_ticks"]], top_value)
    assert_focus_bands(chart)
    assert chart["focus"][-1]["x"] == chart["done_last"][0]
    # today's figures end the lines, as the counts above the chart give them
    total_label, done_label = chart["end_labels"]
    assert total_label.text.endswith(" " + grouped(points[-1]["total"]))
    assert done_label.text.endswith(" " + grouped(points[-1]["done"]))
    assert ("deadline_label" in chart) == (deadline is not None and deadline >= points[0]["date"])
    assert len(chart["x_ticks"]) >= 2


def test_fewer_than_two_days_draw_nothing():
    assert charts.burn_up_variants(days([(0, 3)])) is None
    assert len(charts.burn_up_variants(days([(0, 3), (1, 3)]))) == 3


def test_a_long_translation_is_cut_not_spilled(monkeypatch):
    monkeypatch.setattr(charts, "_", lambda text: "完了したキャンペーン対象の業務の数" * 3)
    points, deadline = CASES["two days"]
    chart = charts.burn_up(points, deadline, "s")
    assert_texts_apart(chart)
    assert all(
        label.text.endswith("… 1") or label.text.endswith("… 4") for label in chart["end_labels"]
    )


@pytest.mark.django_db
def test_the_page_writes_the_axis_days_in_japanese(client, manager, team):
    OperationFactory(team=team)
    campaign = start_campaign(manager, [team])
    CampaignProgress.objects.filter(campaign=campaign).update(
        date=timezone.localdate() - dt.timedelta(days=14)
    )
    client.force_login(manager)
    html = client.get(campaign.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    translation.deactivate()
    ticks = re.findall(r'class="tick" text-anchor="middle">([^<]+)<', html)
    assert ticks and all(re.fullmatch(r"\d{1,2}月\d{1,2}日|期限", tick) for tick in ticks), ticks
    for key in charts.CAMPAIGN_VARIANTS:
        assert f'class="chart-v chart-v-{key}"' in html
    assert 'text-anchor="end">0</text>' in html
    assert 'tabindex="0" role="img" aria-label="' in html
