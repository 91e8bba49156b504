"""What happened to a person's place in the organisation: they left, came back, or
had their operations handed over. One row per event, never rewritten."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opsmaturity.lib.models import AppendOnly


class EventKind(models.TextChoices):
    LEFT = "left", _("Left")
    RETURNED = "returned", _("Reactivated")
    HANDED_OVER = "handed_over", _("Operations handed over")


class PersonEvent(AppendOnly, models.Model):
    """Who deactivated, reactivated or handed over a person's operations, and when."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="person_events",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("what"), max_length=16, choices=EventKind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    # For a hand-over: how many operations changed.
    operations = models.PositiveIntegerField(_("operations"), default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("person event")
        verbose_name_plural = _("person events")
        indexes = [models.Index(fields=["person", "-at"], name="personevent_person_at")]

    def __str__(self):
        return f"{self.person} · {self.get_kind_display()} · {self.at:%Y-%m-%d}"
