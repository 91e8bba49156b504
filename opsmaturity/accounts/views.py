from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opsmaturity.teams import access

from . import services
from .forms import PasswordChangeForm, PasswordResetForm, ProfileForm, SetPasswordForm
from .models import Profile, zone_names


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    """One's own profile, and only one's own: there is no id to change."""
    form = ProfileForm(request.POST or None, instance=Profile.of(request.user))
    if request.method == "POST" and form.is_valid():
        saved = services.update_profile(request.user, **form.cleaned_data)
        # the message in the language just chosen, as the next page will be
        language = saved.language or translation.get_language_from_request(request)
        with translation.override(language):
            messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    context = {
        "form": form,
        "zones": zone_names(),
        "integrations": access.can_see_integrations(request.user),
    }
    return render(request, "accounts/profile.html", context)


# Django's own views, in the app's look and hardening (templates/accounts/…).
password_reset = auth_views.PasswordResetView.as_view(
    form_class=PasswordResetForm,
    template_name="accounts/password_reset_form.html",
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    form_class=SetPasswordForm,
    template_name="accounts/password_reset_confirm.html",
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
password_change = auth_views.PasswordChangeView.as_view(
    form_class=PasswordChangeForm,
    template_name="accounts/password_change_form.html",
    success_url=reverse_lazy("password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)
