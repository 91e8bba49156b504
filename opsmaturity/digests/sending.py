"""Sending the weekly digests: each one claimed before it is sent, and sent at most once.

How a digest goes out (``dispatch``, run by beat every few minutes and by
``manage.py send_digests``):

1. *Claim.* For each subscription whose ``next_digest_at`` has come, one
   transaction moves ``next_digest_at`` on to the next slot with an UPDATE
   filtered on its old value and, only when that UPDATE changed one row,
   inserts the pending ``DigestDelivery`` of the period. Two dispatchers at
   once: one of them changes the row, the other changes nothing and moves on.
   The unique (user, period) constraint makes a second delivery of a period
   impossible whatever happens.
2. *Send.* A pending delivery is taken with a second compare-and-set (on its
   attempt count), which also sets a lease: until the lease ends, nobody else
   tries it. Then the digest is built, and either skipped (nothing to report
   and the user did not ask for "always") or sent, and the row says which.
3. *Retry.* A failed send (a refused address, a dropped SMTP connection) is
   recorded on its delivery and tried again later with exponential backoff,
   up to OPS_DIGEST_MAX_ATTEMPTS; the others go on being sent. A run killed
   half-way leaves unclaimed subscriptions due and claimed deliveries pending:
   the next run sends them (the one in flight once its lease has ended).

Sending is at most once per (user, period). Only a process killed between
the mail server's "accepted" and the row's update can send one digest twice.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from opsmaturity.accounts.models import language_of
from opsmaturity.core.replica import reads_from_replica
from opsmaturity.lib import emails
from opsmaturity.lib.people import display_name
from opsmaturity.lib.urls import absolute, site_url

from . import tokens
from .building import build_digest
from .models import (
    DeliveryStatus,
    DigestDelivery,
    DigestSubscription,
    Mode,
    last_slot,
    next_slot,
)

log = logging.getLogger(__name__)

BATCH = 200
# Long enough for any single send to finish; a killed sender's delivery is retried after it.
LEASE = dt.timedelta(minutes=15)
# digests/emails/digest-subject.txt, -body.txt, -body.html and digest.css
EMAIL = "digests/emails/digest"


def max_attempts():
    return settings.OPS_DIGEST_MAX_ATTEMPTS


def backoff(attempts):
    """Wait before the next attempt after ``attempts`` failures: 5, 10, 20 … minutes, ≤ 6 h."""
    base = settings.OPS_DIGEST_RETRY_MINUTES
    return dt.timedelta(minutes=min(base * 2 ** max(attempts - 1, 0), 6 * 60))


# --- one digest, as it would be sent -------------------------------------------------


@dataclass
class Rendered:
    digest: object
    subscription: DigestSubscription
    would_send: bool
    why_not: str
    message: EmailMultiAlternatives

    @property
    def subject(self):
        return self.message.subject

    @property
    def text(self):
        return self.message.body

    @property
    def html(self):
        return self.message.alternatives[0][0]


def current_period(subscription, now):
    """The local date of the slot a digest sent now stands for: its week's digest day."""
    return last_slot(now, subscription.zone).astimezone(subscription.zone).date()


def email_context(digest, subscription):
    user = digest.user
    return {
        "digest": digest,
        "user": user,
        "name": display_name(user),
        "subscription": subscription,
        "site_url": site_url(),
        "preferences_url": absolute(reverse("digests:preferences")),
        "preview_url": absolute(reverse("digests:preview")),
        "unsubscribe_url": unsubscribe_url(user, subscription),
        "currency": settings.OPS_CURRENCY,
    }


def unsubscribe_url(user, subscription=None):
    return absolute(reverse("digests:unsubscribe", args=[tokens.make_token(user, subscription)]))


def render_digest(user, subscription, now=None, period=None, connection=None):
    """Build and render one user's digest, in their language (their profile's, else
    the installation's).

    Dates and times are shown in the user's time zone (the digest's, else their
    profile's); days are counted as the rules count them, in the installation's.
    """
    now = now or timezone.now()
    period = period or current_period(subscription, now)
    # Built and rendered from the replica when there is one (core/replica.py).
    with reads_from_replica(), translation.override(language_of(user)):
        digest = build_digest(user, period, now)
        with timezone.override(subscription.zone):
            context = email_context(digest, subscription)
            link = context["unsubscribe_url"]
            headers = {
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            }
            message = emails.make(
                EMAIL, user.email, context, headers=headers, connection=connection
            )
        would_send, why_not = True, ""
        if not user.is_active or not user.email:
            would_send, why_not = False, translation.gettext("This account has no active address.")
        elif not subscription.is_active:
            would_send, why_not = False, translation.gettext("You unsubscribed from the digest.")
        elif digest.is_empty and subscription.mode != Mode.ALWAYS:
            would_send, why_not = (
                False,
                translation.gettext(
                    "Nothing needs you this week, and you asked for the digest only when "
                    "something does."
                ),
            )
    return Rendered(digest, subscription, would_send, why_not, message)


# --- claiming and sending --------------------------------------------------------------


@dataclass
class Outcome:
    email: str
    period: dt.date | None
    status: str  # sent, skipped, retry, failed, already, taken, dry-run:…
    subject: str = ""
    error: str = ""
    rendered: Rendered | None = None  # dry runs only, to print


@dataclass
class DispatchResult:
    outcomes: list = field(default_factory=list)
    created: int = 0
    stopped_early: bool = False

    def count(self, status):
        return sum(1 for o in self.outcomes if o.status == status)

    def as_dict(self):
        statuses = ("sent", "skipped", "retry", "failed", "already", "taken")
        return {
            **{status: self.count(status) for status in statuses},
            "subscriptions_created": self.created,
            "stopped_early": self.stopped_early,
        }


def ensure_subscriptions(now):
    """Give every active user with an address a subscription with the defaults.

    One INSERT for all the missing ones; the first digest is due at the next slot.
    """
    users = get_user_model().objects.filter(is_active=True, digest_subscription__isnull=True)
    missing = list(users.exclude(email="").select_related("profile")[:10000])
    # each first digest on the morning of the person's own zone (their profile's)
    DigestSubscription.objects.bulk_create(
        [
            DigestSubscription(user=user, next_digest_at=next_slot(now, _zone(user)))
            for user in missing
        ],
        ignore_conflicts=True,
        batch_size=500,
    )
    # Switched on again without a time (by the admin, say): schedule from now.
    for sub in DigestSubscription.objects.filter(next_digest_at__isnull=True).exclude(
        mode=Mode.NEVER
    ):
        DigestSubscription.objects.filter(pk=sub.pk, next_digest_at__isnull=True).update(
            next_digest_at=sub.next_slot_after(now)
        )
    return len(missing)


def _zone(user):
    return DigestSubscription(user=user).zone


def claim(subscription, now):
    """Move the subscription's next time on and create the period's pending delivery.

    Returns (delivery or None, status): "claimed"; "taken" when another process
    moved the time first; "already" when the period's delivery exists.
    """
    period = current_period(subscription, now)
    with transaction.atomic():
        moved = DigestSubscription.objects.filter(
            pk=subscription.pk, next_digest_at=subscription.next_digest_at
        ).update(next_digest_at=subscription.next_slot_after(now))
        if moved != 1:
            return None, "taken"
        try:
            with transaction.atomic():
                delivery = DigestDelivery.objects.create(
                    user_id=subscription.user_id, period=period, claimed_at=now, next_attempt_at=now
                )
        except IntegrityError:
            # This period's delivery exists (sent, skipped, or pending for a retry).
            return None, "already"
    return delivery, "claimed"


def take(delivery, now):
    """Start one attempt: compare-and-set on the attempt count, with a lease."""
    taken = DigestDelivery.objects.filter(
        pk=delivery.pk,
        status=DeliveryStatus.PENDING,
        attempts=delivery.attempts,
        next_attempt_at__lte=now,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if taken == 1:
        delivery.attempts += 1
    return taken == 1


def send_delivery(delivery, user, subscription, now, connection):
    """One attempt at one delivery. A failure is recorded on the delivery, not raised,
    so that the next user's digest goes out; the database's own errors are raised."""
    if delivery.attempts >= max_attempts():
        # its senders died mid-send every time: stop trying
        DigestDelivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.PENDING, attempts=delivery.attempts
        ).update(status=DeliveryStatus.FAILED)
        return Outcome(user.email, delivery.period, "failed", error=delivery.last_error)
    if not take(delivery, now):
        return Outcome(user.email, delivery.period, "taken")
    try:
        rendered = render_digest(user, subscription, now, delivery.period, connection)
        if rendered.would_send:
            connection.open()
            rendered.message.send()
    except DataError as exc:
        # One person's rows the database cannot hand over (a value out of range):
        # their digest fails and is retried; the others go out.
        return _failed(delivery, user, now, exc, connection)
    except (SoftTimeLimitExceeded, DatabaseError):
        raise  # the run stops; the lease hands this delivery to a later run
    except Exception as exc:
        return _failed(delivery, user, now, exc, connection)
    subject = rendered.subject[:200]
    if not rendered.would_send:
        DigestDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SKIPPED, subject=subject, last_error=""
        )
        return Outcome(user.email, delivery.period, "skipped", subject)
    DigestDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), subject=subject, last_error=""
    )
    return Outcome(user.email, delivery.period, "sent", subject)


def _failed(delivery, user, now, exc, connection):
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        connection.close()  # the next send starts on a fresh connection
    except Exception:  # noqa: S110 - closing a broken connection may fail too
        pass
    if delivery.attempts >= max_attempts():
        DigestDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=error
        )
        log.error("digest to %s for %s failed, giving up: %s", user.email, delivery.period, error)
        return Outcome(user.email, delivery.period, "failed", error=error)
    retry_at = now + backoff(delivery.attempts)
    DigestDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=retry_at, last_error=error)
    log.warning(
        "digest to %s for %s failed (attempt %s), retry at %s: %s",
        user.email,
        delivery.period,
        delivery.attempts,
        retry_at,
        error,
    )
    return Outcome(user.email, delivery.period, "retry", error=error)


def _subscription(user):
    return DigestSubscription.for_user(user)


def dispatch(now=None, *, user_ids=None, dry_run=False, budget_seconds=None, report=None):
    """Send every digest that is due now, and retry the failed ones whose time has come.

    ``user_ids``: only these users, and their digest is treated as due now
    (``send_digests --user``); still never twice in a period. ``dry_run``:
    build and report, write and send nothing. ``budget_seconds``: stop taking
    new work after that long; the next run carries on. ``report(outcome)`` is
    called after each digest.
    """
    now = now or timezone.now()
    started = time.monotonic()
    result = DispatchResult()

    def note(outcome):
        result.outcomes.append(outcome)
        if report:
            report(outcome)

    def out_of_time():
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            result.stopped_early = True
        return result.stopped_early

    if dry_run:
        _dry_run(now, user_ids, note)
        return result

    if user_ids is None:
        result.created = ensure_subscriptions(now)
    else:
        _ensure_for(user_ids, now)

    connection = get_connection()
    try:
        # New digests first, then the retries that are due.
        subs = DigestSubscription.objects.select_related("user", "user__profile")
        subs = subs.due(now) if user_ids is None else subs.filter(user_id__in=user_ids)
        last_pk = 0
        while not out_of_time():
            batch = list(subs.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
            if not batch:
                break
            for sub in batch:
                last_pk = sub.pk
                if out_of_time():
                    break
                if not sub.is_active or not sub.user.email:
                    # only when asked for by name: due() leaves these out
                    status = "unsubscribed" if not sub.is_active else "no-address"
                    note(Outcome(sub.user.email or sub.user.username, None, status))
                    continue
                delivery, status = claim(sub, now)
                if delivery is None:
                    note(Outcome(sub.user.email, None, status))
                    continue
                note(send_delivery(delivery, sub.user, sub, now, connection))

        pending = DigestDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).select_related("user", "user__digest_subscription", "user__profile")
        if user_ids is not None:
            pending = pending.filter(user_id__in=user_ids)
        last_pk = 0
        while not out_of_time():
            batch = list(pending.filter(pk__gt=last_pk).order_by("pk")[:BATCH])
            if not batch:
                break
            for delivery in batch:
                last_pk = delivery.pk
                if out_of_time():
                    break
                sub = _subscription(delivery.user)
                note(send_delivery(delivery, delivery.user, sub, now, connection))
    finally:
        try:
            connection.close()
        except Exception:  # noqa: S110 - nothing to do about a connection that will not close
            pass
    if result.outcomes:
        log.info("digests: %s", result.as_dict())
    return result


def _ensure_for(user_ids, now):
    for user in get_user_model().objects.filter(pk__in=user_ids, digest_subscription__isnull=True):
        sub = DigestSubscription(user=user)
        sub.reschedule(now)
        DigestSubscription.objects.bulk_create([sub], ignore_conflicts=True)


def _dry_run(now, user_ids, note):
    if user_ids is None:
        subs = DigestSubscription.objects.due(now).select_related("user", "user__profile")
        subs = list(subs.order_by("pk"))
    else:
        users = get_user_model().objects.filter(pk__in=user_ids).order_by("pk")
        users = users.select_related("digest_subscription", "profile")
        subs = [_subscription(user) for user in users]
    periods = {
        (d.user_id, d.period)
        for d in DigestDelivery.objects.filter(user_id__in=[s.user_id for s in subs]).exclude(
            status=DeliveryStatus.PENDING
        )
    }
    for sub in subs:
        period = current_period(sub, now)
        if (sub.user_id, period) in periods:
            note(Outcome(sub.user.email, period, "dry-run:already"))
            continue
        rendered = render_digest(sub.user, sub, now, period)
        status = "dry-run:send" if rendered.would_send else "dry-run:skip"
        note(Outcome(sub.user.email, period, status, rendered.subject, rendered=rendered))
