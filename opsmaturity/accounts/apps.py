from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "opsmaturity.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .backends import forget_failures_of_the_address

        user_logged_in.connect(forget_failures_of_the_address, dispatch_uid="accounts-axes-email")
