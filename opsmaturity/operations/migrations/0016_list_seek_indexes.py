"""An index for each sort of the list, with the id that breaks its ties, so that a page
is one range of one index wherever it is (operations.pages); the value and shortfall
indexes of the dashboard become the first half of two of them.

On PostgreSQL they are built CONCURRENTLY: a million operations take a minute or so to
index, during which the table stays writable (and the migration is not one
transaction: a build that fails leaves an invalid index, which running the migration
again replaces)."""

from django.db import migrations, models


def _concurrently(schema_editor):
    return {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}


class AddIndexConcurrently(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            if schema_editor.connection.vendor == "postgresql":
                # A failed earlier run may have left an invalid index of that name.
                schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {self.index.name}")
            schema_editor.add_index(model, self.index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, **_concurrently(schema_editor))


class RemoveIndexConcurrently(migrations.RemoveIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.remove_index(model, index, **_concurrently(schema_editor))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            schema_editor.add_index(model, index, **_concurrently(schema_editor))


PHASE_POSITION = models.Case(
    models.When(phase="launch", then=models.Value(0)),
    models.When(phase="standardize", then=models.Value(1)),
    models.When(phase="automate", then=models.Value(2)),
    models.When(phase="cost_optimize", then=models.Value(3)),
    models.When(phase="retire", then=models.Value(4)),
    output_field=models.IntegerField(),
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("operations", "0015_team_statistics_all_teams"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(fields=["name", "id"], name="operation_name_id"),
        ),
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(PHASE_POSITION, models.F("id"), name="operation_phase_order_id"),
        ),
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(fields=["phase_entered_at", "id"], name="operation_entered_id"),
        ),
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(fields=["monthly_cost", "id"], name="operation_cost_id"),
        ),
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(fields=["monthly_value", "id"], name="operation_value_id"),
        ),
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(
                models.F("monthly_cost") - models.F("monthly_value"),
                models.F("id"),
                name="operation_shortfall_id",
            ),
        ),
        AddIndexConcurrently(
            model_name="operation",
            index=models.Index(fields=["updated_at", "id"], name="operation_updated_id"),
        ),
        # Served by the first half of operation_value_id and operation_shortfall_id.
        RemoveIndexConcurrently(model_name="operation", name="operation_value"),
        RemoveIndexConcurrently(model_name="operation", name="operation_shortfall"),
    ]
