"""Configuration comes from the environment and fails loudly on a bad value."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from opsmaturity.env import env_bool, env_int, env_list
from opsmaturity.mailconfig import parse_email_url

ROOT = Path(__file__).resolve().parents[2]


def settings_in_subprocess(env, expr):
    """Evaluate an expression on freshly loaded settings with only the given environment."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    code = f"import django.conf as c; from opsmaturity import settings as s; print({expr})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_secret_key_is_required_without_debug():
    result = settings_in_subprocess({}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_gives_a_laptop_default_sqlite_and_no_server_broker():
    result = settings_in_subprocess(
        {"DEBUG": "true"},
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL",
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout
    assert str(ROOT / "var" / "db.sqlite3") in result.stdout
    assert "filesystem://" in result.stdout


def test_database_and_redis_urls_are_read():
    result = settings_in_subprocess(
        {
            "SECRET_KEY": "settings-test-only-secret-key-never-used-in-production",
            "DATABASE_URL": "postgres://ops:pw@db.internal:5433/ops",
            "REDIS_URL": "redis://cache.internal:6379/2",
            "OPS_STALL_DAYS": "45",
            "OPS_STALL_WARN_DAYS": "30",
        },
        "s.DATABASES['default']['HOST'], s.CELERY_BROKER_URL, s.OPS_STALL_DAYS, s.DEBUG",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("db.internal redis://cache.internal:6379/2 45 False")


def test_a_bad_threshold_fails_loudly():
    result = settings_in_subprocess({"DEBUG": "1", "OPS_STALL_DAYS": "sixty"}, "s.OPS_STALL_DAYS")
    assert result.returncode != 0
    assert "OPS_STALL_DAYS must be a whole number" in result.stderr


def test_env_helpers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ImproperlyConfigured):
        env_bool("X_BOOL")
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_INT", 5, minimum=1)
    monkeypatch.setenv("X_LIST", " a.example.com, ,b.example.com ")
    assert env_list("X_LIST") == ["a.example.com", "b.example.com"]


def test_email_url():
    conf = parse_email_url("smtp://mailer%40corp:s3cret@smtp.example.com:587/?tls=true")
    assert conf["EMAIL_HOST"] == "smtp.example.com"
    assert conf["EMAIL_PORT"] == 587
    assert conf["EMAIL_HOST_USER"] == "mailer@corp"
    assert conf["EMAIL_HOST_PASSWORD"] == "s3cret"
    assert conf["EMAIL_USE_TLS"] is True
    assert parse_email_url("file:///tmp/mail")["EMAIL_FILE_PATH"] == "/tmp/mail"
    with pytest.raises(ImproperlyConfigured):
        parse_email_url("carrier-pigeon://coop")


def test_laptop_mail_goes_to_files_in_the_project():
    result = settings_in_subprocess({"DEBUG": "1"}, "s.EMAIL_BACKEND, s.EMAIL_FILE_PATH")
    assert "filebased" in result.stdout
    assert str(ROOT / "var" / "mail") in result.stdout


def test_a_fresh_clone_gets_its_var_folder(tmp_path):
    """SQLite creates its file but not the folder: the settings make it."""
    var = tmp_path / "fresh" / "var"
    result = settings_in_subprocess({"DEBUG": "1", "OPS_VAR_DIR": str(var)}, "s.VAR_DIR")
    assert result.returncode == 0, result.stderr
    assert var.is_dir()
