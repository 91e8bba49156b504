"""The page where a person makes and revokes their personal API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opsmaturity.teams import access

from .forms import TokenForm
from .models import ApiToken


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    form = TokenForm(request.POST or None)
    raw = None
    if request.method == "POST" and form.is_valid():
        token, raw = ApiToken.issue(
            request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
        )
        form = TokenForm()  # the token is shown once, on this answer, never again
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_token": raw,
    }
    status = 400 if form.errors else 200
    return render(request, "api/tokens.html", context, status=status)


@login_required
@require_POST
def revoke(request, pk):
    token = access.get_or_deny(ApiToken.objects.all(), pk, access.can_revoke_token, request.user)
    if not token.is_revoked:
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        messages.success(
            request, _("“%(name)s” is revoked: it works no more.") % {"name": token.name}
        )
    return redirect("api:tokens")
