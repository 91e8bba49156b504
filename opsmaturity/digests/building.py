"""What one user's weekly digest says, in a constant number of queries.

Two parts, each present when it applies:

- *your operations* (an owner or performer): the open flags of the operations
  they own or perform, grouped into launch deadlines coming up, purpose
  reviews due, and the other flags, each with the reason the scan wrote;
- *your teams* (a manager): the dashboard's own figures for the teams they
  manage (``dashboard.metrics`` with the "managed" scope): operations and cost
  per phase with the change since last week, flags opened and resolved in the
  last seven days, the stalled list and the retire candidates.

Which operations a rule holds for is the scan's job (the flags); the rule
objects of ``maturity.rules`` only say here *why* and *by when* (their facts).
Nothing is sent from here: ``sending`` decides, this only describes.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.campaigns.digest import campaign_part
from opsmaturity.core.replica import reads_from_replica
from opsmaturity.dashboard import metrics
from opsmaturity.lib.clock import today
from opsmaturity.lib.formatting import listing
from opsmaturity.lib.urls import absolute
from opsmaturity.maturity import rules
from opsmaturity.maturity.models import Flag, FlagKind
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import WORKING_PHASES
from opsmaturity.organization.services import (
    learning_plans_for,
    levels_to_confirm,
    team_learning_plans,
)

# Longer lists are cut, with a link to the full list in the app.
SECTION_LIMIT = 15
ACTIVITY_DAYS = 7
# Learning plans: how many to list, and how near a target date makes one worth a digest.
LEARNING_LIMIT = 8
LEARNING_SOON_DAYS = 30
ZERO = Decimal("0")


def list_link(**params):
    """An absolute link to the operations list showing the same operations."""
    return absolute(f"{reverse('operations:list')}?{urlencode(params)}")


def rule_link(rule, **params):
    """An absolute link to the list of a rule's flags, in the rule's order."""
    return list_link(**params, flag=rule.kind, sort=rule.list_sort)


@dataclass
class Item:
    """One open flag of one operation, and what to do about it."""

    flag: Flag
    reason: str
    url: str
    action_label: str = ""
    action_url: str = ""
    deadline: dt.date | None = None
    days_left: int | None = None
    review_days: int | None = None

    @property
    def operation(self):
        return self.flag.operation


@dataclass
class Section:
    key: str
    title: str
    intro: str
    items: list
    more_url: str = ""

    @property
    def shown(self):
        return self.items[:SECTION_LIMIT]

    @property
    def hidden_count(self):
        return max(len(self.items) - SECTION_LIMIT, 0)


@dataclass
class TeamSummary:
    """A manager's week, from the dashboard's metrics over the teams they manage."""

    teams: list
    stages: list  # phase, count, cost, count_change, cost_change
    total_count: int
    total_cost: Decimal
    has_trend: bool
    activity: list  # kind, label, opened, resolved
    opened: int
    resolved: int
    counts: dict
    stalled: list
    retire_candidates: list
    dashboard_url: str
    stalled_url: str
    retire_url: str
    learning: list = field(default_factory=list)
    levels_to_confirm: int = 0
    plan_url: str = ""
    snooze_url: str = ""
    one_person: list = field(default_factory=list)
    one_person_url: str = ""
    # Operations whose owner left (maturity.rules.OWNER_LEFT), with where to reassign them.
    owner_left: list = field(default_factory=list)
    owner_left_url: str = ""

    @property
    def team_names(self):
        return listing(team.name for team in self.teams)

    @property
    def stalled_count(self):
        return self.counts[FlagKind.STALLED]

    @property
    def retire_count(self):
        return self.counts[FlagKind.UNJUSTIFIED]

    @property
    def one_person_count(self):
        return self.counts[FlagKind.PERSON_DEPENDENT]

    @property
    def one_person_hidden(self):
        return max(self.one_person_count - len(self.one_person), 0)

    @property
    def owner_left_count(self):
        return self.counts.get(FlagKind.OWNER_LEFT, 0)

    @property
    def owner_left_hidden(self):
        return max(self.owner_left_count - len(self.owner_left), 0)

    @property
    def snooze_requests(self):
        return self.counts["snooze_requested"]

    @property
    def stalled_hidden(self):
        return max(self.stalled_count - len(self.stalled), 0)

    @property
    def retire_hidden(self):
        return max(self.retire_count - len(self.retire_candidates), 0)

    @property
    def moved(self):
        return any(stage["count_change"] for stage in self.stages)

    @property
    def has_news(self):
        """Something to tell: work waiting, flags that came or went, or phases that moved."""
        return bool(
            self.stalled_count
            or self.retire_count
            or self.one_person_count
            or self.owner_left_count
            or self.opened
            or self.resolved
            or self.levels_to_confirm
            or self.snooze_requests
        ) or (self.moved)


@dataclass
class Digest:
    user: object
    period: dt.date
    as_of: dt.datetime
    sections: list = field(default_factory=list)
    teams: TeamSummary | None = None
    mine_url: str = ""
    learning: list = field(default_factory=list)
    skills_url: str = ""
    campaigns: object = None  # campaigns.digest.CampaignPart

    @property
    def learning_due(self):
        """Own learning plans whose date has passed or comes within LEARNING_SOON_DAYS."""
        soon = timezone.localdate(self.as_of) + dt.timedelta(days=LEARNING_SOON_DAYS)
        return [plan for plan in self.learning if plan.target_date <= soon]

    @property
    def operation_count(self):
        """How many of the user's own operations need them."""
        return len({item.flag.operation_id for s in self.sections for item in s.items})

    @property
    def is_manager(self):
        return self.teams is not None

    @property
    def is_empty(self):
        return (
            not self.operation_count
            and not self.learning_due
            and not (self.teams and self.teams.has_news)
            and not (self.campaigns and self.campaigns.has_news)
        )

    @property
    def subject(self):
        parts = []
        if self.operation_count:
            parts.append(
                ngettext(
                    "%(count)d operation needs you this week",
                    "%(count)d operations need you this week",
                    self.operation_count,
                )
                % {"count": self.operation_count}
            )
        if self.teams and self.teams.has_news:
            parts.append(_team_headline(self.teams, first=not parts))
        reminders = self.campaigns.reminders if self.campaigns else []
        if reminders:
            parts.append(
                ngettext(
                    "%(count)d operation is due in a campaign",
                    "%(count)d operations are due in campaigns",
                    len(reminders),
                )
                % {"count": len(reminders)}
            )
        if self.learning_due and not parts:
            parts.append(
                ngettext(
                    "%(count)d learning plan is due soon",
                    "%(count)d learning plans are due soon",
                    len(self.learning_due),
                )
                % {"count": len(self.learning_due)}
            )
        if not parts:
            return _("Nothing needs you this week")
        return " · ".join(parts)


def _team_headline(teams, first):
    news = []
    if teams.stalled_count:
        news.append(
            ngettext(
                "%(count)d stalled in launch",
                "%(count)d stalled in launch",
                teams.stalled_count,
            )
            % {"count": teams.stalled_count}
        )
    if teams.owner_left_count:
        news.append(
            ngettext(
                "%(count)d whose owner left",
                "%(count)d whose owner left",
                teams.owner_left_count,
            )
            % {"count": teams.owner_left_count}
        )
    if teams.retire_count:
        news.append(
            ngettext(
                "%(count)d retire candidate",
                "%(count)d retire candidates",
                teams.retire_count,
            )
            % {"count": teams.retire_count}
        )
    if not news:
        news.append(
            _("%(opened)d flags opened, %(resolved)d resolved")
            % {"opened": teams.opened, "resolved": teams.resolved}
        )
    label = _("Your teams") if first else _("your teams")
    return f"{label}: {', '.join(news)}"


# --- your operations ---------------------------------------------------------------


def my_operations(user):
    """The active operations a user owns or performs (a subquery, no duplicate rows)."""
    return Operation.objects.active().run_by(user)


def _item(flag, on):
    """One flag as the digest lists it: its reason, its numbers and its action, from
    the flag's rule (maturity.rules)."""
    operation = flag.operation
    rule = rules.RULES_BY_KIND[flag.kind]
    finding = rules.finding_of(flag, on)
    details = finding.details
    return Item(
        flag=flag,
        reason=finding.reason or flag.get_kind_display(),
        url=absolute(operation.get_absolute_url()),
        action_label=str(rule.action.label),
        action_url=absolute(rule.action.url(operation)),
        deadline=details.get("deadline"),
        days_left=details.get("left"),
        review_days=details.get("review_days"),
    )


def own_sections(user, on):
    """Launch deadlines, purpose reviews, other flags of the user's operations: one query."""
    flags = (
        Flag.objects.current()
        .filter(operation__in=my_operations(user))
        .select_related("operation", "operation__team")
        .order_by("operation__name", "operation_id", "kind")
    )
    deadlines, reviews, others = [], [], []
    for flag in filter(rules.stands, flags):  # standing(), on the rows already loaded
        item = _item(flag, on)
        if flag.kind == FlagKind.DUE_SOON:
            deadlines.append(item)
        elif item.review_days is not None:
            reviews.append(item)
        else:
            others.append(item)
    deadlines.sort(key=lambda i: i.days_left if i.days_left is not None else 10**6)
    reviews.sort(key=lambda i: -i.review_days)
    sections = [
        Section(
            "deadlines",
            _("Launch deadlines coming up"),
            ngettext(
                "Standardize within %(days)d day of launch: write the workflow down so that "
                "anyone can run it.",
                "Standardize within %(days)d days of launch: write the workflow down so that "
                "anyone can run it.",
                settings.OPS_STALL_DAYS,
            )
            % {"days": settings.OPS_STALL_DAYS},
            deadlines,
            rule_link(rules.DUE_SOON, scope="me"),
        ),
        Section(
            "reviews",
            _("Purpose reviews due"),
            _("Say why each one is still needed, or retire it."),
            reviews,
            rule_link(rules.UNJUSTIFIED, scope="me"),
        ),
        Section(
            "flags",
            _("Other open flags"),
            _("What the weekly scan found on the operations you own or run."),
            others,
            list_link(scope="me", flag="any"),
        ),
    ]
    return [section for section in sections if section.items]


# --- your teams ----------------------------------------------------------------------


def _activity(scope, since):
    """Flags opened and resolved since a moment, per kind: one query."""
    opened, resolved = Q(opened_at__gte=since), Q(resolved_at__gte=since)
    rows = (
        Flag.objects.filter(operation__in=scope.operations())
        .filter(opened | resolved)
        .order_by()
        .values("kind")
        .annotate(opened=Count("pk", filter=opened), resolved=Count("pk", filter=resolved))
    )
    by_kind = {r["kind"]: r for r in rows}
    return [
        {
            "kind": kind,
            "label": kind.label,
            "opened": by_kind.get(kind, {}).get("opened", 0),
            "resolved": by_kind.get(kind, {}).get("resolved", 0),
        }
        for kind in FlagKind
    ]


def team_summary(user, now):
    """The manager's part, or None for someone who manages no team."""
    scope = metrics.Scope(user, "managed", label=_("Teams I manage"))
    teams = list(scope.teams())
    if not teams:
        return None
    stages = metrics.funnel(scope)
    trend = metrics.trend(scope)
    change, cost_change = trend["change"], trend["cost_change"]
    for stage in stages:
        phase = stage["phase"]
        stage["label"] = phase.label
        stage["count_change"] = change[phase] if change else None
        stage["cost_change"] = cost_change[phase] if change else None
    activity = _activity(scope, now - dt.timedelta(days=ACTIVITY_DAYS))
    counts = metrics.flag_counts(scope)
    return TeamSummary(
        teams=teams,
        stages=stages,
        total_count=sum(s["count"] for s in stages if s["phase"] in WORKING_PHASES),
        total_cost=sum((s["cost"] for s in stages if s["phase"] in WORKING_PHASES), ZERO),
        has_trend=change is not None,
        activity=activity,
        opened=sum(a["opened"] for a in activity),
        resolved=sum(a["resolved"] for a in activity),
        counts=counts,
        stalled=metrics.flagged(scope, rules.STALLED),
        retire_candidates=metrics.flagged(scope, rules.UNJUSTIFIED),
        dashboard_url=absolute(reverse("dashboard:index")),
        stalled_url=rule_link(rules.STALLED, scope="managed"),
        retire_url=rule_link(rules.UNJUSTIFIED, scope="managed"),
        learning=list(team_learning_plans(scope.teams())[:LEARNING_LIMIT]),
        levels_to_confirm=levels_to_confirm(user).count(),
        plan_url=absolute(reverse("organization:index")),
        snooze_url=list_link(scope="managed", flag="snooze_requested"),
        one_person=metrics.flagged(scope, rules.PERSON_DEPENDENT),
        one_person_url=rule_link(rules.PERSON_DEPENDENT, scope="managed"),
        owner_left=metrics.flagged(scope, rules.OWNER_LEFT),
        owner_left_url=rule_link(rules.OWNER_LEFT, scope="managed"),
    )


def build_digest(user, period, now=None):
    """Everything one user's digest says for one period. About ten queries, whatever the data.

    Read from the replica when there is one (core/replica.py): a digest is a report.
    """
    now = now or timezone.now()
    on = today()
    with reads_from_replica():
        return Digest(
            user=user,
            period=period,
            as_of=now,
            sections=own_sections(user, on),
            teams=team_summary(user, now),
            mine_url=list_link(scope="me"),
            learning=list(learning_plans_for(user)[:LEARNING_LIMIT]),
            skills_url=absolute(reverse("organization:my_skills")),
            campaigns=campaign_part(user, on),
        )
