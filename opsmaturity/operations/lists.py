"""The operations list: filters from the URL turned into one queryset."""

from django.db.models import Case, F, IntegerField, Prefetch, Q, Value, When

from opsmaturity.campaigns.models import CampaignMember
from opsmaturity.maturity.models import ExemptionAction, Flag, FlagExemption
from opsmaturity.maturity.rules import standing, with_performer_count
from opsmaturity.teams import access

from .forms import SORTS, OperationFilterForm
from .models import Operation
from .phases import ORDER, Phase

PAGE_SIZE = 50


def phase_position():
    return Case(
        *[When(phase=phase, then=Value(i)) for i, phase in enumerate(ORDER)],
        output_field=IntegerField(),
    )


def open_flags_prefetch(include_snoozed=False):
    """The operation's open flags as ``open_flags``; snoozed ones only when asked."""
    flags = Flag.objects.current()
    if include_snoozed:
        requests = FlagExemption.objects.filter(action=ExemptionAction.REQUESTED).select_related(
            "by__profile"
        )
        flags = (
            Flag.objects.open()
            .select_related("snoozed_by__profile")
            .prefetch_related(
                Prefetch("exemptions", queryset=requests.order_by("-at"), to_attr="requests")
            )
        )
    return Prefetch("flags", queryset=flags.order_by("kind"), to_attr="open_flags")


def in_scope(operations, user, scope):
    """Narrow operations to a scope of the list and the dashboard."""
    if scope == "all":
        return operations
    if scope == "my_teams":
        return operations.filter(team_id__in=access.member_team_ids(user))
    if scope == "managed":
        return operations.filter(team_id__in=access.managed_team_ids(user))
    if scope == "me":
        return operations.run_by(user)
    return operations.for_user(user)


def default_scope(user):
    """What the list shows when the URL does not say: one's own and one's teams'
    operations, or every operation for someone in no team (staff, say), who would
    otherwise open the list on nothing."""
    return "mine" if access.member_team_ids(user) else "all"


def filtered_operations(user, params):
    """(bound filter form, queryset) for the list's query string."""
    if not params.get("scope"):
        params = params.copy()
        params["scope"] = default_scope(user)
    form = OperationFilterForm(params)
    form.is_valid()  # invalid values are dropped, never a 500
    data = form.cleaned_data
    qs = in_scope(Operation.objects.all(), user, data.get("scope") or "mine")
    if not data.get("retired") and data.get("phase") != Phase.RETIRE:
        qs = qs.active()
    if data.get("team"):
        qs = qs.filter(team=data["team"])
    if data.get("phase"):
        qs = qs.filter(phase=data["phase"])
    if data.get("owner"):
        qs = qs.filter(owner=data["owner"])
    if data.get("campaign"):
        members = CampaignMember.objects.filter(campaign=data["campaign"], removed_at__isnull=True)
        qs = qs.filter(pk__in=members.values("operation_id"))
    if data.get("flag"):
        if data["flag"] == "snoozed":
            flags = Flag.objects.snoozed()
        elif data["flag"] == "snooze_requested":
            flags = Flag.objects.open().filter(snooze_requested=True)
        else:
            flags = Flag.objects.current()
            if data["flag"] != "any":
                flags = flags.filter(kind=data["flag"])
        # Only flags that still stand, as the dashboard counts them.
        qs = qs.filter(pk__in=flags.filter(standing()).values("operation_id"))
    if data.get("q"):
        words = data["q"].split()
        for word in words:
            qs = qs.filter(Q(name__icontains=word) | Q(purpose__icontains=word))
    sort = data.get("sort") or "name"
    field, _label = SORTS[sort.lstrip("-")]
    descending = sort.startswith("-")
    qs = qs.annotate(
        phase_position=phase_position(), shortfall=F("monthly_cost") - F("monthly_value")
    )
    qs = qs.order_by(f"-{field}" if descending else field, "pk")
    return form, qs


def page_rows(queryset):
    """What the table shows of each row, in a constant number of queries."""
    return with_performer_count(
        queryset.select_related("team", "owner__profile").prefetch_related(open_flags_prefetch())
    )
