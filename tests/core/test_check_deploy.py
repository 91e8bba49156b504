"""`manage.py check --deploy` says nothing the README's Security section does not explain.

Run in a subprocess with only the environment a production install sets, as the
README describes it: behind the compose recipe's TLS proxy, and with Django
redirecting to HTTPS and sending HSTS itself.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "ops.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://ops.example.com",
    "SITE_URL": "https://ops.example.com",
    "EMAIL_URL": "smtp://user:pass@smtp.example.com:587/?tls=true",
}
# Warnings that a production install must never see: each is fixed in settings.py.
FIXED = {
    "security.W001",  # SecurityMiddleware
    "security.W002",  # XFrameOptionsMiddleware
    "security.W003",  # CsrfViewMiddleware
    "security.W006",  # SECURE_CONTENT_TYPE_NOSNIFF
    "security.W009",  # a weak SECRET_KEY (refused at start)
    "security.W012",  # SESSION_COOKIE_SECURE
    "security.W016",  # CSRF_COOKIE_SECURE
    "security.W018",  # DEBUG
    "security.W019",  # X_FRAME_OPTIONS
    "security.W020",  # ALLOWED_HOSTS
    "security.W022",  # SECURE_REFERRER_POLICY
    "security.W024",  # SECURE_CROSS_ORIGIN_OPENER_POLICY
}


def security_section():
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Security\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Security' section"
    return match[1]


def check_deploy(tmp_path, extra=None, unset=()):
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env = {k: v for k, v in {**PRODUCTION, **(extra or {})}.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={**clean, **env, "OPS_VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=120,
    )


def printed_ids(result):
    return set(re.findall(r"\(([a-z_]+\.[EW]\d{3})\)", result.stdout + result.stderr))


@pytest.mark.parametrize(
    "extra, unset",
    [
        pytest.param({"TRUST_X_FORWARDED_PROTO": "true"}, (), id="behind-the-tls-proxy"),
        pytest.param(
            {
                "TRUST_X_FORWARDED_PROTO": "true",
                "SECURE_SSL_REDIRECT": "true",
                "SECURE_HSTS_SECONDS": "31536000",
            },
            (),
            id="redirect-and-hsts",
        ),
        pytest.param({}, ("SITE_URL", "EMAIL_URL"), id="site-and-mail-forgotten"),
    ],
)
def test_every_warning_is_explained_in_the_readme(tmp_path, extra, unset):
    result = check_deploy(tmp_path, extra, unset)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS:" not in output
    printed = printed_ids(result)
    explained = security_section()
    unexplained = {check for check in printed if check not in explained}
    assert unexplained == set(), f"README's Security section does not explain {unexplained}"
    assert printed.isdisjoint(FIXED), output


def test_with_redirect_and_hsts_only_the_hsts_options_remain(tmp_path):
    """What the README recommends once HTTPS works leaves the two opt-ins that depend
    on the domain's other sites: subdomains and the preload list."""
    result = check_deploy(
        tmp_path,
        {
            "TRUST_X_FORWARDED_PROTO": "true",
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_HSTS_SECONDS": "31536000",
        },
    )
    assert printed_ids(result) == {"security.W005", "security.W021"}
