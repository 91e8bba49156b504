"""Every change to campaigns: start, add or remove an operation, record a day, close."""

from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Value, When
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from opsmaturity.lib.clock import today
from opsmaturity.lib.concurrency import lock_current
from opsmaturity.operations.lists import filtered_operations
from opsmaturity.operations.phases import Phase

from . import progress
from .models import Campaign, CampaignChange, CampaignMember, CampaignProgress, ChangeAction, Goal

# The list's own parameters that make no sense as a campaign's scope.
IGNORED_FILTER_KEYS = {"page", "sort"}


def clean_filter(querystring):
    """The list filter as it is kept: its known keys only, as the list reads them."""
    pairs = [
        (key, value)
        for key, value in parse_qsl(querystring or "", keep_blank_values=False)
        if key not in IGNORED_FILTER_KEYS
    ]
    query = QueryDict(mutable=True)
    for key, value in pairs:
        query.appendlist(key, value)
    return query.urlencode()


def scoped_operations(user, *, teams, phases=(), list_filter=""):
    """The operations a campaign of this scope starts with.

    The list's filter is read exactly as the operations list reads it (as the person
    creating it sees it), then narrowed to the teams and phases chosen.
    """
    params = QueryDict(list_filter or "", mutable=True)
    if "scope" not in params:
        params["scope"] = "all"
    _form, operations = filtered_operations(user, params)
    operations = operations.filter(team__in=teams)
    if phases:
        operations = operations.filter(phase__in=phases)
    elif "phase" not in params and "retired" not in params:
        operations = operations.exclude(phase=Phase.RETIRE)
    return operations.order_by("pk")


@transaction.atomic
def create_campaign(
    *,
    by,
    name,
    goal,
    deadline,
    owner,
    teams,
    goal_phase="",
    goal_flag="",
    phases=(),
    list_filter="",
):
    """Start a campaign: its operations are the scope's, fixed now."""
    if deadline < today():
        raise ValidationError({"deadline": _("The deadline cannot be in the past.")})
    campaign = Campaign(
        name=name,
        goal=goal,
        goal_phase=goal_phase if goal == Goal.PHASE else "",
        goal_flag=goal_flag if goal == Goal.FLAG else "",
        scope_phases=list(phases),
        scope_filter=clean_filter(list_filter),
        deadline=deadline,
        owner=owner,
        created_by=by,
    )
    campaign.full_clean(exclude=["teams"])
    campaign.save()
    campaign.teams.set(teams)
    operation_ids = list(
        scoped_operations(by, teams=teams, phases=phases, list_filter=list_filter).values_list(
            "pk", flat=True
        )
    )
    CampaignMember.objects.bulk_create(
        CampaignMember(campaign=campaign, operation_id=pk, added_at=campaign.started_at)
        for pk in operation_ids
    )
    record_progress(day=timezone.localdate(campaign.started_at), campaigns=[campaign])
    return campaign


def _open_campaign(campaign):
    """The campaign locked for a change, or a refusal when it is closed."""
    current = lock_current(Campaign.objects, campaign.pk)
    if current.is_closed:
        raise ValidationError(_("This campaign is closed: its result stays as it was."))
    return current


@transaction.atomic
def add_operation(campaign, operation, *, by, note=""):
    current = _open_campaign(campaign)
    if current.members.filter(operation=operation, removed_at__isnull=True).exists():
        raise ValidationError({"operation": _("This operation is already in the campaign.")})
    if not current.teams.filter(pk=operation.team_id).exists():
        raise ValidationError({"operation": _("This operation is not in a team of the campaign.")})
    now = timezone.now()
    member = CampaignMember.objects.create(campaign=current, operation=operation, added_at=now)
    CampaignChange.objects.create(
        campaign=current, operation=operation, action=ChangeAction.ADDED, by=by, at=now, note=note
    )
    return member


@transaction.atomic
def remove_operation(campaign, operation, *, by, note=""):
    current = _open_campaign(campaign)
    now = timezone.now()
    removed = CampaignMember.objects.filter(
        campaign=current, operation=operation, removed_at__isnull=True
    ).update(removed_at=now)
    if not removed:
        raise ValidationError({"operation": _("This operation is not in the campaign.")})
    CampaignChange.objects.create(
        campaign=current, operation=operation, action=ChangeAction.REMOVED, by=by, at=now, note=note
    )


@transaction.atomic
def close_campaign(campaign, *, by=None, at=None):
    """Close: each operation's result (done or missed) is written and stays.

    Closing twice is harmless: the second call finds it closed and changes nothing.
    """
    current = lock_current(Campaign.objects, campaign.pk)
    if current.is_closed:
        return current
    at = at or timezone.now()
    members = progress.current_members(current)
    done_ids = list(progress.with_done(members).filter(done=True).values_list("pk", flat=True))
    members.update(result_done=Case(When(pk__in=done_ids, then=Value(True)), default=Value(False)))
    total = members.count()
    record_progress(day=timezone.localdate(at), campaigns=[current])
    Campaign.objects.filter(pk=current.pk).update(
        closed_at=at, closed_by=by, result_done=len(done_ids), result_total=total
    )
    current.refresh_from_db()
    return current


def close_overdue(on=None):
    """Close every open campaign whose deadline has passed (the day after it, local)."""
    on = on or today()
    closed = []
    for campaign in Campaign.objects.filter(closed_at__isnull=True, deadline__lt=on):
        closed.append(close_campaign(campaign))
    return closed


def record_progress(day=None, campaigns=None):
    """Write each open campaign's done and total for the day; a rerun rewrites the day.

    One aggregate query and one upsert, whatever the number of campaigns.
    """
    day = day or today()
    if campaigns is None:
        campaigns = list(Campaign.objects.filter(closed_at__isnull=True).only("pk"))
    ids = [c.pk for c in campaigns]
    if not ids:
        return []
    rows = [
        CampaignProgress(campaign_id=pk, date=day, **values)
        for pk, values in progress.counts(ids).items()
    ]
    CampaignProgress.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["campaign", "date"],
        update_fields=["done", "total", "cost_done", "cost_total"],
    )
    return rows


def daily(on=None):
    """The campaigns' step of the daily snapshot job: close overdue ones, record a day."""
    on = on or today()
    closed = close_overdue(on)
    recorded = record_progress(on)
    return {"closed": len(closed), "recorded": len(recorded), "date": on.isoformat()}


def days_left(campaign, on=None):
    return (campaign.deadline - (on or today())).days
