"""The exit criteria of a phase: which are met, asked in one place.

A criterion with a key (``models.CriterionKey``) is answered by the operation's own
data, defined once below; nobody ticks it by hand, and a tick on it counts for nothing.
Any other criterion is met by a current tick (``CriterionCheck``). Everything that asks
whether an operation may move on counts here, and so counts the same way: the checklist
of the operation's page and of the move page, ``services.move_phase``, the batch moves
(``services.move_phases``: an import) and the import's preview (``transfer.plan``).

Each answer reads the operation as loaded, through the facts the method's rules and the
purpose check already define (``maturity.rules``, ``operations.purposes``), so that a
checklist never says "runbook linked" while a flag says "no runbook". No answer queries
anything, except a performer count when none came with the operation (an annotation,
``rules.with_performer_count``, or prefetched performers).
"""

import copy
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opsmaturity.lib.clock import today
from opsmaturity.lib.formatting import grouped, whole_amount
from opsmaturity.lib.people import display_name
from opsmaturity.maturity.rules import OWNER_LEFT, PERSON_DEPENDENT, UNJUSTIFIED

from . import purposes
from .models import CriterionCheck, CriterionKey, PhaseCriterion


class DataAnswer:
    """What the data says about one criterion: met or not, and why, in the reader's
    language; where the data is changed (``fix``)."""

    key = None
    fix = "operations:edit"
    # The checklist offers to give the missing value right there (the runbook's link).
    asks_link = False

    def holds(self, operation, on):
        raise NotImplementedError

    def says(self, operation, on, met):
        raise NotImplementedError


class PurposeWritten(DataAnswer):
    key = CriterionKey.PURPOSE

    def holds(self, operation, on):
        if UNJUSTIFIED.facts_of(operation)["no_purpose"]:
            return False
        return not purposes.is_only_tradition(operation.purpose)

    def says(self, operation, on, met):
        if met:
            return _("purpose written")
        if operation.purpose:
            return _("the purpose only says that it has always been done")
        return _("no purpose written")


class OwnerNamed(DataAnswer):
    key = CriterionKey.OWNER

    def holds(self, operation, on):
        return operation.owner_id is not None and operation.owner.is_active

    def says(self, operation, on, met):
        if operation.owner_id is None:
            return _("nobody owns it")
        name = display_name(operation.owner)
        if met:
            return _("owned by %(name)s") % {"name": name}
        return OWNER_LEFT.describe({"owner": name}, on)


class VolumeMeasured(DataAnswer):
    key = CriterionKey.VOLUME

    def holds(self, operation, on):
        return (operation.monthly_volume or 0) > 0

    def says(self, operation, on, met):
        if met:
            return _("%(volume)s times a month") % {"volume": grouped(operation.monthly_volume)}
        return _("no monthly volume entered")


class RunbookLinked(DataAnswer):
    key = CriterionKey.RUNBOOK
    asks_link = True

    def holds(self, operation, on):
        # The person-dependent rule's fact ("runbook"): a checklist and a flag never
        # disagree.
        return bool(operation.runbook_url)

    def says(self, operation, on, met):
        return _("runbook linked") if met else _("no runbook linked")


class PerformersEnough(DataAnswer):
    key = CriterionKey.PERFORMERS

    def count(self, operation):
        return PERSON_DEPENDENT.facts_of(operation)["performers"] or 0

    def holds(self, operation, on):
        return self.count(operation) >= settings.OPS_MIN_PERFORMERS

    def says(self, operation, on, met):
        count = self.count(operation)
        if met:
            return ngettext("%(count)d performer listed", "%(count)d performers listed", count) % {
                "count": count
            }
        return ngettext(
            "%(count)d performer listed, %(min)d needed",
            "%(count)d performers listed, %(min)d needed",
            count,
        ) % {"count": count, "min": settings.OPS_MIN_PERFORMERS}


class CostValueMeasured(DataAnswer):
    key = CriterionKey.COST_VALUE

    def holds(self, operation, on):
        return (operation.monthly_cost or 0) > 0 and (operation.monthly_value or 0) > 0

    def says(self, operation, on, met):
        if met:
            return _("cost %(cost)s and value %(value)s a month") % {
                "cost": whole_amount(operation.monthly_cost),
                "value": whole_amount(operation.monthly_value),
            }
        return _("monthly cost or value not entered")


class PurposeReviewed(DataAnswer):
    """Reviewed, and the rule "purpose does not justify cost" does not hold."""

    key = CriterionKey.REVIEWED
    fix = "operations:review"

    def holds(self, operation, on):
        facts = UNJUSTIFIED.facts_of(operation)
        return bool(facts["reviewed"]) and not UNJUSTIFIED.condition(facts, on)

    def says(self, operation, on, met):
        facts = UNJUSTIFIED.facts_of(operation)
        if met:
            day = formats.date_format(dt.date.fromisoformat(facts["reviewed"]), "DATE_FORMAT")
            return _("purpose reviewed on %(date)s; its value covers its cost") % {"date": day}
        if not facts["reviewed"]:
            return _("purpose not reviewed yet")
        return UNJUSTIFIED.describe(facts, on)


ANSWERS = {
    answer.key: answer
    for answer in (
        PurposeWritten(),
        OwnerNamed(),
        VolumeMeasured(),
        RunbookLinked(),
        PerformersEnough(),
        CostValueMeasured(),
        PurposeReviewed(),
    )
}


def data_answer(criterion):
    """The data's answer to a criterion, or None for one that people tick."""
    return ANSWERS.get(criterion.key) if criterion.key else None


def is_met(criterion, operation, ticked, on=None):
    """Whether the operation meets the criterion: by its data, or by a current tick
    (``ticked``: the ids of the criteria ticked for it)."""
    answer = data_answer(criterion)
    if answer is not None:
        return answer.holds(operation, on or today())
    return criterion.pk in ticked


# --- for one operation ------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of a checklist."""

    criterion: PhaseCriterion
    check: CriterionCheck | None  # the current tick of a criterion ticked by hand
    met: bool
    from_data: bool
    says: str = ""  # what the data says, for one it answers
    fix_url: str = ""  # where that data is changed
    asks_link: bool = False


def phase_criteria(phase):
    return list(PhaseCriterion.objects.filter(phase=phase, is_active=True))


def checklist(operation, on=None):
    """The active exit criteria of the operation's phase, each answered: two queries
    (the criteria, the current ticks), and a performer count unless it came loaded."""
    on = on or today()
    criteria = phase_criteria(operation.phase)
    operation = _counted(operation, criteria)
    checks = {
        c.criterion_id: c
        for c in CriterionCheck.objects.current()
        .filter(operation=operation, criterion__phase=operation.phase)
        .select_related("checked_by__profile")
    }
    items = []
    for criterion in criteria:
        answer = data_answer(criterion)
        if answer is None:
            check = checks.get(criterion.pk)
            items.append(Item(criterion, check, met=check is not None, from_data=False))
            continue
        met = answer.holds(operation, on)
        items.append(
            Item(
                criterion,
                None,
                met=met,
                from_data=True,
                says=answer.says(operation, on, met),
                fix_url=reverse(answer.fix, args=[operation.pk]),
                asks_link=answer.asks_link and not met,
            )
        )
    return items


def unmet_count(operation, on=None):
    """How many active exit criteria of its phase the operation does not meet."""
    criteria = phase_criteria(operation.phase)
    ticked = ticked_criteria([operation.pk]).get(operation.pk, set())
    return unmet_of(_counted(operation, criteria), criteria, ticked, on)


def _counted(operation, criteria):
    """The operation with its performers counted once when a criterion asks (a copy:
    the caller's is left as it is), unless they came counted or loaded."""
    if not any(c.key == CriterionKey.PERFORMERS for c in criteria):
        return operation
    cache = getattr(operation, "_prefetched_objects_cache", {})
    if getattr(operation, "performer_count", None) is not None or "performers" in cache:
        return operation
    counted = copy.copy(operation)
    counted.performer_count = PERSON_DEPENDENT.facts_of(operation)["performers"]
    return counted


# --- for many (a batch of moves, an import's preview) ------------------------------------


def active_criteria():
    """{phase: [criterion, …]}: every active criterion, in one query."""
    by_phase = {}
    for criterion in PhaseCriterion.objects.filter(is_active=True):
        by_phase.setdefault(criterion.phase, []).append(criterion)
    return by_phase


def ticked_criteria(operation_ids):
    """{operation id: {criterion id, …}}: the current ticks, in one query."""
    ticked = {}
    for op_id, criterion_id in (
        CriterionCheck.objects.current()
        .filter(operation_id__in=list(operation_ids))
        .values_list("operation_id", "criterion_id")
    ):
        ticked.setdefault(op_id, set()).add(criterion_id)
    return ticked


def unmet_of(operation, criteria, ticked, on=None):
    """How many of ``criteria`` (its phase's) the operation does not meet."""
    on = on or today()
    return sum(1 for criterion in criteria if not is_met(criterion, operation, ticked, on))
