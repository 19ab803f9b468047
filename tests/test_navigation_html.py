"""The header's menu written in Python (aftersales.navigation.nav_html) is what `_nav.html` wrote, for every
role, both languages, with and without a highlighted link; and it follows the user, the language and the page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role
from aftersales.navigation import Who, entries_for, nav_html
from tests.markup import tags_only

# templates/_nav.html before nav_html replaced it.
NAV_TEMPLATE = """{% load i18n %}
<ul class="navbar-nav me-auto flex-nowrap" data-testid="nav">
  {% for entry in nav_entries %}{% if entry.is_dropdown %}
  <li class="nav-item dropdown">
    <button class="nav-link dropdown-toggle{% if entry.active %} active{% endif %}" type="button" data-bs-toggle="dropdown" data-testid="nav-{{ entry.testid }}" aria-expanded="false">{{ entry.label }}</button>
    <ul class="dropdown-menu">{% for link in entry.links %}
      <li><a class="dropdown-item{% if link.active %} active{% endif %}" href="{{ link.url }}"{% if link.active %} aria-current="page"{% endif %}>{{ link.label }}</a></li>{% endfor %}
    </ul>
  </li>{% else %}{% with link=entry.links.0 %}
  <li class="nav-item"><a class="nav-link{% if link.active %} active{% endif %}" href="{{ link.url }}" data-testid="nav-{{ entry.testid }}"{% if link.active %} aria-current="page"{% endif %}>{{ link.label }}</a></li>{% endwith %}{% endif %}{% endfor %}
</ul>"""

PEOPLE = [Who(frozenset({role}), is_staff=False, is_superuser=False) for role in Role.values] + [
    Who(frozenset(Role.values), is_staff=True, is_superuser=True),
    Who(frozenset(), is_staff=False, is_superuser=False),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("who", PEOPLE, ids=lambda who: "+".join(sorted(who.roles)) or "none")
@pytest.mark.parametrize(
    "path", ["", "tickets:dispatch_board", "tickets:list", "reports:dashboard", "/tickets/7/"]
)
def test_the_menu_is_what_the_template_wrote(language, who, path):
    path = reverse(path) if ":" in path else path
    with translation.override(language):
        expected = Template(NAV_TEMPLATE).render(Context({"nav_entries": entries_for(who, path)}))
        written = nav_html(who, path)
    assert tags_only(written) == tags_only(expected)


def test_the_menu_follows_the_language_the_user_and_the_page():
    dispatcher = Who(frozenset({Role.DISPATCHER}), is_staff=False, is_superuser=False)
    technician = Who(frozenset({Role.TECHNICIAN}), is_staff=False, is_superuser=False)
    board = reverse("tickets:dispatch_board")
    with translation.override("zh-hans"):
        chinese = nav_html(dispatcher, board)
    with translation.override("en"):
        english = nav_html(dispatcher, board)
        assert nav_html(dispatcher, board) is english  # written once, then reused
        elsewhere = nav_html(dispatcher, reverse("tickets:intake"))
        mine = nav_html(technician, board)
    assert "派工看板" in chinese and "派工看板" not in english
    assert f'href="{board}" aria-current="page"' in english
    assert f'href="{board}" aria-current="page"' not in elsewhere
    assert 'aria-current="page"' in elsewhere
    assert board not in mine and reverse("tickets:my_jobs") in mine


@pytest.mark.django_db
def test_a_changed_role_or_language_shows_in_the_menu_on_the_next_request(client, dispatcher):
    """The menu is cached by what it is written from (roles, language, page), never by user: a dispatcher
    made a technician sees the technician's menu on the next page, and the other language at once."""
    board, jobs = reverse("tickets:dispatch_board"), reverse("tickets:my_jobs")
    client.force_login(dispatcher)
    first = client.get(reverse("tickets:list")).content.decode()
    assert f'href="{board}"' in first and f'href="{jobs}"' not in first
    dispatcher.groups.set(Group.objects.filter(name=Role.TECHNICIAN))
    second = client.get(reverse("tickets:list")).content.decode()
    assert f'href="{jobs}"' in second and f'href="{board}"' not in second
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("tickets:list")).content.decode()
    with translation.override("en"):
        my_jobs_in_english = _("我的任务")
    assert my_jobs_in_english != "我的任务"
    assert f'href="{jobs}">我的任务<' in second and f'href="{jobs}">{my_jobs_in_english}<' in english
