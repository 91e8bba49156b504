"""The maturity scan: right flags at every boundary, set-based, idempotent, crash- and race-safe."""

import datetime as dt
import random
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from opsmaturity.maturity import rules, scan
from opsmaturity.maturity.models import Flag, FlagKind, ScanRun, ScanStatus
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.operations.services import move_phase
from tests.maturity.factories import bulk_operations, some_operations_for_every_rule
from tests.operations.factories import OperationFactory
from tests.teams.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def open_kinds(op):
    return set(Flag.objects.open().filter(operation=op).values_list("kind", flat=True))


def open_flag(op, kind):
    return Flag.objects.open().get(operation=op, kind=kind)


def flag_state():
    """Everything about every flag, to compare the database between runs."""
    return sorted(
        (*row[:4], sorted(row[4].items()))
        for row in Flag.objects.values_list(
            "operation_id", "kind", "opened_at", "resolved_at", "facts"
        )
    )


def check_finding(flag):
    op = rules.with_performer_count(Operation.objects.filter(pk=flag.operation_id)).get()
    return rules.RULES_BY_KIND[flag.kind].check(op)


def check_reason(flag):
    finding = check_finding(flag)
    return finding.reason if finding else None


def stored_reason(flag):
    """The reason worded from the facts the scan stored, as every page words it."""
    assert flag.facts, "the scan stores the facts of every flag it opens"
    return rules.RULES_BY_KIND[flag.kind].describe(flag.facts, timezone.localdate())


# --- each rule at its boundary ----------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (44, set()),
        (45, {FlagKind.DUE_SOON}),
        (60, {FlagKind.DUE_SOON}),
        (61, {FlagKind.STALLED}),
    ],
)
def test_launch_boundaries_open_the_right_flag(days, expected):
    op = OperationFactory.days_in_phase(days)
    run_scan()
    assert open_kinds(op) == expected
    for flag in Flag.objects.filter(operation=op):
        assert stored_reason(flag) == check_reason(flag)


def test_due_soon_turns_into_stalled_the_day_after_the_limit():
    op = OperationFactory.days_in_phase(60)
    run_scan()
    due = open_flag(op, FlagKind.DUE_SOON)
    assert stored_reason(due) == "in launch for 60 days: standardize within 0 days"
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        result = run_scan()
        assert stored_reason(open_flag(op, FlagKind.STALLED)) == (
            "in launch for 61 days, 1 past the 60-day limit"
        )
    due.refresh_from_db()
    assert due.resolved_at == ScanRun.objects.get(pk=result.run_id).as_of
    assert open_kinds(op) == {FlagKind.STALLED}
    assert result.by_kind["due_soon"]["resolved"] == 1
    assert result.by_kind["stalled"]["opened"] == 1


def test_standardizing_resolves_stalled():
    op = OperationFactory.days_in_phase(73)
    run_scan()
    assert stored_reason(open_flag(op, FlagKind.STALLED)) == (
        "in launch for 73 days, 13 past the 60-day limit"
    )
    alice, bob = UserFactory.create_batch(2)
    op.performers.set([alice, bob])
    # the move re-applies the rules to this operation at once
    move_phase(op, Phase.STANDARDIZE, by=alice, note="runbook written")
    assert open_kinds(op) == set()
    flag = Flag.objects.get(operation=op)
    assert flag.resolved_at is not None
    assert run_scan().resolved == 0


@pytest.mark.parametrize(
    ("value", "cost", "expected"),
    [("120000", "340000", True), ("500", "500", False), ("500.01", "500", False)],
)
def test_value_against_cost(value, cost, expected):
    op = OperationFactory(monthly_value=Decimal(value), monthly_cost=Decimal(cost))
    run_scan()
    assert (FlagKind.UNJUSTIFIED in open_kinds(op)) is expected
    if expected:
        assert stored_reason(open_flag(op, FlagKind.UNJUSTIFIED)) == "value 120,000 < cost 340,000"


@pytest.mark.parametrize(("days", "expected"), [(180, False), (181, True)])
def test_purpose_review_boundary(days, expected):
    op = OperationFactory(purpose_reviewed_at=timezone.now() - dt.timedelta(days=days))
    run_scan()
    assert (FlagKind.UNJUSTIFIED in open_kinds(op)) is expected
    if expected:
        assert (
            stored_reason(open_flag(op, FlagKind.UNJUSTIFIED))
            == "purpose last reviewed 181 days ago"
        )


def test_purpose_review_resolves_unjustified():
    op = OperationFactory(
        created_at=timezone.now() - dt.timedelta(days=200),
        monthly_value=Decimal("100"),
        monthly_cost=Decimal("2500.75"),
    )
    run_scan()
    assert stored_reason(open_flag(op, FlagKind.UNJUSTIFIED)) == (
        "value 100 < cost 2,500; purpose never reviewed in 200 days"
    )
    Operation.objects.filter(pk=op.pk).update(
        purpose_reviewed_at=timezone.now(), monthly_value=Decimal("3000")
    )
    result = run_scan()
    assert open_kinds(op) == set()
    assert result.by_kind["unjustified"] == {"opened": 0, "resolved": 1, "refreshed": 0}


def test_empty_purpose_is_unjustified():
    op = OperationFactory()
    Operation.objects.filter(pk=op.pk).update(purpose="")
    run_scan()
    assert stored_reason(open_flag(op, FlagKind.UNJUSTIFIED)) == "no purpose written"


@pytest.mark.parametrize(
    ("performers", "runbook", "reason"),
    [
        (0, "", "0 performers, no runbook"),
        (1, "", "1 performer, no runbook"),
        (1, "https://wiki.example.com/x", "1 performer"),
        (2, "", "no runbook"),
        (3, "", "no runbook"),
        (2, "https://wiki.example.com/x", None),
    ],
)
def test_person_dependent_boundary(performers, runbook, reason):
    op = OperationFactory(
        phase=Phase.AUTOMATE,
        runbook_url=runbook,
        performers=UserFactory.create_batch(performers),
    )
    run_scan()
    if reason is None:
        assert open_kinds(op) == set()
    else:
        assert stored_reason(open_flag(op, FlagKind.PERSON_DEPENDENT)) == reason


def test_second_performer_and_runbook_resolve_person_dependent():
    alice, bob = UserFactory.create_batch(2)
    op = OperationFactory(phase=Phase.STANDARDIZE, performers=[alice], runbook_url="")
    run_scan()
    assert stored_reason(open_flag(op, FlagKind.PERSON_DEPENDENT)) == "1 performer, no runbook"
    op.performers.add(bob)
    # as after an edit in the app: the rescan of the operation rewords its flags
    result = run_scan(operation_ids=[op.pk])
    assert stored_reason(open_flag(op, FlagKind.PERSON_DEPENDENT)) == "no runbook"
    assert result.by_kind["person_dependent"] == {"opened": 0, "resolved": 0, "refreshed": 1}
    Operation.objects.filter(pk=op.pk).update(runbook_url="https://wiki.example.com/r")
    run_scan()
    assert open_kinds(op) == set()


def test_retired_operation_has_every_flag_resolved():
    op = OperationFactory.days_in_phase(90, monthly_value=0, monthly_cost=100)
    run_scan()
    assert open_kinds(op) == {FlagKind.STALLED, FlagKind.UNJUSTIFIED}
    # Retired behind the service's back: the scan resolves what is left.
    Operation.objects.filter(pk=op.pk).update(phase=Phase.RETIRE)
    run_scan()
    assert open_kinds(op) == set()


def test_min_performers_from_settings(settings):
    settings.OPS_MIN_PERFORMERS = 3
    op = OperationFactory(phase=Phase.STANDARDIZE, performers=UserFactory.create_batch(2))
    run_scan()
    assert stored_reason(open_flag(op, FlagKind.PERSON_DEPENDENT)) == "2 performers"


def test_stall_thresholds_from_settings(settings):
    settings.OPS_STALL_DAYS = 30
    settings.OPS_STALL_WARN_DAYS = 20
    stalled, due = OperationFactory.days_in_phase(31), OperationFactory.days_in_phase(29)
    run_scan()
    assert stored_reason(open_flag(stalled, FlagKind.STALLED)) == (
        "in launch for 31 days, 1 past the 30-day limit"
    )
    assert stored_reason(open_flag(due, FlagKind.DUE_SOON)) == (
        "in launch for 29 days: standardize within 1 day"
    )


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles"])
def test_days_are_counted_in_the_installation_time_zone(settings, tz):
    """Entered at 23:30 local time: counting in UTC would be a day off either way."""
    settings.TIME_ZONE = tz
    with timezone.override(tz):
        entered_day = dt.date(2026, 3, 1)
        op = OperationFactory(
            phase_entered_at=timezone.make_aware(dt.datetime.combine(entered_day, dt.time(23, 30)))
        )
        day_60 = timezone.make_aware(
            dt.datetime.combine(entered_day + dt.timedelta(days=60), dt.time(0, 15))
        )
        with time_machine.travel(day_60, tick=False):
            run_scan()
            assert open_kinds(op) == {FlagKind.DUE_SOON}
            assert stored_reason(open_flag(op, FlagKind.DUE_SOON)).startswith(
                "in launch for 60 days"
            )
        with time_machine.travel(day_60 + dt.timedelta(days=1), tick=False):
            run_scan()
            assert open_kinds(op) == {FlagKind.STALLED}
            assert stored_reason(open_flag(op, FlagKind.STALLED)).startswith(
                "in launch for 61 days"
            )


# --- the stored reason is the rule's own reason -------------------------------------


@pytest.mark.parametrize(("tz", "language"), [("UTC", "en"), ("Asia/Tokyo", "ja")])
def test_stored_facts_are_the_predicates_facts(settings, tz, language):
    """Random operations around every boundary: the facts the SQL stores say what the
    rule's own facts_of() says, and the reason worded from them is check(op).reason."""
    settings.TIME_ZONE = tz
    rng = random.Random(20261125)
    people = UserFactory.create_batch(3)
    owners = [UserFactory(), UserFactory(), UserFactory(is_active=False)]  # one has left
    with timezone.override(tz), translation.override(language):
        now = timezone.now()
        for i in range(150):
            OperationFactory(
                name=f"op {i}",
                phase=rng.choice(Phase.values),
                phase_entered_at=now
                - dt.timedelta(
                    days=rng.choice([44, 45, 59, 60, 61, 400]), hours=rng.randint(-23, 23)
                ),
                created_at=now
                - dt.timedelta(days=rng.choice([10, 180, 181, 999]), hours=rng.randint(-23, 23)),
                purpose_reviewed_at=rng.choice(
                    [None, now - dt.timedelta(days=rng.choice([179, 181, 700]))]
                ),
                purpose=rng.choice(["Keeps refunds on time.", ""]),
                monthly_cost=Decimal(rng.choice(["0", "999.99", "1234567.89", "99999999999.99"])),
                monthly_value=Decimal(rng.choice(["0", "1000", "1234567.5"])),
                runbook_url=rng.choice(["", "https://wiki.example.com/x"]),
                performers=rng.sample(people, rng.randint(0, 3)),
                owner=rng.choice(owners),
            )
        run_scan()
        flags = list(Flag.objects.open())
        assert {flag.kind for flag in flags} == set(FlagKind.values)
        for flag in flags:
            finding = check_finding(flag)
            assert stored_reason(flag) == finding.reason, (flag.kind, flag.operation_id)
            rule = rules.RULES_BY_KIND[flag.kind]
            on = timezone.localdate()
            assert rule.details(flag.facts, on) == finding.details
            assert rule.condition(flag.facts, on)
        ops = rules.with_performer_count(Operation.objects.all())
        expected = {(op.pk, f.kind) for op in ops for f in rules.findings(op)}
        assert {(flag.operation_id, flag.kind) for flag in flags} == expected


def test_the_reason_counts_the_days_as_they_go_by_without_rewriting_the_flag():
    op = OperationFactory.days_in_phase(70)
    run_scan()
    flag = open_flag(op, FlagKind.STALLED)
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        result = run_scan()
        assert result.refreshed == 0 and result.opened == 0
        later = open_flag(op, FlagKind.STALLED)
        assert later.pk == flag.pk and later.facts == flag.facts
        assert stored_reason(later) == "in launch for 73 days, 13 past the 60-day limit"


def test_a_flag_opened_elsewhere_is_kept_and_given_its_facts():
    op = OperationFactory.days_in_phase(80)
    existing = Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    result = run_scan()
    assert result.by_kind["stalled"] == {"opened": 0, "resolved": 0, "refreshed": 1}
    assert list(Flag.objects.filter(operation=op).values_list("pk", flat=True)) == [existing.pk]
    assert stored_reason(open_flag(op, FlagKind.STALLED)) == (
        "in launch for 80 days, 20 past the 60-day limit"
    )


# --- idempotent, recorded, set-based ---------------------------------------------


def test_three_runs_leave_the_flags_of_one():
    some_operations_for_every_rule()
    first = run_scan()
    after_one = flag_state()
    second, third = run_scan(), run_scan()
    assert flag_state() == after_one
    assert first.opened == 4
    for later in (second, third):
        assert (later.opened, later.resolved, later.refreshed) == (0, 0, 0)
    assert Flag.objects.count() == 4


def test_each_run_is_recorded():
    ops = some_operations_for_every_rule()
    before = timezone.now()
    result = run_scan()
    run = ScanRun.objects.get(pk=result.run_id)
    assert run.status == ScanStatus.SUCCEEDED
    assert before <= run.started_at <= run.as_of <= run.finished_at
    assert (run.opened, run.resolved, run.operation_count, run.partial) == (4, 0, len(ops), False)
    assert run.by_kind == result.by_kind
    opened, resolved = scan.flags_changed_by(run)
    assert opened.count() == 4 and resolved.count() == 0


def test_scan_limited_to_some_operations():
    stalled_a, stalled_b = OperationFactory.days_in_phase(70), OperationFactory.days_in_phase(80)
    other = OperationFactory.days_in_phase(90)
    Flag.objects.create(operation=other, kind=FlagKind.PERSON_DEPENDENT)
    result = run_scan(operation_ids=[stalled_a.pk, stalled_b.pk])
    assert result.partial and result.operation_count == 2 and result.opened == 2
    assert open_kinds(stalled_a) == open_kinds(stalled_b) == {FlagKind.STALLED}
    # Neither opened nor resolved outside the scope.
    assert open_kinds(other) == {FlagKind.PERSON_DEPENDENT}
    assert run_scan(operation_ids=[]).operation_count == 0
    assert open_kinds(other) == {FlagKind.PERSON_DEPENDENT}


def scan_queries():
    with CaptureQueriesContext(connection) as ctx:
        result = run_scan()
    return len(ctx.captured_queries), result


def test_query_count_does_not_grow_with_operations():
    owner, people = UserFactory(), UserFactory.create_batch(2)
    bulk_operations(10, TeamFactory(), owner, people)
    small, small_result = scan_queries()
    bulk_operations(1000, TeamFactory(), owner, people)
    ScanRun.objects.all().delete()  # both measured as the first run of a day
    large, large_result = scan_queries()
    assert large_result.opened > 500 and large_result.operation_count == 1010
    assert small == large, (small, large)
    assert large <= 22  # PostgreSQL adds its lock, JIT switch and ANALYZE
    # The later runs of the day only open and resolve: fewer queries, and as many.
    quiet, quiet_result = scan_queries()
    assert quiet < large and quiet_result.opened == quiet_result.resolved == 0
    bulk_operations(1000, TeamFactory(), owner, people)
    later, _ = scan_queries()
    assert later == quiet


def test_the_first_full_run_of_a_day_brings_facts_changed_outside_the_app_in_line():
    op = OperationFactory(monthly_value=Decimal("100"), monthly_cost=Decimal("500"))
    run_scan()
    # Changed behind the app's back, so no rescan followed.
    Operation.objects.filter(pk=op.pk).update(monthly_cost=Decimal("900"))
    assert run_scan().refreshed == 0  # later the same day: facts left alone
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert run_scan().refreshed == 1
        assert stored_reason(open_flag(op, FlagKind.UNJUSTIFIED)) == "value 100 < cost 900"


def test_records_of_old_runs_are_forgotten_once_a_day_flags_stay(settings):
    settings.OPS_SCAN_HISTORY_DAYS = 30
    op = OperationFactory.days_in_phase(70)
    first = run_scan()
    run_scan()  # the same day: nothing forgotten
    assert ScanRun.objects.count() == 2
    with time_machine.travel(timezone.now() + dt.timedelta(days=30, hours=1)):
        latest = run_scan()
    assert list(ScanRun.objects.values_list("pk", flat=True)) == [latest.run_id]
    assert first.run_id != latest.run_id
    assert open_flag(op, FlagKind.STALLED).opened_at == first.as_of


def test_the_scan_never_saves_row_by_row(django_assert_max_num_queries):
    bulk_operations(300, TeamFactory(), UserFactory(), UserFactory.create_batch(2))
    with django_assert_max_num_queries(22):
        result = run_scan()
    assert result.opened > 200
    inserts = Flag.objects.values("opened_at").distinct().count()
    assert inserts == 1  # every flag stamped with the run's one moment
