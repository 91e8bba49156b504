"""The campaigns' part of the weekly digest, in a constant number of queries.

- a manager (or an owning manager) gets each open campaign of their teams: done /
  total and the forecast sentence;
- an owner gets their operations that are in open campaigns and not done yet,
  with the deadline; those whose deadline is within ``OPS_CAMPAIGN_REMIND_DAYS``
  come first, as a reminder.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from opsmaturity.lib.urls import absolute
from opsmaturity.operations.phases import Phase
from opsmaturity.teams import access

from . import pages, progress


@dataclass
class CampaignPart:
    managed: list = field(default_factory=list)  # pages.overview rows
    mine: list = field(default_factory=list)  # CampaignMember, not done, open campaign
    remind_days: int = 14
    list_url: str = ""

    @property
    def reminders(self):
        return [m for m in self.mine if m.days_left <= self.remind_days]

    @property
    def has_news(self):
        return bool(self.managed or self.mine)


def campaign_part(user, on):
    managed_ids = access.managed_team_ids(user)
    campaigns = (
        pages.campaigns_with_teams()
        .filter(closed_at__isnull=True)
        .filter(Q(owner=user) | Q(teams__in=managed_ids))
        .distinct()
        .order_by("deadline", "pk")
    )
    managed = pages.overview(campaigns, on)
    for row in managed:
        row["url"] = absolute(row["campaign"].get_absolute_url())
    mine = list(
        progress.with_done(progress.current_members())
        .filter(campaign__closed_at__isnull=True, operation__owner=user, done=False)
        # a retired operation needs nothing more from its owner, unless retiring is the goal
        .exclude(Q(operation__phase=Phase.RETIRE) & ~Q(campaign__goal_phase=Phase.RETIRE))
        .select_related("campaign", "operation__team")
        .order_by("campaign__deadline", "operation__name")
    )
    for member in mine:
        member.days_left = (member.campaign.deadline - on).days
        member.url = absolute(member.operation.get_absolute_url())
    remind = settings.OPS_CAMPAIGN_REMIND_DAYS
    mine.sort(key=lambda m: (m.days_left > remind, m.days_left, m.operation.name))
    return CampaignPart(
        managed=managed,
        mine=mine,
        remind_days=remind,
        list_url=absolute(reverse("campaigns:list")),
    )
