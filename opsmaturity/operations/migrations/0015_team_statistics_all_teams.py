from django.db import migrations

TABLES = ("operations_operation", "operations_phasetransition")


def count_up_to_ten_thousand_teams(apps, schema_editor):
    """1,000 teams' frequencies (0008) were not enough at 2,000 teams: half of them
    then looked average, and so did a small team among them, whose manager's
    dashboard walked an index over every operation for its eight rows (the short
    lists and the latest moves at 1,000,000 operations: 9–12 s each instead of under
    1 ms). 10,000, PostgreSQL's most, counts every team of an organisation up to that
    size. An ANALYZE of these two tables (autovacuum's, after a tenth of a table
    changed) then samples up to 3,000,000 rows instead of 300,000."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN team_id SET STATISTICS 10000")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
            holds_rows = cursor.fetchone()[0]
        if holds_rows:  # not on an empty table (0008 says why)
            schema_editor.execute(f"ANALYZE {table}")


def back_to_a_thousand(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN team_id SET STATISTICS 1000")


class Migration(migrations.Migration):
    dependencies = [("operations", "0014_link_default_criteria")]

    operations = [migrations.RunPython(count_up_to_ten_thousand_teams, back_to_a_thousand)]
