"""Personal API tokens: made and revoked on /api/tokens/, shown once, stored hashed."""

import hashlib

import pytest
from django.core.cache import cache

from opsmaturity.api.models import ApiToken, Scope
from tests.operations.factories import OperationFactory

pytestmark = pytest.mark.django_db

PAGE = "/api/tokens/"


def make_token(client, name="stall report", scope="read"):
    response = client.post(PAGE, {"name": name, "scope": scope})
    assert response.status_code == 200, response.content.decode()[:400]
    assert response.context["new_token"]
    return response.context["new_token"]


def test_a_token_is_shown_once_and_stored_hashed(client, member):
    client.force_login(member)
    raw = make_token(client)
    token = ApiToken.objects.get(user=member)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.prefix == raw[:10]
    page = client.get(PAGE).content.decode()
    assert raw not in page and f"{token.prefix}…" in page and "stall report" in page


def test_a_token_needs_a_name(client, member):
    client.force_login(member)
    response = client.post(PAGE, {"name": "   ", "scope": "read"})
    assert response.status_code == 400
    assert "Name the token" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_token_acts_as_its_person_and_records_its_last_use(client, api, member, team):
    OperationFactory(name="Refund check", team=team, owner=member)
    client.force_login(member)
    raw = make_token(client)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/operations/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Refund check"]
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "header", ["Bearer om_nope", "Bearer", "Bearer a b", "Bearer " + "x" * 300, "Bearer é"]
)
def test_a_bad_token_is_a_401(api, header):
    api.credentials(HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    response = api.get("/api/v1/operations/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_tokens_work_no_more_and_only_their_owner_revokes(client, api, member, outsider):
    token, raw = ApiToken.issue(member, name="old", scope=Scope.READ_WRITE)
    client.force_login(outsider)
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 403
    assert client.post("/api/tokens/999999/revoke/").status_code == 404
    client.force_login(member)
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/operations/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_token_of_someone_who_left_works_no_more(api, member):
    _token, raw = ApiToken.issue(member, name="t", scope=Scope.READ)
    member.is_active = False
    member.save()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/operations/").status_code == 401


def test_the_token_page_needs_a_sign_in_and_refuses_other_methods(client, member):
    assert client.get(PAGE).status_code == 302
    client.force_login(member)
    assert client.put(PAGE).status_code == 405
    assert client.get("/api/tokens/1/revoke/").status_code == 405


def test_session_authentication_enforces_csrf(member, team):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(member)
    assert browser.get("/api/v1/operations/").status_code == 200
    body = {"name": "X", "team": team.pk, "owner": member.pk, "purpose": "Y"}
    response = browser.post("/api/v1/operations/", body, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_throttling_per_token(api, member, monkeypatch):
    from opsmaturity.api.throttling import PerTokenThrottle

    cache.clear()
    monkeypatch.setattr(PerTokenThrottle, "THROTTLE_RATES", {"api": "3/minute"})
    _a, first = ApiToken.issue(member, name="a", scope=Scope.READ)
    _b, second = ApiToken.issue(member, name="b", scope=Scope.READ)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
    codes = [api.get("/api/v1/teams/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {second}")
    assert api.get("/api/v1/teams/").status_code == 200
    cache.clear()


def test_the_rate_is_a_setting(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api"] == settings.OPS_API_RATE
