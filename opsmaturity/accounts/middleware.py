"""Pages in the signed-in person's language and time zone.

After AuthenticationMiddleware (settings): LocaleMiddleware has already chosen a
language from the URL, the cookie or Accept-Language; a person who chose one on
their profile gets theirs instead. The zone is set for every request, and put back
to the installation's for anyone who has none, so that no request inherits the
previous one's zone on the same thread.

A database that cannot answer is left to the view to meet (core/faults.py turns it
into a 503, and /healthz into its JSON): the page is then in the browser's language.
"""

from django.db import DatabaseError
from django.utils import timezone, translation

from opsmaturity.core.faults import database_unavailable

from .models import Profile


def _profile(request):
    user = getattr(request, "user", None)
    try:
        if user is None or not user.is_authenticated:
            return None
        return Profile.of(user)
    except DatabaseError as exc:
        if database_unavailable(exc):
            return None
        raise


class ProfileMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        profile = _profile(request)
        zone = None
        if profile is not None:
            if profile.language:
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
            zone = profile.zone
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
