"""Admin → 时限规则: every condition that matches a code of the ticket is a choice, so that a policy
cannot be saved with a value that never matches (“紧急” was typed and tickets store `urgent`)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from tickets.models import SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.cn", "pw-for-tests-1")
    )
    return client


def policy_data(**changes) -> dict:
    data = {
        "name": "紧急·市区:1小时内联系",
        "seed_reference": "",
        "order": "3",
        "is_active": "on",
        "branch": "",
        "fault_category": "",
        "service_zone": "city",
        "channel": "",
        "priority": "urgent",
        "min_distance_km": "",
        "max_distance_km": "",
        "contact_hours": "1",
        "contact_basis": "clock",
        "arrival_hours": "",
        "arrival_basis": "clock",
        "resolution_hours": "",
        "resolution_basis": "clock",
    }
    return {**data, **changes}


def test_channel_and_priority_are_choices_of_the_tickets_codes(admin_client):
    page = admin_client.get(reverse("admin:tickets_slapolicy_add")).content.decode()
    assert '<select name="priority"' in page and '<option value="urgent">紧急</option>' in page
    assert '<select name="channel"' in page and '<option value="walk_in">上门送修</option>' in page


@pytest.mark.parametrize(("field", "typed"), [("priority", "紧急"), ("channel", "电话")])
def test_a_label_typed_for_a_code_is_refused(admin_client, field, typed):
    response = admin_client.post(reverse("admin:tickets_slapolicy_add"), policy_data(**{field: typed}))
    assert response.status_code == 200
    assert f"{typed} 不在可用的选项中" in response.content.decode()
    assert not SlaPolicy.objects.filter(name="紧急·市区:1小时内联系").exists()


def test_the_chosen_code_is_saved(admin_client):
    response = admin_client.post(reverse("admin:tickets_slapolicy_add"), policy_data())
    assert response.status_code == 302
    assert SlaPolicy.objects.get(name="紧急·市区:1小时内联系").priority == "urgent"


def test_labels_saved_before_become_codes_and_unknown_values_stop_the_policy(db):
    """Migration 0013: “紧急” saved as text now matches urgent calls; a value nobody can read is not
    widened to “any” (that would apply the policy to every call): the policy is switched off."""
    typed = SlaPolicy.objects.create(name="甲", priority="紧急", channel="电话", contact_hours=1)
    garbage = SlaPolicy.objects.create(name="乙", priority="很急", contact_hours=1)
    migration = importlib.import_module("tickets.migrations.0013_slapolicy_channel_priority_choices")
    migration.codes_for_labels(apps, None)
    typed.refresh_from_db()
    garbage.refresh_from_db()
    assert (typed.priority, typed.channel, typed.is_active) == ("urgent", "phone", True)
    assert (garbage.priority, garbage.is_active) == ("", False)
    assert "很急" in garbage.name
