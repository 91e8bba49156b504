"""The maturity jobs as Celery tasks, as management commands, on the beat schedule,
and through a real broker to a real worker process."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.db import InterfaceError, OperationalError, connection

from opsmaturity.celery import app
from opsmaturity.maturity import scan, tasks
from opsmaturity.maturity.models import Flag, FlagKind, ScanRun, ScanStatus, Snapshot
from opsmaturity.maturity.rules import reason_of
from opsmaturity.operations.phases import Phase
from tests.maturity.workers import celery_worker
from tests.operations.factories import OperationFactory
from tests.teams.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


# --- the tasks -------------------------------------------------------------------


@pytest.mark.django_db
def test_scan_task_returns_a_small_json_summary():
    op = OperationFactory.days_in_phase(70)
    summary = tasks.scan_operations.apply().get()
    assert summary["opened"] == 1 and summary["resolved"] == 0
    assert summary["by_kind"]["stalled"]["opened"] == 1
    assert summary["operations"] == 1 and summary["partial"] is False
    assert Flag.objects.open().get().operation == op
    again = tasks.scan_operations.apply(kwargs={"operation_ids": [op.pk]}).get()
    assert again["partial"] is True and again["opened"] == 0


@pytest.mark.django_db
def test_snapshot_task_returns_a_small_json_summary():
    OperationFactory(monthly_cost=12)
    summary = tasks.take_snapshot.apply().get()
    assert summary["rows"] == 1 and summary["operations"] == 1
    assert summary["monthly_cost"] == "12.00"
    assert Snapshot.objects.count() == 1


def test_tasks_are_reliable():
    for task in (tasks.scan_operations, tasks.take_snapshot):
        assert task.acks_late is True
        assert set(task.autoretry_for) == {OperationalError, InterfaceError}
        assert task.retry_backoff and task.max_retries
        assert 0 < task.soft_time_limit < task.time_limit
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True


@pytest.mark.django_db
def test_a_lost_database_connection_is_retried(monkeypatch):
    OperationFactory.days_in_phase(70)
    real_run_scan, calls = scan.run_scan, []

    def flaky(operation_ids=None):
        calls.append(operation_ids)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_run_scan(operation_ids=operation_ids)

    monkeypatch.setattr(scan, "run_scan", flaky)
    summary = tasks.scan_operations.apply().get()
    assert len(calls) == 2
    assert summary["opened"] == 1


@pytest.mark.django_db
def test_other_errors_are_not_retried(monkeypatch):
    def broken(operation_ids=None):
        raise ValueError("a bug")

    monkeypatch.setattr(scan, "run_scan", broken)
    result = tasks.scan_operations.apply()
    assert result.failed() and isinstance(result.result, ValueError)


# --- the beat schedule -----------------------------------------------------------


def test_beat_schedule_runs_the_scan_hourly_and_the_snapshot_daily():
    app.loader.import_default_modules()  # what worker and beat do at start
    schedule = settings.CELERY_BEAT_SCHEDULE
    by_task = {entry["task"]: entry for entry in schedule.values()}
    assert set(by_task) >= {
        "opsmaturity.maturity.scan_operations",
        "opsmaturity.maturity.take_snapshot",
    }
    for name in by_task:
        assert name in app.tasks, name
    scan_entry = by_task["opsmaturity.maturity.scan_operations"]["schedule"]
    snapshot_entry = by_task["opsmaturity.maturity.take_snapshot"]["schedule"]
    assert isinstance(scan_entry, crontab) and isinstance(snapshot_entry, crontab)
    assert scan_entry.minute == {7} and len(scan_entry.hour) == 24
    assert snapshot_entry.minute == {15} and snapshot_entry.hour == {0}


def test_beat_times_come_from_the_environment():
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    code = (
        "from opsmaturity import settings as s; b = s.CELERY_BEAT_SCHEDULE; "
        "print(sorted(b['maturity-scan']['schedule'].minute), "
        "sorted(b['maturity-snapshot']['schedule'].hour))"
    )
    env = {
        **clean,
        "SECRET_KEY": "tasks-test-only-secret-key-never-used-in-production",
        "OPS_SCAN_CRON": "*/20 * * * *",
    }
    env["OPS_SNAPSHOT_CRON"] = "30 23 * * *"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[0, 20, 40] [23]"
    env["OPS_SCAN_CRON"] = "hourly"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "OPS_SCAN_CRON must be a cron expression" in result.stderr


# --- the management commands -----------------------------------------------------


@pytest.mark.django_db
def test_scan_ops_prints_what_it_opened_and_resolved_per_kind():
    stalled = OperationFactory.days_in_phase(70, name="Refund approvals")
    OperationFactory(phase=Phase.AUTOMATE, performers=[UserFactory()], runbook_url="")
    out = StringIO()
    call_command("scan_ops", stdout=out)
    text = out.getvalue()
    assert "2 opened, 0 resolved, 0 brought up to date" in text
    assert "Stalled in launch" in text and "Person-dependent" in text
    run = ScanRun.objects.get()
    assert run.status == ScanStatus.SUCCEEDED and run.opened == 2

    stalled.phase = Phase.RETIRE
    stalled.save()
    out = StringIO()
    call_command("scan_ops", "-v", "2", stdout=out)
    assert "0 opened, 1 resolved" in out.getvalue()
    assert (
        f"Resolved: [stalled] #{stalled.pk} Refund approvals: in launch for 70 days"
        in out.getvalue()
    )


@pytest.mark.django_db
def test_scan_ops_for_some_operations():
    a, b = OperationFactory.days_in_phase(70), OperationFactory.days_in_phase(70)
    call_command("scan_ops", "--operation", str(a.pk), stdout=StringIO())
    assert set(Flag.objects.values_list("operation_id", flat=True)) == {a.pk}
    assert ScanRun.objects.get().partial
    assert b.flags.count() == 0


@pytest.mark.django_db
def test_snapshot_ops_takes_today_and_backfills():
    OperationFactory()
    out = StringIO()
    call_command("snapshot_ops", stdout=out)
    assert "1 rows, 1 operations" in out.getvalue()
    out = StringIO()
    call_command("snapshot_ops", "--backfill-weeks", "2", stdout=out)
    assert "3 days recorded." in out.getvalue()
    assert Snapshot.objects.count() == 1  # the factory wrote no history: only today


# --- through the broker to a real worker -----------------------------------------


def worker_database_url():
    """Where a separate process finds the database this test is using."""
    current = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{current['NAME']}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{current['NAME']}"))


@pytest.fixture
def scan_worker(transactional_db):
    """A celery worker process on a private queue, reading this test's database."""
    with celery_worker(DATABASE_URL=worker_database_url()) as queue:
        yield queue


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_scans_what_is_sent_through_the_broker(scan_worker):
    stalled = OperationFactory.days_in_phase(73, name="Refund approvals")
    unjustified = OperationFactory(monthly_value=120000, monthly_cost=340000)
    result = tasks.scan_operations.apply_async(queue=scan_worker)
    summary = result.get(timeout=30)
    assert summary["opened"] == 2
    assert summary["by_kind"]["stalled"]["opened"] == 1
    assert summary["by_kind"]["unjustified"]["opened"] == 1
    assert {flag.operation_id: reason_of(flag) for flag in Flag.objects.open()} == {
        stalled.pk: "in launch for 73 days, 13 past the 60-day limit",
        unjustified.pk: "value 120,000 < cost 340,000",
    }
    run = ScanRun.objects.get(pk=summary["run"])
    assert run.status == ScanStatus.SUCCEEDED and run.finished_at is not None

    # "Check now" for one operation goes the same way.
    again = tasks.scan_operations.apply_async(
        kwargs={"operation_ids": [stalled.pk]}, queue=scan_worker
    ).get(timeout=30)
    assert again["partial"] is True and again["operations"] == 1 and again["opened"] == 0
    assert Flag.objects.filter(kind=FlagKind.STALLED).count() == 1
