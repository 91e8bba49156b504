"""What the app checks of the provider: its discovery document and its ID tokens."""

import pytest
import requests
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from opsmaturity.sso import provider
from opsmaturity.sso.backends import SsoBackend


def test_discovery_finds_the_endpoints_once_and_keeps_them(sso, monkeypatch):
    calls = []
    real_get = requests.get
    monkeypatch.setattr(
        provider.requests, "get", lambda *a, **k: calls.append(a[0]) or real_get(*a, **k)
    )
    token = provider.endpoint("OIDC_OP_TOKEN_ENDPOINT")
    assert token == f"{sso.issuer}/token/"
    assert provider.endpoint("OIDC_OP_JWKS_ENDPOINT") == f"{sso.issuer}/.well-known/jwks.json"
    assert provider.endpoint("OIDC_OP_USER_ENDPOINT") == f"{sso.issuer}/userinfo/"
    assert calls == [f"{sso.issuer}/.well-known/openid-configuration"]


def test_an_endpoint_set_explicitly_wins_over_discovery(sso, settings):
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://elsewhere.example.com/token"
    assert provider.endpoint("OIDC_OP_TOKEN_ENDPOINT") == "https://elsewhere.example.com/token"


class Answer:
    def __init__(self, document):
        self.document = document

    def raise_for_status(self):
        pass

    def json(self):
        return self.document


@pytest.mark.parametrize(
    "document",
    [
        {"issuer": "https://impostor.example.com", "token_endpoint": "https://i.example.com/t"},
        ["not", "a", "document"],
        {"issuer": None},
    ],
    ids=["another-issuer", "not-an-object", "no-issuer"],
)
def test_a_document_that_is_not_the_issuers_is_not_trusted(sso, monkeypatch, document):
    monkeypatch.setattr(provider.requests, "get", lambda *a, **k: Answer(document))
    with pytest.raises(provider.ProviderUnavailable):
        provider.endpoint("OIDC_OP_TOKEN_ENDPOINT")


def test_a_provider_that_does_not_answer_is_unavailable(settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"
    provider.forget()
    with pytest.raises(provider.ProviderUnavailable):
        provider.endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")


@pytest.fixture
def backend(sso):
    return SsoBackend()


def claims(sso, **changes):
    return {"iss": sso.issuer, "aud": "ops-maturity", "sub": "1", "nonce": "n", **changes}


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "http://127.0.0.1:1/o"},
        {"aud": "another-client"},
        {"aud": ["another-client"]},
        {"aud": ["ops-maturity", "another-client"], "azp": "another-client"},
    ],
    ids=["issuer", "audience", "audience-list", "authorized-party"],
)
def test_an_id_token_for_someone_else_is_refused(sso, backend, monkeypatch, changes):
    payload = claims(sso, **changes)
    monkeypatch.setattr(OIDCAuthenticationBackend, "verify_token", lambda *a, **k: payload)
    with pytest.raises(SuspiciousOperation):
        backend.verify_token("token", nonce="n")


def test_an_id_token_for_this_app_passes(sso, backend, monkeypatch):
    payload = claims(sso, aud=["ops-maturity", "api"], azp="ops-maturity")
    monkeypatch.setattr(OIDCAuthenticationBackend, "verify_token", lambda *a, **k: payload)
    assert backend.verify_token("token", nonce="n") == payload
