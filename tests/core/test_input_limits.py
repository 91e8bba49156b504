"""Every class of bad input gets a message at its field, and nothing is saved: numbers
that are not numbers or past their limits, dates at the edge of the calendar, control
characters, invisible text, and names that only look different."""

import importlib
import inspect
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.urls import reverse

import opsmaturity
from opsmaturity.lib.forms import SafeInput, parse_id
from opsmaturity.lib.text import normalize_name
from opsmaturity.operations.models import CriterionCheck, Operation, PhaseCriterion
from opsmaturity.operations.phases import Phase
from opsmaturity.teams.models import Role
from tests.operations.factories import OperationFactory
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client):
    team = TeamFactory(name="Billing")
    member = UserFactory(username="mika")
    MembershipFactory(user=member, team=team, role=Role.MANAGER)
    op = OperationFactory(name="KYC checks", team=team, owner=member, performers=[member])
    client.force_login(member)
    return {"team": team, "member": member, "op": op, "client": client}


def edit(world, **changes):
    op = world["op"]
    data = {
        "name": op.name,
        "team": op.team_id,
        "owner": op.owner_id,
        "purpose": op.purpose,
        "performers": [world["member"].pk],
        "monthly_volume": "10",
        "monthly_cost": "100",
        "monthly_value": "200",
        "version": op.version,
        **changes,
    }
    return world["client"].post(reverse("operations:edit", args=[op.pk]), data)


def errors(response, field):
    assert response.status_code == 200, response.status_code
    return response.context["form"].errors.get(field, [])


def unchanged(world):
    saved = Operation.objects.get(pk=world["op"].pk)
    return saved.version == world["op"].version


# --- numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["sNaN", "NaN", "-NaN", "Infinity", "-inf", "1e999999", "1,5"])
@pytest.mark.parametrize("field", ["monthly_cost", "monthly_value"])
def test_money_that_is_not_a_number_is_refused_at_the_field(world, field, value):
    response = edit(world, **{field: value})
    assert errors(response, field)
    assert unchanged(world)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("1000000000", True), ("1000000001", False), ("1500000000", False), ("-1", False)],
)
def test_monthly_volume_stops_at_the_limit_the_page_states(world, value, accepted):
    response = edit(world, monthly_volume=value)
    if accepted:
        assert response.status_code == 302
        assert Operation.objects.get(pk=world["op"].pk).monthly_volume == int(value)
    else:
        assert errors(response, "monthly_volume")
        assert unchanged(world)


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12"])
@pytest.mark.parametrize("day", ["0001-01-01", "1969-12-31", "9999-12-31"])
def test_a_launch_date_at_the_edge_of_the_calendar_is_refused_in_every_zone(
    world, settings, zone, day
):
    settings.TIME_ZONE = zone
    response = world["client"].post(
        reverse("operations:create"),
        {
            "name": "Chargebacks",
            "team": world["team"].pk,
            "owner": world["member"].pk,
            "purpose": "Win back what we do not owe.",
            "launched_at": day,
            "monthly_volume": "1",
            "monthly_cost": "1",
            "monthly_value": "2",
        },
    )
    assert errors(response, "launched_at")
    assert not Operation.objects.filter(name="Chargebacks").exists()
    # and every page still answers
    assert world["client"].get(reverse("operations:list")).status_code == 200


# --- text -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["KYC\x00checks", "KYC\x07 checks", "KYC\x1b[31m"])
@pytest.mark.parametrize("field", ["name", "purpose"])
def test_control_characters_are_refused_with_a_message(world, field, text):
    response = edit(world, **{field: text})
    assert "control characters" in " ".join(errors(response, field))
    assert unchanged(world)


def test_criterion_evidence_with_a_nul_byte_is_refused_not_a_500(world):
    criterion = PhaseCriterion.objects.filter(phase=Phase.LAUNCH).first()
    url = reverse("operations:check", args=[world["op"].pk, criterion.pk])
    response = world["client"].post(
        url, {"checked": "on", "evidence": "see\x00wiki"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "control characters" in response.content.decode()
    assert not CriterionCheck.objects.exists()


@pytest.mark.parametrize(
    "lookalike",
    ["ＫＹＣ checks", "KYC\u200b checks", "KYC  checks", " kyc checks ", "KYC\u200e checks"],
)
def test_names_that_look_the_same_are_the_same_name(world, lookalike):
    response = world["client"].post(
        reverse("operations:create"),
        {
            "name": lookalike,
            "team": world["team"].pk,
            "owner": world["member"].pk,
            "purpose": "Again.",
            "monthly_volume": "1",
            "monthly_cost": "1",
            "monthly_value": "2",
        },
    )
    assert "already has an operation" in " ".join(errors(response, "name"))
    assert Operation.objects.count() == 1


def test_a_name_is_stored_in_its_one_spelling():
    assert normalize_name("  ＫＹＣ\u200b   checks\u202e ") == "KYC checks"


def test_a_note_of_invisible_characters_alone_is_no_note(world):
    op = world["op"]
    response = world["client"].post(
        reverse("operations:move", args=[op.pk]),
        {"to_phase": Phase.RETIRE, "note": "\u200b\u200e\u2060 \ufeff", "version": op.version},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    assert Operation.objects.get(pk=op.pk).phase == Phase.LAUNCH


def test_an_edit_without_its_version_is_refused_not_saved_blindly(world):
    response = edit(world, version="", name="Renamed")
    assert response.status_code == 200
    assert "out of date" in " ".join(response.context["form"].non_field_errors())
    assert Operation.objects.get(pk=world["op"].pk).name == "KYC checks"


# --- ids in query strings ---------------------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "٣", "-1", "1e3", "9" * 40, "", "12 "])
def test_an_id_that_is_not_one_is_none(raw):
    assert parse_id(raw) is None


@pytest.mark.parametrize("raw", ["²", "٣", "9" * 40, "-1"])
def test_odd_ids_in_query_strings_never_give_a_500(world, raw):
    client = world["client"]
    assert client.get(reverse("dashboard:index"), {"team": raw}).status_code in (200, 403)
    assert client.get(reverse("digests:preview"), {"user": raw}).status_code in (200, 403, 404)
    assert client.get(reverse("operations:list"), {"team": raw, "page": raw}).status_code == 200


# --- every form, and every form of the admin -----------------------------------------------


def project_forms():
    found = []
    for module in pkgutil.walk_packages(opsmaturity.__path__, "opsmaturity."):
        if ".migrations" in module.name or module.name.endswith(".settings"):
            continue
        imported = importlib.import_module(module.name)
        for _name, value in inspect.getmembers(imported, inspect.isclass):
            if (
                issubclass(value, forms.BaseForm)
                and value.__module__ == imported.__name__
                and value.__module__.startswith("opsmaturity.")
            ):
                found.append(value)
    return found


def test_every_form_of_the_project_hardens_its_input():
    found = project_forms()
    assert len(found) > 10
    assert [form.__qualname__ for form in found if not issubclass(form, SafeInput)] == []


def test_every_form_of_the_admin_hardens_its_input(rf):
    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    unsafe = []
    for model, model_admin in admin.site._registry.items():
        form = model_admin.get_form(request)
        if not issubclass(form, SafeInput):
            unsafe.append(model.__name__)
        for inline in model_admin.get_inline_instances(request):
            if not issubclass(inline.get_formset(request).form, SafeInput):
                unsafe.append(f"{model.__name__}.{inline.model.__name__}")
    assert unsafe == []


def test_money_limits_hold_in_the_service_too():
    op = OperationFactory()
    with pytest.raises(Exception):  # noqa: B017 - the model's validators refuse it
        op.monthly_cost = Decimal("1e12")
        op.full_clean()
