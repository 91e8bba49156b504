"""The exit criteria that ship with the app. Admins can edit, reorder or deactivate them."""

from django.db import migrations

DEFAULTS = {
    "launch": [
        (
            "Purpose written down",
            "Why the operation exists, so anyone can judge whether it is still needed.",
        ),
        ("Owner named", "One person answers for the operation."),
        ("Monthly volume measured", "How many times a month it runs, counted rather than guessed."),
        ("Manual steps listed", "Every step done by hand today is written down, in order."),
    ],
    "standardize": [
        ("Runbook written and linked", "A written workflow anyone on the team can follow."),
        ("Two people can run it", "At least two performers have run it on their own."),
        (
            "No step needs judgement",
            "Decisions are written as rules; no step depends on one person's know-how.",
        ),
        ("Cost and value measured", "Monthly cost and the value it protects or creates are known."),
    ],
    "automate": [
        (
            "Data on a data platform",
            "The operation's data is kept where tools and analyses can reach it.",
        ),
        ("Tooling in place", "Internal tool, SaaS or machine learning chosen and running."),
        ("Human remainder identified", "What automation cannot take is listed, with its volume."),
    ],
    "cost_optimize": [
        (
            "Remainder outsourced or contracted",
            "The human remainder is with a partner or contracted staff.",
        ),
        ("Cost reviewed against value", "The remaining cost is justified by the purpose."),
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
