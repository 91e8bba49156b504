"""Sending the digests: due times in each user's zone, claims, at most once per week,
crashes and refused addresses, the command, the task, and queries per recipient."""

import datetime as dt
import smtplib
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.db import InterfaceError, OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opsmaturity.dashboard.figures import refresh as refresh_figures
from opsmaturity.digests import sending, tasks
from opsmaturity.digests.models import (
    DeliveryStatus,
    DigestDelivery,
    DigestSubscription,
    Mode,
    last_slot,
    next_slot,
)
from opsmaturity.maturity.models import Flag, FlagKind, Snapshot
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SUNDAY = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONDAY = MONDAY_9.date()


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "https://ops.example.com"
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def clock():
    with time_machine.travel(SUNDAY, tick=False) as traveller:
        yield traveller


def user_with_news(team=None, **kwargs):
    """A user who owns one operation with an open flag: their digest is worth sending."""
    user = UserFactory(**kwargs)
    op = OperationFactory(owner=user, team=team or TeamFactory(), phase=Phase.STANDARDIZE)
    Flag.objects.create(
        operation=op, kind=FlagKind.PERSON_DEPENDENT, facts={"performers": 0, "runbook": True}
    )
    return user


def recipients(outbox):
    return sorted(address for m in outbox for address in m.to)


# --- the schedule -------------------------------------------------------------------


def test_next_and_last_slot_are_monday_nine_local():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert next_slot(SUNDAY, tokyo) == dt.datetime(2026, 3, 2, 9, 0, tzinfo=tokyo)
    assert next_slot(dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tokyo) == dt.datetime(
        2026, 3, 9, 9, 0, tzinfo=tokyo
    )
    assert last_slot(dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC), tokyo).date() == MONDAY
    # across the change to summer time, still 09:00 on the wall clock
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    after = next_slot(dt.datetime(2026, 3, 23, 9, 0, tzinfo=paris), paris)
    assert after == dt.datetime(2026, 3, 30, 9, 0, tzinfo=paris)
    assert after.utcoffset() == dt.timedelta(hours=2)


def test_first_run_creates_subscriptions_due_next_monday(clock, mailoutbox):
    user = user_with_news()
    UserFactory(email="")  # no address: no subscription, no mail
    result = sending.dispatch()
    assert result.created == 1 and mailoutbox == []
    sub = DigestSubscription.objects.get()
    assert sub.user == user and sub.next_digest_at == MONDAY_9


def test_each_user_gets_theirs_at_monday_nine_in_their_time_zone(clock, mailoutbox):
    tokyo = user_with_news(username="tokyo")
    here = user_with_news(username="here")
    sending.dispatch()  # creates both subscriptions for the installation's zone
    DigestSubscription.objects.filter(user=tokyo).update(time_zone="Asia/Tokyo")
    sub = DigestSubscription.objects.get(user=tokyo)
    sub.reschedule()
    sub.save()
    assert sub.next_digest_at == dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC)

    clock.move_to(dt.datetime(2026, 3, 1, 23, 59, tzinfo=UTC))  # 08:59 in Tokyo
    sending.dispatch()
    assert mailoutbox == []
    clock.move_to(dt.datetime(2026, 3, 2, 0, 0, tzinfo=UTC))  # 09:00 in Tokyo
    sending.dispatch()
    assert recipients(mailoutbox) == [tokyo.email]
    assert DigestDelivery.objects.get(user=tokyo).period == MONDAY
    clock.move_to(dt.datetime(2026, 3, 2, 8, 59, tzinfo=UTC))
    sending.dispatch()
    assert len(mailoutbox) == 1
    clock.move_to(MONDAY_9)
    sending.dispatch()
    assert recipients(mailoutbox) == sorted([tokyo.email, here.email])
    # both are due again next Monday, 09:00 local
    nexts = dict(DigestSubscription.objects.values_list("user__username", "next_digest_at"))
    assert nexts == {
        "tokyo": dt.datetime(2026, 3, 9, 0, 0, tzinfo=UTC),
        "here": dt.datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
    }


def make_due(*users, mode=Mode.WHEN_NEEDED):
    for user in users:
        DigestSubscription.objects.update_or_create(
            user=user, defaults={"mode": mode, "next_digest_at": timezone.now()}
        )


@pytest.fixture
def monday(clock):
    clock.move_to(MONDAY_9 + dt.timedelta(minutes=1))
    return clock


# --- at most once ------------------------------------------------------------------


def test_a_second_run_sends_nothing(monday, mailoutbox):
    users = [user_with_news() for _ in range(3)]
    make_due(*users)
    first = sending.dispatch()
    assert first.count("sent") == 3 and len(mailoutbox) == 3
    second = sending.dispatch()
    assert second.outcomes == [] and len(mailoutbox) == 3
    # even forced by hand for the same week, and even if the time were due again
    DigestSubscription.objects.update(next_digest_at=timezone.now())
    again = sending.dispatch()
    assert again.count("already") == 3 and len(mailoutbox) == 3
    assert DigestDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 3


def test_the_next_week_is_a_new_digest(monday, mailoutbox):
    user = user_with_news()
    make_due(user)
    sending.dispatch()
    monday.move_to(MONDAY_9 + dt.timedelta(days=7, minutes=5))
    sending.dispatch()
    assert len(mailoutbox) == 2
    periods = sorted(DigestDelivery.objects.values_list("period", flat=True))
    assert periods == [MONDAY, MONDAY + dt.timedelta(days=7)]


def test_a_stale_claim_changes_nothing(monday):
    user = user_with_news()
    make_due(user)
    seen_by_a = DigestSubscription.objects.get(user=user)
    seen_by_b = DigestSubscription.objects.get(user=user)
    delivery, status = sending.claim(seen_by_a, timezone.now())
    assert status == "claimed" and delivery.status == DeliveryStatus.PENDING
    assert sending.claim(seen_by_b, timezone.now()) == (None, "taken")
    assert DigestDelivery.objects.count() == 1


class InterleavingBackend(EmailBackend):
    """While the first dispatcher sends its first message, a second one runs in full."""

    nested = False

    def send_messages(self, messages):
        if not InterleavingBackend.nested:
            InterleavingBackend.nested = True
            sending.dispatch()
        return super().send_messages(messages)


def test_two_dispatchers_at_once_never_send_twice(monday, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.digests.test_sending.InterleavingBackend"
    InterleavingBackend.nested = False
    users = [user_with_news() for _ in range(5)]
    make_due(*users)
    first = sending.dispatch()
    assert recipients(mailoutbox) == sorted(u.email for u in users)
    # the first dispatcher found the other four already claimed by the second
    assert first.count("sent") == 1 and first.count("taken") == 4
    assert DigestDelivery.objects.count() == 5


class Killed(BaseException):
    """The worker dies: nothing catches this."""


class DyingBackend(EmailBackend):
    sends_before_death = 2

    def send_messages(self, messages):
        if DyingBackend.sends_before_death == 0:
            DyingBackend.sends_before_death = -1
            raise Killed
        DyingBackend.sends_before_death -= 1
        return super().send_messages(messages)


def test_a_run_killed_half_way_is_finished_by_the_next_exactly_once(monday, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.digests.test_sending.DyingBackend"
    DyingBackend.sends_before_death = 2
    users = [user_with_news() for _ in range(5)]
    make_due(*users)
    with pytest.raises(Killed):
        sending.dispatch()
    assert len(mailoutbox) == 2
    # the next run sends the two never claimed; the one that was in flight waits for its lease
    sending.dispatch()
    assert len(mailoutbox) == 4
    in_flight = DigestDelivery.objects.get(status=DeliveryStatus.PENDING)
    monday.shift(sending.LEASE + dt.timedelta(seconds=1))
    sending.dispatch()
    sending.dispatch()
    assert recipients(mailoutbox) == sorted(u.email for u in users)
    in_flight.refresh_from_db()
    assert in_flight.status == DeliveryStatus.SENT and in_flight.attempts == 2


class RefusingBackend(EmailBackend):
    refused = {"bad@example.com"}

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & self.refused:
                raise smtplib.SMTPRecipientsRefused(
                    {message.to[0]: (550, b"5.1.1 mailbox unavailable")}
                )
        return super().send_messages(messages)


def test_a_refused_address_does_not_stop_the_others_and_is_retried(monday, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.digests.test_sending.RefusingBackend"
    RefusingBackend.refused = {"bad@example.com"}
    first, bad, last = (
        user_with_news(username="first"),
        user_with_news(username="bad", email="bad@example.com"),
        user_with_news(username="last"),
    )
    make_due(first, bad, last)
    result = sending.dispatch()
    assert recipients(mailoutbox) == sorted([first.email, last.email])
    assert result.count("retry") == 1
    delivery = DigestDelivery.objects.get(user=bad)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "SMTPRecipientsRefused" in delivery.last_error
    assert delivery.next_attempt_at == timezone.now() + dt.timedelta(minutes=5)

    sending.dispatch()  # too early for the retry
    assert len(mailoutbox) == 2
    monday.shift(dt.timedelta(minutes=5))
    sending.dispatch()  # refused again: the wait doubles
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == timezone.now() + dt.timedelta(minutes=10)

    RefusingBackend.refused = set()
    monday.shift(dt.timedelta(minutes=10))
    sending.dispatch()
    assert recipients(mailoutbox) == sorted([first.email, bad.email, last.email])
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.last_error == ""


def test_an_address_refused_every_time_is_given_up(monday, mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.digests.test_sending.RefusingBackend"
    settings.OPS_DIGEST_MAX_ATTEMPTS = 3
    RefusingBackend.refused = {"bad@example.com"}
    make_due(user_with_news(email="bad@example.com"))
    for _ in range(5):
        sending.dispatch()
        monday.shift(dt.timedelta(hours=1))
    delivery = DigestDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    assert mailoutbox == []


def test_unsubscribed_and_nothing_to_report_get_nothing(monday, mailoutbox):
    quiet, gone, always = UserFactory(), user_with_news(), UserFactory()
    make_due(quiet)
    make_due(always, mode=Mode.ALWAYS)
    DigestSubscription.objects.create(user=gone, mode=Mode.NEVER, next_digest_at=None)
    result = sending.dispatch()
    assert recipients(mailoutbox) == [always.email]
    assert result.count("skipped") == 1
    assert DigestDelivery.objects.get(user=quiet).status == DeliveryStatus.SKIPPED
    assert not DigestDelivery.objects.filter(user=gone).exists()


# --- bounded queries -----------------------------------------------------------------


def grow(team, owner, n, weeks):
    """n more flagged operations owned by ``owner`` and snapshots for ``weeks`` weeks."""
    base = OperationFactory._meta.model.objects.count()
    for i in range(n):
        op = OperationFactory(
            name=f"Op {base + i}",
            team=team,
            owner=owner,
            phase=Phase.STANDARDIZE if i % 2 else Phase.LAUNCH,
            performers=[owner],
        )
        kind = FlagKind.PERSON_DEPENDENT if i % 2 else FlagKind.STALLED
        facts = {"performers": 1, "runbook": True} if i % 2 else {"since": "2026-01-05"}
        Flag.objects.create(operation=op, kind=kind, facts=facts)
    today = timezone.localdate()
    for week in range(weeks):
        for phase in (Phase.LAUNCH, Phase.STANDARDIZE):
            Snapshot.objects.update_or_create(
                date=today - dt.timedelta(weeks=week),
                team=team,
                phase=phase,
                defaults={"count": n + week, "monthly_cost": 100 * week},
            )


def queries_per_recipient(users):
    """Run a dispatch for these users; the queries up to each one's outcome since the last.

    The first one's count also holds the run's own few queries (finding who is due).
    """
    DigestDelivery.objects.all().delete()
    DigestSubscription.objects.update(next_digest_at=timezone.now() + dt.timedelta(days=1))
    DigestSubscription.objects.filter(user__in=users).update(next_digest_at=timezone.now())
    marks, per = [], {}
    with CaptureQueriesContext(connection) as ctx:

        def report(outcome):
            marks.append(len(ctx.captured_queries))
            per[outcome.email] = marks[-1] - (marks[-2] if len(marks) > 1 else 0)
            assert outcome.status == "sent", outcome.error

        sending.dispatch(report=report)
    return per, len(ctx.captured_queries)


def test_queries_per_recipient_do_not_grow_with_the_data(monday, mailoutbox):
    team = TeamFactory()
    manager, owner = UserFactory(username="m"), UserFactory(username="o")
    MembershipFactory(user=manager, team=team, role=Role.MANAGER)
    MembershipFactory(user=owner, team=team)
    make_due(manager, owner)
    grow(team, owner, 2, weeks=2)
    refresh_figures()  # as the worker does every minute
    small, small_total = queries_per_recipient([manager, owner])
    grow(team, owner, 40, weeks=12)
    refresh_figures()
    large, large_total = queries_per_recipient([manager, owner])
    assert small == large, (small, large)
    assert small_total == large_total
    # claim 6 (savepoints included), take 1, build 4 (the operations they perform,
    # their flags…; +10 for a manager: the team ids, the dashboard's kept figures (one
    # query; seven more while the team is marked stale), the operations whose owner
    # left, the team's learning plans and levels to confirm; +2 for everyone: the
    # campaigns of their teams and their operations in campaigns), record 1; the first
    # recipient also carries the run's 3
    assert large[owner.email] == 14 and large[manager.email] == 3 + 24
    grow(team, owner, 1, weeks=1)  # not refreshed yet: the team's figures are read live
    stale, _total = queries_per_recipient([manager, owner])
    assert stale[manager.email] == large[manager.email] + 7


def test_queries_per_recipient_do_not_grow_with_the_recipients(monday, mailoutbox):
    team = TeamFactory()
    users = [user_with_news(team=team) for _ in range(6)]
    make_due(*users)
    two, two_total = queries_per_recipient(users[:2])
    six, six_total = queries_per_recipient(users)
    assert set(two.values()) == set(six.values()) == {3 + 14, 14}
    assert six_total - two_total == 4 * 14


# --- by hand, and on the beat --------------------------------------------------------


def test_command_dry_run_sends_and_writes_nothing(monday, mailoutbox):
    user = user_with_news()
    quiet = UserFactory()
    make_due(user, quiet)
    out = StringIO()
    call_command("send_digests", "--dry-run", "-v", "2", stdout=out)
    text = out.getvalue()
    assert "dry-run:send" in text and user.email in text and "dry-run:skip" in text
    assert "1 operation needs you this week" in text
    assert "1 would be sent, 1 have nothing to report" in text
    assert mailoutbox == [] and not DigestDelivery.objects.exists()
    assert DigestSubscription.objects.filter(next_digest_at__lte=timezone.now()).count() == 2


def test_command_for_one_user_sends_now_but_once_a_week(clock, mailoutbox):
    user, other = user_with_news(), user_with_news()
    out = StringIO()
    call_command("send_digests", "--user", user.email.upper(), stdout=out)
    assert recipients(mailoutbox) == [user.email]
    assert "1 sent" in out.getvalue()
    call_command("send_digests", "--user", user.email, stdout=out)
    assert len(mailoutbox) == 1 and "already" in out.getvalue()
    assert not DigestDelivery.objects.filter(user=other).exists()
    with pytest.raises(CommandError, match="nobody@example.com"):
        call_command("send_digests", "--user", "nobody@example.com")


def test_dispatch_task_runs_the_same_code(monday):
    make_due(user_with_news())
    summary = tasks.dispatch_digests.apply().get()
    assert summary["sent"] == 1 and summary["stopped_early"] is False
    assert len(mail.outbox) == 1
    task = tasks.dispatch_digests
    assert task.name == "opsmaturity.digests.dispatch_digests"
    assert task.acks_late and set(task.autoretry_for) == {OperationalError, InterfaceError}
    assert 0 < task.soft_time_limit < task.time_limit


def test_a_run_out_of_time_stops_and_the_next_carries_on(monday, mailoutbox):
    make_due(*[user_with_news() for _ in range(3)])
    result = sending.dispatch(budget_seconds=-1)
    assert result.stopped_early and mailoutbox == []
    sending.dispatch()
    assert len(mailoutbox) == 3


def test_a_digest_that_fails_to_build_does_not_stop_the_others(monday, mailoutbox, monkeypatch):
    from opsmaturity.digests import building

    broken, fine = user_with_news(username="broken"), user_with_news(username="fine")
    make_due(broken, fine)
    real = building.build_digest

    def build(user, *args, **kwargs):
        if user == broken:
            raise ValueError("a bug in one digest")
        return real(user, *args, **kwargs)

    monkeypatch.setattr(sending, "build_digest", build)
    result = sending.dispatch()
    assert recipients(mailoutbox) == [fine.email] and result.count("retry") == 1
    assert "ValueError: a bug in one digest" in DigestDelivery.objects.get(user=broken).last_error


def test_a_delivery_whose_senders_keep_dying_is_given_up(monday, mailoutbox):
    user = user_with_news()
    DigestDelivery.objects.create(user=user, period=MONDAY, attempts=sending.max_attempts())
    sending.dispatch(user_ids=[user.pk])
    assert DigestDelivery.objects.get().status == DeliveryStatus.FAILED
    assert mailoutbox == []


def test_one_persons_unreadable_rows_do_not_stop_the_others(monday, mailoutbox, monkeypatch):
    """A row the database cannot hand over (a date out of range, say) fails that one
    digest, which is retried later; everyone else's goes out."""
    from django.db import DataError

    broken, fine = user_with_news(username="broken"), user_with_news(username="fine")
    make_due(broken, fine)
    real = sending.render_digest

    def render(user, *args, **kwargs):
        if user.pk == broken.pk:
            raise DataError("timestamp out of range")
        return real(user, *args, **kwargs)

    monkeypatch.setattr(sending, "render_digest", render)
    result = sending.dispatch()
    assert recipients(mailoutbox) == ["fine@example.com"]
    assert result.count("retry") == 1 and result.count("sent") == 1
    assert DigestDelivery.objects.get(user=broken).status == DeliveryStatus.PENDING


def test_a_flag_with_a_day_python_cannot_read_counts_no_days():
    from opsmaturity.maturity import rules

    assert rules.STALLED.describe({"since": "0001-12-31 BC"}, timezone.localdate())
    assert not rules.STALLED.condition({"since": "not a day"}, timezone.localdate())
