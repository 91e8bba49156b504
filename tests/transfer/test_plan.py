"""The preview's verdict on each row, before anything is written."""

import pytest
from django.utils import translation

from opsmaturity.operations.models import Operation
from opsmaturity.operations.phases import Phase
from opsmaturity.transfer.reading import FileRefused
from tests.operations.factories import OperationFactory
from tests.transfer.conftest import plan_of
from tests.transfer.files import csv_bytes, row, xlsx

pytestmark = pytest.mark.django_db


def test_new_rows_are_creates_and_nothing_is_written(people):
    plan = plan_of(xlsx([row(), row("Ledger close")]), people["manager"], "ops.xlsx")
    assert [r.action for r in plan.rows] == ["create", "create"]
    assert plan.errors == []
    assert not Operation.objects.exists()


def test_a_thousand_rows_with_three_bad_ones_show_exactly_those_three_cells(
    people, django_assert_max_num_queries
):
    rows = [row(f"Operation {i}") for i in range(1000)]
    rows[10]["owner"] = "nobody@example.com"
    rows[500]["monthly_cost"] = "12x"
    rows[999]["phase_since"] = "sometime"
    data = csv_bytes(rows)
    with django_assert_max_num_queries(12):
        plan = plan_of(data, people["manager"])
    assert [(n, key) for n, key, _m in plan.errors] == [
        (12, "owner"),
        (502, "monthly_cost"),
        (1001, "phase_since"),
    ]
    assert "No person with the address nobody@example.com" in plan.errors[0][2]
    assert plan.counts == {"create": 997, "update": 0, "unchanged": 0, "error": 3}


def test_errors_are_worded_in_the_readers_language(people):
    data = csv_bytes([row(owner="nobody@example.com")])
    with translation.override("ja"):
        plan = plan_of(data, people["manager"])
    assert "nobody@example.com" in plan.errors[0][2]
    assert "No person" not in plan.errors[0][2]


def test_missing_required_headers_are_named(people):
    data = csv_bytes([{"name": "x"}], header=["name", "colour"])
    with pytest.raises(FileRefused, match="“team”, “purpose”"):
        plan_of(data, people["manager"])


def test_unknown_columns_are_listed_and_ignored(people):
    data = csv_bytes([row()], header=["name", "team", "purpose", "colour", "Owner"])
    plan = plan_of(data, people["manager"])
    assert plan.unknown == ["colour"]
    assert plan.rows[0].action == "create"


def test_rows_match_by_id_else_by_team_and_name_as_uniqueness_compares(people):
    team, ann = people["team"], people["member"]
    by_name = OperationFactory(name="Refund Approvals", team=team, owner=ann)
    by_id = OperationFactory(name="Ledger close", team=team, owner=ann)
    same = {"phase": "", "phase_since": ""}
    rows = [
        row("ｒｅｆｕｎｄ   approvals", **same),
        row("Ledger closing", id=str(by_id.pk), **same),
    ]
    plan = plan_of(csv_bytes(rows), people["manager"])
    assert [r.operation for r in plan.rows] == [by_name, by_id]
    assert [r.action for r in plan.rows] == ["update", "update"]
    assert ("name", "Ledger close", "Ledger closing") in plan.rows[1].changes


def test_an_update_shows_old_and_new_per_field(people):
    op = OperationFactory(
        name="Refund approvals",
        team=people["team"],
        owner=people["member"],
        purpose="Customers get their refund within two days.",
        monthly_cost=100,
    )
    plan = plan_of(csv_bytes([row(id=str(op.pk), phase="", performers="ann")]), people["manager"])
    changes = {key: (old, new) for key, old, new in plan.rows[0].changes}
    assert changes["monthly_cost"] == ("100", "340000")
    assert changes["performers"] == ("", "ann")


def test_a_skip_needs_the_note_column(people):
    op = OperationFactory(name="Refund approvals", team=people["team"], owner=people["member"])
    plan = plan_of(csv_bytes([row(phase="automate", phase_since="")]), people["manager"])
    assert plan.rows[0].action == "error"
    assert "note" in plan.rows[0].errors
    assert plan.rows[0].operation is None or plan.rows[0].operation == op
    data = csv_bytes([row(phase="automate", phase_since="", note="Bought a tool")])
    plan = plan_of(data, people["manager"])
    assert plan.rows[0].action == "update"
    assert ("phase", "Launch", "Automate") in plan.rows[0].changes


@pytest.mark.parametrize(
    ("cells", "key", "message"),
    [
        ({"team": "Nowhere"}, "team", "No team called"),
        ({"owner": "zed"}, "owner", "not in Billing"),
        ({"purpose": "  "}, "purpose", "why this operation exists"),
        ({"purpose": "昔からあるOpsだし"}, "purpose", "is not a purpose"),
        ({"phase_since": "2020-01-01"}, "phase_since", "before its launch day"),
        ({"id": "99999"}, "id", "No operation has the id"),
        ({"performers": "ann, ghost"}, "performers", "No person with the username ghost"),
    ],
)
def test_bad_rows_are_errors_at_their_cell(people, outsider, cells, key, message):
    plan = plan_of(csv_bytes([row(**cells)]), people["manager"])
    assert plan.rows[0].action == "error"
    assert message in plan.rows[0].errors[key]


def test_the_same_operation_twice_in_a_file_is_an_error(people):
    plan = plan_of(csv_bytes([row(), row("REFUND approvals")]), people["manager"])
    assert [r.action for r in plan.rows] == ["create", "error"]
    assert "Row 2" in plan.rows[1].errors["name"]


def test_a_manager_imports_only_into_the_teams_they_manage(people, outsider):
    plan = plan_of(csv_bytes([row()]), outsider)
    assert "You do not manage Billing" in plan.rows[0].errors["team"]
    plan = plan_of(csv_bytes([row()]), people["member"])
    assert "You do not manage Billing" in plan.rows[0].errors["team"]


def test_staff_import_into_any_team(people, staff):
    assert plan_of(csv_bytes([row()]), staff).rows[0].action == "create"


def test_a_new_operation_may_start_in_any_phase(people):
    plan = plan_of(csv_bytes([row(phase="コスト適正化期")]), people["manager"])
    assert plan.rows[0].fields["phase"] == Phase.COST_OPTIMIZE


def test_an_archived_team_takes_no_new_operations_but_keeps_its_own(people):
    from django.utils import timezone

    team = people["team"]
    kept = OperationFactory(name="Ledger close", team=team, owner=people["member"])
    type(team).objects.filter(pk=team.pk).update(archived_at=timezone.now())
    same = {"phase": "", "phase_since": ""}
    plan = plan_of(csv_bytes([row(**same), row("Ledger close", **same)]), people["manager"])
    assert "Billing is archived" in plan.rows[0].errors["team"]
    assert plan.rows[1].operation == kept and "team" not in plan.rows[1].errors


def test_a_purpose_saved_before_the_rule_round_trips_but_cannot_be_written_anew(people):
    """An operation whose saved purpose only says "legacy" exports and imports back
    unchanged; a file that changes a purpose to such a one is refused at that cell."""
    op = OperationFactory(
        name="Refund approvals", team=people["team"], owner=people["member"], purpose="Legacy"
    )
    same = plan_of(csv_bytes([row(id=str(op.pk), purpose="Legacy")]), people["manager"])
    assert "purpose" not in same.rows[0].errors
    worse = plan_of(csv_bytes([row(id=str(op.pk), purpose="昔からやっている")]), people["manager"])
    assert "is not a purpose" in worse.rows[0].errors["purpose"]
