"""The signed-in user of every request is read in one query with their branch and roles
(accounts.backends, issue #19), and read again on every request: a change shows on the next page."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.backends import signed_in
from accounts.models import Role

pytestmark = pytest.mark.django_db


def test_the_user_branch_and_roles_are_one_query(postgres, dispatcher, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = signed_in(dispatcher.pk)
        assert (user.branch.code, user.roles) == (dispatcher.branch.code, frozenset({Role.DISPATCHER}))


def test_a_page_reads_no_more_than_the_session_and_the_user_with_branch_and_roles(
    postgres, client, dispatcher, django_assert_num_queries
):
    client.force_login(dispatcher)
    url = reverse("tickets:fault_code_options")
    with django_assert_num_queries(2):  # the session; the user, their branch and roles
        response = client.get(url, {"fault_code": "e"})
    assert response.status_code == 200


def test_a_role_taken_away_or_given_shows_on_the_next_page(client, dispatcher):
    client.force_login(dispatcher)
    intake = reverse("tickets:intake")
    assert intake in client.get(reverse("tickets:list")).content.decode()
    dispatcher.groups.remove(Group.objects.get(name=Role.DISPATCHER))
    dispatcher.groups.add(Group.objects.get(name=Role.TECHNICIAN))
    page = client.get(reverse("tickets:list")).content.decode()
    assert intake not in page and reverse("tickets:my_jobs") in page


def test_a_user_moved_to_another_branch_sees_it_on_the_next_page(client, dispatcher, branch_b):
    client.force_login(dispatcher)
    assert client.get(reverse("tickets:list")).context["user"].branch == dispatcher.branch
    dispatcher.branch = branch_b
    dispatcher.save(update_fields=["branch"])
    assert client.get(reverse("tickets:list")).context["user"].branch == branch_b


def test_a_deactivated_user_is_signed_out(client, dispatcher):
    client.force_login(dispatcher)
    dispatcher.is_active = False
    dispatcher.save(update_fields=["is_active"])
    response = client.get(reverse("tickets:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
