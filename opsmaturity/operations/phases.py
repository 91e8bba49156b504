"""The five maturity phases of the method, in order, with what matters in each."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    LAUNCH = "launch", _("Launch")
    STANDARDIZE = "standardize", _("Standardize")
    AUTOMATE = "automate", _("Automate")
    COST_OPTIMIZE = "cost_optimize", _("Cost-optimize")
    RETIRE = "retire", _("Retired")

    @property
    def position(self):
        return ORDER.index(self)

    @property
    def next(self):
        """The phase a forward move leads to, or None from the last working phase."""
        if self in (Phase.COST_OPTIMIZE, Phase.RETIRE):
            return None
        return ORDER[self.position + 1]

    @property
    def guidance(self):
        return GUIDANCE[self]


ORDER = [Phase.LAUNCH, Phase.STANDARDIZE, Phase.AUTOMATE, Phase.COST_OPTIMIZE, Phase.RETIRE]
WORKING_PHASES = ORDER[:-1]
PAST_LAUNCH = [Phase.STANDARDIZE, Phase.AUTOMATE, Phase.COST_OPTIMIZE]

GUIDANCE = {
    Phase.LAUNCH: _(
        "Speed: ship the customer-facing service on time. Manual work is accepted for "
        "now, but plan to standardize within about two months."
    ),
    Phase.STANDARDIZE: _(
        "Anyone can run it: a written workflow that needs no judgement, and no single "
        "person who holds the know-how."
    ),
    Phase.AUTOMATE: _(
        "Internal tools, SaaS, machine learning where it fits; put the operation's data "
        "on a data platform if it has none."
    ),
    Phase.COST_OPTIMIZE: _(
        "The human remainder that automation cannot take: outsource it or hand it to "
        "contracted staff."
    ),
    Phase.RETIRE: _("Stopped, because its purpose no longer justified its cost."),
}
