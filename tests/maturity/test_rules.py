"""The rules of the method: boundaries, time zones, and filter == predicate."""

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from opsmaturity.maturity import rules
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db


def flagged(rule, op):
    """(in the queryset?, does the predicate hold?) for one operation."""
    in_set = rule.filter(Operation.objects.filter(pk=op.pk)).exists()
    return in_set, rule.holds(Operation.objects.get(pk=op.pk))


@pytest.mark.parametrize(
    ("days", "stalled", "due_soon"),
    [
        (44, False, False),
        (45, False, True),
        (59, False, True),
        (60, False, True),
        (61, True, False),
        (120, True, False),
    ],
)
def test_launch_boundaries(days, stalled, due_soon):
    op = OperationFactory.days_in_phase(days)
    assert flagged(rules.STALLED, op) == (stalled, stalled)
    assert flagged(rules.DUE_SOON, op) == (due_soon, due_soon)


def test_stalled_reason_says_days_and_overdue():
    op = OperationFactory.days_in_phase(73)
    finding = rules.STALLED.check(op)
    assert finding.reason == "in launch for 73 days, 13 past the 60-day limit"
    assert finding.details == {"days": 73, "overdue": 13}


def test_due_soon_says_days_left():
    assert rules.DUE_SOON.check(OperationFactory.days_in_phase(59)).reason == (
        "in launch for 59 days: standardize within 1 day"
    )


def test_only_launch_can_stall():
    op = OperationFactory.days_in_phase(200, phase=Phase.STANDARDIZE)
    assert flagged(rules.STALLED, op) == (False, False)


def test_thresholds_come_from_settings(settings):
    settings.OPS_STALL_DAYS = 30
    settings.OPS_STALL_WARN_DAYS = 20
    op = OperationFactory.days_in_phase(31)
    assert flagged(rules.STALLED, op) == (True, True)


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles"])
def test_days_are_local_calendar_days(settings, tz):
    """Entered at 23:30 local time on day D: on D+60 it is 60 days, on D+61 stalled.

    In UTC that moment is on another calendar day, so counting in UTC would be off by one.
    """
    settings.TIME_ZONE = tz
    with timezone.override(tz):
        entered_day = dt.date(2026, 3, 1)
        entered = timezone.make_aware(dt.datetime.combine(entered_day, dt.time(23, 30)))
        op = OperationFactory(phase_entered_at=entered)
        day_60 = timezone.make_aware(
            dt.datetime.combine(entered_day + dt.timedelta(days=60), dt.time(0, 15))
        )
        with time_machine.travel(day_60, tick=False):
            assert flagged(rules.STALLED, op) == (False, False)
            assert flagged(rules.DUE_SOON, op) == (True, True)
        with time_machine.travel(day_60 + dt.timedelta(days=1), tick=False):
            assert flagged(rules.STALLED, op) == (True, True)
            assert rules.STALLED.check(op).details["days"] == 61


@pytest.mark.parametrize(("days", "expected"), [(179, False), (180, False), (181, True)])
def test_purpose_review_boundaries(days, expected):
    reviewed = timezone.now() - dt.timedelta(days=days)
    op = OperationFactory(purpose_reviewed_at=reviewed)
    assert flagged(rules.UNJUSTIFIED, op) == (expected, expected)


def test_never_reviewed_purpose_counts_from_creation():
    old = OperationFactory(created_at=timezone.now() - dt.timedelta(days=200))
    new = OperationFactory(created_at=timezone.now() - dt.timedelta(days=10))
    assert flagged(rules.UNJUSTIFIED, old) == (True, True)
    assert "purpose never reviewed in 200 days" in rules.UNJUSTIFIED.check(old).reason
    assert flagged(rules.UNJUSTIFIED, new) == (False, False)


def test_value_below_cost_is_unjustified_with_amounts():
    op = OperationFactory(monthly_value=Decimal("120000"), monthly_cost=Decimal("340000"))
    assert flagged(rules.UNJUSTIFIED, op) == (True, True)
    assert rules.UNJUSTIFIED.check(op).reason == "value 120,000 < cost 340,000"


def test_value_equal_to_cost_is_justified():
    op = OperationFactory(monthly_value=Decimal("500"), monthly_cost=Decimal("500"))
    assert flagged(rules.UNJUSTIFIED, op) == (False, False)


def test_empty_purpose_is_unjustified():
    op = OperationFactory()
    Operation.objects.filter(pk=op.pk).update(purpose="")  # e.g. an old import
    assert flagged(rules.UNJUSTIFIED, op) == (True, True)
    assert "no purpose written" in rules.UNJUSTIFIED.check(Operation.objects.get(pk=op.pk)).reason


def test_white_space_purpose_is_saved_as_empty():
    op = OperationFactory(purpose=" \u3000\n ")
    op.refresh_from_db()
    assert op.purpose == ""
    assert flagged(rules.UNJUSTIFIED, op) == (True, True)


def test_retired_operations_raise_nothing():
    op = OperationFactory.days_in_phase(
        400, phase=Phase.RETIRE, monthly_value=0, monthly_cost=9999, runbook_url=""
    )
    assert rules.findings(op) == []
    for rule in rules.ALL_RULES:
        assert flagged(rule, op) == (False, False)


@pytest.mark.parametrize("phase", [Phase.STANDARDIZE, Phase.AUTOMATE, Phase.COST_OPTIMIZE])
def test_person_dependent_past_launch(phase):
    alice, bob = UserFactory(), UserFactory()
    one = OperationFactory(phase=phase, performers=[alice])
    two = OperationFactory(phase=phase, performers=[alice, bob])
    no_runbook = OperationFactory(phase=phase, performers=[alice, bob], runbook_url="")
    assert flagged(rules.PERSON_DEPENDENT, one) == (True, True)
    assert rules.PERSON_DEPENDENT.check(one).reason == "1 performer"
    assert flagged(rules.PERSON_DEPENDENT, two) == (False, False)
    assert flagged(rules.PERSON_DEPENDENT, no_runbook) == (True, True)
    assert rules.PERSON_DEPENDENT.check(no_runbook).reason == "no runbook"


def test_launch_is_never_person_dependent():
    op = OperationFactory(phase=Phase.LAUNCH, runbook_url="")
    assert flagged(rules.PERSON_DEPENDENT, op) == (False, False)


def test_person_dependent_reason_combines():
    op = OperationFactory(phase=Phase.AUTOMATE, runbook_url="")
    assert rules.PERSON_DEPENDENT.check(op).reason == "0 performers, no runbook"


def test_min_performers_from_settings(settings):
    settings.OPS_MIN_PERFORMERS = 3
    users = UserFactory.create_batch(2)
    op = OperationFactory(phase=Phase.STANDARDIZE, performers=users)
    assert flagged(rules.PERSON_DEPENDENT, op) == (True, True)


def test_performer_count_does_not_duplicate_rows():
    users = UserFactory.create_batch(3)
    OperationFactory(phase=Phase.STANDARDIZE, performers=users, runbook_url="")
    assert rules.PERSON_DEPENDENT.filter().count() == 1


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo"])
def test_every_rule_filter_agrees_with_its_predicate(settings, tz):
    """Random operations around every boundary: the set and the predicate never differ."""
    settings.TIME_ZONE = tz
    rng = random.Random(20261125)
    people = UserFactory.create_batch(3)
    owners = [UserFactory(), UserFactory(), UserFactory(is_active=False)]  # one has left
    with timezone.override(tz):
        now = timezone.now()
        for i in range(120):
            op = OperationFactory(
                phase=rng.choice(Phase.values),
                phase_entered_at=now
                - dt.timedelta(
                    days=rng.choice([44, 45, 59, 60, 61, 62]), hours=rng.randint(-23, 23)
                ),
                created_at=now
                - dt.timedelta(
                    days=rng.choice([10, 179, 180, 181, 300]), hours=rng.randint(-23, 23)
                ),
                purpose_reviewed_at=rng.choice(
                    [
                        None,
                        now
                        - dt.timedelta(
                            days=rng.choice([179, 180, 181]), hours=rng.randint(-23, 23)
                        ),
                    ]
                ),
                purpose=rng.choice(["Keeps refunds on time.", "", "  "]),
                monthly_cost=Decimal(rng.choice([0, 100, 500])),
                monthly_value=Decimal(rng.choice([0, 100, 500])),
                runbook_url=rng.choice(["", "https://wiki.example.com/x"]),
                performers=rng.sample(people, rng.randint(0, 3)),
                name=f"op {i}",
                owner=rng.choice(owners),
            )
            assert op.pk
        ops = list(rules.with_performer_count(Operation.objects.all()))
        for rule in rules.ALL_RULES:
            in_set = set(rule.filter().values_list("pk", flat=True))
            by_predicate = {op.pk for op in ops if rule.holds(op)}
            assert in_set == by_predicate, rule.kind
            assert in_set, f"the sample should hit {rule.kind} at least once"
