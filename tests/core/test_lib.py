"""opsmaturity/lib: the helpers every app may use, so it imports no app; emails and links."""

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.safestring import SafeData, mark_safe

import opsmaturity.lib
from opsmaturity.lib import emails, urls

LIB = Path(opsmaturity.lib.__file__).parent


def lib_modules():
    return ["opsmaturity.lib"] + [
        info.name
        for info in pkgutil.walk_packages(opsmaturity.lib.__path__, prefix="opsmaturity.lib.")
    ]


def app_packages():
    """opsmaturity.<app> for every app of the project, from INSTALLED_APPS."""
    return {
        ".".join(entry.split(".")[:2])
        for entry in settings.INSTALLED_APPS
        if entry.startswith("opsmaturity.")
    }


def imported_names(source, module):
    """Every module a source imports, relative imports resolved against ``module``."""
    package = module if module == "opsmaturity.lib" else module.rsplit(".", 1)[0]
    if Path(LIB, *module.split(".")[2:], "__init__.py").exists():
        package = module
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.append(str(node.args[0].value))
    return names


def apps_imported(source, module):
    apps = app_packages()
    return sorted(
        {
            name
            for name in imported_names(source, module)
            for app in apps
            if (name + ".").startswith(app + ".")
        }
    )


def test_the_check_sees_every_way_of_importing_an_app():
    sources = [
        "from opsmaturity.operations.models import Operation",
        "import opsmaturity.maturity.rules",
        "from opsmaturity import teams",
        "from .. import digests",
        "from ..organization import gap",
        "import importlib\nimportlib.import_module('opsmaturity.dashboard.metrics')",
    ]
    for source in sources:
        assert apps_imported(source, "opsmaturity.lib.emails"), source
    assert (
        apps_imported(
            "from . import urls\nfrom django.conf import settings", "opsmaturity.lib.emails"
        )
        == []
    )


@pytest.mark.parametrize("module", lib_modules())
def test_lib_imports_no_app(module):
    importlib.import_module(module)
    spec = importlib.util.find_spec(module)
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert apps_imported(source, module) == [], f"{module} imports an app"


def test_the_email_and_link_helpers_are_in_lib():
    assert {"opsmaturity.lib.emails", "opsmaturity.lib.urls"} <= set(lib_modules())


# --- emails by naming convention ------------------------------------------------------


@pytest.fixture
def templates(tmp_path, settings):
    """A template folder of our own, with the project's engine options."""
    folder = tmp_path / "mails"
    folder.mkdir()
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    def write(name, text):
        (folder / name).write_text(text, encoding="utf-8")

    return write


def test_an_email_from_three_templates_and_its_stylesheet_inlined(templates):
    templates(
        "hello-subject.txt", "{% autoescape off %}\n  Hello   {{ who }}\n{% endautoescape %}\n"
    )
    templates(
        "hello-body.txt", "{% autoescape off %}Dear {{ who }},\nsee {{ link }}{% endautoescape %}"
    )
    templates(
        "hello-body.html",
        '<!doctype html><html><head><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '</head><body><p class="note">Dear {{ who }}</p><p class="other" style="color:#000">'
        "x</p></body></html>",
    )
    templates(
        "hello.css", ".note { color: #b3261e; font-weight: 700 } .other { color: #fff; margin: 0 }"
    )
    who = '<b>Ann & "Bo"</b>'
    message = emails.make(
        "mails/hello", "ann@example.com", {"who": who, "link": "https://x/?a=1&b=2"}
    )

    assert message.subject == f"Hello {who}" and message.to == ["ann@example.com"]
    # the text part as typed, and not marked safe: a page that shows it escapes it
    assert message.body == f"Dear {who},\nsee https://x/?a=1&b=2"
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert type(part) is str and not isinstance(part, SafeData)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<p class="note" style="color:#b3261e;font-weight:700">' in html
    # the element's own style wins over the stylesheet, the rest is added
    assert '<p class="other" style="margin:0;color:#000">' in html
    assert '&lt;b&gt;Ann &amp; "Bo"&lt;/b&gt;' in html and "<b>" not in html
    assert "<style" not in html and "<link" not in html  # nothing fetched, nothing left


def test_an_email_without_a_stylesheet(templates):
    templates("bare-subject.txt", "Hi")
    templates("bare-body.txt", "text")
    templates("bare-body.html", "<p>{{ x }}</p>")
    parts = emails.render("mails/bare", {"x": "<i>"})
    assert (parts.subject, parts.text) == ("Hi", "text")
    assert "<p>&lt;i&gt;</p>" in parts.html


def test_a_subject_is_one_header_line_and_plain_text(templates):
    templates("long-subject.txt", "{{ word }}\n" * 400)
    templates("long-body.txt", "{{ word }}")
    templates("long-body.html", "<p>{{ word }}</p>")
    parts = emails.render("mails/long", {"word": "word"})
    assert "\n" not in parts.subject and len(parts.subject) == emails.SUBJECT_LIMIT
    assert type(emails.plain(mark_safe("<b>"))) is str


# --- absolute links ------------------------------------------------------------------


def test_absolute_links_start_with_the_site_url(settings):
    settings.SITE_URL = "https://ops.example.com/"
    assert urls.site_url() == "https://ops.example.com"
    assert urls.absolute("/ops/3/?a=1") == "https://ops.example.com/ops/3/?a=1"
    for not_a_path in ("https://elsewhere.example.com/", "//elsewhere.example.com/x", "ops/3/"):
        with pytest.raises(ValueError):
            urls.absolute(not_a_path)
