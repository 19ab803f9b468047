"""No page shows a role a link that answers 403: every link of every page a role reaches from its
home is followed (one URL of each named view, the demo data of tests/security/conftest.py) and none may
be refused. Links that lead to a 403 teach people that the menu lies; they hid what a role may not do."""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from tests.security.conftest import ROLE_USER

HREF = re.compile(r'<a\b[^>]*\bhref="([^"#]+)"')
# Not pages: downloads, the admin (its own permissions), the API, language switch, static and uploads.
SKIPPED = re.compile(r"^/(admin|api|i18n|static|media)/|\.(pdf|csv|xlsx)$|/export|/logout")


def reachable_links(client) -> list[tuple[str, str, int]]:
    """(page, link, status) for one URL of each named view reachable from the home page."""
    seen_views, found = set(), []
    queue = deque([("", "/")])
    while queue:
        page, link = queue.popleft()
        path = urlsplit(link).path
        if SKIPPED.search(path):
            continue
        try:
            view = resolve(path).view_name
        except Resolver404:
            continue
        if view in seen_views:
            continue
        seen_views.add(view)
        response = client.get(link, follow=True)
        found.append((page, link, response.status_code))
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            queue.extend((link, unescape(href)) for href in HREF.findall(html) if href.startswith("/"))
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_USER))
def test_no_link_a_role_is_shown_answers_403(world, client, role):
    client.force_login(world.users[ROLE_USER[role]])
    links = reachable_links(client)
    refused = [(page, link) for page, link, status in links if status == 403]
    assert len(links) > 5
    assert not refused, "\n".join(f"{page} → {link}" for page, link in refused)
