"""The forecast, with synthetic histories: none, steady, accelerating, stalled, done."""

import datetime as dt

from opsmaturity.campaigns import forecast as fc

TODAY = dt.date(2026, 12, 1)


def daily(values, end=TODAY):
    """A point a day, the last one today."""
    start = end - dt.timedelta(days=len(values) - 1)
    return [(start + dt.timedelta(days=i), v) for i, v in enumerate(values)]


def test_no_history_gives_no_date():
    result = fc.forecast([], total=10, today=TODAY, deadline=TODAY + dt.timedelta(days=30))
    assert result.status == fc.NO_HISTORY and not result.has_date and result.remaining == 10


def test_started_today_gives_no_date():
    result = fc.forecast([(TODAY, 0)], total=10, today=TODAY)
    assert result.status == fc.NO_HISTORY


def test_a_steady_pace_finishes_on_the_day_the_arithmetic_says():
    # one a week for eight weeks: 8 of 20 done, 12 left at 1/week → 84 days
    history = [(TODAY - dt.timedelta(weeks=8 - w), w) for w in range(9)]
    result = fc.forecast(history, total=20, today=TODAY, deadline=TODAY + dt.timedelta(days=100))
    assert result.finish == TODAY + dt.timedelta(days=84)
    assert result.earliest == result.latest == result.finish  # every window agrees
    assert result.status == fc.ON_TRACK
    assert round(result.pace_per_week, 3) == 1.0


def test_a_deadline_between_the_slow_and_the_middle_pace_is_at_risk():
    history = [(TODAY - dt.timedelta(weeks=8 - w), w) for w in range(9)]
    result = fc.forecast(history, total=20, today=TODAY, deadline=TODAY + dt.timedelta(days=84))
    assert result.status == fc.ON_TRACK
    result = fc.forecast(history, total=20, today=TODAY, deadline=TODAY + dt.timedelta(days=83))
    assert result.status == fc.WILL_MISS


def test_accelerating_gives_a_range_from_the_slower_to_the_faster_pace():
    # nothing for six weeks, then 4 done in the last two: 2/week recently, 0.5/week over 8
    history = [(TODAY - dt.timedelta(weeks=w), 0) for w in (8, 4, 2)]
    history += [(TODAY - dt.timedelta(weeks=1), 2), (TODAY, 4)]
    result = fc.forecast(history, total=12, today=TODAY, deadline=TODAY + dt.timedelta(days=60))
    paces = dict(result.paces)
    assert paces == {2: 2.0, 4: 1.0, 8: 0.5}
    assert result.earliest == TODAY + dt.timedelta(days=28)  # 8 left at 2/week
    assert result.finish == TODAY + dt.timedelta(days=56)  # at 1/week
    assert result.latest == TODAY + dt.timedelta(days=112)  # at 0.5/week
    assert result.status == fc.AT_RISK


def test_stalled_says_how_long_without_progress_instead_of_a_date():
    history = [(TODAY - dt.timedelta(weeks=12), 0), (TODAY - dt.timedelta(weeks=10), 3)]
    history += [(TODAY - dt.timedelta(weeks=w), 3) for w in (8, 4, 2, 0)]
    result = fc.forecast(history, total=10, today=TODAY, deadline=TODAY + dt.timedelta(days=9))
    assert result.status == fc.NO_FORECAST
    assert result.quiet_weeks == 10
    assert not result.has_date


def test_already_done():
    result = fc.forecast(daily([0, 1, 2]), total=2, today=TODAY)
    assert result.status == fc.DONE and result.remaining == 0


def test_an_absurd_date_is_clamped_to_the_horizon():
    # one in eight weeks, a thousand left: 8,000 weeks at that pace
    history = [(TODAY - dt.timedelta(weeks=8), 0), (TODAY, 1)]
    result = fc.forecast(history, total=1001, today=TODAY, deadline=TODAY + dt.timedelta(days=90))
    assert result.beyond_horizon and result.finish is None
    assert result.status == fc.WILL_MISS


def test_going_backwards_is_no_negative_pace():
    history = [(TODAY - dt.timedelta(weeks=4), 3), (TODAY, 1)]
    result = fc.forecast(history, total=5, today=TODAY)
    assert result.status == fc.NO_FORECAST


def test_a_short_history_measures_what_it_has_once():
    history = daily([0, 1, 2, 3, 4, 5, 6, 7])  # a week, one a day
    result = fc.forecast(history, total=14, today=TODAY)
    assert result.paces == ((2, 7.0),)
    assert result.finish == TODAY + dt.timedelta(days=7)
    assert result.status == fc.PROJECTED


def test_a_passed_deadline_will_miss():
    history = daily([0, 1, 2, 3])
    result = fc.forecast(history, total=10, today=TODAY, deadline=TODAY - dt.timedelta(days=1))
    assert result.status == fc.WILL_MISS


def test_points_after_today_are_ignored():
    history = [(TODAY - dt.timedelta(weeks=2), 0), (TODAY, 2), (TODAY + dt.timedelta(days=3), 9)]
    result = fc.forecast(history, total=4, today=TODAY)
    assert result.remaining == 2


def test_the_finish_can_be_at_the_pace_of_one_window():
    history = [(TODAY - dt.timedelta(weeks=w), 0) for w in (8, 4, 2)]
    history += [(TODAY - dt.timedelta(weeks=1), 2), (TODAY, 4)]
    result = fc.forecast(history, total=12, today=TODAY, basis_weeks=8)
    assert result.finish == TODAY + dt.timedelta(days=112)  # 8 left at 0.5/week
    assert result.earliest == TODAY + dt.timedelta(days=28)
    assert round(result.pace_per_week, 2) == 0.5
