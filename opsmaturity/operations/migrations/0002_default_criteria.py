"""The exit criteria that ship with the app. Admins can edit, reorder or deactivate them.

Stored in English; marked for translation (gettext_noop) so that pages show the shipped
criteria in the reader's language (the ``translated`` filter); edited ones show as written.
"""

from django.db import migrations
from django.utils.translation import gettext_noop

DEFAULTS = {
    "launch": [
        (
            gettext_noop("Purpose written down"),
            gettext_noop(
                "Why the operation exists, so anyone can judge whether it is still needed."
            ),
        ),
        (gettext_noop("Owner named"), gettext_noop("One person answers for the operation.")),
        (
            gettext_noop("Monthly volume measured"),
            gettext_noop("How many times a month it runs, counted rather than guessed."),
        ),
        (
            gettext_noop("Manual steps listed"),
            gettext_noop("Every step done by hand today is written down, in order."),
        ),
    ],
    "standardize": [
        (
            gettext_noop("Runbook written and linked"),
            gettext_noop("A written workflow anyone on the team can follow."),
        ),
        (
            gettext_noop("Two people can run it"),
            gettext_noop("At least two performers have run it on their own."),
        ),
        (
            gettext_noop("No step needs judgement"),
            gettext_noop(
                "Decisions are written as rules; no step depends on one person's know-how."
            ),
        ),
        (
            gettext_noop("Cost and value measured"),
            gettext_noop("Monthly cost and the value it protects or creates are known."),
        ),
    ],
    "automate": [
        (
            gettext_noop("Data on a data platform"),
            gettext_noop("The operation's data is kept where tools and analyses can reach it."),
        ),
        (
            gettext_noop("Tooling in place"),
            gettext_noop("Internal tool, SaaS or machine learning chosen and running."),
        ),
        (
            gettext_noop("Human remainder identified"),
            gettext_noop("What automation cannot take is listed, with its volume."),
        ),
    ],
    "cost_optimize": [
        (
            gettext_noop("Remainder outsourced or contracted"),
            gettext_noop("The human remainder is with a partner or contracted staff."),
        ),
        (
            gettext_noop("Cost reviewed against value"),
            gettext_noop("The remaining cost is justified by the purpose."),
        ),
    ],
}


def add_defaults(apps, schema_editor):
    PhaseCriterion = apps.get_model("operations", "PhaseCriterion")
    for phase, items in DEFAULTS.items():
        for position, (label, help_text) in enumerate(items, start=1):
            PhaseCriterion.objects.get_or_create(
                phase=phase, label=label, defaults={"help_text": help_text, "position": position}
            )


def remove_defaults(apps, schema_editor):
    PhaseCriterion = apps.get_model("operations", "PhaseCriterion")
    for phase, items in DEFAULTS.items():
        PhaseCriterion.objects.filter(
            phase=phase, label__in=[label for label, _ in items], checks__isnull=True
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("operations", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
