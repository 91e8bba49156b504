"""Pages in the signed-in person's language and time zone.

After AuthenticationMiddleware (settings): LocaleMiddleware has already chosen a
language from the URL, the cookie or Accept-Language; a person who chose one on
their profile gets theirs instead. The zone is set for every request, and put back
to the installation's for anyone who has none, so that no request inherits the
previous one's zone on the same thread.
"""

from django.utils import timezone, translation

from .models import Profile


class ProfileMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = None
        if user is not None and user.is_authenticated:
            profile = Profile.of(user)
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
