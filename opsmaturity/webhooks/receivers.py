"""The services' announcements (lib.events) turned into webhook events."""

from django.db import transaction
from django.dispatch import receiver

from opsmaturity.lib import events
from opsmaturity.lib.people import display_name
from opsmaturity.lib.urls import absolute

from .events import emit, emit_many, receiving
from .models import Event


def person(user):
    return None if user is None else {"id": user.pk, "name": display_name(user)}


def operation_data(operation):
    return {
        "id": operation.pk,
        "name": operation.name,
        "team": {"id": operation.team_id, "name": operation.team.name},
        "phase": operation.phase,
        "version": operation.version,
        "url": absolute(operation.get_absolute_url()),
    }


@receiver(events.operation_created)
def created(sender, operation, by, **kwargs):
    emit(Event.OPERATION_CREATED, {"operation": operation_data(operation), "by": person(by)})


@receiver(events.operation_changed)
def changed(sender, operation, by, fields, **kwargs):
    data = {"operation": operation_data(operation), "by": person(by), "fields": sorted(fields)}
    emit(Event.OPERATION_CHANGED, data)


@receiver(events.operation_moved)
def moved(sender, operation, by, transition, **kwargs):
    data = operation_data(operation)
    data.update(phase=transition.to_phase, version=operation.version + 1)
    emit(
        Event.OPERATION_MOVED,
        {
            "operation": data,
            "by": person(by),
            "from_phase": transition.from_phase,
            "to_phase": transition.to_phase,
            "note": transition.note,
        },
    )


def flag_data(flag):
    return {
        "id": flag.pk,
        "kind": flag.kind,
        "operation": operation_data(flag.operation),
        "snoozed_until": flag.snoozed_until,
        "snooze_requested": flag.snooze_requested,
    }


def exemption_data(exemption):
    return {"action": exemption.action, "until": exemption.until, "reason": exemption.reason}


@receiver(events.snooze_asked)
def snooze_asked(sender, flag, by, exemption, **kwargs):
    data = {"flag": flag_data(flag), "by": person(by), "request": exemption_data(exemption)}
    emit(Event.SNOOZE_ASKED, data)


@receiver(events.snooze_decided)
def snooze_decided(sender, flag, by, exemption, **kwargs):
    data = {"flag": flag_data(flag), "by": person(by), "decision": exemption_data(exemption)}
    emit(Event.SNOOZE_DECIDED, data)


@receiver(events.flags_changed)
def flags_changed(sender, as_of, opened, resolved, **kwargs):
    """The flags a scan opened and resolved, read once the scan is committed (the scan
    itself runs no query more), and only when an endpoint wants them."""
    transaction.on_commit(lambda: _send_flags(as_of, opened, resolved))


def _send_flags(as_of, opened, resolved):
    from opsmaturity.maturity.models import Flag

    flags = Flag.objects.select_related("operation__team")
    for event, count, lookup in (
        (Event.FLAG_OPENED, opened, "opened_at"),
        (Event.FLAG_RESOLVED, resolved, "resolved_at"),
    ):
        endpoints = receiving(event) if count else []
        if endpoints:
            changed = flags.filter(**{lookup: as_of}).order_by("pk")
            payloads = [{"flag": flag_data(flag), "at": as_of} for flag in changed]
            with transaction.atomic():
                emit_many(event, payloads, endpoints)
