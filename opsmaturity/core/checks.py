"""Deployment checks (``manage.py check --deploy``) for settings that fail quietly."""

import os

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def site_and_mail(app_configs, **kwargs):
    problems = []
    if not os.environ.get("SITE_URL"):
        problems.append(
            Warning(
                "SITE_URL is not set: links in emails point at http://127.0.0.1:8000.",
                hint="Set SITE_URL to the address people open, e.g. https://ops.example.com.",
                id="opsmaturity.W001",
            )
        )
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        problems.append(
            Warning(
                f"Email is written to files in {settings.EMAIL_FILE_PATH}, not sent.",
                hint="Set EMAIL_URL, e.g. smtp://user:pass@smtp.example.com:587/?tls=true.",
                id="opsmaturity.W002",
            )
        )
    return problems
