"""The API's conventions (issue #22), as a program calling it sees them: one error shape in the caller's
language, ETag / If-Match on tickets, cursor pagination with ordering, sparse fields — and the
customer resources' rules (the screens' permissions, scope and history)."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from customers.models import Customer, CustomerChange
from notifications.models import Notification
from tests.customers.factories import CustomerFactory, ProductModelFactory, UnitFactory
from tests.tickets.factories import TicketFactory
from tickets.models import RepairTicket

pytestmark = pytest.mark.django_db


def api_for(user, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(user)[1]}", **headers)
    return client


NEW_CUSTOMER = {"name": "王芳", "phone": "138 0013 8000", "address": "上海市浦东新区张江路 1 号"}


def test_an_error_has_one_shape_in_the_callers_language(dispatcher):
    bad = {**NEW_CUSTOMER, "phone": "12345"}
    chinese = api_for(dispatcher).post("/api/v1/customers", bad, format="json")
    english = api_for(dispatcher, HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/customers", bad, format="json")
    for response in (chinese, english):
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and body["field"] == "phone"
        assert body["errors"] == [{"code": "invalid", "message": body["message"], "field": "phone"}]
    assert "手机号" in chinese.json()["message"]
    assert english.json()["message"].startswith("Enter a valid mobile number")
    assert not Customer.objects.exists()


def test_not_found_and_refusals_have_the_same_shape(dispatcher, technician, branch_b):
    elsewhere = CustomerFactory(branch=branch_b)
    missing = api_for(dispatcher).get(f"/api/v1/customers/{elsewhere.pk}")
    refused = api_for(technician).post("/api/v1/customers", NEW_CUSTOMER, format="json")
    anonymous = APIClient().get("/api/v1/customers")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert "客服/调度" in refused.json()["message"]
    assert anonymous.status_code in (401, 403) and anonymous.json()["code"] == "not_authenticated"


def test_ticket_reads_carry_an_etag_and_writes_honour_if_match(dispatcher, technician, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    api = api_for(dispatcher)
    read = api.get(f"/api/v1/tickets/{ticket.pk}")
    assert read["ETag"] == f'"{ticket.version}"'
    assert api.get(f"/api/v1/tickets/{ticket.pk}", HTTP_IF_NONE_MATCH=read["ETag"]).status_code == 304
    url = f"/api/v1/tickets/{ticket.pk}/transitions/dispatch"
    stale = api.post(
        url, {"technician": technician.pk}, format="json", HTTP_IF_MATCH=f'"{ticket.version + 1}"'
    )
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    malformed = api.post(url, {"technician": technician.pk}, format="json", HTTP_IF_MATCH="yesterday")
    assert malformed.status_code == 400 and malformed.json()["field"] == "If-Match"
    done = api.post(url, {"technician": technician.pk}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert done.status_code == 200 and done["ETag"] == f'"{done.json()["version"]}"' != read["ETag"]
    # expected_version in the body still works, for the clients written before If-Match.
    ticket.refresh_from_db()
    body_stale = api.post(url, {"technician": technician.pk, "version": ticket.version - 1}, format="json")
    assert body_stale.status_code == 409


def test_cursor_pages_cover_every_row_once_in_the_chosen_order(dispatcher, branch_a, branch_b):
    for n in range(23):
        CustomerFactory(branch=branch_a, name=f"客户{n:02d}")
    CustomerFactory(branch=branch_b, name="杭州客户")
    api = api_for(dispatcher)
    names, url = [], "/api/v1/customers?page_size=10&ordering=-name"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 10
        names += [row["name"] for row in page["results"]]
        url = page["next"]
    assert names == [f"客户{n:02d}" for n in reversed(range(23))]


def test_sparse_fields_keep_what_was_asked_and_the_id(dispatcher, branch_a):
    CustomerFactory(branch=branch_a, name="王芳")
    rows = api_for(dispatcher).get("/api/v1/customers", {"fields": "name,nonsense"}).json()["results"]
    assert [set(row) for row in rows] == [{"id", "name"}]


def test_search_finds_a_customer_by_any_form_of_the_phone_and_by_serial(dispatcher, branch_a):
    customer = CustomerFactory(branch=branch_a, phone__number="13800138000")
    UnitFactory(owner=customer, serial_number="SN-ABC-1")
    api = api_for(dispatcher)
    for query in ("138-0013-8000", "+86 138 0013 8000", "sn-abc"):
        assert [row["id"] for row in api.get("/api/v1/customers", {"q": query}).json()["results"]] == [
            customer.pk
        ], query


def test_creating_and_correcting_a_customer_and_unit_use_the_screens_rules(dispatcher, supervisor, branch_a):
    ProductModelFactory(code="KFR-35GW")
    api = api_for(dispatcher)
    key = str(uuid.uuid4())
    first = api.post("/api/v1/customers", NEW_CUSTOMER, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = api.post("/api/v1/customers", NEW_CUSTOMER, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Customer.objects.count() == 1 and first.json()["phones"] == ["13800138000"]
    customer_id = first.json()["id"]
    unit = api.post(
        "/api/v1/units",
        {"owner": customer_id, "product_model": "KFR-35GW", "serial_number": " sn-1 "},
        format="json",
    )
    assert unit.status_code == 201 and unit.json()["serial_number"] == "SN-1"
    taken = api.post(
        "/api/v1/units",
        {"owner": customer_id, "product_model": "KFR-35GW", "serial_number": "sn-1"},
        format="json",
    )
    assert taken.status_code == 400 and taken.json()["field"] == "serial_number"
    # The supervisor corrects the file: the phones replaced, a history row names what changed.
    edited = api_for(supervisor).patch(
        f"/api/v1/customers/{customer_id}", {"phones": ["021 6123 4567"], "notes": "白天联系"}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["phones"] == ["02161234567"]
    change = CustomerChange.objects.get()
    assert {item["field"] for item in change.changes} == {"notes", "phones"} and change.actor == supervisor
    history = api.get(f"/api/v1/customers/{customer_id}/changes").json()
    assert [item["field"] for item in history[0]["changes"]] == [item["field"] for item in change.changes]
    future = api.patch(f"/api/v1/units/{unit.json()['id']}", {"purchase_date": "2099-01-01"}, format="json")
    assert future.status_code == 400 and future.json()["field"] == "purchase_date"


def test_a_technician_reads_but_does_not_edit_the_file(technician, branch_a):
    customer = CustomerFactory(branch=branch_a)
    api = api_for(technician)
    assert api.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    refused = api.patch(f"/api/v1/customers/{customer.pk}", {"notes": "x"}, format="json")
    assert refused.status_code == 403 and not CustomerChange.objects.exists()


def test_notifications_are_ones_own(dispatcher, supervisor):
    mine = Notification.objects.create(recipient=dispatcher, kind="test", subject="我的")
    theirs = Notification.objects.create(recipient=supervisor, kind="test", subject="别人的")
    api = api_for(dispatcher)
    assert [row["id"] for row in api.get("/api/v1/notifications", {"unread": "true"}).json()["results"]] == [
        mine.pk
    ]
    assert api.post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    assert api.post(f"/api/v1/notifications/{mine.pk}/read").json()["read_at"] is not None
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.get("/api/v1/notifications", {"unread": "true"}).json()["results"] == []


def test_the_schema_documents_the_error_shape_with_examples_on_every_operation(client):
    schema = client.get("/api/schema?format=json").json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "field", "errors"]
    for path, item in schema["paths"].items():
        assert path.startswith("/api/v1/")
        for method, operation in item.items():
            for status in ("400", "403", "404", "409"):
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path)
                assert content["example"]["code"], (method, path)


def test_the_ticket_list_pages_by_cursor_with_the_pages_filters(
    dispatcher, branch_a, branch_b, django_assert_max_num_queries
):
    """The ticket list paged by number (`?page=`, a COUNT over the scope, rows shifting between pages while
    calls came in); now it is cursor-paged like every list, with the list page's filters and scope."""
    for _n in range(12):
        TicketFactory(unit__owner__branch=branch_a)
    for _n in range(3):
        TicketFactory(unit__owner__branch=branch_a, closed=True)
    TicketFactory(unit__owner__branch=branch_b)
    api = api_for(dispatcher)
    numbers, url = [], "/api/v1/tickets?page_size=5&ordering=-number&state=open"
    while url:
        with django_assert_max_num_queries(6):  # the same few queries on every page
            page = api.get(url).json()
        assert "count" not in page and len(page["results"]) <= 5
        numbers += [row["number"] for row in page["results"]]
        url = page["next"]
    mine = RepairTicket.objects.filter(branch=branch_a).exclude(state="closed")
    assert numbers == sorted(mine.values_list("number", flat=True), reverse=True)
    # A new call between two pages neither repeats a row nor hides one (a page number shifted them).
    first = api.get("/api/v1/tickets", {"page_size": 5, "ordering": "reported_at"}).json()
    TicketFactory(unit__owner__branch=branch_a)
    rest, url = [], first["next"]
    while url:
        page = api.get(url).json()
        rest += [row["id"] for row in page["results"]]
        url = page["next"]
    seen = [row["id"] for row in first["results"]] + rest
    assert len(seen) == len(set(seen)) == RepairTicket.objects.filter(branch=branch_a).count()
    # Sparse fields, and the page's filters' errors in the one shape.
    rows = api.get("/api/v1/tickets", {"state": "closed", "fields": "number,state"}).json()["results"]
    assert [set(row) for row in rows] == [{"id", "number", "state"}] * 3
    bad = api.get("/api/v1/tickets", {"q": "1"})
    assert bad.status_code == 400 and bad.json()["field"] == "q"


def test_every_list_of_the_schema_pages_by_cursor(client):
    """No list pages by number (the tickets, the catalogue and the van did): every operation answering a
    list takes `cursor` and `page_size`, none takes `page`; a customer's short history is the one list
    given whole."""
    schema = client.get("/api/schema", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    lists = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        body = operation["responses"]["200"]["content"].get("application/json", {}).get("schema", {})
        names = {parameter["name"] for parameter in operation.get("parameters", [])}
        assert "page" not in names, path
        if body.get("type") == "array":
            assert path == "/api/v1/customers/{id}/changes", f"{path}: a list without a cursor"
        elif "results" in components.get(body.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {}):
            assert {"cursor", "page_size"} <= names, path
            lists.append(path)
    assert {"/api/v1/tickets", "/api/v1/parts", "/api/v1/parts/my-van"} <= set(lists)


def test_every_write_documents_an_example_body(client):
    """A client's author sees a request that works, for every operation that takes a body."""
    schema = client.get("/api/schema", {"format": "json"}).json()
    bare = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
        and not operation["requestBody"]["content"]["application/json"].get("examples")
    ]
    assert bare == []
