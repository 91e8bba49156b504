"""The API answers 405 to a method an endpoint does not serve, before or after sign-in."""

import pytest

from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/operations/{id}/"),
        ("PUT", "/api/v1/operations/{id}/"),
        ("PUT", "/api/v1/operations/"),
        ("GET", "/api/v1/operations/{id}/move/"),
        ("PATCH", "/api/v1/flags/1/"),
        ("POST", "/api/v1/teams/"),
        ("DELETE", "/api/v1/snapshots/"),
        ("TRACE", "/api/v1/operations/"),
    ],
)
def test_methods_an_endpoint_does_not_serve(api, member, team, method, path):
    operation = OperationFactory(team=team, owner=member)
    api.force_authenticate(member)
    response = api.generic(method, path.format(id=operation.pk))
    assert response.status_code == 405


def test_anonymous_gets_401_with_how_to_sign_in(api):
    response = api.get("/api/v1/operations/")
    assert response.status_code in (401, 403)
    assert "detail" in response.json()
