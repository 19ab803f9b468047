"""The goods in/out register (客户商品进出登记簿): filters, pagination, scope, constant queries."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.tickets.factories import TicketFactory
from tickets.models import GoodsRegisterEntry
from tickets.return_services import GoodsIn, approve_return


def goods_in(branch, supervisor, *, days_ago: int = 0) -> GoodsRegisterEntry:
    ticket = TicketFactory(unit__owner__branch=branch, rma_requested=True)
    entry = approve_return(
        ticket_id=ticket.pk, user=supervisor, expected_version=ticket.version, goods=GoodsIn()
    )
    if days_ago:
        GoodsRegisterEntry.objects.filter(pk=entry.pk).update(
            in_at=timezone.now() - datetime.timedelta(days=days_ago)
        )
    return entry


@pytest.mark.django_db
def test_filtered_by_date_and_scoped_to_the_branch(
    client, branch_a, branch_b, headquarters, persona, supervisor
):
    today = goods_in(branch_a, supervisor)
    old = goods_in(branch_a, supervisor, days_ago=10)
    elsewhere = goods_in(branch_b, persona(Role.SUPERVISOR, branch=branch_b))
    client.force_login(persona(Role.DISPATCHER))
    page = client.get(reverse("tickets:goods_register")).content.decode()
    assert today.number in page and old.number in page and elsewhere.number not in page
    since = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    page = client.get(reverse("tickets:goods_register"), {"date_from": since}).content.decode()
    assert today.number in page and old.number not in page
    client.force_login(persona(Role.DISPATCHER, branch=headquarters))
    page = client.get(reverse("tickets:goods_register"), {"branch": branch_b.pk}).content.decode()
    assert elsewhere.number in page and today.number not in page


@pytest.mark.django_db
def test_a_reversed_date_range_is_named(client, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:goods_register"), {"date_from": "2026-11-27", "date_to": "2026-11-01"})
    assert "结束日期不能早于开始日期" in page.content.decode()


@pytest.mark.django_db
def test_technicians_do_not_keep_the_register(client, technician):
    client.force_login(technician)
    assert client.get(reverse("tickets:goods_register")).status_code == 403


@pytest.mark.django_db
def test_the_list_runs_in_constant_queries_and_paginates(client, branch_a, supervisor, dispatcher):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("tickets:goods_register")).status_code == 200
        return len(queries)

    client.force_login(dispatcher)
    goods_in(branch_a, supervisor)
    one = count()
    for _ in range(4):
        goods_in(branch_a, supervisor)
    assert count() == one
    for _ in range(25):
        goods_in(branch_a, supervisor)
    page = client.get(reverse("tickets:goods_register")).content.decode()
    assert "第 1 / 2 页" in page and "data-print" in page  # the print button (static/js/app.js)
    assert "第 2 / 2 页" in client.get(reverse("tickets:goods_register"), {"page": 2}).content.decode()
