"""Email settings from the environment: ``EMAIL_URL`` or the ``EMAIL_*`` variables."""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_str

BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def parse_email_url(url):
    parts = urlsplit(url)
    if parts.scheme not in BACKENDS:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme must be one of {', '.join(sorted(BACKENDS))}, not {parts.scheme!r}"
        )
    conf = {"EMAIL_BACKEND": BACKENDS[parts.scheme]}
    if parts.scheme == "file":
        conf["EMAIL_FILE_PATH"] = unquote(parts.path)
    elif parts.scheme in ("smtp", "smtps"):
        query = parse_qs(parts.query)
        conf.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or (465 if parts.scheme == "smtps" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_SSL=parts.scheme == "smtps",
            EMAIL_USE_TLS=query.get("tls", ["false"])[0].lower() in ("1", "true", "yes"),
        )
    return conf


def email_settings_from_env(default_file_path):
    url = env_str("EMAIL_URL")
    if url:
        return parse_email_url(url)
    backend = env_str("EMAIL_BACKEND")
    if not backend:
        # Nothing configured: a laptop. Write each message to a file to open.
        return {
            "EMAIL_BACKEND": BACKENDS["file"],
            "EMAIL_FILE_PATH": str(default_file_path),
        }
    return {
        "EMAIL_BACKEND": backend,
        "EMAIL_HOST": env_str("EMAIL_HOST", "localhost"),
        "EMAIL_PORT": env_int("EMAIL_PORT", 25, minimum=1),
        "EMAIL_HOST_USER": env_str("EMAIL_HOST_USER"),
        "EMAIL_HOST_PASSWORD": env_str("EMAIL_HOST_PASSWORD"),
        "EMAIL_USE_TLS": env_bool("EMAIL_USE_TLS", False),
        "EMAIL_USE_SSL": env_bool("EMAIL_USE_SSL", False),
        "EMAIL_FILE_PATH": env_str("EMAIL_FILE_PATH", str(default_file_path)),
    }
