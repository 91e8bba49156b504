import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_teams(apps, schema_editor):
    """Each transition takes its operation's team, in one UPDATE."""
    Operation = apps.get_model("operations", "Operation")
    PhaseTransition = apps.get_model("operations", "PhaseTransition")
    team = Operation.objects.filter(pk=OuterRef("operation_id")).values("team_id")[:1]
    PhaseTransition.objects.update(team_id=Subquery(team))


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0005_updated_at_default"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="phasetransition",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="teams.team",
                verbose_name="team",
            ),
        ),
        migrations.RunPython(copy_teams, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="phasetransition",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="teams.team",
                verbose_name="team",
            ),
        ),
        migrations.AddIndex(
            model_name="phasetransition",
            index=models.Index(
                fields=["team", "at"],
                include=(
                    "from_phase",
                    "to_phase",
                    "operation",
                    "from_phase_entered_at",
                    "monthly_cost",
                ),
                name="transition_team_at",
            ),
        ),
    ]
