"""A full scan and a check of one operation find the same flags, with the same facts.

The full scan counts the performers of every operation in one grouped pass
(``rules.with_performer_count(grouped=True)``); a page, a check of one
operation and the morning's refresh of open flags count them one operation at
a time, in SQL or from loaded performers. Every way must give the same number:
performers who left never count, nobody is counted twice, and no operation
borrows another's performers.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag, FlagKind, ScanRun
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db

RUNBOOK = "https://wiki.example.com/runbook"

# name: (phase, runbook, performers: "here" is still here, "left" has been deactivated)
PERFORMER_CASES = {
    "no performer, no runbook": (Phase.AUTOMATE, "", ()),
    "no performer": (Phase.STANDARDIZE, RUNBOOK, ()),
    "one": (Phase.STANDARDIZE, RUNBOOK, ("here",)),
    "one who left": (Phase.COST_OPTIMIZE, RUNBOOK, ("left",)),
    "two": (Phase.AUTOMATE, RUNBOOK, ("here", "here")),
    "two, one of whom left": (Phase.AUTOMATE, RUNBOOK, ("here", "left")),
    "two who left": (Phase.STANDARDIZE, RUNBOOK, ("left", "left")),
    "three, one of whom left": (Phase.COST_OPTIMIZE, RUNBOOK, ("here", "here", "left")),
    "three, no runbook": (Phase.STANDARDIZE, "", ("here", "here", "here")),
    "four": (Phase.AUTOMATE, RUNBOOK, ("here", "here", "here", "here")),
    "in launch, nobody": (Phase.LAUNCH, "", ()),
    "retired, nobody": (Phase.RETIRE, "", ()),
    "retired, one who left": (Phase.RETIRE, RUNBOOK, ("left",)),
}


def performer_cases():
    """One operation per case; the people are shared, so that a count that mixed up
    operations would show. The owner of one is among its own performers."""
    here = UserFactory.create_batch(4)
    left = UserFactory.create_batch(2, is_active=False)
    ops = {}
    for name, (phase, runbook, performers) in PERFORMER_CASES.items():
        pools = {"here": iter(here), "left": iter(left)}
        people = [next(pools[who]) for who in performers]
        ops[name] = OperationFactory(
            name=name, phase=phase, runbook_url=runbook, performers=people, owner=here[0]
        )
    return ops


def random_operations(rng, count=20):
    """Operations around every rule's boundary, as in test_rules."""
    people = [UserFactory(), UserFactory(), UserFactory(is_active=False)]
    owners = [UserFactory(), UserFactory(is_active=False)]
    now = timezone.now()
    for i in range(count):
        OperationFactory(
            name=f"random {i}",
            phase=rng.choice(Phase.values),
            phase_entered_at=now - dt.timedelta(days=rng.choice([10, 45, 60, 61, 400])),
            created_at=now - dt.timedelta(days=rng.choice([10, 181, 999])),
            purpose_reviewed_at=rng.choice([None, now - dt.timedelta(days=rng.choice([5, 181]))]),
            purpose=rng.choice(["Keeps refunds on time.", ""]),
            monthly_cost=Decimal(rng.choice(["0", "1000"])),
            monthly_value=Decimal(rng.choice(["0", "5000"])),
            runbook_url=rng.choice(["", RUNBOOK]),
            performers=rng.sample(people, rng.randint(0, 3)),
            owner=rng.choice(owners),
        )


def open_flags():
    """{(operation id, kind): facts} of the open flags."""
    return {
        (operation_id, kind): facts
        for operation_id, kind, facts in Flag.objects.open().values_list(
            "operation_id", "kind", "facts"
        )
    }


def worded(flags):
    """{(operation id, kind): (reason, details)}, as pages word the stored facts (SQLite
    stores a boolean as 0 or 1 and an amount without its decimals: the words agree)."""
    on = timezone.localdate()
    return {
        key: (
            rules.RULES_BY_KIND[key[1]].describe(facts, on),
            rules.RULES_BY_KIND[key[1]].details(facts, on),
        )
        for key, facts in flags.items()
    }


def checked_one_by_one(operations):
    """{(operation id, kind): (reason, details)} of each rule's check of each operation."""
    return {(op.pk, f.kind): (f.reason, f.details) for op in operations for f in rules.findings(op)}


def scanned_one_by_one():
    """Every operation scanned alone, as after an edit of each, from no flags at all."""
    Flag.objects.all().delete()
    for pk in Operation.objects.order_by("pk").values_list("pk", flat=True):
        run_scan(operation_ids=[pk], record=False)
    return open_flags()


def scanned_from_scratch():
    Flag.objects.all().delete()
    ScanRun.objects.all().delete()
    run_scan()
    return open_flags()


@pytest.mark.parametrize("min_performers", [1, 2, 3])
def test_full_scan_and_one_operation_at_a_time_find_the_same_flags(settings, min_performers):
    settings.OPS_MIN_PERFORMERS = min_performers
    ops = performer_cases()
    random_operations(random.Random(20261202 + min_performers))
    run_scan()
    full = open_flags()
    assert full == scanned_one_by_one()
    counted = rules.with_performer_count(Operation.objects.all())
    prefetched = Operation.objects.prefetch_related("performers")
    loaded = Operation.objects.select_related("owner__profile")  # counts with a query each
    for operations in (counted, prefetched, loaded):
        assert checked_one_by_one(operations) == worded(full)
    dependent = {pk for pk, kind in full if kind == FlagKind.PERSON_DEPENDENT}
    expected = {
        name
        for name, (phase, runbook, performers) in PERFORMER_CASES.items()
        if phase in rules.PERSON_DEPENDENT.phases
        and (not runbook or performers.count("here") < min_performers)
    }
    assert {name for name, op in ops.items() if op.pk in dependent} == expected
    for name in expected:
        facts = full[(ops[name].pk, FlagKind.PERSON_DEPENDENT)]
        assert facts["performers"] == PERFORMER_CASES[name][2].count("here"), name


def test_grouped_and_per_operation_counts_agree():
    performer_cases()
    random_operations(random.Random(7))
    grouped = rules.with_performer_count(Operation.objects.all(), grouped=True)
    per_operation = rules.with_performer_count(Operation.objects.all())
    by_python = {
        op.pk: sum(1 for person in op.performers.all() if person.is_active)
        for op in Operation.objects.prefetch_related("performers")
    }
    assert dict(grouped.values_list("pk", "performer_count")) == by_python
    assert dict(per_operation.values_list("pk", "performer_count")) == by_python
    assert grouped.count() == Operation.objects.count()  # no row repeated by the join
    for rule in rules.ALL_RULES:
        many = set(rule.filter(many=True).values_list("pk", flat=True))
        assert many == set(rule.filter().values_list("pk", flat=True)), rule.kind


def change_performers_behind_the_apps_back(ops):
    """One person who performs several operations leaves; others join two operations."""
    leaving = ops["two"].performers.order_by("pk").last()
    get_user_model().objects.filter(pk=leaving.pk).update(is_active=False)
    ops["one who left"].performers.add(*UserFactory.create_batch(2))
    ops["no performer"].performers.add(UserFactory())


@pytest.mark.parametrize("how", ["each operation rescanned", "first full run of the next day"])
def test_facts_brought_up_to_date_are_what_a_scan_from_nothing_stores(how):
    ops = performer_cases()
    run_scan()
    before = open_flags()
    change_performers_behind_the_apps_back(ops)
    if how == "each operation rescanned":
        for op in ops.values():
            run_scan(operation_ids=[op.pk], record=False)  # as after an edit
    else:
        ScanRun.objects.all().delete()  # the next full run is the first of its day
        result = run_scan()
        assert result.refreshed and result.opened and result.resolved
    after = open_flags()
    assert after != before
    assert after == scanned_from_scratch()
    dependent = {
        name: after[(op.pk, FlagKind.PERSON_DEPENDENT)]["performers"]
        for name, op in ops.items()
        if (op.pk, FlagKind.PERSON_DEPENDENT) in after
    }
    assert dependent["two"] == 1  # one of the two left
    assert dependent["no performer"] == 1
    assert "one who left" not in dependent  # two joined
