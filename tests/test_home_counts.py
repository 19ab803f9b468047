"""Home pages per role show the work waiting for that person, and every count equals the length of the
list it links to (issue #16): opened as each demo user would, link by link."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.management import call_command

from accounts.models import User

COUNT_LINK = re.compile(r'href="([^"]+)" data-home-count="(\d+)"')
DEMO_USERS = ["dispatcher", "supervisor", "technician", "warehouse", "finance", "manager", "gm", "admin"]


def list_length(response) -> int:
    """How many rows the linked list holds: its paginator's count, or the inbox's total."""
    context = response.context
    if "page" in context and context["page"] is not None:
        return context["page"].paginator.count
    return context["total"]


@pytest.mark.django_db
def test_every_count_on_each_home_page_is_the_length_of_its_list(client):
    call_command("seed_demo", customers=20, verbosity=0)
    for username in DEMO_USERS:
        client.force_login(User.objects.get(username=username))
        home = client.get("/", follow=True)
        page = home.content.decode()
        links = [(unescape(url), int(count)) for url, count in COUNT_LINK.findall(page)]
        if username == "technician":
            assert not links  # the technician's home is their job list
            continue
        assert links, username
        for url, count in links:
            response = client.get(url)
            assert response.status_code == 200, url
            assert list_length(response) == count, (username, url)
        if username == "gm":  # his pending large claims
            assert 'data-testid="home-approvals"' in page
        if username == "finance":  # its fees to invoice and write-offs to book
            assert 'data-testid="home-finance"' in page
        if username == "warehouse":  # requisitions to issue, part lines to settle
            assert 'data-testid="home-warehouse"' in page
