import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token():
    return secrets.token_urlsafe(32)


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    RUNNING = "running", _("Importing")
    IMPORTED = "imported", _("Imported")
    FAILED = "failed", _("Failed")


class ImportRecord(models.Model):
    """One file brought in: who, when, its name, and what it did.

    The file itself is kept here, bound to the person who uploaded it, between the
    preview and the confirmation (never sent back through the page), and emptied
    once it is imported. ``fingerprint`` is what the preview showed: confirming
    imports only if planning the file again plans the same.
    """

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("file"), editable=False, default=bytes)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    language = models.CharField(max_length=16, blank=True, editable=False)
    # Staff's choice: make the teams and accounts the file names and nobody has.
    create_missing = models.BooleanField(_("create what is missing"), default=False)
    teams_created = models.PositiveIntegerField(_("teams created"), default=0)
    people_added = models.PositiveIntegerField(_("people added"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    message = models.TextField(_("message"), blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"


class ImportedOperation(models.Model):
    """An operation an import created or changed: a line of that operation's history."""

    ACTIONS = [("create", _("created")), ("update", _("updated"))]

    record = models.ForeignKey(ImportRecord, on_delete=models.CASCADE, related_name="lines")
    operation = models.ForeignKey(
        "operations.Operation", on_delete=models.CASCADE, related_name="imports"
    )
    action = models.CharField(max_length=8, choices=ACTIONS)
    row = models.PositiveIntegerField(_("row"))

    class Meta:
        ordering = ["-record__created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "operation"], name="imported_operation_once_per_import"
            )
        ]

    def __str__(self):
        return f"{self.record} row {self.row}: {self.get_action_display()}"
