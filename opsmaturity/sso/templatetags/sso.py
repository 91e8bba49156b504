"""The sign-in page's single sign-on part: ``{% load sso %}``."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def password_login_enabled():
    """Whether the page shows the username and password form (PASSWORD_LOGIN)."""
    return settings.PASSWORD_LOGIN


@register.inclusion_tag("sso/_sign_in.html", takes_context=True)
def sso_sign_in(context):
    """The "Sign in with SSO" button when single sign-on is set up; with passwords turned
    off, a word to whoever posted one anyway."""
    form = context.get("form")
    posted = form is not None and form.is_bound
    return {
        "enabled": settings.OIDC_ENABLED,
        "password_login": settings.PASSWORD_LOGIN,
        "password_refused": posted and not settings.PASSWORD_LOGIN,
        "next": context.get("next", ""),
    }
