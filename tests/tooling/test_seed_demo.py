"""seed_demo: the fixed demo shows every phase and rule, and volume adds on top of it."""

from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models.functions import Lower
from django.utils import timezone

from opsmaturity.maturity import rules
from opsmaturity.maturity.moves import classify_move
from opsmaturity.operations.models import (
    CriterionCheck,
    Operation,
    PhaseTransition,
    PurposeReview,
)
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Membership, Role, Team
from opsmaturity.tooling import demo
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db
User = get_user_model()


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Team,
            Membership,
            Operation,
            PhaseTransition,
            CriterionCheck,
            PurposeReview,
        )
    } | {"performers": Operation.performers.through.objects.count()}


def assert_histories_hold(operations):
    """Each history starts at the creation in launch and ends where the operation is."""
    now = timezone.now()
    transitions = {}
    for t in PhaseTransition.objects.filter(operation__in=operations).order_by("at", "id"):
        transitions.setdefault(t.operation_id, []).append(t)
    reviews = {r.operation_id: r for r in PurposeReview.objects.filter(operation__in=operations)}
    for op in operations:
        history = transitions[op.pk]
        first, last = history[0], history[-1]
        assert (first.from_phase, first.to_phase) == ("", Phase.LAUNCH), op
        assert first.at == op.created_at
        assert op.launched_at == timezone.localdate(first.at)
        assert last.to_phase == op.phase
        assert last.at == op.phase_entered_at
        assert op.version == len(history) + (op.pk in reviews)
        assert last.at <= now
        assert first.from_phase_entered_at is None
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_phase == before.to_phase, op
            assert after.from_phase_entered_at == before.at, op
            assert after.at > before.at, op
            if classify_move(after.from_phase, after.to_phase).needs_note:
                assert after.note.strip(), (op, after)
        assert op.purpose and op.purpose == op.purpose.strip()
        if op.purpose_reviewed_at:
            assert op.purpose_reviewed_at > op.created_at
            review = reviews[op.pk]
            assert (review.at, review.by_id) == (op.purpose_reviewed_at, op.purpose_reviewed_by_id)
            assert review.reason and review.monthly_cost == op.monthly_cost
        else:
            assert op.pk not in reviews


def test_fixed_demo_has_every_phase_and_every_rule():
    seed()

    phases = Counter(Operation.objects.values_list("phase", flat=True))
    assert set(phases) == set(Phase.values)
    assert 50 <= sum(phases.values()) <= 70
    assert Team.objects.count() == 6
    for rule in rules.ALL_RULES:
        assert rule.filter().exists(), rule.kind
    # Overdue reviews and value below cost, each on its own.
    assert Operation.objects.active().filter(purpose_reviewed_at__isnull=False).exists()
    assert any(op.monthly_value < op.monthly_cost for op in Operation.objects.active())


def test_fixed_demo_histories_checks_and_japanese_text():
    seed()

    operations = list(Operation.objects.all())
    assert_histories_hold(operations)
    assert Operation.objects.filter(purpose__contains="本人確認").exists()
    assert PhaseTransition.objects.filter(to_phase=Phase.RETIRE).exclude(note="").exists()
    assert CriterionCheck.objects.count() > 100
    # What moved on to standardize had its launch checklist ticked; money is on every move.
    standardized = Operation.objects.filter(
        transitions__from_phase=Phase.LAUNCH, transitions__to_phase=Phase.STANDARDIZE
    )
    assert standardized.count() > 30
    assert not standardized.exclude(checks__criterion__phase=Phase.LAUNCH).exists()
    assert not PhaseTransition.objects.filter(monthly_cost=0).exists()
    amounts = Operation.objects.values_list("monthly_cost", flat=True)
    assert all(10_000 <= amount <= 2_000_000 for amount in amounts)


def test_fixed_demo_logins_and_people(settings):
    settings.DEBUG = True  # as make run sets it
    seed()

    manager = User.objects.get(username="manager")
    assert manager.check_password("manager")
    assert manager.memberships.filter(role=Role.MANAGER).count() >= 3
    member = User.objects.get(username="member")
    assert member.check_password("member")
    assert 1 <= member.memberships.count() <= 2
    assert Operation.objects.filter(owner=member).exists()
    admin = User.objects.get(username="admin")
    assert admin.check_password("admin") and admin.is_staff and admin.is_superuser
    assert User.objects.count() >= 18
    assert not User.objects.filter(email="").exists()
    assert User.objects.get(username="aiko.sato").check_password(demo.DEMO_PASSWORD)
    assert not Team.objects.filter(memberships__isnull=True).exists()


def test_a_second_run_adds_nothing():
    seed()
    before = counts()

    out = seed()

    assert counts() == before
    assert "already there" in out


def test_the_fixed_demo_is_all_or_nothing(monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("crash half-way")

    monkeypatch.setattr(CriterionCheck.objects, "bulk_create", crash)

    with pytest.raises(RuntimeError):
        seed()

    assert not Operation.objects.exists()
    assert not Team.objects.exists()
    assert not User.objects.exists()


def test_generated_operations_over_generated_teams():
    seed()
    fixed = set(Operation.objects.values_list("pk", flat=True))

    out = seed("--ops", "300", "--teams", "5")

    generated = list(Operation.objects.exclude(pk__in=fixed).select_related("team"))
    assert len(generated) == 300
    assert {op.team.name for op in generated} == {f"Team 00{n}" for n in range(1, 6)}
    assert_histories_hold(generated)
    assert set(op.phase for op in generated) == set(Phase.values)
    assert "300 operations over 5 teams" in out
    # About ten people per team, who own and run its operations.
    teams = Team.objects.filter(name__startswith="Team 00")
    members = Membership.objects.filter(team__in=teams)
    assert members.count() == 50
    assert members.filter(role=Role.MANAGER).count() == 5
    member_pairs = set(members.values_list("team_id", "user_id"))
    assert all((op.team_id, op.owner_id) in member_pairs for op in generated)
    through = Operation.performers.through.objects.filter(operation__in=generated)
    assert through.exists()
    assert all(pair in member_pairs for pair in through.values_list("operation__team", "user"))
    assert not User.objects.filter(email="").exists()
    for rule in rules.ALL_RULES:
        assert rule.filter(Operation.objects.filter(team__in=teams)).exists(), rule.kind


def test_reruns_add_more_without_collisions():
    seed("--ops", "120", "--teams", "3")
    users = User.objects.count()

    seed("--ops", "120", "--teams", "3")
    seed("--ops", "60", "--teams", "4")

    generated = Operation.objects.filter(team__name__startswith="Team 00")
    assert generated.count() == 300
    assert Team.objects.filter(name__startswith="Team 00").count() == 4
    assert User.objects.count() == users + 10  # only the fourth team's people are new
    names = Counter(generated.values_list("team_id", Lower("name")))
    assert max(names.values()) == 1
    # The fixed demo is still there once.
    assert Operation.objects.filter(name="KYC checks").count() == 1


def test_the_app_goes_on_saving_after_a_seed_written_with_copy(member):
    """On PostgreSQL the seed draws the operations' ids from their sequence and COPYs
    the rows: the app's own saves that follow take the next ids, none collides."""
    from tests.operations.factories import OperationFactory, TransitionFactory

    seed("--ops", "50", "--teams", "2")
    highest = Operation.objects.order_by("-pk").values_list("pk", flat=True).first()
    operation = OperationFactory(owner=member)
    assert operation.pk > highest
    TransitionFactory(operation=operation)
    operation.performers.add(member)
    PurposeReview.objects.create(
        operation=operation, by=member, reason="Still needed.", monthly_cost=1, monthly_value=2
    )
    assert Operation.objects.filter(team__name__startswith="Team 00").count() == 50


def _schema():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'operations\\_%%' "
            "UNION ALL SELECT pg_get_constraintdef(oid) || conname FROM pg_constraint "
            "WHERE conrelid::regclass::text LIKE 'operations\\_%%'"
        )
        return sorted(row[0] for row in cursor.fetchall())


@requires_postgres
def test_a_large_load_into_small_tables_drops_indexes_and_keys_and_makes_them_again(
    monkeypatch,
):
    from opsmaturity.tooling.demo import generated

    before = _schema()
    monkeypatch.setattr(generated, "BULK_LOAD_MIN", 100)
    seed("--ops", "400", "--teams", "4")
    assert _schema() == before
    assert_histories_hold(list(Operation.objects.filter(team__name__startswith="Team 00")))


@requires_postgres
def test_a_row_a_key_refuses_rolls_the_whole_bulk_load_back():
    from django.db import IntegrityError

    from opsmaturity.tooling.demo.writer import TRANSITION_COLUMNS, bulk_load, copy_rows

    seed()
    before, operations = _schema(), Operation.objects.count()
    team_id = Team.objects.values_list("pk", flat=True).first()
    values = {"operation_id": 10**9, "team_id": team_id, "to_phase": Phase.LAUNCH}
    values |= {"at": timezone.now(), "kind": "created", "monthly_cost": 1, "monthly_value": 1}
    blank = {"from_phase": "", "note": ""}
    orphan = tuple(values.get(c, blank.get(c)) for c in TRANSITION_COLUMNS)
    with pytest.raises(IntegrityError), bulk_load([Operation, PhaseTransition]):
        copy_rows(PhaseTransition, TRANSITION_COLUMNS, [orphan])
    assert _schema() == before
    assert Operation.objects.count() == operations
    assert not PhaseTransition.objects.filter(operation_id=10**9).exists()


def test_teams_needs_ops():
    with pytest.raises(CommandError):
        seed("--teams", "5")


def test_fixed_demo_plans_the_future_team_and_shows_a_trend():
    from opsmaturity.maturity.models import Flag, Snapshot
    from opsmaturity.organization.models import JobRole, LearningPlan, SkillLevel

    call_command("seed_demo", stdout=StringIO())
    assert JobRole.objects.filter(status="planned").exists()
    assert SkillLevel.objects.exists() and LearningPlan.objects.exists()
    # flags opened and twelve weeks of snapshots, so the dashboard is populated at once
    assert Flag.objects.open().exists()
    assert Snapshot.objects.values("date").distinct().count() >= 12


def test_with_debug_off_the_demo_people_get_no_password_that_works(settings):
    settings.DEBUG = False
    out = seed()
    assert "no password that works" in out and "admin/admin" not in out
    for username, password, *_ in demo.LOGINS:
        assert not User.objects.get(username=username).check_password(password)
    assert not User.objects.get(username="aiko.sato").check_password(demo.DEMO_PASSWORD)
    assert not User.objects.filter(username="admin").first().has_usable_password()


def test_with_debug_off_the_logins_need_asking_for(settings):
    settings.DEBUG = False
    seed("--demo-logins")
    assert User.objects.get(username="admin").check_password("admin")


@pytest.mark.parametrize("whose", ["person", "team"])
def test_a_database_with_someone_elses_data_is_refused(whose):
    if whose == "person":
        User.objects.create_user("ceo", email="ceo@acme.example.org", password="s3cret-and-long")
    else:
        Team.objects.create(name="Payments")
    with pytest.raises(CommandError, match="not the demo's"):
        seed()
    assert not User.objects.filter(username="admin").exists()
