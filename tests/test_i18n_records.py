"""Texts the system writes from a rule (verdict reasons, notification titles, why a part line waits, history
notes) are stored as the Chinese record with a message code beside them: each reader sees them in their own
language, and the record never changes (DESIGN §9; issue #16, English)."""

from __future__ import annotations

import datetime
import importlib
import json

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.models import Role
from aftersales.texts import Text, render
from notifications.models import Notification
from parts.models import PartUsage
from tests.customers.factories import ProductModelFactory
from tests.parts.factories import PartFactory, WarehouseFactory
from tests.tickets.factories import TicketFactory
from tickets.models import AlertLevel, RepairTicket, ServiceReportPart, TicketEvent
from tickets.services import apply_transition
from tickets.sla_services import pause_clock


def reading_in(client, user, language: str):
    """`client` logged in as `user` with the header's language switch set (its cookie)."""
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def log_call(client) -> RepairTicket:
    """An air conditioner bought three days ago, logged at the intake form (manufacturer policy: refund)."""
    data = {
        "customer-name": "张伟",
        "customer-kind": "person",
        "customer-phone": "139 1234 5678",
        "customer-address": "上海市徐汇区漕溪北路 88 号",
        "customer-service_zone": "city",
        "customer-distance_km": "8",
        "unit-product_model": str(ProductModelFactory(code="KFR-35GW").pk),
        "unit-serial_number": "sn-2026-0001",
        "unit-purchase_date": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "unit-purchase_place": "京东自营",
        "unit-sales_channel": "direct",
        "fault_category": "appliance",
        "fault_description": "开机无反应",
        "fault_cause": "quality",
        "channel": "phone",
        "priority": "urgent",
    }
    assert client.post(reverse("tickets:intake"), data).status_code == 302
    return RepairTicket.objects.get()


@pytest.mark.django_db
def test_an_english_call_taker_stores_chinese_and_each_reader_sees_their_language(client, persona):
    english_supervisor = persona(Role.SUPERVISOR, username="supervisor_en")
    chinese_supervisor = persona(Role.SUPERVISOR, username="supervisor_zh")
    ticket = log_call(reading_in(client, persona(Role.DISPATCHER), "en"))

    # The record is Chinese, though the call was logged in English.
    reasons = ticket.warranty_decision["reasons"]
    assert reasons[0]["code"] == "refund_window"
    assert reasons[0]["text"].startswith("购买第 3 天")
    stored_reasons = [reason["text"] for reason in reasons]
    asked = Notification.objects.get(kind="ticket_logged", recipient=english_supervisor)
    assert asked.subject == f"新报修 {ticket.number}(紧急,家用电器):张伟"

    english = reading_in(client, english_supervisor, "en")
    page = english.get(ticket.get_absolute_url()).content.decode()
    assert "Day 3 after purchase, quality fault: refund within 7 days" in page
    assert "购买第 3 天" not in page
    inbox = english.get(reverse("notifications:inbox")).content.decode()
    assert f"New call {ticket.number} (Urgent, Home appliance): 张伟" in inbox and "新报修" not in inbox

    chinese = reading_in(client, chinese_supervisor, "zh-hans")
    page = chinese.get(ticket.get_absolute_url()).content.decode()
    assert "购买第 3 天" in page and "Day 3 after purchase" not in page
    inbox = chinese.get(reverse("notifications:inbox")).content.decode()
    assert f"新报修 {ticket.number}(紧急,家用电器):张伟" in inbox

    ticket.refresh_from_db()
    asked.refresh_from_db()
    assert [reason["text"] for reason in ticket.warranty_decision["reasons"]] == stored_reasons
    assert asked.subject == f"新报修 {ticket.number}(紧急,家用电器):张伟"


@pytest.mark.django_db
def test_why_a_part_line_waits_reads_in_the_keepers_language(client, persona, branch_a, technician):
    van = WarehouseFactory(
        code="VAN-T", name="李强车载库", branch=branch_a, kind="van", technician=technician
    )
    PartFactory(code="CMP-35", name="压缩机")
    ticket = TicketFactory(
        unit__owner__branch=branch_a, on_site=True, technician=technician, signed_report=True
    )
    report = ticket.reports.get()
    for code in ("XX-404", "CMP-35"):
        ServiceReportPart.objects.create(report=report, part_code=code, part_name="配件", quantity=1)
    with translation.override("en"):  # completed by a technician who reads English
        apply_transition(
            ticket_id=ticket.pk,
            user=technician,
            name="complete_visit",
            expected_version=None,
            note="更换压缩机",
        )
    problems = dict(PartUsage.objects.values_list("report_part__part_code", "problem"))
    assert problems == {
        "XX-404": "配件编号 XX-404 不在配件目录中。",
        "CMP-35": f"库存不足:配件 CMP-35 压缩机 在 {van.name} 仅剩 0 件。",
    }

    keeper = persona(Role.WAREHOUSE)
    page = reading_in(client, keeper, "en").get(reverse("parts:usages_outstanding")).content.decode()
    assert "Part code XX-404 is not in the parts catalogue." in page
    assert "CMP-35 压缩机" in page and "库存不足" not in page and "不在配件目录中" not in page
    page = reading_in(client, keeper, "zh-hans").get(reverse("parts:usages_outstanding")).content.decode()
    assert "配件编号 XX-404 不在配件目录中。" in page and "库存不足:配件 CMP-35 压缩机" in page
    mine = reading_in(client, technician, "en").get(reverse("parts:my_old_parts")).content.decode()
    assert "Part code XX-404 is not in the parts catalogue." in mine
    assert dict(PartUsage.objects.values_list("report_part__part_code", "problem")) == problems


@pytest.mark.django_db
def test_a_history_note_the_system_wrote_reads_in_the_readers_language(client, dispatcher, branch_a):
    ticket = TicketFactory(unit__owner__branch=branch_a)
    with translation.override("en"):
        pause_clock(ticket_id=ticket.pk, user=dispatcher, reason="parts", note="压缩机缺货")
    event = TicketEvent.objects.get(action="pause_clock")
    assert event.note == "等待配件 压缩机缺货"
    page = reading_in(client, dispatcher, "en").get(ticket.get_absolute_url()).content.decode()
    assert "Waiting for parts 压缩机缺货" in page and "等待配件" not in page
    page = reading_in(client, dispatcher, "zh-hans").get(ticket.get_absolute_url()).content.decode()
    assert "等待配件 压缩机缺货" in page
    event.refresh_from_db()
    assert event.note == "等待配件 压缩机缺货"


@pytest.mark.django_db
def test_rows_stored_before_the_codes_get_them_where_the_text_is_one_of_the_rules(client, supervisor):
    """The migrations fill the codes of old rows from their Chinese text; a text no rule wrote stays."""
    old = Notification.objects.create(
        recipient=supervisor, kind="parts_requisition", subject="领料单 LL-SH-0007 待审批"
    )
    typed = Notification.objects.create(recipient=supervisor, kind="other", subject="请回电客户")
    importlib.import_module("notifications.migrations.0004_message_codes").fill_codes(apps, None)
    old.refresh_from_db()
    typed.refresh_from_db()
    assert old.subject_message == {"id": "领料单 %(number)s 待审批", "params": {"number": "LL-SH-0007"}}
    assert typed.subject_message == {}
    inbox = reading_in(client, supervisor, "en").get(reverse("notifications:inbox")).content.decode()
    assert "Requisition LL-SH-0007 awaits approval" in inbox and "请回电客户" in inbox
    assert Notification.objects.get(pk=old.pk).subject == "领料单 LL-SH-0007 待审批"


def test_a_text_keeps_labels_and_lists_as_codes_and_falls_back_to_its_record():
    title = Text(gettext_noop("%(level)s:%(count)d 张工单(%(numbers)s 等)")) % {
        "level": AlertLevel.BREACH.label,
        "count": 4,
        "numbers": ["SH-1", "SH-2"],
    }
    stored = json.loads(json.dumps(title.as_json()))
    assert title.record() == "超时:4 张工单(SH-1、SH-2 等)"
    with translation.override("en"):
        english = render(stored, title.record())
    assert "SH-1, SH-2" in english and "超时" not in english and "张工单" not in english
    with translation.override("en"):
        # A message no catalogue knows reads as its Chinese msgid; one that no longer fits shows the record.
        assert render({"id": "旧的消息 %(n)s", "params": {"n": 1}}, "记录") == "旧的消息 1"
        assert render({"id": "旧的消息 %(n)s", "params": {}}, "记录") == "旧的消息 %(n)s"
        assert render({"id": "旧的消息 %(n)s", "params": {"m": 1}}, "记录") == "记录"
        assert render({}, "有人写的说明") == "有人写的说明"


@pytest.mark.django_db
def test_a_verdict_stored_before_the_parameters_reads_as_far_as_its_codes_allow(client, dispatcher, branch_a):
    """Older verdicts kept only code and text: a reason that needs no parameters reads in English, the
    others show their stored text rather than nothing."""
    ticket = TicketFactory(
        unit__owner__branch=branch_a,
        warranty_decision={
            "remedy": "free_repair",
            "payer": "company",
            "eligible": ["free_repair"],
            "reasons": [
                {"code": "contract", "text": "保养合同有效:按合同免费维修"},
                {"code": "free_repair_window", "text": "购买第 40 天,质量问题,12 个月内免费维修"},
            ],
        },
    )
    page = reading_in(client, dispatcher, "en").get(ticket.get_absolute_url()).content.decode()
    assert "Maintenance contract in force: the repair is free under the contract" in page
    assert "购买第 40 天,质量问题,12 个月内免费维修" in page
