"""The method's rules, each defined once, with everything the app does with it.

Each rule says, in one class:

- its **condition**, as a queryset filter (``q``/``filter``: the scan, the
  dashboard, the lists and the digest work on sets) and as a predicate over the
  rule's facts (``holds``: one operation's page); ``tests/maturity/test_rules.py``
  proves the two always agree;
- the **phases** it applies in (a flag stands while its operation is in them);
- its **facts**: the numbers behind a flag, written by the scan in SQL
  (``facts_sql``) and read from a loaded operation in Python (``facts_of``).
  They change only when the operation does (dates, not day counts), so a stored
  flag stays true to them, and the **reason** is worded from them when shown
  (``describe``), in the reader's language, counted to the reader's today;
- its **order** in the dashboard's short lists and the list's matching sort;
- its **action**: what to do about it, and where.

Days are local calendar days in the installation's time zone: an operation that
entered launch on 1 March has been in launch 60 days on 30 April, whatever the
hour. Phase moves are the method's other rules: ``moves.py``.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Trim, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from opsmaturity.lib.clock import day_start, today
from opsmaturity.lib.formatting import listing, whole_amount
from opsmaturity.lib.people import display_name
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import PAST_LAUNCH, WORKING_PHASES, Phase

from .models import FlagKind


@dataclass(frozen=True)
class Finding:
    """A rule that holds for one operation: its facts, why, and the numbers shown beside."""

    kind: str
    facts: dict
    reason: str
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """What to do about a flag, and the page where it is done: the operation's own,
    or the page of the object ``arg`` names (its owner's, say)."""

    label: str
    url_name: str
    arg: str = "pk"

    def url(self, operation):
        return reverse(self.url_name, args=[getattr(operation, self.arg)])


class _CountRows(Func):
    """COUNT(*) as a plain function: a subquery counting one operation's rows needs
    no GROUP BY, and reads only the index (the scan counts for 60,000 operations)."""

    template = "COUNT(*)"
    output_field = IntegerField()


def with_performer_count(queryset, grouped=False):
    """Annotate ``performer_count``: how many of the operation's performers are still here.

    Two ways to count the same thing. By default a subquery per operation, which
    keeps the rows as they are (a page of the list, one operation). ``grouped``
    counts over a join of the performers grouped by operation, reading the
    performers once in one pass: the scan over every operation (at 1,000,000
    operations the rule's operations were found in 33 s with a subquery per
    operation, in 9 s grouped). The queryset must not join the performers already.
    """
    if grouped:
        # Only people still here: a performer who left runs nothing any more.
        active = Q(performers__is_active=True)
        return queryset.annotate(performer_count=Count("performers", filter=active))
    through = Operation.performers.through
    counts = (
        # Only people still here: a performer who left runs nothing any more.
        through.objects.filter(operation_id=OuterRef("pk"), user__is_active=True)
        .order_by()
        .annotate(n=_CountRows())
        .values("n")
    )
    return queryset.annotate(performer_count=Subquery(counts, output_field=IntegerField()))


def _performer_count(operation):
    count = getattr(operation, "performer_count", None)
    if count is None:
        cache = getattr(operation, "_prefetched_objects_cache", {})
        if "performers" in cache:
            return sum(1 for person in cache["performers"] if person.is_active)
        return operation.performers.filter(is_active=True).count()
    return count


def _local_date_sql(name):
    """A moment's local calendar date, as text (YYYY-MM-DD), in SQL."""
    return Cast(TruncDate(name, tzinfo=timezone.get_current_timezone()), CharField())


def _local_date(moment):
    return timezone.localdate(moment).isoformat() if moment else None


def _date(text):
    """A stored day, or None for none (or for one Python cannot read, such as a day
    before year 1 that the database can hold: the flag then counts no days)."""
    try:
        return dt.date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def _amount(text):
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)


class Rule:
    kind = None
    # The phases in which the rule can hold; its filter and check test this first.
    phases = ()
    headline = ""  # how the dashboard's tile names the operations it holds for
    tone = "warn"  # "bad" or "warn": how loudly the dashboard shows a count above zero
    action = None
    # The dashboard's short list (on Flag), and the operations list's sort that
    # shows the same operations in the same order.
    order_by = ("operation__phase_entered_at", "pk")
    list_sort = "since"

    def short_list_start(self, on):
        """Where in ``order_by`` the short list of the flags that still hold on ``on``
        begins, as a filter on Flag (None: at the start). The list then reads from
        there instead of past every operation before it."""
        return None

    @property
    def label(self):
        return FlagKind(self.kind).label

    def filter(self, queryset=None, on=None, many=False):
        """The operations for which the rule holds.

        ``many``: the queryset stands for many operations, as in the scan; what the
        rule counts is then counted in one pass over them (``annotate``).
        """
        queryset = Operation.objects.all() if queryset is None else queryset
        return self.annotate(queryset, many=many).filter(self.q(on or today()))

    def annotate(self, queryset, many=False):
        """The queryset with what ``q`` and ``facts_sql`` read beyond the operation's
        own columns and joins (nothing, unless a rule counts something)."""
        return queryset

    def q(self, on):
        """The condition, over the rows of ``annotate``."""
        raise NotImplementedError

    def facts_sql(self):
        """{name: SQL expression} over the rows of ``annotate()``: what the scan stores."""
        raise NotImplementedError

    def facts_of(self, operation):
        """The same facts, from a loaded operation."""
        raise NotImplementedError

    def condition(self, facts, on):
        """The rule's condition over its facts (the phase apart)."""
        raise NotImplementedError

    def describe(self, facts, on):
        """Why the rule holds, in the active language."""
        raise NotImplementedError

    def details(self, facts, on):
        """The numbers shown beside the reason (days overdue, days left…)."""
        return {}

    def check(self, operation, on=None):
        """A Finding when the rule holds for this operation, else None."""
        if operation.phase not in self.phases:
            return None
        on = on or today()
        facts = self.facts_of(operation)
        if not self.condition(facts, on):
            return None
        return Finding(self.kind, facts, self.describe(facts, on), self.details(facts, on))

    def holds(self, operation, on=None):
        return self.check(operation, on) is not None


class _InLaunch(Rule):
    """What the two launch rules share: their fact is the day launch began."""

    phases = (Phase.LAUNCH,)
    action = Action(gettext_lazy("Move it to standardize"), "operations:move")

    def facts_sql(self):
        return {"since": _local_date_sql("phase_entered_at")}

    def facts_of(self, operation):
        return {"since": _local_date(operation.phase_entered_at)}

    def days(self, facts, on):
        since = _date(facts.get("since"))
        return (on - since).days if since else 0


class StalledInLaunch(_InLaunch):
    """In launch for more than OPS_STALL_DAYS days."""

    kind = FlagKind.STALLED
    headline = gettext_lazy("stalled in launch")
    tone = "bad"
    action = Action(gettext_lazy("Standardize it, or retire it"), "operations:move")

    def q(self, on):
        limit = day_start(on - dt.timedelta(days=settings.OPS_STALL_DAYS))
        return Q(phase__in=self.phases, phase_entered_at__lt=limit)

    def condition(self, facts, on):
        return self.days(facts, on) > settings.OPS_STALL_DAYS

    def details(self, facts, on):
        days = self.days(facts, on)
        return {"days": days, "overdue": days - settings.OPS_STALL_DAYS}

    def describe(self, facts, on):
        return _("in launch for %(days)d days, %(overdue)d past the %(limit)d-day limit") % {
            **self.details(facts, on),
            "limit": settings.OPS_STALL_DAYS,
        }


class LaunchDueSoon(_InLaunch):
    """In launch between OPS_STALL_WARN_DAYS and OPS_STALL_DAYS days, both included."""

    kind = FlagKind.DUE_SOON
    headline = gettext_lazy("launch due soon")

    def q(self, on):
        oldest = day_start(on - dt.timedelta(days=settings.OPS_STALL_DAYS))
        newest = day_start(on - dt.timedelta(days=settings.OPS_STALL_WARN_DAYS - 1))
        return Q(phase__in=self.phases, phase_entered_at__gte=oldest, phase_entered_at__lt=newest)

    def short_list_start(self, on):
        # Past the stalled ones: a flag whose operation crossed the limit since the
        # last scan is no longer due soon (the next scan makes it stalled). At
        # 1,000,000 operations the list otherwise walked 72,000 stalled ones first.
        return Q(
            operation__phase_entered_at__gte=day_start(
                on - dt.timedelta(days=settings.OPS_STALL_DAYS)
            )
        )

    def condition(self, facts, on):
        return settings.OPS_STALL_WARN_DAYS <= self.days(facts, on) <= settings.OPS_STALL_DAYS

    def details(self, facts, on):
        days = self.days(facts, on)
        left = settings.OPS_STALL_DAYS - days
        return {"days": days, "left": left, "deadline": on + dt.timedelta(days=left)}

    def describe(self, facts, on):
        details = self.details(facts, on)
        return ngettext(
            "in launch for %(days)d days: standardize within %(left)d day",
            "in launch for %(days)d days: standardize within %(left)d days",
            details["left"],
        ) % {"days": details["days"], "left": details["left"]}


class PurposeDoesNotJustifyCost(Rule):
    """Value below cost, purpose not reviewed for OPS_PURPOSE_REVIEW_DAYS, or no purpose.

    A purpose never reviewed counts from the day the operation was recorded, when
    its purpose was first written.
    """

    kind = FlagKind.UNJUSTIFIED
    phases = WORKING_PHASES
    headline = gettext_lazy("retire candidates")
    action = Action(gettext_lazy("Review its purpose"), "operations:review")
    # The biggest shortfall of value against cost first (an index of its own).
    order_by = (
        (F("operation__monthly_cost") - F("operation__monthly_value")).desc(),
        "operation__purpose_reviewed_at",
        "pk",
    )
    list_sort = "-shortfall"

    def q(self, on):
        limit = day_start(on - dt.timedelta(days=settings.OPS_PURPOSE_REVIEW_DAYS))
        return Q(phase__in=self.phases) & (
            Q(monthly_value__lt=F("monthly_cost"))
            | Q(purpose_reviewed_at__lt=limit)
            | Q(purpose_reviewed_at__isnull=True, created_at__lt=limit)
            | Q(purpose="")
        )

    def facts_sql(self):
        return {
            "no_purpose": ExpressionWrapper(Q(purpose=""), output_field=BooleanField()),
            "value": Cast("monthly_value", CharField()),
            "cost": Cast("monthly_cost", CharField()),
            "reviewed": _local_date_sql("purpose_reviewed_at"),
            "recorded": _local_date_sql("created_at"),
        }

    def facts_of(self, operation):
        return {
            "no_purpose": operation.purpose == "",  # saved stripped: white space alone is ""
            "value": str(operation.monthly_value),
            "cost": str(operation.monthly_cost),
            "reviewed": _local_date(operation.purpose_reviewed_at),
            "recorded": _local_date(operation.created_at),
        }

    def review_days(self, facts, on):
        """Days since the purpose was last reviewed, or written when never reviewed."""
        since = _date(facts.get("reviewed")) or _date(facts.get("recorded"))
        return (on - since).days if since else 0

    def condition(self, facts, on):
        return (
            bool(facts.get("no_purpose"))
            or _amount(facts.get("value")) < _amount(facts.get("cost"))
            or self.review_days(facts, on) > settings.OPS_PURPOSE_REVIEW_DAYS
        )

    def details(self, facts, on):
        days = self.review_days(facts, on)
        return {
            "review_days": days if days > settings.OPS_PURPOSE_REVIEW_DAYS else None,
            "shortfall": _amount(facts.get("cost")) - _amount(facts.get("value")),
        }

    def describe(self, facts, on):
        reasons = []
        if facts.get("no_purpose"):
            reasons.append(_("no purpose written"))
        value, cost = _amount(facts.get("value")), _amount(facts.get("cost"))
        if value < cost:
            reasons.append(
                _("value %(value)s < cost %(cost)s")
                % {"value": whole_amount(value), "cost": whole_amount(cost)}
            )
        days = self.details(facts, on)["review_days"]
        if days is not None:
            if facts.get("reviewed"):
                reasons.append(_("purpose last reviewed %(days)d days ago") % {"days": days})
            else:
                reasons.append(_("purpose never reviewed in %(days)d days") % {"days": days})
        return listing(reasons, clauses=True)


class PersonDependent(Rule):
    """Past launch, not retired, with fewer than OPS_MIN_PERFORMERS performers or no runbook."""

    kind = FlagKind.PERSON_DEPENDENT
    phases = PAST_LAUNCH
    headline = gettext_lazy("depend on one person")
    tone = "bad"
    action = Action(gettext_lazy("Add performers or a runbook"), "operations:edit")
    # The most valuable operations that hang on one person first.
    order_by = ("-operation__monthly_value", "pk")
    list_sort = "-value"

    def annotate(self, queryset, many=False):
        return with_performer_count(queryset, grouped=many)

    def q(self, on):
        return Q(phase__in=self.phases) & (
            # the cheap test first: counted by a subquery per operation, the count
            # is then skipped where there is no runbook
            Q(runbook_url="") | Q(performer_count__lt=settings.OPS_MIN_PERFORMERS)
        )

    def facts_sql(self):
        """Needs ``performer_count``, which annotate() adds."""
        return {
            "performers": F("performer_count"),
            "runbook": ExpressionWrapper(~Q(runbook_url=""), output_field=BooleanField()),
        }

    def facts_of(self, operation):
        return {"performers": _performer_count(operation), "runbook": bool(operation.runbook_url)}

    def condition(self, facts, on):
        return (facts.get("performers") or 0) < settings.OPS_MIN_PERFORMERS or not facts.get(
            "runbook"
        )

    def describe(self, facts, on):
        reasons = []
        count = facts.get("performers") or 0
        if count < settings.OPS_MIN_PERFORMERS:
            reasons.append(
                ngettext("%(count)d performer", "%(count)d performers", count) % {"count": count}
            )
        if not facts.get("runbook"):
            reasons.append(_("no runbook"))
        return listing(reasons)


class OwnerHasLeft(Rule):
    """Not retired, and its owner is deactivated (they left): nobody answers for it
    until a manager reassigns it (offboarding's reassign page, or the edit form).

    The facts are the owner's name, as it was shown when the flag was written, and
    whether they are active; the first scan of each day brings the name up to date.
    """

    kind = FlagKind.OWNER_LEFT
    phases = WORKING_PHASES
    headline = gettext_lazy("owner has left")
    tone = "bad"
    action = Action(gettext_lazy("Reassign"), "offboarding:reassign", arg="owner_id")
    # The most valuable operations without an owner first.
    order_by = ("-operation__monthly_value", "pk")
    list_sort = "-value"

    def q(self, on):
        return Q(phase__in=self.phases, owner__is_active=False)

    def facts_sql(self):
        # lib.people.display_name in SQL: the profile's display name, else the full
        # name, else the username.
        full_name = Trim(Concat("owner__first_name", Value(" "), "owner__last_name"))
        return {
            "owner": Coalesce(
                NullIf("owner__profile__display_name", Value("")),
                NullIf(full_name, Value("")),
                "owner__username",
            ),
            "active": F("owner__is_active"),
        }

    def facts_of(self, operation):
        owner = operation.owner
        try:
            owner.profile  # noqa: B018 - loaded, so that display_name reads it
        except (ObjectDoesNotExist, AttributeError):
            pass
        return {"owner": display_name(owner), "active": owner.is_active}

    def condition(self, facts, on):
        # SQLite's JSON keeps a boolean as 0 or 1: falsy either way.
        return not facts.get("active", True)

    def describe(self, facts, on):
        return _("its owner, %(name)s, has left") % {"name": facts.get("owner") or "?"}


STALLED = StalledInLaunch()
DUE_SOON = LaunchDueSoon()
UNJUSTIFIED = PurposeDoesNotJustifyCost()
PERSON_DEPENDENT = PersonDependent()
OWNER_LEFT = OwnerHasLeft()
ALL_RULES = (STALLED, DUE_SOON, UNJUSTIFIED, PERSON_DEPENDENT, OWNER_LEFT)
RULES_BY_KIND = {rule.kind: rule for rule in ALL_RULES}
# The dashboard's tiles and lists, in the method's order of urgency: an operation
# nobody answers for comes right after those stuck in launch.
DASHBOARD_ORDER = (STALLED, OWNER_LEFT, DUE_SOON, PERSON_DEPENDENT, UNJUSTIFIED)


def standing():
    """The open flags that can still be true: their operation is in a phase where
    their rule applies. A move rescans the operation at once; until that is done
    (or if it failed, until the next scan) a flag left behind is not shown or counted.
    Retired operations are in no rule's phases."""
    return reduce(or_, (Q(kind=rule.kind, operation__phase__in=rule.phases) for rule in ALL_RULES))


def stands(flag):
    """standing() for one flag whose operation is loaded."""
    return flag.operation.phase in RULES_BY_KIND[flag.kind].phases


def finding_of(flag, on=None):
    """What a flag says, from its stored facts, counted to ``on`` (today by default).

    A flag with no facts yet (opened before facts were stored, or by hand) is read
    from its loaded operation until the next scan stores them.
    """
    rule = RULES_BY_KIND[flag.kind]
    on = on or today()
    facts = flag.facts or rule.facts_of(flag.operation)
    return Finding(flag.kind, facts, rule.describe(facts, on), rule.details(facts, on))


def reason_of(flag, on=None):
    """Why a flag is open, in the active language (the reader's on a page, the
    recipient's in a digest); the kind's label when nothing more can be said."""
    return finding_of(flag, on).reason or flag.get_kind_display()


def findings(operation, on=None):
    """Every rule that holds for one operation."""
    return [f for rule in ALL_RULES if (f := rule.check(operation, on)) is not None]
