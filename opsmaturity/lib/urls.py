"""Absolute links for what is read outside the app: emails, and later webhooks and the API.

Pages link with paths; a message read in a mail client has no page to be relative to,
so its links start with SITE_URL (the one setting that says where the app is served).
"""

from django.conf import settings


def site_url():
    """SITE_URL without a trailing slash: ``https://ops.example.com``."""
    return settings.SITE_URL.rstrip("/")


def absolute(path):
    """SITE_URL and a path of this app: ``absolute("/ops/3/")``.

    Only a path is accepted: a full URL or a scheme-relative ``//host`` would make
    a link that looks like ours and leads elsewhere.
    """
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError(f"not a path of this app: {path!r}")
    return f"{site_url()}{path}"
