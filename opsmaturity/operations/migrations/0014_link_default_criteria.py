"""The shipped exit criteria that the operation's own data answers get their key: a new
operation with a purpose, an owner and a volume no longer shows them as not done.

Only criteria still labelled as shipped (0002_default_criteria) are linked; one an admin
reworded may mean something else, and stays ticked by hand (the admin can link it).
"""

from django.db import migrations

KEYS = {
    ("launch", "Purpose written down"): "purpose_written",
    ("launch", "Owner named"): "owner_named",
    ("launch", "Monthly volume measured"): "volume_measured",
    ("standardize", "Runbook written and linked"): "runbook_linked",
    ("standardize", "Two people can run it"): "performers_enough",
    ("standardize", "Cost and value measured"): "cost_value_measured",
    ("cost_optimize", "Cost reviewed against value"): "purpose_reviewed",
}


def link(apps, schema_editor):
    PhaseCriterion = apps.get_model("operations", "PhaseCriterion")
    for (phase, label), key in KEYS.items():
        if PhaseCriterion.objects.filter(phase=phase, key=key).exists():
            continue
        PhaseCriterion.objects.filter(phase=phase, label=label, key="").update(key=key)


def unlink(apps, schema_editor):
    PhaseCriterion = apps.get_model("operations", "PhaseCriterion")
    PhaseCriterion.objects.filter(key__in=set(KEYS.values())).update(key="")


class Migration(migrations.Migration):
    dependencies = [("operations", "0013_criterion_key")]
    operations = [migrations.RunPython(link, unlink)]
