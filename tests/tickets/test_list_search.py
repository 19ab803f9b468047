"""The ticket list's search box finds a customer's name, part of a ticket number and words of the fault
description (Chinese, no spaces), besides a phone or serial prefix; on PostgreSQL through trigram
indexes (migration 0014), elsewhere by a plain icontains."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.tickets.factories import TicketFactory


@pytest.fixture
def tickets(branch_a):
    wanted = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__name="上海申通巴士有限公司",
        number="SH-20261205-0042",
        fault_description="空调压缩机不启动,外机风扇正常运转",
    )
    other = TicketFactory(
        unit__owner__branch=branch_a,
        unit__owner__name="李娜",
        number="SH-20261205-0043",
        fault_description="洗衣机脱水时噪音大",
    )
    return wanted, other


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["申通巴士", "0042", "20261205-0042", "sh-20261205-0042", "压缩机不启动", "外机风扇"]
)
def test_the_list_finds_names_partial_numbers_and_fault_words(client, dispatcher, tickets, query):
    wanted, other = tickets
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:list"), {"q": query}).content.decode()
    assert wanted.number in page and other.number not in page


@pytest.mark.django_db
def test_the_search_box_says_what_it_finds(client, dispatcher):
    client.force_login(dispatcher)
    page = client.get(reverse("tickets:list")).content.decode()
    assert "工单号 / 客户 / 电话 / 序列号 / 故障描述" in page


@pytest.mark.django_db
def test_the_trigram_indexes_exist_on_postgresql(postgres):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexdef LIKE %s", ["%gin_trgm_ops%"])
        names = {row[0] for row in cursor.fetchall()}
    assert {"tickets_number_trgm_idx", "tickets_fault_trgm_idx", "customers_name_trgm_idx"} <= names
