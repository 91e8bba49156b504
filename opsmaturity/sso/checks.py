"""Deployment checks (``manage.py check --deploy``) for single sign-on set up to fail quietly."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def provider_over_https(app_configs, **kwargs):
    if not settings.OIDC_ENABLED:
        return []
    addresses = [
        settings.OIDC_ISSUER,
        settings.OIDC_OP_AUTHORIZATION_ENDPOINT,
        settings.OIDC_OP_TOKEN_ENDPOINT,
        settings.OIDC_OP_JWKS_ENDPOINT,
        settings.OIDC_OP_USER_ENDPOINT,
    ]
    plain = [address for address in addresses if address and not address.startswith("https://")]
    if not plain:
        return []
    return [
        Warning(
            f"Single sign-on talks to its provider over plain HTTP: {', '.join(plain)}.",
            hint="Codes, tokens and the client secret would cross the network readable; "
            "use the provider's https:// address.",
            id="sso.W001",
        )
    ]
