"""When will the work be done? One pure function, for campaigns and for the dashboard.

From a daily history of how many operations were done, the total, an optional
deadline and today, ``forecast`` measures the pace over the last 2, 4 and 8 weeks
(done per day, from the last point on or before each window's start) and projects
the remainder: the expected finish at the middle pace, a range from the slowest to
the fastest. Against the deadline it says:

- **on track**: even the slowest recent pace finishes by the deadline;
- **at risk**: the middle pace does, the slowest does not;
- **will miss**: not even the middle pace does (or the deadline has passed).

No progress in the whole window gives no date at all ("no progress in N weeks"),
and a finish further than the horizon (two years) is said to be beyond it rather
than given as an absurd date.
"""

import datetime as dt
import math
from dataclasses import dataclass

WINDOWS_WEEKS = (2, 4, 8)
HORIZON_DAYS = 730

DONE = "done"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
WILL_MISS = "will_miss"
NO_FORECAST = "no_forecast"  # no progress in the history: no date
NO_HISTORY = "no_history"  # started today: nothing to measure yet
PROJECTED = "projected"  # a date, and no deadline to hold it against


@dataclass(frozen=True)
class Forecast:
    status: str
    remaining: int
    finish: dt.date | None = None  # at the middle pace
    earliest: dt.date | None = None  # at the fastest pace
    latest: dt.date | None = None  # at the slowest pace; None: beyond the horizon
    beyond_horizon: bool = False  # the middle pace ends past the horizon
    pace_per_week: float = 0.0  # the middle pace
    quiet_weeks: int = 0  # weeks since the count last went up (NO_FORECAST)
    paces: tuple = ()  # (weeks, done per week) for each window measured

    @property
    def has_date(self):
        return self.finish is not None


def _value_on(history, day):
    """(date, done) of the last point on or before ``day``, or None."""
    found = None
    for point in history:
        if point[0] <= day:
            found = point
        else:
            break
    return found


def _finish(today, remaining, per_day, horizon):
    if per_day <= 0:
        return None
    days = math.ceil(remaining / per_day)
    if days > horizon:
        return None
    return today + dt.timedelta(days=days)


def forecast(history, total, today, deadline=None, *, horizon_days=HORIZON_DAYS, basis_weeks=None):
    """``history``: (date, done) pairs, any order, a day at most once; today's count
    may be among them (else the last point stands for today). The expected finish is
    at the middle of the measured paces, or at the pace of the last ``basis_weeks``
    when given (and measured)."""
    history = sorted((day, done) for day, done in history if day <= today)
    done_now = history[-1][1] if history else 0
    remaining = max(total - done_now, 0)
    if remaining == 0:
        return Forecast(DONE, 0)
    if not history or history[0][0] >= today:
        return Forecast(NO_HISTORY, remaining)

    paces = []
    for weeks in WINDOWS_WEEKS:
        start = today - dt.timedelta(weeks=weeks)
        base = _value_on(history, start) or history[0]
        span = (today - base[0]).days
        if span <= 0:
            continue
        per_day = (done_now - base[1]) / span
        if paces and paces[-1][2] == base[0]:
            continue  # no older history than the last window: the same measurement
        paces.append((weeks, max(per_day, 0.0), base[0]))
    rates = [per_day for _weeks, per_day, _start in paces]

    if not any(rate > 0 for rate in rates):
        last_rise = history[0][0]
        for (_d1, v1), (d2, v2) in zip(history, history[1:], strict=False):
            if v2 > v1:
                last_rise = d2
        return Forecast(
            NO_FORECAST,
            remaining,
            quiet_weeks=(today - last_rise).days // 7,
            paces=tuple((w, 0.0) for w, _r, _s in paces),
        )

    ordered = sorted(rates)
    middle = ordered[len(ordered) // 2]
    by_weeks = {weeks: per_day for weeks, per_day, _start in paces}
    if basis_weeks in by_weeks:
        middle = by_weeks[basis_weeks]
    finish = _finish(today, remaining, middle, horizon_days)
    earliest = _finish(today, remaining, ordered[-1], horizon_days)
    latest = _finish(today, remaining, ordered[0], horizon_days)

    if deadline is None:
        status = PROJECTED
    elif deadline < today or finish is None or finish > deadline:
        status = WILL_MISS
    elif latest is not None and latest <= deadline:
        status = ON_TRACK
    else:
        status = AT_RISK
    return Forecast(
        status,
        remaining,
        finish=finish,
        earliest=earliest,
        latest=latest,
        beyond_horizon=finish is None,
        pace_per_week=middle * 7,
        paces=tuple((w, r * 7) for w, r, _s in paces),
    )
