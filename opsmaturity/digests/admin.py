from django.contrib import admin
from django.utils import timezone

from opsmaturity.core.admin import OpsModelAdmin, ReadOnly

from .models import DigestDelivery, DigestSubscription


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ReadOnly, OpsModelAdmin):
    """History and work queue of the dispatcher: read-only, the dispatcher writes it.
    Deleting one would reopen a week that was sent."""

    list_display = ["user", "period", "status", "attempts", "subject", "sent_at", "next_attempt_at"]
    list_filter = ["status", "period", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "subject"]
    list_select_related = ["user"]
    date_hierarchy = "period"


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(OpsModelAdmin):
    list_display = ["user", "mode", "time_zone", "next_digest_at", "unsubscribed_at"]
    list_filter = ["mode"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["next_digest_at", "unsubscribed_at", "resubscriptions", "updated_at"]

    def save_model(self, request, obj, form, change):
        # a changed mode or zone moves the next digest time, as on the preferences page
        if {"mode", "time_zone"} & set(form.changed_data) or obj.next_digest_at is None:
            obj.reschedule()
        if "mode" in form.changed_data:
            # subscribed again here: the unsubscribe links sent before stop working
            obj.follow_mode(form.initial.get("mode"), timezone.now())
        super().save_model(request, obj, form, change)
