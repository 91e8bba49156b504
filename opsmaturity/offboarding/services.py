"""People who leave: deactivate, reactivate, and hand their operations over.

Every door (the pages here, the admin's action) goes through these functions, so a
person who leaves always has their sessions ended, the change recorded, and their
operations rescanned (the "owner has left" rule of maturity.rules).
"""

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from opsmaturity.operations import services as operation_services
from opsmaturity.operations.models import Operation

from .models import EventKind, PersonEvent

KEEP = "keep"
REMOVE = "remove"


def operation_ids_of(person):
    """Every operation a person owns or performs, retired ones included."""
    return list(Operation.objects.run_by(person).values_list("pk", flat=True))


def end_sessions(person):
    """Delete every session in which the person is signed in; returns how many.

    Sessions kept in the database (the default, or cached_db) can be listed; with a
    session store that cannot, a deactivated person is still signed out on their next
    request, since Django's authentication refuses an inactive user.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store, "get_model_class"):
        return 0
    model = store.get_model_class()
    keys = [
        session.session_key
        for session in model.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(person.pk)
    ]
    for key in keys:
        store(session_key=key).delete()  # the cache too, for cached_db
    return len(keys)


def _locked(person):
    return get_user_model().objects.select_for_update().get(pk=person.pk)


def deactivate(person, *, by):
    """The person left: they can no longer sign in, their sessions end, their history
    keeps their name. Their operations are rescanned, so each one they own shows
    "owner has left" at once. Returns False when they had already left."""
    with transaction.atomic():
        current = _locked(person)
        if not current.is_active:
            return False
        get_user_model().objects.filter(pk=current.pk).update(is_active=False)
        PersonEvent.objects.create(person=current, kind=EventKind.LEFT, by=by)
        end_sessions(current)
    person.is_active = False
    operation_services.refresh_flags_of(operation_ids_of(person))
    return True


def reactivate(person, *, by):
    """Someone who left comes back: they may sign in again, and the operations they
    still own are theirs again (their "owner has left" flags resolve). Returns False
    when they were active."""
    with transaction.atomic():
        current = _locked(person)
        if current.is_active:
            return False
        get_user_model().objects.filter(pk=current.pk).update(is_active=True)
        PersonEvent.objects.create(person=current, kind=EventKind.RETURNED, by=by)
    person.is_active = True
    operation_services.refresh_flags_of(operation_ids_of(person))
    return True


@dataclass
class HandOver:
    """What happens to one of a person's operations: a new owner (or None to keep the
    owner), and their place as a performer: KEEP, REMOVE, or another person."""

    operation: Operation
    version: int
    new_owner: object = None
    performer: object = KEEP

    @property
    def changes_something(self):
        return self.new_owner is not None or self.performer != KEEP


def reassign(person, handovers, *, by):
    """Hand several operations over in one step: all of them or, if one fails (someone
    saved it meanwhile, the new owner cannot own it), none. Each goes through
    operations.services.hand_over (lock, version check); the operations are rescanned
    once, after the commit: the owner's flag resolves, and a removed performer counts
    again for the person-dependent rule. Returns the operations handed over."""
    handovers = [h for h in handovers if h.changes_something]
    done = []
    with transaction.atomic():
        for handover in handovers:
            performer = handover.performer
            done.append(
                operation_services.hand_over(
                    handover.operation,
                    by=by,
                    person=person,
                    new_owner=handover.new_owner,
                    remove_performer=performer == REMOVE,
                    new_performer=None if performer in (KEEP, REMOVE) else performer,
                    expected_version=handover.version,
                )
            )
        if done:
            PersonEvent.objects.create(
                person=person, kind=EventKind.HANDED_OVER, by=by, operations=len(done)
            )
    operation_services.refresh_flags_of(op.pk for op in done)
    return done
