"""Moving in from spreadsheets (issue #21 item 3): the call book import through its pages and services —
the dry run names each bad row and column and writes nothing, GBK csv and xlsx both read, customers are
found again by phone, a historical ticket makes the next repair a repeat, the KPIs of its month are
summarised again, and a batch is undone (or refused when something was built on it)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from aftersales.celery import app
from audit.models import AuditEntry
from customers.models import Customer, CustomerPhone, ImportBatch, Unit
from loadtest.callbook import as_csv, as_xlsx, generate_rows
from notifications.models import Notification
from reports.kpis import summarise
from reports.models import KpiMonth
from reports.periods import Month
from surveys.models import FollowUpCall, Survey
from tests.customers.factories import CustomerFactory, ProductModelFactory, UnitFactory
from tickets import callbook
from tickets.callbook_rules import COLUMNS, SAMPLE_ROW
from tickets.models import RepairTicket, State, TicketDeadline
from tickets.selectors import verdict_for_unit
from tickets.services import CallDetails, log_call
from warranty.rules import reason_text

pytestmark = pytest.mark.postgres

HEADER = [column.header for column in COLUMNS]


def row(**values) -> list[str]:
    cells = {**SAMPLE_ROW, **values}
    return [cells[column.key] for column in COLUMNS]


@pytest.fixture(autouse=True)
def eager_tasks():
    """Tasks run in the test's process when they are queued (tests/integration/test_callbook_worker.py
    runs them through a real worker)."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def admin_user(persona, headquarters):
    return persona(Role.ADMIN, branch=headquarters, username="admin")


@pytest.fixture
def air_conditioner(db):
    return ProductModelFactory(code="KFR-35GW", name="壁挂式空调", category="appliance")


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(client, name: str, content: bytes, branch, django_capture_on_commit_callbacks) -> ImportBatch:
    """Upload through the page; the dry run task runs at the commit (as the worker would)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("tickets:callbook"),
            {"file": SimpleUploadedFile(name, content), "branch": branch.pk},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.latest("pk")


def run_import(client, batch, django_capture_on_commit_callbacks) -> ImportBatch:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("tickets:callbook_run", args=[batch.pk]))
    assert response.status_code == 302
    batch.refresh_from_db()
    return batch


def test_the_dry_run_names_each_bad_row_and_column_and_writes_nothing(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    rows = [
        HEADER,
        row(),
        row(phone="12345", serial="SN-2"),
        row(purchase_date="2023-13-45", serial="SN-3", phone="13900000003"),
        row(model_code="NO-SUCH", serial="SN-4", phone="13900000004"),
        row(purchase_date="2024-05-01", reported_at="2024-03-05", serial="SN-5", phone="13900000005"),
        row(fee="一百", serial="SN-6", phone="13900000006"),
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.REJECTED
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "行 3" in page and "「联系电话」" in page and "电话号码「12345」无法识别" in page
    assert "行 4" in page and "「购买日期」" in page and "日期格式无法识别:「2023-13-45」" in page
    assert "行 5" in page and "产品型号「NO-SUCH」不存在" in page
    assert "行 6" in page and "购买日期不能晚于报修日期" in page
    assert "行 7" in page and "「服务费」" in page and "金额无法识别" in page
    assert [(error["row"], error["column"]) for error in batch.errors] == [
        (3, "联系电话"),
        (4, "购买日期"),
        (5, "产品型号"),
        (6, "购买日期"),
        (7, "服务费"),
    ]
    assert "发现 5 处错误,未写入任何数据" in page
    assert not Customer.objects.exists() and not Unit.objects.exists() and not RepairTicket.objects.exists()
    # No import from a rejected batch.
    client_admin.post(reverse("tickets:callbook_run", args=[batch.pk]))
    assert not Customer.objects.exists()


def test_a_missing_required_column_is_named(client_admin, branch_a, django_capture_on_commit_callbacks):
    content = as_csv([["客户名称", "地址"], ["张伟", "上海"]])
    batch = upload(client_admin, "book.csv", content, branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.REJECTED
    assert batch.errors[0]["row"] == 1 and batch.errors[0]["column"] == "联系电话"


def test_errors_read_in_english_for_an_english_reader(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    batch = upload(
        client_admin,
        "book.csv",
        as_csv([HEADER, row(purchase_date="昨天")]),
        branch_a,
        django_capture_on_commit_callbacks,
    )
    client_admin.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "Row 2" in page and "“购买日期”" in page and "Date not recognised: “昨天”" in page


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_in_gbk_or_utf8_with_or_without_bom(
    encoding, client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    content = as_csv([HEADER, row(customer_name="欧阳娜娜", address="杭州市西湖区")], encoding)
    batch = upload(client_admin, "book.csv", content, branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.CHECKED, batch.errors
    batch = run_import(client_admin, batch, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.DONE
    customer = Customer.objects.get()
    assert (customer.name, customer.address, customer.import_batch_id) == (
        "欧阳娜娜",
        "杭州市西湖区",
        batch.pk,
    )


def test_xlsx_with_date_cells_and_numbers(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    rows = [HEADER, row()]
    sample = rows[1]
    sample[HEADER.index("联系电话")] = 13800138000  # a phone typed into a number cell
    sample[HEADER.index("购买日期")] = datetime.datetime(2023, 6, 18)  # a date cell  # noqa: DTZ001 - a spreadsheet's dates have no zone
    sample[HEADER.index("报修日期")] = datetime.datetime(2024, 3, 5, 14, 30)  # noqa: DTZ001 - a spreadsheet's dates have no zone
    sample[HEADER.index("服务费")] = 120.5
    batch = upload(client_admin, "book.xlsx", as_xlsx(rows), branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.CHECKED, batch.errors
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    ticket = RepairTicket.objects.get()
    assert timezone.localtime(ticket.reported_at).replace(tzinfo=None) == datetime.datetime(  # noqa: DTZ001 - a spreadsheet's dates have no zone
        2024, 3, 5, 14, 30
    )
    assert ticket.unit.purchase_date == datetime.date(2023, 6, 18)
    assert str(ticket.imported_fee) == "120.50"
    assert CustomerPhone.objects.get().number == "13800138000"


def test_customers_are_found_again_by_phone_in_the_file_and_in_the_database(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    known = CustomerFactory(name="老客户", branch=branch_a, phone__number="13911112222")
    rows = [
        HEADER,
        row(phone="138 0013 8000", serial="SN-1"),
        row(phone="+86 138-0013-8000", serial="SN-2", customer_name="张伟(重复)"),
        row(
            phone="8613800138000",
            serial="SN-1",
            reported_at="2024-05-01",
            fault_description="漏水",
            completed_at="2024-05-02",
            closed_at="2024-05-03",
        ),
        row(phone="139-1111-2222", serial="SN-3", customer_name="老客户"),
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert batch.counts == {
        "customers": 1,
        "customers_reused": 1,
        "units": 3,
        "units_reused": 0,
        "tickets": 4,
        "skipped": 0,
        "warnings": 1,  # 张伟(重复) on 张伟's phone
    }
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    assert Customer.objects.count() == 2
    imported = Customer.objects.get(import_batch=batch)
    assert imported.name == "张伟" and list(imported.phones.values_list("number", flat=True)) == [
        "13800138000"
    ]
    assert sorted(imported.units.values_list("serial_number", flat=True)) == ["SN-1", "SN-2"]
    known.refresh_from_db()
    assert known.name == "老客户" and known.import_batch is None
    assert known.units.get().serial_number == "SN-3"
    assert RepairTicket.objects.filter(unit__serial_number="SN-1").count() == 2


def test_a_serial_of_another_customer_is_refused(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    UnitFactory(serial_number="SN-1", product_model=air_conditioner, owner__phone__number="13911112222")
    rows = [
        HEADER,
        row(serial="SN-1"),
        row(serial="SN-9", phone="13700000000"),
        row(serial="SN-9", fault_description="漏水"),
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert [(error["row"], error["column"]) for error in batch.errors] == [(2, "序列号"), (4, "序列号")]


def test_a_historical_ticket_makes_the_next_repair_a_repeat_and_starts_no_clock(
    client_admin, branch_a, dispatcher, air_conditioner, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    reported = today - datetime.timedelta(days=40)
    rows = [
        HEADER,
        row(
            purchase_date=(today - datetime.timedelta(days=200)).isoformat(),
            reported_at=reported.isoformat(),
            completed_at=(reported + datetime.timedelta(days=1)).isoformat(),
            closed_at="",
            technician="李强",
            fee="¥1,280.00",
        ),
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    unit_serial = SAMPLE_ROW["serial"].upper()
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    historical = RepairTicket.objects.get()
    assert historical.state == State.CLOSED and historical.technician is None
    assert historical.imported_technician == "李强" and str(historical.imported_fee) == "1280.00"
    assert historical.closed_at == historical.completed_at
    # History starts no clock and tells nobody: no deadlines, notifications, follow-up calls or surveys.
    assert not TicketDeadline.objects.exists() and not Notification.objects.exists()
    assert not FollowUpCall.objects.exists() and not Survey.objects.exists()
    page = client_admin.get(historical.get_absolute_url()).content.decode()
    assert "李强" in page and "¥1,280.00" in page and f"历史数据导入(批次 {batch.pk})" in page
    unit = Unit.objects.get(serial_number=unit_serial)
    verdict = verdict_for_unit(unit, report_date=today, fault="quality", fault_category="appliance")
    assert [
        dict(reason.params)["count"] for reason in verdict.reasons if reason.code == "repeat_extension"
    ] == [1]
    ticket = log_call(
        user=dispatcher,
        unit=unit,
        details=CallDetails(fault_category="appliance", fault_description="又不制冷"),
    )
    reasons = {reason["code"]: reason["params"] for reason in ticket.warranty_decision["reasons"]}
    assert reasons["repeat_extension"]["count"] == 1


def test_the_months_of_the_history_are_summarised_again(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    march = Month(2024, 3)
    summarise(march)
    assert not KpiMonth.objects.filter(month=march.first_day).exists()
    batch = upload(
        client_admin, "book.csv", as_csv([HEADER, row()]), branch_a, django_capture_on_commit_callbacks
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_import(client_admin, batch, django_capture_on_commit_callbacks)
    assert batch.months == ["2024-03"]
    stored = KpiMonth.objects.get(month=march.first_day)
    assert (stored.volume_c, stored.finished) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        client_admin.post(reverse("tickets:callbook_undo", args=[batch.pk]))
    assert not KpiMonth.objects.filter(month=march.first_day).exists()


def test_undo_removes_the_batch_but_not_the_customers_it_found(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    known = CustomerFactory(branch=branch_a, phone__number="13911112222")
    rows = [HEADER, row(), row(phone="13911112222", serial="SN-2")]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    assert RepairTicket.objects.count() == 2
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "可以整批撤销" in page and 'data-testid="callbook-undo"' in page
    confirm = client_admin.get(reverse("tickets:callbook_undo", args=[batch.pk])).content.decode()
    assert "将删除本批新建的 1 位客户、2 台产品和 2 张历史工单" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client_admin.post(reverse("tickets:callbook_undo", args=[batch.pk]))
    assert response.status_code == 302
    assert "撤销本批导入,导入的数据已删除" in client_admin.get(batch.get_absolute_url()).content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.UNDONE and batch.undone_by.username == "admin"
    assert list(Customer.objects.all()) == [known] and not Unit.objects.exists()
    assert not RepairTicket.objects.exists() and not CustomerPhone.objects.exclude(customer=known).exists()
    # The upload of customers' data and both one-way steps are in the audit trail, with who, the file,
    # what they wrote or removed, and the browser's address although the worker wrote the rows (found by
    # the new-user trial: no upload row, no IP address).
    uploaded, imported, undone = AuditEntry.objects.filter(object_type="customers.importbatch").order_by("pk")
    assert (uploaded.verb, uploaded.actor.username, uploaded.details) == (
        "callbook.upload",
        "admin",
        {"file": "book.csv", "rows": 2, "state": "checked"},
    )
    assert [entry.ip_address for entry in (uploaded, imported, undone)] == ["127.0.0.1"] * 3
    # The 对象 column names the file; the batch's id is in the 对象编号 column beside it.
    assert {entry.object_label for entry in (uploaded, imported, undone)} == {"book.csv"}
    assert (imported.verb, imported.actor.username, imported.object_id) == (
        "callbook.import",
        "admin",
        str(batch.pk),
    )
    assert imported.details["file"] == "book.csv" and imported.details["counts"]
    assert (undone.verb, undone.actor.username) == ("callbook.undo", "admin")
    assert undone.details["removed"] == {"tickets": 2, "units": 2, "customers": 1}


def test_undo_is_refused_when_a_new_ticket_was_logged_on_an_imported_unit(
    client_admin, branch_a, dispatcher, air_conditioner, django_capture_on_commit_callbacks
):
    batch = upload(
        client_admin, "book.csv", as_csv([HEADER, row()]), branch_a, django_capture_on_commit_callbacks
    )
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    log_call(
        user=dispatcher,
        unit=Unit.objects.get(),
        details=CallDetails(fault_category="appliance", fault_description="又不制冷"),
    )
    # Said up front on the batch's page, with no button that could only fail.
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "不能撤销:导入之后已有数据建立在本批导入的记录上" in page and "维修工单 1 条" in page
    assert 'data-testid="callbook-undo"' not in page
    # Which ticket, by its number and linked; what the notification is (found by the new-user trial:
    # "维修工单 1 条 / 通知 1 条" and nothing to find them by).
    new = RepairTicket.objects.get(import_batch__isnull=True)
    blocked = page.split('data-testid="callbook-undo-blocked"')[1].split("</div>")[0]
    assert f'维修工单 1 条:<a href="{new.get_absolute_url()}">{new.number}</a>' in blocked
    assert f"通知 1 条:「{Notification.objects.get().subject_text}」" in blocked
    confirm = client_admin.get(reverse("tickets:callbook_undo", args=[batch.pk])).content.decode()
    assert "不能撤销" in confirm and "维修工单 1 条" in confirm
    response = client_admin.post(reverse("tickets:callbook_undo", args=[batch.pk]), follow=True)
    assert "不能撤销:导入之后已有数据建立在本批导入的记录上(维修工单 1 条、" in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.DONE and RepairTicket.objects.count() == 2


def test_a_grown_book_imported_again_skips_the_rows_already_on_file(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: the same book with this month's calls added was refused row by row."""
    first = [HEADER, row(), row(serial="SN-2", phone="13900000002", customer_name="李娜")]
    run_import(
        client_admin,
        upload(client_admin, "a.csv", as_csv(first), branch_a, django_capture_on_commit_callbacks),
        django_capture_on_commit_callbacks,
    )
    grown = [
        *first,
        row(fault_description="又不制冷", reported_at="2024-06-01", completed_at="2024-06-02", closed_at=""),
        row(serial="SN-3", phone="13900000003", customer_name="王芳"),
    ]
    again = upload(client_admin, "a.csv", as_csv(grown), branch_a, django_capture_on_commit_callbacks)
    assert again.state == ImportBatch.State.CHECKED, again.errors
    assert again.counts["skipped"] == 2 and again.counts["tickets"] == 2 and again.counts["customers"] == 1
    page = client_admin.get(again.get_absolute_url()).content.decode()
    assert "已导入过 2 行,将跳过" in page
    run_import(client_admin, again, django_capture_on_commit_callbacks)
    assert again.state == ImportBatch.State.DONE
    assert RepairTicket.objects.count() == 4 and Customer.objects.count() == 3
    assert RepairTicket.objects.filter(import_batch=again).count() == 2
    assert "已导入过 2 行,已跳过" in client_admin.get(again.get_absolute_url()).content.decode()


def test_two_names_on_one_phone_are_warned_about_and_the_first_one_wins(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: the dry run merged two people on one number without a word."""
    CustomerFactory(name="老客户", branch=branch_a, phone__number="13911112222")
    rows = [
        HEADER,
        row(customer_name="张伟", phone="13800138000"),
        row(customer_name="张薇", phone="138 0013 8000", serial="SN-2"),
        row(customer_name="老客户的儿子", phone="13911112222", serial="SN-3"),
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.CHECKED  # a warning does not block the import
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "2 条提示(不影响导入)" in page
    assert "行 3" in page and (
        "电话 13800138000 在第 2 行是「张伟」,本行是「张薇」:按电话视为同一位客户,采用第一行的名称「张伟」"
        in page
    )
    assert "行 4" in page and "已是系统中的客户「老客户」,本行的名称「老客户的儿子」不会改变它" in page
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["张伟", "老客户"]


def test_a_date_the_calendar_has_not_is_named_as_such(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: 2023-02-30 was called a format error."""
    batch = upload(
        client_admin,
        "book.csv",
        as_csv([HEADER, row(purchase_date="2023-02-30")]),
        branch_a,
        django_capture_on_commit_callbacks,
    )
    assert [(error["row"], error["column"]) for error in batch.errors] == [(2, "购买日期")]
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "没有这一天:「2023-02-30」(2023 年 2 月没有 30 日)" in page
    assert "日期格式无法识别" not in page


def test_a_unit_without_a_purchase_place_is_told_the_place_is_missing(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: an imported unit with a purchase date but no place got a paid
    verdict saying the purchase date was not given (the manufacturer's policy, §3 第十一条, needs both)."""
    rows = [HEADER, row(purchase_date="2024-02-01", purchase_place="")]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    verdict = verdict_for_unit(
        Unit.objects.get(), report_date=datetime.date(2024, 3, 1), fault="quality", fault_category="appliance"
    )
    texts = [reason_text(reason.code, dict(reason.params)) for reason in verdict.reasons]
    # The imported repair is an earlier one: its extension is named too (it is in the warranty's date).
    assert texts == [
        "未提供购机地点:保修期内的免费维修需提供购机日期和地点",
        "同一故障已修理 1 次,保修期延长 2 个月至 2025-04-01",
    ]


def test_the_template_downloads_and_imports_as_it_is(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    for fmt in ("xlsx", "csv"):
        response = client_admin.get(reverse("tickets:callbook_template", args=[fmt]))
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        batch = upload(client_admin, f"template.{fmt}", content, branch_a, django_capture_on_commit_callbacks)
        assert batch.state == ImportBatch.State.CHECKED, batch.errors
        assert batch.counts["tickets"] == 1


def test_only_the_admin_role_may_import(client, persona, branch_a):
    for role in (Role.DISPATCHER, Role.SUPERVISOR, Role.MANAGER):
        client.force_login(persona(role))
        assert client.get(reverse("tickets:callbook")).status_code == 403


def test_the_plan_runs_a_bounded_number_of_queries(
    admin_user, branch_a, air_conditioner, django_assert_max_num_queries
):
    content = as_csv(generate_rows(3000, model_code="KFR-35GW"))
    batch = ImportBatch.objects.create(
        file_name="big.csv", content=content, branch=branch_a, created_by=admin_user
    )
    with django_assert_max_num_queries(12):
        plan = callbook.make_plan(batch)
    assert not plan.errors and plan.counts["tickets"] == 3000


def test_a_historical_ticket_shows_what_the_book_said_and_claims_nothing_it_has_not(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: C 免费服务 beside a fee of ¥280, 已回访关闭 without a follow-up, the
    intake desk's hint on a closed ticket, and 12:00 invented for a row that gave dates only."""
    rows = [
        HEADER,
        row(reported_at="2024-03-05", completed_at="2024-03-06", closed_at="2024-03-10", fee="280"),
        row(
            serial="KFR35-2023-000999",
            reported_at="2024-04-01 09:30",
            completed_at="2024-04-01 16:45",
            closed_at="",
            remedy="",
            fee="",
        ),
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    dated, timed = RepairTicket.objects.order_by("reported_at")
    page = client_admin.get(dated.get_absolute_url()).content.decode()
    state = page.split('data-testid="ticket-state">')[1].split("</span></span>")[0]
    assert "已关闭(历史导入)" in state and "已回访关闭" not in page
    assert "C 免费服务" not in page and "服务费(导入)" not in page
    record = page.split('data-testid="callbook-record"')[1].split("</div>\n</div>")[0]
    assert "登记簿记录(历史导入,批次" in record
    assert 'data-testid="book-remedy">免费维修<' in record and 'data-testid="book-fee">¥280.00<' in record
    assert "2024-03-05" in record and "2024-03-10" in record and "12:00" not in page
    assert "选择已登记的产品" not in page  # the intake desk's hint
    lists = (
        f"{reverse('tickets:list')}?state=closed",
        dated.unit.get_absolute_url(),
        dated.customer.get_absolute_url(),
    )
    for url in lists:
        listed = client_admin.get(url).content.decode()
        assert 'state-closed">已关闭(历史导入)<' in listed and 'state-closed">已回访关闭<' not in listed, url
    register = client_admin.get(
        reverse("reports:call_register"), {"date_from": "2024-03-01", "date_to": "2024-04-30"}
    ).content.decode()
    assert "已关闭(历史导入)" in register and "已回访关闭" not in register
    page = client_admin.get(timed.get_absolute_url()).content.decode()
    assert "2024-04-01 09:30" in page and "2024-04-01 16:45" in page
    assert 'data-testid="book-remedy">—<' in page and 'data-testid="book-fee">—<' in page


def test_contradictions_in_a_row_are_warned_about_in_the_dry_run(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: 免费维修 with a fee of 150, and a purchase date without a place (which
    later makes a verdict paid), were accepted without a word."""
    rows = [HEADER, row(fee="150"), row(serial="SN-2", phone="13900000002", purchase_place="")]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.CHECKED, batch.errors
    assert [(warning["row"], warning["column"]) for warning in batch.warnings] == [
        (2, "保修结论、服务费"),
        (3, "购买地点"),
    ]
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert "保修结论是免费维修,服务费却是 150.00 元:两者矛盾,请核对。" in page
    assert "有购买日期,没有购买地点" in page


def test_a_repeated_row_is_a_whole_row_error(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    batch = upload(
        client_admin, "book.csv", as_csv([HEADER, row(), row()]), branch_a, django_capture_on_commit_callbacks
    )
    assert [(error["row"], error["column"]) for error in batch.errors] == [(3, "")]


def test_a_missing_model_is_one_error_naming_its_rows_and_the_failed_run_shows_no_counts(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: 20 near-identical lines for one missing model, and a refused dry run
    showing 新建客户 7 / 历史工单 7 as if it would import."""
    rows = [HEADER, row()] + [
        row(model_code="NO-SUCH", serial=f"SN-{n}", phone=f"139000000{n:02d}") for n in range(12)
    ]
    batch = upload(client_admin, "book.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert batch.state == ImportBatch.State.REJECTED
    assert batch.error_count == 1
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert (
        "产品型号「NO-SUCH」不存在(第 3、4、5、6、7、8、9、10、11、12… 行,共 12 行),"
        "请先在 系统管理 → 系统管理 → 客户与产品 → 产品型号(/admin/customers/productmodel/)建立该型号。"
    ) in page
    assert 'data-testid="callbook-counts"' not in page


def test_the_dry_run_names_the_months_and_a_book_with_nothing_new_offers_no_import(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: 涉及月份 read "—" on every dry run, and the same file uploaded again
    (every row skipped) still offered 确认导入."""
    rows = [HEADER, row()]
    batch = upload(client_admin, "a.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    page = client_admin.get(batch.get_absolute_url()).content.decode()
    assert '<td data-testid="callbook-months">2024-03</td>' in page
    assert 'data-testid="callbook-run"' in page
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    again = upload(client_admin, "a.csv", as_csv(rows), branch_a, django_capture_on_commit_callbacks)
    assert again.state == ImportBatch.State.CHECKED and again.counts["skipped"] == 1
    page = client_admin.get(again.get_absolute_url()).content.decode()
    assert "文件中没有新的数据" in page
    assert 'data-testid="callbook-run"' not in page


def test_an_imported_ticket_page_claims_no_cause_channel_distance_or_follow_up(
    client_admin, branch_a, air_conditioner, django_capture_on_commit_callbacks
):
    """Found by the new-user trial: 质量问题 · 电话 in the header (the file has neither), "0.0 km", and
    "验收后安排回访并发送满意度调查" on a ticket closed years ago."""
    batch = upload(
        client_admin, "book.csv", as_csv([HEADER, row()]), branch_a, django_capture_on_commit_callbacks
    )
    run_import(client_admin, batch, django_capture_on_commit_callbacks)
    ticket = RepairTicket.objects.get()
    page = client_admin.get(ticket.get_absolute_url()).content.decode()
    heading = page.split('data-testid="fault-heading">')[1].split("</h2>")[0]
    assert heading == "故障 · 家用电器"
    assert " km" not in page
    survey = page.split('data-testid="ticket-survey"')[1].split("</div></div>")[0]
    assert "验收后安排回访" not in survey and "历史导入的工单:不安排回访" in survey
    assert " km" not in client_admin.get(ticket.customer.get_absolute_url()).content.decode()
