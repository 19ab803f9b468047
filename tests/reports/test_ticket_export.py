"""The ticket list's export (issue #16): the filtered, sorted rows as xlsx or CSV, streamed."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests.tickets.factories import TicketFactory

pytestmark = pytest.mark.django_db


def download(client, fmt: str, **params) -> bytes:
    response = client.get(reverse("reports:ticket_export", args=[fmt]), params)
    assert response.status_code == 200 and response.streaming
    assert f".{fmt}" in response["Content-Disposition"]
    return b"".join(response.streaming_content)


def test_the_csv_has_the_filtered_rows_in_the_lists_order(client, dispatcher, branch_a, branch_b):
    reported = TicketFactory(unit__owner__branch=branch_a, number="SH-2", fault_description="=1+1 不制冷")
    TicketFactory(unit__owner__branch=branch_a, number="SH-1")
    TicketFactory(unit__owner__branch=branch_a, number="SH-3", dispatched=True)
    TicketFactory(unit__owner__branch=branch_b, number="HZ-1")
    client.force_login(dispatcher)
    body = download(client, "csv", state="reported", sort="-number").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["工单号", "网点", "状态"]
    assert [row[0] for row in rows[1:]] == ["SH-2", "SH-1"]
    assert rows[1][7] == reported.customer.phones.first().__str__()
    assert "'=1+1 不制冷" in rows[1]  # a formula stays text in Excel


def test_the_xlsx_reads_back_and_costs_the_same_queries_for_any_length(client, dispatcher, branch_a):
    client.force_login(dispatcher)
    TicketFactory.create_batch(2, unit__owner__branch=branch_a)
    with CaptureQueriesContext(connection) as few:
        download(client, "xlsx")
    TicketFactory.create_batch(20, unit__owner__branch=branch_a, dispatched=True)
    with CaptureQueriesContext(connection) as many:
        body = download(client, "xlsx")
    assert len(few) == len(many)
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    assert sheet.max_row == 23 and sheet["A1"].value == "工单号"


def test_an_unknown_format_is_not_found(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("reports:ticket_export", args=["pdf"])).status_code == 404
