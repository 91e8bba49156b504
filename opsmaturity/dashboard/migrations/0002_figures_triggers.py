"""Triggers that mark a team's kept figures stale (dashboard/models.py, figures.py).

Whatever writes (a form, an import, the scan, the admin, raw SQL), a statement that
changes what a team's figures count leaves one ``dashboard_figureschange`` row per
team it touched. PostgreSQL: statement-level triggers over the transition tables
(one INSERT … SELECT DISTINCT per statement, however many rows). SQLite, which has
row-level triggers only: one row per team, not repeated (its writers are serial).
An UPDATE marks a team only when a counted column changed (an edited name does not).
"""

from django.db import migrations

# (table, team column or how to reach it, counted columns)
WATCHED = (
    ("operations_operation", "team_id", ("team_id", "phase", "monthly_cost")),
    (
        "maturity_flag",
        None,  # through its operation
        ("operation_id", "kind", "resolved_at", "snoozed_until", "snooze_requested"),
    ),
    (
        "operations_phasetransition",
        "team_id",
        ("team_id", "operation_id", "from_phase", "to_phase"),
    ),
)
LOG = "dashboard_figureschange"


def _pg_teams(rows, team_column):
    """The teams of ``rows`` (a transition table, or a subquery in parentheses)."""
    if team_column:
        return f"SELECT r.{team_column} AS team_id FROM {rows} r"
    return f"SELECT o.team_id FROM {rows} r JOIN operations_operation o ON o.id = r.operation_id"


def _postgresql(table, team_column, columns):
    name = f"ops_figures_{table}"
    new = ", ".join(f"n.{c}" for c in columns)
    old = ", ".join(f"o.{c}" for c in columns)
    changed = (
        f"SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE ({new}) IS DISTINCT FROM ({old})"
    )
    changed_old = (
        f"SELECT o.* FROM new_rows n JOIN old_rows o ON o.id = n.id "
        f"WHERE ({new}) IS DISTINCT FROM ({old})"
    )
    sql = [
        f"""
        CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            INSERT INTO {LOG} (team_id) SELECT DISTINCT team_id FROM ({_pg_teams("new_rows", team_column)}) t;
          ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO {LOG} (team_id) SELECT DISTINCT team_id FROM ({_pg_teams("old_rows", team_column)}) t;
          ELSE
            INSERT INTO {LOG} (team_id) SELECT DISTINCT team_id FROM (
              {_pg_teams(f"({changed})", team_column)}
              UNION ALL
              {_pg_teams(f"({changed_old})", team_column)}
            ) t;
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
    drop = [f"DROP FUNCTION IF EXISTS {name}() CASCADE"]
    return sql, drop


def _sqlite_mark(row, team_column):
    team = (
        f"{row}.{team_column}"
        if team_column
        else (f"(SELECT team_id FROM operations_operation WHERE id = {row}.operation_id)")
    )
    return (
        f"INSERT INTO {LOG} (team_id) SELECT {team} WHERE {team} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {LOG} WHERE team_id = {team});"
    )


def _sqlite(table, team_column, columns):
    name = f"ops_figures_{table}"
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    sql = [
        f"CREATE TRIGGER {name}_ins AFTER INSERT ON {table} BEGIN "
        f"{_sqlite_mark('NEW', team_column)} END",
        f"CREATE TRIGGER {name}_upd AFTER UPDATE ON {table} WHEN {changed} BEGIN "
        f"{_sqlite_mark('NEW', team_column)} {_sqlite_mark('OLD', team_column)} END",
        # BEFORE: a flag's operation is still there to name its team.
        f"CREATE TRIGGER {name}_del BEFORE DELETE ON {table} BEGIN "
        f"{_sqlite_mark('OLD', team_column)} END",
    ]
    drop = [f"DROP TRIGGER IF EXISTS {name}_{s}" for s in ("ins", "upd", "del")]
    return sql, drop


def _statements(vendor, which):
    build = {"postgresql": _postgresql, "sqlite": _sqlite}.get(vendor)
    if build is None:
        raise RuntimeError(f"team figures need PostgreSQL or SQLite, not {vendor}")
    out = []
    for table, team_column, columns in WATCHED:
        create, drop = build(table, team_column, columns)
        out.extend(create if which == "create" else drop)
    return out


def create_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor, "create"):
        schema_editor.execute(sql)
    # Every team's figures are computed at the first refresh.
    schema_editor.execute(f"INSERT INTO {LOG} (team_id) SELECT id FROM teams_team")


def drop_triggers(apps, schema_editor):
    for sql in _statements(schema_editor.connection.vendor, "drop"):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_team_figures"),
        ("operations", "0014_link_default_criteria"),
        ("maturity", "0005_flag_owner_left"),
        ("teams", "0002_archive_and_changes"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
