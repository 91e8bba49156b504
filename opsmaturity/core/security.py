"""HTTP rules that hold for every URL of the project, whoever wrote its view."""

from django.http import HttpResponseNotAllowed
from django.utils.log import log_response

# What an HTML page is read and changed with: links and forms send GET and POST,
# browsers add HEAD and OPTIONS. Nothing here serves PUT, PATCH or DELETE.
PAGE_METHODS = ("GET", "HEAD", "OPTIONS", "POST")


class PageMethodsMiddleware:
    """Answer 405 to PUT, PATCH, DELETE and any other method no page serves.

    Each view still says which of these it serves (``require_http_methods``): a
    page that only reads answers a POST with 405 itself. This guard covers the
    views that cannot say it (the admin, the sign-in views) and any view added
    without a guard, before a session or the database is touched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in PAGE_METHODS:
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


# The digest's HTML as a response of its own (framed by the preview page, or opened
# alone): an email needs inline styles, and may need nothing else. Sandboxed even
# when opened alone, so that whatever text it shows runs as nobody.
EMAIL_HTML_POLICY = {
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
    "sandbox": ["allow-popups", "allow-popups-to-escape-sandbox"],
}
