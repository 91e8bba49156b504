"""Where the OpenID provider's endpoints are: set one by one, or discovered from its issuer.

Discovery reads ``OIDC_ISSUER/.well-known/openid-configuration`` when an endpoint is
first needed (not at start: the web app starts while the provider is down), and keeps
the answer ``OIDC_DISCOVERY_SECONDS`` in the process. A provider that does not answer,
answers something that is not its configuration, or names another issuer, is
``ProviderUnavailable``: the sign-in page says so, nothing crashes.
"""

import logging
import threading
import time

import requests
from django.conf import settings

log = logging.getLogger(__name__)

# Our setting → the discovery document's key.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
# The endpoints without which no sign-in can happen (userinfo is optional: the ID
# token's claims then stand alone).
REQUIRED = {"OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"}

_cache = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The provider's configuration cannot be had now."""


def discovery_url(issuer):
    return f"{issuer}/.well-known/openid-configuration"


def configuration():
    """The provider's discovery document, fetched once per OIDC_DISCOVERY_SECONDS."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        return {}
    now = time.monotonic()
    cached = _cache.get(issuer)
    if cached and cached[0] > now:
        return cached[1]
    with _lock:
        cached = _cache.get(issuer)
        if cached and cached[0] > now:
            return cached[1]
        document = _fetch(issuer)
        _cache[issuer] = (now + settings.OIDC_DISCOVERY_SECONDS, document)
        return document


def _fetch(issuer):
    url = discovery_url(issuer)
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("OpenID provider discovery failed at %s: %s", url, exc)
        raise ProviderUnavailable(str(exc)) from exc
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{url} is not a discovery document")
    # OpenID Connect Discovery 1.0, section 4.3: the issuer must be the one asked.
    if str(document.get("issuer", "")).rstrip("/") != issuer:
        log.warning("OpenID provider at %s names another issuer: %r", url, document.get("issuer"))
        raise ProviderUnavailable(f"{url} names another issuer")
    return document


def endpoint(setting):
    """The URL of one endpoint: the explicit setting, else the discovered one.

    Raises ProviderUnavailable when a required endpoint cannot be known; an optional
    one that is unknown is "".
    """
    explicit = getattr(settings, setting, "")
    if explicit:
        return explicit
    value = configuration().get(DISCOVERED[setting]) if settings.OIDC_ISSUER else None
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return value
    if setting in REQUIRED:
        raise ProviderUnavailable(f"the provider publishes no {DISCOVERED[setting]}")
    return ""


def forget():
    """Drop what discovery found (tests; a provider that moved its endpoints)."""
    _cache.clear()
