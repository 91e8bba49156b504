"""The services' announcements (lib.events) turned into webhook events."""

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.dispatch import receiver

from opsmaturity.lib import events
from opsmaturity.lib.people import display_name
from opsmaturity.lib.urls import absolute
from opsmaturity.operations.models import Operation

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


def _with_teams(operations):
    """The operations' teams, read in one query where they are not loaded yet."""
    prefetch_related_objects([op for op in operations if not _team_loaded(op)], "team")
    return operations


def _team_loaded(operation):
    return Operation.team.is_cached(operation)


@receiver(events.operations_created)
def created_many(sender, by, operations, **kwargs):
    """A batch recorded at once (an import): one query for the endpoints, one INSERT."""
    endpoints = receiving(Event.OPERATION_CREATED) if operations else []
    if endpoints:
        payloads = [
            {"operation": operation_data(op), "by": person(by)} for op in _with_teams(operations)
        ]
        emit_many(Event.OPERATION_CREATED, payloads, endpoints)


@receiver(events.operations_changed)
def changed_many(sender, by, changes, **kwargs):
    """A batch of edits (an import, a bulk change of the list): what changed in each, as
    operation_changed says it; one query for the endpoints, one INSERT."""
    changes = [(operation, fields) for operation, fields in changes if fields]
    endpoints = receiving(Event.OPERATION_CHANGED) if changes else []
    if endpoints:
        _with_teams([operation for operation, _fields in changes])
        payloads = [
            {"operation": operation_data(op), "by": person(by), "fields": sorted(fields)}
            for op, fields in changes
        ]
        emit_many(Event.OPERATION_CHANGED, payloads, endpoints)


@receiver(events.operation_changed)
def changed(sender, operation, by, fields, **kwargs):
    data = {"operation": operation_data(operation), "by": person(by), "fields": sorted(fields)}
    emit(Event.OPERATION_CHANGED, data)


def moved_data(operation, by, transition):
    data = operation_data(operation)
    data.update(phase=transition.to_phase, version=operation.version + 1)
    return {
        "operation": data,
        "by": person(by),
        "from_phase": transition.from_phase,
        "to_phase": transition.to_phase,
        "note": transition.note,
    }


@receiver(events.operation_moved)
def moved(sender, operation, by, transition, **kwargs):
    emit(Event.OPERATION_MOVED, moved_data(operation, by, transition))


@receiver(events.operations_moved)
def moved_many(sender, by, moves, **kwargs):
    """A batch of moves (an import): one query for the endpoints, one INSERT."""
    if not moves:
        return
    endpoints = receiving(Event.OPERATION_MOVED)
    if endpoints:
        payloads = [moved_data(operation, by, transition) for operation, transition in moves]
        emit_many(Event.OPERATION_MOVED, payloads, endpoints)


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


def _snoozes(event, key, by, exemptions):
    endpoints = receiving(event) if exemptions else []
    if endpoints:
        payloads = [
            {"flag": flag_data(e.flag), "by": person(by), key: exemption_data(e)}
            for e in exemptions
        ]
        emit_many(event, payloads, endpoints)


@receiver(events.snoozes_asked)
def snoozes_asked(sender, by, exemptions, **kwargs):
    """A batch of requests (a bulk change): one query for the endpoints, one INSERT."""
    _snoozes(Event.SNOOZE_ASKED, "request", by, exemptions)


@receiver(events.snoozes_decided)
def snoozes_decided(sender, by, exemptions, **kwargs):
    _snoozes(Event.SNOOZE_DECIDED, "decision", by, exemptions)


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


def campaign_data(campaign):
    """A campaign, with its progress now (its result once closed): one query."""
    from opsmaturity.campaigns import progress

    counts = progress.counts([campaign.pk])[campaign.pk]
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "goal": campaign.goal,
        "goal_text": str(campaign.goal_text()),
        "teams": [{"id": t.pk, "name": t.name} for t in campaign.teams.order_by("name")],
        "deadline": campaign.deadline.isoformat(),
        "closed_at": campaign.closed_at.isoformat() if campaign.closed_at else None,
        "progress": {"done": counts["done"], "total": counts["total"]},
        "url": absolute(campaign.get_absolute_url()),
    }


@receiver(events.campaign_deadline_near)
def campaign_deadline_near(sender, campaign, days_left, **kwargs):
    if receiving(Event.CAMPAIGN_DEADLINE_NEAR):
        data = {"campaign": campaign_data(campaign), "days_left": days_left}
        with transaction.atomic():
            emit(Event.CAMPAIGN_DEADLINE_NEAR, data)


@receiver(events.campaign_closed)
def campaign_closed(sender, campaign, by, **kwargs):
    if receiving(Event.CAMPAIGN_CLOSED):
        emit(Event.CAMPAIGN_CLOSED, {"campaign": campaign_data(campaign), "by": person(by)})
