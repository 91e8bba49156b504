"""HTTP rules that hold for every URL of the project, whoever wrote its view."""

import ipaddress

from django.conf import settings
from django.http import HttpResponseNotAllowed
from django.utils.log import log_response

# What an HTML page is read and changed with: links and forms send GET and POST,
# browsers add HEAD. Nothing here serves PUT, PATCH or DELETE, nor OPTIONS: the
# app answers no cross-origin request, so no browser has a reason to ask.
PAGE_METHODS = ("GET", "HEAD", "POST")
# The REST API (opsmaturity/api) is no page: each of its endpoints says itself which
# methods it serves (PUT and PATCH among them) and answers 405 to the others.
API_PREFIX = "/api/"


class PageMethodsMiddleware:
    """Answer 405 to PUT, PATCH, DELETE, OPTIONS and any other method no page serves.

    Each view still says which of these it serves (``require_http_methods``): a
    page that only reads answers a POST with 405 itself. This guard covers the
    views that cannot say it (the admin, the sign-in views) and any view added
    without a guard, before a session or the database is touched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in PAGE_METHODS and not request.path_info.startswith(API_PREFIX):
            response = HttpResponseNotAllowed(PAGE_METHODS)
            log_response(
                "Method Not Allowed (%s): %s",
                request.method,
                request.path,
                response=response,
                request=request,
            )
            return response
        return self.get_response(request)


def client_address(request):
    """The address a sign-in attempt is counted against (django-axes).

    REMOTE_ADDR, unless ``TRUSTED_PROXY_COUNT`` proxies stand in front of the app.
    Each of them appends the address it got the request from to X-Forwarded-For,
    so the n-th entry from the right is the one the outermost trusted proxy saw;
    whatever stands left of it the client wrote itself, and could be anything.
    A header that is missing, too short or not an address falls back to
    REMOTE_ADDR, which then counts the proxy: never a name the client chose.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if not count:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
