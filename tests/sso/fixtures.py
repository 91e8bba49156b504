"""A real OpenID provider on a loopback port, and the app pointed at it.

Imported by tests/sso/conftest.py and tests/browser/conftest.py.

The provider (tests/sso/provider/) is a small Django project of its own with
django-oauth-toolkit in OIDC mode, signing its ID tokens with an RS256 key made
here. It runs in a child process for the whole test session; each test registers
the provider's people it needs (with the claims the provider tells about them) and
the app's redirect URI, then points the app at it with the ``sso`` fixture.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from opsmaturity.sso import provider as discovery

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "ops-maturity"


class Provider:
    def __init__(self, url, token):
        self.url = url
        self.issuer = f"{url}/o"
        self.token = token
        self.client_secret = secrets.token_urlsafe(32)

    def post(self, path, data):
        response = requests.post(
            f"{self.url}{path}", json=data, headers={"X-Control-Token": self.token}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def register_client(self, *redirect_uris):
        self.post(
            "/test/client/",
            {"redirect_uris": list(redirect_uris), "client_secret": self.client_secret},
        )

    def person(self, username, email, password="idp-password", verified=True, **claims):
        """One of the provider's people; ``groups=[…]`` and any other claim as keywords."""
        given, _, family = username.partition(" ")
        self.post(
            "/test/people/",
            {
                "username": username.replace(" ", ".").lower(),
                "password": password,
                "email": email,
                "given_name": given.title(),
                "family_name": family.title(),
                "claims": {"email_verified": verified, **claims},
            },
        )
        return {"username": username.replace(" ", ".").lower(), "password": password}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oidc-provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "signing-key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    token = secrets.token_urlsafe(24)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "OIDC_"))
    }
    env.update(
        PROVIDER_SECRET_KEY=secrets.token_urlsafe(50),
        PROVIDER_DB=str(folder / "provider.sqlite3"),
        PROVIDER_KEY_FILE=str(key_file),
        PROVIDER_CONTROL_TOKEN=token,
        PYTHONPATH=str(ROOT),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.sso.provider.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=open(folder / "provider.log", "w"),  # noqa: SIM115 - lives as long as the process
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            process.wait(timeout=10)
            pytest.fail(
                "the test OpenID provider did not start:\n" + (folder / "provider.log").read_text()
            )
        yield Provider(f"http://127.0.0.1:{int(line.split()[1])}", token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sso(settings, oidc_provider):
    """The app set up for single sign-on with the test provider, as the README says."""
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.client_secret
    settings.OIDC_GROUPS_CLAIM = ""
    settings.OIDC_GROUP_MAP = {}
    settings.PASSWORD_LOGIN = True
    oidc_provider.register_client("http://testserver/sso/callback/")
    discovery.forget()
    yield oidc_provider
    discovery.forget()
