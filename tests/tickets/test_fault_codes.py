"""The fault code library (issue #18 item 6): import, search as you type, intake and the report."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import tablib
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from tests.customers.factories import ProductModelFactory, UnitFactory
from tests.tickets.factories import ServiceReportFactory, TicketFactory
from tests.tickets.test_views import intake_data
from tickets.faultcode_rules import UsualPart, UsualPartsError, format_usual_parts, parse_usual_parts
from tickets.models import FaultCode, RepairTicket, TicketEvent
from tickets.resources import FaultCodeResource


def make_code(product_model, code="E1", **fields) -> FaultCode:
    defaults = {
        "symptom": "开机五分钟后停机",
        "likely_cause": "启动电容老化",
        "usual_parts": [{"code": "AC-CAP-02", "name": "启动电容", "quantity": 1}],
        "labour_hours": Decimal("1.25"),
    }
    return FaultCode.objects.create(product_model=product_model, code=code, **(defaults | fields))


class TestUsualPartsCell:
    def test_reads_codes_names_and_quantities(self):
        assert parse_usual_parts("AC-CMP-01:压缩机×1; 启动电容×2;;AC-FAN:风扇电机") == (
            UsualPart(code="AC-CMP-01", name="压缩机", quantity=1),
            UsualPart(code="", name="启动电容", quantity=2),
            UsualPart(code="AC-FAN", name="风扇电机", quantity=1),
        )

    def test_full_width_punctuation_and_x_are_read_too(self):
        assert parse_usual_parts("AC-1:电容x3;AC-2:风扇*2") == (
            UsualPart(code="AC-1", name="电容", quantity=3),
            UsualPart(code="AC-2", name="风扇", quantity=2),
        )

    @pytest.mark.parametrize("cell", ["AC-1:×2", "电容×0", "电容×99999999", "A" * 41 + ":电容"])
    def test_refuses_what_is_no_part(self, cell):
        with pytest.raises(UsualPartsError):
            parse_usual_parts(cell)

    @given(
        st.lists(
            st.builds(
                UsualPart,
                name=st.sampled_from(["压缩机", "启动电容", "风扇X2", "主板 V3", "x", "12"]),
                quantity=st.integers(1, 1_000_000),
                code=st.sampled_from(["", "AC-CAP-02", "X-1", "9"]),
            ),
            max_size=5,
        )
    )
    def test_export_imports_back_as_it_was(self, parts):
        assert parse_usual_parts(format_usual_parts(parts)) == tuple(parts)


@pytest.mark.django_db
class TestImport:
    HEADERS = ["产品型号", "故障代码", "故障现象", "可能原因", "常用配件", "标准工时(小时)"]

    def test_imports_new_codes_and_updates_a_known_one(self):
        model = ProductModelFactory(code="KFR-35GW")
        make_code(model, "E1", symptom="旧的现象")
        dataset = tablib.Dataset(headers=self.HEADERS)
        dataset.append(["KFR-35GW", "E1", "开机五分钟后停机", "电容老化", "AC-CAP-02:启动电容×1", "1.5"])
        dataset.append(["KFR-35GW", "E4", "室外机不转", "", "AC-FAN:风扇电机×1; 电容×2", ""])
        result = FaultCodeResource().import_data(dataset, dry_run=False, raise_errors=False)
        assert not result.has_errors() and not result.has_validation_errors()
        e1 = FaultCode.objects.get(product_model=model, code="E1")
        assert (e1.symptom, e1.labour_hours) == ("开机五分钟后停机", Decimal("1.5"))
        e4 = FaultCode.objects.get(product_model=model, code="E4")
        assert e4.parts == (UsualPart("风扇电机", 1, "AC-FAN"), UsualPart("电容", 2, ""))
        assert e4.labour_hours is None

    def test_a_wrong_row_is_named_and_nothing_is_imported(self):
        ProductModelFactory(code="KFR-35GW")
        dataset = tablib.Dataset(headers=self.HEADERS)
        dataset.append(["KFR-35GW", "E1", "停机", "", "", "1"])
        dataset.append(["NO-SUCH", "E2", "不制冷", "", "", "1"])
        dataset.append(["KFR-35GW", "E3", "异响", "", "电容×0", "1"])
        result = FaultCodeResource().import_data(
            dataset,
            dry_run=False,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        invalid = {row.number: row.error_dict for row in result.invalid_rows}
        assert invalid[3]["usual_parts"] == [
            "常用配件“电容×0”无法识别,请写成 编号:名称×数量,多个用分号隔开。"
        ]
        [(number, [error])] = result.row_errors()
        assert number == 2 and str(error.error) == "产品型号 NO-SUCH 不存在。"
        assert not FaultCode.objects.exists()

    def test_the_export_reads_like_the_import(self):
        make_code(ProductModelFactory(code="KFR-35GW"))
        exported = FaultCodeResource().export()
        assert exported.headers == self.HEADERS
        assert exported[0][:5] == (
            "KFR-35GW",
            "E1",
            "开机五分钟后停机",
            "启动电容老化",
            "AC-CAP-02:启动电容×1",
        )

    def test_the_admin_offers_import_and_export(self, client, persona):
        admin = persona(Role.ADMIN)
        admin.is_staff = admin.is_superuser = True
        admin.save()
        client.force_login(admin)
        page = client.get(reverse("admin:tickets_faultcode_changelist")).content.decode()
        assert reverse("admin:tickets_faultcode_import") in page
        assert client.get(reverse("admin:tickets_faultcode_import")).status_code == 200


@pytest.mark.django_db
class TestSearchAsYouType:
    def test_offers_the_models_active_codes_matching_the_code_or_the_symptom(self, client, dispatcher):
        model, other = ProductModelFactory(), ProductModelFactory()
        make_code(model, "E1", symptom="开机五分钟后停机")
        make_code(model, "E4", symptom="室外机不转")
        make_code(model, "F1", symptom="室外机异响", is_active=False)
        make_code(other, "E1", symptom="别的型号")
        client.force_login(dispatcher)
        url = reverse("tickets:fault_code_options")

        def offered(**params):
            page = client.get(url, {"product_model": model.pk, **params}).content.decode()
            return page.count("<option"), page

        count, page = offered(fault_code="e")
        assert count == 2 and 'value="E1"' in page and 'value="E4"' in page and "别的型号" not in page
        count, page = offered(fault_code="室外机")
        assert count == 1 and 'value="E4"' in page
        # The new-unit form names its model as unit-product_model (hx-include).
        page = client.get(url, {"unit-product_model": other.pk, "fault_code": ""}).content.decode()
        assert "别的型号" in page and page.count("<option") == 1
        assert client.get(url, {"product_model": "x' or 1=1"}).content.decode().strip() == ""

    def test_one_query_for_the_first_twenty_and_none_without_a_model(
        self, postgres, client, dispatcher, django_assert_num_queries
    ):
        model = ProductModelFactory()
        for number in range(25):
            make_code(model, f"E{number:02d}", symptom="停机")
        client.force_login(dispatcher)
        url = reverse("tickets:fault_code_options")
        client.get(url)  # the session and user, read once per request, are not what this counts
        with django_assert_num_queries(3):  # the session, the user with their roles, the codes
            page = client.get(url, {"product_model": model.pk, "fault_code": "e"}).content.decode()
        assert page.count("<option") == 20
        with django_assert_num_queries(2):  # no model chosen yet: no codes to look up
            assert client.get(url, {"fault_code": "e"}).content.decode().strip() == ""


@pytest.mark.django_db
class TestIntake:
    def test_the_page_of_a_known_unit_lists_its_codes_and_searches_them(self, client, dispatcher, branch_a):
        unit = UnitFactory(owner__branch=branch_a)
        make_code(unit.product_model, "E1")
        client.force_login(dispatcher)
        page = client.get(reverse("tickets:intake"), {"unit": unit.pk}).content.decode()
        assert 'list="fault-code-options"' in page and '<option value="E1">' in page
        assert f"{reverse('tickets:fault_code_options')}?product_model={unit.product_model_id}" in page

    def test_a_picked_code_is_stored_on_the_ticket(self, client, dispatcher):
        client.force_login(dispatcher)
        data = intake_data()
        make_code(ProductModelFactory(code="KFR-35GW"), "E1")
        assert client.post(reverse("tickets:intake"), data | {"fault_code": "e1"}).status_code == 302
        ticket = RepairTicket.objects.get()
        assert ticket.fault_code.code == "E1" and ticket.fault_description == "开机无反应"
        page = client.get(ticket.get_absolute_url()).content.decode()
        assert "开机五分钟后停机" in page

    def test_free_text_without_a_code_stays_possible(self, client, dispatcher):
        client.force_login(dispatcher)
        assert client.post(reverse("tickets:intake"), intake_data()).status_code == 302
        assert RepairTicket.objects.get().fault_code is None

    def test_a_code_of_another_model_or_none_at_all_is_refused_beside_the_field(self, client, dispatcher):
        make_code(ProductModelFactory(code="OTHER"), "E9")
        client.force_login(dispatcher)
        for typed in ("E9", "随便写的"):
            response = client.post(reverse("tickets:intake"), intake_data(fault_code=typed))
            assert response.status_code == 200
            assert "不在该产品型号的故障代码库中" in response.content.decode()
        assert not RepairTicket.objects.exists()


@pytest.fixture
def on_site(branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a, on_site=True, visit_count=1)
    make_code(
        ticket.unit.product_model,
        "E1",
        usual_parts=[
            {"code": "AC-CAP-02", "name": "启动电容", "quantity": 1},
            {"code": "", "name": "扎带", "quantity": 4},
        ],
    )
    return ticket


def post(client, name, ticket, data=None):
    return client.post(
        reverse(name, args=[ticket.pk]), {"idempotency_key": str(uuid.uuid4()), **(data or {})}
    )


@pytest.mark.django_db
class TestReport:
    def test_the_findings_step_picks_a_code_and_the_history_says_so(self, client, on_site):
        client.force_login(on_site.technician)
        page = client.get(reverse("tickets:report", args=[on_site.pk]), {"step": 3}).content.decode()
        assert 'data-testid="fault-code-form"' in page and '<option value="E1">' in page
        response = post(client, "tickets:report_fault_code", on_site, {"fault_code": "E1"})
        assert response.status_code == 302 and response.url.endswith("?step=3")
        on_site.refresh_from_db()
        assert on_site.fault_code.code == "E1"
        event = TicketEvent.objects.get(ticket=on_site, action="fault_code")
        assert event.actor == on_site.technician and event.data == {"before": "", "after": "E1"}
        # Cleared again: free text only.
        post(client, "tickets:report_fault_code", on_site, {"fault_code": ""})
        on_site.refresh_from_db()
        assert on_site.fault_code is None

    def test_an_unknown_code_is_refused_on_the_step(self, client, on_site):
        client.force_login(on_site.technician)
        response = post(client, "tickets:report_fault_code", on_site, {"fault_code": "ZZ"})
        assert response.status_code == 400 and "不在该产品型号的故障代码库中" in response.content.decode()
        on_site.refresh_from_db()
        assert on_site.fault_code is None

    def test_the_repair_step_proposes_the_codes_hours_and_parts(self, client, on_site):
        client.force_login(on_site.technician)
        post(client, "tickets:report_fault_code", on_site, {"fault_code": "E1"})
        ServiceReportFactory(ticket=on_site, labour_hours=None)
        page = client.get(reverse("tickets:report", args=[on_site.pk]), {"step": 4}).content.decode()
        assert 'name="labour_hours" value="1.25"' in page and 'data-testid="hours-from-code"' in page
        assert 'data-testid="usual-parts"' in page and "启动电容" in page and "扎带 × 4" in page
        # Added in one tap; a second tap (or a resend) adds nothing more.
        for _tap in range(2):
            response = post(client, "tickets:report_add_usual_parts", on_site)
            assert response.status_code == 302
        lines = list(on_site.reports.get().parts.values_list("part_code", "part_name", "quantity"))
        assert lines == [("AC-CAP-02", "启动电容", 1), ("", "扎带", 4)]
        page = client.get(reverse("tickets:report", args=[on_site.pk]), {"step": 4}).content.decode()
        assert 'data-testid="usual-parts"' not in page

    def test_without_a_code_the_hours_come_from_the_time_on_site(self, client, on_site):
        client.force_login(on_site.technician)
        ServiceReportFactory(ticket=on_site, labour_hours=None)
        page = client.get(reverse("tickets:report", args=[on_site.pk]), {"step": 4}).content.decode()
        assert 'data-testid="hours-from-code"' not in page and 'data-testid="usual-parts"' not in page

    def test_only_the_assigned_technician_picks_the_code(self, client, on_site, persona):
        client.force_login(persona(Role.TECHNICIAN, username="other-tech"))
        response = post(client, "tickets:report_fault_code", on_site, {"fault_code": "E1"})
        assert response.status_code == 404
        on_site.refresh_from_db()
        assert on_site.fault_code is None
