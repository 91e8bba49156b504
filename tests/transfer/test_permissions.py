"""The import's views that change data, against every role (see tests/permission_table.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from opsmaturity.operations.models import Operation
from opsmaturity.teams.models import Role
from opsmaturity.transfer import importing
from opsmaturity.transfer.models import ImportRecord, ImportStatus
from tests.permission_table import ALLOWED, DENIED, LOGIN, cases
from tests.permission_table import assert_outcome as table_outcome
from tests.teams.factories import MembershipFactory, TeamFactory, UserFactory
from tests.transfer.files import csv_bytes, row

pytestmark = pytest.mark.django_db

CONFLICT = 409  # the preview is shown again with its errors, nothing written


@pytest.fixture
def world():
    team, other_team = TeamFactory(name="Billing"), TeamFactory(name="Risk")
    users = {
        "outsider": UserFactory(username="outsider"),
        "member": UserFactory(username="member"),
        "manager": UserFactory(username="manager"),
        "staff": UserFactory(username="staff", is_staff=True),
    }
    MembershipFactory(user=users["outsider"], team=other_team, role=Role.MANAGER)
    MembershipFactory(user=users["member"], team=team, role=Role.MEMBER)
    MembershipFactory(user=users["manager"], team=team, role=Role.MANAGER)
    return {"team": team, "users": users}


def data():
    return csv_bytes([row(owner="member", performers="member")])


def upload(world):
    return (
        reverse("transfer:import"),
        {"file": SimpleUploadedFile("ops.csv", data())},
        lambda: ImportRecord.objects.exists(),
    )


def confirm(world):
    # Each role confirms a file it uploaded itself (the anonymous one, the manager's).
    user = world["users"].get(world["role"], world["users"]["manager"])
    record = importing.store_upload(user, "ops.csv", data())
    fingerprint = importing.preview(record, user).fingerprint()
    return (
        reverse("transfer:confirm", args=[record.token]),
        {"fingerprint": fingerprint},
        lambda: (
            Operation.objects.exists()
            and ImportRecord.objects.get(pk=record.pk).status == ImportStatus.IMPORTED
        ),
    )


TABLE = {
    #         anonymous outsider  member  manager  staff
    upload: [LOGIN, ALLOWED, DENIED, ALLOWED, ALLOWED],
    confirm: [LOGIN, CONFLICT, DENIED, ALLOWED, ALLOWED],
}


@pytest.mark.parametrize(("action", "role", "expected"), cases(TABLE))
def test_permission_table(client, world, action, role, expected):
    world["role"] = role
    table_outcome(client, world, action, role, expected)
