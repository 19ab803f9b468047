"""Content-Security-Policy (issue #15): every page carries it, and no template relies on what it refuses —
inline scripts, event handler attributes (onclick=…), style attributes. PDF templates are rendered by
WeasyPrint, not a browser, and keep their inline styles. Browser check: tests/browser/test_content_security_policy.py."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(
    path
    for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts and "staticfiles" not in path.parts and "pdf" not in path.parts
)
# The last-resort error page renders without the static files (they may be what failed); its inline
# style is refused, and the page still reads.
WITHOUT_STATIC_FILES = {ROOT / "templates" / "500.html"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_needs_what_the_policy_refuses(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js/"
    assert not HANDLER.search(text), "event handler attribute: use data-confirm / data-print / static/js/"
    if path not in WITHOUT_STATIC_FILES:
        assert not STYLE_ATTRIBUTE.search(text), "style attribute: add a class to static/css/app.css"


@pytest.mark.django_db
def test_pages_carry_the_policy(client, dispatcher):
    client.force_login(dispatcher)
    policy = client.get(reverse("tickets:list"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
