"""The maturity scan killed half-way, run twice at once, and raced by an edit's rescan."""

import datetime as dt
import threading

import pytest
from django.db import connections
from django.db.models import Count
from django.utils import timezone

from opsmaturity.maturity import rules, scan
from opsmaturity.maturity.models import Flag, FlagKind, ScanRun, ScanStatus
from opsmaturity.maturity.scan import run_scan
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from tests.conftest import requires_postgres
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


# --- crashes and races -----------------------------------------------------------


def test_a_run_killed_half_way_changes_nothing_and_the_next_run_does_the_job(monkeypatch):
    ops = some_operations_for_every_rule()
    stale = Flag.objects.create(operation=ops[-1], kind=FlagKind.STALLED)
    real_open = scan._insert_flags_sql  # how every path opens flags
    calls = []

    def open_then_die(rule, *args, **kwargs):
        calls.append(rule.kind)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real_open(rule, *args, **kwargs)

    monkeypatch.setattr(scan, "_insert_flags_sql", open_then_die)
    with pytest.raises(RuntimeError, match="worker killed"):
        run_scan()
    assert calls == [FlagKind.STALLED, FlagKind.DUE_SOON, FlagKind.UNJUSTIFIED]
    # The two flags opened and the one resolved before the crash were rolled back.
    assert list(Flag.objects.values_list("pk", "resolved_at")) == [(stale.pk, None)]
    crashed = ScanRun.objects.get()
    assert crashed.finished_at is None and crashed.status == ScanStatus.FAILED
    assert "worker killed" in crashed.error

    monkeypatch.setattr(scan, "_insert_flags_sql", real_open)
    result = run_scan()
    assert result.opened == 4 and result.resolved == 1
    assert Flag.objects.open().count() == 4
    stale.refresh_from_db()
    assert stale.resolved_at is not None
    assert ScanRun.objects.filter(status=ScanStatus.SUCCEEDED).count() == 1


def run_in_threads(*targets):
    """Run each callable in its own thread and database connection, all at once."""
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def call(i, target):
        try:
            barrier.wait(timeout=10)
            results[i] = target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_make_no_duplicates_and_no_errors():
    owner, people = UserFactory(), UserFactory.create_batch(2)
    ops = bulk_operations(600, TeamFactory(), owner, people)
    # Some open flags that must be resolved, so that both runs have writing to do.
    Flag.objects.bulk_create(Flag(operation=op, kind=FlagKind.PERSON_DEPENDENT) for op in ops[5::6])
    first, second, partial = run_in_threads(
        run_scan, run_scan, lambda: run_scan(operation_ids=[op.pk for op in ops[:50]])
    )
    duplicates = (
        Flag.objects.open().values("operation", "kind").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert not duplicates.exists()
    expected = {
        (op.pk, f.kind)
        for op in rules.with_performer_count(Operation.objects.all())
        for f in rules.findings(op)
    }
    assert set(Flag.objects.open().values_list("operation_id", "kind")) == expected
    assert first.opened + second.opened + partial.opened == len(expected)
    assert first.resolved + second.resolved + partial.resolved == len(ops[5::6])
    assert ScanRun.objects.filter(status=ScanStatus.SUCCEEDED).count() == 3


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_scan_waits_for_the_one_running():
    OperationFactory.days_in_phase(70)
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [scan.SCAN_LOCK_KEY])
        done = threading.Event()

        def scan_then_signal():
            try:
                run_scan()
            finally:
                done.set()
                connections.close_all()

        thread = threading.Thread(target=scan_then_signal)
        thread.start()
        assert not done.wait(0.7), "the scan should wait while another holds the lock"
        assert Flag.objects.count() == 0
        with holder.cursor() as cursor:
            cursor.execute("COMMIT")
        assert done.wait(10)
        thread.join()
    finally:
        holder.close()
    assert Flag.objects.open().count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_flag_resolved_meanwhile_keeps_the_moment_it_was_resolved():
    """The scan finds a flag to resolve while another transaction resolves it first:
    the scan waits for that row, sees it resolved, and leaves it as it is."""
    op = OperationFactory(phase=Phase.STANDARDIZE, runbook_url="https://runbook", performers=[])
    op.performers.set(UserFactory.create_batch(2))
    stale = Flag.objects.create(operation=op, kind=FlagKind.STALLED)
    earlier = timezone.now() - dt.timedelta(minutes=5)
    holder = connections.create_connection("default")
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "UPDATE maturity_flag SET resolved_at = %s WHERE id = %s", [earlier, stale.pk]
            )
        done = threading.Event()

        def scan_then_signal():
            try:
                run_scan()
            finally:
                done.set()
                connections.close_all()

        thread = threading.Thread(target=scan_then_signal)
        thread.start()
        assert not done.wait(0.7), "the scan should wait for the row the other one holds"
        with holder.cursor() as cursor:
            cursor.execute("COMMIT")
        assert done.wait(10)
        thread.join()
    finally:
        holder.close()
    stale.refresh_from_db()
    assert stale.resolved_at == earlier
