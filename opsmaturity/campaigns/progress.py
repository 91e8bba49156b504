"""Whether each operation of a campaign is done, in SQL, and the counts built on it.

Done is one condition per goal over ``CampaignMember`` rows, written once here and
used by the campaign pages, the daily progress, the close and the digest:

- **reach a phase**: the operation is in that phase or one past it in the method's
  order; retirement counts only when it is the goal (a retired operation was not
  standardized, it was stopped);
- **resolve a flag kind**: the operation has no standing flag of that kind (a
  snoozed flag still stands: a snooze postpones, it does not resolve);
- **review purposes**: the purpose was reviewed after the campaign started.

Once a campaign is closed, its members' stored results are the answer.
"""

from decimal import Decimal

from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.maturity.rules import standing
from opsmaturity.operations.models import PurposeReview
from opsmaturity.operations.phases import ORDER, Phase

from .models import CampaignMember, Goal


def phases_reaching(phase):
    """The phases that meet "reach ``phase`` or beyond"."""
    phase = Phase(phase)
    if phase == Phase.RETIRE:
        return [Phase.RETIRE]
    return [p for p in ORDER[ORDER.index(phase) :] if p != Phase.RETIRE]


def live_done_q(prefix=""):
    """The goal holds now, for CampaignMember rows (``prefix`` leads to one from
    another model, e.g. ``"members__"``)."""
    campaign = f"{prefix}campaign__"
    operation_ref = OuterRef(f"{prefix}operation_id")
    by_phase = [
        Q(**{f"{campaign}goal": Goal.PHASE, f"{campaign}goal_phase": phase})
        & Q(**{f"{prefix}operation__phase__in": phases_reaching(phase)})
        for phase in Phase.values
    ]
    flag_standing = Flag.objects.open().filter(standing(), operation_id=operation_ref)
    by_flag = Q(**{f"{campaign}goal": Goal.FLAG}) & ~Exists(
        flag_standing.filter(kind=OuterRef(f"{prefix}campaign__goal_flag"))
    )
    reviewed = PurposeReview.objects.filter(
        operation_id=operation_ref, at__gte=OuterRef(f"{prefix}campaign__started_at")
    )
    by_review = Q(**{f"{campaign}goal": Goal.REVIEW}) & Exists(reviewed)
    q = by_flag | by_review
    for part in by_phase:
        q |= part
    return q


def done_q(prefix=""):
    """Done: the stored result of a closed campaign, or the goal holding now."""
    closed = Q(**{f"{prefix}campaign__closed_at__isnull": False})
    return (closed & Q(**{f"{prefix}result_done": True})) | (~closed & live_done_q(prefix))


def with_done(members):
    """Annotate each CampaignMember with ``done`` (a boolean computed in SQL)."""
    return members.annotate(done=ExpressionWrapper(done_q(), output_field=BooleanField()))


def current_members(campaign_or_ids=None):
    members = CampaignMember.objects.filter(removed_at__isnull=True)
    if campaign_or_ids is None:
        return members
    if isinstance(campaign_or_ids, list | tuple | set):
        return members.filter(campaign_id__in=campaign_or_ids)
    return members.filter(campaign=campaign_or_ids)


ZERO = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


def counts(campaign_ids):
    """{campaign id: {done, total, cost_done, cost_total}} in one query."""
    rows = (
        current_members(campaign_ids)
        .order_by()
        .values("campaign_id")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=done_q()),
            cost_total=Coalesce(Sum("operation__monthly_cost"), ZERO),
            cost_done=Coalesce(Sum("operation__monthly_cost", filter=done_q()), ZERO),
        )
    )
    empty = {"done": 0, "total": 0, "cost_done": Decimal(0), "cost_total": Decimal(0)}
    result = {pk: dict(empty) for pk in campaign_ids}
    for row in rows:
        result[row["campaign_id"]] = {
            key: row[key] for key in ("done", "total", "cost_done", "cost_total")
        }
    return result


def goal_text(campaign):
    if campaign.goal == Goal.PHASE and campaign.goal_phase:
        phase = Phase(campaign.goal_phase)
        if phase == Phase.RETIRE:
            return _("retired")
        if phase == Phase.COST_OPTIMIZE:
            return _("in %(phase)s") % {"phase": phase.label}
        return _("%(phase)s or beyond") % {"phase": phase.label}
    if campaign.goal == Goal.FLAG and campaign.goal_flag:
        try:
            label = FlagKind(campaign.goal_flag).label
        except ValueError:
            label = campaign.goal_flag
        return _("no flag “%(kind)s”") % {"kind": label}
    return _("purpose reviewed")


def campaigns_of(operation):
    """The campaigns an operation is in, each membership with ``done``: one query."""
    members = with_done(current_members().filter(operation=operation))
    return list(
        members.select_related("campaign").order_by(
            "campaign__closed_at", "campaign__deadline", "pk"
        )
    )
