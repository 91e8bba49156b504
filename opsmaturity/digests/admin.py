from django.contrib import admin

from .models import DigestDelivery


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["user", "period", "subject", "claimed_at", "sent_at"]
    list_filter = ["period", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "subject"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
