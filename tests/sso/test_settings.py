"""Single sign-on is set only from the environment; a bad value stops the start with a message."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from opsmaturity.sso.config import parse_group_map
from tests.core.test_settings import settings_in_subprocess


def test_the_group_map_reads_groups_teams_and_roles():
    assert parse_group_map(
        "ops-billing=Billing:member, ops-billing-leads=Billing:Manager\n"
        "cn=risk=Risk & Audit: Europe:member,,"
    ) == {
        "ops-billing": [("Billing", "member")],
        "ops-billing-leads": [("Billing", "manager")],
        "cn=risk": [("Risk & Audit: Europe", "member")],
    }
    assert parse_group_map("") == {}


@pytest.mark.parametrize(
    "raw", ["ops-billing", "ops-billing=Billing", "=Billing:member", "g=:member", "g=Billing:owner"]
)
def test_a_bad_group_map_entry_is_refused_with_a_message(raw):
    with pytest.raises(ImproperlyConfigured, match="OIDC_GROUP_MAP"):
        parse_group_map(raw)


KEY = {"SECRET_KEY": "test-only-secret-key-never-used-in-production-0123456789"}


def test_single_sign_on_is_off_unless_set_and_passwords_on():
    result = settings_in_subprocess(KEY, "(s.OIDC_ENABLED, s.PASSWORD_LOGIN)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(False, True)"


def test_the_environment_sets_single_sign_on_up():
    env = {
        **KEY,
        "OIDC_ISSUER": "https://sso.example.com/realms/ops/",
        "OIDC_CLIENT_ID": "ops-maturity",
        "OIDC_CLIENT_SECRET": "s3cret",
        "OIDC_GROUPS_CLAIM": "groups",
        "OIDC_GROUP_MAP": "ops-billing=Billing:member",
        "PASSWORD_LOGIN": "false",
    }
    result = settings_in_subprocess(
        env,
        "(s.OIDC_ENABLED, s.OIDC_ISSUER, s.OIDC_RP_CLIENT_ID, s.OIDC_USE_PKCE, "
        "s.OIDC_GROUP_MAP, s.PASSWORD_LOGIN)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "(True, 'https://sso.example.com/realms/ops', 'ops-maturity', True, "
        "{'ops-billing': [('Billing', 'member')]}, False)"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PASSWORD_LOGIN": "false"}, "PASSWORD_LOGIN=false leaves no way to sign in"),
        ({"OIDC_CLIENT_ID": "ops"}, "OIDC_CLIENT_ID is set but not the provider"),
        ({"OIDC_ISSUER": "https://sso.example.com"}, "OIDC_ISSUER is set but not OIDC_CLIENT_ID"),
        (
            {"OIDC_ISSUER": "https://s.example.com", "OIDC_CLIENT_ID": "o", "OIDC_GROUP_MAP": "x"},
            "OIDC_GROUP_MAP: 'x' is not GROUP=TEAM:ROLE",
        ),
        (
            {
                "OIDC_ISSUER": "https://s.example.com",
                "OIDC_CLIENT_ID": "o",
                "OIDC_GROUP_MAP": "g=T:member",
            },
            "OIDC_GROUP_MAP is set but not OIDC_GROUPS_CLAIM",
        ),
    ],
    ids=["no-way-in", "no-provider", "no-client", "bad-map", "map-without-claim"],
)
def test_a_setup_that_cannot_work_stops_the_start(env, message):
    result = settings_in_subprocess({**KEY, **env}, "s.OIDC_ENABLED")
    assert result.returncode != 0
    assert message in result.stderr


def test_a_provider_over_plain_http_is_warned_of_at_deploy(settings):
    from opsmaturity.sso.checks import provider_over_https

    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://sso.example.com/realms/acme"
    assert [w.id for w in provider_over_https(None)] == ["sso.W001"]
    settings.OIDC_ISSUER = "https://sso.example.com/realms/acme"
    assert provider_over_https(None) == []
