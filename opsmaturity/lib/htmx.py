from django.shortcuts import render


def render_page_or_partial(request, template, partial, context, status=200):
    """The whole page, or just the named partial when htmx asks for it (not for a
    boosted page load): one view serves both, so every page also works without JS."""
    if request.htmx and not request.htmx.boosted:
        template = f"{template}#{partial}"
    return render(request, template, context, status=status)
