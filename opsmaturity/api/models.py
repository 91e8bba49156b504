"""Personal API tokens: a script acts as the person who made the token, no more.

Only the token's SHA-256 is stored: the token itself is shown once, when made, and
cannot be read back (a stolen database gives no working token). Its first
characters (the prefix) stay visible, so that a person can tell their tokens apart.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_START = "om_"
PREFIX_LENGTH = 10


class Scope(models.TextChoices):
    READ = "read", _("Read only")
    READ_WRITE = "read_write", _("Read and write")


def digest(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("person"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=PREFIX_LENGTH)
    key_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "read_write"]), name="apitoken_scope_known"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self):
        return self.scope == Scope.READ_WRITE

    @property
    def is_revoked(self):
        return self.revoked_at is not None

    @classmethod
    def issue(cls, user, *, name, scope):
        """A new token for ``user``: (the row, the token itself, to be shown once)."""
        raw = TOKEN_START + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, scope=scope, prefix=raw[:PREFIX_LENGTH], key_hash=digest(raw)
        )
        return token, raw
