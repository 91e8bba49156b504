from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DigestDelivery(models.Model):
    """One weekly digest for one user. The constraint makes a second send impossible."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries"
    )
    period = models.DateField(_("week starting"), help_text=_("The Monday of the digest's week."))
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "period"],
                name="digest_one_per_user_and_period",
                violation_error_message=_("This digest was already sent."),
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.period}"
