"""Snoozing a flag: a manager exempts it until a date, with a reason; a member asks.

Every step writes a FlagExemption row, so who exempted what, why and until when
is never lost.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib import events

from .models import ExemptionAction, Flag, FlagExemption

MAX_SNOOZE_DAYS = 366


class ExemptionError(ValueError):
    pass


def check_until(until):
    today = timezone.localdate()
    if until <= today:
        raise ExemptionError(_("Choose a day after today."))
    if until > today + timedelta(days=MAX_SNOOZE_DAYS):
        raise ExemptionError(_("A snooze lasts a year at most; review it again then."))


def _locked_open_flag(flag):
    current = Flag.objects.select_for_update().get(pk=flag.pk)
    if current.resolved_at is not None:
        raise ExemptionError(_("This flag was resolved meanwhile; nothing to snooze."))
    return current


@transaction.atomic
def request_snooze(flag, *, by, until, reason):
    check_until(until)
    current = _locked_open_flag(flag)
    current.snooze_requested = True
    current.save(update_fields=["snooze_requested"])
    exemption = FlagExemption.objects.create(
        flag=current, action=ExemptionAction.REQUESTED, by=by, until=until, reason=reason
    )
    events.snooze_asked.send(Flag, flag=current, by=by, exemption=exemption)
    return exemption


@transaction.atomic
def grant_snooze(flag, *, by, until, reason):
    check_until(until)
    current = _locked_open_flag(flag)
    current.snoozed_until = until
    current.snoozed_by = by
    current.snooze_reason = reason
    current.snooze_requested = False
    current.save(update_fields=["snoozed_until", "snoozed_by", "snooze_reason", "snooze_requested"])
    exemption = FlagExemption.objects.create(
        flag=current, action=ExemptionAction.GRANTED, by=by, until=until, reason=reason
    )
    events.snooze_decided.send(Flag, flag=current, by=by, exemption=exemption)
    return exemption


def _locked_open_flags(flags):
    ids = [flag.pk for flag in flags]
    flags = Flag.objects.select_for_update(of=("self",)).select_related("operation__team")
    current = flags.in_bulk(ids)
    for pk in ids:
        if pk not in current or current[pk].resolved_at is not None:
            raise ExemptionError(_("This flag was resolved meanwhile; nothing to snooze."))
    return [current[pk] for pk in ids]


@transaction.atomic
def request_snoozes(flags, *, by, until, reason):
    """request_snooze for many flags at once (a bulk change of the list): the same
    checks and the same history, in a fixed number of queries."""
    check_until(until)
    current = _locked_open_flags(flags)
    Flag.objects.filter(pk__in=[flag.pk for flag in current]).update(snooze_requested=True)
    for flag in current:
        flag.snooze_requested = True
    exemptions = FlagExemption.objects.bulk_create(
        FlagExemption(flag=f, action=ExemptionAction.REQUESTED, by=by, until=until, reason=reason)
        for f in current
    )
    events.snoozes_asked.send(Flag, by=by, exemptions=exemptions)
    return exemptions


@transaction.atomic
def grant_snoozes(grants, *, by):
    """grant_snooze for many flags at once: ``grants`` are (flag, until, reason)."""
    for _flag, until, _reason in grants:
        check_until(until)
    current = _locked_open_flags([flag for flag, _u, _r in grants])
    for flag, (_f, until, reason) in zip(current, grants, strict=True):
        flag.snoozed_until, flag.snoozed_by, flag.snooze_reason = until, by, reason
        flag.snooze_requested = False
    Flag.objects.bulk_update(
        current, ["snoozed_until", "snoozed_by", "snooze_reason", "snooze_requested"]
    )
    exemptions = FlagExemption.objects.bulk_create(
        FlagExemption(
            flag=f,
            action=ExemptionAction.GRANTED,
            by=by,
            until=f.snoozed_until,
            reason=f.snooze_reason,
        )
        for f in current
    )
    events.snoozes_decided.send(Flag, by=by, exemptions=exemptions)
    return exemptions


@transaction.atomic
def decline_snooze(flag, *, by, reason):
    current = _locked_open_flag(flag)
    if not current.snooze_requested:
        raise ExemptionError(_("Nobody asked to snooze this flag."))
    current.snooze_requested = False
    current.save(update_fields=["snooze_requested"])
    exemption = FlagExemption.objects.create(
        flag=current, action=ExemptionAction.DECLINED, by=by, reason=reason
    )
    events.snooze_decided.send(Flag, flag=current, by=by, exemption=exemption)
    return exemption


@transaction.atomic
def lift_snooze(flag, *, by, reason=""):
    current = _locked_open_flag(flag)
    if current.snoozed_until is None:
        raise ExemptionError(_("This flag is not snoozed."))
    current.snoozed_until = None
    current.save(update_fields=["snoozed_until"])
    return FlagExemption.objects.create(
        flag=current, action=ExemptionAction.LIFTED, by=by, reason=reason
    )


def pending_request(flag):
    """The request awaiting a manager's answer, if any."""
    if not flag.snooze_requested:
        return None
    return flag.exemptions.filter(action=ExemptionAction.REQUESTED).order_by("-at").first()
