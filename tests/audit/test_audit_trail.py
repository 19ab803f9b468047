"""The audit trail (issue #21): a sample day of three roles and an admin, done through the pages, is in
the auditors' export with who, when and on what; the database refuses to change or delete a row; the
filters, the access and the query count of the admins' screen 审计日志."""

from __future__ import annotations

import csv
import datetime
import io
import json

import openpyxl
import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.db import InternalError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, CalendarException, Role, User
from audit.models import AuditEntry
from audit.services import record
from claims.models import Claim, ClaimStatus
from parts import ledger
from parts.models import MovementKind, Requisition
from parts.services import decide_requisition, submit_requisition
from tests.accounts.factories import PASSWORD
from tests.claims.test_claims import approve, file_claim, sh_rule
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory
from tests.tickets.test_list_search import admin_form
from tests.tickets.test_views import intake_data
from tests.warranty.test_policy_admin import form_data
from tickets.models import RepairTicket, SlaPolicy, State

LOG = reverse("audit:log")


def export(client: Client, fmt: str = "csv", **filters) -> list[list[str]]:
    response = client.get(reverse("audit:export", args=[fmt]), filters)
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(body)).active
        return [
            ["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)
        ]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *lines = rows
    return [dict(zip(header, line, strict=True)) for line in lines]


@pytest.fixture
def admin_user(persona, headquarters):
    user = persona(Role.ADMIN, branch=headquarters, username="admin_hq")
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return user


def signed_in(user, ip: str) -> Client:
    """A browser of this user, signed in on the login page (as a person does)."""
    browser = Client(REMOTE_ADDR=ip)
    response = browser.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return browser


@pytest.mark.django_db
def test_a_sample_day_of_three_roles_and_an_admin_is_in_the_export(
    persona, dispatcher, technician, supervisor, branch_a, admin_user
):
    keeper, manager = persona(Role.WAREHOUSE), persona(Role.MANAGER)

    # 08:55 someone mistypes the dispatcher's password.
    stranger = Client(REMOTE_ADDR="10.0.0.66")
    assert (
        stranger.post(reverse("login"), {"username": dispatcher.username, "password": "guess-1"}).status_code
        == 200
    )

    # The dispatcher logs a call and dispatches it.
    desk = signed_in(dispatcher, "10.0.0.11")
    assert desk.post(reverse("tickets:intake"), intake_data()).status_code == 302
    ticket = RepairTicket.objects.get()
    response = desk.post(
        reverse("tickets:transition", args=[ticket.pk, "dispatch"]),
        {"version": ticket.version, "technician": technician.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED

    # The warehouse issues a part against an approved requisition.
    store = WarehouseFactory(code="SH-STORE", branch=branch_a)
    WarehouseFactory(code="VAN-LI", branch=branch_a, kind="van", technician=technician)
    part = PartFactory(code="CMP-35", name="压缩机")
    ledger.move([ledger.Change(part, store, 5)], kind=MovementKind.RECEIPT, actor=keeper, reference="RC-1")
    job = TicketFactory(unit__owner__branch=branch_a, on_site=True, technician=technician)
    requisition = submit_requisition(
        user=technician, ticket=job, warehouse=store, lines=[(part, 1)], reason="坏了"
    )
    decide_requisition(requisition_id=requisition.pk, user=supervisor, approve=True)
    line = requisition.lines.get()
    warehouse = signed_in(keeper, "10.0.0.22")
    assert (
        warehouse.post(
            reverse("parts:requisition_issue", args=[requisition.pk]), {f"issue-{line.pk}": "1"}
        ).status_code
        == 302
    )
    assert Requisition.objects.get(pk=requisition.pk).state == Requisition.State.ISSUED

    # The manager approves a claim at the second level.
    sh_rule(branch_a)
    claim = approve(
        supervisor, file_claim(dispatcher, TicketFactory(unit__owner__branch=branch_a, on_site=True), "5000")
    )
    office = signed_in(manager, "10.0.0.33")
    response = office.post(
        reverse("claims:claim_decide", args=[claim.pk]),
        {"version": claim.version, "decision": "approve", "note": "同意"},
    )
    assert response.status_code == 302
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.current_level == 3 and claim.status == ClaimStatus.PENDING

    # The admin changes an SLA rule and a user's group in the Django admin.
    admin = signed_in(admin_user, "10.0.0.44")
    policy = SlaPolicy.objects.create(name="紧急·市区", order=3, contact_hours=2, priority="urgent")
    url = reverse("admin:tickets_slapolicy_change", args=[policy.pk])
    response = admin.post(url, form_data(admin, url, contact_hours="1"))
    assert response.status_code == 302
    url = reverse("admin:accounts_user_change", args=[technician.pk])
    data = admin_form(admin, url)
    data["groups"] = [
        str(Group.objects.get(name=Role.TECHNICIAN).pk),
        str(Group.objects.get(name=Role.SUPERVISOR).pk),
    ]
    assert admin.post(url, data).status_code == 302
    assert set(technician.groups.values_list("name", flat=True)) == {Role.TECHNICIAN, Role.SUPERVISOR}
    desk.post(reverse("logout"))

    rows = as_dicts(
        export(admin, date_from=timezone.localdate().isoformat(), date_to=timezone.localdate().isoformat())
    )

    def find(verb: str, **fields) -> dict[str, str]:
        found = [
            row for row in rows if row["操作代码"] == verb and all(row[k] == v for k, v in fields.items())
        ]
        assert found, f"no {verb} {fields} in {[(r['操作代码'], r['操作人']) for r in rows]}"
        row = found[0]
        assert row["时间"].startswith(f"{timezone.localdate():%Y-%m-%d} ")
        return row

    failed = find("auth.login_failed", 操作人=dispatcher.username, **{"IP 地址": "10.0.0.66"})
    assert "guess-1" not in json.dumps(failed, ensure_ascii=False)
    find("auth.login", 用户编号=str(dispatcher.pk), **{"IP 地址": "10.0.0.11"})
    logged = find(
        "ticket.log_call",
        用户编号=str(dispatcher.pk),
        对象编号=str(ticket.pk),
        对象=str(ticket),
        动作="叫修登记",
    )
    # The unit by the serial number a person reads, not its database id (found by the new-user trial).
    assert "序列号: SN-2026-0001" in logged["详情"] and "产品编号" not in logged["详情"]
    dispatched = find(
        "ticket.dispatch", 用户编号=str(dispatcher.pk), 对象编号=str(ticket.pk), 对象类型="维修工单"
    )
    assert dispatched["IP 地址"] == "10.0.0.11"
    assert f"技术员编号: {technician.pk}" in dispatched["详情"] and "新状态: 已派工" in dispatched["详情"]
    find("requisition.approve", 用户编号=str(supervisor.pk), 对象编号=str(requisition.pk))
    issue = find("stock.issue", 用户编号=str(keeper.pk), **{"IP 地址": "10.0.0.22"})
    assert requisition.number in issue["详情"] and "CMP-35" in issue["详情"]
    find("claim.approve", 用户编号=str(manager.pk), 对象编号=str(claim.pk), 对象=str(claim))
    sla = find("admin.change", 用户编号=str(admin_user.pk), 对象类型="时限规则", 对象编号=str(policy.pk))
    hours = SlaPolicy._meta.get_field("contact_hours").verbose_name
    assert f"{hours}: 2.0 → 1" in sla["详情"]  # hours, decimals as text
    groups = find("auth.groups_changed", 用户编号=str(admin_user.pk), 对象编号=str(technician.pk))
    assert groups["详情"] == "新增: 服务主任"
    find("auth.logout", 用户编号=str(dispatcher.pk))
    # Newest first.
    times = [row["时间"] for row in rows]
    assert times == sorted(times, reverse=True)


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_a_row(postgres, dispatcher):
    entry = record(dispatcher, "auth.login", dispatcher)
    with pytest.raises(InternalError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(verb="auth.logout")
    with pytest.raises(InternalError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with (
        pytest.raises(InternalError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.get(pk=entry.pk).verb == "auth.login"
    # Deleting a user leaves their rows as they were (no foreign key to cascade or to null).
    dispatcher.delete()
    assert (
        AuditEntry.objects.get(pk=entry.pk).actor_name
        == f"{dispatcher.get_full_name()} ({dispatcher.username})"
    )


@pytest.mark.django_db
def test_a_row_is_written_in_the_changes_transaction(dispatcher):
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(dispatcher, "ticket.log_call", dispatcher)
        raise RuntimeError("the change failed")
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
class TestScreen:
    @pytest.fixture
    def admin(self, client, admin_user):
        client.force_login(admin_user)
        return client

    def test_filters_by_user_area_object_and_dates(self, admin, dispatcher, supervisor, branch_a):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        other = TicketFactory(unit__owner__branch=branch_a)
        with time_machine.travel(datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.UTC)):
            record(dispatcher, "ticket.log_call", ticket)
        with time_machine.travel(
            datetime.datetime(2026, 11, 5, 15, 59, tzinfo=datetime.UTC)
        ):  # 23:59 in Shanghai
            record(supervisor, "ticket.revise_fault", other)
        with time_machine.travel(
            datetime.datetime(2026, 11, 5, 16, 1, tzinfo=datetime.UTC)
        ):  # the 6th in Shanghai
            record(supervisor, "claim.approve", ticket)

        def verbs(**filters) -> list[str]:
            return [row["操作代码"] for row in as_dicts(export(admin, **filters))]

        project = {"area": "ticket"}
        assert verbs(user=supervisor.pk, **project) == ["ticket.revise_fault"]
        assert verbs(object_type="tickets.repairticket", object_id=str(ticket.pk), **project) == [
            "ticket.log_call"
        ]
        assert verbs(date_from="2026-11-05", date_to="2026-11-05") == ["ticket.revise_fault"]
        assert verbs(date_from="2026-11-06", date_to="2026-11-30", user=supervisor.pk) == ["claim.approve"]
        page = admin.get(LOG, {"user": dispatcher.pk, "area": "ticket"}).content.decode()
        assert "叫修登记" in page and ticket.number in page and "修改故障信息" not in page
        response = admin.get(LOG, {"date_from": "2026-11-06", "date_to": "2026-11-05"})
        assert response.status_code == 400 and "结束日期不能早于开始日期。" in response.content.decode()
        response = admin.get(reverse("audit:export", args=["csv"]), {"date_from": "0001-01-01"})
        assert response.status_code == 400

    def test_a_user_filter_finds_the_failed_sign_ins_under_their_name(self, admin, dispatcher, supervisor):
        Client().post(reverse("login"), {"username": dispatcher.username, "password": "guess-1"})
        Client().post(reverse("login"), {"username": supervisor.username, "password": "guess-2"})
        record(dispatcher, "ticket.log_call", dispatcher)
        rows = as_dicts(export(admin, user=dispatcher.pk))
        assert [row["操作代码"] for row in rows[:2]] == ["ticket.log_call", "auth.login_failed"]
        assert rows[1]["操作人"] == dispatcher.username and rows[1]["用户编号"] == ""
        assert [row["操作人"] for row in rows if row["操作代码"] == "auth.login_failed"] == [
            dispatcher.username
        ]
        page = admin.get(LOG, {"user": dispatcher.pk, "area": "login"}).content.decode()
        assert "登录失败" in page and "共 1 条" in page

    def test_details_read_as_labels_and_values_in_the_readers_language(self, admin, dispatcher, branch_a):
        ticket = TicketFactory(unit__owner__branch=branch_a)
        record(dispatcher, "ticket.dispatch", ticket, {"from": "reported", "to": "dispatched"}, label="派工")
        record(None, "auth.groups_changed", dispatcher, {"added": ["supervisor", "finance"]})
        cells = [
            cell.strip()
            for cell in admin.get(LOG).content.decode().split('data-testid="audit-details">')[1:3]
        ]
        assert "原状态:</span> 已报修" in cells[1] and "新状态:</span> 已派工" in cells[1]
        assert "新增:</span> 服务主任、会计" in cells[0]
        assert "{" not in "".join(cells) and "dispatched" not in "".join(cells)
        rows = as_dicts(export(admin, fmt="xlsx"))
        assert [row["详情"] for row in rows[:2]] == ["新增: 服务主任、会计", "原状态: 已报修; 新状态: 已派工"]
        admin.cookies["django_language"] = "en"
        rows = as_dicts(export(admin))
        assert rows[1]["Details"] == "From status: Reported; To status: Dispatched"
        assert rows[0]["Details"] == "Added: Service supervisor, Finance"

    def test_the_call_book_counts_read_as_labels(self, admin, dispatcher):
        """Found by the new-user trial: customers: 29, customers_reused: 0 … on the Chinese page."""
        counts = {"customers": 29, "customers_reused": 0, "units": 29, "units_reused": 0, "tickets": 30}
        record(
            dispatcher,
            "callbook.import",
            dispatcher,
            {"file": "book.csv", "counts": {**counts, "skipped": 0}},
        )
        record(dispatcher, "callbook.undo", dispatcher, {"file": "book.csv", "removed": counts})
        cells = admin.get(LOG).content.decode().split('data-testid="audit-details">')[1:3]
        for cell in cells:
            assert "新建客户: 29" in cell and "已有客户(按电话匹配): 0" in cell and "历史工单: 30" in cell
            assert "customers" not in cell and "units" not in cell and "tickets" not in cell
        assert "已导入过而跳过的行: 0" in cells[1]

    def test_the_english_screen_names_the_call_book_action_and_its_date_filters(self, admin, dispatcher):
        """Found by the new-user trial: "Import history" was both the page and the action, and the dates
        read "First day" / "End date"."""
        record(dispatcher, "callbook.import", dispatcher, {"file": "book.csv"})
        admin.cookies["django_language"] = "en"
        page = admin.get(LOG).content.decode()
        assert "Call book imported" in page and "Import history" not in page
        # The action in one line (at 1024 px its Chinese wrapped two characters a line).
        assert '<td class="text-nowrap" title="callbook.import">Call book imported</td>' in page
        assert ">From</label>" in page and ">To</label>" in page
        assert "First day" not in page and "End date" not in page
        assert "<title>Call book import" in admin.get(reverse("tickets:callbook")).content.decode()

    def test_object_types_are_offered_by_area_and_only_with_rows(self, admin, dispatcher, branch_a):
        record(dispatcher, "ticket.log_call", TicketFactory(unit__owner__branch=branch_a))
        Client().post(reverse("login"), {"username": dispatcher.username, "password": "guess-1"})
        page = admin.get(LOG).content.decode()
        select = page.split('name="object_type"')[1].split("</select>")[0]
        groups = [part.split('"')[0] for part in select.split('<optgroup label="')[1:]]
        # The factory gave the dispatcher their group; the user's sign-ins are under 用户与角色 too: one
        # 用户, not two options of the same value (found by the new-user trial).
        assert groups == ["工单", "用户与角色"]
        assert select.count("<option") == 3  # 全部, 维修工单, 用户
        assert select.count('value="accounts.user"') == 1
        assert 'value="tickets.repairticket">维修工单' in select and "claims.claim" not in select
        assert "Permission" not in page and "log entry" not in page
        rows = as_dicts(export(admin, area="login"))  # the admin's sign-in (force_login) and the failed one
        assert [row["操作代码"] for row in rows] == ["auth.login_failed", "auth.login"]
        rows = as_dicts(export(admin, area="users"))
        assert {row["操作代码"] for row in rows} == {"auth.groups_changed", "auth.password_changed"}

    @pytest.mark.parametrize(
        ("dates", "field", "message"),
        [
            ({"date_from": "2026-13-45"}, "date_from", "输入一个有效的日期。"),
            ({"date_from": "2026-11-06", "date_to": "2026-11-05"}, "date_to", "结束日期不能早于开始日期。"),
        ],
    )
    def test_a_bad_date_is_named_at_its_field_and_lists_nothing(
        self, admin, dispatcher, dates, field, message
    ):
        record(dispatcher, "auth.login", dispatcher)
        response = admin.get(LOG, dates)
        page = response.content.decode()
        assert response.status_code == 400
        at_field = page.split(f'data-testid="filter-{field}"')[1].split('data-testid="filter-')[0]
        assert message in at_field and "is-invalid" in at_field
        assert "登录成功" not in page.split('data-testid="audit-log"')[1] and "共 0 条" in page
        assert admin.get(reverse("audit:export", args=["csv"]), dates).status_code == 400

    def test_constant_queries_whatever_the_number_of_rows(self, admin, dispatcher):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert admin.get(LOG).status_code == 200
            return len(queries)

        for _ in range(3):
            record(dispatcher, "auth.login", dispatcher)
        few = count()
        for _ in range(40):
            record(dispatcher, "auth.login", dispatcher, {"note": "x"})
        assert count() == few
        assert "第 1 / 1 页" in admin.get(LOG).content.decode()

    def test_the_export_is_streamed_and_neutralises_formulas(self, admin, dispatcher):
        record(
            dispatcher,
            "ticket.log_call",
            object_type="tickets.repairticket",
            object_id="9",
            object_label='=HYPERLINK("http://x")',
        )
        [row] = as_dicts(export(admin, object_id="9"))
        assert row["对象"] == '\'=HYPERLINK("http://x")'
        response = admin.get(reverse("audit:export", args=["xlsx"]), {"object_id": "9"})
        book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        cell = book.active["I2"]
        assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"

    def test_in_english(self, admin, dispatcher):
        record(dispatcher, "auth.login", dispatcher)
        admin.cookies["django_language"] = "en"
        page = admin.get(LOG).content.decode()
        assert "Audit log" in page and "Signed in" in page

    @pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
    def test_only_admins_read_it(self, client, persona, role):
        client.force_login(persona(role, username=f"u_{role}"))
        assert client.get(LOG).status_code == 403
        assert client.get(reverse("audit:export", args=["csv"])).status_code == 403


@pytest.mark.django_db
class TestWhatIsHeard:
    def test_groups_and_permissions_changed_anywhere(self, dispatcher):
        group = Group.objects.get(name=Role.WAREHOUSE)
        last = AuditEntry.objects.order_by("pk").last().pk  # the factory gave the dispatcher their group
        group.user_set.add(dispatcher)  # from the group's side
        dispatcher.groups.remove(group)
        dispatcher.groups.clear()
        permission = Permission.objects.get(codename="view_auditentry")
        group.permissions.add(permission)
        rows = AuditEntry.objects.filter(pk__gt=last).order_by("pk")
        assert [(e.verb, e.object_id, e.details) for e in rows] == [
            ("auth.groups_changed", str(dispatcher.pk), {"added": ["warehouse"]}),
            ("auth.groups_changed", str(dispatcher.pk), {"removed": ["warehouse"]}),
            ("auth.groups_changed", str(dispatcher.pk), {"removed": ["dispatcher"]}),
            ("auth.permissions_changed", str(group.pk), {"added": ["audit.view_auditentry"]}),
        ]
        assert all(e.actor is None and e.actor_display == "系统" for e in rows)  # no request: the system

    def test_the_admin_deletes_several_rows_and_each_is_recorded(self, client, admin_user):
        days = [
            CalendarException.objects.create(date=datetime.date(2030, 1, d), kind="holiday") for d in (1, 2)
        ]
        client.force_login(admin_user)
        response = client.post(
            reverse("admin:accounts_calendarexception_changelist"),
            {"action": "delete_selected", "_selected_action": [d.pk for d in days], "post": "yes"},
        )
        assert response.status_code == 302 and not CalendarException.objects.exists()
        deleted = AuditEntry.objects.filter(verb="admin.delete")  # object ids are text: "10" < "9"
        assert sorted((int(e.object_id), e.actor_id) for e in deleted) == [
            (d.pk, admin_user.pk) for d in days
        ]

    def test_deactivating_a_user_in_the_admin(self, client, admin_user, dispatcher):
        client.force_login(admin_user)
        url = reverse("admin:accounts_user_change", args=[dispatcher.pk])
        data = admin_form(client, url)
        data.pop("is_active", None)
        assert client.post(url, data).status_code == 302
        entry = AuditEntry.objects.get(verb="auth.deactivate")
        assert entry.object_id == str(dispatcher.pk) and entry.details["changes"]["is_active"] == [
            True,
            False,
        ]

    def test_the_admin_shows_rows_and_changes_none(self, client, admin_user, dispatcher):
        entry = record(dispatcher, "auth.groups_changed", dispatcher, {"added": ["supervisor"]})
        client.force_login(admin_user)
        assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
        assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
        assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
        page = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).content.decode()
        assert 'name="_save"' not in page and "新增: 服务主任" in page and "supervisor" not in page

    def test_a_failed_sign_in_with_an_unknown_name_keeps_the_name_and_no_password(self, client):
        client.post(
            reverse("login"), {"username": "=cmd|calc", "password": "secret-typed"}, REMOTE_ADDR="10.9.8.7"
        )
        entry = AuditEntry.objects.get(verb="auth.login_failed")
        assert (entry.actor, entry.actor_name, entry.object_label, entry.ip_address) == (
            None,
            "=cmd|calc",
            "=cmd|calc",
            "10.9.8.7",
        )
        assert entry.object_type == "accounts.user" and entry.object_id == ""
        assert "secret-typed" not in json.dumps(entry.details)

    def test_a_password_change_and_api_tokens(self, client, dispatcher):
        client.force_login(dispatcher)
        response = client.post(
            reverse("accounts:password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "Lq-8fj3-new-pass",
                "new_password2": "Lq-8fj3-new-pass",
            },
        )
        assert response.status_code == 302
        changed = AuditEntry.objects.filter(verb="auth.password_changed").order_by("pk").last()
        assert (changed.actor, changed.object_id) == (dispatcher, str(dispatcher.pk))
        assert "Lq-8fj3" not in json.dumps(changed.details) and dispatcher.password not in json.dumps(
            changed.details
        )
        token, _key = ApiToken.issue(dispatcher, client="扫码枪")
        ApiToken.revoke_all(dispatcher)
        verbs = list(
            AuditEntry.objects.filter(verb__startswith="auth.token")
            .order_by("pk")
            .values_list("verb", "object_id", "details")
        )
        assert verbs == [
            (
                "auth.token_issued",
                str(dispatcher.pk),
                {"prefix": token.prefix, "client": "扫码枪", "expires_at": verbs[0][2]["expires_at"]},
            ),
            ("auth.token_revoked", str(dispatcher.pk), {"prefix": token.prefix}),
        ]
