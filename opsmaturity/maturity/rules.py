"""The method's rules, each defined once.

Every rule is written twice over the same definition: as a queryset filter (for
the scan, the dashboard, the lists and the digest, which work on sets) and as a
predicate on one operation that also says why (for a page about one
operation). ``tests/maturity/test_rules.py`` proves the two always agree.

Days are local calendar days in the installation's time zone: an operation that
entered launch on 1 March has been in launch 60 days on 30 April, whatever the
hour.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import F, Func, IntegerField, OuterRef, Q, Subquery
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from opsmaturity.lib.clock import day_start, days_since, today
from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import PAST_LAUNCH, WORKING_PHASES, Phase

from .models import FlagKind


@dataclass(frozen=True)
class Finding:
    """A rule that holds for one operation, and why."""

    kind: str
    reason: str
    facts: dict = field(default_factory=dict)


def _money(amount):
    return number_format(Decimal(amount), decimal_pos=0, force_grouping=True)


class _CountRows(Func):
    """COUNT(*) as a plain function: a subquery counting one operation's rows needs
    no GROUP BY, and reads only the index (the scan counts for 60,000 operations)."""

    template = "COUNT(*)"
    output_field = IntegerField()


def with_performer_count(queryset):
    """Annotate ``performer_count`` with one subquery, not a join that multiplies rows."""
    through = Operation.performers.through
    counts = (
        through.objects.filter(operation_id=OuterRef("pk"))
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
            return len(cache["performers"])
        return operation.performers.count()
    return count


class Rule:
    kind = None
    # The phases in which the rule can hold; its filter and check test this first.
    phases = ()

    def filter(self, queryset=None, on=None):
        """The operations for which the rule holds."""
        queryset = Operation.objects.all() if queryset is None else queryset
        return queryset.filter(self.q(on or today()))

    def q(self, on):
        raise NotImplementedError

    def check(self, operation, on=None):
        """A Finding when the rule holds for this operation, else None."""
        raise NotImplementedError

    def holds(self, operation, on=None):
        return self.check(operation, on) is not None


class StalledInLaunch(Rule):
    """In launch for more than OPS_STALL_DAYS days."""

    kind = FlagKind.STALLED
    phases = (Phase.LAUNCH,)

    def q(self, on):
        limit = day_start(on - timedelta(days=settings.OPS_STALL_DAYS))
        return Q(phase__in=self.phases, phase_entered_at__lt=limit)

    def check(self, operation, on=None):
        if operation.phase not in self.phases:
            return None
        days = days_since(operation.phase_entered_at, on)
        if days <= settings.OPS_STALL_DAYS:
            return None
        overdue = days - settings.OPS_STALL_DAYS
        return Finding(
            self.kind,
            _("in launch for %(days)d days, %(overdue)d past the %(limit)d-day limit")
            % {"days": days, "overdue": overdue, "limit": settings.OPS_STALL_DAYS},
            {"days": days, "overdue": overdue},
        )


class LaunchDueSoon(Rule):
    """In launch between OPS_STALL_WARN_DAYS and OPS_STALL_DAYS days, both included."""

    kind = FlagKind.DUE_SOON
    phases = (Phase.LAUNCH,)

    def q(self, on):
        oldest = day_start(on - timedelta(days=settings.OPS_STALL_DAYS))
        newest = day_start(on - timedelta(days=settings.OPS_STALL_WARN_DAYS - 1))
        return Q(phase__in=self.phases, phase_entered_at__gte=oldest, phase_entered_at__lt=newest)

    def check(self, operation, on=None):
        if operation.phase not in self.phases:
            return None
        days = days_since(operation.phase_entered_at, on)
        if not settings.OPS_STALL_WARN_DAYS <= days <= settings.OPS_STALL_DAYS:
            return None
        left = settings.OPS_STALL_DAYS - days
        return Finding(
            self.kind,
            ngettext(
                "in launch for %(days)d days: standardize within %(left)d day",
                "in launch for %(days)d days: standardize within %(left)d days",
                left,
            )
            % {"days": days, "left": left},
            {"days": days, "left": left},
        )


class PurposeDoesNotJustifyCost(Rule):
    """Value below cost, purpose not reviewed for OPS_PURPOSE_REVIEW_DAYS, or no purpose.

    A purpose never reviewed counts from the day the operation was recorded, when
    its purpose was first written.
    """

    kind = FlagKind.UNJUSTIFIED
    phases = WORKING_PHASES

    def q(self, on):
        limit = day_start(on - timedelta(days=settings.OPS_PURPOSE_REVIEW_DAYS))
        return Q(phase__in=self.phases) & (
            Q(monthly_value__lt=F("monthly_cost"))
            | Q(purpose_reviewed_at__lt=limit)
            | Q(purpose_reviewed_at__isnull=True, created_at__lt=limit)
            | Q(purpose="")
        )

    def check(self, operation, on=None):
        if operation.phase not in self.phases:
            return None
        reasons, facts = [], {}
        if operation.purpose == "":  # saved stripped: white space alone is ""
            reasons.append(_("no purpose written"))
            facts["no_purpose"] = True
        if operation.monthly_value < operation.monthly_cost:
            reasons.append(
                _("value %(value)s < cost %(cost)s")
                % {"value": _money(operation.monthly_value), "cost": _money(operation.monthly_cost)}
            )
            facts["shortfall"] = str(operation.monthly_cost - operation.monthly_value)
        reviewed = operation.purpose_reviewed_at or operation.created_at
        days = days_since(reviewed, on)
        if days > settings.OPS_PURPOSE_REVIEW_DAYS:
            if operation.purpose_reviewed_at is None:
                reasons.append(_("purpose never reviewed in %(days)d days") % {"days": days})
            else:
                reasons.append(_("purpose last reviewed %(days)d days ago") % {"days": days})
            facts["review_days"] = days
        if not reasons:
            return None
        return Finding(self.kind, "; ".join(reasons), facts)


class PersonDependent(Rule):
    """Past launch, not retired, with fewer than OPS_MIN_PERFORMERS performers or no runbook."""

    kind = FlagKind.PERSON_DEPENDENT
    phases = PAST_LAUNCH

    def filter(self, queryset=None, on=None):
        queryset = Operation.objects.all() if queryset is None else queryset
        return with_performer_count(queryset).filter(self.q(on or today()))

    def q(self, on):
        return Q(phase__in=self.phases) & (
            # the cheap test first: the count is a subquery per operation
            Q(runbook_url="") | Q(performer_count__lt=settings.OPS_MIN_PERFORMERS)
        )

    def check(self, operation, on=None):
        if operation.phase not in self.phases:
            return None
        reasons = []
        count = _performer_count(operation)
        if count < settings.OPS_MIN_PERFORMERS:
            reasons.append(
                ngettext("%(count)d performer", "%(count)d performers", count) % {"count": count}
            )
        if not operation.runbook_url:
            reasons.append(_("no runbook"))
        if not reasons:
            return None
        return Finding(self.kind, ", ".join(reasons), {"performers": count})


STALLED = StalledInLaunch()
DUE_SOON = LaunchDueSoon()
UNJUSTIFIED = PurposeDoesNotJustifyCost()
PERSON_DEPENDENT = PersonDependent()
ALL_RULES = (STALLED, DUE_SOON, UNJUSTIFIED, PERSON_DEPENDENT)
RULES_BY_KIND = {rule.kind: rule for rule in ALL_RULES}


def standing():
    """The open flags that can still be true: their operation is in a phase where
    their rule applies. A move rescans the operation at once; until that is done
    (or if it failed, until the next scan) a flag left behind is not shown or counted.
    Retired operations are in no rule's phases."""
    return reduce(or_, (Q(kind=rule.kind, operation__phase__in=rule.phases) for rule in ALL_RULES))


def stands(flag):
    """standing() for one flag whose operation is loaded."""
    return flag.operation.phase in RULES_BY_KIND[flag.kind].phases


def reason_of(flag):
    """Why a flag is open, in the active language.

    The scan stores each reason in the installation's language (settings.
    LANGUAGE_CODE); a reader in that language gets it as stored. A reader in
    another language gets it worded now by the rule's own check, which reads
    the loaded operation (and its performer count: annotated or prefetched by the
    pages that list flags). When the rule no longer holds, the stored words stand.
    """
    if _language(get_language()) == _language(settings.LANGUAGE_CODE):
        return flag.detail
    finding = RULES_BY_KIND[flag.kind].check(flag.operation)
    return finding.reason if finding is not None else flag.detail


def _language(code):
    return (code or "").lower().replace("_", "-").split("-")[0]


def findings(operation, on=None):
    """Every rule that holds for one operation."""
    return [f for rule in ALL_RULES if (f := rule.check(operation, on)) is not None]


# --- Phase moves ---------------------------------------------------------------


class MoveKind:
    FORWARD = "forward"
    SKIP = "skip"
    BACKWARD = "backward"
    RETIRE = "retire"
    REINSTATE = "reinstate"


@dataclass(frozen=True)
class Move:
    """What moving from one phase to another is, and whether it needs a note."""

    from_phase: str
    to_phase: str
    kind: str
    needs_note: bool
    why_note: str = ""


class IllegalMove(ValueError):
    pass


def classify_move(from_phase, to_phase, unmet_criteria=0):
    """Classify a move, or raise IllegalMove with a message that says why.

    Forward one phase at a time needs no note unless exit criteria are unmet; a
    skip or a move backward needs one; retiring (from any phase) needs one; a
    retired operation can be reinstated, with a note.
    """
    if to_phase not in Phase.values:
        raise IllegalMove(_("“%(phase)s” is not a phase.") % {"phase": to_phase})
    source, target = Phase(from_phase), Phase(to_phase)
    if source == target:
        raise IllegalMove(_("The operation is already in %(phase)s.") % {"phase": source.label})
    if target == Phase.RETIRE:
        return Move(source, target, MoveKind.RETIRE, True, _("Say why it is no longer needed."))
    if source == Phase.RETIRE:
        return Move(source, target, MoveKind.REINSTATE, True, _("Say why it is needed again."))
    if target.position < source.position:
        return Move(source, target, MoveKind.BACKWARD, True, _("Say why it moves back."))
    if target.position > source.position + 1:
        return Move(
            source,
            target,
            MoveKind.SKIP,
            True,
            _("Skipping %(phase)s: say why it is not needed.") % {"phase": source.next.label},
        )
    if unmet_criteria:
        return Move(
            source,
            target,
            MoveKind.FORWARD,
            True,
            ngettext(
                "%(count)d exit criterion is not met: say why it can move on anyway.",
                "%(count)d exit criteria are not met: say why it can move on anyway.",
                unmet_criteria,
            )
            % {"count": unmet_criteria},
        )
    return Move(source, target, MoveKind.FORWARD, False)
