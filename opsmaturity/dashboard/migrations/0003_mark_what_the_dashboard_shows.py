"""Marks for everything a team's dashboard shows, not only what its figures count.

The dashboard keeps its rendered body for each version of the data it shows
(``dashboard/fragments.py``): a team's version is its last refresh, while no mark
stands against it. So the triggers of 0002 now mark a team for any change of its
operations, flags and history (a renamed operation is shown in the lists, a
transition's note in the latest moves), and two more tables mark it: the team
itself (its name is shown) and its daily snapshots (the trend). PostgreSQL still
compares each row's old and new values (the whole row now), so an UPDATE that
changes nothing marks nothing; SQLite marks on any UPDATE.
"""

import importlib

from django.db import migrations

before = importlib.import_module("opsmaturity.dashboard.migrations.0002_figures_triggers")
LOG = before.LOG

# (table, team column or None to reach it through the operation)
WATCHED = (
    ("operations_operation", "team_id"),
    ("maturity_flag", None),
    ("operations_phasetransition", "team_id"),
    ("teams_team", "id"),
    ("maturity_snapshot", "team_id"),
)


def _postgresql(table, team_column):
    name = f"ops_figures_{table}"
    changed = "FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n IS DISTINCT FROM o"

    def mark(rows):
        return (
            f"INSERT INTO {LOG} (team_id) SELECT DISTINCT team_id FROM ({rows}) t "
            "WHERE team_id IS NOT NULL;"
        )

    updated = mark(
        before._pg_teams(f"(SELECT n.* {changed})", team_column)
        + " UNION ALL "
        + before._pg_teams(f"(SELECT o.* {changed})", team_column)
    )
    return [
        f"DROP FUNCTION IF EXISTS {name}() CASCADE",
        f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            {mark(before._pg_teams("new_rows", team_column))}
          ELSIF TG_OP = 'DELETE' THEN
            {mark(before._pg_teams("old_rows", team_column))}
          ELSE
            {updated}
          END IF;
          RETURN NULL;
        END $$
        """,
        f"CREATE TRIGGER {name}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {name}_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
    ]


def _sqlite(table, team_column):
    name = f"ops_figures_{table}"
    return [
        *(f"DROP TRIGGER IF EXISTS {name}_{s}" for s in ("ins", "upd", "del")),
        f"CREATE TRIGGER {name}_ins AFTER INSERT ON {table} BEGIN "
        f"{before._sqlite_mark('NEW', team_column)} END",
        f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {table} BEGIN "
        f"{before._sqlite_mark('NEW', team_column)} {before._sqlite_mark('OLD', team_column)} END",
        # BEFORE: a flag's operation is still there to name its team.
        f"CREATE TRIGGER {name}_del BEFORE DELETE ON {table} BEGIN "
        f"{before._sqlite_mark('OLD', team_column)} END",
    ]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    build = {"postgresql": _postgresql, "sqlite": _sqlite}.get(vendor)
    if build is None:
        raise RuntimeError(f"team figures need PostgreSQL or SQLite, not {vendor}")
    for table, team_column in WATCHED:
        for sql in build(table, team_column):
            schema_editor.execute(sql)


def back_to_0002(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, _team_column in WATCHED[3:]:
        name = f"ops_figures_{table}"
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
        else:
            for s in ("ins", "upd", "del"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{s}")
    before.drop_triggers(apps, schema_editor)
    before.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0002_figures_triggers"),
        ("maturity", "0005_flag_owner_left"),
        ("teams", "0002_archive_and_changes"),
    ]

    operations = [migrations.RunPython(create_triggers, back_to_0002)]
