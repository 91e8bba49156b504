"""Single sign-on against a real OpenID provider: the whole authorization-code flow with PKCE."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.sso.flow import at_provider, back_at_app, sign_in, to_provider
from tests.teams.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def signed_in_user(client):
    return client.get(reverse("digests:preferences")).wsgi_request.user


def test_the_request_to_the_provider_carries_state_nonce_and_a_pkce_challenge(client, sso):
    query = parse_qs(urlsplit(to_provider(client)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["ops-maturity"]
    assert query["redirect_uri"] == ["http://testserver/sso/callback/"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert set(query["scope"][0].split()) >= {"openid", "email"}


def test_first_sign_in_creates_the_person_in_no_team(client, sso):
    person = sso.person("nora kim", "Nora.Kim@example.com")
    response = sign_in(client, person)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    user = signed_in_user(client)
    assert user.is_authenticated
    assert user.email == "Nora.Kim@example.com"
    assert user.username == "nora.kim@example.com"
    assert (user.first_name, user.last_name) == ("Nora", "Kim")
    assert not user.has_usable_password()
    assert not user.memberships.exists()


def test_a_second_sign_in_matches_the_person_by_email_ignoring_case(client, sso, member):
    member.email = "ann.lee@example.com"
    member.save()
    person = sso.person("ann lee", "ANN.LEE@example.com")
    sign_in(client, person)
    assert signed_in_user(client) == member
    client.logout()
    sign_in(client, person)
    assert signed_in_user(client) == member
    assert User.objects.filter(email__iexact="ann.lee@example.com").count() == 1
    # the team the person was in stays as it was: no groups claim is set up
    assert member.memberships.get().team.name == "Billing"


def test_signing_in_goes_back_to_the_page_asked_for(client, sso):
    person = sso.person("olga berg", "olga@example.com")
    response = sign_in(client, person, next_path="/ops/")
    assert response["Location"] == "/ops/"


def test_a_next_page_on_another_site_is_ignored(client, sso):
    person = sso.person("piet smit", "piet@example.com")
    response = sign_in(client, person, next_path="https://evil.example.net/")
    assert response["Location"] == reverse("home")


def test_an_unverified_email_is_refused_with_a_page(client, sso, member):
    member.email = "ann@example.com"
    member.save()
    person = sso.person("ann lee", "ann@example.com", verified=False)
    response = sign_in(client, person)
    assert response.status_code == 403
    assert "has not confirmed your email address" in response.content.decode()
    assert not signed_in_user(client).is_authenticated
    assert not User.objects.filter(email="ann@example.com").exclude(pk=member.pk).exists()


def test_a_person_who_left_is_refused(client, sso):
    UserFactory(username="gone", email="gone@example.com", is_active=False)
    response = sign_in(client, sso.person("gone away", "gone@example.com"))
    assert response.status_code == 403
    assert "has been closed" in response.content.decode()
    assert not signed_in_user(client).is_authenticated


def test_two_accounts_with_the_email_are_refused(client, sso):
    UserFactory(username="twin1", email="twin@example.com")
    UserFactory(username="twin2", email="TWIN@example.com")
    response = sign_in(client, sso.person("twin one", "twin@example.com"))
    assert response.status_code == 403
    assert "More than one account" in response.content.decode()
    assert not signed_in_user(client).is_authenticated


def test_a_tampered_state_is_refused_with_a_page_not_a_500(client, sso):
    callback = at_provider(to_provider(client), sso.person("rita roe", "rita@example.com"))
    query = parse_qs(urlsplit(callback).query)
    response = client.get(
        reverse("sso:callback"), {"code": query["code"][0], "state": "tampered" + "x" * 20}
    )
    assert response.status_code == 400
    assert "Start again" in response.content.decode()
    assert not signed_in_user(client).is_authenticated
    assert not User.objects.filter(email="rita@example.com").exists()


def test_a_callback_used_twice_is_refused_the_second_time(client, sso):
    callback = at_provider(to_provider(client), sso.person("sam tan", "sam@example.com"))
    assert back_at_app(client, callback).status_code == 302
    client.logout()
    response = back_at_app(client, callback)
    assert response.status_code == 400
    assert not signed_in_user(client).is_authenticated


def test_a_code_swapped_in_from_another_sign_in_is_refused(client, sso):
    """The PKCE verifier kept in this session does not match the other flow's challenge."""
    other = type(client)()
    foreign = at_provider(to_provider(other), sso.person("tom ode", "tom@example.com"))
    own = at_provider(to_provider(client), sso.person("uma ali", "uma@example.com"))
    code = parse_qs(urlsplit(foreign).query)["code"][0]
    state = parse_qs(urlsplit(own).query)["state"][0]
    response = client.get(reverse("sso:callback"), {"code": code, "state": state})
    assert response.status_code == 400
    assert not signed_in_user(client).is_authenticated


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"code": "x"},
        {"state": "x"},
        {"error": "access_denied", "state": "x"},
        {"code": "x" * 5000, "state": "y" * 5000},
    ],
    ids=["nothing", "code-only", "state-only", "provider-error", "huge"],
)
def test_odd_callbacks_get_a_page(client, sso, query):
    to_provider(client)
    response = client.get(reverse("sso:callback"), query)
    assert response.status_code == 400
    assert "Single sign-on did not work" in response.content.decode()


def test_a_provider_that_cannot_be_reached_gets_a_page(client, sso, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/o"
    response = client.get(reverse("sso:login"))
    assert response.status_code == 503
    assert "cannot be reached" in response.content.decode()


def test_without_single_sign_on_its_pages_are_not_there(client, settings):
    settings.OIDC_ENABLED = False
    assert client.get(reverse("sso:login")).status_code == 404
    assert client.get(reverse("sso:callback"), {"code": "x", "state": "y"}).status_code == 404


def test_refused_sign_ins_do_not_lock_the_next_one_out(client, sso, settings):
    person = sso.person("lou ray", "lou@example.com", verified=False)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert sign_in(client, person).status_code == 403
    sso.person("lou ray", "lou@example.com", verified=True)
    assert sign_in(client, person).status_code == 302
    assert signed_in_user(client).email == "lou@example.com"


def test_endpoints_set_one_by_one_work_without_discovery_or_userinfo(client, sso, settings):
    settings.OIDC_ISSUER = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{sso.issuer}/authorize/"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{sso.issuer}/token/"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{sso.issuer}/.well-known/jwks.json"
    settings.OIDC_OP_USER_ENDPOINT = ""
    response = sign_in(client, sso.person("eli gray", "eli@example.com"))
    assert response.status_code == 302
    assert signed_in_user(client).email == "eli@example.com"


def test_a_client_secret_the_provider_does_not_accept_gets_a_page(client, sso, settings):
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"
    response = sign_in(client, sso.person("fay hall", "fay@example.com"))
    assert response.status_code == 503
    assert "Tell an administrator" in response.content.decode()
    assert not signed_in_user(client).is_authenticated
